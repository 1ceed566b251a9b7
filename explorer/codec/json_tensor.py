"""One JSON value ⇄ one tensor, as TF Serving's ``json_tensor.cc`` converts them.

Reading: a scalar or nested lists become an array of the signature's dtype
(``FillTensorProto`` / ``AddValueToTensor``): leaves at one depth, rectangular lists, JSON
types checked per dtype, ``{"b64": ...}`` for strings. A fast path (``np.array`` plus a
check of the few leaves that could be ``true``/``false``) handles valid input; anything
unusual goes through the exact walk, so error texts are always TF Serving's. Writing
tensors back into a response is ``explorer.codec.rest_response``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from itertools import chain
from typing import Any

import numpy as np

from explorer.codec.json_document import member_count
from explorer.codec.limits import (
    MAX_RANK,
    ElementBudget,
    element_count,
    too_deep,
    value_text,
    value_type,
)
from explorer.codec.rest_text import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    tf_type_name,
)
from explorer.errors import InputError

_NUMPY = {
    "DT_FLOAT": np.float32, "DT_DOUBLE": np.float64, "DT_INT32": np.int32,
    "DT_INT16": np.int16, "DT_INT8": np.int8, "DT_UINT8": np.uint8, "DT_INT64": np.int64,
    "DT_UINT32": np.uint32, "DT_UINT64": np.uint64, "DT_BOOL": np.bool_, "DT_STRING": object,
}  # fmt: skip
# Integer dtypes: the range rapidjson's IsInt / IsInt64 / IsUint / IsUint64 accepts.
_INT_RANGE = {
    "DT_INT32": (-(2**31), 2**31 - 1), "DT_INT16": (-(2**31), 2**31 - 1),
    "DT_INT8": (-(2**31), 2**31 - 1), "DT_UINT8": (-(2**31), 2**31 - 1),
    "DT_INT64": (INT64_MIN, INT64_MAX), "DT_UINT32": (0, 2**32 - 1), "DT_UINT64": (0, UINT64_MAX),
}  # fmt: skip


def to_array(
    value: Any,
    dtype: str,
    may_hold_bools: bool = True,
    *,
    key: str | None = None,
    budget: ElementBudget | None = None,
) -> np.ndarray:
    """One JSON value (scalar or nested lists) as an array of ``dtype``, TF Serving's way.

    Args:
        value: a JSON scalar, ``{"b64": ...}`` or nested lists.
        dtype: the signature's declared dtype, e.g. ``DT_FLOAT``.
        may_hold_bools: False when the request text has no true/false token.
        key: the input alias, for error messages.
        budget: counts the elements (from the nesting alone) before anything is built.

    Returns:
        The array (DT_STRING as an object array of bytes), shaped as the nesting.

    Raises:
        InputError: ragged nesting, a value of the wrong JSON type, nesting past 64
            levels, or more elements than the budget allows.
    """
    dims = dense_shape(value, key)
    if budget is not None:
        budget.take(key or "", element_count(dims), dims)
    array = fast_array(value, dims, dtype, may_hold_bools)
    if array is None:
        flat: list[Any] = []
        fill(value, 0, dims, dtype, flat)
        array = from_flat(flat, dims, dtype)
    return np.asarray(array)


def fast_array(value: Any, dims: list[int], dtype: str, may_hold_bools: bool) -> np.ndarray | None:
    """The converted array if every leaf is plainly valid, else None (take the exact path)."""
    target = _NUMPY.get(dtype)
    if target is None or 0 in dims:
        return None
    if dtype == "DT_STRING":
        leaves = _flatten(value, dims)
        if leaves is None or any(type(s) is not str for s in leaves):
            return None
        try:
            encoded = [s.encode() for s in leaves]
        except UnicodeEncodeError:  # a lone surrogate: the exact path says which
            return None
        return np.array(encoded, dtype=object).reshape(dims)
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError, RecursionError):
        # Ragged, mixed, out of range, or nested too deep past the first element.
        return None
    kind = array.dtype.kind
    if list(array.shape) != dims or kind not in "biuf" or (kind == "b") != (dtype == "DT_BOOL"):
        return None
    if kind != "b" and may_hold_bools and _holds_bool(value, array, dims):
        return None
    if dtype in ("DT_FLOAT", "DT_DOUBLE"):
        with np.errstate(over="ignore"):
            if kind in "iu":
                # rapidjson's GetFloat() is static_cast<float>(GetDouble()): an integer
                # token is rounded to a double first, then to a float (twice, not once).
                array = array.astype(np.float64)
            return array.astype(target)
    if dtype in _INT_RANGE:
        low, high = _INT_RANGE[dtype]
        if kind == "f" or int(array.min()) < low or int(array.max()) > high:
            return None
        return array.astype(target)
    return array if kind == "b" else None


def _holds_bool(value: Any, array: np.ndarray, dims: list[int]) -> bool:
    # numpy turns true/false into 1/0 silently; only leaves equal to 0 or 1 can be bools,
    # so look at those few leaves, or scan every leaf type when there are many.
    candidates = np.flatnonzero((array == 0) | (array == 1))
    if len(candidates) > 64:
        return bool in set(map(type, _flatten(value, dims) or [None]))
    indices = np.array(np.unravel_index(candidates, dims)).T.tolist() if dims else [[]]
    for index in indices[: len(candidates)]:
        leaf = value
        for i in index:
            leaf = leaf[i]
        if type(leaf) is bool:
            return True
    return False


def _flatten(value: Any, dims: list[int]) -> list[Any] | None:
    if not dims:
        return [value]
    flat = value
    try:
        for _ in range(len(dims) - 1):
            flat = list(chain.from_iterable(flat))
    except TypeError:
        return None
    flat = list(flat)
    return flat if len(flat) == int(np.prod(dims, dtype=np.int64)) else None


def fill(value: Any, level: int, dims: list[int], dtype: str, out: list[Any]) -> None:
    # FillTensorProto: leaves must all sit at depth == rank, lists must match dims.
    rank = len(dims)
    if not isinstance(value, (list, tuple)):
        if level != rank:
            raise InputError(
                f"JSON Value: {value_text(value)} found at incorrect level: {level + 1} "
                f"in the JSON DOM. Expected at level: {rank}"
            )
        if isinstance(value, dict):
            if dtype != "DT_STRING":
                raise _type_error(value, dtype)
            out.append(decode_b64(value))
        else:
            out.append(_leaf(value, dtype))
        return
    if level >= rank:
        raise InputError(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(value) != dims[level]:
        raise InputError(
            f"Encountered list at unexpected size: {len(value)} at level: {level} "
            f"expected size: {dims[level]}"
        )
    for item in value:
        fill(item, level + 1, dims, dtype, out)


def _leaf(value: Any, dtype: str) -> Any:
    # AddValueToTensor. numpy scalars (predict_arrays' lists) count as their Python value.
    if isinstance(value, np.generic):
        value = value.item()
    if dtype in ("DT_FLOAT", "DT_DOUBLE"):
        if type(value) not in (int, float):
            raise _type_error(value, dtype)
        try:
            return float(value)
        except OverflowError:  # an integer token past double's range
            raise InputError(
                f"Number too big to be stored in double: an integer of {value.bit_length()} "
                f"bits (expected type: {tf_type_name(dtype)})",
            ) from None
    if dtype in _INT_RANGE:
        low, high = _INT_RANGE[dtype]
        if type(value) is not int or not low <= value <= high:
            raise _type_error(value, dtype)
        return value
    if dtype == "DT_STRING":
        if type(value) is bytes:  # predict_arrays: raw bytes, as a gRPC string_val holds
            return value
        if type(value) is not str:
            raise _type_error(value, dtype)
        return encode_text(value)
    if dtype == "DT_BOOL":
        if type(value) is not bool:
            raise _type_error(value, dtype)
        return value
    raise InputError(
        f"Conversion of JSON Value: {value_text(value)} to type: {tf_type_name(dtype)}",
        code="UNIMPLEMENTED",
    )


def from_flat(flat: list[Any], dims: list[int], dtype: str) -> np.ndarray:
    target = _NUMPY.get(dtype, object)
    with np.errstate(over="ignore"):
        if target is object:
            array = np.empty(len(flat), dtype=object)
            array[:] = flat
            return array.reshape(dims)
        if target in (np.int8, np.int16, np.uint8):
            # TF Serving stores these in int_val and narrows with a C cast (wraps around).
            return np.array(flat, dtype=np.int64).astype(target).reshape(dims)
        return np.array(flat, dtype=target).reshape(dims)


def decode_b64(value: dict[str, Any]) -> bytes:
    """``{"b64": "..."}`` → bytes, as ``JsonDecodeBase64Object`` (padding optional).

    Args:
        value: the JSON object.

    Returns:
        The decoded bytes.

    Raises:
        InputError: not a one-key b64 object, or not valid base64.
    """
    if not is_b64(value):
        raise InputError(f"JSON Value: {value_text(value)} not formatted correctly for base64 data")
    encoded = value["b64"]
    if isinstance(encoded, bytes):  # not UTF-8, so not base64 either
        raise InputError("Unable to base64 decode")
    text = encoded.strip()
    if len(text) % 4:
        text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("Unable to base64 decode") from exc


def is_b64(value: Any) -> bool:
    """``IsValBase64Object``: an object of exactly one member, ``b64``, holding a string
    (a repeated ``b64`` member makes two: not one)."""
    return (
        isinstance(value, dict)
        and member_count(value) == 1
        and isinstance(value.get("b64"), (str, bytes))
    )


def encode_text(text: str) -> bytes:
    """A JSON string as UTF-8 bytes; a lone surrogate (only a Python caller can send one:
    rapidjson refuses it in a body) is an InputError, not a UnicodeEncodeError."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise InputError(
            f"JSON Value: {ascii(text)[:200]} is not valid UTF-8 text (it holds a lone "
            "UTF-16 surrogate).",
        ) from None


def dense_shape(value: Any, key: str | None = None) -> list[int]:
    """The shape nested lists give along their first elements (FillTensorProto's guess).

    Raises:
        InputError: nested more than 64 levels deep (checked without recursion).
    """
    dims: list[int] = []
    while isinstance(value, (list, tuple)):
        if len(dims) == MAX_RANK:
            raise too_deep(key)
        dims.append(len(value))
        if not value:
            break
        value = value[0]
    return dims


def shape_text(dims: list[int]) -> str:
    return "[" + ",".join(map(str, dims)) + "]"


def _type_error(value: Any, dtype: str) -> InputError:
    return InputError(
        f"JSON Value: {value_text(value)} Type: {value_type(value)} is not of expected "
        f"type: {tf_type_name(dtype)}",
    )


def bytes_json(value: Any) -> Any:
    """A string element as REST JSON writes it in a request: text when it is UTF-8, else
    ``{"b64": ...}``; anything but bytes unchanged."""
    if not isinstance(value, bytes):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(value).decode("ascii")}


def value_json(value: Any) -> Any:
    """Python and numpy values (arrays, scalars, dicts of them) as a REST request's JSON
    value: nested lists, string elements through :func:`bytes_json`."""
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype == object or value.dtype.kind == "S":
            return np.vectorize(bytes_json, otypes=[object])(value).tolist() if value.size else []
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: value_json(v) for k, v in value.items()}
    if hasattr(value, "numpy"):  # a TensorFlow tensor
        return value_json(np.asarray(value))
    return value
