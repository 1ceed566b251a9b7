"""The README's command-line examples run as written, with the exit codes they promise.

Each ``python -m explorer`` line of the "Command line" block runs from the repository
root; ``# exit N`` in its comment is the expected exit code, else 0. A line that reads a
file the reader writes first (``@request.json``) is left out.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

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
    started = {}
    for command, _ in _examples():
        arguments = shlex.split(command)[3:]  # after "python -m explorer"
        started[command] = subprocess.Popen(
            [sys.executable, "-m", "explorer", *arguments],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for command, process in started.items():
        out, err = process.communicate(timeout=180)
        results[command] = subprocess.CompletedProcess(command, process.returncode, out, err)
    return results


@pytest.mark.parametrize(("command", "expected"), _examples())
def test_readme_example_exits_as_documented(runs, command: str, expected: int) -> None:
    run = runs[command]
    assert run.returncode == expected, f"{command}\n{run.stdout[-500:]}\n{run.stderr[-500:]}"
    assert run.stderr == ""  # no TensorFlow start-up lines either
    assert run.stdout.strip()
