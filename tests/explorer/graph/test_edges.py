"""A slice's edges (``explorer.graph.resolving``): a slice of the top-level graph alone is
tied by array arithmetic, the rest by the loop resolving each reference; both must give
the same edges in the same order."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.graph import resolving
from explorer.graph.flat import FlatGraph
from explorer.graph.library import Library
from explorer.graph.slicing import slice_graph
from explorer.model import protos
from explorer.model.reader import read_model
from explorer.model.samples import list_samples

_BIG_PORT = "9" * 30  # past 64 bits: the loop takes it


def _graph(huge_port: bool) -> Any:
    meta = protos.SavedModel().meta_graphs.add()
    for name, op, inputs in (
        ("upstream", "Const", ()),
        ("x", "Identity", ("upstream",)),  # fed: its own input does not run
        ("c", "NoOp", ()),
        ("split", "Split", ("x",)),
        ("a:b", "Relu", ("split:1", "^c", "missing:0", "^missing")),
        ("call", "PartitionedCall", ("a:b", "x:0")),  # its function is not in the library
        ("y", "AddN", ("call", "a:b", "split", "^split", f"x:{_BIG_PORT}" if huge_port else "x")),
    ):
        node = meta.graph_def.node.add()
        node.name, node.op = name, op
        node.input.extend(inputs)
        if op == "PartitionedCall":
            node.attr["f"].func.name = "absent"
    return meta


def _slice(meta: Any, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> FlatGraph:
    return slice_graph(meta, inputs, outputs, library=Library(meta))[0]


def _both(
    monkeypatch: pytest.MonkeyPatch, meta: Any, inputs: tuple[str, ...], outputs: tuple[str, ...]
) -> tuple[FlatGraph, FlatGraph]:
    monkeypatch.setattr(resolving, "_ARRAYS_FROM", 10**9)
    looped = _slice(meta, inputs, outputs)
    monkeypatch.setattr(resolving, "_ARRAYS_FROM", 0)
    return looped, _slice(meta, inputs, outputs)


@pytest.mark.parametrize("huge_port", [False, True])
def test_arrays_and_loop_tie_the_same_edges(
    monkeypatch: pytest.MonkeyPatch, huge_port: bool
) -> None:
    looped, arrayed = _both(monkeypatch, _graph(huge_port), ("x:0",), ("y:0",))
    assert arrayed.edges == looped.edges
    assert arrayed.loops == looped.loops == []
    tied = {(looped.ids[s], p, looped.ids[d], t) for s, p, d, t in looped.edges}
    assert ("split", 1, "a:b", "split:1") in tied
    assert ("c", -1, "a:b", "^c") in tied  # a control edge
    if not huge_port:  # fed at port 0 and read nowhere else: its own input never runs
        assert not any(d == "x" for _, _, d, _ in tied)
        assert "upstream" not in looped.ids


@pytest.mark.parametrize(
    ("sample", "path"), [(s.name, s.path) for s in list_samples() if "tf1" in s.name]
)
def test_tf1_samples_tie_the_same_edges(
    monkeypatch: pytest.MonkeyPatch, sample: str, path: Any
) -> None:
    meta_graph = read_model(path).meta_graph()
    for signature in meta_graph.signatures:
        inputs = tuple(n for t in signature.inputs for n in t.tensor_names)
        outputs = tuple(n for t in signature.outputs for n in t.tensor_names)
        looped, arrayed = _both(monkeypatch, meta_graph.proto, inputs, outputs)
        assert arrayed.edges == looped.edges, (sample, signature.key)
        assert looped.edges, (sample, signature.key)


def test_the_arrays_handed_on_are_the_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    looped, arrayed = _both(monkeypatch, _graph(False), ("x:0",), ("y:0",))
    sources, targets = arrayed.edge_ends()
    assert sources.tolist() == looped.src
    assert targets.tolist() == looped.dst
