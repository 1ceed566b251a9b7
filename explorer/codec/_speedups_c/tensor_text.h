/* One tensor's numbers in a predict body's text (tensor_text.c), as predict_body.c reads
 * them: a number, or a rectangular array of numbers with no empty dimension. */
#ifndef EXPLORER_TENSOR_TEXT_H
#define EXPLORER_TENSOR_TEXT_H

#include <stdatomic.h>
#include <stddef.h>

#include "speedups.h"

#define IS_SPACE(c) ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')

/* Where the text ends, whether a failure was running out of memory, and when
 * read_tensor_split starts a second thread: from split_bytes of text on (SIZE_MAX: never);
 * search_first makes the first thread wait for the second's guess of where to start (tests:
 * small bodies read both ways, every time). */
typedef struct {
    const char *end; /* the NUL byte after the text */
    int no_memory;
    size_t split_bytes;
    int search_first;
} text_reader;

/* 1 MiB of text is ~1 ms of reading: far above what starting a thread costs. */
#define SPLIT_BYTES ((size_t)1 << 20)

static inline const char *skip_space(const char *p) {
    while (IS_SPACE(*p))
        p++;
    return p;
}

/* The tensor at p, its numbers appended to c and its shape in dims[0 .. *rank_out), at most
 * max_rank dimensions. Returns the byte after it, or NULL: not a tensor this reader handles
 * (r->no_memory says when that was for want of memory). */
const char *read_tensor(const char *p, column *c, int64_t *dims, int *rank_out, int max_rank,
                        text_reader *r);

/* read_tensor, with the second half of a big array read at the same time on another
 * thread (when the machine has two CPUs or more): the same result in every case. */
const char *read_tensor_split(const char *p, column *c, int64_t *dims, int *rank_out,
                              int max_rank, text_reader *r);

/* How many second threads read_tensor_split started, how many times the first thread
 * reached where one started, and how many of their halves it took (tests check that the
 * ways they mean to take were taken). */
extern atomic_ulong split_started, split_reached, split_taken;

#endif
