"""A real ``streamlit run app.py`` on loopback and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.explorer.run.worker_models import WorkerModels

# Debian's chromium and its flags live in tests/conftest.py, beside the shared browser.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_app(roots: Sequence[Path]) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port with these allowed roots; its URL
    once its health endpoint answers."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env={**os.environ, "EXPLORER_ALLOWED_ROOTS": os.pathsep.join(map(str, roots))},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode() == "ok":
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                err = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"streamlit did not come up on {url}: {err[-2000:]}")
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def app_url(misbehaving: WorkerModels) -> Iterator[str]:
    # The misbehaving models (built in the test session) may be opened as server folders.
    with serving_app((REPO, misbehaving.abort.parent)) as url:
        yield url


@pytest.fixture(scope="session")
def keras_app_url(keras_applications: dict[str, Path]) -> Iterator[str]:
    """The app with the exported Keras applications' folder among the allowed roots."""
    with serving_app((REPO, keras_applications["ResNet50"].parent)) as url:
        yield url
