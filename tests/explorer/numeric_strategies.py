"""Hypothesis strategies for numeric predict bodies, what the fast request path reads.

Mostly what the fast path takes (rectangular numbers, one form, a signature name), written
the ways clients write numbers, with the values that try its proofs: 17-digit doubles
(rapidjson's normal precision), float32 rounding midpoints, exponents, integers at the
int32/int64/uint64 edges, huge and tiny magnitudes. Now and then something it must hand
over: ragged rows, a repeated member, a string, NaN, a big exponent, a long integer part.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from tests.explorer.request_strategies import _ints, _often, _pick

NUMERIC_DTYPES = (
    *["DT_FLOAT"] * 3, "DT_DOUBLE", "DT_INT32", "DT_INT64", "DT_UINT8", "DT_INT8",
    "DT_UINT32", "DT_UINT64", "DT_BOOL", "DT_STRING",
)  # fmt: skip
_EDGE_INTS = [
    0, -1, 1, 127, 128, 255, 256, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32 - 1,
    2**32, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 2**64 - 1, 2**64,
]  # fmt: skip


def _midpoint(draw: st.DrawFn) -> float:
    # Half-way between two neighbouring float32s, nudged by a few double ULPs.
    low = np.float32(draw(st.floats(-1e6, 1e6, width=32, allow_subnormal=False)))
    high = np.nextafter(low, np.float32(np.inf))
    middle = (float(low) + float(high)) / 2
    for _ in range(draw(_ints(0, 3))):
        middle = float(np.nextafter(middle, _pick(draw, math.inf, -math.inf)))
    return middle


@st.composite
def number_text(draw: st.DrawFn) -> str:
    """One JSON number token as some client writes it."""
    kind = _pick(draw, "double", "double", "float32", "midpoint", "int", "edge", "scaled")
    if kind == "int":
        return str(draw(st.integers(-1000, 1000)))
    if kind == "edge":
        return str(_pick(draw, *_EDGE_INTS))
    if kind == "float32":
        value = float(np.float32(draw(st.floats(-1e4, 1e4, width=32))))
    elif kind == "midpoint":
        value = _midpoint(draw)
    elif kind == "scaled":
        value = draw(st.floats(0.1, 10)) * 10.0 ** draw(_ints(-330, 308))
    else:
        value = draw(st.floats(allow_nan=False, allow_infinity=False))
    style = _pick(draw, "repr", "repr", "%.17g", "%.9g", "%e", "%.3f", "%.25f", "%.0f")
    text = repr(value) if style == "repr" else style % value
    return text.replace("inf", "1e999") if "inf" in text else text


@st.composite
def numeric_bodies(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    """({input alias: dtype}, body) of a predict call, as sent."""
    names = ["x"] if _often(draw, 2) else ["a", "b"]
    dtypes = {n: _pick(draw, *NUMERIC_DTYPES) for n in names}
    dims = draw(st.lists(_ints(1, 3), max_size=3))
    rows = draw(_ints(1, 3))
    sep = _pick(draw, ", ", ",", " , ", ",\n  ")

    def tensor(shape: list[int]) -> str:
        if not shape:
            return draw(number_text())
        return "[" + sep.join(tensor(shape[1:]) for _ in range(shape[0])) + "]"

    form = _pick(draw, "rows", "rows", "columns")
    parts = []
    if _often(draw, 2):
        parts.append('"signature_name": "serving_default"')
    if form == "rows" and len(names) == 1:
        parts.append('"instances": ' + tensor([rows, *dims]))
    elif form == "rows":
        objects = ["{" + ", ".join(f'"{n}": {tensor(dims)}' for n in names) + "}"]
        objects *= rows
        parts.append('"instances": [' + ", ".join(objects) + "]")
    elif len(names) == 1 and _often(draw, 2):
        parts.append('"inputs": ' + tensor(dims))
    else:
        parts.append('"inputs": {' + ", ".join(f'"{n}": {tensor(dims)}' for n in names) + "}")
    body = "{" + ", ".join(parts) + "}"
    odd = _pick(draw, *["none"] * 12, "ragged", "repeat", "string", "nan", "exp", "long", "bom")
    if odd == "ragged" and "]" in body:
        cut = body.rindex("]")
        body = body[:cut] + sep + draw(number_text()) + body[cut:]
    elif odd == "repeat":
        body = body[:-1] + ', "instances": [1.0]}'
    elif odd == "string":
        body = body.replace(draw(number_text()), '"1.0"', 1) if "[" in body else body
    elif odd == "nan":
        body = body.replace("[", "[NaN" + sep, 1)
    elif odd == "exp":
        body = body.replace("[", "[0e400" + sep, 1)
    elif odd == "long":
        body = body.replace("[", "[" + "9" * 25 + ".5e-20" + sep, 1)
    data = body.encode()
    return dtypes, (b"\xef\xbb\xbf" + data if odd == "bom" else data)
