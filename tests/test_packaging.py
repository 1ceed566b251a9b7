"""Installed like its peers: the wheel holds the library, the app and the samples; a fresh
venv installed from it shows a sample and starts the app; the README's quick start runs as
written.

One fresh venv serves every test here (TensorFlow's wheel is big: pip takes it from its
cache after the first time): the wheel built from a copy of the checkout is installed
into it with the ``[app]`` extra, then the README's command reinstalls the package from
that copy's source, as a reader would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

_QUICK_START = re.compile(r"## Quick start\n.*?```bash\n(.*?)```.*?```bash\n(.*?)```", re.DOTALL)
_ADDRESS = re.compile(r"^Signature Explorer: (http://\S+)$", re.MULTILINE)
_PIP_QUIET = ("--quiet", "--disable-pip-version-check")


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's files as a fresh clone has them (plus work not yet committed)."""
    copy = tmp_path_factory.mktemp("source")
    for name in _tracked_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *_PIP_QUIET, "--no-deps", "-w", str(out), "."],
        cwd=source,
        check=True,
    )
    (built,) = out.glob("signature_explorer-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its [app] extra."""
    home = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    subprocess.run(
        # --no-compile: byte-compiling TensorFlow's thousands of modules is most of an
        # install's time, and nothing here needs it done ahead.
        [
            str(home / "bin" / "python"),
            "-m",
            "pip",
            "install",
            *_PIP_QUIET,
            "--no-compile",
            f"{wheel}[app]",
        ],
        check=True,
        timeout=1500,
    )
    return home


def _env(venv: Path) -> dict[str, str]:
    """A shell in the venv, as `source bin/activate` makes it; BROWSER=true: the browser the
    app opens is a no-op here (the test reads the page itself)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        BROWSER="true",
    )
    return env


def test_the_wheel_holds_the_library_the_app_and_the_samples(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n.split("/")[0] for n in names} == {
        "explorer",
        "-".join(wheel.name.split("-")[:2]) + ".dist-info",
    }
    # The C extension is compiled in (a wheel for this platform), its sources are not.
    assert any(n.startswith("explorer/codec/_speedups.") and n.endswith(".so") for n in names)
    assert not [n for n in names if "_speedups_c/" in n]
    assert "explorer/cli/app.py" in names
    assert "explorer/present/assets/graph_view.js" in names
    assert "explorer/_app/app.py" in names
    assert "explorer/_app/setup.py" not in names
    tracked = _tracked_files()
    for prefix in ("components/", "sample_models/"):
        shipped = {n for n in tracked if n.startswith(prefix) and "__pycache__" not in n}
        assert shipped, prefix
        missing = sorted(n for n in shipped if f"explorer/_app/{n}" not in names)
        assert not missing, f"the wheel lacks {missing[:5]}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def _start(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    # A session of its own: the shell, pip and Streamlit's process stop together.
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _address(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The app's address from the command's first line (it prints it once the page answers)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        match = _ADDRESS.match(line.rstrip("\n"))
        if match:
            return match[1]
    stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
    pytest.fail(f"the app printed no address: {''.join(seen)[-2000:]} {stderr[-2000:]}")


def _page_shows(browser, url: str, *texts: str) -> None:
    """The page answers, and in a browser it draws the app (its components imported from
    where the package put them) with ``texts`` on it."""
    base = url.split("?")[0]
    with urllib.request.urlopen(f"{base}_stcore/health", timeout=10) as response:
        assert response.read().decode() == "ok"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert "<title>Streamlit</title>" in response.read().decode()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    for text in texts:  # some are drawn in a canvas grid: looked for in the page's text
        page.wait_for_function(
            "(text) => document.body.textContent.includes(text)", arg=text, timeout=90_000
        )
    page.close()


def test_the_installed_wheel_shows_a_sample_and_starts_the_app(
    venv: Path, tmp_path: Path, running: list[subprocess.Popen[str]], browser
) -> None:
    env = _env(venv)
    where = subprocess.run(
        ["python", "-c", "import explorer.model.samples as s; print(s.SAMPLES_DIR)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    samples = Path(where)
    assert samples.is_relative_to(venv), "the samples come from the installed wheel"
    shown = subprocess.run(
        ["signature-explorer", "show", str(samples / "tabular_churn")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "regress_lifetime_value" in shown.stdout
    app = _start(
        [
            "signature-explorer",
            "app",
            str(samples / "tabular_churn"),
            "--port",
            "0",
            "--no-browser",
        ],
        tmp_path,
        env,
    )
    running.append(app)
    url = _address(app, timeout_s=180)
    assert url.startswith("http://127.0.0.1:")
    assert "?folder=" in url
    _page_shows(browser, url, "Signature Explorer", "regress_lifetime_value")


def test_the_readme_quick_start_runs_as_written(
    venv: Path, source: Path, running: list[subprocess.Popen[str]], browser
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = _QUICK_START.search(readme)
    assert match, "README.md's Quick start has two bash blocks"
    install_and_run, tests = (block.strip() for block in match.groups())
    assert install_and_run.endswith("signature-explorer app"), install_and_run
    # The second is what CI runs (.ci/run): the whole suite this test is part of.
    assert tests == "./scripts/test"
    assert os.access(source / "scripts" / "test", os.X_OK)
    app = _start(["bash", "-c", install_and_run], source, _env(venv))
    running.append(app)
    url = _address(app, timeout_s=600)
    _page_shows(browser, url, "Signature Explorer", "flowers_tf1")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["/no/such/model"], "error: Path does not exist: /no/such/model"),
        (["--port", "70000"], "error: argument --port: '70000' is not a port (0–65535)"),
        (["--host", " "], 'error: --host "": name an interface'),
    ],
)
def test_app_refuses_what_it_cannot_use_in_one_line(arguments: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "app", *arguments, "--no-browser"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(message), line
