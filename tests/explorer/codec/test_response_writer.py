"""TF Serving's REST response writer, byte for byte.

The bulk writer (``explorer.codec.json_numbers`` over ``decimal_digits``) against two
references: ``rest_text.decimal_texts``, the per-number writer it replaced, and an
oracle written here from ``WriteDecimal``'s rules (``json_tensor.cc``) with exact rational
arithmetic: ``%g`` digits (absl ``SixDigitsToBuffer``: correctly rounded, ties to even)
when ``from_chars`` reads them back as the same float or double, else ``%.9g``/``%.17g``;
``.0`` when the text has neither ``.`` nor ``e``; ``NaN``/``Infinity``/``-Infinity``.
Then the layout of whole responses against the per-value PrettyWriter the bulk writer
replaced, and the dtypes the writer has no case for.
"""

from __future__ import annotations

import base64
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.codec import json_numbers
from explorer.codec.decimal_digits import CHUNK
from explorer.codec.rest_response import (
    predict_response_text,
)
from explorer.codec.rest_text import PrettyWriter, decimal_texts, quote
from tests.explorer.codec.properties import repeatable

PROPERTY = repeatable(300)
SPECIALS = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 1.0, 0.5, 3.0, 0.1]


# --- the oracle: WriteDecimal from its rules, in exact arithmetic ----------------------------


def _digits(value: Fraction, precision: int) -> tuple[int, int]:
    """(q, X): value ≈ q·10^(X-precision+1), q of exactly ``precision`` digits, rounded to
    nearest with ties to even."""
    exponent = len(str(value.numerator // value.denominator)) - 1 if value >= 1 else 0
    while Fraction(10) ** exponent > value:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= value:
        exponent += 1
    scaled = value / Fraction(10) ** (exponent - precision + 1)
    q, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and q % 2):
        q += 1
    if q == 10**precision:
        q, exponent = q // 10, exponent + 1
    return q, exponent


def _g_text(q: int, exponent: int, precision: int) -> str:
    """printf's %g from the digits: fixed for -4 <= X < P, else d.ddde±XX; trailing
    zeros of the fraction dropped."""
    digits = str(q)
    if -4 <= exponent < precision:
        if exponent >= 0:
            whole, fraction = digits[: exponent + 1], digits[exponent + 1 :].rstrip("0")
        else:
            whole, fraction = "0", ("0" * (-exponent - 1) + digits).rstrip("0")
        return whole + ("." + fraction if fraction else "")
    mantissa = digits[0] + ("." + digits[1:].rstrip("0") if digits[1:].rstrip("0") else "")
    return f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def _nearest(value: Fraction, single: bool) -> float:
    """from_chars: the nearest float (ties to even), infinity past the largest."""
    bits, low_exponent, top = (24, -149, 128) if single else (53, -1074, 1024)
    if value >= Fraction(2) ** top - Fraction(2) ** (top - bits - 1):
        return float("inf")
    exponent = low_exponent
    if value >= Fraction(2) ** (low_exponent + bits - 1):
        exponent = value.numerator.bit_length() - value.denominator.bit_length()
        while Fraction(2) ** exponent > value:
            exponent -= 1
        while Fraction(2) ** (exponent + 1) <= value:
            exponent += 1
        exponent -= bits - 1
    steps, rest = divmod(value / Fraction(2) ** exponent, 1)
    steps = int(steps) + (rest > Fraction(1, 2) or (rest == Fraction(1, 2) and int(steps) % 2))
    return float(Fraction(steps) * Fraction(2) ** exponent)


def write_decimal(value: float, single: bool) -> str:
    """WriteDecimal (json_tensor.cc) for one float (single) or double."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "-Infinity" if value < 0 else "Infinity"
    sign = "-" if np.signbit(value) else ""
    if value == 0:
        return sign + "0.0"
    magnitude = Fraction(abs(value))
    q, exponent = _digits(magnitude, 6)
    text = _g_text(q, exponent, 6)
    if _nearest(Fraction(q) * Fraction(10) ** (exponent - 5), single) != float(magnitude):
        full = 9 if single else 17
        text = _g_text(*_digits(magnitude, full), full)
    if "." not in text and "e" not in text:
        text += ".0"
    return sign + text


def test_oracle_matches_json_tensor_test_six_digit_cases() -> None:
    # json_tensor_test.cc FromJsonSingleFloatTensorSixDigitPrecision and NonFinite.
    values = [9000000, 999999, 0.5, 0.0003, 0.00003, 555557.5, 3]
    expected = ["9e+06", "999999.0", "0.5", "0.0003", "3e-05", "555557.5", "3.0"]
    assert [write_decimal(float(np.float32(v)), True) for v in values] == expected
    assert [write_decimal(v, True) for v in SPECIALS[2:5]] == ["NaN", "Infinity", "-Infinity"]


# --- the bulk writer against the oracle and the per-number writer -----------------------------


def _bulk_tokens(values: np.ndarray) -> list[str]:
    return json_numbers.item_texts(values)


float32_bits = st.integers(0, 2**32 - 1).map(lambda b: float(np.uint32(b).view(np.float32)))
float64_bits = st.integers(0, 2**64 - 1).map(lambda b: float(np.uint64(b).view(np.float64)))
nice = st.sampled_from(SPECIALS) | st.integers(-(10**9), 10**9).map(lambda i: i / 8)
extremes32 = st.sampled_from([1e-45, 1.17549435e-38, 3.4028235e38, -3.4028235e38])
extremes64 = st.sampled_from([5e-324, 2.2250738585072014e-308, 1.7976931348623157e308])


@PROPERTY
@given(st.lists(float32_bits | nice | extremes32 | st.floats(width=32), min_size=1, max_size=40))
def test_float32_tokens_are_write_decimals(values: list[float]) -> None:
    array = np.array(values, np.float32)
    tokens = _bulk_tokens(array)
    assert tokens == decimal_texts(array)
    assert tokens == [write_decimal(float(v), True) for v in array]


@PROPERTY
@given(st.lists(float64_bits | nice | extremes64 | st.floats(), min_size=1, max_size=40))
def test_float64_tokens_are_write_decimals(values: list[float]) -> None:
    array = np.array(values, np.float64)
    tokens = _bulk_tokens(array)
    assert tokens == decimal_texts(array)
    assert tokens == [write_decimal(float(v), False) for v in array]


def test_ties_and_round_trip_edges_are_exact() -> None:
    # Values whose 6 or 9 digits end exactly on a half (few significant bits), powers of
    # two (a narrower gap below), and the ends of both ranges.
    halves = [1234565.0, 123456.5, 1000000.125, 0.5009765625, 2.0**-14, 16777215.0, 9999995.0]
    powers = [2.0**e for e in range(-149, 128, 7)]
    for dtype, single in ((np.float32, True), (np.float64, False)):
        array = np.array(halves + powers + [-v for v in halves], dtype)
        assert _bulk_tokens(array) == [write_decimal(float(v), single) for v in array]


def test_many_values_cross_chunks_and_match() -> None:
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        values = (rng.standard_normal(2 * CHUNK + 17) * 10.0 ** rng.integers(-30, 30)).astype(dtype)
        values[::97] = np.nan
        values[5::101] = 0.0
        assert _bulk_tokens(values) == decimal_texts(values)


INTEGER_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint32", "uint64"]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_integers_and_booleans_are_written_as_rapidjson_does(dtype: str) -> None:
    info = np.iinfo(dtype)
    values = np.array([info.min, info.max, 0, 1, info.max // 3], dtype)
    assert _bulk_tokens(values) == [str(v) for v in values.tolist()]
    assert _bulk_tokens(np.array([True, False])) == ["true", "false"]


# --- whole responses against the per-value writer ---------------------------------------------


def _reference_tensor(writer: PrettyWriter, array: np.ndarray, as_bytes: bool) -> None:
    """AddTensorValues one value at a time (the writer the bulk one replaced)."""
    if array.ndim == 0:
        _reference_value(writer, array.item(), array.dtype, as_bytes)
        return
    writer.start_array()
    for index in range(len(array)):
        _reference_tensor(writer, array[index, ...], as_bytes)
    writer.end_array()


def _reference_value(writer: PrettyWriter, value: Any, dtype: np.dtype, as_bytes: bool) -> None:
    if dtype.kind == "f":
        writer.raw(decimal_texts(np.array([value], dtype))[0])
    elif dtype.kind == "b":
        writer.raw("true" if value else "false")
    elif dtype.kind in "iu":
        writer.raw(str(value))
    elif as_bytes:
        writer.start_object()
        writer.key("b64")
        writer.raw(quote(base64.b64encode(value).decode()))
        writer.end_object()
    else:
        writer.raw(quote(value.decode("utf-8", errors="replace")))


def reference_predict(tensors: dict[str, np.ndarray], row_format: bool) -> str:
    names = sorted(tensors)
    writer = PrettyWriter()
    writer.start_object()
    multi = len(names) > 1
    if not row_format:
        writer.key("outputs")
        if multi:
            writer.start_object()
        for name in names:
            if multi:
                writer.key(name)
            _reference_tensor(writer, tensors[name], _bytes_named(name, tensors[name]))
        if multi:
            writer.end_object()
        writer.end_object()
        return writer.text()
    writer.key("predictions")
    writer.start_array()
    for item in range(len(tensors[names[0]])):
        if multi:
            writer.start_object()
        writer.single_line = True
        for name in names:
            if multi:
                writer.key(name)
            array = tensors[name]
            _reference_tensor(writer, array[item, ...], _bytes_named(name, array))
        writer.single_line = False
        if multi:
            writer.end_object()
    writer.end_array()
    writer.end_object()
    return writer.text()


def _bytes_named(name: str, array: np.ndarray) -> bool:
    return array.dtype == object and name.endswith("_bytes")


DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool", "object"]


@st.composite
def output_maps(draw: st.DrawFn) -> dict[str, np.ndarray]:
    batch = draw(st.integers(0, 3))
    tensors = {}
    for index in range(draw(st.integers(1, 3))):
        inner = draw(st.lists(st.integers(0, 3), max_size=3))
        dtype = draw(st.sampled_from(DTYPES))
        shape = (batch, *inner)
        size = int(np.prod(shape))
        if dtype == "object":
            words = draw(st.lists(st.binary(max_size=4), min_size=size, max_size=size))
            array = np.array([*words, b""], dtype=object)[:size]
        elif dtype == "bool":
            array = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        elif dtype.startswith("float"):
            values = draw(st.lists(st.floats(width=32), min_size=size, max_size=size))
            array = np.array(values, dtype)
        else:
            info = np.iinfo(dtype)
            ints = st.integers(int(info.min), int(info.max))
            array = np.array(draw(st.lists(ints, min_size=size, max_size=size)), dtype)
        name = f"out{index}" + draw(st.sampled_from(["", "_bytes"]))
        tensors[name] = array.reshape(shape)
    return tensors


@PROPERTY
@given(output_maps())
def test_predict_responses_equal_the_per_value_writer(tensors: dict[str, np.ndarray]) -> None:
    assert predict_response_text(tensors, row_format=False) == reference_predict(tensors, False)
    assert predict_response_text(tensors, row_format=True) == reference_predict(tensors, True)


def test_deep_and_wide_tensors_equal_the_per_value_writer() -> None:
    rng = np.random.default_rng(3)
    for shape in [(2, 3, 4, 5, 2), (1, 40, 40, 3), (3, CHUNK + 5), (CHUNK + 3,)]:
        tensors = {"y": rng.standard_normal(shape).astype(np.float32)}
        for row_format in (False, True):
            assert predict_response_text(tensors, row_format=row_format) == reference_predict(
                tensors, row_format
            )
