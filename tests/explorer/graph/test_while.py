"""While loops in the signature graph: loop-back edges from the body's results to what
reads them on the next iteration, kept inside a closed loop's box."""

from __future__ import annotations

import pytest

from explorer.graph.build import build_signature_graph
from explorer.graph.dot import to_dot
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model

BIG = 10_000  # a budget that opens every group


@pytest.fixture(scope="session")
def while_tf2(tmp_path_factory: pytest.TempPathFactory) -> MetaGraphInfo:
    """A TF2 SavedModel whose signature runs ``tf.while_loop`` n times over (i, acc)."""
    import tensorflow as tf

    class Loop(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.float32, name="x"),
                tf.TensorSpec([], tf.int32, name="n"),
            ]
        )
        def serve(self, x: tf.Tensor, n: tf.Tensor) -> dict[str, tf.Tensor]:
            _, out = tf.while_loop(
                lambda i, acc: i < n, lambda i, acc: (i + 1, acc * 1.5 + 1.0), [0, x]
            )
            return {"y": out}

    module = Loop()
    path = tmp_path_factory.mktemp("while_tf2")
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return read_model(path).meta_graph()


def test_while_body_results_loop_back_to_what_reads_them(while_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(while_tf2, "serving_default", node_budget=BIG)
    by_id = {n.id: n for n in graph.nodes}
    loops = [e for e in graph.edges if e.kind == "loop"]
    readers = {by_id[e.dst].op for e in loops}
    # acc feeds Mul (acc * 1.5), i feeds the counter's AddV2 and the condition's Less.
    assert {"Mul", "Less"} <= readers
    for edge in loops:
        assert "@body::" in edge.src
        assert "@body::" in edge.dst or "@cond::" in edge.dst
    # A loop variable the body passes through unchanged (n) ties nothing back outside.
    loop_op = next(n.id for n in graph.nodes if n.op == "StatelessWhile")
    control_targets = {e.dst for e in graph.edges if e.kind == "control" and e.src == loop_op}
    assert all("@body::" in t for t in control_targets)
    assert "constraint=false" in to_dot(graph)


def test_closed_while_keeps_its_loop_inside_its_box(while_tf2: MetaGraphInfo) -> None:
    open_graph = build_signature_graph(while_tf2, "serving_default", node_budget=BIG)
    loop_cluster = next(c.id for c in open_graph.clusters if c.kind == "control_flow")
    closed = build_signature_graph(
        while_tf2, "serving_default", node_budget=BIG, collapse=(loop_cluster,)
    )
    assert closed.node(loop_cluster) is not None
    assert not [e for e in closed.edges if e.kind == "loop"]
