"""How far each op runs from the inputs (``explorer.graph.levels.distances``): the longest
distance on an acyclic slice, and on a slice with a cycle (TF1's while loops feed
NextIteration back into Merge) the shortest for the ops the cycle holds up."""

from __future__ import annotations

from pathlib import Path

from explorer.graph.build import prepare_signature
from explorer.graph.levels import distances
from explorer.model import protos
from explorer.model.reader import read_model


def _model(folder: Path, *, loop: bool) -> Path:
    """``x → a → b → add(a, b) → y``, plus ``a → Merge ⇄ NextIteration → add`` when
    ``loop``; and a constant no input reaches."""
    saved = protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    nodes = meta.graph_def.node

    def node(name: str, op: str, *inputs: str) -> None:
        added = nodes.add()
        added.name, added.op = name, op
        added.input.extend(inputs)
        added.attr["T"].type = 1

    node("x", "Placeholder")
    node("a", "Relu", "x")
    node("b", "Relu", "a")
    node("c", "Const")
    if loop:
        node("merge", "Merge", "a", "next")
        node("next", "NextIteration", "merge")
        node("add", "AddN", "a", "b", "c", "merge")
    else:
        node("add", "AddN", "a", "b", "c")
    node("y", "Identity", "add")
    signature = meta.signature_def["serving_default"]
    signature.method_name = "tensorflow/serving/predict"
    signature.inputs["x"].name, signature.inputs["x"].dtype = "x:0", 1
    signature.outputs["y"].name, signature.outputs["y"].dtype = "y:0", 1
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(saved.SerializeToString())
    return folder


def _distances(folder: Path) -> dict[str, int]:
    flat = prepare_signature(read_model(folder).meta_graph(), "serving_default").flat
    return dict(zip(flat.ids, distances(flat), strict=True))


def test_longest_distance_from_the_inputs(tmp_path: Path) -> None:
    found = _distances(_model(tmp_path / "plain", loop=False))
    assert {k: found[k] for k in ("x", "a", "b", "add", "y")} == {
        "x": 0, "a": 1, "b": 2, "add": 3, "y": 4,
    }  # fmt: skip
    assert found["c"] == -1  # no input reaches a constant


def test_a_cycle_keeps_the_shortest_distance_for_what_it_holds_up(tmp_path: Path) -> None:
    found = _distances(_model(tmp_path / "loop", loop=True))
    # Ops before the cycle keep their longest distance; the cycle's ops and everything
    # after them (held up by it) keep their shortest.
    assert {k: found[k] for k in ("x", "a", "b")} == {"x": 0, "a": 1, "b": 2}
    assert {k: found[k] for k in ("merge", "next", "add", "y")} == {
        "merge": 2, "next": 3, "add": 2, "y": 3,
    }  # fmt: skip
    assert found["c"] == -1
