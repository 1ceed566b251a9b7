"""Every sub-command has --help, and the installed entry point runs the same CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from explorer.cli import _COMMANDS
from tests.conftest import REPO


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_every_sub_command_has_help(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "explorer", command, "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"explorer {command}" in done.stdout
    assert "PATH" in done.stdout


def test_installed_entry_point_runs_show() -> None:
    binary = shutil.which("signature-explorer")
    assert binary, "pip install -e . provides the signature-explorer command"
    done = subprocess.run(
        [binary, "show", str(REPO / "sample_models" / "flowers_tf1"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"model_spec"' in done.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        (["graph", "sample_models/flowers_tf1"], "required: --signature"),
        (["predict", "sample_models/flowers_tf1", "--version", "abc", "-r", "{}"], "'abc'"),
    ],
)
def test_argument_mistakes_are_one_error_line(arguments: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "explorer", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ")
    assert message in line
    assert line.endswith("--help)")
