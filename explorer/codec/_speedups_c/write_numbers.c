/* Tensors as TF Serving's REST JSON text (json_tensor.cc), written into one buffer: floats
 * through write_float (write_decimal.c), integers as rapidjson's Int/Int64/Uint/Uint64,
 * booleans as true/false, with the writer's separators between them. */
#include <string.h>

#include "speedups.h"

/* --- integers, booleans, whole arrays ------------------------------------------------- */

static char *write_unsigned(uint64_t v, char *o) {
    char text[20], *p = text + 20;
    while (v >= 100) {
        uint64_t rest = v / 100;
        p -= 2;
        memcpy(p, DIGIT_PAIRS + 2 * (v - rest * 100), 2);
        v = rest;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, DIGIT_PAIRS + 2 * v, 2);
    } else
        *--p = (char)('0' + v);
    size_t n = (size_t)(text + 20 - p);
    memcpy(o, p, n);
    return o + n;
}

size_t token_bound(char kind, int itemsize) {
    switch (kind) {
    case 'f':
        return itemsize == 4 ? 16 : itemsize == 8 ? 26 : 0;
    case 'i':
    case 'u':
        return itemsize == 1 || itemsize == 2 || itemsize == 4 || itemsize == 8 ? 21 : 0;
    case 'b':
        return itemsize == 1 ? 5 : 0;
    default:
        return 0;
    }
}

static size_t write_value(const unsigned char *at, char kind, int itemsize, int exact_printf,
                          char *out) {
    if (kind == 'f') {
        if (itemsize == 4) {
            uint32_t b;
            memcpy(&b, at, 4);
            return write_float(b, 1, exact_printf, out);
        }
        uint64_t b;
        memcpy(&b, at, 8);
        return write_float(b, 0, exact_printf, out);
    }
    if (kind == 'b') {
        if (*at) {
            memcpy(out, "true", 4);
            return 4;
        }
        memcpy(out, "false", 5);
        return 5;
    }
    if (kind == 'u') {
        uint64_t v = 0;
        if (itemsize == 1)
            v = *at;
        else if (itemsize == 2) {
            uint16_t w;
            memcpy(&w, at, 2);
            v = w;
        } else if (itemsize == 4) {
            uint32_t w;
            memcpy(&w, at, 4);
            v = w;
        } else
            memcpy(&v, at, 8);
        return (size_t)(write_unsigned(v, out) - out);
    }
    int64_t v;
    if (itemsize == 1)
        v = (int8_t)*at;
    else if (itemsize == 2) {
        int16_t w;
        memcpy(&w, at, 2);
        v = w;
    } else if (itemsize == 4) {
        int32_t w;
        memcpy(&w, at, 4);
        v = w;
    } else
        memcpy(&v, at, 8);
    if (v >= 0)
        return (size_t)(write_unsigned((uint64_t)v, out) - out);
    *out = '-';
    return (size_t)(write_unsigned(~(uint64_t)v + 1, out + 1) - out);
}

size_t join_numbers(const unsigned char *values, char kind, int itemsize, const int64_t *shape,
                    int rank, const piece *separators, piece head, piece tail, int exact_printf,
                    char *out) {
    char *o = out;
    memcpy(o, head.text, head.len);
    o += head.len;
    if (rank == 0) {
        o += write_value(values, kind, itemsize, exact_printf, o);
    } else {
        int64_t last = shape[rank - 1], rows = 1, index[MAX_RANK] = {0};
        for (int d = 0; d < rank - 1; d++)
            rows *= shape[d];
        if (last == 0)
            rows = 0;
        const unsigned char *v = values;
        piece plain = separators[0];
        char short_plain[8] = {0}; /* ", " or "," as one fixed-size move */
        int is_short = plain.len <= sizeof short_plain;
        if (is_short)
            memcpy(short_plain, plain.text, plain.len);
        for (int64_t row = 0; row < rows; row++) {
            if (row) { /* an innermost array closes; so do the outer ones that wrap */
                int closed = 1, d = rank - 2;
                while (d >= 1 && ++index[d] == shape[d]) {
                    index[d] = 0;
                    closed++;
                    d--;
                }
                memcpy(o, separators[closed].text, separators[closed].len);
                o += separators[closed].len;
            }
            o += write_value(v, kind, itemsize, exact_printf, o);
            v += itemsize;
            for (int64_t j = 1; j < last; j++) {
                if (is_short)
                    memcpy(o, short_plain, sizeof short_plain);
                else
                    memcpy(o, plain.text, plain.len);
                o += plain.len;
                o += write_value(v, kind, itemsize, exact_printf, o);
                v += itemsize;
            }
        }
    }
    memcpy(o, tail.text, tail.len);
    o += tail.len;
    return (size_t)(o - out);
}
