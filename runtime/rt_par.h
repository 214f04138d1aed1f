/* rt_par.h - the worker pool of the generated program (rt_par.c): layers
 * split their work into ranges of independent units (output channels,
 * channel blocks, rows, element chunks) and rt_par_for hands one
 * contiguous part of the range to each thread.
 *
 * The contract that keeps outputs bit-identical for every thread count:
 * a unit's results are computed by the same operations whichever thread
 * runs it, so splitting changes who computes a value, never how.  A
 * reduction is never split across units.
 *
 * No allocation after rt_par_open: the threads and their scratch exist
 * before the first inference; rt_par_for only publishes the job, wakes
 * the workers (they spin briefly, then sleep on a condition variable) and
 * waits for them.  The pool belongs to the thread that rt_par_use made it
 * current for; every other thread (the workers themselves, the compiler's
 * simulator and calibration threads) has none and runs rt_par_for
 * serially, so the runtime kernels stay usable everywhere. */
#ifndef RT_PAR_H
#define RT_PAR_H

#include <stddef.h>
#include <stdint.h>

/* The most threads a pool runs. */
#define RT_PAR_MAX 256

typedef struct rt_par_pool rt_par_pool;

/* Chunk [lo, hi) of a range of units; scratch is the running thread's
 * scratch (rt_par_open's bytes; the caller's `own` for the calling
 * thread). */
typedef void rt_par_fn(void *ctx, int64_t lo, int64_t hi, void *scratch);

/* A pool of nthreads threads in all (the calling thread counts as one, so
 * nthreads - 1 are started), each started one with scratch_bytes of
 * 64-byte aligned scratch.  NULL when nthreads is not in 2..RT_PAR_MAX or
 * a thread or its memory cannot be had (then nothing is left behind). */
rt_par_pool *rt_par_open(int nthreads, size_t scratch_bytes);
/* Stops and joins the workers and frees the pool; NULL is allowed.  The
 * pool must not be current for any thread afterwards (rt_par_use(NULL)). */
void rt_par_close(rt_par_pool *p);
/* Makes p the calling thread's pool (NULL: none). */
void rt_par_use(rt_par_pool *p);
/* Busy time of the calling thread's pool (a diagnostic of the split, for
 * the program's --bench): rt_par_stats_reset zeroes it and turns it on;
 * from then on each thread adds the chunks it runs and the nanoseconds it
 * spends in them (two clock reads per chunk).  rt_par_stats copies
 * thread k's counts to chunks[k], ns[k] (thread 0 is the caller, k < max)
 * and returns the pool's threads; both do nothing and it returns 0
 * without a pool or from inside a chunk. */
void rt_par_stats_reset(void);
int rt_par_stats(int64_t *chunks, int64_t *ns, int max);
/* Threads rt_par_for would use from the calling thread (1: serial). */
int rt_par_threads(void);
/* Online CPUs (sysconf), at least 1. */
int rt_par_online(void);

/* Runs fn over units [0, n), cut into chunks of c = ceil(n / T) units
 * (T = rt_par_threads()): chunk k is [k c, min((k + 1) c, n)), one fn
 * call each.  Chunk k is thread k's (the calling thread is 0, with
 * scratch own; the workers with theirs): each thread runs its own chunk
 * first, then any chunk still unclaimed, so the caller also runs the
 * chunks of workers that have not woken up (a loaded machine); it
 * returns when every chunk is done.  Serial
 * (fn(ctx, 0, n, own)) without a pool, for n < 2, and for a call made
 * from inside a chunk (no nesting). */
void rt_par_for(int64_t n, rt_par_fn *fn, void *ctx, void *own);

/* Units of CHUNK elements for element-wise kernels: splitting n elements
 * at multiples of RT_PAR_CHUNK keeps every element on the same SIMD lane
 * position modulo any vector width up to 64 and the final tail where it
 * was, so the SIMD and scalar paths see the same elements whatever the
 * split.  RT_PAR_MIN_ELEMS: below this, element-wise kernels stay serial
 * (waking the workers costs more). */
#define RT_PAR_CHUNK 64
#define RT_PAR_MIN_ELEMS 16384
/* Multiply-accumulate kernels with fewer MACs than this stay serial. */
#define RT_PAR_MACS 131072
/* Softmax (the runtime's and the generated float one): units of
 * RT_PAR_SOFTMAX_ROWS positions, on the pool from RT_PAR_SOFTMAX_EXP
 * exponentials (an expf costs about what 30 convolution MACs do, so this
 * many pay for waking the workers as RT_PAR_MACS MACs do). */
#define RT_PAR_SOFTMAX_ROWS 64
#define RT_PAR_SOFTMAX_EXP 4096
/* 1 when a softmax of npos positions over c channels goes to the pool
 * (more than one unit and at least RT_PAR_SOFTMAX_EXP exponentials). */
int rt_par_softmax_pays(int64_t npos, int64_t c);

/* Elements [e0, e1) of an element-wise kernel. */
typedef void rt_par_span_fn(void *ctx, int64_t e0, int64_t e1);
/* Runs fn over elements [0, n) cut at multiples of RT_PAR_CHUNK, one
 * span per thread; a single fn(ctx, 0, n) below RT_PAR_MIN_ELEMS or
 * when rt_par_for would be serial. */
void rt_par_elems(int64_t n, rt_par_span_fn *fn, void *ctx);
/* The same over nplane planes of rows x width elements (an N x C x H x W
 * tensor: N C planes of H rows), cut by rows: thread k runs chunk k of
 * the rows of every plane (one fn call per plane), as the fixed-point
 * convolutions cut their outputs, so an element-wise layer reads the
 * rows the same CPU wrote.  Only for kernels whose spans give the same
 * results at any cut (the integer ones); rt_par_elems when a plane has
 * fewer than 4 T rows. */
void rt_par_rows(int64_t nplane, int64_t rows, int64_t width, rt_par_span_fn *fn, void *ctx);
/* Rows per chunk when rows output rows are cut one chunk per thread of
 * the calling thread's pool (rt_par_rows, the depthwise convolutions):
 * ceil(rows / T), or rows (no cut) without a pool or when a chunk would
 * keep fewer than 4 rows. */
int64_t rt_par_row_chunk(int64_t rows);

#endif
