"""TF Serving's REST JSON as text: rapidjson's PrettyWriter output and the words around it.

TF Serving writes responses with rapidjson's ``PrettyWriter`` (``json_tensor.cc``). This
module holds the text level shared by the writers: the writer's odd layout
(``"predictions": [3.0, 3.5\n    ]``), floats via ``WriteDecimal`` (``%g`` when it
round-trips, else ``%.9g``/``%.17g``, ``.0`` on whole numbers, ``NaN``/``Infinity``),
``JsonValueToDebugString`` for the values TF Serving quotes in its errors
(:mod:`explorer.codec.json_debug`), and where a parse error points in a body. Reading a body
is :mod:`explorer.codec.rapidjson_reader`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from explorer.codec.json_debug import debug_string

INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def parse_error_location(message: str, body: str) -> str | None:
    """Where a ``limits.parse_body`` error points in ``body``: "line L, column C", the line, and
    a caret under the spot; None when ``message`` is not a parse error with an offset.

    TF Serving's text gives a byte offset only, which a person cannot find in a text box.
    """
    prefix, marker = "JSON Parse error: ", " at offset: "
    if not message.startswith(prefix) or marker not in message:
        return None
    tail = message.rsplit(marker, 1)[1].strip()
    if not tail.isdigit():
        return None
    raw = body.encode("utf-8", "surrogatepass")
    before = raw[: int(tail)].decode("utf-8", errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    text = body.split("\n")[line - 1] if line <= body.count("\n") + 1 else ""
    if len(text) > 120:  # a long line (compact JSON): the part around the spot
        start = max(0, column - 60)
        text, column = text[start : start + 120], column - start
    return f"line {line}, column {column}:\n{text}\n{' ' * (column - 1)}^"


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
    """``JsonValueToDebugString``: a JSON value as TF Serving quotes it in errors."""
    return debug_string(value)


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
    return "String" if isinstance(value, (str, bytes)) else "Number"


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
