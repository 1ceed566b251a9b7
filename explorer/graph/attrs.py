"""What a NodeDef's attrs say about its outputs (dtype, shape) and how to print any attr.

Shared by the signature graph (edge labels) and the node inspector (attr listing). It
needs no OpDef registry, which lives only inside TensorFlow's C++ library: output dtypes
come from the usual type attrs (``T``, ``dtype``, ``Tout``, ...) and a few op rules, and
shapes from the ``_output_shapes`` attr TensorFlow writes into exported graphs.

Inside a FunctionDef a tensor is named ``node:output_arg:index``; mapping that to the
node's flat output number needs the op's output args, kept here for the ops that have
more than one output arg. For any other op the index is taken as the flat number, which
is right for every op with a single (possibly list) output arg.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.model import protos
from explorer.model.info import Shape, format_shape

if TYPE_CHECKING:
    from explorer.model.proto_types import AttrValue, NodeDef, TensorProto, TensorShapeProto


# Ops that call a library function; their outputs are the function's outputs in order.
CALL_OPS = frozenset({"StatefulPartitionedCall", "PartitionedCall", "TPUPartitionedCall"})
# Control-flow ops and the attrs naming their branch/body functions.
CONTROL_FLOW_ATTRS: dict[str, tuple[str, ...]] = {
    "If": ("then_branch", "else_branch"),
    "StatelessIf": ("then_branch", "else_branch"),
    "While": ("cond", "body"),
    "StatelessWhile": ("cond", "body"),
    "Case": ("branches",),
    "StatelessCase": ("branches",),
}
VARIABLE_OPS = frozenset(
    {"VarHandleOp", "VariableV2", "Variable", "_VarHandlesOp", "AutoReloadVariable"}
)
CONST_OPS = frozenset({"Const", "HostConst"})
PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderWithDefault", "PlaceholderV2"})

# Output args of multi-output ops, in order: (name, how many tensors). An int is a fixed
# count; a str names the attr holding the count (an int attr or a type list).
_OUTPUT_ARGS: dict[str, tuple[tuple[str, int | str], ...]] = {
    "FusedBatchNorm": (
        ("y", 1),
        ("batch_mean", 1),
        ("batch_variance", 1),
        ("reserve_space_1", 1),
        ("reserve_space_2", 1),
    ),
    "FusedBatchNormV2": (
        ("y", 1),
        ("batch_mean", 1),
        ("batch_variance", 1),
        ("reserve_space_1", 1),
        ("reserve_space_2", 1),
    ),
    "FusedBatchNormV3": (
        ("y", 1),
        ("batch_mean", 1),
        ("batch_variance", 1),
        ("reserve_space_1", 1),
        ("reserve_space_2", 1),
        ("reserve_space_3", 1),
    ),
    "ParseExample": (
        ("sparse_indices", "Nsparse"),
        ("sparse_values", "sparse_types"),
        ("sparse_shapes", "Nsparse"),
        ("dense_values", "Tdense"),
    ),
    "ParseExampleV2": (
        ("sparse_indices", "num_sparse"),
        ("sparse_values", "sparse_types"),
        ("sparse_shapes", "num_sparse"),
        ("dense_values", "Tdense"),
        ("ragged_values", "ragged_value_types"),
        ("ragged_row_splits", "ragged_split_types"),
    ),
    "ParseSingleExample": (
        ("sparse_indices", "num_sparse"),
        ("sparse_values", "sparse_types"),
        ("sparse_shapes", "num_sparse"),
        ("dense_values", "Tdense"),
    ),
    "Unique": (("y", 1), ("idx", 1)),
    "UniqueV2": (("y", 1), ("idx", 1)),
    "UniqueWithCounts": (("y", 1), ("idx", 1), ("count", 1)),
    "TopKV2": (("values", 1), ("indices", 1)),
    "Switch": (("output_false", 1), ("output_true", 1)),
    "RefSwitch": (("output_false", 1), ("output_true", 1)),
    "Merge": (("output", 1), ("value_index", 1)),
    "SparseFillEmptyRows": (
        ("output_indices", 1),
        ("output_values", 1),
        ("empty_row_indicator", 1),
        ("reverse_index_map", 1),
    ),
    "SparseReshape": (("output_indices", 1), ("output_shape", 1)),
    "RaggedTensorToSparse": (
        ("sparse_indices", 1),
        ("sparse_values", 1),
        ("sparse_dense_shape", 1),
    ),
    "LookupTableExportV2": (("keys", 1), ("values", 1)),
}
# Ops whose output number is not simply the index within the output arg.
MULTI_OUTPUT_OPS = frozenset(_OUTPUT_ARGS)
# Output dtypes of the parse ops' args: a fixed DT_ name or the attr listing them.
_PARSE_ARG_DTYPES = {
    "sparse_indices": "DT_INT64",
    "sparse_shapes": "DT_INT64",
    "sparse_values": "sparse_types",
    "dense_values": "Tdense",
    "ragged_values": "ragged_value_types",
    "ragged_row_splits": "ragged_split_types",
}
_BOOL_OPS = frozenset(
    {
        "Equal",
        "NotEqual",
        "Less",
        "LessEqual",
        "Greater",
        "GreaterEqual",
        "LogicalAnd",
        "LogicalOr",
        "LogicalNot",
        "IsFinite",
        "IsInf",
        "IsNan",
        "IsVariableInitialized",
        "VarIsInitializedOp",
        "StaticRegexFullMatch",
        "RegexFullMatch",
        "InTopKV2",
    }
)
_DTYPE_ATTRS = {
    "Shape": "out_type",
    "ShapeN": "out_type",
    "Size": "out_type",
    "Rank": None,
    "Cast": "DstT",
    "ArgMax": "output_type",
    "ArgMin": "output_type",
    "Bitcast": "type",
    "StringToNumber": "out_type",
}
_MAX_VALUES_SHOWN = 8


def split_graph_ref(ref: str) -> tuple[str, int]:
    """A top-level GraphDef tensor reference: "node" is output 0, "node:2" output 2."""
    name, _, port = ref.rpartition(":")
    if name and port.isascii() and port.isdigit():  # "x:²" names a node, as in TF
        return name, int(port)
    return ref, 0


def output_index(node: NodeDef, arg_name: str, index: int) -> int | None:
    """Flat output number of ``node:arg_name:index`` (FunctionDef syntax), or None if
    the op has several output args we do not know the order of."""
    args = _OUTPUT_ARGS.get(node.op)
    if args is None:
        return index
    position = 0
    for name, count in args:
        if name == arg_name:
            return position + index
        position += _arg_count(node, count)
    return None


def output_dtype(node: NodeDef, port: int, function_outputs: tuple[str, ...] = ()) -> str:
    """The DT_ name of output ``port`` as the attrs record it, or "" if they do not.

    Args:
        node: a NodeDef.
        port: its flat output number.
        function_outputs: for an op that is a library function's name, that function's
            output dtypes.

    Returns:
        e.g. "DT_FLOAT"; "" when unknown.
    """
    attrs = node.attr
    op = node.op
    if node.op.startswith(("ParseExample", "ParseSingleExample")):
        return _parse_output_dtype(node, port)
    if function_outputs:
        return function_outputs[port] if port < len(function_outputs) else ""
    if op in _BOOL_OPS:
        return "DT_BOOL"
    if op == "VarHandleOp":
        return "DT_RESOURCE"
    if op in _DTYPE_ATTRS:
        attr = _DTYPE_ATTRS[op]
        return type_name(attrs[attr].type) if attr and attr in attrs else "DT_INT32"
    for list_attr in ("Tout", "T", "output_types", "dtypes"):
        if list_attr in attrs and attrs[list_attr].HasField("list"):
            types = attrs[list_attr].list.type
            return type_name(types[port]) if port < len(types) else ""
    for attr in ("dtype", "T", "Tout", "out_type"):
        if attr in attrs and attrs[attr].WhichOneof("value") == "type":
            return type_name(attrs[attr].type)
    return ""


def output_shape(node: NodeDef, port: int) -> tuple[bool, Shape]:
    """(known, shape) of output ``port`` from the ``_output_shapes`` attr."""
    attrs = node.attr
    if "_output_shapes" not in attrs:
        return False, None
    shapes = attrs["_output_shapes"].list.shape
    if port >= len(shapes):
        return False, None
    return True, shape_of(shapes[port])


def shape_of(shape: TensorShapeProto) -> Shape:
    """``TensorShapeProto`` → tuple (None for -1) or None for unknown rank."""
    if shape.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in shape.dim)


def type_name(number: int) -> str:
    """DataType number → "DT_FLOAT" (reference types keep their "_REF" suffix)."""
    value = _data_type_enum().values_by_number.get(number)
    return value.name if value is not None else f"DT_UNKNOWN_{number}"


def describe_attr(value: AttrValue) -> str:
    """One AttrValue in words: dtypes as DT_ names, shapes as tuples, functions by name,
    tensors summarised (small ones with their values, large ones by dtype and shape)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return ""
    if kind == "list":
        return _describe_list(value.list)
    if kind == "s":
        return _bytes_text(value.s)
    if kind in ("i", "b"):
        return str(getattr(value, kind))
    if kind == "f":
        return f"{value.f:g}"
    if kind == "type":
        return type_name(value.type)
    if kind == "shape":
        return format_shape(shape_of(value.shape))
    if kind == "tensor":
        return describe_tensor(value.tensor)
    if kind == "func":
        return value.func.name
    return str(getattr(value, kind))


def describe_tensor(tensor: TensorProto) -> str:
    """A TensorProto as "DT_FLOAT (2, 2) = [1, 2, 3, 4]", eliding values past a few."""
    dtype = type_name(tensor.dtype)
    shape = shape_of(tensor.tensor_shape)
    head = f"{dtype} {format_shape(shape)}"
    size = int(np.prod([d or 0 for d in shape])) if shape else 1
    if size > _MAX_VALUES_SHOWN:
        return f"{head} ({size} values elided)"
    values = _tensor_values(tensor, dtype, size)
    if values is None:
        return head
    return f"{head} = [{', '.join(values)}]" if shape else f"{head} = {values[0]}"


def _tensor_values(tensor: TensorProto, dtype: str, size: int) -> list[str] | None:
    if dtype == "DT_STRING":
        raw = [_bytes_text(s) for s in tensor.string_val]
        return _broadcast(raw, size)
    np_type = {
        "DT_FLOAT": np.float32,
        "DT_DOUBLE": np.float64,
        "DT_INT32": np.int32,
        "DT_INT64": np.int64,
        "DT_BOOL": np.bool_,
        "DT_INT8": np.int8,
        "DT_UINT8": np.uint8,
        "DT_INT16": np.int16,
    }.get(dtype)
    if np_type is None:
        return None
    if tensor.tensor_content:
        array: np.ndarray = np.frombuffer(tensor.tensor_content, dtype=np_type)
        return [_number_text(v) for v in array[:size].tolist()]
    field = {
        "DT_FLOAT": "float_val",
        "DT_DOUBLE": "double_val",
        "DT_INT64": "int64_val",
        "DT_BOOL": "bool_val",
    }.get(dtype, "int_val")
    return _broadcast([_number_text(v) for v in getattr(tensor, field)], size)


def _broadcast(values: list[str], size: int) -> list[str] | None:
    # A TensorProto may store one value for a whole (splat) tensor.
    if not values:
        return None
    if len(values) < size:
        values = values + [values[-1]] * (size - len(values))
    return values[: max(size, 1)]


def _number_text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe_list(values: AttrValue.ListValue) -> str:
    for field in ("type", "shape", "func", "tensor", "s", "i", "f", "b"):
        items = getattr(values, field)
        if len(items):
            if field == "type":
                words = [type_name(t) for t in items]
            elif field == "shape":
                words = [format_shape(shape_of(s)) for s in items]
            elif field == "func":
                words = [f.name for f in items]
            elif field == "tensor":
                words = [describe_tensor(t) for t in items]
            elif field == "s":
                words = [_bytes_text(s) for s in items]
            else:
                words = [_number_text(v) for v in items]
            return "[" + ", ".join(words) + "]"
    return "[]"


def _bytes_text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return repr(raw[:64]) + ("…" if len(raw) > 64 else "")
    return text if len(text) <= 200 else text[:200] + "…"


def _parse_output_dtype(node: NodeDef, port: int) -> str:
    position = 0
    for name, count in _OUTPUT_ARGS.get(node.op, ()):
        size = _arg_count(node, count)
        if port < position + size:
            spec = _PARSE_ARG_DTYPES.get(name, "")
            if spec.startswith("DT_") or spec not in node.attr:
                return spec if spec.startswith("DT_") else ""
            types = node.attr[spec].list.type
            return type_name(types[port - position]) if port - position < len(types) else ""
        position += size
    return ""


def _arg_count(node: NodeDef, count: int | str) -> int:
    if isinstance(count, int):
        return count
    if count not in node.attr:
        return 0
    value = node.attr[count]
    return len(value.list.type) if value.HasField("list") else int(value.i)


@cache
def _data_type_enum() -> Any:
    return protos.message_class("tensorflow.AttrValue").DESCRIPTOR.fields_by_name["type"].enum_type
