"""WriteDecimal's digits for doubles, in double-double arithmetic (``explorer.codec.
decimal_digits`` is the public face).

A double's 17 digits need more precision than a double holds. A value is ``mf·2^e``
(``frexp``), and ``mf`` times a double-double constant ``2^e·10^k`` (built from exact
rationals, per binade, on first use) gives the scaled significand with a relative error
below 2^-100, so rounding it to an integer and comparing it with the value's rounding
interval are exact except within ~1e-12 of a tie or an edge: those values are flagged for
the exact path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# A rounding decision this close to a tie (in units of the last digit) is made exactly.
_TIE_TOLERANCE = 1e-12
# A round-trip decision this close to the rounding interval's edge is made exactly.
_EDGE_TOLERANCE = 1e-13
_SPLIT = 134217729.0  # 2^27 + 1: Dekker's split of a double into two 26-bit halves


@dataclass(frozen=True, slots=True)
class _Format:
    """One binary format: its significand bits and exponent limits (frexp's convention)."""

    bits: int  # 24 or 53
    min_e2: int  # frexp exponent of the smallest subnormal
    max_e2: int  # frexp exponent of the largest finite value
    min_normal_e2: int  # frexp exponent of the smallest normal (its power of two)
    full: int  # the fall-back precision: 9 (float) or 17 (double)


_DOUBLE = _Format(bits=53, min_e2=-1073, max_e2=1024, min_normal_e2=-1021, full=17)


def float64_parts(
    values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    fmt = _DOUBLE
    mantissa, e2 = np.frexp(np.abs(values))
    e2 = e2.astype(np.int64)
    short = _scaled(mantissa, e2, fmt, 6)
    raw6, unsure6 = _round(short)
    fits, unsure_fit = _round_trips(short, raw6, mantissa, e2, fmt)
    full = _scaled(mantissa, e2, fmt, fmt.full)
    rawf, unsuref = _round(full)
    q6, exponent6 = _carry(raw6, short)
    qf, exponentf = _carry(rawf, full)
    scale = np.uint64(10 ** (fmt.full - 6))
    digits = np.where(fits, q6.astype(np.uint64) * scale, qf.astype(np.uint64))
    exponent = np.where(fits, exponent6, exponentf)
    precision = np.where(fits, 6, fmt.full)
    return digits, exponent, precision, unsure6 | unsure_fit | (unsuref & ~fits)


@dataclass(frozen=True, slots=True)
class _Scaled:
    """``mf·2^e·10^k`` as hi + lo, with the k chosen so that hi has ``precision`` digits
    before the point; ``exponent`` is the decimal exponent of the value."""

    hi: np.ndarray
    lo: np.ndarray
    exponent: np.ndarray
    precision: int
    # The constant 2^e·10^k (hi, lo) each value was scaled by.
    c_hi: np.ndarray
    c_lo: np.ndarray


def _scaled(mantissa: np.ndarray, e2: np.ndarray, fmt: _Format, precision: int) -> _Scaled:
    table = _table(fmt, precision)
    row = e2 - fmt.min_e2
    # The value is below 10^E0 (the power of ten under 2^e) when mf < 10^E0 / 2^e: then
    # its exponent is E0 - 1 and the second column's constant (ten times more) applies.
    threshold_hi, threshold_lo = table.threshold_hi.take(row), table.threshold_lo.take(row)
    below = (mantissa < threshold_hi) | ((mantissa == threshold_hi) & (threshold_lo > 0))
    column = below.astype(np.int64)
    flat = 2 * row + column
    c_hi = table.c_hi.take(flat)
    c_lo = table.c_lo.take(flat)
    hi, lo = _dd_multiply(mantissa, c_hi, table.c_hi_split.take(flat), c_lo)
    exponent = table.e0.take(row) - column
    return _Scaled(hi, lo, exponent, precision, c_hi, c_lo)


def _dd_multiply(
    a: np.ndarray, b_hi: np.ndarray, b_split: np.ndarray, b_lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """a·(b_hi + b_lo) as a normalised double-double (Dekker's product; no FMA needed)."""
    product = a * b_hi
    t = _SPLIT * a
    a_high = t - (t - a)
    a_low = a - a_high
    b_high = b_split
    b_low = b_hi - b_high
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    tail = error + a * b_lo
    hi = product + tail
    lo = tail - (hi - product)
    return hi, lo


def _round(scaled: _Scaled) -> tuple[np.ndarray, np.ndarray]:
    """Round to an integer, ties to even: (q, possibly 10^precision before the carry;
    unsure where the value is within the tolerance of a tie)."""
    floor = np.floor(scaled.hi)
    rest = (scaled.hi - floor) + scaled.lo
    whole = np.floor(rest)
    fraction = rest - whole
    q = floor.astype(np.int64) + whole.astype(np.int64) + (fraction > 0.5)
    return q, np.abs(fraction - 0.5) <= _TIE_TOLERANCE


def _carry(q: np.ndarray, scaled: _Scaled) -> tuple[np.ndarray, np.ndarray]:
    """999999.7 rounds to 1000000: one digit fewer, and the exponent one up."""
    carry = q == 10**scaled.precision
    return np.where(carry, 10 ** (scaled.precision - 1), q), scaled.exponent + carry


def _round_trips(
    scaled: _Scaled, q: np.ndarray, mantissa: np.ndarray, e2: np.ndarray, fmt: _Format
) -> tuple[np.ndarray, np.ndarray]:
    """Whether the 6-digit decimal q (before its carry) reads back as the value: it lies
    strictly inside the value's rounding interval, half the gap to each neighbour, both
    measured in the scaled units of q. Also: unsure, where it is within the tolerance of
    the interval's edge (a tie there goes to the even neighbour: the exact path decides)."""
    offset = (q.astype(np.float64) - scaled.hi) - scaled.lo
    # Half a gap: 2^(max(e - bits, min_e2 - 1) - 1), scaled by 2^-e·(2^e·10^k).
    half_gap_power = np.maximum(e2 - fmt.bits, fmt.min_e2 - 1) - 1 - e2
    half_gap = np.ldexp(scaled.c_hi, half_gap_power) + np.ldexp(scaled.c_lo, half_gap_power)
    # Below a power of two (not the smallest normal) the gap to the next value down halves.
    narrower = (mantissa == 0.5) & (e2 > fmt.min_normal_e2) & (offset < 0)
    half_gap = np.where(narrower, half_gap / 2, half_gap)
    margin = half_gap - np.abs(offset)
    return margin > 0, np.abs(margin) <= _EDGE_TOLERANCE


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    e0: np.ndarray  # floor(log10(2^e)) per frexp exponent e
    threshold_hi: np.ndarray  # 10^E0 / 2^e as a double-double
    threshold_lo: np.ndarray
    c_hi: np.ndarray  # [2·row]: 2^e·10^(p-1-E0); [2·row + 1]: 2^e·10^(p-E0)
    c_lo: np.ndarray
    c_hi_split: np.ndarray  # the high 26 bits of c_hi (Dekker's split, done once)


_TABLES: dict[tuple[int, int], _Table] = {}
_TABLES_LOCK = threading.Lock()


def _table(fmt: _Format, precision: int) -> _Table:
    key = (fmt.bits, precision)
    with _TABLES_LOCK:
        table = _TABLES.get(key)
        if table is None:
            table = _TABLES[key] = _build_table(fmt, precision)
    return table


def _build_table(fmt: _Format, precision: int) -> _Table:
    count = fmt.max_e2 - fmt.min_e2 + 1
    e0 = np.empty(count, np.int64)
    threshold = np.empty((count, 2))
    constants = np.empty((count, 2, 2))
    for row, e in enumerate(range(fmt.min_e2, fmt.max_e2 + 1)):
        power = Fraction(2) ** e
        exponent = _floor_log10_power_of_two(e)
        e0[row] = exponent
        threshold[row] = _double_double(Fraction(10) ** exponent / power)
        for column in (0, 1):
            k = precision - 1 - exponent + column
            constants[row, column] = _double_double(power * Fraction(10) ** k)
    c_hi = constants[:, :, 0].ravel()  # flat: [2·row + column]
    t = _SPLIT * c_hi
    split = t - (t - c_hi)
    return _Table(
        e0, threshold[:, 0].copy(), threshold[:, 1].copy(), c_hi, constants[:, :, 1].ravel(), split
    )


def _floor_log10_power_of_two(e: int) -> int:
    # 2^e is never a power of ten for e != 0, so its digit count decides exactly.
    if e >= 0:
        return len(str(2**e)) - 1
    return -len(str(2**-e))


def _double_double(value: Fraction) -> tuple[float, float]:
    hi = float(value)  # Fraction → float rounds correctly
    return hi, float(value - Fraction(hi))
