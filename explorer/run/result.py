"""Values around a call: its result and options, templates, request JSON, frames.

How Python values, ``.npy`` files and sparse/ragged inputs become feeds is
``explorer.codec.arrays``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from explorer.codec import tf_example
from explorer.codec.arrays import RAGGED_SPEC, tf_dtype
from explorer.constants import MethodKind
from explorer.graph.example_features import example_template, expected_features
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo

_ZERO = {"DT_STRING": "", "DT_BOOL": False, "DT_FLOAT": 0.0, "DT_DOUBLE": 0.0, "DT_HALF": 0.0}


@dataclass(frozen=True, slots=True)
class ArrayRequest:
    """A request given as Python values (``predict_arrays``, ``classify_examples``)."""

    signature_name: str | None
    # "inputs" (alias → value) or "examples" (examples, context).
    kind: str
    payload: Any


@dataclass(frozen=True, slots=True)
class CallTiming:
    """Where the time went, in milliseconds."""

    # JSON parsing, conversion to arrays or tf.Examples, and writing the response.
    conversion_ms: float
    # The Session run alone.
    execution_ms: float
    # Loading the model into a Session (0.0 once it is loaded).
    load_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class CallResult:
    """One call: TF Serving's exact REST response plus the arrays behind it."""

    method: MethodKind
    signature_key: str
    # The response body byte for byte (rapidjson PrettyWriter layout, TF Serving's floats).
    response_text: str
    # The same, parsed: {"predictions"|"outputs"|"results": ...}.
    response_json: Mapping[str, Any]
    # Fetched signature outputs by alias (classify: "classes" and/or "scores").
    outputs: Mapping[str, Any]
    # extra_fetches: graph tensor name → array.
    extra: Mapping[str, Any]
    timing: CallTiming
    # The body as given, or an ArrayRequest for predict_arrays / *_examples.
    request: Any = field(repr=False)

    @property
    def request_json(self) -> dict[str, Any]:
        """The request as a TF Serving REST body (arrays and tf.Examples written as JSON)."""
        return request_json_for(self.method, self.signature_key, self.request)

    def _repr_html_(self) -> str:
        from explorer.present.html import call_result_html

        return call_result_html(self)

    def to_dataframes(self) -> dict[str, Any]:
        """pandas DataFrames: ``results`` for classify/regress, one per output for predict,
        and ``extra:<tensor>`` per extra fetch."""
        return dataframes(self.method, self.response_json, self.outputs, self.extra)


@dataclass(frozen=True, slots=True)
class CallOptions:
    """The options every method shares."""

    method_name_check: bool
    allow_unsafe: bool
    extra_fetches: tuple[str, ...]


class RunContext(NamedTuple):
    """What every step of one call needs."""

    meta_graph: MetaGraphInfo
    model_dir: str
    signature: SignatureInfo
    # time.perf_counter() when the call began (for CallTiming.conversion_ms).
    start: float
    options: CallOptions


def request_json_for(method: MethodKind, signature_key: str, request: Any) -> dict[str, Any]:
    """The REST body equivalent to a call's request (as given, or built from arrays)."""
    if not isinstance(request, ArrayRequest):
        return dict(request)
    body: dict[str, Any] = {"signature_name": request.signature_name or signature_key}
    if request.kind == "examples":
        examples, context = request.payload
        if context is not None:
            body["context"] = _example_json(context)
        body["examples"] = [_example_json(e) for e in examples]
        return body
    body["inputs"] = {k: _jsonable(v) for k, v in request.payload.items()}
    return body


def template(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, method: MethodKind
) -> dict[str, Any]:
    """A prefilled REST body: one example (classify/regress) or instance (predict).

    A predict input that the graph parses as tf.Examples gets a serialized template
    example as ``{"b64": ...}``, so the template runs as it is.
    """
    body: dict[str, Any] = {"signature_name": signature.key}
    example = example_template(expected_features(meta_graph, signature))
    if method is not MethodKind.PREDICT:
        body["examples"] = [example]
        return body
    row_form = bool(signature.inputs) and all(
        t.encoding == "composite_tensor" or (t.encoding == "name" and t.shape != ())
        for t in signature.inputs
    )
    values = {t.key: _template_value(t, row_form) for t in signature.inputs}
    if example and len(values) == 1:
        serialized = tf_example.example_from_json(example).SerializeToString()
        key = signature.inputs[0].key
        values[key] = {"b64": base64.b64encode(serialized).decode("ascii")}
        if not row_form and signature.inputs[0].shape:
            values[key] = [values[key]]
    if row_form:
        body["instances"] = [values if len(values) > 1 else next(iter(values.values()))]
    else:
        body["inputs"] = values if len(values) != 1 else next(iter(values.values()))
    return body


def dataframes(
    method: MethodKind,
    response: Mapping[str, Any],
    outputs: Mapping[str, Any],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """pandas DataFrames of a call's results (see ``CallResult.to_dataframes``)."""
    import pandas as pd

    frames: dict[str, Any] = {}
    if method is MethodKind.CLASSIFY:
        rows = [
            (i, c, label, score)
            for i, classes in enumerate(response["results"])
            for c, (label, score) in enumerate(classes)
        ]
        frames["results"] = pd.DataFrame(rows, columns=["example", "class", "label", "score"])
    elif method is MethodKind.REGRESS:
        results = response["results"]
        frames["results"] = pd.DataFrame({"example": range(len(results)), "value": results})
    else:
        frames.update((alias, _frame(pd, array)) for alias, array in outputs.items())
    frames.update((f"extra:{name}", _frame(pd, array)) for name, array in extra.items())
    return frames


def _frame(pd: Any, array: Any) -> Any:
    array = np.asarray(array)
    if array.dtype == object:
        array = np.vectorize(_text, otypes=[object])(array) if array.size else array
    if array.ndim <= 1:
        return pd.DataFrame({"value": array.reshape(-1)})
    flat = array.reshape(array.shape[0], -1)
    columns = [",".join(map(str, i)) for i in np.ndindex(*array.shape[1:])]
    return pd.DataFrame(flat, columns=columns)


def _template_value(info: TensorInfo, row_form: bool) -> Any:
    zero = _ZERO.get(info.dtype, 0)
    if info.encoding == "coo_sparse":
        rank = len(info.shape) if info.shape else 2
        return {"indices": [[0] * rank], "values": [zero], "dense_shape": [1] * rank}
    if info.encoding == "composite_tensor":
        match = RAGGED_SPEC.match(info.composite_spec or "")
        leaf = _ZERO.get(tf_dtype(match[1]), 0) if match else 0
        return [leaf] if row_form else [[leaf]]
    dims = [] if info.shape is None else [d or 1 for d in info.shape]
    return np.full(dims[1:] if row_form and dims else dims, zero).tolist()


def _example_json(example: Any) -> Any:
    if isinstance(example, (bytes, bytearray)) or hasattr(example, "SerializeToString"):
        return tf_example.example_to_json(example)
    return example


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype == object or value.dtype.kind == "S":
            return (
                np.vectorize(_bytes_json, otypes=[object])(value).tolist()
                if value.size
                else value.tolist()
            )
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "numpy"):  # a TensorFlow tensor
        return _jsonable(np.asarray(value))
    return value


def _bytes_json(value: Any) -> Any:
    if not isinstance(value, bytes):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(value).decode("ascii")}


def _text(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
