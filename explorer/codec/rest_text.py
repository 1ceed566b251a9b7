"""TF Serving's REST JSON as text: rapidjson's parse errors and its PrettyWriter output.

TF Serving parses bodies with rapidjson and writes responses with rapidjson's
``PrettyWriter`` (``json_tensor.cc``). This module reproduces both at the text level:
parse-error wording, the writer's odd layout (``"predictions": [3.0, 3.5\n    ]``), floats
via ``WriteDecimal`` (``%g`` when it round-trips, else ``%.9g``/``%.17g``, ``.0`` on whole
numbers, ``NaN``/``Infinity``), ``_bytes`` outputs as ``{"b64": ...}``, and
``JsonValueToString`` for the values TF Serving quotes in its errors.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import numpy as np

from explorer.errors import InputError

INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_FLOAT32_MAX = 3.4028234e38  # rapidjson's Value::IsFloat() bound
_RAPIDJSON_ERRORS = {
    "Expecting value": "Invalid value.",
    "Expecting property name enclosed in double quotes": "Missing a name for object member.",
    "Expecting ':' delimiter": "Missing a colon after a name of object member.",
    "Extra data": "The document root must not be followed by other values.",
    "Unterminated string starting at": "Missing a closing quotation mark in string.",
    "Invalid control character at": "Invalid encoding in string.",
    "Invalid \\escape": "Invalid escape character in string.",
    "Invalid \\uXXXX escape": "Incorrect hex digit after \\u escape in string.",
}


def parse_body(body: str | bytes) -> dict[str, Any]:
    """Parse a request body as TF Serving's ``ParseJson`` does.

    Args:
        body: the HTTP request body.

    Returns:
        The top-level JSON object.

    Raises:
        InputError: empty body, invalid JSON (rapidjson's wording), or not an object.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not body:
        raise InputError("JSON Parse error: The document is empty")
    if body.startswith("\ufeff"):  # rapidjson reads no byte-order mark
        raise InputError("JSON Parse error: Invalid value. at offset: 0")
    try:
        doc = _DECODER.decode(body)
    except json.JSONDecodeError as exc:
        message, offset = _rapidjson_error(exc, body)
        raise InputError(f"JSON Parse error: {message} at offset: {offset}") from exc
    except RecursionError as exc:
        raise InputError("JSON Parse error: nesting too deep at offset: 0") from exc
    if _MAYBE_TOO_BIG.search(body):
        _reject_numbers_too_big(body)
    return require_object(doc)


def _first_member_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # rapidjson keeps every member and FindMember returns the first; Python keeps the last.
    members: dict[str, Any] = {}
    for name, value in pairs:
        members.setdefault(name, value)
    return members


_DECODER = json.JSONDecoder(object_pairs_hook=_first_member_wins)
# Cheap pre-check for a number a double cannot hold (an exponent of 3+ digits, or 309+
# digits); Python reads it as inf or a huge int where rapidjson stops with an error.
_MAYBE_TOO_BIG = re.compile(r"[eE]\+?0*[1-9]\d{2,}|\d{309,}")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?')


def _reject_numbers_too_big(body: str) -> None:
    for token in _TOKENS.finditer(body):
        text = token.group()
        if text.startswith('"') or not math.isinf(float(text)):
            continue
        offset = len(body[: token.start()].encode("utf-8"))
        raise InputError(
            f"JSON Parse error: Number too big to be stored in double. at offset: {offset}"
        )


def parse_error_location(message: str, body: str) -> str | None:
    """Where a ``parse_body`` error points in ``body``: "line L, column C", the line, and
    a caret under the spot; None when ``message`` is not a parse error with an offset.

    TF Serving's text gives a byte offset only, which a person cannot find in a text box.
    """
    prefix, marker = "JSON Parse error: ", " at offset: "
    if not message.startswith(prefix) or marker not in message:
        return None
    tail = message.rsplit(marker, 1)[1].strip()
    if not tail.isdigit():
        return None
    raw = body.encode("utf-8")
    before = raw[: int(tail)].decode("utf-8", errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    text = body.split("\n")[line - 1] if line <= body.count("\n") + 1 else ""
    if len(text) > 120:  # a long line (compact JSON): the part around the spot
        start = max(0, column - 60)
        text, column = text[start : start + 120], column - start
    return f"line {line}, column {column}:\n{text}\n{' ' * (column - 1)}^"


def require_object(doc: Any) -> dict[str, Any]:
    """The top level must be an object (``JSON Value: ... Is not object``)."""
    if not isinstance(doc, dict):
        raise InputError(f"JSON Value: {json_value_text(doc)} Is not object")
    return doc


def decimal_texts(values: np.ndarray) -> list[str]:
    """``WriteDecimal`` for each float: ``%g``, else ``%.9g``/``%.17g``; ``.0`` on whole numbers."""
    flat = np.asarray(values).ravel()
    double = flat.dtype == np.float64
    pyvals = flat.astype(np.float64).tolist()
    texts = [f"{v:g}" for v in pyvals]
    if texts:
        with np.errstate(all="ignore"):
            back = np.array(texts, dtype=np.float64)
            if not double:
                back = back.astype(np.float32)
            bad = np.flatnonzero((back != flat) & np.isfinite(flat))
        full = ".17g" if double else ".9g"
        for i in bad.tolist():
            texts[i] = format(pyvals[i], full)
    for i, text in enumerate(texts):
        if "." not in text and "e" not in text:
            texts[i] = _NON_FINITE.get(text) or text + ".0"
    return texts


def json_value_text(value: Any) -> str:
    """``JsonValueToString``: a JSON value as TF Serving quotes it in errors (≤ 256 bytes)."""
    if is_double(value):
        number = float(value)
        small = -_FLOAT32_MAX <= number <= _FLOAT32_MAX
        text = decimal_texts(np.array([number], np.float32 if small else np.float64))[0]
    else:
        writer = PrettyWriter()
        _accept(writer, value)
        text = writer.text()
    encoded = text.encode("utf-8")
    return encoded[:256].decode("utf-8", errors="ignore") if len(encoded) > 256 else text


def tf_type_name(dtype: str) -> str:
    """TensorFlow's ``DataTypeString``: ``DT_FLOAT`` → ``float``, ``DT_INVALID`` → ``INVALID``."""
    return "INVALID" if dtype == "DT_INVALID" else dtype.removeprefix("DT_").lower()


def is_double(value: Any) -> bool:
    """True for what rapidjson stores as a double (``IsDouble``)."""
    # rapidjson keeps integer tokens outside int64/uint64 as doubles.
    return type(value) is float or (type(value) is int and not INT64_MIN <= value <= UINT64_MAX)


def json_type(value: Any) -> str:
    """rapidjson's type word for a value, as TF Serving prints it."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, (list, tuple)):
        return "Array"
    return "String" if isinstance(value, str) else "Number"


def _rapidjson_error(exc: json.JSONDecodeError, body: str) -> tuple[str, int]:
    offset = len(body[: exc.pos].encode("utf-8"))
    if exc.msg == "Expecting value" and not body[exc.pos :].strip():
        return ("The document is empty." if not body.strip() else "Invalid value.", offset)
    if exc.msg == "Unterminated string starting at":
        offset = len(body.encode("utf-8"))
    if exc.msg == "Expecting ',' delimiter":
        closer = "]" if _innermost_container(body, exc.pos) == "[" else "}"
        name = "an array element" if closer == "]" else "an object member"
        return f"Missing a comma or '{closer}' after {name}.", offset
    return _RAPIDJSON_ERRORS.get(exc.msg, exc.msg + "."), offset


def _innermost_container(body: str, pos: int) -> str:
    stack, in_string, escaped = [], False, False
    for char in body[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else "{"


# --- response writing ---------------------------------------------------------------------

_NON_FINITE = {"nan": "NaN", "-nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_ESCAPES = {i: f"\\u{i:04X}" for i in range(32)} | {
    8: "\\b",
    9: "\\t",
    10: "\\n",
    12: "\\f",
    13: "\\r",
    34: '\\"',
    92: "\\\\",
}


def quote(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


class PrettyWriter:
    """rapidjson's ``PrettyWriter`` (4-space indent, ``kFormatSingleLineArray`` switch)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.levels: list[list[int]] = []  # [in_array, value_count]
        self.single_line = False

    def text(self) -> str:
        return "".join(self.parts)

    def _prefix(self) -> None:
        if not self.levels:
            return
        level, out = self.levels[-1], self.parts
        if level[0]:
            if level[1]:
                out.append(", " if self.single_line else ",")
            if not self.single_line:
                out.append("\n" + "    " * len(self.levels))
        else:
            if level[1]:
                out.append(",\n" if level[1] % 2 == 0 else ": ")
            else:
                out.append("\n")
            if level[1] % 2 == 0:
                out.append("    " * len(self.levels))
        level[1] += 1

    def raw(self, token: str) -> None:
        self._prefix()
        self.parts.append(token)

    def key(self, name: str) -> None:
        self.raw(quote(name))

    def start_object(self) -> None:
        self.raw("{")
        self.levels.append([0, 0])

    def end_object(self) -> None:
        if self.levels.pop()[1]:
            self.parts.append("\n" + "    " * len(self.levels))
        self.parts.append("}")

    def start_array(self) -> None:
        self.raw("[")
        self.levels.append([1, 0])

    def end_array(self) -> None:
        if self.levels.pop()[1] and not self.single_line:
            self.parts.append("\n" + "    " * len(self.levels))
        self.parts.append("]")

    def raw_array(self, tokens: list[str]) -> None:
        """start_array + raw(t) for each token + end_array, in one join."""
        self.start_array()
        if tokens:
            sep = ", " if self.single_line else ",\n" + "    " * len(self.levels)
            lead = "" if self.single_line else "\n" + "    " * len(self.levels)
            self.parts.append(lead + sep.join(tokens))
            self.levels[-1][1] = len(tokens)
        self.end_array()


def _accept(writer: PrettyWriter, value: Any) -> None:
    # rapidjson Value::Accept (nested doubles use its Grisu "shortest" form).
    if isinstance(value, dict):
        writer.start_object()
        for key, item in value.items():
            writer.key(str(key))
            _accept(writer, item)
        writer.end_object()
    elif isinstance(value, (list, tuple)):
        writer.start_array()
        for item in value:
            _accept(writer, item)
        writer.end_array()
    elif isinstance(value, str):
        writer.raw(quote(value))
    elif value is None or isinstance(value, bool):
        writer.raw({None: "null", True: "true", False: "false"}[value])
    elif is_double(value):
        writer.raw(_rapidjson_double(float(value)))
    else:
        writer.raw(str(int(value)))


def _rapidjson_double(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return _NON_FINITE[str(value)]
    if value == 0:
        return "-0.0" if str(value).startswith("-") else "0.0"
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits, k = "".join(map(str, digit_tuple)), int(exponent)
    kk = len(digits) + k
    prefix = "-" if sign else ""
    if k >= 0 and kk <= 21:
        return f"{prefix}{digits}{'0' * k}.0"
    if 0 < kk <= 21:
        return f"{prefix}{digits[:kk]}.{digits[kk:]}"
    if -6 < kk <= 0:
        return f"{prefix}0.{'0' * -kk}{digits}"
    mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{prefix}{mantissa}e{kk - 1}"
