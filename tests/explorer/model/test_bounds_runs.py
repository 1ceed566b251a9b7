"""From outside: the CLI refuses each hostile model in one stderr line (exit 2, no crash, no
hang, no worker started), and real models still open and run under the default limits —
Keras MobileNetV2 (exported in this session) through the CLI, and every signature of every
sample in-process."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from explorer.constants import CLASSIFY_METHOD_NAME, REGRESS_METHOD_NAME
from explorer.errors import ExecutionError
from explorer.model.bounds import (
    ENV_MAX_CALL_DEPTH,
    ENV_MAX_CONSTANT_BYTES,
    ENV_MAX_GRAPH_DEPTH,
    ENV_MAX_NODES,
)
from explorer.model.reader import read_model
from explorer.run import calls
from sample_models.build import SAMPLES
from tests.cli_runs import run_explorer_commands
from tests.conftest import REPO
from tests.conftest import SAMPLES as SAMPLES_DIR
from tests.explorer.model import hostile_graphs as hostile

# name → (model, the variable the one stderr line names)
REFUSED = {
    "mutual calls": (hostile.mutual_calls, ENV_MAX_CALL_DEPTH),
    "call chain 20,000 deep": (lambda: hostile.call_chain(20_000), ENV_MAX_CALL_DEPTH),
    "chain of 200k ops": (lambda: hostile.node_chain(200_000), ENV_MAX_GRAPH_DEPTH),
    "2**30 nodes once inlined": (lambda: hostile.fan_out(31), ENV_MAX_NODES),
    "a 100-byte Const of 5 GB": (
        lambda: hostile.big_const((50_000, 25_000)),
        ENV_MAX_CONSTANT_BYTES,
    ),
}


@pytest.fixture(scope="module")
def cli_runs(
    tmp_path_factory: pytest.TempPathFactory, keras_applications: dict[str, Path]
) -> dict[str, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("bounds_cli")
    request = root / "mobilenet.json"
    request.write_text(json.dumps({"instances": np.zeros((1, 224, 224, 3)).tolist()}))
    runs = {
        name: (["predict", str(hostile.write(build(), root / f"m{i}")), "-r", "[1.0]"], None)
        for i, (name, (build, _)) in enumerate(REFUSED.items())
    }
    runs["MobileNetV2"] = (
        ["predict", str(keras_applications["MobileNetV2"]), "--request", f"@{request}"],
        None,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return run_explorer_commands(runs, env, timeout_s=240)


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_cli_refuses_in_one_line(
    cli_runs: dict[str, subprocess.CompletedProcess[str]], name: str
) -> None:
    run = cli_runs[name]
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])  # not 139, not 134
    assert run.stdout == ""
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("error: Refusing to load this model: ")
    assert REFUSED[name][1] in line
    assert "crashed" not in line  # refused before TensorFlow, not survived after


def test_keras_mobilenet_still_runs(cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = cli_runs["MobileNetV2"]
    assert run.returncode == 0, run.stderr[-2000:]
    (prediction,) = json.loads(run.stdout)["predictions"]
    assert len(prediction) == 1000
    assert abs(sum(prediction) - 1.0) < 1e-3  # a softmax


SAMPLE_CASES = [
    pytest.param(spec.name, version, id=spec.name + (f"/{version}" if version else ""))
    for spec in SAMPLES
    for version in spec.signature_maps()
]


@pytest.mark.parametrize(("name", "version"), SAMPLE_CASES)
def test_every_sample_still_runs(name: str, version: int | None) -> None:
    meta_graph = read_model(SAMPLES_DIR / name, version=version).meta_graph()
    for signature in meta_graph.callable_signatures:
        method = {CLASSIFY_METHOD_NAME: "classify", REGRESS_METHOD_NAME: "regress"}.get(
            signature.method_name, "predict"
        )
        body = {**calls.request_template(meta_graph, signature, method)}
        body["signature_name"] = signature.key
        call = getattr(calls, method)
        if name == "unsafe_read_file":  # runs only with the opt-in, in a worker of its own
            if signature.key == "read_file":  # the prefilled name reads nothing: TF says so
                with pytest.raises(ExecutionError, match="No such file or directory"):
                    call(meta_graph, body, allow_unsafe=True)
                continue
            result = call(meta_graph, body, allow_unsafe=True)
        else:
            result = call(meta_graph, body)
        assert result.response_json, (name, signature.key)
        assert "error" not in result.response_json, (name, signature.key)
