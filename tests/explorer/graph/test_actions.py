"""action_for: every box and open cluster of a drawn graph maps to an action that works."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import UnknownGraphElementError
from explorer.graph.actions import GraphAction, action_for
from explorer.graph.build import build_signature_graph
from explorer.graph.elements import SignatureGraph
from explorer.graph.inspector import describe_node
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from tests.conftest import HALF_PLUS_TWO_CPU, SAMPLES

_CASES = [
    (HALF_PLUS_TWO_CPU, "regress_x_to_y2"),
    (SAMPLES / "flowers_tf1", "classify_images"),
    (SAMPLES / "keras_multi_io", "serving_default"),
    (SAMPLES / "tabular_churn", "serving_default"),
    (SAMPLES / "sparse_ragged_tf1", "serving_default"),
]


@pytest.fixture(scope="module", params=_CASES, ids=lambda case: f"{case[0].name}:{case[1]}")
def drawn(request: pytest.FixtureRequest) -> tuple[MetaGraphInfo, SignatureGraph]:
    path, key = request.param
    meta_graph = read_model(Path(path)).meta_graph()
    # A small budget leaves closed groups and calls to click on, and open clusters too.
    return meta_graph, build_signature_graph(meta_graph, key, node_budget=12)


def test_every_op_and_tensor_click_inspects_a_real_node(
    drawn: tuple[MetaGraphInfo, SignatureGraph],
) -> None:
    meta_graph, graph = drawn
    inspected = 0
    for node in graph.nodes:
        action = action_for(graph, node.id)
        if action.kind != "inspect" or node.detail.endswith("(not in graph)"):
            continue
        details = describe_node(meta_graph, action.target, function=action.function or None)
        assert details.name == action.target
        inspected += 1
    assert inspected > 0


def test_closed_groups_open_and_open_clusters_close(
    drawn: tuple[MetaGraphInfo, SignatureGraph],
) -> None:
    meta_graph, graph = drawn
    expands = [action_for(graph, n.id) for n in graph.nodes]
    expands = [a for a in expands if a.kind == "expand"]
    for action in expands[:3]:
        opened = build_signature_graph(
            meta_graph, graph.signature_key, expand=(action.target,), node_budget=12
        )
        cluster = next(c for c in opened.clusters if c.id == action.target)
        assert not cluster.collapsed
        assert action_for(opened, cluster.id) == GraphAction("collapse", cluster.id)
        closed = build_signature_graph(
            meta_graph, graph.signature_key, collapse=(cluster.id,), node_budget=12
        )
        assert closed.node(cluster.id) is not None


def test_small_budget_leaves_something_to_open() -> None:
    meta_graph = read_model(SAMPLES / "keras_multi_io").meta_graph()
    graph = build_signature_graph(meta_graph, "serving_default", node_budget=12)
    kinds = {action_for(graph, n.id).kind for n in graph.nodes}
    assert {"expand", "highlight"} <= kinds


def test_key_click_highlights_then_clears() -> None:
    meta_graph = read_model(HALF_PLUS_TWO_CPU).meta_graph()
    graph = build_signature_graph(meta_graph, "regress_x_to_y2")
    assert action_for(graph, "input:inputs") == GraphAction("highlight", "inputs")
    marked = build_signature_graph(meta_graph, "regress_x_to_y2", highlight="inputs")
    assert action_for(marked, "input:inputs") == GraphAction("clear_highlight", "inputs")
    assert action_for(marked, "output:outputs") == GraphAction("highlight", "outputs")


def test_tensor_click_inspects_the_op_producing_it() -> None:
    meta_graph = read_model(HALF_PLUS_TWO_CPU).meta_graph()
    graph = build_signature_graph(meta_graph, "regress_x_to_y2")
    assert action_for(graph, "tensor:y2:0") == GraphAction("inspect", "y2", "")


def test_unknown_id_names_itself_and_the_signature() -> None:
    meta_graph = read_model(HALF_PLUS_TWO_CPU).meta_graph()
    graph = build_signature_graph(meta_graph, "regress_x_to_y2")
    with pytest.raises(UnknownGraphElementError, match=r'"no_such_box".*"regress_x_to_y2"'):
        action_for(graph, "no_such_box")
