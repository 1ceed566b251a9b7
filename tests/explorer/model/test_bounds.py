"""Models that would crash or exhaust TensorFlow are refused before anything is loaded.

Each hostile model is built here from protos (``hostile_graphs``), read back with the
TensorFlow-free reader, and refused by ``check_bounds`` with a ModelLimitError naming the
limit, the model's value and the variable that raises it; a call through the runner is
refused the same way without a worker loading anything. Real models keep well inside the
defaults: Keras ResNet50, MobileNetV2 and EfficientNetB0, every sample and TF Serving's
anchors.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explorer.errors import ExecutionError, ModelLimitError, UsageError
from explorer.model.bounds import (
    ENV_MAX_CALL_DEPTH,
    ENV_MAX_CONSTANT_BYTES,
    ENV_MAX_GRAPH_DEPTH,
    ENV_MAX_NODES,
    ENV_MAX_PBTXT_BYTES,
    ModelBounds,
    check_bounds,
)
from explorer.model.extent import measure, tensor_bytes
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from explorer.run import calls, runner
from sample_models.build import SAMPLES
from tests.conftest import ANCHORS
from tests.conftest import SAMPLES as SAMPLES_DIR
from tests.explorer.model import hostile_graphs as hostile

# name → (builder, the limit's variable, words of the message)
HOSTILE: dict[str, tuple[Callable[[], Any], str, str]] = {
    "self call": (
        hostile.self_call,
        ENV_MAX_CALL_DEPTH,
        'function "again" calls itself (again → again)',
    ),
    "mutual calls": (
        hostile.mutual_calls,
        ENV_MAX_CALL_DEPTH,
        "call each other in a cycle (ping → pong → ping)",
    ),
    "nested attr cycle": (
        hostile.nested_attr_cycle,
        ENV_MAX_CALL_DEPTH,
        'function "outer" calls itself (outer → outer)',
    ),
    "call chain 20,000 deep": (
        lambda: hostile.call_chain(20_000),
        ENV_MAX_CALL_DEPTH,
        "function calls nested 20,000 deep (f0 → f1 → f2 → … (19996 more) → f19999), past "
        "the limit of 100 levels",
    ),
    # The 200k-op chain at top level is refused by the CLI in test_bounds_runs.
    "chain of 60k ops in a function": (
        lambda: hostile.node_chain(60_000, in_function=True),
        ENV_MAX_GRAPH_DEPTH,
        "a path of 60,002 ops",
    ),
    "a million nodes": (
        lambda: hostile.wide(1_000_000),
        ENV_MAX_NODES,
        "it has 1,000,001 nodes, past the limit of 500,000 nodes",
    ),
    "2**40 nodes once inlined": (
        lambda: hostile.fan_out(41),
        ENV_MAX_NODES,
        '4,398,046,511,103 nodes in one run of signature "serving_default" once its function '
        "calls are inlined (123 as written)",
    ),
    "a 100-byte Const of 5 GB": (
        lambda: hostile.big_const((50_000, 25_000)),
        ENV_MAX_CONSTANT_BYTES,
        'constants that take 5.0 GB once materialized; the largest is Const "c" (shape '
        "[50000,25000]), 5.0 GB, past the limit of 2,147,483,648 bytes",
    ),
    "a string Const of 8 GB": (
        lambda: hostile.big_const((1_000_000,), hostile.STRING, b"s" * 8000),
        ENV_MAX_CONSTANT_BYTES,
        "constants that take 8.0 GB once materialized",
    ),
    "a defaults entry of 1.2e9 floats": (
        lambda: hostile.big_default((1_200_000_000,)),
        ENV_MAX_CONSTANT_BYTES,
        'the largest is default "x" of signature "serving_default" (shape [1200000000]), 4.8 GB',
    ),
}


@pytest.fixture(scope="module")
def hostile_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile_graphs")
    return {
        name: hostile.write(build(), root / f"m{i}")
        for i, (name, (build, _, _)) in enumerate(HOSTILE.items())
    }


def _meta_graph(folder: Path) -> MetaGraphInfo:
    return read_model(folder).meta_graph()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_model_is_refused_with_its_limit(
    hostile_models: dict[str, Path], name: str
) -> None:
    _, limit, words = HOSTILE[name]
    meta_graph = _meta_graph(hostile_models[name])
    with pytest.raises(ModelLimitError) as info:
        check_bounds(meta_graph, ModelBounds())
    message = str(info.value)
    assert message.startswith("Refusing to load this model: ")
    assert words in message
    assert info.value.limit == limit
    assert limit in message
    assert "no setting allows it" in message or f"raise {limit} (0 turns the limit off)" in message


@pytest.mark.parametrize(
    "name", [n for n, case in HOSTILE.items() if case[1] == ENV_MAX_CONSTANT_BYTES]
)
def test_constants_are_measured_never_materialized(
    hostile_models: dict[str, Path], name: str
) -> None:
    meta_graph = _meta_graph(hostile_models[name])
    tracemalloc.start()
    try:
        with pytest.raises(ModelLimitError):
            check_bounds(meta_graph, ModelBounds())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # gigabytes asked for, not a megabyte taken


def test_a_call_through_the_runner_is_refused_before_any_worker_loads(
    hostile_models: dict[str, Path],
) -> None:
    loaded_before = runner.loaded_models()
    for name in ("self call", "a 100-byte Const of 5 GB", "2**40 nodes once inlined"):
        model = read_model(hostile_models[name])
        with pytest.raises(ModelLimitError, match=HOSTILE[name][1]):
            calls.predict(model, {"inputs": {"x": [1.0]}})
    assert runner.loaded_models() == loaded_before


def test_an_oversized_default_is_refused_when_used_and_at_load(
    hostile_models: dict[str, Path],
) -> None:
    model = read_model(hostile_models["a defaults entry of 1.2e9 floats"])
    # Left out, it is decoded first: refused without allocating (TF Serving's words).
    with pytest.raises(ExecutionError, match="tensor parsing error: x"):
        calls.predict_arrays(model, {})
    with pytest.raises(ModelLimitError, match=ENV_MAX_CONSTANT_BYTES):
        calls.predict(model, {"inputs": {"x": [1.0]}})


def test_a_limit_raised_or_turned_off_lets_the_model_through(
    hostile_models: dict[str, Path],
) -> None:
    meta_graph = _meta_graph(hostile_models["call chain 20,000 deep"])
    extent = check_bounds(meta_graph, ModelBounds(max_call_depth=0, max_graph_depth=20_002))
    assert (extent.call_depth, extent.graph_depth) == (20_000, 20_002)  # x, call, 20,000 ids
    assert extent.deepest_call[:2] == ("f0", "f1")
    with pytest.raises(ModelLimitError, match="no setting allows it"):
        check_bounds(_meta_graph(hostile_models["self call"]), ModelBounds(max_call_depth=0))


def test_limits_come_from_the_environment() -> None:
    env = {
        ENV_MAX_NODES: "1_000",
        ENV_MAX_CALL_DEPTH: "3",
        ENV_MAX_GRAPH_DEPTH: "0",
        ENV_MAX_CONSTANT_BYTES: "1024",
        ENV_MAX_PBTXT_BYTES: " 99 ",
    }
    assert ModelBounds.from_env(env) == ModelBounds(1000, 3, 0, 1024, 99)
    assert ModelBounds.from_env({}) == ModelBounds()
    for bad in ("lots", "-1", "1.5"):
        with pytest.raises(UsageError, match=f'{ENV_MAX_NODES}="{bad}": expected a whole number'):
            ModelBounds.from_env({ENV_MAX_NODES: bad})


def test_materialized_sizes_follow_tensorflows_fill_rule() -> None:
    const = hostile.big_const((3, 4)).meta_graphs[0].graph_def.node[1].attr["value"].tensor
    assert tensor_bytes(const) == 48
    text = hostile.big_const((5,), hostile.STRING, b"abc").meta_graphs[0].graph_def.node[1]
    assert tensor_bytes(text.attr["value"].tensor) == 5 * 24 + 5 * 3
    extent = measure(hostile.fan_out(4).meta_graphs[0])
    # f0 once, f1 twice, f2 four times, f3 eight times: 3+3+3 call/sum nodes, 1 leaf.
    assert extent.nodes == 2 + 1 * 3 + 2 * 3 + 4 * 3 + 8 * 1
    assert extent.call_depth == 4


def test_a_function_shared_by_signatures_counts_once_per_run() -> None:
    saved_model = hostile.fan_out(3)  # f0 → 2 × f1 → 2 × f2
    meta_graph = saved_model.meta_graphs[0]
    for key in ("a", "b", "c"):  # three more signatures reach the same call
        meta_graph.signature_def[key].CopyFrom(meta_graph.signature_def["serving_default"])
    extent = measure(meta_graph)
    # One run: x, the call, and f0's 3 + 2 × (f1's 3 + 2 × f2's 1) inlined = 15 nodes.
    assert (extent.nodes, extent.largest_run) == (15, 'signature "a"')
    assert extent.written_nodes == 9


REAL = ["ResNet50", "MobileNetV2", "EfficientNetB0"]


@pytest.mark.parametrize("name", REAL)
def test_keras_applications_are_well_inside_the_defaults(
    keras_applications: dict[str, Path], name: str
) -> None:
    extent = check_bounds(_meta_graph(keras_applications[name]), ModelBounds())
    bounds = ModelBounds()
    assert extent.nodes * 20 < bounds.max_nodes
    assert extent.call_depth * 20 < bounds.max_call_depth
    assert extent.graph_depth * 10 < bounds.max_graph_depth
    assert extent.constant_bytes * 1000 < bounds.max_constant_bytes


SAMPLE_CASES = [
    pytest.param(spec.name, version, id=spec.name + (f"/{version}" if version else ""))
    for spec in SAMPLES
    for version in spec.signature_maps()
]


@pytest.mark.parametrize(("name", "version"), SAMPLE_CASES)
def test_every_sample_and_anchor_passes(name: str, version: int | None) -> None:
    model = read_model(SAMPLES_DIR / name, version=version)
    for meta_graph in model.meta_graphs:
        check_bounds(meta_graph, ModelBounds())
    for anchor in sorted(p for p in ANCHORS.iterdir() if p.is_dir()):
        for meta_graph in read_model(anchor).meta_graphs:
            check_bounds(meta_graph, ModelBounds())
