"""Prefilled requests for a signature that run as they open: REST bodies, and how the Run
tab's form edits each predict input (:func:`input_plans`).

A prefill is the smallest request the model answers: one example (classify/regress) or one
instance (predict) of zeros, defaults and first vocabulary words. Inputs the graph parses
as tf.Examples are prefilled with a serialized template example (``{"b64": ...}``); sparse
inputs with one value inside the declared dense shape; ragged ones with one row holding one
value. Big tensors (over :data:`explorer.codec.fills.TEXT_ELEMENTS` elements) and images
are never written out as text: their plan says so, and the form builds the array itself.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np

from explorer.codec import tf_example
from explorer.codec.arrays import RAGGED_SPEC, tf_dtype
from explorer.codec.fills import TEXT_ELEMENTS, numpy_dtype
from explorer.constants import MethodKind
from explorer.graph.example_features import (
    ExampleFeature,
    example_template,
    expected_features,
    tensor_features,
)
from explorer.graph.image_inputs import ImageInput, image_input
from explorer.graph.input_scaling import InputScaling, input_scaling
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo

_ZERO = {"DT_STRING": "", "DT_BOOL": False, "DT_FLOAT": 0.0, "DT_DOUBLE": 0.0, "DT_HALF": 0.0}
# Dtypes the form's tables and scalar boxes edit (others are written as JSON).
_TABLE_DTYPES = frozenset(
    {
        "DT_FLOAT",
        "DT_DOUBLE",
        "DT_BOOL",
        "DT_STRING",
        "DT_INT8",
        "DT_INT16",
        "DT_INT32",
        "DT_INT64",
        "DT_UINT8",
        "DT_UINT16",
        "DT_UINT32",
        "DT_UINT64",
    }
)
_MAX_TABLE_COLUMNS = 64

EditorKind = Literal["scalar", "table", "json", "tensor", "image", "examples", "sparse", "ragged"]


@dataclass(frozen=True, slots=True)
class InputPlan:
    """How the Run tab's form edits one predict input, and what it starts with."""

    info: TensorInfo
    kind: EditorKind
    # The starting value with a batch of one, JSON-able: a scalar, nested lists, a sparse
    # {"indices", "values", "dense_shape"}, a ragged {"values", "row_splits"}, or for
    # "examples" one template example. None for "tensor" and "image" (never text).
    start: Any = None
    # "tensor"/"image": the shape the editor starts with (-1 dimensions as 1).
    shape: tuple[int, ...] = ()
    image: ImageInput | None = None
    # "image" of pixels: the constant the graph multiplies the input by first, when it
    # scales the values itself (a Rescaling layer, ``x / 255``); None when it does not.
    scaling: InputScaling | None = None
    # "examples": the tf.Example features the graph parses out of this input.
    features: tuple[ExampleFeature, ...] = ()

    @property
    def key(self) -> str:
        """The input's alias in the signature."""
        return self.info.key


def template(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, method: MethodKind
) -> dict[str, Any]:
    """A prefilled REST body: one example (classify/regress) or instance (predict).

    A predict input that the graph parses as tf.Examples gets a serialized template
    example as ``{"b64": ...}``, so the template runs as it is.
    """
    body: dict[str, Any] = {"signature_name": signature.key}
    if method is not MethodKind.PREDICT:
        body["examples"] = [example_template(expected_features(meta_graph, signature))]
        return body
    row_form = row_format_possible(signature)
    values = {t.key: _template_value(meta_graph, t, row_form) for t in signature.inputs}
    if row_form:
        body["instances"] = [values if len(values) > 1 else next(iter(values.values()))]
    else:
        body["inputs"] = values if len(values) != 1 else next(iter(values.values()))
    return body


def row_format_possible(signature: SignatureInfo) -> bool:
    """Whether every input has a batch dimension, so ``{"instances": [...]}`` can carry it."""
    return bool(signature.inputs) and all(
        t.encoding == "composite_tensor" or (t.encoding == "name" and t.shape != ())
        for t in signature.inputs
    )


def input_plans(meta_graph: MetaGraphInfo, signature: SignatureInfo) -> tuple[InputPlan, ...]:
    """One plan per predict input, in the signature's order.

    Raises:
        Nothing.
    """
    return tuple(_plan(meta_graph, info) for info in signature.inputs)


def serialized_example(example: dict[str, Any]) -> dict[str, str]:
    """One tf.Example (TF Serving's JSON form) serialized, as REST carries bytes."""
    serialized = tf_example.example_from_json(example).SerializeToString()
    return {"b64": base64.b64encode(serialized).decode("ascii")}


def ragged_nested(values: list[Any], row_splits: list[int]) -> list[list[Any]]:
    """Flat values and row splits as the nested lists of a ragged batch.

    Raises:
        ValueError: splits that do not start at 0, go down, or do not end at len(values).
    """
    if not row_splits or row_splits[0] != 0:
        raise ValueError("row splits start at 0 (the first row begins at the first value)")
    if any(b < a for a, b in pairwise(row_splits)):
        raise ValueError(f"row splits never go down; got {row_splits}")
    if row_splits[-1] != len(values):
        raise ValueError(
            f"the last row split is where the values end: {len(values)} values, but the "
            f"splits end at {row_splits[-1]}"
        )
    return [values[a:b] for a, b in pairwise(row_splits)]


def _plan(meta_graph: MetaGraphInfo, info: TensorInfo) -> InputPlan:
    zero = _ZERO.get(info.dtype, 0)
    if info.encoding == "coo_sparse":
        return InputPlan(info, "sparse", _sparse_start(info, zero))
    if info.encoding == "composite_tensor":
        match = RAGGED_SPEC.match(info.composite_spec or "")
        if match is not None and int(match[2]) == 1:
            leaf = _ZERO.get(tf_dtype(match[1]), 0)
            return InputPlan(info, "ragged", {"values": [leaf], "row_splits": [0, 1]})
        return InputPlan(info, "json", [_template_value(meta_graph, info, True)])
    if info.dtype == "DT_STRING" and info.name:
        features = tensor_features(meta_graph, info.name)
        if features:
            return InputPlan(info, "examples", example_template(features), features=features)
    image = image_input(meta_graph, info)
    shape = tuple(1 if d is None else d for d in info.shape or ())
    if image is not None and image.kind == "pixels":
        scaling = input_scaling(meta_graph, info)
        return InputPlan(info, "image", shape=shape, image=image, scaling=scaling)
    if image is not None:
        return InputPlan(info, "image", [""] if info.shape else "", shape=shape, image=image)
    numeric = numpy_dtype(info.dtype) is not None
    size = int(np.prod(shape)) if shape else 1
    if info.shape is not None and numeric and size > TEXT_ELEMENTS:
        return InputPlan(info, "tensor", shape=shape)
    start = np.full(shape, zero).tolist()
    return InputPlan(info, _small_editor(info), start)


def _small_editor(info: TensorInfo) -> EditorKind:
    if info.shape == () and info.dtype in _TABLE_DTYPES:
        return "scalar"
    if info.shape is None or info.dtype not in _TABLE_DTYPES:
        return "json"
    if len(info.shape) == 1:
        return "table"
    if len(info.shape) == 2 and info.shape[1] is not None and info.shape[1] <= _MAX_TABLE_COLUMNS:
        return "table"
    return "json"


def _sparse_start(info: TensorInfo, zero: Any) -> dict[str, Any]:
    # One value at the origin, inside the declared dense shape (a batch of one).
    rank = len(info.shape) if info.shape else 2
    dims = list(info.shape) if info.shape else [None] * rank
    return {
        "indices": [[0] * rank],
        "values": [zero],
        "dense_shape": [1 if d is None else d for d in dims],
    }


def _template_value(meta_graph: MetaGraphInfo, info: TensorInfo, row_form: bool) -> Any:
    zero = _ZERO.get(info.dtype, 0)
    if info.encoding == "coo_sparse":
        return _sparse_start(info, zero)
    if info.encoding == "composite_tensor":
        match = RAGGED_SPEC.match(info.composite_spec or "")
        leaf = _ZERO.get(tf_dtype(match[1]), 0) if match else 0
        return [leaf] if row_form else [[leaf]]
    if info.dtype == "DT_STRING" and info.name:
        features = tensor_features(meta_graph, info.name)
        if features:
            example = serialized_example(example_template(features))
            return example if row_form or not info.shape else [example]
    dims = [] if info.shape is None else [d or 1 for d in info.shape]
    return np.full(dims[1:] if row_form and dims else dims, zero).tolist()
