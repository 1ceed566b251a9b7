"""Warm before Run: a model opened loads in the background and its signature's run is
prepared, so the first call reuses what the warm-up built; preparing runs nothing, so a
stateful model answers exactly as TF Serving would; warmed models stay within the bound.

TF Serving's ``predict_util_test.cc`` PredictionWithCustomizedSignatures (its
``saved_model_counter`` model: get, increment, reset, increment by) is the stateful case,
rebuilt here as a TF1 model with a counter variable.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explorer.errors import ExecutionError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import calls, runner
from explorer.run.warmup import prepare_signature


def build_counter(path: Path) -> Path:
    """saved_model_counter's signatures: get_counter, incr_counter, reset_counter and
    incr_counter_by(delta), each with one output "output"."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    v1 = tf.compat.v1

    def info(tensor: Any) -> Any:
        return meta_graph_pb2.TensorInfo(name=tensor.name, dtype=tensor.dtype.as_datatype_enum)

    def signature(outputs: Any, inputs: Any = None) -> Any:
        return meta_graph_pb2.SignatureDef(
            inputs={k: info(v) for k, v in (inputs or {}).items()},
            outputs={"output": info(outputs)},
            method_name="tensorflow/serving/predict",
        )

    with tf.Graph().as_default(), v1.Session() as session:
        counter = v1.Variable(0.0, name="counter", use_resource=False)
        delta = v1.placeholder(tf.float32, [], name="delta")
        signatures = {
            "get_counter": signature(tf.identity(counter, name="get")),
            "incr_counter": signature(v1.assign_add(counter, 1.0)),
            "reset_counter": signature(v1.assign(counter, 0.0)),
            "incr_counter_by": signature(v1.assign_add(counter, delta), {"delta": delta}),
        }
        session.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
        builder.save()
    return path


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> ModelInfo:
    return read_model(build_counter(tmp_path_factory.mktemp("counter") / "counter"))


def wait_until_warm(model: ModelInfo, timeout_s: float = 120.0) -> None:
    meta_graph = model.meta_graph()
    deadline = time.monotonic() + timeout_s
    while runner.model_state(model.path, meta_graph) != "loaded":
        assert time.monotonic() < deadline, "the model did not warm in time"
        time.sleep(0.05)


def test_warming_runs_nothing_so_a_counter_counts_as_in_tf_serving(counter: ModelInfo) -> None:
    meta_graph = counter.meta_graph()
    runner.unload(counter.path)
    assert runner.model_state(counter.path, meta_graph) == "idle"
    for key in ("incr_counter", "reset_counter", "incr_counter_by", "get_counter"):
        runner.warm(counter.path, meta_graph, signature=key)
    assert runner.model_state(counter.path, meta_graph) in ("loading", "loaded")
    wait_until_warm(counter)

    def call(key: str, inputs: dict[str, Any] | None = None, **options: Any) -> float:
        result = calls.predict_arrays(counter, inputs or {}, signature=key, **options)
        return float(np.asarray(result.outputs["output"]))

    # predict_util_test.cc PredictionWithCustomizedSignatures: 0, 1, 0, 1, then +3 → 4.
    assert call("get_counter") == 0.0
    assert call("incr_counter") == 1.0
    assert call("reset_counter") == 0.0
    assert call("incr_counter", output_filter=["output"]) == 1.0
    assert call("incr_counter_by", {"delta": np.float32(3.0)}) == 4.0


def test_the_first_call_uses_the_run_the_warm_up_prepared(counter: ModelInfo) -> None:
    meta_graph = counter.meta_graph()
    runner.warm(counter.path, meta_graph, signature="incr_counter_by")
    wait_until_warm(counter)
    model, load_ms = runner.load(counter.path, meta_graph)
    assert load_ms == 0.0  # loaded by the warm-up
    signature = meta_graph.signature("incr_counter_by")
    feeds = [t.name or "" for t in signature.inputs]
    fetches = [t.name or "" for t in signature.outputs]
    # Ready already: the warm-up built exactly the run a Predict of it makes ...
    assert model.prepare(feeds, fetches) is False
    # ... whereas another set of fetches is built on demand, once.
    other = ["counter:0"]
    assert model.prepare(feeds, other) is True
    assert model.prepare(feeds, other) is False
    # A call feeding by another spelling of the same names reuses it too.
    calls.predict_arrays(counter, {"delta": np.float32(0.0)}, signature="incr_counter_by")
    assert model.prepare(["delta"], fetches) is False


def test_a_signature_that_cannot_be_prepared_leaves_its_error_to_the_call(
    counter: ModelInfo,
) -> None:
    meta_graph = counter.meta_graph()
    model, _ = runner.load(counter.path, meta_graph)
    signature = meta_graph.signature("get_counter")
    missing = dataclasses.replace(signature.outputs[0], name="no_such_op:0")
    broken = dataclasses.replace(signature, outputs=(missing,))
    prepare_signature(model, broken)  # quietly: the warm-up never raises
    with pytest.raises(ExecutionError, match="no_such_op:0, specified in either feed_devices"):
        model.run({}, ["no_such_op:0"])


def test_warm_models_stay_within_the_bound(
    counter: ModelInfo,
    half_plus_two_cpu: Path,
    half_plus_two_2_versions: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(runner.ENV_MODELS, "2")
    runner.unload()  # the bound applies from here on (other tests loaded more)
    models = [
        counter,
        read_model(half_plus_two_cpu),
        read_model(half_plus_two_2_versions, version=123),
        read_model(half_plus_two_2_versions, version=124),
    ]
    for model in models:
        runner.warm(model.path, model.meta_graph())
        wait_until_warm(model)
        assert len(runner.loaded_models()) <= 2
    # The last two warmed are the ones loaded; each answers at once.
    loaded = runner.loaded_models()
    assert [m.path for m in models[-2:]] == [directory for directory, _ in loaded]
    result = calls.predict(models[-1], {"instances": [2.0]})
    assert result.timing.load_ms == 0.0


def test_one_tensor_fetched_under_two_spellings(counter: ModelInfo) -> None:
    # An extra fetch naming an output's tensor another way ("get" for "get:0") is answered
    # with the same value, in the order asked.
    result = calls.predict_arrays(counter, {}, signature="get_counter", extra_fetches=["get"])
    assert float(result.extra["get"]) == float(np.asarray(result.outputs["output"]))


def test_a_model_unloaded_since_its_warm_up_is_warmed_again(counter: ModelInfo) -> None:
    # The app warms the model it shows on every look: once the model has gone from its
    # worker (unloaded, evicted by the bound, or the worker ended), the next look loads it
    # again, whether a warm-up or a call loaded it before.
    meta_graph = counter.meta_graph()
    for _ in range(2):
        runner.warm(counter.path, meta_graph, signature="get_counter")
        wait_until_warm(counter)
        runner.unload(counter.path)
        assert runner.model_state(counter.path, meta_graph) == "idle"
    calls.predict_arrays(counter, {}, signature="get_counter")  # loaded by a call
    runner.unload(counter.path)
    runner.warm(counter.path, meta_graph, signature="get_counter")
    wait_until_warm(counter)
    _, load_ms = runner.load(counter.path, meta_graph)
    assert load_ms == 0.0
