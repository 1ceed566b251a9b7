"""The sandbox works wherever Python and the package live, /tmp included, and shows the
model nothing of the host it was not meant to: neither the working directory nor the
host's /tmp. A worker that cannot start says why, and only a package that is really
missing gets install advice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer.errors import DependencyError, WorkerStartError
from explorer.run import sandbox
from explorer.run.worker_start import start_failure
from tests.conftest import REPO, SAMPLES

_SECRET = "the host's secret under /tmp"


@pytest.fixture(scope="module")
def under_tmp() -> Iterator[Path]:
    """A venv made under /tmp (its python and prefix there) holding a copy of the explorer
    package in its site-packages; TensorFlow comes from the base Python's site-packages."""
    # Under /tmp itself, whatever pytest's --basetemp says: /tmp is what the sandbox mounts.
    root = Path(tempfile.mkdtemp(prefix="explorer-under-tmp-", dir="/tmp"))
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(purelib).is_relative_to(venv)
    shutil.copytree(
        REPO / "explorer", Path(purelib) / "explorer", ignore=shutil.ignore_patterns("__pycache__")
    )
    work = root / "work"
    work.mkdir()
    (work / "secret.txt").write_text(_SECRET, encoding="utf-8")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_a_venv_and_package_under_tmp_run_models_in_the_sandbox(under_tmp: Path) -> None:
    assert sandbox.status().sandboxed, sandbox.status().line  # CI installs bubblewrap
    python = under_tmp / "venv" / "bin" / "python"
    work = under_tmp / "work"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # From the working directory under /tmp, as `python -m explorer` there puts it first on
    # sys.path: the package must come from the venv, and the folder must stay outside.
    where = subprocess.run(
        [str(python), "-c", "import explorer; print(explorer.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(under_tmp / "venv"), where
    secret = work / "secret.txt"
    runs = {
        "linear": [
            str(SAMPLES / "portable_linear"),
            "--version",
            "1",
            "-r",
            '{"instances": [[1.0]]}',
        ],
        "read": [
            str(SAMPLES / "unsafe_read_file"),
            "--allow-unsafe-ops",
            "--signature",
            "read_file",
            "-r",
            f'{{"inputs": {{"path": "{secret}"}}}}',
        ],
    }
    started = {
        name: subprocess.Popen(
            [str(python), "-m", "explorer", "predict", *arguments],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, arguments in runs.items()
    }
    done = {name: (p, *p.communicate(timeout=240)) for name, p in started.items()}
    linear, out, err = done["linear"]
    assert linear.returncode == 0, err
    assert out.split() == ["{", '"predictions":', "[[2.5]", "]", "}"]
    read, out, err = done["read"]
    assert read.returncode == 1, err
    assert _SECRET not in out + err
    # stdout stays TF Serving's {"error": ...}; stderr says the sandbox may be what refused.
    assert list(json.loads(out)) == ["error"]
    assert "No such file or directory" in json.loads(out)["error"]
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert f"note: {sandbox.OUTSIDE_NOTE}" in notes
    assert not [line for line in notes if "the failure is the model's own" in line]


def test_the_sandbox_binds_the_python_not_the_folders_on_this_process_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The working directory ('' or its path), a notebook's or a runner's additions.
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend("")
    shown = [Path(p) for p in sandbox.shown_folders()]
    assert Path(sys.prefix).resolve() in shown or any(
        Path(sys.prefix).resolve().is_relative_to(p) for p in shown
    )
    for folder in (tmp_path, Path.cwd(), Path("/tmp")):
        assert not any(folder.is_relative_to(p) for p in shown), (folder, shown)
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert purelib.is_relative_to("/usr") or any(purelib.is_relative_to(p) for p in shown)


def test_a_worker_that_cannot_start_says_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = [
        "Error while finding module specification for 'explorer.run.worker' "
        "(ModuleNotFoundError: No module named 'explorer')"
    ]
    error = start_failure(hidden, returncode=1, waited_s=180, sandboxed=True)
    assert isinstance(error, WorkerStartError)
    assert "a later mount hides it" in str(error)
    assert "EXPLORER_SANDBOX=off" in str(error)
    assert "pip install" not in str(error)

    (tmp_path / "only_on_my_path").mkdir()
    (tmp_path / "only_on_my_path" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    elsewhere = ["ModuleNotFoundError: No module named 'only_on_my_path'"]
    error = start_failure(elsewhere, returncode=1, waited_s=180, sandboxed=True)
    assert isinstance(error, WorkerStartError)
    assert str(tmp_path) in str(error)
    assert "PYTHONPATH" in str(error)

    missing = ["ModuleNotFoundError: No module named 'no_such_package_anywhere.sub'"]
    error = start_failure(missing, returncode=1, waited_s=180, sandboxed=True)
    assert isinstance(error, DependencyError)
    assert "'no_such_package_anywhere'" in str(error)
    assert "pip install" in str(error)

    refused = ["bwrap: execvp /tmp/v/bin/python: No such file or directory"]
    error = start_failure(refused, returncode=1, waited_s=180, sandboxed=True)
    assert isinstance(error, WorkerStartError)
    assert "bubblewrap" in str(error)
    assert "execvp /tmp/v/bin/python" in str(error)

    slow = start_failure(["I0000 cudart_stub.cc:31]"], returncode=None, waited_s=7, sandboxed=True)
    assert isinstance(slow, WorkerStartError)
    assert "within 7 s" in str(slow)
    crashed = start_failure(["Fatal Python error: x"], returncode=-11, waited_s=7, sandboxed=False)
    assert isinstance(crashed, WorkerStartError)
    assert "signal SIGSEGV" in str(crashed)
    assert "Fatal Python error: x" in str(crashed)
