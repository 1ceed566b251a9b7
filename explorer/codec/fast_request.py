"""The fast path: a predict body of numeric tensors read with simdjson straight into arrays.

Most predict bodies are ``{"instances": [[...]]}`` or ``{"inputs": ...}`` holding
rectangular arrays of numbers. For those, pysimdjson parses the body (validating UTF-8 and
the syntax) and copies each array's numbers into a buffer; the body's skeleton (its text
without numbers and whitespace, :mod:`explorer.codec.numeric_text`) proves the arrays
rectangular. The arrays then become tensors only when the result is provably what the
exact path (:mod:`explorer.codec.rapidjson_reader` and ``rest_request``) gives:

- integers (``int64``) for integer dtypes, within the range rapidjson's ``IsInt`` /
  ``IsUint`` ... accept;
- ``DT_FLOAT``: simdjson's doubles are correctly rounded, rapidjson's may be a few ULPs
  off (normal precision). When no number has an integer part of 19+ digits or an
  exponent of 3+ digits, rapidjson is within 5 ULPs, so a value whose float32 is the same
  16 ULPs either side is the float32 TF Serving feeds.

Anything else (another top-level member, a repeated member, strings, ``b64``, booleans,
``DT_DOUBLE``, a number the check cannot vouch for, any error) goes to the exact path,
which reads the body again from its text: every answer and error stays TF Serving's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import simdjson

from explorer.codec.numeric_text import array_skeleton, skeleton, skeleton_and_letters

_FORMS = ("instances", "inputs")
_MAX_RANK = 64
# Below this, an integer part cannot have 19 digits unless an exponent follows.
_INTEGER_PART_BOUND = 1e18
_ULPS = 16  # the float32 must hold this many double ULPs either side
_EXPONENTS_ONE_BY_ONE = 256
_BIG_EXPONENT = re.compile(rb"[eE][-+]?[0-9]{3}")
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= c <= 0x39 else c for c in range(256))
_LONG_INTEGER_PARTS = tuple(b"0" * 19 + end for end in (b".", b"e", b"E"))
_INT_RANGES = {
    "DT_INT32": (-(2**31), 2**31 - 1), "DT_INT16": (-(2**31), 2**31 - 1),
    "DT_INT8": (-(2**31), 2**31 - 1), "DT_UINT8": (-(2**31), 2**31 - 1),
    "DT_INT64": (-(2**63), 2**63 - 1), "DT_UINT32": (0, 2**32 - 1), "DT_UINT64": (0, 2**63 - 1),
}  # fmt: skip
_NUMPY_INTS = {
    "DT_INT32": np.int32, "DT_INT16": np.int16, "DT_INT8": np.int8, "DT_UINT8": np.uint8,
    "DT_INT64": np.int64, "DT_UINT32": np.uint32, "DT_UINT64": np.uint64,
}  # fmt: skip
_local = threading.local()


@dataclass(frozen=True, slots=True)
class Numbers:
    """One tensor's numbers as simdjson read them, in document order."""

    dims: tuple[int, ...]
    ints: np.ndarray | None  # int64, when every number is an integer token in int64
    doubles: np.ndarray  # float64, correctly rounded (ints converted as rapidjson does)


class FastDoc(Mapping[str, Any]):
    """A predict body read by the fast path.

    As a mapping it is the body's top-level object: ``signature_name`` is at hand, the
    tensor member is read exactly (``exact()``) when asked for. ``tensors`` gives the
    arrays when they are provably the exact path's.
    """

    def __init__(
        self,
        data: bytes,
        keys: list[str],
        signature_name: str | None,
        columns: dict[str, Numbers],
        plain: bool,
        exact: Callable[[bytes], dict[str, Any]],
        letters: int,
    ) -> None:
        self.data = data
        self.letters = letters  # 'e' and 'E' in the body, strings included
        self.keys_in_order = keys
        self.signature_name = signature_name
        self.row_format = "instances" in keys
        # Input name → numbers; with ``plain`` one unnamed tensor keyed "".
        self.columns = columns
        self.plain = plain
        self._exact = exact
        self._doc: dict[str, Any] | None = None
        self._numbers_safe: bool | None = None

    def exact(self) -> dict[str, Any]:
        """The body read by the exact path (once)."""
        if self._doc is None:
            self._doc = self._exact(self.data)
        return self._doc

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys_in_order:
            raise KeyError(key)
        if key == "signature_name" and self.signature_name is not None:
            return self.signature_name
        return self.exact()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_in_order)

    def __len__(self) -> int:
        return len(self.keys_in_order)

    def __contains__(self, key: object) -> bool:
        return key in self.keys_in_order

    def tensors(self, infos: Mapping[str, str]) -> dict[str, tuple[np.ndarray, list[int]]] | None:
        """Input name → (array, shape) for the signature's inputs (name → dtype), or None
        when the exact path must decide (an error to report, or values to prove)."""
        if self.plain:
            if len(infos) != 1:
                return None
            columns = {next(iter(infos)): self.columns[""]}
        else:
            if set(infos) - set(self.columns):
                return None
            if self.row_format and set(infos) != set(self.columns):
                return None
            columns = {name: self.columns[name] for name in infos}
        out = {}
        for name, numbers in columns.items():
            array = self._convert(numbers, infos[name])
            if array is None:
                return None
            out[name] = (array, list(numbers.dims))
        return out

    def _convert(self, numbers: Numbers, dtype: str) -> np.ndarray | None:
        if dtype in _INT_RANGES:
            ints = numbers.ints
            if ints is None:
                return None
            low, high = _INT_RANGES[dtype]
            if ints.size and (int(ints.min()) < low or int(ints.max()) > high):
                return None
            return ints.astype(_NUMPY_INTS[dtype]).reshape(numbers.dims)
        if dtype != "DT_FLOAT":
            return None
        doubles = numbers.doubles
        if numbers.ints is None and not (self.numbers_safe() and _float32_stable(doubles)):
            return None
        with np.errstate(over="ignore"):
            return doubles.astype(np.float32).reshape(numbers.dims)

    def numbers_safe(self) -> bool:
        """No number whose rapidjson value can be more than 5 ULPs off: none with an
        integer part of 19+ digits, none with an exponent of 3+ digits."""
        if self._numbers_safe is None:
            self._numbers_safe = _numbers_safe(self)
        return self._numbers_safe


def read(body: str | bytes, exact: Callable[[bytes], dict[str, Any]]) -> FastDoc | None:
    """The body as a :class:`FastDoc`, or None when it is not a plain numeric predict body.

    Args:
        body: the request body.
        exact: the exact reader (``limits.parse_body``), for what the fast path leaves.
    """
    if isinstance(body, str):
        try:
            data = body.encode("utf-8")
        except UnicodeEncodeError:
            return None
    else:
        data = bytes(body)
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = simdjson.Parser()
    try:
        found = _walk(parser.parse(data))
    except (ValueError, TypeError, RuntimeError, KeyError, IndexError, UnicodeDecodeError):
        return None  # not JSON simdjson takes, or not the shape the fast path knows
    if found is None:
        return None
    keys, signature_name, columns, plain, expected = found
    found_skeleton, letters = skeleton_and_letters(data)
    if found_skeleton != expected:
        return None
    return FastDoc(data, keys, signature_name, columns, plain, exact, letters)


def _walk(
    doc: Any,
) -> tuple[list[str], str | None, dict[str, Numbers], bool, bytes] | None:
    # The parts of the body (proxies are read out here: the parser is reused later).
    if not isinstance(doc, simdjson.Object):
        return None
    keys = list(doc.keys())
    if len(set(keys)) != len(keys) or not set(keys) <= {"signature_name", *_FORMS}:
        return None
    forms = [k for k in keys if k in _FORMS]
    if len(forms) != 1:
        return None
    name = doc.get("signature_name")
    if "signature_name" in keys and not isinstance(name, str):
        return None
    signature_name = name if isinstance(name, str) else None
    form = forms[0]
    value = doc[form]
    parts: list[bytes] = []
    columns: dict[str, Numbers] = {}
    plain = True
    if form == "inputs" and isinstance(value, simdjson.Object):
        plain = False
        names = list(value.keys())
        if len(set(names)) != len(names) or "b64" in names:
            return None
        body_parts = []
        for name in names:
            numbers = _numbers(value[name])
            if numbers is None:
                return None
            columns[name] = numbers
            body_parts.append(_string(name) + b":" + array_skeleton(numbers.dims))
        tensor_skeleton = b"{" + b",".join(body_parts) + b"}"
    elif form == "instances" and isinstance(value, simdjson.Array) and len(value):
        rows = _row_objects(value)
        if rows is None:
            numbers = _numbers(value)
            if numbers is None:
                return None
            columns[""] = numbers
            tensor_skeleton = array_skeleton(numbers.dims)
        else:
            plain = False
            columns, tensor_skeleton = rows
    elif form == "inputs":
        numbers = _numbers(value)
        if numbers is None:
            return None
        columns[""] = numbers
        tensor_skeleton = array_skeleton(numbers.dims)
    else:
        return None
    for key in keys:
        if key == form:
            parts.append(_string(key) + b":" + tensor_skeleton)
        else:
            parts.append(_string(key) + b":" + _string(str(signature_name)))
    return keys, signature_name, columns, plain, b"{" + b",".join(parts) + b"}"


def _row_objects(rows: Any) -> tuple[dict[str, Numbers], bytes] | None:
    if not isinstance(rows[0], simdjson.Object):
        return None
    names = list(rows[0].keys())
    if len(set(names)) != len(names) or "b64" in names:
        raise ValueError("not for the fast path")
    columns: dict[str, list[Numbers]] = {name: [] for name in names}
    row_parts = []
    for row in rows:
        if not isinstance(row, simdjson.Object) or list(row.keys()) != names:
            raise ValueError("not for the fast path")
        parts = []
        for name in names:
            numbers = _numbers(row[name])
            # A row's value takes one dimension less than numpy's 64 (the batch's).
            if numbers is None or len(numbers.dims) >= _MAX_RANK:
                raise ValueError("not for the fast path")
            if columns[name] and numbers.dims != columns[name][0].dims:
                raise ValueError("not for the fast path")
            columns[name].append(numbers)
            parts.append(_string(name) + b":" + array_skeleton(numbers.dims))
        row_parts.append(b"{" + b",".join(parts) + b"}")
    batched = {}
    for name, items in columns.items():
        ints = [n.ints for n in items]
        batched[name] = Numbers(
            (len(items), *items[0].dims),
            None if any(i is None for i in ints) else np.concatenate(ints),  # type: ignore[arg-type]
            np.concatenate([n.doubles for n in items]),
        )
    return batched, b"[" + b",".join(row_parts) + b"]"


def _numbers(value: Any) -> Numbers | None:
    # A number, or an array of numbers with no empty dimension, read into buffers.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return None
        return Numbers((), np.array([value], np.int64), np.array([float(value)]))
    if isinstance(value, float):
        return Numbers((), None, np.array([value]))
    if not isinstance(value, simdjson.Array):
        return None
    dims: list[int] = []
    level: Any = value
    while isinstance(level, simdjson.Array):
        if not len(level) or len(dims) >= _MAX_RANK:
            return None
        dims.append(len(level))
        level = level[0]
    try:
        ints: np.ndarray | None = np.frombuffer(value.as_buffer(of_type="i"), np.int64)
    except (TypeError, ValueError):
        ints = None
    if ints is not None:
        doubles = ints.astype(np.float64)
    else:
        doubles = np.frombuffer(value.as_buffer(of_type="d"), np.float64)
    count = 1
    for dim in dims:
        count *= dim
    if doubles.size != count:
        return None
    return Numbers(tuple(dims), ints, doubles)


def _string(text: str) -> bytes:
    return b'"' + skeleton(text.encode("utf-8")) + b'"'


def _float32_stable(doubles: np.ndarray) -> bool:
    # float32(d) is the same for every double within _ULPS ULPs of d (rapidjson's value
    # is one of them); tiny values round to a zero of their sign either way.
    if not doubles.size:
        return True
    with np.errstate(over="ignore"):
        inexact = doubles.astype(np.float32).astype(np.float64) != doubles
    if not inexact.any():
        return True  # each is a float32 itself: far from its rounding boundaries
    doubles = doubles[inexact]
    bits = np.abs(doubles).view(np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        center = bits.view(np.float64).astype(np.float32)
        low = np.maximum(bits - _ULPS, 0).view(np.float64).astype(np.float32)
        high = (bits + _ULPS).view(np.float64).astype(np.float32)
    return bool(np.array_equal(low, center) and np.array_equal(high, center))


def _numbers_safe(doc: FastDoc) -> bool:
    for numbers in doc.columns.values():
        doubles = numbers.doubles
        if numbers.ints is None and doubles.size and np.abs(doubles).max() >= _INTEGER_PART_BOUND:
            return False
    data = doc.data
    in_strings = sum(key.count("e") + key.count("E") for key in doc.keys_in_order)
    in_strings += sum(k.count("e") + k.count("E") for k in doc.columns)
    if doc.signature_name:
        in_strings += doc.signature_name.count("e") + doc.signature_name.count("E")
    exponents = doc.letters - in_strings
    if exponents <= 0:
        return True
    if exponents > _EXPONENTS_ONE_BY_ONE:
        # Many exponents: one regex for 3-digit ones, literal searches for 19 digits
        # before a '.' or an exponent (a long fraction matches too: it goes exact).
        if _BIG_EXPONENT.search(data) is not None:
            return False
        zeros = data.translate(_DIGITS_AS_ZERO)
        return not any(run in zeros for run in _LONG_INTEGER_PARTS)
    return all(_exponent_safe(data, at) for at in _exponent_positions(data))


def _exponent_positions(data: bytes) -> Iterator[int]:
    for letter in (b"e", b"E"):
        at = data.find(letter)
        while at >= 0:
            yield at
            at = data.find(letter, at + 1)


def _exponent_safe(data: bytes, at: int) -> bool:
    # The token around an 'e' (a key's letter reads as a harmless non-number).
    start = at
    while start > 0 and data[start - 1] in b"0123456789.-":
        start -= 1
    integer = data[start:at].split(b".")[0].lstrip(b"-")
    end = at + 1
    if end < len(data) and data[end] in b"+-":
        end += 1
    digits = end
    while digits < len(data) and data[digits] in b"0123456789":
        digits += 1
    return len(integer) <= 18 and digits - end <= 2
