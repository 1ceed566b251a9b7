"""The app's server as a process: Streamlit serving the app's page on one address, known
to be up once its health endpoint answers, stopped with it.

``signature-explorer app`` runs one for a person; the tests and the benchmarks run one to
drive in a browser (:func:`running_app`), so there is one way to start, wait for and stop
the app.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from explorer.errors import UsageError
from explorer.model.locate import ENV_ALLOWED_ROOTS

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Streamlit starts in a few seconds; a first start on a cold disk can take much longer.
START_TIMEOUT_S = 120.0


class AppStartError(RuntimeError):
    """The app's server ended, or never answered, before it was up."""


def start_app(
    script: Path,
    host: str,
    port: int,
    roots: Sequence[str | os.PathLike[str]],
    *,
    toolbar: str = "minimal",
    stderr: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Streamlit's server for ``script`` on ``host:port``, allowed to open ``roots``, its
    log to ``stderr`` (default: this process's); on Linux it gets SIGTERM when this
    process ends, however it ends."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.address",
            host,
            "--server.port",
            str(port),
            # Streamlit opens no browser itself: the caller does, once the page answers.
            "--server.headless",
            "true",
            # The app's files do not change under a running server.
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
            # "minimal": a tool's page, not a development server (no "Deploy" button).
            "--client.toolbarMode",
            toolbar,
        ],
        cwd=script.parent,
        env={**os.environ, ENV_ALLOWED_ROOTS: os.pathsep.join(map(str, roots))},
        # Streamlit's own banner names the address too; the caller says where it is.
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        preexec_fn=_die_with_parent(os.getpid()) if sys.platform.startswith("linux") else None,
    )


def wait_healthy(
    process: subprocess.Popen[bytes],
    base: str,
    timeout_s: float = START_TIMEOUT_S,
    poll_s: float = 0.2,
) -> bool:
    """Poll Streamlit's health endpoint (``base`` ends in "/") every ``poll_s`` until it
    answers ``ok``; False: the server ended, or did not answer within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}_stcore/health", timeout=2) as response:
                if response.read().decode() == "ok":
                    return True
        except OSError:
            pass
        time.sleep(poll_s)
    return False


def stop_app(process: subprocess.Popen[bytes]) -> None:
    """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


@contextlib.contextmanager
def running_app(
    script: Path,
    roots: Sequence[str | os.PathLike[str]],
    *,
    host: str = "127.0.0.1",
    timeout_s: float = START_TIMEOUT_S,
) -> Iterator[str]:
    """The app served on a free port of ``host`` while the block runs: its base URL.

    Raises:
        AppStartError: the server ended or did not answer in time (its last words).
    """
    port = bind(host, 0) or 0
    # A file, not a pipe: a pipe nobody reads would stall a server that logs a lot.
    with tempfile.TemporaryFile() as log:
        process = start_app(script, host, port, roots, stderr=log)
        try:
            base = f"http://{host}:{port}/"
            if not wait_healthy(process, base, timeout_s):
                stop_app(process)
                log.seek(0)
                said = log.read().decode(errors="replace")
                raise AppStartError(f"the app did not come up on {base}: {said[-2000:]}")
            yield base.rstrip("/")
        finally:
            stop_app(process)


def choose_port(host: str, wanted: int | None, first: int, tries: int) -> int:
    """``wanted`` if free (0: any free port); without one, the first free from ``first``.

    Raises:
        UsageError: none of them can be had, or ``host`` is not an address here.
    """
    if wanted == 0:
        return bind(host, 0) or 0
    start = first if wanted is None else wanted
    last = start + (tries if wanted is None else 1)
    for port in range(start, min(last, 65536)):
        if bind(host, port) is not None:
            return port
    tried = f"ports {start}–{last - 1} are" if wanted is None else f"port {start} is"
    raise UsageError(f"Cannot listen on {host}: {tried} in use. Pick another with --port N.")


def bind(host: str, port: int) -> int | None:
    """The port if ``host:port`` can be bound now, else None.

    Raises:
        UsageError: ``host`` is not an address of this machine.
    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: not an address of this machine ({exc}).") from exc
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return None
        return int(sock.getsockname()[1])


def _die_with_parent(parent: int) -> Callable[[], None]:
    """What the server's process runs before Streamlit: on Linux, ask the kernel to send it
    SIGTERM when the parent's process ends, however it ends (prctl PR_SET_PDEATHSIG)."""
    # Loaded now, before the fork: between fork and exec the child only makes the call.
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # it died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arm
