/* rt_par.c - the worker pool (rt_par.h): POSIX threads, a mutex and two
 * condition variables, plus a brief spin so that back-to-back layers do
 * not pay a futex wake each.
 *
 * A job is at most T parts (chunks) that threads claim: one bit per
 * chunk in the claim words, claimed by an atomic fetch-or.  Chunk k is
 * thread k's (the caller is thread 0): each thread claims its own chunk
 * first, so in consecutive layers cut the same way a thread reads the
 * rows it wrote itself, in its own cache (on a VM reading what the other
 * CPU wrote costs several times a local read: bench/xcore.c), and then
 * takes any chunk still unclaimed.  The caller writes (fn, ctx, n, chunk,
 * nch) while every claim bit of the previous job is set, opens the bits
 * of the new chunks (release), bumps the generation that wakes the
 * workers, then claims like any worker.  A worker counts itself active
 * before it claims and reads the job only after a successful claim, so
 * the fields it reads are the live job's; the caller returns once every chunk is claimed and
 * no worker is active.  A worker that has not woken up yet is not waited
 * for: on a loaded machine the caller runs its chunks instead (which
 * thread runs a chunk never changes its results).  Sleeping is under the
 * mutex on both sides, so no wake-up is lost. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "rt_par.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SPIN_NS 200000        /* how long a thread spins before it sleeps */
#define STACK (4u << 20)      /* worker stack: the kernels keep ~0.3 MB of blocks there */

/* A thread's busy time (rt_par_stats), one cache line per thread: each is
 * written by its own thread only. */
typedef struct stat_slot {
  _Alignas(64) int64_t chunks, ns;
} stat_slot;

typedef struct worker {
  rt_par_pool *p;
  int id;        /* 1..nt-1 */
  void *scratch;
  pthread_t th;
} worker;

/* The fields are grouped by who writes them, one cache line per group,
 * so that a worker spinning on gen or running a chunk does not pull the
 * line the caller writes at every job (busy) and the job fields move
 * between the cores once per job. */
struct rt_par_pool {
  /* read-only after rt_par_open */
  int nt;        /* threads, the caller included */
  bool spin;     /* nt <= online CPUs: spinning costs nobody a core */
  bool stats;    /* busy time on (rt_par_stats_reset; written between jobs) */
  worker *w;     /* w[1..nt-1] */
  void *mem;     /* the workers' scratch */
  stat_slot *st; /* st[0..nt-1]: busy time per thread (thread 0: the caller) */
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  int sleepers;  /* workers waiting on go (under mu) */
  bool waiting;  /* the caller waits on done (under mu) */
  bool stop;     /* set under mu before the last generation */
  /* the caller's own */
  _Alignas(64) bool busy; /* the caller is inside rt_par_for (no nesting) */
  /* the job: written by the caller while no chunk can be claimed */
  _Alignas(64) rt_par_fn *fn;
  void *ctx;
  int64_t n, chunk;
  int nch;          /* chunks of the live job (<= nt) */
  uint64_t claim[RT_PAR_MAX / 64]; /* bit k: chunk k claimed (atomic) */
  _Alignas(64) unsigned gen;    /* job generation: wakes the workers (atomic) */
  _Alignas(64) unsigned active; /* workers between their first claim and done (atomic) */
};

static _Thread_local rt_par_pool *cur;

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield" ::: "memory");
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins up to SPIN_NS while *v == old (when the pool spins); returns the
 * last value read. */
static unsigned spin_while(const rt_par_pool *p, const unsigned *v, unsigned old) {
  unsigned x = __atomic_load_n(v, __ATOMIC_ACQUIRE);
  if (!p->spin || x != old) return x;
  int64_t t0 = now_ns();
  for (unsigned it = 1; (x = __atomic_load_n(v, __ATOMIC_ACQUIRE)) == old; it++) {
    relax();
    if ((it & 255) == 0 && now_ns() - t0 > SPIN_NS) break;
  }
  return x;
}

/* The generation after seen: spins, then sleeps on go. */
static unsigned wait_job(rt_par_pool *p, unsigned seen) {
  unsigned g = spin_while(p, &p->gen, seen);
  if (g != seen) return g;
  pthread_mutex_lock(&p->mu);
  while ((g = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE)) == seen) {
    p->sleepers++;
    pthread_cond_wait(&p->go, &p->mu);
    p->sleepers--;
  }
  pthread_mutex_unlock(&p->mu);
  return g;
}

/* Runs chunk k of the live job on thread id (its busy time when the
 * caller turned it on: the flag is written before the job is published). */
static void run_chunk(rt_par_pool *p, int k, void *scratch, int id) {
  int64_t lo = (int64_t)k * p->chunk;
  int64_t hi = lo + p->chunk < p->n ? lo + p->chunk : p->n;
  if (!p->stats) {
    p->fn(p->ctx, lo, hi, scratch);
    return;
  }
  int64_t t0 = now_ns();
  p->fn(p->ctx, lo, hi, scratch);
  p->st[id].ns += now_ns() - t0;
  p->st[id].chunks++;
}

/* Claims chunk k of the live job: true when this thread got it. */
static bool claim(rt_par_pool *p, int k) {
  uint64_t bit = (uint64_t)1 << (k & 63);
  return !(__atomic_fetch_or(&p->claim[k >> 6], bit, __ATOMIC_SEQ_CST) & bit);
}

/* Runs chunk `own` of the live job (thread id: 0 the caller, 1.. the
 * workers) when nobody has claimed it, then any chunk left.  Chunk k is
 * thread k's in every job, so a thread finds the rows it wrote in the
 * previous layer in its own cache; the rest only moves work from a
 * thread that has not woken up to one that has. */
static void run_chunks(rt_par_pool *p, void *scratch, int own) {
  int nch = __atomic_load_n(&p->nch, __ATOMIC_RELAXED); /* a stale count is harmless: */
  /* the bits past the live job's chunks stay set */
  if (own < nch && claim(p, own)) run_chunk(p, own, scratch, own);
  for (int k = 0; k < nch; k++) {
    uint64_t bit = (uint64_t)1 << (k & 63);
    if (!(__atomic_load_n(&p->claim[k >> 6], __ATOMIC_SEQ_CST) & bit) && claim(p, k))
      run_chunk(p, k, scratch, own);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  rt_par_pool *p = w->p;
  unsigned seen = 0;
  for (;;) {
    seen = wait_job(p, seen);
    if (p->stop) return NULL;
    __atomic_add_fetch(&p->active, 1u, __ATOMIC_SEQ_CST);
    run_chunks(p, w->scratch, w->id);
    if (__atomic_sub_fetch(&p->active, 1u, __ATOMIC_SEQ_CST) == 0) {
      pthread_mutex_lock(&p->mu);
      if (p->waiting) pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

/* Stops and joins workers 1..started-1 and frees everything. */
static void teardown(rt_par_pool *p, int started) {
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  __atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i < started; i++) pthread_join(p->w[i].th, NULL);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  free(p->st);
  free(p->mem);
  free(p->w);
  free(p);
}

rt_par_pool *rt_par_open(int nthreads, size_t scratch_bytes) {
  if (nthreads < 2 || nthreads > RT_PAR_MAX) return NULL;
  size_t per = (scratch_bytes + 63) & ~(size_t)63;
  rt_par_pool *p = aligned_alloc(64, sizeof *p); /* sizeof is a multiple of 64 */
  if (!p) return NULL;
  memset(p, 0, sizeof *p);
  for (int w = 0; w < RT_PAR_MAX / 64; w++) p->claim[w] = ~(uint64_t)0; /* no job */
  p->w = calloc((size_t)nthreads, sizeof *p->w);
  p->st = aligned_alloc(64, (size_t)nthreads * sizeof *p->st);
  if (per && p->w && (size_t)(nthreads - 1) <= SIZE_MAX / per)
    p->mem = aligned_alloc(64, per * (size_t)(nthreads - 1));
  if (!p->w || !p->st || (per && !p->mem)) {
    free(p->st);
    free(p->w);
    free(p);
    return NULL;
  }
  memset(p->st, 0, (size_t)nthreads * sizeof *p->st);
  p->nt = nthreads;
  p->spin = nthreads <= rt_par_online();
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  pthread_attr_t at;
  bool attr = pthread_attr_init(&at) == 0;
  if (attr) pthread_attr_setstacksize(&at, STACK);
  int started = 1;
  for (; started < nthreads; started++) {
    worker *w = &p->w[started];
    w->p = p, w->id = started;
    w->scratch = per ? (char *)p->mem + per * (size_t)(started - 1) : NULL;
    if (pthread_create(&w->th, attr ? &at : NULL, worker_main, w) != 0) break;
  }
  if (attr) pthread_attr_destroy(&at);
  if (started < nthreads) {
    teardown(p, started);
    return NULL;
  }
  return p;
}

void rt_par_close(rt_par_pool *p) {
  if (!p) return;
  if (cur == p) cur = NULL;
  teardown(p, p->nt);
}

void rt_par_use(rt_par_pool *p) { cur = p; }

void rt_par_stats_reset(void) {
  rt_par_pool *p = cur;
  if (!p || p->busy) return;
  memset(p->st, 0, (size_t)p->nt * sizeof *p->st);
  p->stats = true;
}

int rt_par_stats(int64_t *chunks, int64_t *ns, int max) {
  rt_par_pool *p = cur;
  if (!p || p->busy) return 0;
  for (int k = 0; k < p->nt && k < max; k++) chunks[k] = p->st[k].chunks, ns[k] = p->st[k].ns;
  return p->nt;
}

int rt_par_threads(void) { return cur && !cur->busy ? cur->nt : 1; }

int rt_par_online(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > RT_PAR_MAX ? RT_PAR_MAX : (int)n;
}

typedef struct span_job {
  rt_par_span_fn *fn;
  void *ctx;
  int64_t n;
} span_job;

static void span_part(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  const span_job *j = ctx;
  int64_t e1 = hi * RT_PAR_CHUNK;
  (void)scratch;
  j->fn(j->ctx, lo * RT_PAR_CHUNK, e1 < j->n ? e1 : j->n);
}

void rt_par_elems(int64_t n, rt_par_span_fn *fn, void *ctx) {
  if (n < RT_PAR_MIN_ELEMS || rt_par_threads() < 2) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  span_job j = {fn, ctx, n};
  rt_par_for((n + RT_PAR_CHUNK - 1) / RT_PAR_CHUNK, span_part, &j, NULL);
}

typedef struct rows_job {
  rt_par_span_fn *fn;
  void *ctx;
  int64_t nplane, rows, width, per; /* per: rows per chunk */
} rows_job;

static void rows_part(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  const rows_job *j = ctx;
  (void)scratch;
  int64_t plane = j->rows * j->width;
  for (int64_t k = lo; k < hi; k++) {
    int64_t r0 = k * j->per, r1 = r0 + j->per < j->rows ? r0 + j->per : j->rows;
    for (int64_t q = 0; q < j->nplane; q++)
      j->fn(j->ctx, q * plane + r0 * j->width, q * plane + r1 * j->width);
  }
}

int rt_par_softmax_pays(int64_t npos, int64_t c) {
  return npos > RT_PAR_SOFTMAX_ROWS && npos * c >= RT_PAR_SOFTMAX_EXP;
}

int64_t rt_par_row_chunk(int64_t rows) {
  int T = rt_par_threads();
  return T < 2 || rows < 4 * (int64_t)T ? rows : (rows + T - 1) / T;
}

void rt_par_rows(int64_t nplane, int64_t rows, int64_t width, rt_par_span_fn *fn, void *ctx) {
  int64_t n = nplane * rows * width, per = rt_par_row_chunk(rows);
  if (n < RT_PAR_MIN_ELEMS || per == rows || width < 1) {
    rt_par_elems(n, fn, ctx);
    return;
  }
  rows_job j = {fn, ctx, nplane, rows, width, per};
  rt_par_for((rows + per - 1) / per, rows_part, &j, NULL);
}

void rt_par_for(int64_t n, rt_par_fn *fn, void *ctx, void *own) {
  rt_par_pool *p = cur;
  if (!p || p->busy || n < 2) {
    if (n > 0) fn(ctx, 0, n, own);
    return;
  }
  p->busy = true;
  /* every claim bit of the previous job is set: nobody reads these now */
  int64_t chunk = (n + p->nt - 1) / p->nt;
  p->fn = fn, p->ctx = ctx, p->n = n, p->chunk = chunk;
  int nch = (int)((n + chunk - 1) / chunk);
  __atomic_store_n(&p->nch, nch, __ATOMIC_RELAXED);
  /* opens chunks [0, nch): the bits of chunks past nch stay set */
  for (int w = 0; w < RT_PAR_MAX / 64; w++) {
    int left = nch - 64 * w;
    __atomic_store_n(&p->claim[w], left >= 64 ? 0 : left <= 0 ? ~(uint64_t)0 : ~(uint64_t)0 << left,
                     __ATOMIC_SEQ_CST);
  }
  __atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
  pthread_mutex_lock(&p->mu);
  if (p->sleepers) pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  run_chunks(p, own, 0);
  /* every chunk is claimed: wait for the workers still running one */
  unsigned left;
  while ((left = __atomic_load_n(&p->active, __ATOMIC_SEQ_CST)) != 0)
    if (spin_while(p, &p->active, left) == left) break; /* spun out */
  if (left) {
    pthread_mutex_lock(&p->mu);
    p->waiting = true;
    while (__atomic_load_n(&p->active, __ATOMIC_SEQ_CST)) pthread_cond_wait(&p->done, &p->mu);
    p->waiting = false;
    pthread_mutex_unlock(&p->mu);
  }
  p->busy = false;
}
