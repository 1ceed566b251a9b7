"""``JsonValueToDebugString``: a request value as TF Serving quotes it in an error text.

TF Serving (``json_tensor.cc``) prints the value with rapidjson's ``PrettyWriter`` in
``kFormatSingleLineArray`` mode (arrays on one line, ``[[1, 2], [3, 4]]``; objects one
member per line, 4-space indent) through ``JsonWriterWithLimit``: before each writer event
it checks that fewer than 256 bytes are written, and stops at the first event that finds
256 or more (the text is cut between events, never inside one, so it can end past 256
bytes). Doubles are ``Writer::Double`` (Grisu2, :mod:`explorer.codec.rapidjson_dtoa`); a
NaN or infinity makes the writer fail, which ends the text right there (after the
``", "`` it had already written). Repeated object members are all printed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from explorer.codec.rapidjson_dtoa import dtoa

LIMIT = 256
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
_ESCAPE = {i: f"\\u{i:04X}".encode() for i in range(32)} | {
    8: b"\\b",
    9: b"\\t",
    10: b"\\n",
    12: b"\\f",
    13: b"\\r",
    34: b'\\"',
    92: b"\\\\",
}
_NEEDS_ESCAPE = frozenset(_ESCAPE)


class _Stop(Exception):
    """The limit was reached or the writer failed: the text ends here."""


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()
        self.levels: list[list[int]] = []  # [in_array, value_count]

    def event(self) -> None:
        if len(self.out) >= LIMIT:
            raise _Stop

    def prefix(self) -> None:
        # PrettyPrefix with kFormatSingleLineArray.
        if not self.levels:
            return
        level = self.levels[-1]
        if level[0]:
            if level[1]:
                self.out += b", "
        else:
            if level[1]:
                self.out += b",\n" if level[1] % 2 == 0 else b": "
            else:
                self.out += b"\n"
            if level[1] % 2 == 0:
                self.out += b"    " * len(self.levels)
        level[1] += 1

    def scalar(self, text: bytes | None) -> None:
        self.event()
        self.prefix()
        if text is None:  # Double(NaN or ±Inf): WriteDouble returns false
            raise _Stop
        self.out += text

    def string(self, value: str | bytes) -> None:
        self.event()
        self.prefix()
        raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        self.out += b'"'
        if _NEEDS_ESCAPE.isdisjoint(raw):
            self.out += raw
        else:
            for byte in raw:
                self.out += _ESCAPE.get(byte) or bytes((byte,))
        self.out += b'"'

    def start(self, in_array: bool) -> None:
        self.event()
        self.prefix()
        self.levels.append([int(in_array), 0])
        self.out += b"[" if in_array else b"{"

    def end(self) -> None:
        self.event()
        in_array, count = self.levels.pop()
        if in_array:
            self.out += b"]"
            return
        if count:
            self.out += b"\n" + b"    " * len(self.levels)
        self.out += b"}"


def debug_string(value: Any) -> str:
    """``JsonValueToDebugString(value)`` (bytes that are not UTF-8 shown as U+FFFD).

    Args:
        value: a parsed JSON value (see ``rapidjson_reader``), or Python data of the same
            shapes (tuples are arrays; a mapping's keys are printed as text).

    Returns:
        The text TF Serving puts after ``JSON Value: `` in its errors.
    """
    writer = _Writer()
    with contextlib.suppress(_Stop):
        _accept(writer, value)
    return writer.out.decode("utf-8", "replace")


def _accept(writer: _Writer, value: Any) -> None:
    # GenericValue::Accept; the recursion is bounded by the limit (each level writes).
    if isinstance(value, Mapping):
        writer.start(False)
        pairs = getattr(value, "pairs", None)
        for name, item in pairs if pairs is not None else value.items():
            writer.string(name if isinstance(name, (str, bytes)) else str(name))
            _accept(writer, item)
        writer.end()
    elif isinstance(value, (list, tuple)):
        writer.start(True)
        for item in value:
            _accept(writer, item)
        writer.end()
    elif isinstance(value, (str, bytes)):
        writer.string(value)
    elif value is None:
        writer.scalar(b"null")
    elif value is True or value is False:
        writer.scalar(b"true" if value else b"false")
    elif isinstance(value, int) and _INT64_MIN <= value <= _UINT64_MAX:
        writer.scalar(str(value).encode())
    elif isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # a Python int past what a double holds
            number = float("inf")
        text = dtoa(number)
        writer.scalar(None if text is None else text.encode())
    else:
        writer.string(repr(value))
