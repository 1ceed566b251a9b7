"""build_signature_graph: slicing, function inlining, grouping, highlight, stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import GraphOptionError, UnknownSignatureError
from explorer.graph import attrs
from explorer.graph.build import build_signature_graph
from explorer.graph.elements import SignatureGraph
from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from tests.conftest import SAMPLES

BIG = 10_000  # a budget that opens every group
WRAPPER = "StatefulPartitionedCall"
SERVE = f"{WRAPPER}::{WRAPPER}"  # the wrapper calls the tf.function `serve`
INNER = f"{SERVE}::{WRAPPER}"  # serve calls `inner`


@pytest.fixture(scope="session")
def half_plus_two(half_plus_two_cpu: Path) -> MetaGraphInfo:
    return read_model(half_plus_two_cpu).meta_graph()


@pytest.fixture(scope="session")
def nested_tf2(tmp_path_factory: pytest.TempPathFactory) -> MetaGraphInfo:
    """A TF2 SavedModel: a call into `serve`, which calls `inner` (a dense layer), takes
    a StatelessIf on `flag`, computes an op nobody returns, and runs a chain of 30 small
    scopes ``stage{i}_unit{j}`` (wide enough to be split into ``stage0_*`` groups)."""
    import tensorflow as tf

    class Nested(tf.Module):
        def __init__(self) -> None:
            self.w = tf.Variable([[2.0]], name="w")
            self.b = tf.Variable([0.5], name="b")

        @tf.function
        def inner(self, x: tf.Tensor) -> tf.Tensor:
            with tf.name_scope("dense"):
                return tf.matmul(x, self.w) + self.b

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 1], tf.float32, name="x"),
                tf.TensorSpec([], tf.bool, name="flag"),
            ]
        )
        def serve(self, x: tf.Tensor, flag: tf.Tensor) -> dict[str, tf.Tensor]:
            y = self.inner(x)
            z = tf.cond(flag, lambda: y * 2.0, lambda: y - 1.0)
            _unused = tf.reduce_sum(x, name="unused_sum") * 3.0
            h = x
            for i in range(3):
                for j in range(10):
                    with tf.name_scope(f"stage{i}_unit{j}"):
                        h = h * 1.5 + 0.25
            return {"y": y, "z": z, "wide": h}

    module = Nested()
    path = tmp_path_factory.mktemp("nested_tf2")
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return read_model(path).meta_graph()


def _ids(graph: SignatureGraph) -> set[str]:
    return {n.id for n in graph.nodes}


def _op_names(graph: SignatureGraph) -> set[str]:
    return {n.name for n in graph.nodes if n.kind not in ("input_key", "output_key", "tensor")}


def _edges(graph: SignatureGraph) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in graph.edges}


# --- TF1: the anchor half_plus_two -----------------------------------------------------


def test_regress_x_to_y2_keeps_only_the_y2_path(half_plus_two: MetaGraphInfo) -> None:
    graph = build_signature_graph(half_plus_two, "regress_x_to_y2", node_budget=BIG)
    names = _op_names(graph)
    assert {"tf_example", "ParseExample/ParseExample", "x", "Mul_1", "Add_1", "y2"} <= names
    # y2 = a*x + c: the variables feeding the path come in as leaves.
    assert {"a", "a/read", "c", "c/read"} <= names
    # Ops of y = a*x + b, y3 and the saver are not run by this signature.
    assert not names & {"Mul", "Add", "y", "b", "b/read", "Mul_2", "Add_2", "y3", "x2"}
    assert not {n for n in names if n.startswith("save/") or "Assign" in n or n == "init"}


@pytest.mark.parametrize(
    "key",
    ["regress_x_to_y", "regress_x_to_y2", "regress_x2_to_y3", "classify_x_to_y", "serving_default"],
)
def test_no_saver_or_initializer_ops_in_any_signature(
    half_plus_two: MetaGraphInfo, key: str
) -> None:
    graph = build_signature_graph(half_plus_two, key, node_budget=BIG)
    ops = {n.op for n in graph.nodes}
    assert not ops & {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "Assign", "NoOp"}


def test_slice_stops_at_the_fed_input_tensor(half_plus_two: MetaGraphInfo) -> None:
    # regress_x2_to_y3 is fed at x2:0, so ParseExample above x2 never runs.
    graph = build_signature_graph(half_plus_two, "regress_x2_to_y3", node_budget=BIG)
    names = _op_names(graph)
    assert {"x2", "Mul_2", "Add_2", "y3", "a2/read", "c2/read"} <= names
    assert not any(n.startswith("ParseExample") for n in names)
    assert "tf_example" not in names


def test_keys_link_to_their_tensors_and_owning_ops(half_plus_two: MetaGraphInfo) -> None:
    graph = build_signature_graph(half_plus_two, "regress_x_to_y2")
    edges = _edges(graph)
    assert ("input:inputs", "tensor:tf_example:0") in edges
    assert ("tensor:tf_example:0", "tf_example") in edges
    assert ("y2", "tensor:y2:0") in edges
    assert ("tensor:y2:0", "output:outputs") in edges
    key_edges = [e for e in graph.edges if e.kind == "key"]
    assert len(key_edges) == 4


def test_shared_output_tensor_is_one_node_for_two_keys(half_plus_two: MetaGraphInfo) -> None:
    graph = build_signature_graph(half_plus_two, "serving_default")
    tensors = [n for n in graph.nodes if n.kind == "tensor"]
    assert sorted(n.name for n in tensors) == ["x:0", "y:0"]


def test_edges_carry_dtype_and_shape(half_plus_two: MetaGraphInfo) -> None:
    graph = build_signature_graph(half_plus_two, "regress_x_to_y2", node_budget=BIG)
    edge = next(e for e in graph.edges if (e.src, e.dst) == ("x", "Mul_1"))
    assert edge.dtype == "DT_FLOAT"
    assert edge.shape == (None, 1)
    assert edge.label == "DT_FLOAT (-1, 1)"
    key_edge = next(e for e in graph.edges if e.src == "input:inputs")
    assert key_edge.dtype == "DT_STRING"


def test_constants_and_variables_are_marked_off_path(half_plus_two: MetaGraphInfo) -> None:
    graph = build_signature_graph(half_plus_two, "regress_x_to_y2", node_budget=BIG)
    by_name = {n.name: n for n in graph.nodes}
    assert by_name["Mul_1"].on_path
    assert not by_name["a/read"].on_path
    assert by_name["a"].kind == "variable"
    assert by_name["ParseExample/Const"].kind == "const"


def test_highlight_output_key_marks_path_back_to_inputs(half_plus_two: MetaGraphInfo) -> None:
    graph = build_signature_graph(
        half_plus_two, "regress_x_to_y2", node_budget=BIG, highlight="outputs"
    )
    hot = {n.id for n in graph.nodes if n.highlighted}
    assert {"output:outputs", "tensor:y2:0", "y2", "Add_1", "Mul_1", "x"} <= hot
    assert {"tf_example", "input:inputs"} <= hot
    assert "a/read" not in hot  # a leaf feeding the path, not on it
    assert any(e.highlighted and (e.src, e.dst) == ("Mul_1", "Add_1") for e in graph.edges)


def test_same_input_gives_identical_graphs(half_plus_two: MetaGraphInfo) -> None:
    first = build_signature_graph(half_plus_two, "regress_x_to_y2", highlight="inputs")
    second = build_signature_graph(half_plus_two, "regress_x_to_y2", highlight="inputs")
    assert first == second
    assert [n.id for n in first.nodes] == sorted(n.id for n in first.nodes)


def test_errors_name_what_is_wrong(half_plus_two: MetaGraphInfo) -> None:
    with pytest.raises(UnknownSignatureError, match="regress_x_to_y2"):
        build_signature_graph(half_plus_two, "nope")
    with pytest.raises(GraphOptionError, match=r'signature key "y".*inputs, outputs'):
        build_signature_graph(half_plus_two, "regress_x_to_y2", highlight="y")
    with pytest.raises(GraphOptionError, match='scope or function "Parse"'):
        build_signature_graph(half_plus_two, "regress_x_to_y2", expand=["Parse"])
    with pytest.raises(GraphOptionError, match="node budget"):
        build_signature_graph(half_plus_two, "regress_x_to_y2", node_budget=0)


# --- TF2: calls into the function library ------------------------------------------------


def test_tf2_calls_are_followed_into_nested_functions(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG)
    ids = _ids(graph)
    assert f"{INNER}::dense/MatMul" in ids
    assert f"{INNER}::dense/add" in ids
    # Call argument → function input_arg: the placeholder feeds MatMul inside `inner`.
    assert ("serving_default_x", f"{INNER}::dense/MatMul") in _edges(graph)
    # Variables are top-level handles passed through two calls to the reads inside.
    assert ("w", f"{INNER}::dense/MatMul/ReadVariableOp") in _edges(graph)
    clusters = {c.id: c for c in graph.clusters}
    assert clusters[WRAPPER].kind == "function"
    assert clusters[INNER].parent == SERVE
    assert clusters[INNER].function.startswith("__inference_inner")


def test_tf2_unreturned_ops_and_saver_functions_are_left_out(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG)
    assert not any("unused_sum" in n.id for n in graph.nodes)
    functions = {n.function for n in graph.nodes}
    assert not any("traced_save" in f or "traced_restore" in f for f in functions)
    assert "saver_filename" not in _ids(graph)


def test_tf2_output_tensor_links_to_the_op_inside_the_call(nested_tf2: MetaGraphInfo) -> None:
    sig = nested_tf2.signature("serving_default")
    tensor = sig.output("y").name
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG)
    producers = {e.src for e in graph.edges if e.dst == f"tensor:{tensor}"}
    # Call output k is the ret of the k-th output_arg, resolved through both calls.
    assert producers
    assert all(p.startswith(f"{WRAPPER}::") for p in producers)


def test_control_flow_branches_are_expandable_clusters(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG)
    cond = next(c for c in graph.clusters if c.kind == "control_flow")
    branches = [c for c in graph.clusters if c.parent == cond.id]
    assert sorted(c.label.split(":")[0] for c in branches) == ["else_branch", "then_branch"]
    # The If op itself takes the predicate no branch sees.
    assert ("serving_default_flag", cond.id) in _edges(graph)
    assert graph.node(cond.id).op == "StatelessIf"
    closed = build_signature_graph(
        nested_tf2, "serving_default", node_budget=BIG, collapse=[cond.id]
    )
    box = closed.node(cond.id)
    assert box.kind == "control_flow"
    assert box.size > 1


def test_highlight_input_reaches_only_its_outputs(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", highlight="flag")
    hot = {n.id for n in graph.nodes if n.highlighted}
    assert {"input:flag", "output:z"} <= hot
    assert "output:y" not in hot
    assert "output:wide" not in hot


def test_small_budget_collapses_the_call_but_keeps_every_key(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=1)
    box = graph.node(WRAPPER)
    assert box is not None
    assert box.kind == "function_call"
    keys = {n.id for n in graph.nodes if n.kind in ("input_key", "output_key")}
    assert keys == {"input:x", "input:flag", "output:y", "output:z", "output:wide"}
    # Tensor → the box standing for the op that owns it.
    sig = nested_tf2.signature("serving_default")
    assert (WRAPPER, f"tensor:{sig.output('z').name}") in _edges(graph)


@pytest.mark.parametrize("budget", [1, 12, 25, 40, 80, BIG])
def test_grouping_fits_the_budget_and_keeps_keys(nested_tf2: MetaGraphInfo, budget: int) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=budget)
    kinds = [n.kind for n in graph.nodes]
    assert kinds.count("input_key") == 2
    assert kinds.count("output_key") == 3
    # Keys and their tensors, plus the top level closed: two placeholders, the
    # variables group and the call box.
    smallest = 2 + 3 + 5 + 4
    assert graph.stats.visible_nodes <= max(budget, smallest)
    ids = _ids(graph)
    assert all(e.src in ids and e.dst in ids for e in graph.edges)


def test_wide_scopes_are_nested_by_the_structure_of_their_names(
    nested_tf2: MetaGraphInfo,
) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=40)
    labels = {c.label for c in graph.clusters}
    # stage → unit: three stages of ten numbered units each.
    assert {"stage0_unit0…9", "stage1_unit0…9", "stage2_unit0…9"} <= labels


def test_expand_and_collapse_change_the_visible_count(nested_tf2: MetaGraphInfo) -> None:
    small = build_signature_graph(nested_tf2, "serving_default", node_budget=1)
    opened = build_signature_graph(nested_tf2, "serving_default", node_budget=1, expand=[INNER])
    assert opened.stats.visible_nodes > small.stats.visible_nodes
    assert f"{INNER}::dense/add" in _ids(opened) or any(
        c.id.startswith(f"{INNER}::dense") for c in opened.clusters
    )
    # Expanding a function by name opens its callers too.
    assert not {c.id: c for c in opened.clusters}[WRAPPER].collapsed
    full = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG)
    closed = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG, collapse=[SERVE])
    assert closed.stats.visible_nodes < full.stats.visible_nodes
    assert closed.node(SERVE).kind == "function_call"


def test_closing_a_group_wins_over_opening_one_inside_it(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(
        nested_tf2, "serving_default", node_budget=BIG, expand=[INNER], collapse=[SERVE]
    )
    assert graph.node(SERVE).kind == "function_call"
    assert not any(n.id.startswith(f"{INNER}::") for n in graph.nodes)


def test_variables_feeding_a_call_are_one_group_when_closed(nested_tf2: MetaGraphInfo) -> None:
    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=12)
    parameters = [n for n in graph.nodes if n.kind == "parameters"]
    assert len(parameters) == 1
    assert parameters[0].size == 2  # the handles of w and b


# --- committed sample models ------------------------------------------------------------


def _sample(name: str) -> MetaGraphInfo:
    return read_model(SAMPLES / name).meta_graph()


def test_sparse_and_ragged_keys_link_to_every_component() -> None:
    meta_graph = _sample("sparse_ragged_tf1")
    sig = meta_graph.signature("serving_default")
    graph = build_signature_graph(meta_graph, "serving_default")
    edges = _edges(graph)
    for info in sig.inputs:
        assert info.encoding in ("coo_sparse", "composite_tensor")
        assert len(info.tensor_names) >= 2
        for tensor in info.tensor_names:
            assert (f"input:{info.key}", f"tensor:{tensor}") in edges
            assert any(src == f"tensor:{tensor}" for src, _ in edges)


@pytest.mark.parametrize("name", ["keras_multi_io", "tabular_churn", "flowers_tf1"])
def test_every_sample_signature_links_each_key_to_an_op(name: str) -> None:
    meta_graph = _sample(name)
    for sig in meta_graph.callable_signatures:
        graph = build_signature_graph(meta_graph, sig.key)
        edges = _edges(graph)
        for info in (*sig.inputs, *sig.outputs):
            for tensor in info.tensor_names:
                tensor_id = f"tensor:{tensor}"
                linked = {d for s, d in edges if s == tensor_id} | {
                    s for s, d in edges if d == tensor_id
                }
                assert any(not x.startswith(("input:", "output:")) for x in linked), tensor
        assert not any("traced_save" in n.function for n in graph.nodes)


# --- FunctionDef tensor names ------------------------------------------------------------


def _node(op: str, **list_attrs: list[int]) -> object:
    node = protos.message_class("tensorflow.NodeDef")(name="n", op=op)
    for key, types in list_attrs.items():
        node.attr[key].list.type.extend(types)
    return node


def test_function_tensor_names_map_to_flat_output_numbers() -> None:
    batch_norm = _node("FusedBatchNormV3")
    assert attrs.output_index(batch_norm, "y", 0) == 0
    assert attrs.output_index(batch_norm, "batch_variance", 0) == 2
    parse = _node("ParseExampleV2", Tdense=[1, 1], sparse_types=[9])
    parse.attr["num_sparse"].i = 1
    # sparse_indices, sparse_values, sparse_shapes come first.
    assert attrs.output_index(parse, "dense_values", 1) == 4
    assert attrs.output_dtype(parse, 0) == "DT_INT64"
    assert attrs.output_dtype(parse, 3) == "DT_FLOAT"
    assert attrs.output_index(_node("Identity"), "output", 0) == 0
    assert attrs.output_index(_node("Unique"), "nope", 0) is None


def test_node_ids_inside_branches_resolve_in_the_inspector(nested_tf2: MetaGraphInfo) -> None:
    from explorer.graph.inspector import describe_node

    graph = build_signature_graph(nested_tf2, "serving_default", node_budget=BIG)
    node = next(n for n in graph.nodes if "@then_branch::" in n.id and n.op == "Mul")
    details = describe_node(nested_tf2, node.id)
    assert details.op == "Mul"
    assert details.function == node.function
    assert details.function.startswith("cond_true")
