"""A predict body of numeric tensors read with pysimdjson: the fast path's reader when the C
extension (:mod:`explorer.codec.speedups`) is not built.

pysimdjson parses the body (validating UTF-8 and the syntax) and copies each array's numbers
into a buffer; the body's skeleton (its text without numbers and whitespace,
:mod:`explorer.codec.numeric_text`) proves the arrays rectangular. simdjson's doubles are
correctly rounded while rapidjson's may be a few ULPs off (normal precision), so they are
not rapidjson's doubles (``DT_DOUBLE`` goes exact), and their float32 is vouched for only
when no number has an integer part of 19+ digits or an exponent of 3+ digits (then
rapidjson is within 5 ULPs) and the float32 is the same 16 ULPs either side.

Anything else (another top-level member, a repeated member, strings, ``b64``, booleans, a
number the check cannot vouch for, any error) is not read here: the exact path reads it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import simdjson

from explorer.codec.numeric_text import array_skeleton, skeleton, skeleton_and_letters
from explorer.codec.request_numbers import FoundBody, Numbers

_FORMS = ("instances", "inputs")
_MAX_RANK = 64
# Below this, an integer part cannot have 19 digits unless an exponent follows.
_INTEGER_PART_BOUND = 1e18
_ULPS = 16  # the float32 must hold this many double ULPs either side
_EXPONENTS_ONE_BY_ONE = 256
_BIG_EXPONENT = re.compile(rb"[eE][-+]?[0-9]{3}")
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= c <= 0x39 else c for c in range(256))
_LONG_INTEGER_PARTS = tuple(b"0" * 19 + end for end in (b".", b"e", b"E"))
_local = threading.local()


def read(data: bytes) -> FoundBody | None:
    """The body's tensors, or None when it is not a plain numeric predict body."""
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
    proof = _Float32Proof(data, letters, keys, signature_name, columns)
    return FoundBody(tuple(keys), signature_name, plain, columns, False, proof)


class _Float32Proof:
    """Whether simdjson's doubles give rapidjson's float32s (checked for the body once)."""

    def __init__(
        self,
        data: bytes,
        letters: int,
        keys: list[str],
        signature_name: str | None,
        columns: dict[str, Numbers],
    ) -> None:
        self.data, self.letters = data, letters  # 'e' and 'E' in the body, strings included
        self.keys, self.signature_name, self.columns = keys, signature_name, columns
        self._safe: bool | None = None

    def __call__(self, doubles: np.ndarray) -> bool:
        if self._safe is None:
            self._safe = self._numbers_safe()
        return self._safe and _float32_stable(doubles)

    def _numbers_safe(self) -> bool:
        # No number whose rapidjson value can be more than 5 ULPs off: none with an
        # integer part of 19+ digits, none with an exponent of 3+ digits.
        for numbers in self.columns.values():
            values = numbers.values
            if numbers.low is None and values.size and np.abs(values).max() >= _INTEGER_PART_BOUND:
                return False
        data = self.data
        in_strings = sum(key.count("e") + key.count("E") for key in self.keys)
        in_strings += sum(k.count("e") + k.count("E") for k in self.columns)
        if self.signature_name:
            in_strings += self.signature_name.count("e") + self.signature_name.count("E")
        exponents = self.letters - in_strings
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
        dims = (len(items), *items[0].dims)
        if all(n.low is not None for n in items):
            lows = [n.low for n in items if n.low is not None]
            highs = [n.high for n in items if n.high is not None]
            values = np.concatenate([n.values for n in items])
            batched[name] = Numbers(dims, values, min(lows), max(highs))
        else:  # integers among doubles count as rapidjson's GetDouble() of them
            values = np.concatenate([n.values.astype(np.float64) for n in items])
            batched[name] = Numbers(dims, values, None, None)
    return batched, b"[" + b",".join(row_parts) + b"]"


def _numbers(value: Any) -> Numbers | None:
    # A number, or an array of numbers with no empty dimension, read into buffers.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return None
        return Numbers((), np.array([value], np.int64), value, value)
    if isinstance(value, float):
        return Numbers((), np.array([value]), None, None)
    if not isinstance(value, simdjson.Array):
        return None
    dims: list[int] = []
    level: Any = value
    while isinstance(level, simdjson.Array):
        if not len(level) or len(dims) >= _MAX_RANK:
            return None
        dims.append(len(level))
        level = level[0]
    count = 1
    for dim in dims:
        count *= dim
    try:
        ints = np.frombuffer(value.as_buffer(of_type="i"), np.int64)
    except (TypeError, ValueError):
        doubles = np.frombuffer(value.as_buffer(of_type="d"), np.float64)
        return Numbers(tuple(dims), doubles, None, None) if doubles.size == count else None
    if ints.size != count:
        return None
    return Numbers(tuple(dims), ints, int(ints.min()), int(ints.max()))


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
