"""Which tf.Example features a signature parses, read from its graph without TensorFlow.

A Classify/Regress signature takes a DT_STRING batch of serialized ``tf.Example`` protos;
what it expects inside them is written only in the graph: the ``ParseExample``,
``ParseExampleV2`` or ``ParseSingleExample`` op that consumes the ``inputs`` tensor. TF1
models have that op in the top-level graph; TF2 models hide it in a library function
reached through ``StatefulPartitionedCall``/``PartitionedCall``, so the walk follows call
ops into function bodies, mapping each call argument to the function's input argument.
The op's key constants, ``Tdense``/``sparse_types`` attrs, ``dense_shapes`` and
``dense_defaults`` inputs give each feature's name, kind, dtype, shape and default; a dense
feature whose default is empty is required (ParseExample fails without it). A string
feature that the graph then looks up in a table gets that table's keys as its vocabulary
(``explorer.graph.lookup_tables``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from explorer.graph.dataflow import Dataflow, Port, data_inputs, dataflow_of
from explorer.graph.lookup_tables import Vocabulary, lookup_vocabulary
from explorer.graph.tensor_values import const_values, dtype_name
from explorer.model.info import MetaGraphInfo, Shape, SignatureInfo

_PARSE_OPS = ("ParseExample", "ParseExampleV2", "ParseSingleExample")
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
    # A string feature the graph looks up in a table: the keys it knows.
    vocabulary: Vocabulary | None = field(default=None, compare=False)

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
    if tensor is None or not tensor.name:
        return ()
    return tensor_features(meta_graph, tensor.name)


def tensor_features(meta_graph: MetaGraphInfo, tensor_name: str) -> tuple[ExampleFeature, ...]:
    """The features the graph parses out of one tensor (e.g. a predict input of serialized
    tf.Examples); empty when no ParseExample op consumes it.

    Raises:
        Nothing: a graph this cannot read yields fewer (or no) features.
    """
    flow = dataflow_of(meta_graph)
    found: dict[str, ExampleFeature] = {}
    for scope, node in _parse_ops(flow, flow.port("", tensor_name)):
        for feature in _read_parse_op(flow, meta_graph, scope, node):
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


def _parse_ops(flow: Dataflow, start: Port) -> list[tuple[str, Any]]:
    # Through any op (the serialized strings may be reshaped, batched, sliced first); a
    # parse op counts only when the reached tensor is its serialized input (index 0).
    return [
        (use.scope, use.node)
        for use in flow.consumers(start, through=lambda use: use.node.op not in _PARSE_OPS)
        if use.node.op in _PARSE_OPS and use.input_index == 0
    ]


def _read_parse_op(
    flow: Dataflow, meta_graph: MetaGraphInfo, scope: str, node: Any
) -> list[ExampleFeature]:
    attr = node.attr
    inputs = data_inputs(node)
    dense_types = [dtype_name(t) for t in attr["Tdense"].list.type]
    shapes = [_shape(s) for s in attr["dense_shapes"].list.shape]
    sparse_types = [dtype_name(t) for t in attr["sparse_types"].list.type]
    ragged: list[tuple[str, str]] = []
    if node.op == "ParseExample":
        n_sparse, n_dense = attr["Nsparse"].i, attr["Ndense"].i
        sparse_keys = [_first(_const(flow, scope, r)) for r in inputs[2 : 2 + n_sparse]]
        dense_keys = [
            _first(_const(flow, scope, r)) for r in inputs[2 + n_sparse : 2 + n_sparse + n_dense]
        ]
        default_refs = inputs[2 + n_sparse + n_dense :]
    elif node.op == "ParseExampleV2":
        sparse_keys, dense_keys, ragged_keys = (_const(flow, scope, r) or [] for r in inputs[2:5])
        ragged = list(
            zip(
                ragged_keys,
                (dtype_name(t) for t in attr["ragged_value_types"].list.type),
                strict=False,
            )
        )
        default_refs = inputs[5:]
    else:  # ParseSingleExample keeps its keys in attrs
        sparse_keys, dense_keys = list(attr["sparse_keys"].list.s), list(attr["dense_keys"].list.s)
        default_refs = inputs[1:]
    counts = {
        "sparse_indices": len(sparse_keys),
        "sparse_values": len(sparse_keys),
        "sparse_shapes": len(sparse_keys),
        "dense_values": len(dense_keys),
        "ragged_values": len(ragged),
    }

    def vocabulary(dtype: str, arg: str, index: int) -> Vocabulary | None:
        # The feature's values tensor, named as this scope names the op's outputs.
        if dtype != "DT_STRING":
            return None
        flat = sum(list(counts.values())[: list(counts).index(arg)]) + index
        port = Port(scope, node.name, index, arg) if scope else Port(scope, node.name, flat)
        return lookup_vocabulary(flow, meta_graph, port)

    features = []
    for i, key in enumerate(dense_keys):
        default = _const(flow, scope, default_refs[i]) if i < len(default_refs) else None
        dtype = dense_types[i] if i < len(dense_types) else "DT_INVALID"
        features.append(
            ExampleFeature(
                name=_text(key),
                dtype=dtype,
                shape=shapes[i] if i < len(shapes) else None,
                default=tuple(default) if default else None,
                required=not default,
                vocabulary=vocabulary(dtype, "dense_values", i),
            )
        )
    features += [
        ExampleFeature(
            _text(k), t, None, None, kind="sparse", vocabulary=vocabulary(t, "sparse_values", i)
        )
        for i, (k, t) in enumerate(zip(sparse_keys, sparse_types, strict=False))
    ]
    features += [
        ExampleFeature(
            _text(k), t, None, None, kind="ragged", vocabulary=vocabulary(t, "ragged_values", i)
        )
        for i, (k, t) in enumerate(ragged)
    ]
    return features


def _const(flow: Dataflow, scope: str, ref: str | None) -> list[Any] | None:
    """The values of a Const (possibly behind Identity/Reshape) in this scope, else None."""
    node = flow.node(scope, ref.split(":")[0]) if ref else None
    for _ in range(8):
        if node is None:
            return None
        if node.op == "Const":
            return const_values(node)
        if node.op not in _PASS_THROUGH or not node.input:
            return None
        node = flow.node(scope, node.input[0].split(":")[0])
    return None


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
