/* rapidjson 1.1.0's Reader::ParseNumber as TF Serving runs it (64-bit build, flags
 * kParseIterativeFlag | kParseNanAndInfFlag | kParseStopWhenDoneFlag, so no
 * kParseFullPrecisionFlag): statement for statement, in the same order, so each value is
 * rapidjson's own bit for bit (explorer/codec/rapidjson_number.py is the same algorithm in
 * Python, checked against a rapidjson build).
 *
 * - Integers go into a 32-bit, then a 64-bit unsigned significand; past uint64 (int64 when
 *   negative) into a double, one digit at a time.
 * - A fraction continues the 64-bit significand while it stays below 2^53, then the double,
 *   up to 17 significant digits (the rest are read and dropped).
 * - The value is significand * 10^exp in at most two steps of rapidjson's Pow10 table
 *   (StrtodNormalPrecision / FastPath): not correctly rounded, a few ULPs off at times.
 *
 * The floating-point operations must be IEEE double operations one at a time: setup.py
 * builds this file with -ffp-contract=off (no fused multiply-add) and no -ffast-math.
 *
 * What rapidjson reports as an error (a missing fraction or exponent digit, a number too
 * big), NaN and Infinity tokens, and values that end up infinite are left to the caller's
 * exact path: NULL. */
#ifndef EXPLORER_RAPIDJSON_NUMBER_H
#define EXPLORER_RAPIDJSON_NUMBER_H

#include <math.h>
#include <string.h>

#include "speedups.h"

#define IS_DIGIT(c) ((unsigned char)((c) - '0') <= 9)

static inline int eight_digits_at(const char *s) {
    uint64_t v;
    memcpy(&v, s, 8);
    return ((v & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
            (((v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
           UINT64_C(0x3333333333333333);
}

static inline uint64_t eight_digits_value(const char *s, int *leading_zeros) {
    /* The eight ASCII digits at s as a number (SWAR), and how many of them lead as '0'. */
    uint64_t v;
    memcpy(&v, s, 8);
    v -= UINT64_C(0x3030303030303030);
    *leading_zeros = v ? __builtin_ctzll(v) / 8 : 8;
    v = (v * 10 + (v >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    v = (v * 100 + (v >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (v * 10000 + (v >> 32)) & UINT64_C(0xFFFFFFFF);
}

static double fast_path(double significand, int64_t exp) {
    if (exp < -308)
        return 0.0;
    else if (exp >= 0)
        return significand * rapidjson_pow10[exp];
    else
        return significand / rapidjson_pow10[-exp];
}

static double strtod_normal_precision(double d, int64_t p) {
    if (p < -308) {
        d = fast_path(d, -308);
        d = fast_path(d, p + 308);
    } else
        d = fast_path(d, p);
    return d;
}

static inline __attribute__((always_inline)) const char *read_number(const char *s, const char *end,
                                                                   number *out) {
    int minus = 0;
    if (*s == '-') {
        minus = 1;
        s++;
    }
    uint32_t i = 0;
    uint64_t i64 = 0;
    int use64bit = 0, use_double = 0;
    double d = 0.0;
    int significand_digit = 0;
    if (*s == '0') {
        i = 0;
        s++;
    } else if (*s >= '1' && *s <= '9') {
        i = (uint32_t)(*s++ - '0');
        if (minus)
            while (IS_DIGIT(*s)) {
                if (i >= 214748364u) { /* 2^31 = 2147483648 */
                    if (i != 214748364u || *s > '8') {
                        i64 = i;
                        use64bit = 1;
                        break;
                    }
                }
                i = i * 10u + (uint32_t)(*s++ - '0');
                significand_digit++;
            }
        else
            while (IS_DIGIT(*s)) {
                if (i >= 429496729u) { /* 2^32 - 1 = 4294967295 */
                    if (i != 429496729u || *s > '5') {
                        i64 = i;
                        use64bit = 1;
                        break;
                    }
                }
                i = i * 10u + (uint32_t)(*s++ - '0');
                significand_digit++;
            }
    } else
        return NULL; /* NaN, Inf, or rapidjson's "Invalid value." */

    if (use64bit) {
        if (minus)
            while (IS_DIGIT(*s)) {
                if (i64 >= UINT64_C(0x0CCCCCCCCCCCCCCC)) { /* 2^63 = 9223372036854775808 */
                    if (i64 != UINT64_C(0x0CCCCCCCCCCCCCCC) || *s > '8') {
                        d = (double)i64;
                        use_double = 1;
                        break;
                    }
                }
                i64 = i64 * 10u + (uint64_t)(*s++ - '0');
                significand_digit++;
            }
        else
            while (IS_DIGIT(*s)) {
                if (i64 >= UINT64_C(0x1999999999999999)) { /* 2^64 - 1 */
                    if (i64 != UINT64_C(0x1999999999999999) || *s > '5') {
                        d = (double)i64;
                        use_double = 1;
                        break;
                    }
                }
                i64 = i64 * 10u + (uint64_t)(*s++ - '0');
                significand_digit++;
            }
    }

    if (use_double) {
        while (IS_DIGIT(*s)) {
            if (d >= 1.7976931348623157e307) /* DBL_MAX / 10.0 */
                return NULL;                 /* "Number too big to be stored in double." */
            d = d * 10 + (*s++ - '0');
        }
    }

    int64_t exp_frac = 0;
    if (*s == '.') {
        s++;
        if (!IS_DIGIT(*s))
            return NULL; /* "Miss fraction part in number." */
        if (!use_double) {
            if (!use64bit)
                i64 = i;
            /* Eight digits at a time while the loop below would take all eight: the
             * significand stays at most 2^53 - 1 before each (i64 * 10^7 + 9999999). */
            while (end - s >= 8 && i64 <= UINT64_C(900719924) && eight_digits_at(s)) {
                int zeros;
                uint64_t chunk = eight_digits_value(s, &zeros);
                significand_digit += i64 ? 8 : chunk ? 8 - zeros : 0;
                i64 = i64 * 100000000u + chunk;
                exp_frac -= 8;
                s += 8;
            }
            while (IS_DIGIT(*s)) {
                if (i64 > UINT64_C(0x1FFFFFFFFFFFFF)) /* 2^53 - 1 for fast path */
                    break;
                i64 = i64 * 10u + (uint64_t)(*s++ - '0');
                --exp_frac;
                if (i64 != 0)
                    significand_digit++;
            }
            d = (double)i64;
            use_double = 1;
        }
        while (IS_DIGIT(*s)) {
            if (significand_digit < 17) {
                d = d * 10.0 + (*s++ - '0');
                --exp_frac;
                if (d > 0.0)
                    significand_digit++;
            } else
                s++;
        }
    }

    int64_t exp = 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (!use_double) {
            d = (double)(use64bit ? i64 : i);
            use_double = 1;
        }
        int exp_minus = 0;
        if (*s == '+')
            s++;
        else if (*s == '-') {
            exp_minus = 1;
            s++;
        }
        if (IS_DIGIT(*s)) {
            exp = *s++ - '0';
            if (exp_minus) {
                while (IS_DIGIT(*s)) {
                    exp = exp * 10 + (*s++ - '0');
                    if (exp >= 214748364) /* Issue #313: prevent overflow exponent */
                        while (IS_DIGIT(*s))
                            s++;
                }
            } else {
                int64_t max_exp = 308 - exp_frac;
                while (IS_DIGIT(*s)) {
                    exp = exp * 10 + (*s++ - '0');
                    if (exp > max_exp)
                        return NULL; /* "Number too big to be stored in double." */
                }
            }
        } else
            return NULL; /* "Miss exponent in number." */
        if (exp_minus)
            exp = -exp;
    }

    if (use_double) {
        d = strtod_normal_precision(d, exp + exp_frac);
        d = minus ? -d : d;
        if (isinf(d))
            return NULL;
        out->kind = NUMBER_DOUBLE;
        out->d = d;
    } else if (use64bit) {
        if (minus) {
            out->kind = NUMBER_INT;
            out->i = (int64_t)(~i64 + 1);
        } else if (i64 > (uint64_t)INT64_MAX) {
            out->kind = NUMBER_BIG_UINT;
            out->u = i64;
        } else {
            out->kind = NUMBER_INT;
            out->i = (int64_t)i64;
        }
    } else {
        out->kind = NUMBER_INT;
        out->i = minus ? -(int64_t)i : (int64_t)i;
    }
    return s;
}

#endif
