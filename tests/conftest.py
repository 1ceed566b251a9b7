"""Shared fixtures: where the bundled samples and TF Serving's anchor models live."""

from __future__ import annotations

import fcntl
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from explorer.codec import rest_request
from tests.explorer.codec.request_paths import checked_predict_inputs
from tests.explorer.run.worker_models import WorkerModels, build

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_models"
ANCHORS = REPO.parent / "shared" / "anchors" / "tfserving"
HALF_PLUS_TWO_CPU = ANCHORS / "saved_model_half_plus_two_cpu"
HALF_PLUS_TWO_2_VERSIONS = ANCHORS / "saved_model_half_plus_two_2_versions"


@pytest.fixture(scope="session", autouse=True)
def _request_paths_agree() -> Iterator[None]:
    """Every REST predict body any test sends that a fast reader reads is read again by the
    exact path and by each fast reader (the C extension's and pysimdjson's), which must all
    give the same tensors or the same error (tests/explorer/codec/request_paths.py)."""
    original = rest_request.predict_inputs
    rest_request.predict_inputs = checked_predict_inputs(original)  # type: ignore[assignment]
    yield
    rest_request.predict_inputs = original  # type: ignore[assignment]


@pytest.fixture(scope="session")
def anchors() -> Path:
    if not ANCHORS.is_dir():
        pytest.fail(f"TF Serving anchor models missing: expected them at {ANCHORS}")
    return ANCHORS


@pytest.fixture(scope="session")
def half_plus_two_cpu(anchors: Path) -> Path:
    return anchors / "saved_model_half_plus_two_cpu"


@pytest.fixture(scope="session")
def half_plus_two_2_versions(anchors: Path) -> Path:
    return anchors / "saved_model_half_plus_two_2_versions"


@pytest.fixture(scope="session")
def misbehaving(tmp_path_factory: pytest.TempPathFactory) -> WorkerModels:
    """Models that abort, touch host files, grow or spin, built once per session."""
    return build(tmp_path_factory.mktemp("worker_models"))


@pytest.fixture(scope="session")
def keras_applications(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Keras ResNet50, MobileNetV2 and EfficientNetB0 (random weights) exported as
    SavedModels once per test session, with the benchmarks' exporter (bench/_export.py)."""
    export = _bench_helper("_export")
    root = _run_wide_folder(tmp_path_factory, "keras_applications")
    # One test process exports while the others wait: the exports are ~25 s of CPU each
    # time, and the two processes share two CPUs.
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return export.export_applications(KERAS_APPLICATIONS, cache_root=root)


def _bench_helper(name: str) -> ModuleType:
    """One of ``bench/``'s shared helpers (the exporter, the browser's launch): the tests
    use the benchmarks' own, so both measure and check the same models and browser."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_wide_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of this test run shared by its pytest-xdist processes (each has its own
    base temp folder inside the run's), or this session's own without xdist."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return tmp_path_factory.mktemp(name)
    folder = tmp_path_factory.getbasetemp().parent / name
    folder.mkdir(exist_ok=True)
    return folder


KERAS_APPLICATIONS = ("ResNet50", "MobileNetV2", "EfficientNetB0")


@pytest.fixture(scope="session")
def browser():  # yields a Playwright Browser
    """Debian's chromium through Playwright, one for the whole session: Playwright's sync
    API runs one event loop per thread, so every test that drives a browser shares it."""
    chromium = _bench_helper("_chromium")
    if not chromium.CHROMIUM.exists():
        pytest.fail(f"chromium not found at {chromium.CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        yield browser
        browser.close()
