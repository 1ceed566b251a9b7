"""rapidjson 1.1.0's ``dtoa``: a double as its ``Writer::Double`` prints it.

TF Serving's error texts print request values with rapidjson's writer, whose doubles come
from Grisu2 (``internal/dtoa.h``): digits that read back as the same double but are not
always the shortest, laid out by ``Prettify`` (``0.001``, ``1e21``, ``1.5e-7``, whole
numbers with ``.0``, exponents without ``+``). Ported operation by operation with Python
integers standing in for ``uint64_t`` and ``DiyFp``.
"""

from __future__ import annotations

import struct
from fractions import Fraction
from functools import cache

_MASK64 = (1 << 64) - 1
_HIDDEN = 1 << 52
_SIGNIFICAND_MASK = _HIDDEN - 1
_EXPONENT_BIAS = 0x3FF + 52
_POW10_32 = [10**i for i in range(10)]


@cache
def _cached_power(index: int) -> tuple[int, int]:
    # kCachedPowers_F / _E: 10^(-348 + 8·index) as a 64-bit normalized significand,
    # rounded to nearest, and its binary exponent.
    value = Fraction(10) ** (-348 + 8 * index)
    exponent = value.numerator.bit_length() - value.denominator.bit_length() - 64
    while value / Fraction(2) ** exponent >= 2**64:
        exponent += 1
    while value / Fraction(2) ** exponent < 2**63:
        exponent -= 1
    scaled = value / Fraction(2) ** exponent
    significand = scaled.numerator // scaled.denominator
    if scaled - significand >= Fraction(1, 2):
        significand += 1
    return significand, exponent


def _multiply(f1: int, e1: int, f2: int, e2: int) -> tuple[int, int]:
    product = f1 * f2
    high = product >> 64
    if product & (1 << 63):  # rounding
        high += 1
    return high & _MASK64, e1 + e2 + 64


def _normalize(f: int, e: int) -> tuple[int, int]:
    shift = 64 - f.bit_length()
    return (f << shift) & _MASK64, e - shift


def _boundaries(f: int, e: int) -> tuple[tuple[int, int], tuple[int, int]]:
    pf, pe = (f << 1) + 1, e - 1
    while not pf & (_HIDDEN << 1):  # NormalizeBoundary
        pf <<= 1
        pe -= 1
    pf, pe = pf << 10, pe - 10
    if f == _HIDDEN:
        mf, me = (f << 2) - 1, e - 2
    else:
        mf, me = (f << 1) - 1, e - 1
    mf <<= me - pe
    return (mf & _MASK64, pe), (pf & _MASK64, pe)


def _grisu2(value: float) -> tuple[str, int]:
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    biased = (bits >> 52) & 0x7FF
    significand = bits & _SIGNIFICAND_MASK
    if biased:
        f, e = significand + _HIDDEN, biased - _EXPONENT_BIAS
    else:
        f, e = significand, -_EXPONENT_BIAS + 1
    (mf, me), (pf, pe) = _boundaries(f, e)
    dk = (-61 - pe) * 0.30102999566398114 + 347
    k = int(dk)
    if dk - k > 0.0:
        k += 1
    index = (k >> 3) + 1
    big_k = -(-348 + (index << 3))
    cf, ce = _cached_power(index)
    wf, we = _multiply(*_normalize(f, e), cf, ce)
    upf, upe = _multiply(pf, pe, cf, ce)
    lof, _ = _multiply(mf, me, cf, ce)
    lof += 1
    upf -= 1
    return _digit_gen(wf, we, upf, upe, upf - lof, big_k)


def _digit_gen(wf: int, we: int, mpf: int, mpe: int, delta: int, k: int) -> tuple[str, int]:
    one_e = -mpe
    one_f = 1 << one_e
    wp_w = mpf - wf
    p1 = mpf >> one_e
    p2 = mpf & (one_f - 1)
    kappa = len(str(p1)) if p1 else 1  # CountDecimalDigit32
    if p1 < 10:
        kappa = 1
    digits: list[int] = []
    while kappa > 0:
        d, p1 = divmod(p1, _POW10_32[kappa - 1])
        if d or digits:
            digits.append(d)
        kappa -= 1
        rest = (p1 << one_e) + p2
        if rest <= delta:
            k += kappa
            _round(digits, delta, rest, _POW10_32[kappa] << one_e, wp_w)
            return "".join(map(str, digits)), k
    while True:
        p2 = (p2 * 10) & _MASK64
        delta = (delta * 10) & _MASK64
        d = p2 >> one_e
        if d or digits:
            digits.append(d)
        p2 &= one_f - 1
        kappa -= 1
        if p2 < delta:
            k += kappa
            index = -kappa
            unit = wp_w * _POW10_32[index] if index < 9 else 0
            _round(digits, delta, p2, one_f, unit & _MASK64)
            return "".join(map(str, digits)), k


def _round(digits: list[int], delta: int, rest: int, ten_kappa: int, wp_w: int) -> None:
    while (
        rest < wp_w
        and delta - rest >= ten_kappa
        and (rest + ten_kappa < wp_w or wp_w - rest > rest + ten_kappa - wp_w)
    ):
        digits[-1] -= 1
        rest += ten_kappa


def _prettify(digits: str, k: int) -> str:
    length = len(digits)
    kk = length + k  # 10^(kk-1) <= v < 10^kk
    if k >= 0 and kk <= 21:
        return digits + "0" * k + ".0"
    if 0 < kk <= 21:
        return digits[:kk] + "." + digits[kk:]
    if -6 < kk <= 0:
        return "0." + "0" * -kk + digits
    exponent = kk - 1
    if length == 1:
        return f"{digits}e{exponent}"
    return f"{digits[0]}.{digits[1:]}e{exponent}"


def dtoa(value: float) -> str | None:
    """``Writer::WriteDouble``: the text, or None for NaN/±Infinity (rapidjson's writer
    refuses them without ``kWriteNanAndInfFlag``, and stops there)."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if value == 0.0:
        return "-0.0" if struct.pack("<d", value)[7] & 0x80 else "0.0"
    sign = "-" if value < 0 else ""
    digits, k = _grisu2(abs(value))
    return sign + _prettify(digits, k)
