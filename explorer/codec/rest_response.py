"""TF Serving's REST response bodies, byte for byte: ``predictions`` / ``outputs`` for
Predict, ``results`` for Classify and Regress, and the HTTP status of an error.

Mirrors ``MakeJsonFromTensors``, ``MakeJsonFromClassificationResult`` and
``MakeJsonFromRegressionResult`` (``json_tensor.cc``, reference §5.3-5.4): rapidjson's
PrettyWriter layout, floats via ``WriteDecimal``, and strings of an output whose alias ends
in ``_bytes`` as ``{"b64": ...}`` (``AddTensorValues``). Numbers and booleans are written a
whole tensor at a time (``explorer.codec.json_numbers``: in C where the extension is built,
the GIL released), strings one by one. A dtype the
writer has no case for (``uint16``, ``half``, ``bfloat16``, complex) fails as TF Serving's
does, when the first value of it is written.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np

from explorer.codec.json_numbers import array_text, item_texts, writes_in_bulk
from explorer.codec.rest_text import PrettyWriter, quote
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
    # A protobuf map's order is the server's hash order; these are sorted by alias.
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
    if batch and not multi and writes_in_bulk(arrays[names[0]]) and arrays[names[0]].size:
        # One output: the items are the tensor's rows, each written single-line; only the
        # closing bracket of "predictions" goes on a line of its own.
        end = "\n" + "    " * len(writer.levels) + "]"
        writer.raw(
            array_text(arrays[names[0]], depth=len(writer.levels), single_line=True, end=end)
        )
        writer.end_object()
        return writer.text()
    # Numbers: every item's text at once. Strings (whose b64 objects are indented by
    # their depth) are written where they go.
    items = {
        name: item_texts(array) if writes_in_bulk(array) and array.size else None
        for name, array in arrays.items()
    }
    writer.start_array()
    for item in range(batch or 0):
        if multi:
            writer.start_object()
        writer.single_line = True
        for name in names:
            if multi:
                writer.key(name)
            texts = items[name]
            if texts is not None:
                writer.raw(texts[item])
            else:
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
    flat = np.asarray([s for row in scores for s in row], np.float32)
    score_texts = iter(item_texts(flat) if flat.size else [])
    writer = PrettyWriter()
    writer.start_object()
    writer.key("results")
    writer.start_array()
    for example_labels in labels:
        writer.single_line = True
        pairs = ", ".join(f"[{quote(label)}, {next(score_texts)}]" for label in example_labels)
        writer.raw(f"[{pairs}]")
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
    flat = np.asarray(values, np.float32).reshape(-1)
    writer.raw(array_text(flat, depth=len(writer.levels), single_line=True))
    writer.end_object()
    return writer.text()


def as_bytes(name: str, array: np.ndarray) -> bool:
    return array.dtype == object and name.endswith("_bytes")


def write_tensor(writer: PrettyWriter, array: np.ndarray, as_bytes: bool) -> None:
    """``AddTensorValues``: nested arrays down to the values; a scalar is written bare.

    Raises:
        ServingRuleError: ``Failed to write JSON value for tensor type: …`` for a dtype
            the writer has no case for, when the tensor holds a value to write.
    """
    if array.size and writes_in_bulk(array):
        writer.raw(array_text(array, depth=len(writer.levels), single_line=writer.single_line))
        return
    if array.size and array.dtype.kind not in "OSU":
        raise ServingRuleError(f"Failed to write JSON value for tensor type: {tf_name(array)}")
    _write_nested(writer, array, as_bytes)


def tf_name(array: np.ndarray) -> str:
    """TensorFlow's ``DataTypeString`` for a fetched array's dtype (``float16`` → ``half``)."""
    name = array.dtype.name
    return {"float16": "half", "bool": "bool", "object": "string"}.get(name, name)


def _write_nested(writer: PrettyWriter, array: np.ndarray, as_bytes: bool) -> None:
    # Strings (and empty tensors): one value at a time.
    if array.ndim == 0:
        _write_string(writer, array.item(), as_bytes)
        return
    writer.start_array()
    if array.ndim > 1:
        for index in range(len(array)):
            _write_nested(writer, array[index, ...], as_bytes)
    else:
        for leaf in array.tolist():
            _write_string(writer, leaf, as_bytes)
    writer.end_array()


def _write_string(writer: PrettyWriter, value: Any, as_bytes: bool) -> None:
    if not as_bytes:
        writer.raw(quote(_text(value)))
        return
    writer.start_object()
    writer.key("b64")
    writer.raw(quote(base64.b64encode(_raw_bytes(value)).decode("ascii")))
    writer.end_object()


def _raw_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
