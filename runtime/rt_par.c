/* rt_par.c - the worker pool (rt_par.h): POSIX threads, a mutex and two
 * condition variables, plus a brief spin so that back-to-back layers do
 * not pay a futex wake each.
 *
 * A job is T parts (chunks) that threads claim: the claim word holds
 * (chunks << 32 | next chunk) and a claim is a compare-and-swap that
 * fails once next reaches chunks.  The caller writes (fn, ctx, n, chunk)
 * while the previous job's word is exhausted, opens the word (release),
 * bumps the generation that wakes the workers, then claims chunks itself
 * like any worker.  A worker counts itself active before it claims and
 * reads the job only after a successful claim, so the fields it reads
 * are the live job's; the caller returns once every chunk is claimed and
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
  worker *w;     /* w[1..nt-1] */
  void *mem;     /* the workers' scratch */
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
  uint64_t claim;   /* chunks << 32 | next chunk (atomic) */
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

/* Claims and runs chunks of the live job until none is left. */
static void run_chunks(rt_par_pool *p, void *scratch) {
  uint64_t s = __atomic_load_n(&p->claim, __ATOMIC_SEQ_CST);
  for (;;) {
    if ((s & 0xFFFFFFFFu) >= s >> 32) return;
    if (!__atomic_compare_exchange_n(&p->claim, &s, s + 1, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
      continue; /* s reloaded */
    int64_t lo = (int64_t)(s & 0xFFFFFFFFu) * p->chunk;
    int64_t hi = lo + p->chunk < p->n ? lo + p->chunk : p->n;
    p->fn(p->ctx, lo, hi, scratch);
    s = __atomic_load_n(&p->claim, __ATOMIC_SEQ_CST);
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
    run_chunks(p, w->scratch);
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
  p->w = calloc((size_t)nthreads, sizeof *p->w);
  if (per && p->w && (size_t)(nthreads - 1) <= SIZE_MAX / per)
    p->mem = aligned_alloc(64, per * (size_t)(nthreads - 1));
  if (!p->w || (per && !p->mem)) {
    free(p->w);
    free(p);
    return NULL;
  }
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
  /* the previous job's word is exhausted: nobody reads these now */
  int64_t chunk = (n + p->nt - 1) / p->nt;
  if (chunk < (n + 0x3FFFFFFF) / 0x40000000) chunk = (n + 0x3FFFFFFF) / 0x40000000;
  p->fn = fn, p->ctx = ctx, p->n = n, p->chunk = chunk;
  __atomic_store_n(&p->claim, (uint64_t)((n + chunk - 1) / chunk) << 32, __ATOMIC_SEQ_CST);
  __atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
  pthread_mutex_lock(&p->mu);
  if (p->sleepers) pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  run_chunks(p, own);
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
