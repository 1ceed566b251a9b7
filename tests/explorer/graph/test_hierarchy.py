"""The graph hierarchy on real networks and on every sample: keys at the top, every op in
exactly one group, stage → block → layer inferred from names, the budget and the shape
held, and "go to" reaching an op deep inside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from explorer.graph.build import SignatureSlice, prepare_signature
from explorer.graph.elements import DEFAULT_NODE_BUDGET, SignatureGraph
from explorer.graph.grouping import Group
from explorer.graph.layout import layout
from explorer.model.reader import read_model
from explorer.model.samples import list_samples
from tests.conftest import KERAS_APPLICATIONS

# (model, what a stage is called, what a block inside it is called)
_NAMED = {
    "ResNet50": (r"conv\d_block1…\d", r"conv\d_block\d"),
    "MobileNetV2": (r"block_1…16", r"block_\d+"),
    "EfficientNetB0": (r"block\d", r"block\d[a-z]"),
}


@pytest.fixture(scope="module")
def keras_slices(keras_applications: dict[str, Path]) -> dict[str, SignatureSlice]:
    return {
        name: prepare_signature(read_model(path).meta_graph(), "serving_default")
        for name, path in keras_applications.items()
    }


def _sample_slices() -> list[tuple[str, Path, str]]:
    cases = []
    for sample in list_samples():
        model = read_model(sample.path)
        for meta_graph in model.meta_graphs:
            for signature in meta_graph.callable_signatures:
                cases.append((sample.name, sample.path, signature.key))
    return cases


def _check_view(prepared: SignatureSlice, graph: SignatureGraph) -> None:
    signature = prepared.signature
    top = {n.id for n in graph.nodes if n.cluster is None}
    for info in signature.inputs:
        assert f"input:{info.key}" in top
        assert all(f"tensor:{t}" in top for t in info.tensor_names)
    for info in signature.outputs:
        assert f"output:{info.key}" in top
        assert all(f"tensor:{t}" in top for t in info.tensor_names)
    # Every op sits in exactly one group, on one path up to the root.
    seen: dict[int, str] = {}
    stack: list[Group] = [prepared.hierarchy.root]
    while stack:
        group = stack.pop()
        for leaf in group.leaves:
            assert leaf not in seen, (leaf, seen.get(leaf), group.id)
            seen[leaf] = group.id
        stack.extend(group.groups)
    assert len(seen) == len(prepared.flat.nodes)
    for index in range(len(prepared.flat.nodes)):
        assert seen[index] == prepared.hierarchy.locate(index).id
    # Each group's ops are its range of the numbering: its own, then each group's in turn.
    tally = prepared.hierarchy.tally
    for group in prepared.hierarchy.everything().values():
        inside = [*group.leaves, *(op for g in group.groups for op in g.members())]
        assert tally.members(group.start, group.end) == inside, group.id
    # The default view fits the budget unless the keys alone do not.
    fixed = sum(1 for n in graph.nodes if n.kind in ("input_key", "output_key", "tensor"))
    assert graph.stats.visible_nodes <= max(DEFAULT_NODE_BUDGET, fixed + 8)


@pytest.mark.parametrize("name", KERAS_APPLICATIONS)
def test_keras_applications_open_as_stages_blocks_and_layers(
    keras_slices: dict[str, SignatureSlice], name: str
) -> None:
    prepared = keras_slices[name]
    graph = prepared.view()
    _check_view(prepared, graph)
    assert graph.stats.visible_nodes <= DEFAULT_NODE_BUDGET
    assert graph.stats.levels >= 5
    stage_name, block_name = _NAMED[name]
    groups = prepared.hierarchy.everything().values()
    stages = [g for g in groups if re.fullmatch(stage_name, g.label)]
    assert stages, sorted({g.label for g in groups})[:40]
    blocks = [b for s in stages for b in s.groups if re.fullmatch(block_name, b.label)]
    assert len(blocks) >= 2
    # A block holds layers (scopes), each holding ops: three levels below a stage.
    assert all(b.height >= 1 and b.size > 5 for b in blocks)
    # A closed group says what it holds.
    box = next(n for n in graph.nodes if n.kind == "group" and n.size > 50)
    assert box.summary
    assert "in " in box.border


@pytest.mark.parametrize("name", KERAS_APPLICATIONS)
def test_keras_default_view_keeps_its_shape(
    keras_slices: dict[str, SignatureSlice], name: str
) -> None:
    scene = layout(keras_slices[name].view())
    assert 1 / 3 <= scene.aspect <= 3, (scene.width, scene.height)
    # Readable at Fit in the app's frame (about 690 × 470 px): text at 0.45× or more.
    assert min(690 / scene.width, 470 / scene.height) >= 0.4


def test_go_to_opens_the_groups_on_the_way(keras_slices: dict[str, SignatureSlice]) -> None:
    prepared = keras_slices["ResNet50"]
    deep = next(
        n.id for n in prepared.flat.nodes if n.node.op == "Conv2D" and "conv4_block3_2" in n.name
    )
    assert len(prepared.group_path(deep)) >= 5
    graph = prepared.view(focus=deep)
    assert graph.focus == deep
    assert graph.node(deep) is not None
    opened = prepared.view(expand=prepared.group_path(deep)[-1:])
    assert opened.node(deep) is not None
    inputs, consumers = prepared.neighbours(deep)
    assert inputs
    assert consumers


@pytest.mark.parametrize(("sample", "path", "key"), _sample_slices())
def test_every_sample_signature(sample: str, path: Path, key: str) -> None:
    meta_graph = read_model(path).meta_graph()
    prepared = prepare_signature(meta_graph, key)
    graph = prepared.view()
    _check_view(prepared, graph)
    scene = layout(graph)
    assert 1 / 3 <= scene.aspect <= 3, (sample, key, scene.width, scene.height)
