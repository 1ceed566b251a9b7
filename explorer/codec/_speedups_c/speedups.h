/* The two hot loops of TF Serving's REST JSON, in C: predict bodies' numbers read as
 * rapidjson 1.1.0 reads them (rapidjson_number.h, predict_body.c), and tensors written as
 * TF Serving's WriteDecimal writes them (write_decimal.c, write_numbers.c). module.c is the
 * Python glue.
 *
 * Nothing here calls Python: the loops run with the GIL released. */
#ifndef EXPLORER_SPEEDUPS_H
#define EXPLORER_SPEEDUPS_H

#include <stddef.h>
#include <stdint.h>

/* --- powers.c: tables filled once when the module is imported ----------------------- */

/* rapidjson's Pow10 table: 1e0 ... 1e308, each the correctly rounded double. */
extern double rapidjson_pow10[309];

/* 10^k ~ (hi:lo) * 2^b, hi:lo in [2^127, 2^128), rounded down; exact when 5^k fits. */
#define POW10_K_MIN (-300)
#define POW10_K_MAX 345
typedef struct {
    uint64_t hi, lo;
    int32_t b;
    int32_t exact;
} pow10_128;
extern pow10_128 pow10_table[POW10_K_MAX - POW10_K_MIN + 1];

void powers_init(void);

/* --- rapidjson_number.h: one number token (inlined into predict_body.c) --------------- */

enum number_kind { NUMBER_INT, NUMBER_BIG_UINT, NUMBER_DOUBLE };

typedef struct {
    enum number_kind kind;
    int64_t i;  /* NUMBER_INT: Int, Uint, Int64, or a Uint64 up to INT64_MAX */
    uint64_t u; /* NUMBER_BIG_UINT: a Uint64 past INT64_MAX */
    double d;   /* NUMBER_DOUBLE: rapidjson's normal-precision double, finite */
} number;

/* read_number(s, end, out) reads the token at s (the text ends with a NUL byte at end).
 * Returns the byte after it, or NULL for what the caller does not handle: a parse error,
 * NaN/Infinity, an infinite value. */

/* --- predict_body.c: a predict body's structure --------------------------------------- */

#define MAX_RANK 64

typedef struct {
    const char *at;
    size_t len;
} span;

typedef struct {
    span name; /* empty for a plain (unnamed) tensor */
    int rank;
    int64_t dims[MAX_RANK];
    uint64_t *slots; /* int64 / uint64 bits, or doubles once is_double */
    size_t count, capacity;
    int is_double, has_negative, has_big;
    int64_t low, high; /* integers: the least and the greatest (high as uint64 if has_big) */
} column;

typedef struct {
    span keys[3];
    int key_count;
    int has_signature;
    span signature;
    int instances; /* the form: "instances" (1) or "inputs" (0) */
    int plain;     /* one unnamed tensor */
    column *columns;
    int column_count, column_capacity;
} predict_body;

/* 1: the body is read into *body; 0: not a body this reader handles; -1: out of memory.
 * data ends with a NUL byte (data[length] == 0). A tensor's array of split_bytes of text or
 * more is read by two threads (search_first: tests, see tensor_text.h). Free *body with
 * body_free either way. */
int read_predict_body(const char *data, size_t length, size_t split_bytes, int search_first,
                      predict_body *body);
void body_free(predict_body *body);

/* --- write_numbers.c: tensors as TF Serving's JSON text ------------------------------- */

typedef struct {
    const char *text;
    size_t len;
} piece;

/* Room join_numbers needs past the end of what it writes (it moves fixed-size blocks). */
#define JOIN_SLACK 32

/* Bytes a token of this kind ('f', 'i', 'u', 'b') and item size can take, at most; 0 for a
 * kind the writer has no case for. */
size_t token_bound(char kind, int itemsize);

/* The values (count of them, C order, native byte order) as tokens: between two values of
 * one innermost array separators[0], where k inner arrays close separators[k]; head before,
 * tail after. exact_printf: every float through snprintf/strtod (TF Serving's own path).
 * Returns the bytes written to out, which has JOIN_SLACK bytes of room past them. */
size_t join_numbers(const unsigned char *values, char kind, int itemsize, const int64_t *shape,
                    int rank, const piece *separators, piece head, piece tail, int exact_printf,
                    char *out);

/* --- write_decimal.c: one float ------------------------------------------------------- */

/* One float (single) or double, as WriteDecimal writes it; returns its length (out has
 * JOIN_SLACK bytes of room past it). */
size_t write_float(uint64_t bits, int single, int exact_printf, char *out);

/* "00" "01" ... "99": two digits at a time. */
extern const char DIGIT_PAIRS[201];

/* 0 when the C locale cannot be had (printf's path needs it). */
int write_decimal_init(void);

#endif
