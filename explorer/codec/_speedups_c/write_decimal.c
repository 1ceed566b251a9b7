/* One float or double as TF Serving's WriteDecimal (json_tensor.cc) writes it.
 *
 * WriteDecimal writes a finite float or double as absl::StrCat does (%g, 6 significant
 * digits) when those digits read back (SimpleAtof / SimpleAtod) as the same value, else with
 * %.9g (float) or %.17g (double); ".0" goes after text with neither '.' nor 'e'; NaN,
 * Infinity and -Infinity are words. printf_decimal below is that path literally: snprintf,
 * strtof/strtod, in the C locale.
 *
 * fast_decimal gets the same digits without printf: the value times 10^k (k putting 9 or 17
 * digits before the binary point) from a 64x128-bit product with pow10_table, whose error is
 * bounded (less than two units of 2^-64); rounding to 9/17 and to 6 digits, and "does the
 * 6-digit decimal read back as the value" (within half the gap to a neighbour), are decided
 * from it. Where the product is exact (10^k exact in the table, no bit dropped) every
 * decision is exact, ties included; otherwise one closer to its boundary than the error
 * goes to printf_decimal. */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speedups.h"

typedef unsigned __int128 u128;

#define MARGIN 8 /* units of 2^-64, beyond the error bound of 2 */
#define HALF (UINT64_C(1) << 63)

#define INLINE static inline __attribute__((always_inline))

static locale_t c_locale;
static const uint64_t POW10[20] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
    UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
    UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
    UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000), UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)};
const char DIGIT_PAIRS[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

int write_decimal_init(void) {
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return c_locale != (locale_t)0;
}

/* --- the literal path ----------------------------------------------------------------- */

static size_t printf_decimal(uint64_t bits, int single, char *out) {
    char text[48];
    double value;
    float single_value = 0.0f;
    if (single) {
        uint32_t b = (uint32_t)bits;
        memcpy(&single_value, &b, sizeof b);
        value = single_value;
    } else
        memcpy(&value, &bits, sizeof value);
    locale_t previous = uselocale(c_locale);
    snprintf(text, sizeof text, "%.6g", value);
    int same = single ? strtof(text, NULL) == single_value : strtod(text, NULL) == value;
    if (!same)
        snprintf(text, sizeof text, single ? "%.9g" : "%.17g", value);
    uselocale(previous);
    size_t n = strlen(text);
    memcpy(out, text, n);
    if (!memchr(text, '.', n) && !memchr(text, 'e', n)) {
        out[n++] = '.';
        out[n++] = '0';
    }
    return n;
}

/* --- the fast path -------------------------------------------------------------------- */

INLINE int floor_log10_pow2(int n) {
    /* floor(n * log10(2)); 78913 / 2^18 is exact for 0 <= n <= 1650 (Ryu's log10Pow2). */
    if (n >= 0)
        return (int)(((int64_t)n * 78913) >> 18);
    return -(int)(((int64_t)-n * 78913) >> 18) - 1;
}

INLINE int scaled(uint64_t m, int e, int k, u128 *t, int *exact) {
    /* m * 2^e * 10^k as a 64.64 fixed-point number, rounded down; the exact value is less
     * than two units of 2^-64 above it, or equal (*exact) when 10^k is exact in the table and
     * no bit is dropped. m has its top bit set. */
    if (k < POW10_K_MIN || k > POW10_K_MAX)
        return 0;
    const pow10_128 *c = &pow10_table[k - POW10_K_MIN];
    u128 low = (u128)m * c->lo, high = (u128)m * c->hi;
    u128 middle = (low >> 64) + (uint64_t)high;
    uint64_t w0 = (uint64_t)low, w1 = (uint64_t)middle;
    uint64_t w2 = (uint64_t)(high >> 64) + (uint64_t)(middle >> 64);
    int r = -(e + c->b + 64);
    if (r < 64 || r >= 128)
        return 0;
    *t = (((u128)w2 << 64) | w1) >> (r - 64);
    *exact = c->exact && !w0 && !(w1 & ((UINT64_C(1) << (r - 64)) - 1));
    return 1;
}

INLINE int half_gap(int e, int k, u128 *h, int *exact) {
    /* 2^(e-1) * 10^k in 64.64 fixed point, rounded down (within two units, or *exact). */
    const pow10_128 *c = &pow10_table[k - POW10_K_MIN];
    int t = -(e + c->b + 63);
    if (t < 1 || t > 127)
        return 0;
    u128 whole = ((u128)c->hi << 64) | c->lo;
    *h = whole >> t;
    *exact = c->exact && !(whole & (((u128)1 << t) - 1));
    return 1;
}

INLINE uint64_t eight_digits(uint64_t n) {
    /* n < 10^8 as eight ASCII digits in one word, the first in its lowest byte (so that the
     * word stored little-endian reads left to right): divisions in parallel lanes. */
    uint64_t v = n / 10000 | (n % 10000) << 32;               /* two lanes of 4 digits */
    uint64_t hundreds = (v * 5243) >> 19 & UINT64_C(0x0000007F0000007F);
    v = hundreds | (v - hundreds * 100) << 16;                 /* four lanes of 2 digits */
    uint64_t tens = (v * 103) >> 10 & UINT64_C(0x000F000F000F000F);
    v = tens | (v - tens * 10) << 8;                           /* eight lanes of 1 digit */
    return v + UINT64_C(0x3030303030303030);
}

INLINE uint64_t low_bytes(int count) {
    return count >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * count)) - 1;
}

INLINE void store(char *at, uint64_t word) {
    memcpy(at, &word, 8); /* little-endian: the word's lowest byte first */
}

INLINE int digits_in(uint64_t word) {
    /* Digits up to the last nonzero one in a word of ASCII digits (0 if all are zeros). */
    uint64_t values = word - UINT64_C(0x3030303030303030);
    return values ? (63 - __builtin_clzll(values)) / 8 + 1 : 0;
}

INLINE size_t write_g(int negative, uint64_t q, const int precision, int x, char *out) {
    /* printf's %g of q * 10^(x - precision + 1), q of exactly `precision` digits (6, 9 or
     * 17): the first digit, then the others in words of eight (the last word zero-filled),
     * stored whole (out has JOIN_SLACK bytes of room past the token). */
    const uint64_t below_first = precision == 17 ? UINT64_C(10000000000000000)
                                 : precision == 9 ? UINT64_C(100000000)
                                                  : UINT64_C(100000);
    uint64_t first = q / below_first, rest = q % below_first;
    uint64_t w1, w2 = UINT64_C(0x3030303030303030);
    if (precision == 17) {
        w1 = eight_digits(rest / 100000000);
        w2 = eight_digits(rest % 100000000);
    } else
        w1 = eight_digits(precision == 9 ? rest : rest * 1000);
    int n; /* significant digits */
    if (precision == 17 && digits_in(w2))
        n = 9 + digits_in(w2);
    else
        n = 1 + digits_in(w1);
    char *o = out;
    *o = '-';
    o += negative;
    char head = (char)('0' + first);
    if (x < -4 || x >= precision) { /* d.ddde+XX */
        o[0] = head;
        o[1] = '.';
        store(o + 2, w1);
        store(o + 10, w2);
        o += n > 1 ? n + 1 : 1;
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        int a = x < 0 ? -x : x;
        if (a >= 100) {
            *o++ = (char)('0' + a / 100);
            a %= 100;
        }
        memcpy(o, DIGIT_PAIRS + 2 * a, 2);
        return (size_t)(o + 2 - out);
    }
    if (x < 0) { /* 0.000ddd */
        memcpy(o, "0.000000", 8);
        o += 1 - x;
        o[0] = head;
        store(o + 1, w1);
        store(o + 9, w2);
        return (size_t)(o + n - out);
    }
    o[0] = head;
    if (n <= x + 1) { /* a whole number (its zeros are digits): TF Serving's ".0" */
        store(o + 1, w1);
        store(o + 9, w2);
        memcpy(o + x + 1, ".0", 2);
        return (size_t)(o + x + 3 - out);
    }
    /* the point before digit x + 1: inserted into the word that holds it */
    if (x < 8) {
        uint64_t low = w1 & low_bytes(x);
        uint64_t with_point = low | (uint64_t)'.' << (8 * x) | (w1 & ~low_bytes(x)) << 8;
        store(o + 1, with_point);
        store(o + 9, w1 >> 56 | w2 << 8);
        o[17] = (char)(w2 >> 56);
    } else {
        uint64_t low = w2 & low_bytes(x - 8);
        store(o + 1, w1);
        store(o + 9, low | (uint64_t)'.' << (8 * (x - 8)) | (w2 & ~low_bytes(x - 8)) << 8);
        o[17] = (char)(w2 >> 56);
    }
    return (size_t)(o + n + 1 - out);
}

INLINE int rounded(uint64_t whole, uint64_t f, const uint64_t unit, int exact, uint64_t *q) {
    /* (whole + f / 2^64) / unit to the nearest integer, ties to even; 0 when too close to a
     * tie to tell (not exact). */
    uint64_t quotient = whole / unit, rest = whole % unit;
    if (unit == 1) {
        if (!exact && f >= HALF - MARGIN && f <= HALF + MARGIN)
            return 0;
        *q = whole + (f > HALF || (f == HALF && (whole & 1)));
        return 1;
    }
    const uint64_t half = unit / 2;
    if (!exact && ((rest == half && f <= MARGIN) || (rest == half - 1 && f >= UINT64_MAX - MARGIN)))
        return 0;
    *q = quotient + (rest > half || (rest == half && (f || (quotient & 1))));
    return 1;
}

INLINE size_t fast_decimal(uint64_t m, int e, int negative, int narrow_below, const int width,
                           char *out) {
    /* m * 2^e (m the significand, 2^e the gap above) as WriteDecimal writes it; 0 for a
     * decision too close to call here (printf_decimal makes it). The value is scaled by the
     * power of ten that gives it `width` or `width` + 1 digits before the point. Where the
     * product is exact (a float32 in [1e-30, 1e9), a double in [1e-22, 1e17) with few enough
     * bits), ties and edges are decided exactly: to the even digit, the even significand. */
    int lz = __builtin_clzll(m), exact;
    int x = floor_log10_pow2(e + 63 - lz); /* the decimal exponent, or one less */
    int k = width - 1 - x;
    u128 t;
    if (!scaled(m << lz, e - lz, k, &t, &exact))
        return 0;
    uint64_t whole = (uint64_t)(t >> 64), f = (uint64_t)t;
    if (whole < POW10[width - 1])
        return 0; /* on a power of ten: not worth the arithmetic here */
    uint64_t q, q6, decimal_units;
    int wide = whole >= POW10[width];
    if (wide) { /* one more digit: the exponent is one more */
        x++;
        if (!rounded(whole, f, 10, exact, &q) || !rounded(whole, f, POW10[width - 5], exact, &q6))
            return 0;
        decimal_units = q6 * POW10[width - 5];
    } else {
        if (!rounded(whole, f, 1, exact, &q) || !rounded(whole, f, POW10[width - 6], exact, &q6))
            return 0;
        decimal_units = q6 * POW10[width - 6];
    }
    /* Does q6 read back as the value: within half the gap to the neighbour on its side, or
     * on the edge with an even significand. */
    u128 decimal = (u128)decimal_units << 64, gap;
    int gap_exact;
    if (!half_gap(e, k, &gap, &gap_exact))
        return 0;
    if (narrow_below && decimal < t) {
        gap_exact &= !(gap & 1);
        gap >>= 1;
    }
    u128 distance = decimal > t ? decimal - t : t - decimal;
    int back;
    if (exact && gap_exact)
        back = distance < gap || (distance == gap && !(m & 1));
    else if (distance + 2 + MARGIN <= gap)
        back = 1;
    else if (distance >= gap + 4 + MARGIN)
        back = 0;
    else
        return 0;
    if (back)
        return q6 == POW10[6] ? write_g(negative, POW10[5], 6, x + 1, out)
                              : write_g(negative, q6, 6, x, out);
    return q == POW10[width] ? write_g(negative, POW10[width - 1], width, x + 1, out)
                             : write_g(negative, q, width, x, out);
}

size_t write_float(uint64_t bits, int single, int exact_printf, char *out) {
    int shift = single ? 31 : 63, exponent_bits = single ? 8 : 11;
    int mantissa_bits = shift - exponent_bits;
    uint64_t exponent = (bits >> mantissa_bits) & ((UINT64_C(1) << exponent_bits) - 1);
    uint64_t fraction = bits & ((UINT64_C(1) << mantissa_bits) - 1);
    int negative = (int)((bits >> shift) & 1);
    if (exponent == (UINT64_C(1) << exponent_bits) - 1) {
        if (fraction) {
            memcpy(out, "NaN", 3);
            return 3;
        }
        memcpy(out, "-Infinity" + !negative, 9 - (size_t)!negative);
        return 9 - (size_t)!negative;
    }
    if (!exponent && !fraction) {
        memcpy(out, "-0.0" + !negative, 4 - (size_t)!negative);
        return 4 - (size_t)!negative;
    }
    if (!exact_printf) {
        /* m * 2^e; the gap below a power of two is half the gap above (not below the
         * smallest normal, whose gap below is the subnormals') */
        uint64_t m = exponent ? fraction | (UINT64_C(1) << mantissa_bits) : fraction;
        int e = (int)(exponent ? exponent : 1) - (single ? 150 : 1075);
        int narrow_below = !fraction && exponent > 1;
        size_t n = single ? fast_decimal(m, e, negative, narrow_below, 9, out)
                          : fast_decimal(m, e, negative, narrow_below, 17, out);
        if (n)
            return n;
    }
    return printf_decimal(bits, single, out);
}
