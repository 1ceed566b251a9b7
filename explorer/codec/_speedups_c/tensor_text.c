/* One tensor's numbers (tensor_text.h): pushed into a column as rapidjson's values, and,
 * for a big array, its second half read at the same time on another thread.
 *
 * The second thread guesses where a top-level element starts near the middle of the text
 * (after a ',' that closes as many arrays as an element has dimensions) and reads the
 * elements from there to the array's end into a column of its own. The first thread reads
 * from the start as always; if it reaches that very byte at the array's top level, it takes
 * the second thread's elements (when they have its elements' shape and their numbers join
 * its own as one pass would: merge() below) and goes on at the array's end. If the guess
 * was wrong, or the second thread failed for any reason, the first thread reads on by
 * itself: the result is always the one-pass result, and a wrong guess costs only the other
 * CPU's time. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "rapidjson_number.h"
#include "tensor_text.h"

typedef enum { OK = 1, DECLINE = 0, NO_MEMORY = -1 } outcome;

atomic_ulong split_started = 0, split_reached = 0, split_taken = 0;

/* --- a column's numbers --------------------------------------------------------------- */

static void as_doubles(column *c) {
    /* Integers read so far become doubles, as rapidjson's GetDouble() converts them (once:
     * a column of doubles is left as it is). */
    if (c->is_double)
        return;
    for (size_t k = 0; k < c->count; k++) {
        double d = c->has_big ? (double)c->slots[k] : (double)(int64_t)c->slots[k];
        memcpy(&c->slots[k], &d, sizeof d);
    }
    c->is_double = 1;
}

static inline __attribute__((always_inline)) outcome push(column *c, const number *n) {
    if (c->count == c->capacity) {
        size_t capacity = c->capacity ? 2 * c->capacity : 4096;
        uint64_t *slots = realloc(c->slots, capacity * sizeof *slots);
        if (!slots)
            return NO_MEMORY;
        c->slots = slots;
        c->capacity = capacity;
    }
    uint64_t *slot = &c->slots[c->count++];
    if (n->kind == NUMBER_DOUBLE) {
        if (!c->is_double)
            as_doubles(c);
        memcpy(slot, &n->d, sizeof n->d);
    } else if (c->is_double) {
        double d = n->kind == NUMBER_BIG_UINT ? (double)n->u : (double)n->i;
        memcpy(slot, &d, sizeof d);
    } else if (n->kind == NUMBER_BIG_UINT) {
        /* numpy has no integer type for both a negative and a big one: not handled */
        if (c->has_negative)
            return DECLINE;
        if (!c->has_big || n->u > (uint64_t)c->high)
            c->high = (int64_t)n->u;
        if (c->count == 1)
            c->low = INT64_MAX;
        c->has_big = 1;
        *slot = n->u;
    } else {
        if (n->i < 0) {
            if (c->has_big)
                return DECLINE;
            c->has_negative = 1;
        }
        if (c->count == 1) {
            c->low = c->high = n->i;
        } else {
            if (n->i < c->low)
                c->low = n->i;
            if (!c->has_big && n->i > c->high)
                c->high = n->i;
        }
        *slot = (uint64_t)n->i;
    }
    return OK;
}


static int pushed(text_reader *r, column *c, const number *n) {
    outcome o = push(c, n);
    if (o == NO_MEMORY)
        r->no_memory = 1;
    return o == OK;
}

/* The second thread's part: where it starts (published once found), and what it read. */
typedef struct {
    const char *_Atomic at; /* a top-level element's first byte, or NULL (none yet) */
    const char *start, *end;
    int element_max_rank;
    atomic_int cancel; /* the first thread no longer needs it */
    pthread_t thread;
    int joined;
    /* its result, read once joined */
    int ok;
    column col;
    int rank;               /* of each element */
    int64_t dims[MAX_RANK]; /* of each element */
    int64_t count;          /* elements read */
    const char *close;      /* the ']' that ends the array */
} half;

static const char *take_half(half *h, column *c, const int64_t *dims, int rank, int64_t *added);

/* --- one tensor ----------------------------------------------------------------------- */

/* A number, or a rectangular array of numbers with no empty dimension and at most
 * max_rank dimensions, at p: its numbers appended to c, its shape in dims[0 .. *rank_out).
 * With h, where the first thread reaches h->at at the top level it takes the second
 * thread's elements (take_half). */
static const char *read_array(const char *p, column *c, int64_t *dims, int *rank_out,
                              int max_rank, text_reader *r, half *h) {
    number n;
    if (*p != '[') {
        p = read_number(p, r->end, &n);
        if (!p || !pushed(r, c, &n))
            return NULL;
        *rank_out = 0;
        return p;
    }
    int64_t counts[MAX_RANK];
    int depth = 0, rank = -1;
    for (int d = 0; d < max_rank; d++)
        dims[d] = -1;
open: /* *p == '[' */
    if (depth >= max_rank || (rank >= 0 && depth >= rank))
        return NULL;
    counts[depth++] = 0;
    p = skip_space(p + 1);
element:
    if (*p == '[')
        goto open;
    if (rank < 0)
        rank = depth;
    else if (depth != rank)
        return NULL; /* a number beside arrays, or an empty array */
    for (;;) {       /* the innermost arrays: numbers and commas */
        p = read_number(p, r->end, &n);
        if (!p || !pushed(r, c, &n))
            return NULL;
        counts[depth - 1]++;
        p = skip_space(p);
        if (*p != ',')
            break;
        p = skip_space(p + 1);
        if (depth == 1 && h && p == atomic_load_explicit(&h->at, memory_order_acquire))
            goto take; /* a one-dimensional array's second half */
    }
close:
    if (*p != ']')
        return NULL;
    if (dims[depth - 1] < 0)
        dims[depth - 1] = counts[depth - 1];
    else if (dims[depth - 1] != counts[depth - 1])
        return NULL; /* ragged */
    p++;
    if (--depth == 0) {
        *rank_out = rank;
        return p;
    }
    counts[depth - 1]++;
    p = skip_space(p);
    if (*p == ',') {
        p = skip_space(p + 1);
        if (depth == 1 && h && p == atomic_load_explicit(&h->at, memory_order_acquire))
            goto take;
        goto element;
    }
    goto close;
take: {
    int64_t added;
    const char *resume = take_half(h, c, dims, rank, &added);
    h = NULL;
    if (!resume)
        goto element; /* read on here by this thread alone */
    counts[0] += added;
    p = resume;
    goto close;
}
}

const char *read_tensor(const char *p, column *c, int64_t *dims, int *rank_out, int max_rank,
                        text_reader *r) {
    return read_array(p, c, dims, rank_out, max_rank, r, NULL);
}

/* --- the second half ------------------------------------------------------------------- */

/* The first of two ']' in a row at or after x, before limit, or NULL. Rows of rank two or
 * more end in such a pair, which is rare inside them (once a 224-pixel image row); a search
 * of an array of one element, which has no row boundary, must cost next to nothing. */
static const char *double_close(const char *x, const char *limit) {
#ifdef __SSE2__
    const __m128i close = _mm_set1_epi8(']');
    for (; limit - x >= 16; x += 15) { /* windows overlap by one: no pair falls between */
        __m128i block = _mm_loadu_si128((const __m128i *)(const void *)x);
        unsigned found = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(block, close));
        unsigned pairs = found & (found >> 1);
        if (pairs)
            return x + __builtin_ctz(pairs);
    }
#endif
    for (; limit - x >= 2; x++)
        if (x[0] == ']' && x[1] == ']')
            return x;
    return NULL;
}

/* A top-level element's first byte a little before the middle of the array at p or after
 * it, or NULL: the first ',' from there (within a quarter of the text: an array of one
 * element has none) that follows exactly row_rank ']' (any ',' for an array of numbers),
 * the shortest way rows close; JSON written without spaces between brackets, as every
 * serialiser does, or the halves stay on one thread. Starting a 32nd of the text before
 * the middle splits 2, 4, 6 or 8 long rows in equal halves. */
static const char *boundary(const char *p, const char *end, int row_rank) {
    size_t length = (size_t)(end - p);
    const char *x = p + length / 2 - length / 32, *limit = x + length / 4;
    if (row_rank == 0) {
        x = memchr(x, ',', (size_t)(limit - x));
        return x ? skip_space(x + 1) : NULL;
    }
    for (;;) {
        x = row_rank == 1 ? memchr(x, ']', (size_t)(limit - x)) : double_close(x, limit);
        if (!x)
            return NULL;
        const char *run = x;
        while (run < limit && *run == ']')
            run++;
        const char *after = skip_space(run);
        if (run - x == row_rank && x[-1] != ']' && *after == ',')
            return skip_space(after + 1);
        x = run;
    }
}

static void read_elements(half *h, const char *p) {
    text_reader r = {h->end, 0, SIZE_MAX, 0};
    int64_t dims[MAX_RANK];
    for (;;) {
        int rank;
        p = read_array(p, &h->col, h->count ? dims : h->dims, &rank, h->element_max_rank, &r,
                       NULL);
        if (!p)
            return;
        if (h->count == 0)
            h->rank = rank;
        else if (rank != h->rank || memcmp(dims, h->dims, (size_t)rank * sizeof *dims))
            return;
        h->count++;
        p = skip_space(p);
        if (*p == ']') {
            h->close = p;
            h->ok = 1;
            return;
        }
        if (*p != ',' || atomic_load_explicit(&h->cancel, memory_order_relaxed))
            return;
        p = skip_space(p + 1);
    }
}

static int leading_brackets(const char *p) {
    int count = 0;
    while (*p == '[') {
        count++;
        p = skip_space(p + 1);
    }
    return count;
}

static void *second_thread(void *arg) {
    half *h = arg;
    const char *at = atomic_load_explicit(&h->at, memory_order_relaxed);
    if (!at) {
        at = boundary(h->start, h->end, leading_brackets(h->start) - 1);
        if (!at)
            return NULL;
        atomic_store_explicit(&h->at, at, memory_order_release);
    }
    read_elements(h, at);
    return NULL;
}

/* The numbers of b appended to c, as if pushed one by one after c's. */
static outcome merge(column *c, column *b) {
    /* push() refuses a negative and a big integer in one integer column; a column's flags
     * stop changing once it holds doubles, so b's say what its integers before its first
     * double were. */
    if (!c->is_double && ((c->has_negative && b->has_big) || (c->has_big && b->has_negative)))
        return DECLINE;
    if (c->is_double || b->is_double) {
        as_doubles(c);
        as_doubles(b);
    } else {
        if (b->low < c->low)
            c->low = b->low;
        if (c->has_big || b->has_big) { /* then no negatives: the greatest as uint64 */
            if ((uint64_t)b->high > (uint64_t)c->high)
                c->high = b->high;
        } else if (b->high > c->high)
            c->high = b->high;
        c->has_negative |= b->has_negative;
        c->has_big |= b->has_big;
    }
    size_t count = c->count + b->count;
    if (count > c->capacity) {
        uint64_t *slots = realloc(c->slots, count * sizeof *slots);
        if (!slots)
            return NO_MEMORY;
        c->slots = slots;
        c->capacity = count;
    }
    memcpy(c->slots + c->count, b->slots, b->count * sizeof *b->slots);
    c->count = count;
    return OK;
}

static const char *take_half(half *h, column *c, const int64_t *dims, int rank, int64_t *added) {
    pthread_join(h->thread, NULL);
    h->joined = 1;
    atomic_fetch_add(&split_reached, 1);
    if (!h->ok || h->rank != rank - 1 ||
        memcmp(h->dims, dims + 1, (size_t)h->rank * sizeof *dims) != 0 ||
        merge(c, &h->col) != OK)
        return NULL;
    atomic_fetch_add(&split_taken, 1);
    *added = h->count;
    return h->close;
}

static int two_cpus(void) {
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 2;
}

const char *read_tensor_split(const char *p, column *c, int64_t *dims, int *rank_out,
                              int max_rank, text_reader *r) {
    if (*p != '[' || (size_t)(r->end - p) < r->split_bytes || !two_cpus())
        return read_tensor(p, c, dims, rank_out, max_rank, r);
    half *h = calloc(1, sizeof *h);
    if (!h)
        return read_tensor(p, c, dims, rank_out, max_rank, r);
    h->start = p;
    h->end = r->end;
    h->element_max_rank = max_rank - 1;
    if (r->search_first) { /* tests: the guess made before the first thread starts */
        const char *at = boundary(p, r->end, leading_brackets(p) - 1);
        if (!at) {
            free(h);
            return read_tensor(p, c, dims, rank_out, max_rank, r);
        }
        atomic_store_explicit(&h->at, at, memory_order_relaxed);
    }
    if (pthread_create(&h->thread, NULL, second_thread, h) != 0) {
        free(h);
        return read_tensor(p, c, dims, rank_out, max_rank, r);
    }
    atomic_fetch_add(&split_started, 1);
    const char *after = read_array(p, c, dims, rank_out, max_rank, r, h);
    if (!h->joined) {
        atomic_store_explicit(&h->cancel, 1, memory_order_relaxed);
        pthread_join(h->thread, NULL);
    }
    free(h->col.slots);
    free(h);
    return after;
}
