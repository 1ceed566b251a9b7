"""The digits TF Serving's ``WriteDecimal`` picks for each float of an array, exactly, in
vectorised numpy: no Python work per number.

``WriteDecimal`` (``json_tensor.cc``) writes a finite float or double as
``absl::StrCat(val)`` — ``%g`` with 6 significant digits (absl's ``SixDigitsToBuffer``:
correctly rounded, ties to even) — when those digits read back (``absl::SimpleAtof`` /
``SimpleAtod``, correctly rounded ``from_chars``) as the same value, and otherwise with
``%.9g`` (float) or ``%.17g`` (double), also correctly rounded with ties to even. So each
value needs the decimal exponent and the 6-, 9- or 17-digit integer of its correctly
rounded significand, and for 6 digits the answer to "does it round-trip?".

A float32 is exact as a double, and its digits are computed here in doubles (see
``_float32_parts``); a double's 17 digits need double-double arithmetic
(``explorer.codec.double_digits``). Either way, the few values within a hair of a tie or of
the rounding interval's edge (a true tie needs a value with few significant bits) take the
exact path: Python's correctly rounded ``format`` and rational arithmetic, one value at a
time.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explorer.codec.double_digits import float64_parts

CHUNK = 16384  # values per call: numpy's temporaries stay in the CPU's cache


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
        width, single = 9, True
        digits, exponent, precision, unsure = _float32_parts(flat)
    elif flat.dtype == np.float64:
        width, single = 17, False
        digits, exponent, precision, unsure = float64_parts(flat)
    else:
        raise ValueError(f"decimal_parts takes float32 or float64, not {flat.dtype}")
    for i in np.flatnonzero(unsure).tolist():
        p, q, x = exact_parts(abs(float(flat[i])), single=single)
        digits[i] = q * 10 ** (width - p)
        exponent[i] = x
        precision[i] = p
    return Decimals(digits, exponent, precision, width)


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
