"""Values around a call: its result, sparse/ragged inputs, templates, request JSON, frames.

TF Serving feeds every input by its TensorInfo ``name``; a ``coo_sparse`` or
``composite_tensor`` TensorInfo has none, so TF Serving cannot feed it at all. Here such
inputs are fed through their component tensors instead (an extension, so sparse/ragged
samples can be tried): a sparse input takes ``{"indices", "values", "dense_shape"}``, a
ragged one nested lists of varying length (or ``tf.RaggedTensor``-like objects).
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from explorer import rest_json, tf_example
from explorer.constants import MethodKind
from explorer.errors import InputError
from explorer.example_features import example_template, expected_features
from explorer.model_info import MetaGraphInfo, SignatureInfo, TensorInfo

_RAGGED_SPEC = re.compile(r"RaggedTensorSpec\(.*, tf\.(\w+), (\d+), tf\.(\w+)\)$")
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


def split_composites(
    doc: Mapping[str, Any], signature: SignatureInfo
) -> tuple[Mapping[str, Any], SignatureInfo, dict[str, Any]]:
    """Take sparse/ragged inputs out of a predict body; the rest goes through rest_json.

    Args:
        doc: the parsed predict body.
        signature: the signature called.

    Returns:
        The body without them, the signature without them, and their raw JSON values.

    Raises:
        Nothing: malformed values are reported when they are fed.
    """
    composite = [t for t in signature.inputs if t.encoding != "name"]
    if not composite:
        return doc, signature, {}
    keys = {t.key for t in composite}
    dense = dataclasses.replace(
        signature, inputs=tuple(t for t in signature.inputs if t.encoding == "name")
    )
    form = "instances" if "instances" in doc else "inputs"
    value = doc.get(form)
    if form == "inputs":
        # One input: the value is that input's (even a dict) unless it is keyed by name.
        plain = not isinstance(value, dict) or composite[0].key not in value
    else:
        plain = bool(value) and not all(isinstance(row, dict) for row in value)
    if plain and len(signature.inputs) == 1:
        return {}, dense, {composite[0].key: value}
    if form == "inputs" and isinstance(value, dict):
        picked = {k: value[k] for k in keys if k in value}
        return {**doc, "inputs": {k: v for k, v in value.items() if k not in keys}}, dense, picked
    if form == "instances" and isinstance(value, list) and not plain:
        picked = {k: [row[k] for row in value] for k in keys if all(k in row for row in value)}
        rows = [{k: v for k, v in row.items() if k not in keys} for row in value]
        return {**doc, "instances": rows}, dense, picked
    return doc, dense, {}


def component_feeds(info: TensorInfo, value: Any) -> dict[str, Any]:
    """Graph tensor name → array for one signature input (components for sparse/ragged).

    Args:
        info: the input's TensorInfo.
        value: an array, or a sparse/ragged value in one of the forms above.

    Returns:
        The feeds for this input.

    Raises:
        InputError: a sparse/ragged value in a form this cannot read.
    """
    if info.encoding == "name":
        return {info.name or "": value}
    if info.encoding == "coo_sparse" and info.sparse_tensors:
        values_name, indices_name, shape_name = info.sparse_tensors
        parts = _parts(value, ("indices", "values", "dense_shape"))
        if parts is None:
            raise InputError(
                f'Input "{info.key}" is sparse: send {{"indices": [[...]], "values": [...], '
                '"dense_shape": [...]}.',
                key=info.key,
                expected="indices/values/dense_shape",
            )
        indices = np.asarray(parts["indices"], dtype=np.int64)
        return {
            values_name: _array(parts["values"], info.dtype),
            indices_name: indices.reshape(-1, len(parts["dense_shape"])),
            shape_name: np.asarray(parts["dense_shape"], dtype=np.int64),
        }
    match = _RAGGED_SPEC.match(info.composite_spec or "")
    if match is None:
        parts = _parts(value, ("components",))
        if parts is None or len(parts["components"]) != len(info.component_names):
            raise InputError(
                f'Input "{info.key}" is a {info.composite_spec}: send {{"components": [...]}} '
                f"with {len(info.component_names)} values.",
                key=info.key,
            )
        return {
            n: np.asarray(c) for n, c in zip(info.component_names, parts["components"], strict=True)
        }
    dtype, ragged_rank, split_dtype = _tf_dtype(match[1]), int(match[2]), match[3]
    if hasattr(value, "flat_values") and hasattr(value, "nested_row_splits"):
        components = [
            np.asarray(value.flat_values),
            *(np.asarray(s) for s in value.nested_row_splits),
        ]
    else:
        components = _ragged(info.key, value, ragged_rank, dtype, split_dtype)
    return dict(zip(info.component_names, components, strict=True))


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


def _parts(value: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    if isinstance(value, Mapping) and all(n in value for n in names):
        return {n: value[n] for n in names}
    if all(hasattr(value, n) for n in names):  # e.g. a tf.SparseTensor
        return {n: np.asarray(getattr(value, n)) for n in names}
    return None


def _array(value: Any, dtype: str) -> Any:
    return value if isinstance(value, np.ndarray) else rest_json.to_array(value, dtype)


def _ragged(key: str, value: Any, ragged_rank: int, dtype: str, split_dtype: str) -> list[Any]:
    splits = []
    level = value
    for depth in range(ragged_rank):
        if not isinstance(level, list) or not all(isinstance(row, list) for row in level):
            raise InputError(
                f'Input "{key}" is ragged (ragged_rank {ragged_rank}): expected lists nested '
                f"{ragged_rank + 1} deep; level {depth} is not a list of lists.",
                key=key,
            )
        lengths = [len(row) for row in level]
        splits.append(np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(split_dtype))
        level = [item for row in level for item in row]
    return [rest_json.to_array(level, dtype), *splits]


def _template_value(info: TensorInfo, row_form: bool) -> Any:
    zero = _ZERO.get(info.dtype, 0)
    if info.encoding == "coo_sparse":
        rank = len(info.shape) if info.shape else 2
        return {"indices": [[0] * rank], "values": [zero], "dense_shape": [1] * rank}
    if info.encoding == "composite_tensor":
        match = _RAGGED_SPEC.match(info.composite_spec or "")
        leaf = _ZERO.get(_tf_dtype(match[1]), 0) if match else 0
        return [leaf] if row_form else [[leaf]]
    dims = [] if info.shape is None else [d or 1 for d in info.shape]
    return np.full(dims[1:] if row_form and dims else dims, zero).tolist()


def _tf_dtype(name: str) -> str:
    # A type spec's "tf.float32" → DT_FLOAT (TensorFlow's Python names → DataType).
    special = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "float16": "DT_HALF"}
    return special.get(name) or f"DT_{name.upper()}"


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
