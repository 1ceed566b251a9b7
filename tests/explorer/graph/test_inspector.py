"""find_nodes / describe_node: search across graph and library, decoded attrs."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import UnknownNodeError
from explorer.graph import attrs
from explorer.graph.build import build_signature_graph
from explorer.graph.inspector import describe_node, find_nodes
from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def half_plus_two(half_plus_two_cpu: Path) -> MetaGraphInfo:
    return read_model(half_plus_two_cpu).meta_graph()


@pytest.fixture(scope="module")
def keras_multi_io() -> MetaGraphInfo:
    return read_model(SAMPLES / "keras_multi_io").meta_graph()


def test_find_by_op_type_is_case_insensitive(half_plus_two: MetaGraphInfo) -> None:
    found = find_nodes(half_plus_two, "mul")
    assert [m.name for m in found] == ["Mul", "Mul_1", "Mul_2"]
    assert {m.op for m in found} == {"Mul"}
    assert all(m.function == "" for m in found)


def test_find_by_name_part_ranks_exact_matches_first(half_plus_two: MetaGraphInfo) -> None:
    found = find_nodes(half_plus_two, "y2")
    assert found[0].name == "y2"
    assert not find_nodes(half_plus_two, "   ")
    assert not find_nodes(half_plus_two, "no-such-node")
    assert len(find_nodes(half_plus_two, "save", limit=3)) == 3


def test_find_searches_library_functions(keras_multi_io: MetaGraphInfo) -> None:
    found = find_nodes(keras_multi_io, "MatMul")
    assert found
    assert all(m.function.startswith("__inference") for m in found)


def test_describe_decodes_attrs_inputs_and_consumers(half_plus_two: MetaGraphInfo) -> None:
    details = describe_node(half_plus_two, "ParseExample/ParseExample")
    attrs = dict(details.attrs)
    assert attrs["Tdense"] == "[DT_FLOAT, DT_FLOAT]"
    assert attrs["dense_shapes"] == "[(1,), (1,)]"
    assert attrs["Ndense"] == "2"
    assert details.inputs[0].node == "tf_example"
    assert {c.name for c in details.consumers} == {"x", "x2"}
    assert ("x2", "ParseExample/ParseExample:1") in {(c.name, c.ref) for c in details.consumers}
    assert details.outputs == ((0, "DT_FLOAT", "(-1, 1)"), (1, "DT_FLOAT", "(-1, 1)"))
    assert details.device == "/device:CPU:0"
    assert details.scope == "ParseExample"


def test_describe_shows_small_constant_values(half_plus_two: MetaGraphInfo) -> None:
    attrs = dict(describe_node(half_plus_two, "a/initial_value").attrs)
    assert attrs["value"] == "DT_FLOAT () scalar = 0.5"
    assert attrs["dtype"] == "DT_FLOAT"


def test_describe_lists_control_inputs(half_plus_two: MetaGraphInfo) -> None:
    details = describe_node(half_plus_two, "init")
    assert {i.kind for i in details.inputs} == {"control"}
    assert "a/Assign" in {i.node for i in details.inputs}


def test_describe_follows_a_signature_graph_id_into_functions(
    keras_multi_io: MetaGraphInfo,
) -> None:
    graph = build_signature_graph(keras_multi_io, "serving_default", node_budget=10_000)
    node = next(n for n in graph.nodes if n.op == "MatMul")
    details = describe_node(keras_multi_io, node.id)
    assert details.op == "MatMul"
    assert details.function == node.function
    assert details.inputs[0].kind == "data"
    assert ":" in details.inputs[0].ref  # FunctionDef syntax node:output_arg:index
    call = describe_node(keras_multi_io, node.id.split("::")[0])
    assert call.op == "StatefulPartitionedCall"
    assert call.calls[0].startswith("__inference")
    assert dict(call.attrs)["f"] == call.calls[0]


def test_describe_function_node_args(keras_multi_io: MetaGraphInfo) -> None:
    match = next(m for m in find_nodes(keras_multi_io, "StatefulPartitionedCall") if m.function)
    details = describe_node(keras_multi_io, match.name, function=match.function)
    assert any(i.kind == "arg" for i in details.inputs)


def test_unknown_names_raise_with_similar_names(half_plus_two: MetaGraphInfo) -> None:
    with pytest.raises(
        UnknownNodeError,
        match=r'No node "Mul_9" in the top-level graph\. '
        r"Similar names: .*Mul_1",
    ):
        describe_node(half_plus_two, "Mul_9")
    with pytest.raises(UnknownNodeError, match="function library"):
        describe_node(half_plus_two, "Mul", function="__inference_nope")
    with pytest.raises(UnknownNodeError, match='No node "nope"'):
        describe_node(half_plus_two, "nope::Mul")


def _tensor(dtype: int, dims: list[int], **values: list[float]) -> object:
    tensor = protos.message_class("tensorflow.TensorProto")(dtype=dtype)
    for d in dims:
        tensor.tensor_shape.dim.add(size=d)
    for field, items in values.items():
        getattr(tensor, field).extend(items)
    return tensor


def test_large_constants_are_elided_with_their_shape() -> None:
    small = _tensor(1, [2, 2], float_val=[1.0, 2.0, 3.0, 4.5])
    assert attrs.describe_tensor(small) == "DT_FLOAT (2, 2) = [1, 2, 3, 4.5]"
    splat = _tensor(3, [3], int_val=[7])
    assert attrs.describe_tensor(splat) == "DT_INT32 (3,) = [7, 7, 7]"
    large = _tensor(1, [100, 10], float_val=[0.0])
    assert attrs.describe_tensor(large) == "DT_FLOAT (100, 10) (1000 values elided)"
    text = _tensor(7, [], string_val=[b"hello"])
    assert attrs.describe_tensor(text) == "DT_STRING () scalar = hello"
