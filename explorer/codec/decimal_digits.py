"""The digits TF Serving's ``WriteDecimal`` picks for each float of an array, exactly, in
vectorised numpy: no Python work per number.

``WriteDecimal`` (``json_tensor.cc``) writes a finite float or double as
``absl::StrCat(val)`` — ``%g`` with 6 significant digits (absl's ``SixDigitsToBuffer``:
correctly rounded, ties to even) — when those digits read back (``absl::SimpleAtof`` /
``SimpleAtod``, correctly rounded ``from_chars``) as the same value, and otherwise with
``%.9g`` (float) or ``%.17g`` (double), also correctly rounded with ties to even. So each
value needs the decimal exponent and the 6-, 9- or 17-digit integer of its correctly
rounded significand, and for 6 digits the answer to "does it round-trip?".

Both are computed here in double-double arithmetic: a value is ``mf·2^e`` (``frexp``), and
``mf`` times a double-double constant ``2^e·10^k`` gives the scaled significand with a
relative error below 2^-100, so rounding it to an integer and comparing it with the
value's rounding interval are exact except within ~1e-12 of a tie. Those few values (a
true tie needs a value with few significant bits) take the exact path: Python's
correctly rounded ``format`` and rational arithmetic, one value at a time. The tables of
``2^e·10^k`` are built from exact rationals on first use, per dtype and precision.
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
CHUNK = 16384  # values per call: numpy's temporaries stay in the CPU's cache


@dataclass(frozen=True, slots=True)
class _Format:
    """One binary format: its significand bits and exponent limits (frexp's convention)."""

    bits: int  # 24 or 53
    min_e2: int  # frexp exponent of the smallest subnormal
    max_e2: int  # frexp exponent of the largest finite value
    min_normal_e2: int  # frexp exponent of the smallest normal (its power of two)
    full: int  # the fall-back precision: 9 (float) or 17 (double)


_FLOAT = _Format(bits=24, min_e2=-148, max_e2=128, min_normal_e2=-125, full=9)
_DOUBLE = _Format(bits=53, min_e2=-1073, max_e2=1024, min_normal_e2=-1021, full=17)


@dataclass(frozen=True, slots=True)
class Decimals:
    """Finite nonzero values as TF Serving writes them: ``q`` has exactly ``width`` digits
    (significant digits first, zero-filled on the right), the value is
    ``±q·10^(exponent-width+1)``, and ``precision`` is the ``%g`` precision used."""

    digits: np.ndarray  # uint64
    exponent: np.ndarray  # int64: the decimal exponent of the first digit
    precision: np.ndarray  # int64: 6, or 9 (float) / 17 (double)
    width: int  # 9 for float32, 17 for float64


def decimal_parts(values: np.ndarray) -> Decimals:
    """The digits ``WriteDecimal`` writes for each value.

    Callers pass chunks of about :data:`CHUNK` values: numpy's passes over a chunk that
    fits the CPU's cache cost a fraction of passes over a whole large tensor.

    Args:
        values: float32 or float64, every value finite and nonzero (callers write 0, NaN
            and the infinities themselves).

    Returns:
        Per value: digits, decimal exponent, precision (see :class:`Decimals`).

    Raises:
        ValueError: another dtype (a bug in the caller).
    """
    flat = values.ravel()
    if flat.dtype == np.float32:
        fmt = _FLOAT
        digits, exponent, precision, unsure = _float32_parts(flat)
    elif flat.dtype == np.float64:
        fmt = _DOUBLE
        digits, exponent, precision, unsure = _float64_parts(flat)
    else:
        raise ValueError(f"decimal_parts takes float32 or float64, not {flat.dtype}")
    for i in np.flatnonzero(unsure).tolist():
        p, q, x = exact_parts(abs(float(flat[i])), single=fmt is _FLOAT)
        digits[i] = q * 10 ** (fmt.full - p)
        exponent[i] = x
        precision[i] = p
    return Decimals(digits, exponent, precision, fmt.full)


def _float32_parts(
    values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float32 needs no double-double: a float32 is exact as a double, and 10^k is exact for
    0 <= k <= 22, so scaled by 10^k with 0 <= k <= 12 (values in [1e-4, 1e9)) the product
    is exact (24 + 28 bits): ties and round-trip edges are decided exactly. Otherwise the
    product is within 2.2e-16 (relative) of the truth, far finer than the decisions need,
    and values within 1e-6 of a tie or 1e-5 of an edge (in units of the ninth digit) are
    left to the exact path. The 6 digits come from the 9 (only a 9-digit value ending in
    500 can hide a 6-digit tie: the scaled value decides those). Selections are arithmetic
    blends: ``np.where`` on an unpredictable mask is slower."""
    magnitude = np.abs(values.astype(np.float64))
    bits = values.view(np.uint32) & np.uint32(0x7FFFFFFF)
    biased = (bits >> np.uint32(23)).astype(np.int32)
    # The decimal exponent from the binary one, exactly: one power of ten at most lies in
    # a binade, and the significand bits say which side of it the value is.
    significand = bits & np.uint32(0x7FFFFF)
    exponent = _E_LOW.take(biased) + (significand >= _E_STEP.take(biased))
    subnormal = np.flatnonzero(biased == 0)
    if len(subnormal):  # below 2^-126: by the logarithm, checked below
        exponent[subnormal] = np.floor(np.log10(magnitude[subnormal])).astype(np.int64)
    k9 = 8 - exponent
    power = _POW10.take(k9 - _POW10_MIN)
    scaled = magnitude * power
    if len(subnormal):  # log10 can be one off next to a power of ten
        off = subnormal[(scaled[subnormal] < 1e8) | (scaled[subnormal] >= 1e9)]
        exponent[off] += np.where(scaled[off] < 1e8, -1, 1)
        k9[off] = 8 - exponent[off]
        power[off] = _POW10.take(k9[off] - _POW10_MIN)
        scaled[off] = magnitude[off] * power[off]
    exact = (k9 >= 0) & (k9 <= _EXACT_K)
    q9, unsure = _round_half_even(scaled, exact, 1e-6)
    # Six digits, rounded half to even from the value: q9 // 1000, up past 500.
    q6 = np.floor(q9 / 1000.0)
    rest = q9 - q6 * 1000.0
    q6 += rest > 500.0
    halves = np.flatnonzero(rest == 500.0)
    if len(halves):  # q9 may have rounded onto the tie, or the tie is the value's own
        above = scaled[halves] - q9[halves]
        q6[halves] += (above > 0) | ((above == 0) & (q6[halves] % 2 == 1))
        unsure[halves] |= ~exact[halves] & (np.abs(above) <= 1e-6)
    # Does q6 read back as the value? Half the gap to the neighbours, in q9's units.
    q6 *= 1000.0
    offset = np.abs(q6 - scaled)
    half_gap = np.ldexp(power, np.maximum(biased, 1) - 151)
    powers_of_two = np.flatnonzero((significand == 0) & (biased > 1))
    if len(powers_of_two):  # the gap to the next float down is half as wide
        below = powers_of_two[q6[powers_of_two] < scaled[powers_of_two]]
        half_gap[below] /= 2
    # On the edge exactly, from_chars rounds to the even significand.
    even = (bits & np.uint32(1)) == 0
    fits = (offset < half_gap) | ((offset == half_gap) & even)
    unsure |= ~exact & (np.abs(half_gap - offset) <= 1e-5)
    q6 -= q9
    q6 *= fits
    q9 += q6  # where it fits, q6·1000; else q9
    carry = q9 == 1e9
    q9 -= carry * 9e8
    return q9.astype(np.uint64), exponent + carry, 9 - 3 * fits.astype(np.int64), unsure


def _round_half_even(
    scaled: np.ndarray, exact: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Round to an integer: ties to even where ``scaled`` is exact, else unsure within
    ``tolerance`` of a tie."""
    q = np.floor(scaled)
    fraction = scaled - q
    ties = np.flatnonzero((fraction == 0.5) & exact)
    q += fraction > 0.5
    if len(ties):  # rare: only values with few significant bits land on a tie
        q[ties] += q[ties] % 2
    fraction -= 0.5
    unsure = ~exact & (np.abs(fraction, out=fraction) <= tolerance)
    return q, unsure


def _float64_parts(
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


def exact_parts(value: float, *, single: bool) -> tuple[int, int, int]:
    """``WriteDecimal``'s choice for one positive finite value, by exact arithmetic:
    (precision, digits as an integer of that many digits, decimal exponent)."""
    six = format(value, ".5e")  # correctly rounded, ties to even, as absl's %g
    back = Fraction(six)
    parsed = _nearest_float32(back) if single else float(six)  # float(): correctly rounded
    if parsed == value:
        precision, text = 6, six
    else:
        precision = 9 if single else 17
        text = format(value, f".{precision - 1}e")
    significand, _, exponent = text.partition("e")
    return precision, int(significand.replace(".", "")), int(exponent)


# --- double-double scaling ----------------------------------------------------------------


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


# Powers of ten for the float32 path, correctly rounded (exact for 0 <= k <= 22).
_POW10_MIN = -60
_POW10 = np.array([float(Fraction(10) ** k) for k in range(_POW10_MIN, 61)])


def _exponent_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per float32 biased exponent b (a binade [2^(b-127), 2^(b-126))): the decimal
    exponent of its low end, and the significand bits from which a value reaches the next
    power of ten (2^23: never, within the binade)."""
    low = np.zeros(256, np.int64)
    step = np.full(256, 1 << 23, np.uint32)
    for b in range(1, 255):
        start = Fraction(2) ** (b - 127)
        exponent = len(str(start.numerator // start.denominator)) - 1 if start >= 1 else 0
        while Fraction(10) ** exponent > start:
            exponent -= 1
        while Fraction(10) ** (exponent + 1) <= start:
            exponent += 1
        low[b] = exponent
        ratio = Fraction(10) ** (exponent + 1) / start  # in (1, 10]
        if ratio < 2:
            scaled = (ratio - 1) * 2**23
            step[b] = -(-scaled.numerator // scaled.denominator)  # the first bits that reach it
    return low, step


_E_LOW, _E_STEP = _exponent_tables()
# A float32 (24 bits) times 10^k (5^k takes 2.33·k bits) is exact in a double up to k = 12.
_EXACT_K = 12

_FLOAT32_MAX = Fraction((2**24 - 1) * 2**104)
_FLOAT32_OVERFLOW = _FLOAT32_MAX + Fraction(2**103)  # half a gap past the largest float


def _nearest_float32(value: Fraction) -> float:
    """``from_chars<float>``: the float32 nearest a positive rational, ties to even,
    infinity past the largest float (``SimpleAtof`` turns the overflow into inf)."""
    if value >= _FLOAT32_OVERFLOW:
        return float("inf")
    guess = np.float32(float(value))
    candidates = {
        float(guess),
        float(np.nextafter(guess, np.float32(0))),
        float(np.nextafter(guess, np.float32(np.inf))),
    }
    finite = sorted(c for c in candidates if c != float("inf"))

    def distance(c: float) -> tuple[Fraction, int]:
        bits = int(np.float32(c).view(np.uint32))
        return abs(Fraction(c) - value), bits & 1  # an even significand wins a tie

    return min(finite, key=distance)
