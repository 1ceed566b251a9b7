/* A predict body's structure, read in one pass: what explorer/codec/fast_request.py takes.
 *
 * The bodies handled: {"instances": ..., "inputs": ..., "signature_name": "..."} with exactly
 * one of the two forms, each member at most once, nothing else; member names and the
 * signature name plain strings (no escape, no control character); tensors rectangular
 * arrays of numbers with no empty dimension (or a single number):
 *
 * - "instances": [tensor, ...] (one unnamed tensor), or [{"a": tensor, ...}, ...] (rows of
 *   objects naming the same inputs in the same order, each input's value of one shape);
 * - "inputs": tensor (one unnamed tensor), or {"a": tensor, ...}.
 *
 * Anything else (another value, a repeated or "b64" name, an empty array or object, a
 * ragged array, a number rapidjson refuses or reads as NaN/Infinity, a byte-order mark,
 * NUL) returns 0 and the caller reads the body exactly. As rapidjson with
 * kParseStopWhenDoneFlag, nothing after the top-level object is read. Numbers are
 * rapidjson's values (rapidjson_number.h, read by tensor_text.c), kept per tensor as
 * integers while every token is one, else as doubles (rapidjson's GetDouble() of the
 * integers). A plain or named tensor's big array is read by two threads at once
 * (read_tensor_split). */
#include <stdlib.h>
#include <string.h>

#include "speedups.h"
#include "tensor_text.h"

#define MAX_COLUMNS 1024

enum { OK = 1, DECLINE = 0, NO_MEMORY = -1 };

/* What the readers below share: the body read so far, and the text. */
typedef struct {
    predict_body *body;
    text_reader text;
} reader;

static const char *read_string(const char *p, span *out) {
    /* p at the opening quote. */
    const char *start = ++p;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20 || c == '\\')
            return NULL;
        p++;
    }
    out->at = start;
    out->len = (size_t)(p - start);
    return p + 1;
}

static int span_is(span s, const char *word) {
    size_t n = strlen(word);
    return s.len == n && memcmp(s.at, word, n) == 0;
}

static int span_equal(span a, span b) {
    return a.len == b.len && memcmp(a.at, b.at, a.len) == 0;
}

/* --- the forms ------------------------------------------------------------------------ */

static column *add_column(reader *r, span name) {
    predict_body *body = r->body;
    if (body->column_count == MAX_COLUMNS)
        return NULL;
    if (body->column_count == body->column_capacity) {
        int capacity = body->column_capacity ? 2 * body->column_capacity : 4;
        column *columns = realloc(body->columns, (size_t)capacity * sizeof *columns);
        if (!columns) {
            r->text.no_memory = 1;
            return NULL;
        }
        body->columns = columns;
        body->column_capacity = capacity;
    }
    column *c = &body->columns[body->column_count++];
    memset(c, 0, sizeof *c);
    c->name = name;
    return c;
}

static int new_name(const predict_body *body, span name) {
    if (span_is(name, "b64"))
        return 0;
    for (int k = 0; k < body->column_count; k++)
        if (span_equal(body->columns[k].name, name))
            return 0;
    return 1;
}

static const char *read_named(const char *p, reader *r) {
    predict_body *body = r->body;
    /* {"a": tensor, ...} of "inputs"; p after the '{'. */
    p = skip_space(p);
    if (*p == '}')
        return NULL;
    for (;;) {
        span name;
        if (*p != '"' || !(p = read_string(p, &name)) || !new_name(body, name))
            return NULL;
        p = skip_space(p);
        if (*p != ':')
            return NULL;
        column *c = add_column(r, name);
        if (!c)
            return NULL;
        p = read_tensor_split(skip_space(p + 1), c, c->dims, &c->rank, MAX_RANK, &r->text);
        if (!p)
            return NULL;
        p = skip_space(p);
        if (*p == '}')
            return p + 1;
        if (*p != ',')
            return NULL;
        p = skip_space(p + 1);
    }
}

static const char *read_rows(const char *p, reader *r) {
    /* [{"a": tensor, ...}, ...] of "instances"; p at the first '{'. Each row names the first
     * row's inputs in its order; an input's values all have the first row's shape, of at
     * most 63 dimensions (the batch takes one of numpy's 64). */
    predict_body *body = r->body;
    int64_t rows = 0, dims[MAX_RANK];
    for (;;) {
        if (*p != '{')
            return NULL;
        p = skip_space(p + 1);
        int member = 0;
        for (;;) {
            span name;
            if (*p != '"' || !(p = read_string(p, &name)))
                return NULL;
            column *c;
            if (rows == 0) {
                if (!new_name(body, name) || !(c = add_column(r, name)))
                    return NULL;
            } else {
                if (member >= body->column_count || !span_equal(body->columns[member].name, name))
                    return NULL;
                c = &body->columns[member];
            }
            p = skip_space(p);
            if (*p != ':')
                return NULL;
            int rank;
            p = read_tensor(skip_space(p + 1), c, dims, &rank, MAX_RANK - 1, &r->text);
            if (!p)
                return NULL;
            if (rows == 0) {
                c->rank = rank;
                memcpy(c->dims + 1, dims, (size_t)rank * sizeof *dims);
            } else if (rank != c->rank || memcmp(c->dims + 1, dims, (size_t)rank * sizeof *dims))
                return NULL;
            member++;
            p = skip_space(p);
            if (*p == '}')
                break;
            if (*p != ',')
                return NULL;
            p = skip_space(p + 1);
        }
        if (member != body->column_count)
            return NULL;
        rows++;
        p = skip_space(p + 1);
        if (*p == ']')
            break;
        if (*p != ',')
            return NULL;
        p = skip_space(p + 1);
    }
    for (int k = 0; k < body->column_count; k++) {
        body->columns[k].dims[0] = rows;
        body->columns[k].rank += 1;
    }
    return p + 1;
}

static const char *read_plain(const char *p, reader *r) {
    span none = {p, 0};
    column *c = add_column(r, none);
    if (!c)
        return NULL;
    r->body->plain = 1;
    return read_tensor_split(p, c, c->dims, &c->rank, MAX_RANK, &r->text);
}

static const char *read_form(const char *p, reader *r) {
    if (!r->body->instances)
        return *p == '{' ? read_named(p + 1, r) : read_plain(p, r);
    if (*p != '[')
        return NULL;
    const char *first = skip_space(p + 1);
    return *first == '{' ? read_rows(first, r) : read_plain(p, r);
}

int read_predict_body(const char *data, size_t length, size_t split_bytes, int search_first,
                      predict_body *body) {
    memset(body, 0, sizeof *body);
    reader r = {body, {data + length, 0, split_bytes, search_first}};
    int has_form = 0;
    const char *p = skip_space(data);
    if (*p != '{')
        return DECLINE;
    p = skip_space(p + 1);
    for (;;) {
        span key;
        if (*p != '"' || !(p = read_string(p, &key)))
            return DECLINE;
        p = skip_space(p);
        if (*p != ':')
            return DECLINE;
        p = skip_space(p + 1);
        if (span_is(key, "signature_name")) {
            if (body->has_signature || *p != '"' || !(p = read_string(p, &body->signature)))
                return DECLINE;
            body->has_signature = 1;
        } else if (span_is(key, "instances") || span_is(key, "inputs")) {
            if (has_form)
                return DECLINE;
            has_form = 1;
            body->instances = key.len == 9;
            if (!(p = read_form(p, &r)))
                return r.text.no_memory ? NO_MEMORY : DECLINE;
        } else
            return DECLINE;
        body->keys[body->key_count++] = key;
        p = skip_space(p);
        if (*p == '}')
            break;
        if (*p != ',')
            return DECLINE;
        p = skip_space(p + 1);
    }
    return has_form ? OK : DECLINE;
}

void body_free(predict_body *body) {
    for (int k = 0; k < body->column_count; k++)
        free(body->columns[k].slots);
    free(body->columns);
    body->columns = NULL;
    body->column_count = 0;
}
