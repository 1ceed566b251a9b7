"""TF Serving's REST response bodies, byte for byte: ``predictions`` / ``outputs`` for
Predict, ``results`` for Classify and Regress, and the HTTP status of an error.

Mirrors ``MakeJsonFromTensors``, ``MakeJsonFromClassificationResult`` and
``MakeJsonFromRegressionResult`` (``json_tensor.cc``, reference §5.3-5.4): rapidjson's
PrettyWriter layout, floats via ``WriteDecimal``, and strings of an output whose alias ends
in ``_bytes`` as ``{"b64": ...}`` (``AddTensorValues``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np

from explorer.codec.rest_text import PrettyWriter, decimal_texts, quote
from explorer.errors import ServingRuleError


def rest_status(code: str) -> int:
    """The HTTP status TF Serving's REST API answers for a canonical error code.

    Args:
        code: ``ServingRuleError.code``, e.g. ``INVALID_ARGUMENT`` (→ 400).

    Returns:
        The HTTP status (500 for codes TF Serving maps to an internal error).

    Raises:
        Nothing.
    """
    statuses = {
        "OK": 200, "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400,
        "NOT_FOUND": 404, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
        "CANCELLED": 499, "ALREADY_EXISTS": 409, "ABORTED": 409, "PERMISSION_DENIED": 403,
        "UNAUTHENTICATED": 401, "RESOURCE_EXHAUSTED": 429,
    }  # fmt: skip
    return statuses.get(code, 500)


def predict_response_text(tensors: Mapping[str, np.ndarray], *, row_format: bool) -> str:
    """``MakeJsonFromTensors``: the exact response body for predict outputs.

    Args:
        tensors: output alias → array.
        row_format: ``predictions`` (per batch item) rather than ``outputs`` (whole tensors).

    Returns:
        The body text, in rapidjson PrettyWriter's layout.

    Raises:
        ServingRuleError: no outputs, a scalar or mismatched batch in row form, or a dtype
            JSON cannot hold (TF Serving's messages).
    """
    if not tensors:
        raise ServingRuleError("Cannot convert empty tensor map to JSON")
    names = sorted(tensors)
    arrays = {n: np.asarray(tensors[n]) for n in names}
    writer = PrettyWriter()
    writer.start_object()
    multi = len(names) > 1
    if not row_format:
        writer.key("outputs")
        if multi:
            writer.start_object()
        for name in names:
            if multi:
                writer.key(name)
            write_tensor(writer, arrays[name], as_bytes(name, arrays[name]))
        if multi:
            writer.end_object()
        writer.end_object()
        return writer.text()
    batch = None
    for name in names:
        if arrays[name].ndim == 0:
            raise ServingRuleError(f"Tensor name: {name} has no shape information ")
        size = arrays[name].shape[0]
        if batch is not None and size != batch:
            raise ServingRuleError(
                f"Tensor name: {name} has inconsistent batch size: {size} expecting: {batch}"
            )
        batch = size
    writer.key("predictions")
    writer.start_array()
    for item in range(batch or 0):
        if multi:
            writer.start_object()
        writer.single_line = True
        for name in names:
            if multi:
                writer.key(name)
            write_tensor(writer, arrays[name][item, ...], as_bytes(name, arrays[name]))
        writer.single_line = False
        if multi:
            writer.end_object()
    writer.end_array()
    writer.end_object()
    return writer.text()


def classify_response_text(labels: list[list[str]], scores: list[list[float]]) -> str:
    """``MakeJsonFromClassificationResult``: ``{"results": [[[label, score], ...], ...]}``.

    Args:
        labels: per example, one label per class.
        scores: per example, one score per class.

    Returns:
        The body text.

    Raises:
        ServingRuleError: no examples (``Cannot convert empty ClassificationResults``).
    """
    if not labels:
        raise ServingRuleError("Cannot convert empty ClassificationResults to JSON")
    writer = PrettyWriter()
    writer.start_object()
    writer.key("results")
    writer.start_array()
    for example_labels, example_scores in zip(labels, scores, strict=True):
        writer.single_line = True
        writer.start_array()
        for label, score in zip(
            example_labels, decimal_texts(np.asarray(example_scores, np.float32)), strict=True
        ):
            writer.start_array()
            writer.raw(quote(label))
            writer.raw(score)
            writer.end_array()
        writer.end_array()
        writer.single_line = False
    writer.end_array()
    writer.end_object()
    return writer.text()


def regress_response_text(values: np.ndarray) -> str:
    """``MakeJsonFromRegressionResult``: ``{"results": [v1, v2, ...]}``.

    Args:
        values: one float per example.

    Returns:
        The body text.

    Raises:
        ServingRuleError: no values (``Cannot convert empty RegressionResults to JSON``).
    """
    if len(values) == 0:
        raise ServingRuleError("Cannot convert empty RegressionResults to JSON")
    writer = PrettyWriter()
    writer.start_object()
    writer.key("results")
    writer.single_line = True
    writer.raw_array(decimal_texts(np.asarray(values, np.float32)))
    writer.end_object()
    return writer.text()


def as_bytes(name: str, array: np.ndarray) -> bool:
    return array.dtype == object and name.endswith("_bytes")


def _leaf_tokens(array: np.ndarray, as_bytes: bool) -> list[str] | None:
    """JSON tokens for a flat array, or None when each leaf needs an object (b64)."""
    kind = array.dtype.kind
    if kind == "f" and array.dtype.itemsize in (4, 8):
        return decimal_texts(array)
    if kind in "iu" and array.dtype.itemsize <= 8:
        return [str(v) for v in array.tolist()]
    if kind == "b":
        return ["true" if v else "false" for v in array.tolist()]
    if kind in "OSU" and not as_bytes:
        return [quote(_text(v)) for v in array.tolist()]
    if kind in "OSU":
        return None
    name = {"float16": "half", "bfloat16": "bfloat16"}.get(array.dtype.name, array.dtype.name)
    raise ServingRuleError(f"Failed to write JSON value for tensor type: {name}")


def write_tensor(writer: PrettyWriter, array: np.ndarray, as_bytes: bool) -> None:
    # AddTensorValues: nested arrays down to the leaves; a scalar is written bare.
    if array.ndim > 1:
        writer.start_array()
        for sub in array:
            write_tensor(writer, sub, as_bytes)
        writer.end_array()
        return
    tokens = _leaf_tokens(array.reshape(-1), as_bytes)
    if tokens is None:
        leaves = array.reshape(-1).tolist()
        if array.ndim:
            writer.start_array()
        for leaf in leaves:
            writer.start_object()
            writer.key("b64")
            writer.raw(quote(base64.b64encode(_raw_bytes(leaf)).decode("ascii")))
            writer.end_object()
        if array.ndim:
            writer.end_array()
    elif array.ndim:
        writer.raw_array(tokens)
    else:
        writer.raw(tokens[0])


def _raw_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
