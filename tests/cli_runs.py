"""Run several ``python -m explorer`` commands at once: each that loads a model pays
TensorFlow's import, so starting them together overlaps those seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from tests.conftest import REPO

Run = tuple[list[str], str | None]  # (arguments after "python -m explorer", stdin)


def run_explorer_commands(
    runs: Mapping[str, Run],
    env: Mapping[str, str] | None = None,
    timeout_s: float = 180,
    entries: Mapping[str, list[str]] | None = None,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Start every command, then collect each one's exit code, stdout and stderr by name.

    ``entries`` replaces ``-m explorer`` for the runs it names (e.g. ``-c WRAPPER``).
    """
    environment = dict(env) if env is not None else {**os.environ, "PYTHONPATH": str(REPO)}
    started = {
        name: (
            subprocess.Popen(
                [sys.executable, *(entries or {}).get(name, ["-m", "explorer"]), *arguments],
                cwd=REPO,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            stdin,
        )
        for name, (arguments, stdin) in runs.items()
    }
    results = {}
    for name, (process, stdin) in started.items():
        out, err = process.communicate(stdin, timeout=timeout_s)
        results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return results
