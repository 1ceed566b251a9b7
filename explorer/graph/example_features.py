"""Which tf.Example features a signature parses, read from its graph without TensorFlow.

A Classify/Regress signature takes a DT_STRING batch of serialized ``tf.Example`` protos;
what it expects inside them is written only in the graph: the ``ParseExample``,
``ParseExampleV2`` or ``ParseSingleExample`` op that consumes the ``inputs`` tensor. TF1
models have that op in the top-level graph; TF2 models hide it in a library function
reached through ``StatefulPartitionedCall``/``PartitionedCall``, so the walk follows call
ops into function bodies, mapping each call argument to the function's input argument.
The op's key constants, ``Tdense``/``sparse_types`` attrs, ``dense_shapes`` and
``dense_defaults`` inputs give each feature's name, kind, dtype, shape and default; a dense
feature whose default is empty is required (ParseExample fails without it).
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from explorer.model import protos
from explorer.model.dtypes import numpy_name
from explorer.model.info import MetaGraphInfo, Shape, SignatureInfo

_PARSE_OPS = ("ParseExample", "ParseExampleV2", "ParseSingleExample")
_CALL_OPS = ("StatefulPartitionedCall", "PartitionedCall")
# Ops that pass their first input's values through unchanged (for default constants).
_PASS_THROUGH = ("Identity", "Reshape", "ExpandDims", "Squeeze", "Cast")
_JSON_ZERO = {"DT_FLOAT": 0.0, "DT_INT64": 0, "DT_STRING": ""}


@dataclass(frozen=True, slots=True)
class ExampleFeature:
    """One feature a signature's ParseExample op reads from each tf.Example."""

    name: str
    # DT_FLOAT (float_list), DT_INT64 (int64_list) or DT_STRING (bytes_list).
    dtype: str
    # Dense: the per-example shape (a None dim is -1, variable length). None for sparse/ragged.
    shape: Shape
    # Dense: the default's values flattened (bytes for DT_STRING); None when required/sparse.
    default: tuple[Any, ...] | None
    kind: Literal["dense", "sparse", "ragged"] = "dense"
    # True for a dense feature without a default: every example must carry it.
    required: bool = False

    @property
    def list_kind(self) -> str:
        """The Feature list it must be sent as: ``float_list``, ``int64_list``, ``bytes_list``."""
        return {"DT_FLOAT": "float_list", "DT_INT64": "int64_list"}.get(self.dtype, "bytes_list")


def expected_features(
    meta_graph: MetaGraphInfo, signature: SignatureInfo
) -> tuple[ExampleFeature, ...]:
    """The features the graph parses out of the signature's serialized-examples input.

    Args:
        meta_graph: the MetaGraph holding the signature (its ``proto`` is walked).
        signature: a signature whose ``inputs`` (or only) input is a DT_STRING tensor.

    Returns:
        Features in the order the parse ops list them; empty when no ParseExample op
        consumes the input (e.g. a float-input signature).

    Raises:
        Nothing: a graph this cannot read yields fewer (or no) features.
    """
    tensor = signature.input("inputs") or (
        signature.inputs[0] if len(signature.inputs) == 1 else None
    )
    if tensor is None or not tensor.name or meta_graph.proto is None:
        return ()
    graph_def = meta_graph.proto.graph_def
    scopes = {"": _Scope(graph_def.node, ())}
    scopes.update(
        (f.signature.name, _Scope(f.node_def, f.signature.input_arg))
        for f in graph_def.library.function
    )
    found: dict[str, ExampleFeature] = {}
    for scope, node in _parse_ops(scopes, tensor.name.split(":")[0]):
        for feature in _read_parse_op(scope, node):
            found.setdefault(feature.name, feature)
    return tuple(found.values())


def example_template(features: Iterable[ExampleFeature]) -> dict[str, Any]:
    """A prefilled example a user can edit: defaults where the graph has them, else zeros.

    Values follow TF Serving's JSON typing, so the template round-trips: floats are written
    with a decimal point, int64s as integers, bytes as strings (or ``{"b64": ...}``).

    Args:
        features: from :func:`expected_features`.

    Returns:
        Feature name → value (a scalar for one-element dense features, else a list).

    Raises:
        Nothing.
    """
    template: dict[str, Any] = {}
    for feature in features:
        if feature.kind == "dense" and feature.default:
            values = [_json_value(v, feature.dtype) for v in feature.default]
        else:
            size = 1
            if feature.kind == "dense" and feature.shape:
                size = int(np.prod([d or 1 for d in feature.shape]))
            values = [_JSON_ZERO.get(feature.dtype, "")] * max(size, 1)
        single = feature.kind == "dense" and len(values) == 1 and feature.shape in ((), (1,))
        template[feature.name] = values[0] if single else values
    return template


class _Scope:
    """One node namespace: the top-level graph ("") or a library function body."""

    def __init__(self, nodes: Sequence[Any], args: Sequence[Any]) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.args = tuple(a.name for a in args)
        self.consumers: dict[str, list[tuple[Any, int]]] = {}
        for node in nodes:
            data_inputs = [i for i in node.input if not i.startswith("^")]
            for index, ref in enumerate(data_inputs):
                self.consumers.setdefault(ref.split(":")[0], []).append((node, index))

    def producer(self, ref: str) -> Any:
        return self.nodes.get(ref.split(":")[0])


def _parse_ops(scopes: dict[str, _Scope], start: str) -> list[tuple[_Scope, Any]]:
    # Forward walk from the input node; enter a function where a call op consumes a reached
    # tensor. A parse op counts only when the reached tensor is its serialized input.
    queue = deque([("", start)])
    seen = {("", start)}
    found = []
    while queue:
        scope_name, name = queue.popleft()
        scope = scopes[scope_name]
        for node, index in scope.consumers.get(name, ()):
            targets: list[tuple[str, str]] = []
            if node.op in _PARSE_OPS:
                if index == 0:
                    found.append((scope, node))
                continue
            function = node.attr["f"].func.name if node.op in _CALL_OPS else node.op
            if function in scopes and function:
                callee = scopes[function]
                if index < len(callee.args):
                    targets.append((function, callee.args[index]))
            else:
                targets.append((scope_name, node.name))
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    return found


def _read_parse_op(scope: _Scope, node: Any) -> list[ExampleFeature]:
    attr = node.attr
    inputs = [i for i in node.input if not i.startswith("^")]
    dense_types = [_dtype(t) for t in attr["Tdense"].list.type]
    shapes = [_shape(s) for s in attr["dense_shapes"].list.shape]
    sparse_types = [_dtype(t) for t in attr["sparse_types"].list.type]
    ragged: list[tuple[str, str]] = []
    if node.op == "ParseExample":
        n_sparse, n_dense = attr["Nsparse"].i, attr["Ndense"].i
        sparse_keys = [_first(_const(scope, r)) for r in inputs[2 : 2 + n_sparse]]
        dense_keys = [
            _first(_const(scope, r)) for r in inputs[2 + n_sparse : 2 + n_sparse + n_dense]
        ]
        default_refs = inputs[2 + n_sparse + n_dense :]
    elif node.op == "ParseExampleV2":
        sparse_keys, dense_keys, ragged_keys = (_const(scope, r) or [] for r in inputs[2:5])
        ragged = list(
            zip(
                ragged_keys, (_dtype(t) for t in attr["ragged_value_types"].list.type), strict=False
            )
        )
        default_refs = inputs[5:]
    else:  # ParseSingleExample keeps its keys in attrs
        sparse_keys, dense_keys = list(attr["sparse_keys"].list.s), list(attr["dense_keys"].list.s)
        default_refs = inputs[1:]
    features = []
    for i, key in enumerate(dense_keys):
        default = _const(scope, default_refs[i]) if i < len(default_refs) else None
        features.append(
            ExampleFeature(
                name=_text(key),
                dtype=dense_types[i] if i < len(dense_types) else "DT_INVALID",
                shape=shapes[i] if i < len(shapes) else None,
                default=tuple(default) if default else None,
                required=not default,
            )
        )
    features += [
        ExampleFeature(_text(k), t, None, None, kind="sparse")
        for k, t in zip(sparse_keys, sparse_types, strict=False)
    ]
    features += [ExampleFeature(_text(k), t, None, None, kind="ragged") for k, t in ragged]
    return features


def _const(scope: _Scope, ref: str | None) -> list[Any] | None:
    """The values of a Const (possibly behind Identity/Reshape) in this scope, else None."""
    node = scope.producer(ref) if ref else None
    for _ in range(8):
        if node is None:
            return None
        if node.op == "Const":
            return _tensor_values(node.attr["value"].tensor)
        if node.op not in _PASS_THROUGH or not node.input:
            return None
        node = scope.producer(node.input[0])
    return None


def _tensor_values(tensor: Any) -> list[Any]:
    # A TensorProto decoded without TensorFlow; fewer values than elements repeat the last.
    dtype = _dtype(tensor.dtype)
    size = int(np.prod([d.size for d in tensor.tensor_shape.dim])) if tensor.tensor_shape.dim else 1
    if tensor.tensor_content and dtype != "DT_STRING":
        values: list[Any] = np.frombuffer(tensor.tensor_content, dtype=numpy_name(dtype)).tolist()
        return values
    field = {
        "DT_STRING": "string_val",
        "DT_FLOAT": "float_val",
        "DT_DOUBLE": "double_val",
        "DT_INT64": "int64_val",
        "DT_BOOL": "bool_val",
    }.get(dtype, "int_val")
    values = list(getattr(tensor, field))
    if values and len(values) < size:
        values += [values[-1]] * (size - len(values))
    return values


def _dtype(number: int) -> str:
    enum = protos.message_class("tensorflow.AttrValue").DESCRIPTOR.fields_by_name["type"]
    value = enum.enum_type.values_by_number.get(number)
    return value.name if value is not None else f"DT_UNKNOWN_{number}"


def _shape(proto: Any) -> Shape:
    if proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in proto.dim)


def _first(values: list[Any] | None) -> Any:
    return values[0] if values else b""


def _text(key: Any) -> str:
    return key.decode("utf-8", errors="replace") if isinstance(key, bytes) else str(key)


def _json_value(value: Any, dtype: str) -> Any:
    if dtype == "DT_FLOAT":
        # float32's shortest repr (0.1, not 0.10000000149011612), kept a float for JSON.
        return float(str(np.float32(value)))
    if dtype == "DT_STRING":
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(value).decode("ascii")}
    return int(value)
