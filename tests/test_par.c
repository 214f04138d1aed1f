/* test_par.c - the worker pool of the generated program (runtime/rt_par.c):
 * rt_par_for runs every unit exactly once in the documented chunks, each
 * thread with its own scratch (aligned; the caller's own); calls made
 * without a pool, from inside a part, or from another thread are serial;
 * rt_par_elems cuts at multiples of RT_PAR_CHUNK; many back-to-back jobs
 * (the spin and the sleep paths) and open/close cycles work; the busy
 * time (rt_par_stats) counts every chunk once, on the thread that ran it. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../runtime/rt_par.h"

#define NU 1000

typedef struct job {
  int hits[NU];           /* times each unit ran (atomic) */
  int64_t lo[RT_PAR_MAX]; /* the parts seen, by part start order */
  int nparts;
  void *scratch[RT_PAR_MAX];
  pthread_t who[RT_PAR_MAX];
  int nested; /* rt_par_threads() inside a part */
} job;

static void count(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  job *j = ctx;
  for (int64_t u = lo; u < hi; u++) __atomic_add_fetch(&j->hits[u], 1, __ATOMIC_RELAXED);
  int k = __atomic_fetch_add(&j->nparts, 1, __ATOMIC_RELAXED);
  j->lo[k] = lo;
  j->scratch[k] = scratch;
  j->who[k] = pthread_self();
  if (scratch) memset(scratch, 0x5a, 256); /* the whole scratch is the thread's */
  __atomic_store_n(&j->nested, rt_par_threads(), __ATOMIC_RELAXED);
}

START_TEST(par_covers_units_once) {
  static job j;
  static char own[256];
  for (int nt = 2; nt <= 7; nt++) {
    rt_par_pool *p = rt_par_open(nt, 256);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(rt_par_threads(), 1); /* not current yet */
    rt_par_use(p);
    ck_assert_int_eq(rt_par_threads(), nt);
    for (int64_t n = 0; n <= 20; n++) {
      memset(&j, 0, sizeof j);
      rt_par_for(n, count, &j, own);
      for (int64_t u = 0; u < n; u++) ck_assert_int_eq(j.hits[u], 1);
      int64_t c = n < 2 ? n : (n + nt - 1) / nt;
      ck_assert_int_eq(j.nparts, n == 0 ? 0 : (n + c - 1) / c); /* one call per chunk */
      if (n >= 2) ck_assert_int_eq(j.nested, 1); /* no nesting inside a chunk */
      for (int a = 0; a < j.nparts; a++) {
        ck_assert_int_eq(j.lo[a] % c, 0);
        /* the caller's own scratch on the caller, a worker's (aligned) elsewhere */
        ck_assert_int_eq(j.scratch[a] == own, pthread_equal(j.who[a], pthread_self()) != 0);
        ck_assert(((uintptr_t)j.scratch[a] & 63) == 0 || j.scratch[a] == own);
        for (int b = a + 1; b < j.nparts; b++) /* one scratch per thread */
          ck_assert_int_eq(j.scratch[a] == j.scratch[b], pthread_equal(j.who[a], j.who[b]) != 0);
      }
    }
    rt_par_close(p);
    ck_assert_int_eq(rt_par_threads(), 1);
  }
}
END_TEST

START_TEST(par_serial_cases) {
  static job j;
  memset(&j, 0, sizeof j);
  rt_par_for(NU, count, &j, NULL); /* no pool: one call */
  ck_assert_int_eq(j.nparts, 1);
  ck_assert_int_eq(j.hits[NU - 1], 1);
  ck_assert_ptr_null(rt_par_open(1, 0));
  ck_assert_ptr_null(rt_par_open(RT_PAR_MAX + 1, 0));
  ck_assert_int_ge(rt_par_online(), 1);
  rt_par_close(NULL);
}
END_TEST

/* Another thread's calls stay serial while the pool is current here. */
static void *other_thread(void *arg) {
  job *j = arg;
  rt_par_for(NU, count, j, NULL);
  return NULL;
}

START_TEST(par_other_thread_serial) {
  static job j;
  memset(&j, 0, sizeof j);
  rt_par_pool *p = rt_par_open(3, 0);
  ck_assert_ptr_nonnull(p);
  rt_par_use(p);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, other_thread, &j), 0);
  pthread_join(t, NULL);
  ck_assert_int_eq(j.nparts, 1);
  rt_par_use(NULL);
  rt_par_close(p);
}
END_TEST

typedef struct span_job {
  int64_t e0[RT_PAR_MAX], e1[RT_PAR_MAX];
  int n;
} span_job;

static void span(void *ctx, int64_t e0, int64_t e1) {
  span_job *j = ctx;
  int k = __atomic_fetch_add(&j->n, 1, __ATOMIC_RELAXED);
  j->e0[k] = e0, j->e1[k] = e1;
}

START_TEST(par_elems_chunks) {
  rt_par_pool *p = rt_par_open(3, 0);
  ck_assert_ptr_nonnull(p);
  rt_par_use(p);
  int64_t sizes[] = {0, 5, RT_PAR_MIN_ELEMS - 1, RT_PAR_MIN_ELEMS, 100003};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    int64_t n = sizes[s], total = 0;
    span_job j = {{0}, {0}, 0};
    rt_par_elems(n, span, &j);
    ck_assert_int_eq(j.n, n == 0 ? 0 : n < RT_PAR_MIN_ELEMS ? 1 : 3);
    for (int k = 0; k < j.n; k++) {
      ck_assert(j.e0[k] % RT_PAR_CHUNK == 0);
      ck_assert(j.e1[k] == n || j.e1[k] % RT_PAR_CHUNK == 0);
      total += j.e1[k] - j.e0[k];
    }
    ck_assert_int_eq(total, n);
  }
  rt_par_close(p);
}
END_TEST

static void add_one(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  (void)scratch;
  int64_t *v = ctx;
  for (int64_t u = lo; u < hi; u++) v[u]++;
}

START_TEST(par_many_jobs) {
  static int64_t v[64];
  for (int cycle = 0; cycle < 20; cycle++) {
    rt_par_pool *p = rt_par_open(2 + cycle % 4, 64);
    ck_assert_ptr_nonnull(p);
    rt_par_use(p);
    for (int r = 0; r < 2000; r++) rt_par_for(64, add_one, v, NULL);
    if (cycle == 0) { /* a pause long enough for the workers to sleep */
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
      rt_par_for(64, add_one, v, NULL);
      for (int u = 0; u < 64; u++) ck_assert_int_eq(v[u], 2001);
    }
    rt_par_close(p);
  }
  for (int u = 0; u < 64; u++) ck_assert_int_eq(v[u], 20 * 2000 + 1);
}
END_TEST

/* A chunk that takes at least 20 us of wall clock. */
static void busy20(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  (void)ctx, (void)lo, (void)hi, (void)scratch;
  struct timespec ts = {0, 20 * 1000};
  nanosleep(&ts, NULL);
}

START_TEST(par_stats_count_chunks) {
  int64_t ch[RT_PAR_MAX], ns[RT_PAR_MAX];
  ck_assert_int_eq(rt_par_stats(ch, ns, RT_PAR_MAX), 0); /* no pool */
  rt_par_pool *p = rt_par_open(3, 0);
  ck_assert_ptr_nonnull(p);
  rt_par_use(p);
  rt_par_for(9, busy20, NULL, NULL); /* before the reset: not counted */
  rt_par_stats_reset();
  ck_assert_int_eq(rt_par_stats(ch, ns, RT_PAR_MAX), 3);
  for (int k = 0; k < 3; k++) ck_assert(ch[k] == 0 && ns[k] == 0);
  for (int r = 0; r < 50; r++) rt_par_for(9, busy20, NULL, NULL); /* 3 chunks each */
  rt_par_for(1, busy20, NULL, NULL);                              /* serial: no chunk */
  ck_assert_int_eq(rt_par_stats(ch, ns, 2), 3);                   /* max 2: two copied */
  int64_t c2[RT_PAR_MAX], n2[RT_PAR_MAX], tot = 0, tns = 0;
  ck_assert_int_eq(rt_par_stats(c2, n2, RT_PAR_MAX), 3);
  ck_assert(c2[0] == ch[0] && c2[1] == ch[1]);
  for (int k = 0; k < 3; k++) {
    tot += c2[k], tns += n2[k];
    ck_assert(n2[k] >= c2[k] * 20000); /* each chunk slept 20 us */
  }
  ck_assert_int_eq(tot, 150);
  ck_assert(tns >= 150 * 20000);
  ck_assert(c2[0] > 0); /* the caller always runs its own chunk first */
  rt_par_close(p);
  ck_assert_int_eq(rt_par_stats(ch, ns, RT_PAR_MAX), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("par");
  TCase *c = tcase_create("pool");
  tcase_add_test(c, par_covers_units_once);
  tcase_add_test(c, par_serial_cases);
  tcase_add_test(c, par_other_thread_serial);
  tcase_add_test(c, par_elems_chunks);
  tcase_add_test(c, par_many_jobs);
  tcase_add_test(c, par_stats_count_chunks);
  tcase_set_timeout(c, 120);
  suite_add_tcase(s, c);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? 1 : 0;
}
