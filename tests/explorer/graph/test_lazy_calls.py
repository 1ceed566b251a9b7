"""A model whose functions call each other three times per level: calls deeper than the
inline budget stay closed boxes that say what they hold, open one body at a time, and
"go to" reaches an op in the deepest function."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.graph.build import build_signature_graph, calls_to_inline, prepare_signature
from explorer.graph.library import INLINE_LIMIT
from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model

DEPTH, BODY = 5, 100  # f0 … f5, each 100 ops calling the next three times: 36,400 inlined


def _node(nodes, name: str, op: str, inputs: tuple[str, ...] = ()):
    node = nodes.add()
    node.name, node.op = name, op
    node.input.extend(inputs)
    node.attr["T"].type = 1
    return node


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> MetaGraphInfo:
    saved = protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    graph = meta.graph_def
    _node(graph.node, "x", "Placeholder").attr["dtype"].type = 1
    _node(graph.node, "call", "StatefulPartitionedCall", ("x",)).attr["f"].func.name = "f0"
    _node(graph.node, "y", "Identity", ("call:0",))
    for level in range(DEPTH + 1):
        fn = graph.library.function.add()
        fn.signature.name = f"f{level}"
        fn.signature.input_arg.add().name = "a"
        fn.signature.output_arg.add().name = "out"
        last = "a"
        for j in range(BODY):
            _node(fn.node_def, f"layer{j // 10}/op{j % 10}", "Relu", (last,))
            last = f"layer{j // 10}/op{j % 10}:activations:0"
        if level < DEPTH:
            for k in range(3):
                inner = _node(fn.node_def, f"call{k}", "StatefulPartitionedCall", (last,))
                inner.attr["f"].func.name = f"f{level + 1}"
                last = f"call{k}:output:0"
        fn.ret["out"] = last
    signature = meta.signature_def["serving_default"]
    signature.method_name = "tensorflow/serving/predict"
    signature.inputs["x"].name = "x:0"
    signature.outputs["y"].name = "y:0"
    folder = tmp_path_factory.mktemp("shared_functions")
    Path(folder, "saved_model.pb").write_bytes(saved.SerializeToString())
    return read_model(folder).meta_graph()


def test_deep_calls_stay_closed_boxes_that_say_what_they_hold(shared: MetaGraphInfo) -> None:
    prepared = prepare_signature(shared, "serving_default")
    assert len(prepared.flat.nodes) <= INLINE_LIMIT  # not 36,400
    closed = [
        n
        for n in prepared.flat.nodes
        if n.node.op == "StatefulPartitionedCall" and n.id not in prepared.flat.calls
    ]
    assert closed
    graph = prepared.view(node_budget=10_000)
    boxes = [graph.node(n.id) for n in closed]
    assert all(b is not None and b.kind == "function_call" for b in boxes)
    deepest = max(boxes, key=lambda b: b.id.count("::"))
    level = deepest.id.count("::")  # calls f<level>, which inlines to this many ops:
    expected = sum(BODY * 3**k for k in range(DEPTH - level + 1))
    assert deepest.size == expected
    assert "Relu" in deepest.summary
    # Every key is drawn; the groups' sizes add up to the whole model.
    assert {"input:x", "output:y", "tensor:x:0", "tensor:y:0"} <= {n.id for n in graph.nodes}
    assert prepared.hierarchy.root.size == sum(BODY * 3**k for k in range(DEPTH + 1)) + 2


def test_opening_a_closed_call_inlines_one_body(shared: MetaGraphInfo) -> None:
    prepared = prepare_signature(shared, "serving_default")
    call = next(
        n.id
        for n in prepared.flat.nodes
        if n.node.op == "StatefulPartitionedCall" and n.id not in prepared.flat.calls
    )
    assert calls_to_inline(shared, [call]) >= {call}
    graph = build_signature_graph(shared, "serving_default", expand=[call])
    cluster = next(c for c in graph.clusters if c.id == call)
    assert not cluster.collapsed
    assert cluster.kind == "function"


def test_go_to_an_op_in_the_deepest_function(shared: MetaGraphInfo) -> None:
    prepared = prepare_signature(shared, "serving_default")
    target = prepared.op_id((f"f{DEPTH}", "layer3/op4"))
    assert target is not None
    assert target.count("::") == DEPTH + 1
    assert target not in prepared.flat.index  # inside a call the first slice left closed
    graph = build_signature_graph(shared, "serving_default", focus=target)
    assert graph.focus == target
    assert graph.node(target) is not None


def test_a_closed_call_holding_a_flagged_op_is_marked(shared: MetaGraphInfo) -> None:
    prepared = prepare_signature(shared, "serving_default")
    flagged = (f"f{DEPTH}", "layer3/op4")  # an op of the deepest function only
    assert flagged not in prepared.ops  # no call running it is inlined
    graph = prepared.view(node_budget=10_000, findings=[flagged])
    closed = {
        n.id
        for n in prepared.flat.nodes
        if n.node.op == "StatefulPartitionedCall" and n.id not in prepared.flat.calls
    }
    boxes = [graph.node(box) for box in sorted(closed)]
    assert boxes
    # A call to f<level> runs f<DEPTH> 3^(DEPTH - level) times, each with the flagged op.
    for box in boxes:
        assert box is not None
        assert box.findings == 3 ** (DEPTH - box.id.count("::")), box.id
    # The groups around them count what they hold, as for any flagged op.
    inlined = [c for c in graph.clusters if c.kind == "function"]
    assert inlined
    assert all(
        c.findings == sum(b.findings for b in boxes if b.id.startswith(c.id + "::"))
        for c in inlined
    )
    # A finding no call runs marks nothing.
    assert not any(n.findings for n in prepared.view(findings=[("f0", "nothere")]).nodes)
