"""The README's command-line examples run as written, with the exit codes they promise.

Each ``python -m explorer`` line of the "Command line" block runs from the repository
root; ``# exit N`` in its comment is the expected exit code, else 0. A line that reads a
file the reader writes first (``@request.json``) is left out.
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from tests.cli_runs import run_explorer_commands
from tests.conftest import REPO

_BLOCK = re.compile(r"## Command line\n.*?```bash\n(.*?)```", re.DOTALL)
_EXIT = re.compile(r"#\s*exit (\d)")


def _examples() -> list[tuple[str, int]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = _BLOCK.search(text)
    assert match, "README.md has a Command line block"
    joined = match.group(1).replace("\\\n", " ")
    examples = []
    for line in joined.splitlines():
        command, _, comment = line.partition("  #")
        if not command.startswith("python -m explorer") or "@request.json" in command:
            continue
        expected = _EXIT.search("#" + comment)
        examples.append((command.split(" > ")[0].strip(), int(expected[1]) if expected else 0))
    return examples


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    # shlex: the README's quoting; [3:] drops "python -m explorer".
    return run_explorer_commands({c: (shlex.split(c)[3:], None) for c, _ in _examples()})


@pytest.mark.parametrize(("command", "expected"), _examples())
def test_readme_example_exits_as_documented(runs, command: str, expected: int) -> None:
    run = runs[command]
    assert run.returncode == expected, f"{command}\n{run.stdout[-500:]}\n{run.stderr[-500:]}"
    assert run.stderr == ""  # no TensorFlow start-up lines either
    assert run.stdout.strip()
