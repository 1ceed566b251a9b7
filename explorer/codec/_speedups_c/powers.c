/* Tables of powers of ten, computed once at import.
 *
 * rapidjson_pow10: rapidjson's Pow10() table, the C literals 1e0 ... 1e308 (strtod gives the
 * same correctly rounded doubles).
 *
 * pow10_table: 10^k for POW10_K_MIN <= k <= POW10_K_MAX as a 128-bit significand rounded
 * down and a binary exponent, from exact integer arithmetic: 10^k itself for k >= 0, and
 * floor(2^N / 10^j) (divided by ten j times: floor(floor(a / 10) / 10) = floor(a / 100))
 * for k = -j. The writer multiplies a float's significand by these and bounds the error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speedups.h"

double rapidjson_pow10[309];
pow10_128 pow10_table[POW10_K_MAX - POW10_K_MIN + 1];

#define LIMBS 48 /* 1536 bits: 2^1400 and 10^345 (1147 bits) fit */
#define NEGATIVE_BASE 1400

typedef struct {
    uint32_t w[LIMBS]; /* least significant limb first */
} big;

static int bit_length(const big *x) {
    for (int i = LIMBS - 1; i >= 0; i--)
        if (x->w[i])
            return 32 * i + (32 - __builtin_clz(x->w[i]));
    return 0;
}

static uint64_t bits_at(const big *x, int from) {
    /* The 64 bits from bit `from` up (bits below 0 read as zero). */
    uint64_t out = 0;
    for (int j = 0; j < 64; j++) {
        int bit = from + j;
        if (bit >= 0 && bit < 32 * LIMBS && ((x->w[bit / 32] >> (bit % 32)) & 1u))
            out |= (uint64_t)1 << j;
    }
    return out;
}

static pow10_128 top_bits(const big *x, int scale, int whole) {
    /* x * 2^scale as (hi:lo) * 2^b with hi's top bit set, rounded down; exact when x is
     * the whole value (not a quotient rounded down) and no bit below the 128 is set. */
    int shift = bit_length(x) - 128;
    pow10_128 p;
    p.hi = bits_at(x, shift + 64);
    p.lo = bits_at(x, shift);
    p.b = shift + scale;
    p.exact = whole;
    for (int bit = 0; bit < shift && p.exact; bit++)
        if ((x->w[bit / 32] >> (bit % 32)) & 1u)
            p.exact = 0;
    return p;
}

static void times_ten(big *x) {
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t v = (uint64_t)x->w[i] * 10u + carry;
        x->w[i] = (uint32_t)v;
        carry = v >> 32;
    }
}

static void divide_by_ten(big *x) {
    uint64_t rest = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t v = (rest << 32) | x->w[i];
        x->w[i] = (uint32_t)(v / 10u);
        rest = v % 10u;
    }
}

void powers_init(void) {
    char text[16];
    for (int n = 0; n <= 308; n++) {
        snprintf(text, sizeof text, "1e%d", n);
        rapidjson_pow10[n] = strtod(text, NULL);
    }
    big x;
    memset(&x, 0, sizeof x);
    x.w[0] = 1;
    for (int k = 0; k <= POW10_K_MAX; k++) {
        pow10_table[k - POW10_K_MIN] = top_bits(&x, 0, 1);
        times_ten(&x);
    }
    memset(&x, 0, sizeof x);
    x.w[NEGATIVE_BASE / 32] = 1u << (NEGATIVE_BASE % 32);
    for (int j = 1; j <= -POW10_K_MIN; j++) {
        divide_by_ten(&x);
        pow10_table[-j - POW10_K_MIN] = top_bits(&x, -NEGATIVE_BASE, 0);
    }
}
