"""rapidjson 1.1.0's number reading, as TF Serving parses a REST body (``ParseNumber``).

TF Serving parses without ``kParseFullPrecisionFlag``, so a decimal number is rapidjson's
"normal precision" value, not the correctly rounded one: the significand is gathered in a
64-bit integer while it stays below 2^53 (then in a double, at most 17 significant digits,
the rest dropped) and scaled once by a power of ten from a table (``StrtodNormalPrecision``
/ ``FastPath``). About one random 17-digit double in eight lands one ULP away from Python's
``float()``; TF Serving feeds that value, so this module computes it, operation by
operation (Python floats are IEEE doubles with the same rounding as the C++ code; the
build is taken to contract no ``d * 10 + digit`` into a fused multiply-add, as x86-64
builds without ``-mfma`` do).

Integers are rapidjson's ``Int``/``Uint``/``Int64``/``Uint64`` (Python ints); an integer
past ``uint64`` (``int64`` when negative) becomes a double gathered digit by digit. With
``kParseNanAndInfFlag``: ``NaN``, ``Inf`` and ``Infinity`` (``-`` allowed before each;
``-NaN`` is NaN), with rapidjson 1.1.0's quirks kept (``NaN.5`` reads 0.5).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

# rapidjson's error words (``GetParseError_En``) for the errors a number can raise.
VALUE_INVALID = "Invalid value."
NUMBER_TOO_BIG = "Number too big to be stored in double."
MISS_FRACTION = "Miss fraction part in number."
MISS_EXPONENT = "Miss exponent in number."

_POW10 = [float(f"1e{n}") for n in range(309)]  # rapidjson's Pow10 table (C literals)
_DIGITS = re.compile(rb"[0-9]*")
_SAFE_53 = (1 << 53) - 1  # RAPIDJSON_UINT64_C2(0x1FFFFF, 0xFFFFFFFF)
_DBL_MAX_10 = 1.7976931348623157e307  # DBL_MAX / 10, the guard before another digit
_U32, _U64 = (1 << 32) - 1, (1 << 64) - 1
_NEG32, _NEG64 = 1 << 31, 1 << 63


class NumberError(Exception):
    """A rapidjson parse error: its English message and byte offset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def strtod_normal_precision(significand: float, power: int) -> float:
    """``StrtodNormalPrecision``: ``significand × 10^power`` in at most two table steps."""
    if power < -308:
        return _fast_path(_fast_path(significand, -308), power + 308)
    return _fast_path(significand, power)


def _fast_path(significand: float, power: int) -> float:
    if power < -308:
        return 0.0
    if power >= 0:
        return significand * _POW10[power]
    return significand / _POW10[-power]


def parse_number(data: bytes, start: int) -> tuple[int | float, int]:
    """Read the number token at ``data[start]`` as rapidjson does.

    Args:
        data: the body.
        start: offset of the token's first byte (rapidjson sends anything that starts no
            other value here, so this is where ``Invalid value.`` errors come from too).

    Returns:
        (value, offset just past the token): an int for an integer rapidjson keeps as
        one, else a float.

    Raises:
        NumberError: rapidjson's error and offset.
    """
    end = len(data)
    i = start
    minus = i < end and data[i] == 0x2D
    if minus:
        i += 1
    c = data[i] if i < end else 0
    small, wide, use_wide, use_double = 0, 0, False, False
    digits_seen = 0  # rapidjson's significandDigit
    value = 0.0
    nan_or_inf = False
    if c == 0x30:
        i += 1
    elif 0x31 <= c <= 0x39:
        run = _DIGITS.match(data, i).end()  # type: ignore[union-attr]
        text = data[i:run]
        i = run
        limit = _NEG64 if minus else _U64
        if len(text) <= 10 and int(text) <= (_NEG32 if minus else _U32):
            small, digits_seen = int(text), len(text) - 1
        elif len(text) <= 20 and int(text) <= limit:
            wide, use_wide, digits_seen = int(text), True, len(text) - 1
        else:
            # The digits that still fit the 64-bit integer, then double arithmetic.
            kept = len(str(limit))
            if int(text[:kept]) > limit:
                kept -= 1
            wide, use_wide, digits_seen = int(text[:kept]), True, kept - 1
            value, use_double = float(wide), True
            for digit in text[kept:]:
                if value >= _DBL_MAX_10:
                    raise NumberError(NUMBER_TOO_BIG, start)
                value = value * 10 + (digit - 0x30)
    elif c in (0x49, 0x4E):  # 'I' / 'N'
        value, i = _nan_or_inf(data, i, minus)
        nan_or_inf = True
    else:
        raise NumberError(VALUE_INVALID, i)

    exp_frac = 0
    if i < end and data[i] == 0x2E:  # '.'
        i += 1
        run = _DIGITS.match(data, i).end()  # type: ignore[union-attr]
        if run == i:
            raise NumberError(MISS_FRACTION, i)
        fraction = data[i:run]
        i = run
        used = 0
        if not use_double:
            significand = wide if use_wide else small
            for digit in fraction:
                if significand > _SAFE_53:
                    break
                significand = significand * 10 + (digit - 0x30)
                exp_frac -= 1
                used += 1
                if significand:
                    digits_seen += 1
            value, use_double = float(significand), True
        for digit in fraction[used:]:
            if digits_seen >= 17:
                break  # rapidjson reads the rest and drops it
            value = value * 10.0 + (digit - 0x30)
            exp_frac -= 1
            if value > 0.0:
                digits_seen += 1

    exponent = 0
    if i < end and data[i] in (0x45, 0x65):  # 'E' / 'e'
        i += 1
        if not use_double:
            value, use_double = float(wide if use_wide else small), True
        exp_minus = False
        if i < end and data[i] == 0x2B:
            i += 1
        elif i < end and data[i] == 0x2D:
            exp_minus = True
            i += 1
        run = _DIGITS.match(data, i).end()  # type: ignore[union-attr]
        if run == i:
            raise NumberError(MISS_EXPONENT, i)
        several = run - i > 1
        digits = data[i:run].lstrip(b"0") or b"0"
        i = run
        if exp_minus:
            # rapidjson stops counting at 214748364 (any such exponent reads as zero).
            exponent = -(int(digits) if len(digits) <= 9 else 10**9)
        else:
            # Checked after each digit but the first: past 308 - exp_frac is too big.
            if several and (len(digits) > 12 or int(digits) > 308 - exp_frac):
                raise NumberError(NUMBER_TOO_BIG, start)
            exponent = int(digits)

    if use_double:
        value = strtod_normal_precision(value, exponent + exp_frac)
        return (-value if minus else value), i
    if nan_or_inf:
        return value, i
    number = wide if use_wide else small
    return (-number if minus else number), i


def _nan_or_inf(data: bytes, i: int, minus: bool) -> tuple[float, int]:
    # kParseNanAndInfFlag: each Consume() advances only on a match, so "NInf" reads Inf.
    end = len(data)

    def consume(i: int, char: int) -> tuple[bool, int]:
        if i < end and data[i] == char:
            return True, i + 1
        return False, i

    ok, i = consume(i, 0x4E)
    if ok:
        ok, i = consume(i, 0x61)
        if ok:
            ok, i = consume(i, 0x4E)
            if ok:
                return float("nan"), i
    ok, i = consume(i, 0x49)
    if ok:
        ok, i = consume(i, 0x6E)
        if ok:
            ok, i = consume(i, 0x66)
    if not ok:
        raise NumberError(VALUE_INVALID, i)
    if i < end and data[i] == 0x69:  # "Inf" goes on as "Infinity" or is an error
        for char in b"inity":
            ok, i = consume(i, char)
            if not ok:
                raise NumberError(VALUE_INVALID, i)
    return (float("-inf") if minus else float("inf")), i


# --- many well-formed tokens at once -------------------------------------------------------

_BULK_MAX_WIDTH = 48  # longer tokens are read one by one
_POW10_ARRAY = np.array(_POW10)


def number_values(tokens: list[bytes]) -> list[int | float]:
    """``parse_number`` of many well-formed tokens (``-?int(.frac)?([eE][+-]?exp)?``, no
    NaN/Inf), the decimal ones computed together with numpy (the same IEEE operations in
    the same order, element by element).

    Raises:
        NumberError: a token too big for a double, with offset 0 (the caller finds where
            that token is).
    """
    if not tokens:
        return []
    chars = np.array(tokens, dtype="S")
    if chars.dtype.itemsize > _BULK_MAX_WIDTH:  # a long token: all one by one
        return [parse_number(token, 0)[0] for token in tokens]
    grid = chars.view(np.uint8).reshape(len(tokens), chars.dtype.itemsize)
    decimal = ((grid == 0x2E) | (grid == 0x65) | (grid == 0x45)).any(axis=1)
    values: list[Any] = np.where(decimal, 0.0, 0.0).tolist()
    computed, odd = _decimal_values(grid[decimal]) if decimal.any() else ([], [])
    slots = np.flatnonzero(decimal).tolist()
    for slot, value in zip(slots, computed, strict=True):
        values[slot] = value
    for index in odd:  # what the vector code leaves to the scalar one
        values[slots[index]] = parse_number(tokens[slots[index]], 0)[0]
    for slot in np.flatnonzero(~decimal).tolist():
        token = tokens[slot]
        # Up to 18 characters an integer fits int64: rapidjson's Int/Int64/Uint value.
        values[slot] = int(token) if len(token) <= 18 else parse_number(token, 0)[0]
    return values


def _decimal_values(grid: np.ndarray) -> tuple[list[float], list[int]]:
    # ParseNumber column by column over all tokens (one row each, NUL-padded).
    count, width = grid.shape
    rows = np.arange(count)
    minus = grid[:, 0] == 0x2D
    is_dot = grid == 0x2E
    is_exp = (grid == 0x65) | (grid == 0x45)
    dot = np.where(is_dot.any(axis=1), is_dot.argmax(axis=1), width + 1)
    exp_at = np.where(is_exp.any(axis=1), is_exp.argmax(axis=1), width + 1)
    int_end = np.minimum(np.minimum(dot, exp_at), (grid != 0).sum(axis=1))
    int_digits = int_end - minus
    digit = grid.astype(np.int64) - 0x30
    is_digit = (digit >= 0) & (digit <= 9)
    digit[~is_digit] = 0
    columns = np.arange(width)
    int_mask = is_digit & (columns < int_end[:, None])
    frac_mask = is_digit & (columns > dot[:, None]) & (columns < exp_at[:, None])
    exp_mask = is_digit & (columns > exp_at[:, None])
    # Integer parts of up to 18 digits fit every rapidjson integer kind exactly; the
    # rest, exponents of 6+ digits and positive ones that may be too big go one by one.
    odd = int_digits > 18
    int_mask &= ~odd[:, None]
    leading_zero = (int_digits == 1) & (grid[rows, minus.astype(np.int64)] == 0x30)
    seen = np.where(leading_zero, 0, np.maximum(int_digits - 1, 0))  # significandDigit
    significand = np.zeros(count, dtype=np.int64)
    taken = np.zeros(count, dtype=np.int64)  # fraction digits in the 64-bit significand
    stopped = np.zeros(count, dtype=bool)  # significand past 2^53 - 1 before a digit
    stop_at = np.zeros(count, dtype=np.int64)
    exponent = np.zeros(count, dtype=np.int64)
    # Column by column: each column contiguous (transposed copies).
    int_cols, frac_cols = np.ascontiguousarray(int_mask.T), np.ascontiguousarray(frac_mask.T)
    exp_cols, digit_cols = np.ascontiguousarray(exp_mask.T), np.ascontiguousarray(digit.T)
    for column in range(width):
        frac = frac_cols[column]
        stop = frac & ~stopped & (significand > _SAFE_53)
        stop_at[stop] = column
        stopped |= stop
        append = int_cols[column] | (frac & ~stopped)
        significand = np.where(append, significand * 10 + digit_cols[column], significand)
        frac_append = append & frac
        taken += frac_append
        seen += frac_append & (significand != 0)
        in_exp = exp_cols[column]
        if in_exp.any():
            exponent = np.where(in_exp, exponent * 10 + digit_cols[column], exponent)
    value = significand.astype(np.float64)
    # Then at most two more digits in double arithmetic (17 significant digits in all).
    steps = np.zeros(count, dtype=np.int64)
    cursor = stop_at.copy()
    while True:
        inside = stopped & (cursor < width)
        at = np.minimum(cursor, width - 1)
        step = inside & frac_mask[rows, at] & (seen < 17)
        if not step.any():
            break
        value = np.where(step, value * 10.0 + digit[rows, at], value)
        steps += step
        seen += step & (value > 0.0)
        cursor += 1
    exp_frac = -(taken + steps)
    exp_digits = exp_mask.sum(axis=1)
    exp_minus = grid[rows, np.minimum(exp_at + 1, width - 1)] == 0x2D
    odd |= exp_digits > 5
    odd |= ~exp_minus & (exp_digits > 1) & (exponent > 308 - exp_frac)
    power = np.where(odd, 0, np.where(exp_minus, -exponent, exponent) + exp_frac)
    low = power < -308
    value = np.where(
        low, _scale(_scale(value, np.full(count, -308)), power + 308), _scale(value, power)
    )
    value = np.where(minus, -value, value)
    return value.tolist(), np.flatnonzero(odd).tolist()


def _scale(value: np.ndarray, power: np.ndarray) -> np.ndarray:
    # FastPath, element by element.
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        up = value * _POW10_ARRAY[np.clip(power, 0, 308)]
        down = value / _POW10_ARRAY[np.clip(-power, 0, 308)]
    return np.where(power >= 0, up, np.where(power >= -308, down, 0.0))
