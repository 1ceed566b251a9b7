"""A real ``streamlit run app.py`` on loopback and Debian's chromium driven by Playwright."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from explorer.cli.app_server import running_app
from tests.conftest import REPO
from tests.explorer.run.worker_models import WorkerModels

# Debian's chromium and its flags live in tests/conftest.py, beside the shared browser.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serving_app(roots: Sequence[Path]) -> AbstractContextManager[str]:
    """This checkout's app (``app.py``) on a free loopback port with these allowed roots:
    its URL once its health endpoint answers."""
    return running_app(REPO / "app.py", roots, timeout_s=60)


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
