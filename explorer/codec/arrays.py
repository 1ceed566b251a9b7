"""Python and numpy values as a signature's feeds: dense, sparse, ragged, and ``.npy`` files.

``predict_arrays`` feeds a numpy array as it is (its own dtype and shape, as a gRPC
TensorProto would carry them), converts lists and scalars like REST JSON, and reads a
``pathlib.Path`` to a ``.npy`` file after checking its header against the element budget.

TF Serving feeds every input by its TensorInfo ``name``; a ``coo_sparse`` or
``composite_tensor`` TensorInfo has none, so TF Serving cannot feed it at all. Here such
inputs are fed through their component tensors instead (an extension, so sparse/ragged
samples can be tried): a sparse input takes ``{"indices", "values", "dense_shape"}``, a
ragged one nested lists of varying length (or ``tf.RaggedTensor``-like objects).
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Mapping
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from explorer.codec.json_tensor import to_array
from explorer.codec.limits import ElementBudget, element_count
from explorer.errors import InputError
from explorer.model.info import SignatureInfo, TensorInfo

RAGGED_SPEC = re.compile(r"RaggedTensorSpec\(.*, tf\.(\w+), (\d+), tf\.(\w+)\)$")
_NPY_MAGIC = b"\x93NUMPY"


def array_values(
    signature: SignatureInfo, inputs: Mapping[str, Any], budget: ElementBudget
) -> dict[str, Any]:
    """``predict_arrays``' inputs ready to feed: arrays as given, the rest converted.

    Args:
        signature: the signature called (its input dtypes convert lists and scalars).
        inputs: input alias → array, list, scalar, ``Path`` to a ``.npy``, or a
            sparse/ragged value.
        budget: the request's element budget.

    Returns:
        Alias → value (dense inputs as arrays; sparse/ragged ones as given).

    Raises:
        InputError: a key that is not a string, a value that cannot be converted, an
            unreadable ``.npy`` file, or more elements than the budget allows.
    """
    infos = {t.key: t for t in signature.inputs}
    values = dict(inputs)
    for key, value in inputs.items():
        if not isinstance(key, str):
            raise InputError(f"Input names must be strings; got {key!r} ({type(key).__name__}).")
        info = infos.get(key)
        if isinstance(value, Path):
            value = values[key] = read_npy(value, key=key, budget=budget)
        if isinstance(value, np.generic):
            values[key] = np.asarray(value)  # a numpy scalar keeps its dtype, like an array
        elif isinstance(value, np.ndarray):
            budget.take(key, int(value.size), value.shape)
        elif info is not None and info.encoding == "name":
            values[key] = to_array(value, info.dtype, key=key, budget=budget)
        elif info is not None:
            take_composite(budget, info, value)
    return values


def read_npy(source: Path | str | bytes, *, key: str = "", budget: ElementBudget) -> np.ndarray:
    """A ``.npy`` file (path or bytes) as an array, refused from its header alone when it
    would hold more elements than the budget (never unpickled).

    Args:
        source: the file's path, or its bytes.
        key: the input it is for, for messages.
        budget: the request's element budget.

    Returns:
        The array.

    Raises:
        InputError: not a ``.npy`` file, an object array, a bad or negative shape, too
            many elements, or data shorter than the header says.
    """
    name = f'Input "{key}": ' if key else ""
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{name}cannot open {source!s}: {exc.strerror}", key=key) from exc
    with stream:
        try:
            if stream.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                raise ValueError("it does not start with the .npy magic bytes")
            stream.seek(0)
            version = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(stream)
            if dtype.hasobject:
                raise ValueError("it holds Python objects, which would need unpickling")
            if any(d < 0 for d in shape):
                raise ValueError(f"its header has a negative dimension: {shape}")
            budget.take(key, element_count(shape), shape)
            stream.seek(0)
            loaded: np.ndarray = np.load(stream, allow_pickle=False)
            return loaded
        except InputError:
            raise
        except (ValueError, OSError, EOFError, TypeError) as exc:
            raise InputError(f"{name}not a readable .npy array: {exc}", key=key) from exc


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
        plain = isinstance(value, list) and bool(value)
        plain = plain and not all(isinstance(row, dict) for row in value or ())
    if plain and len(signature.inputs) == 1:
        return {}, dense, {composite[0].key: value}
    if form == "inputs" and isinstance(value, dict):
        picked = {k: value[k] for k in keys if k in value}
        return {**doc, "inputs": {k: v for k, v in value.items() if k not in keys}}, dense, picked
    if form == "instances" and isinstance(value, list) and value and not plain:
        picked = {k: [row[k] for row in value] for k in keys if all(k in row for row in value)}
        rows = [{k: v for k, v in row.items() if k not in keys} for row in value]
        return {**doc, "instances": rows}, dense, picked
    return doc, dense, {}


def take_composite(budget: ElementBudget, info: TensorInfo, value: Any) -> None:
    """Charge a sparse/ragged input's values to the budget, before they are converted.

    Raises:
        InputError: more elements than the budget allows.
    """
    if isinstance(value, Mapping):
        count = _size(value.get("values")) + _size(value.get("indices"))
    elif hasattr(value, "flat_values"):
        count = _size(value.flat_values)
    else:
        match = RAGGED_SPEC.match(info.composite_spec or "")
        level: Any = value if isinstance(value, list) else []
        for _ in range(int(match[2]) if match else 0):
            level = chain.from_iterable(row for row in level if isinstance(row, list))
        count = sum(_size(item) for item in level)
    budget.take(info.key, count)


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
        return _sparse_feeds(info, value)
    match = RAGGED_SPEC.match(info.composite_spec or "")
    if match is None:
        parts = _parts(value, ("components",))
        if parts is None or _size(parts["components"]) != len(info.component_names):
            raise InputError(
                f'Input "{info.key}" is a {info.composite_spec}: send {{"components": [...]}} '
                f"with {len(info.component_names)} values.",
                key=info.key,
            )
        return {
            n: _numeric(info.key, c, None)
            for n, c in zip(info.component_names, parts["components"], strict=True)
        }
    dtype, ragged_rank, split_dtype = tf_dtype(match[1]), int(match[2]), match[3]
    if hasattr(value, "flat_values") and hasattr(value, "nested_row_splits"):
        components = [
            np.asarray(value.flat_values),
            *(np.asarray(s) for s in value.nested_row_splits),
        ]
    else:
        components = _ragged(info.key, value, ragged_rank, dtype, split_dtype)
    return dict(zip(info.component_names, components, strict=True))


def tf_dtype(name: str) -> str:
    """A type spec's ``tf.float32`` → ``DT_FLOAT`` (TensorFlow's Python names → DataType)."""
    special = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "float16": "DT_HALF"}
    return special.get(name) or f"DT_{name.upper()}"


def _sparse_feeds(info: TensorInfo, value: Any) -> dict[str, Any]:
    values_name, indices_name, shape_name = info.sparse_tensors or ("", "", "")
    parts = _parts(value, ("indices", "values", "dense_shape"))
    if parts is None:
        raise InputError(
            f'Input "{info.key}" is sparse: send {{"indices": [[...]], "values": [...], '
            '"dense_shape": [...]}.',
            key=info.key,
        )
    shape = _numeric(info.key, parts["dense_shape"], "DT_INT64")
    if shape.ndim != 1 or shape.size == 0:
        raise InputError(
            f'Input "{info.key}": "dense_shape" must be a non-empty list of dimensions; got '
            f"shape [{','.join(map(str, shape.shape))}].",
            key=info.key,
        )
    indices = _numeric(info.key, parts["indices"], "DT_INT64")
    if indices.size % shape.size:
        raise InputError(
            f'Input "{info.key}": "indices" must hold {shape.size} numbers per value (one per '
            f"dimension of dense_shape); got {indices.size} in all.",
            key=info.key,
        )
    return {
        values_name: _numeric(info.key, parts["values"], info.dtype),
        indices_name: indices.reshape(-1, shape.size),
        shape_name: shape,
    }


def _numeric(key: str, value: Any, dtype: str | None) -> np.ndarray:
    # Arrays as given (TF checks their dtype); JSON through json_tensor's rules.
    if isinstance(value, np.ndarray):
        return value
    if dtype is not None:
        return to_array(value, dtype, key=key)
    try:
        return np.asarray(value)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise InputError(f'Input "{key}": cannot make an array of {value!r:.80}', key=key) from exc


def _size(value: Any) -> int:
    if isinstance(value, (list, tuple)):
        return len(value)
    return int(getattr(value, "size", 1))


def _parts(value: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    if isinstance(value, Mapping) and all(n in value for n in names):
        return {n: value[n] for n in names}
    if all(hasattr(value, n) for n in names):  # e.g. a tf.SparseTensor
        return {n: np.asarray(getattr(value, n)) for n in names}
    return None


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
    return [to_array(level, dtype, key=key), *splits]
