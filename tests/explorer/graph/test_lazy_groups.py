"""The group tree is made as it is opened: the first view of a wide model makes the groups it
shows (not the thousands below), yet says the whole tree's depth, and any order of
opening gives the same views as opening everything first."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.graph.build import SignatureSlice, prepare_signature
from explorer.graph.groups import Group
from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model

_LAYERS = 2_000  # 4 ops each, in Keras-like scopes: stage → block → layer


def _node(nodes, name: str, op: str, inputs: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    node = nodes.add()
    node.name, node.op = name, op
    node.input.extend(inputs)
    node.attr["T"].type = 1  # DT_FLOAT
    return node


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> MetaGraphInfo:
    """A TF1-style graph of 8,000 ops: ``model/stage<s>_block<b>_<l>/…`` layers of four
    ops, a residual add per block of twenty layers."""
    saved = protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    nodes = meta.graph_def.node
    _node(nodes, "x", "Placeholder").attr["dtype"].type = 1
    last = block_in = "x"
    for i in range(_LAYERS):
        stage, block, layer = i // 400, (i // 20) % 20, i % 20
        scope = f"model/stage{stage}_block{block}_{layer}"
        _node(nodes, f"{scope}/w", "Const")
        _node(nodes, f"{scope}/MatMul", "MatMul", (last, f"{scope}/w"))
        _node(nodes, f"{scope}/BiasAdd", "BiasAdd", (f"{scope}/MatMul", f"{scope}/w"))
        _node(nodes, f"{scope}/Relu", "Relu", (f"{scope}/BiasAdd",))
        last = f"{scope}/Relu"
        if layer == 19:
            add = f"model/stage{stage}_block{block}_add/Add"
            _node(nodes, add, "AddV2", (last, block_in))
            last = block_in = add
    _node(nodes, "y", "Identity", (last,))
    signature = meta.signature_def["serving_default"]
    signature.method_name = "tensorflow/serving/predict"
    signature.inputs["x"].name, signature.inputs["x"].dtype = "x:0", 1
    signature.outputs["y"].name, signature.outputs["y"].dtype = "y:0", 1
    folder = tmp_path_factory.mktemp("wide")
    Path(folder, "saved_model.pb").write_bytes(saved.SerializeToString())
    return read_model(folder).meta_graph()


def _depth(group: Group) -> int:
    """Levels of groups below ``group``, counted on the opened tree."""
    return max(
        (_depth(c) + (0 if len(c.groups) + len(c.leaves) <= 1 else 1) for c in group.groups),
        default=0,
    )


def test_the_first_view_makes_the_groups_it_shows(wide: MetaGraphInfo) -> None:
    prepared = prepare_signature(wide, "serving_default")
    graph = prepared.view()
    made = len(prepared.hierarchy.groups)
    assert made < 200, made  # the top levels, not the layers
    everything = prepared.hierarchy.everything()
    assert len(everything) > 2_000  # every layer is a group once opened
    # The depth it says without opening was the whole tree's.
    assert graph.stats.levels == _depth(prepared.hierarchy.root) >= 3
    # Every group holds its range of the numbering: its ops, then each group's in turn.
    tally = prepared.hierarchy.tally
    for group in everything.values():
        inside = [*group.leaves, *(op for g in group.groups for op in g.members())]
        assert sorted(tally.members(group.start, group.end)) == sorted(inside), group.id
        assert tally.members(group.start, group.end)[: len(group.leaves)] == group.leaves


def _views(prepared: SignatureSlice, deep: str, block: str) -> list[dict[str, object]]:
    return [
        prepared.view(focus=deep).as_dict(),
        prepared.view().as_dict(),
        prepared.view(expand=[block]).as_dict(),
        prepared.view(expand=[block], highlight="y").as_dict(),
    ]


def test_views_do_not_depend_on_what_was_opened_before(wide: MetaGraphInfo) -> None:
    deep = "model/stage3_block7_11/BiasAdd"
    block = "model/stage2_block4_*"
    lazy = prepare_signature(wide, "serving_default")
    eager = prepare_signature(wide, "serving_default")
    eager.hierarchy.everything()
    assert _views(lazy, deep, block) == _views(eager, deep, block)
    # "Go to" an op opens only the groups on its way (and makes their children).
    fresh = prepare_signature(wide, "serving_default")
    path = fresh.group_path(deep)
    assert path[-1] == "model/stage3_block7_11/"
    assert len(fresh.hierarchy.groups) < 400, len(fresh.hierarchy.groups)
