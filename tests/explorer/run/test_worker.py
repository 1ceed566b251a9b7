"""Models run in a sandboxed, supervised worker: what a model or a request does there ends
there, and the caller gets one clear answer."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.errors import ExecutionError, WorkerEndedError
from explorer.model.reader import read_model
from explorer.run import calls, runner, sandbox
from explorer.run.supervisor import CRASH_NOTE, MEMORY_NOTE, TIMEOUT_NOTE
from tests.conftest import HALF_PLUS_TWO_CPU, REPO, SAMPLES
from tests.explorer.run.worker_models import WorkerModels


def _cli(env: dict[str, str], *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "explorer", *arguments],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def ended_runs(misbehaving: WorkerModels) -> dict[str, tuple[int, str, str]]:
    """CLI calls whose worker ends (or must not), started together: each pays TensorFlow's
    start-up in its own worker, so running them at once overlaps those seconds."""
    no_batch = '{"instances": [[[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [1, 2, 3]]]}'
    batch = json.dumps({"instances": [[[[1.0, 2.0, 3.0]] * 4] * 4]})
    runs = {
        "abort": ({}, [str(misbehaving.abort), "--request", '{"instances": [1.0]}']),
        "mkl_conv": ({}, [str(misbehaving.conv), "--kernels", "mkl", "-r", no_batch]),
        "mkl_env": ({"EXPLORER_KERNELS": "mkl"}, [str(misbehaving.conv), "-r", batch]),
        "standard_conv": ({}, [str(misbehaving.conv), "-r", no_batch]),
        "memory": (
            {"EXPLORER_WORKER_MEMORY_MB": "1500"},
            [str(misbehaving.hog), "-r", '{"inputs": {"n": 1000000000}}'],
        ),
        "timeout": (
            {"EXPLORER_CALL_TIMEOUT_S": "3"},
            [str(misbehaving.spin), "-r", '{"inputs": {"n": 1000000000000}}'],
        ),
    }
    started = {name: _cli(env, "predict", *args) for name, (env, args) in runs.items()}
    done = {}
    for name, process in started.items():
        out, err = process.communicate(timeout=240)
        done[name] = (process.returncode, out, err)
    return done


def _error(run: tuple[int, str, str]) -> str:
    code, out, err = run
    assert code == 1, (out, err)
    return str(json.loads(out)["error"])


def test_an_abort_is_the_workers_end_and_the_cli_says_what_tf_serving_would_do(
    ended_runs: dict[str, tuple[int, str, str]],
) -> None:
    error = _error(ended_runs["abort"])
    assert error.startswith("TensorFlow crashed while running this model (signal SIGABRT)")
    assert "the model asked to abort" in error  # TensorFlow's last words, quoted
    # What was sent against the signature, then what TF Serving would have done.
    assert ended_runs["abort"][2].splitlines() == [
        "note: Sent x as DT_FLOAT (1,); the signature declares x as DT_FLOAT (-1,): the request "
        "fits the declaration, so the failure is the model's own.",
        f"note: {CRASH_NOTE}",
    ]


def test_onednn_kernels_crash_where_tf_serving_standard_kernels_answer(
    ended_runs: dict[str, tuple[int, str, str]],
) -> None:
    crash = _error(ended_runs["mkl_conv"])
    assert "signal SIGABRT" in crash
    assert "Check failed: index >= 0 && index < num_total_dims" in crash
    assert "F0000" not in crash  # absl's line prefix is not part of the words
    assert "x has 3 dimensions where 4 are declared" in ended_runs["mkl_conv"][2]
    # TF Serving's standard CPU build (the default here) answers with an error instead.
    answer = _error(ended_runs["standard_conv"])
    assert answer.startswith("convolution input must be 4-dimensional: [2,2,3]")
    # Beside TF Serving's words, what they do not say: the batch dimension is missing.
    assert ended_runs["standard_conv"][2] == (
        "note: Sent x as DT_FLOAT (2, 2, 3); the signature declares x as DT_FLOAT "
        "(-1, 4, 4, 3): x has 3 dimensions where 4 are declared.\n"
    )
    # A good request under the mkl build answers, and says whose kernels ran it.
    code, out, err = ended_runs["mkl_env"]
    assert code == 0, err
    assert len(json.loads(out)["predictions"][0]) == 4
    assert err.strip() == "note: run with TF Serving's mkl build's oneDNN kernels"


def test_a_call_says_whose_kernels_ran_it() -> None:
    answer = calls.predict(HALF_PLUS_TWO_CPU, {"instances": [2.0]})
    assert answer.kernels == "standard"


def test_a_worker_past_its_memory_limit_is_stopped(
    ended_runs: dict[str, tuple[int, str, str]],
) -> None:
    error = _error(ended_runs["memory"])
    assert "memory limit of 1,500 MB (EXPLORER_WORKER_MEMORY_MB)" in error
    assert ended_runs["memory"][2].splitlines()[-1] == f"note: {MEMORY_NOTE}"


def test_a_call_past_its_time_limit_is_stopped(
    ended_runs: dict[str, tuple[int, str, str]],
) -> None:
    error = _error(ended_runs["timeout"])
    assert "took longer than 3 s (EXPLORER_CALL_TIMEOUT_S)" in error
    assert ended_runs["timeout"][2].splitlines()[-1] == f"note: {TIMEOUT_NOTE}"


def test_a_crash_ends_only_the_worker_and_the_next_call_answers(
    misbehaving: WorkerModels,
) -> None:
    good = read_model(SAMPLES / "flowers_tf1")
    calls.predict(good, {"instances": [[[[1.0]] * 4] * 4]})
    before = set(runner.worker_pids())
    with pytest.raises(WorkerEndedError) as ended:
        calls.predict(misbehaving.abort, {"instances": [1.0]})
    assert ended.value.reason == "crashed"
    assert ended.value.code == "INTERNAL"
    answer = calls.predict(good, {"instances": [[[[1.0]] * 4] * 4]})
    assert len(answer.response_json["predictions"][0]) == 3
    after = set(runner.worker_pids())
    assert before - after  # the worker that crashed is gone,
    assert after - before  # and a fresh one answered


def test_the_sandbox_keeps_an_opted_in_model_off_the_hosts_files(
    misbehaving: WorkerModels,
) -> None:
    assert sandbox.status().sandboxed, sandbox.status().line  # CI installs bubblewrap
    with pytest.raises(ExecutionError) as refused:
        calls.predict(misbehaving.files, {"instances": [1.0]}, allow_unsafe=True)
    assert not misbehaving.written.exists()
    assert misbehaving.secret_text not in str(refused.value)
    assert (
        "No such file or directory" in str(refused.value)
        or "not found" in str(refused.value).lower()
    )


def test_inside_the_sandbox_there_is_no_network_and_no_other_file(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    (tmp_path / "models").mkdir()
    probe = (
        "import os, socket\n"
        "out = []\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2); out.append('net')\n"
        "except OSError: pass\n"
        "for path in ('/etc/passwd', os.path.expanduser('~/.bashrc'), "
        f"'{SAMPLES / 'flowers_tf1' / 'saved_model.pb'}'):\n"
        "    if os.path.exists(path): out.append(path)\n"
        "try:\n    open('/models/x', 'w'); out.append('wrote models')\n"
        "except OSError: pass\n"
        "print(repr(out))\n"
    )
    argv, _ = sandbox.worker_command(tmp_path / "models", env={"PATH": "/usr/bin"})
    assert argv[-2:] == ["-m", "explorer.run.worker"]
    done = subprocess.run([*argv[:-2], "-c", probe], capture_output=True, text=True, timeout=60)
    listener.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_bytes_that_run_are_the_bytes_that_were_scanned(tmp_path: Path) -> None:
    folder = tmp_path / "half_plus_two"
    shutil.copytree(HALF_PLUS_TWO_CPU / "00000123", folder)
    model = read_model(folder)  # scanned clean, as read
    unsafe = SAMPLES / "unsafe_read_file" / "saved_model.pb"
    stamp = (folder / "saved_model.pb").stat()
    shutil.copyfile(unsafe, folder / "saved_model.pb")  # swapped after the scan
    os.utime(folder / "saved_model.pb", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    answer = calls.predict(model, {"instances": [2.0]})
    assert answer.response_json == {"predictions": [3.0]}  # half_plus_two's graph ran


def test_loaded_models_stay_within_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(runner.ENV_MODELS, "2")
    runner.unload()
    for i in range(5):
        folder = tmp_path / f"copy{i}"
        shutil.copytree(HALF_PLUS_TWO_CPU / "00000123", folder)
        assert calls.predict(folder, {"instances": [2.0]}).response_json == {"predictions": [3.0]}
        assert len(runner.loaded_models()) <= 2
    assert [Path(d).name for d, _ in runner.loaded_models()] == ["copy3", "copy4"]


def test_an_uploads_model_goes_when_its_folder_goes(tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    shutil.copytree(HALF_PLUS_TWO_CPU / "00000123", folder)
    calls.predict(folder, {"instances": [2.0]})
    shutil.rmtree(folder)
    calls.predict(SAMPLES / "flowers_tf1", {"instances": [[[[1.0]] * 4] * 4]})
    assert str(folder) not in {d for d, _ in runner.loaded_models()}


def test_string_feeds_cross_the_wire_as_bytes() -> None:
    model = read_model(SAMPLES / "flowers_tf1")
    example = calls.request_template(
        model.meta_graph(), model.meta_graph().signature("classify_images"), "classify"
    )
    through_json = calls.classify(model, example)
    assert through_json.outputs["scores"].dtype == np.float32
    assert through_json.outputs["classes"].dtype == object
    assert all(isinstance(v, bytes) for v in through_json.outputs["classes"].flat)


def test_this_process_never_imports_tensorflow() -> None:
    code = (
        "import sys\n"
        "from explorer.run import calls\n"
        f"answer = calls.predict({str(HALF_PLUS_TWO_CPU)!r}, {{'instances': [2.0]}})\n"
        "assert answer.response_json == {'predictions': [3.0]}, answer.response_json\n"
        "assert 'tensorflow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=240)


_REFERENCE = """
import sys
import numpy as np
from explorer.model.reader import read_model
from explorer.run.session import Session
model = read_model(sys.argv[1])
signature = model.meta_graph().signature("serving_default")
session = Session(model.path, tuple(model.meta_graph().tags))
x = np.load(sys.argv[2])
(y,) = session.run({signature.inputs[0].name: x}, [signature.outputs[0].name])
np.save(sys.argv[3], y)
"""


def test_the_workers_answers_are_tensorflows_own_bit_for_bit(
    keras_applications: dict[str, Path], tmp_path: Path
) -> None:
    # The worker keeps TensorFlow's memory between runs (its BFC allocator) and warms its
    # kernels on a graph of its own as it starts: neither changes a bit of an answer. The
    # reference is TensorFlow as TF Serving's standard build runs it: default allocator,
    # no oneDNN.
    model = read_model(keras_applications["MobileNetV2"])
    x = np.random.default_rng(7).random((2, 224, 224, 3), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPU_ALLOCATOR_USE_BFC"}
    subprocess.run(
        [sys.executable, "-c", _REFERENCE, model.path, tmp_path / "x.npy", tmp_path / "y.npy"],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO), "TF_ENABLE_ONEDNN_OPTS": "0"},
        check=True,
        capture_output=True,
        timeout=240,
    )
    want = np.load(tmp_path / "y.npy")
    runner.warm(model.path, model.meta_graph())
    for _ in range(2):  # the first call after the warm-up, and a warm one
        (got,) = calls.predict_arrays(model, {"keras_tensor": x}).outputs.values()
        assert np.asarray(got).tobytes() == want.tobytes()
