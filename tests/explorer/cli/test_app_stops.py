"""``signature-explorer app`` takes its Streamlit server with it when it stops: on SIGTERM
and SIGHUP it stops the server and waits for it; killed outright (SIGKILL), the kernel
stops the server (Linux's parent-death signal). Either way the server's process is gone
and its port no longer answers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

_ADDRESS = re.compile(r"^Signature Explorer: http://127\.0\.0\.1:(\d+)/")
_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as kids:
            found += [int(k) for k in kids.read().split()]
    return found


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie waiting for whoever adopted it to reap it."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _port(launcher: subprocess.Popen[str], log: Path) -> int:
    assert launcher.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = launcher.stdout.readline()
        if not line and launcher.poll() is not None:
            break
        if match := _ADDRESS.match(line):
            return int(match[1])
    pytest.fail(f"the app printed no address: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def launchers(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:  # whatever a failed test left: the whole session goes
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def test_the_apps_server_ends_with_the_command(
    tmp_path: Path, launchers: list[subprocess.Popen[str]]
) -> None:
    for signum in _SIGNALS:  # started together: each waits for Streamlit's start-up
        log = tmp_path / f"{signum.name}.log"
        with log.open("w") as stderr:
            launchers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "explorer", "app", "--no-browser", "--port", "0"],
                    cwd=REPO,
                    env={**os.environ, "PYTHONPATH": str(REPO)},
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                    start_new_session=True,  # its own group: the fixture can end it all
                )
            )
    servers = {}
    for signum, launcher in zip(_SIGNALS, launchers, strict=True):
        port = _port(launcher, tmp_path / f"{signum.name}.log")
        (server,) = _children(launcher.pid)
        assert _answers(port)
        servers[signum] = (launcher, server, port)
    for signum, (launcher, _, _) in servers.items():
        os.kill(launcher.pid, signum)
    for signum, (launcher, server, port) in servers.items():
        code = launcher.wait(timeout=30)
        # Stopped on request (like Ctrl-C) exits 0; SIGKILL leaves it no say.
        assert code == (-signal.SIGKILL if signum == signal.SIGKILL else 0), signum.name
        deadline = time.monotonic() + 20
        while not _gone(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(server), f"{signum.name}: Streamlit ({server}) outlived the command"
        assert not _answers(port), f"{signum.name}: port {port} still answers"
