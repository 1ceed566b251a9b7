"""Why a model worker did not start, in words that lead to the fix.

A worker that never says it is ready left only its output behind (kept by the
supervisor). That output tells a missing package (install it) from a sandbox that does
not show the worker a package this Python has (the sandbox's view is at fault, not the
installation), from bubblewrap refusing to start it, from a crash or a slow start: each
gets its own message, and only a package that is really missing gets install advice.
"""

from __future__ import annotations

import importlib.util
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from explorer.errors import DependencyError, ExplorerError, WorkerStartError
from explorer.run import sandbox

INSTALL = "python3 -m pip install -r requirements.txt"
_MISSING = re.compile(r"No module named '([^']+)'")
_BWRAP = re.compile(r"^bwrap: .*")


def start_failure(
    output: Sequence[str], *, returncode: int | None, waited_s: float, sandboxed: bool
) -> ExplorerError:
    """The error for a worker that did not become ready.

    Args:
        output: the worker's last lines of output (stderr), oldest first.
        returncode: how its process ended, or None if it was still starting.
        waited_s: how long it was given to start.
        sandboxed: whether it ran inside bubblewrap.
    """
    said = _said(output)
    refused = [m.group(0) for line in output if (m := _BWRAP.match(line.strip()))]
    if sandboxed and refused:
        return WorkerStartError(
            f"The sandbox (bubblewrap) could not start the model worker: {refused[-1]} "
            f"(Python {sys.executable}, package {sandbox.PACKAGE_DIR}). "
            f"Set {sandbox.ENV_SANDBOX}=off to run models without the sandbox (the unsafe-op "
            "scan is then the only guard)."
        )
    missing = [m.group(1) for line in output if (m := _MISSING.search(line))]
    if missing:
        return _missing_module(missing[-1], said=said, sandboxed=sandboxed)
    if returncode is None:
        return WorkerStartError(
            f"The model worker did not start within {waited_s:g} s (it imports TensorFlow "
            f"first; a busy or small machine can take that long): {said}"
        )
    how = f"signal {_signal_name(-returncode)}" if returncode < 0 else f"exit status {returncode}"
    return WorkerStartError(
        f"The model worker ended while starting ({how}), before it could load a model: {said}"
    )


def _missing_module(name: str, *, said: str, sandboxed: bool) -> ExplorerError:
    top = name.split(".")[0]
    # A top-level name's spec is found without importing it (TensorFlow stays unloaded).
    spec = importlib.util.find_spec(top)
    if spec is None:
        return DependencyError(
            f"The Python package {top!r}, which the model worker imports,",
            INSTALL,
            detail=f"{sys.executable} cannot import it: {said}",
        )
    where = spec.origin or ", ".join(spec.submodule_search_locations or ()) or "(built in)"
    if sandboxed and _shown(where):
        return WorkerStartError(
            f"The model worker cannot import {top!r} inside its sandbox, although the sandbox "
            f"binds where this Python ({sys.executable}) imports it from ({where}): a later "
            "mount hides it there. That is a bug in explorer.run.sandbox (please report it "
            f"with this message); {sandbox.ENV_SANDBOX}=off runs models without the sandbox "
            f"meanwhile (the unsafe-op scan is then the only guard). The worker said: {said}"
        )
    if sandboxed:
        return WorkerStartError(
            f"The model worker cannot import {top!r} inside its sandbox, although this Python "
            f"({sys.executable}) imports it from {where}: the sandbox shows the worker only "
            f"/usr, this Python's installation and site-packages (with what their .pth files "
            f"add) and the explorer package ({sandbox.PACKAGE_DIR}), so a package found "
            "through PYTHONPATH or the working directory is not there. Install it into this "
            f"Python's site-packages, or set {sandbox.ENV_SANDBOX}=off to run models without "
            f"the sandbox (the unsafe-op scan is then the only guard). The worker said: {said}"
        )
    return WorkerStartError(
        f"The model worker ({sys.executable} -m explorer.run.worker) cannot import {top!r}, "
        f"although this process imports it from {where}: the worker's path is this Python's "
        "site-packages, PYTHONPATH and the working directory, and a folder this process "
        f"added to sys.path at run time is not on it. The worker said: {said}"
    )


def _shown(where: str) -> bool:
    """Whether the sandbox binds the folder ``where`` (a file or folder) lives in."""
    path = Path(where).resolve()
    return path.is_relative_to("/usr") or any(
        path.is_relative_to(folder) for folder in sandbox.shown_folders()
    )


def _said(output: Sequence[str]) -> str:
    return " ".join(" ".join(output[-5:]).split())[-600:] or "no output"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)
