/* test_calib_auto.c - `--calibration_method auto` (calib_auto.h): the
 * choice by measured error at the net outputs, on a net where entropy
 * clips the values its output keeps, and its determinism over thread
 * counts.  Runs from the repository root (ctest's working dir). */
#define _DEFAULT_SOURCE
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib.h"
#include "calib_auto.h"
#include "loader.h"
#include "quant.h"

enum { NIMG = 4, PER = 4 * 8 * 8 };

/* Calibration items: values |x| < 1 (xorshift) everywhere and one peak
 * per channel, 2 .. 17, at an image-dependent place. */
static float **images(void) {
  uint64_t r = 99991;
  float **img = calloc(NIMG, sizeof *img);
  for (int i = 0; i < NIMG; i++) {
    img[i] = malloc(PER * sizeof(float));
    for (int k = 0; k < PER; k++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      img[i][k] = (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    for (int c = 0; c < 4; c++) img[i][c * 64 + (i * 7 + c * 13) % 64] = 2.0f + (float)(c * 4 + i);
  }
  return img;
}

typedef struct Run {
  Arena ar;
  Diag dg;
  Net *n;
  CbStats st;
  CbaRef ref;
  CbaResult res;
  CbParams p;
} Run;

/* Calibrates tests/nets/calib_auto.prototxt with auto on `threads`. */
static void run_auto(Run *r, float **img, int threads, int sims) {
  memset(r, 0, sizeof *r);
  diag_init(&r->dg, fopen("/dev/null", "w"));
  r->n = ld_load("tests/nets/calib_auto.prototxt", NULL, &r->ar, &r->dg);
  ck_assert_ptr_nonnull(r->n);
  CbRun cr = {threads, true, false};
  ck_assert_int_eq(cb_collect(r->n, img, NIMG, &cr, &r->st), 0);
  r->p.mode = QM_XILINX;
  r->p.bw_in = r->p.bw_params = r->p.bw_out = 8;
  r->p.method = CB_AUTO;
  r->p.percentile = 99.99;
  r->p.threads = threads;
  ck_assert_int_eq(cba_ref_init(&r->ref, r->n, img, NIMG), 0);
  char tmp[] = "/tmp/chai_calib_autoXXXXXX";
  int fd = mkstemp(tmp);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(cba_choose(r->n, &r->st, &r->p, NULL, &r->ref, img, tmp, sims, &r->res), 0);
  ck_assert_int_ne(access(tmp, F_OK), 0); /* the candidates' file is removed */
}

static void run_free(Run *r) {
  cb_free(&r->st);
  cba_ref_free(&r->ref);
  free(r->res.blob_method);
  fclose(r->dg.out);
  ar_free(&r->ar);
}

static const Layer *layer(const Net *n, const char *name) {
  for (int i = 0; i < n->nlayer; i++)
    if (!strcmp(n->layers[i]->name, name)) return n->layers[i];
  ck_abort_msg("no layer %s", name);
  return NULL;
}

START_TEST(t_auto_avoids_clipping) {
  float **img = images();
  Run r;
  run_auto(&r, img, 1, 12);
  const Layer *sum = layer(r.n, "sum");
  const CbBlob *b = &r.st.blob[sum->top[0]->id];
  /* the premise: entropy clips `sum` (max |x| 34) far below its peaks */
  double te = cb_blob_threshold(b, CB_ENTROPY, &r.p);
  ck_assert_msg(te < 5, "entropy threshold %g", te);
  ck_assert(b->maxabs > 33.9);
  /* every method was measured; entropy's error is the largest */
  for (int k = 0; k < 4; k++) ck_assert(r.res.err_method[k] >= 0);
  ck_assert(r.res.err_method[CB_ENTROPY] > 10 * r.res.err_method[CB_MAX]);
  ck_assert_int_ne(r.res.net_method, CB_ENTROPY);
  ck_assert(r.res.err <= r.res.err_method[r.res.net_method]);
  /* the assignment left in place keeps the peaks */
  ck_assert_ptr_nonnull(sum->q);
  ck_assert_msg(sum->q->th_out > 25, "th_out %g", (double)sum->q->th_out);
  ck_assert_int_ne(r.res.blob_method[sum->top[0]->id], CB_ENTROPY);
  ck_assert(r.res.err < 0.01);
  ck_assert_int_eq(r.p.method, r.res.net_method);
  run_free(&r);
  for (int i = 0; i < NIMG; i++) free(img[i]);
  free(img);
}
END_TEST

/* The error: noise/signal power per tensor output, 1 - (recall +
 * precision) / 2 per detection table, averaged. */
START_TEST(t_error_rule) {
  FdOut o[2];
  fd_out_init(&o[0], false, 0.5, 0);
  const float ref[4] = {1, 2, 3, 4}, x[4] = {1, 2, 3, 5};
  fd_out_add(&o[0], ref, 4, x, 4);
  ck_assert(fabs(cba_error(o, 1) - 1.0 / 30) < 1e-12);
  fd_out_init(&o[1], true, 0.5, 0);
  const float rd[7] = {0, 1, 0.9f, 0, 0, 1, 1};
  const float xd[14] = {0, 1, 0.9f, 0, 0, 1, 1, 0, 2, 0.8f, 0, 0, 1, 1};
  fd_out_add(&o[1], rd, 7, xd, 14); /* recall 1, precision 1/2 */
  ck_assert(fabs(cba_error(o + 1, 1) - 0.25) < 1e-12);
  ck_assert(fabs(cba_error(o, 2) - (1.0 / 30 + 0.25) / 2) < 1e-12);
}
END_TEST

/* Same inputs: identical thresholds and choices on 1 and 3 threads. */
START_TEST(t_auto_deterministic) {
  float **img = images();
  Run a, b;
  run_auto(&a, img, 1, 12);
  run_auto(&b, img, 3, 12);
  ck_assert_int_eq(a.res.net_method, b.res.net_method);
  ck_assert_int_eq(a.res.nsim, b.res.nsim);
  ck_assert(memcmp(&a.res.err, &b.res.err, sizeof a.res.err) == 0);
  ck_assert(memcmp(a.res.blob_method, b.res.blob_method, (size_t)a.n->nblob) == 0);
  for (int i = 0; i < a.n->nlayer; i++)
    ck_assert(qt_equal(a.n->layers[i]->q, b.n->layers[i]->q));
  run_free(&a);
  run_free(&b);
  for (int i = 0; i < NIMG; i++) free(img[i]);
  free(img);
}
END_TEST

/* --auto_sims: auto by default (-1), N, or a usage error; the default
 * budget shrinks with the net's MACs times the items. */
START_TEST(t_auto_sims_flag) {
  CbCmdOpts o;
  char *a1[] = {"quantize", "--deploy_model", "d", "--quantized_deploy_model", "o"};
  ck_assert_int_eq(cb_parse_args(5, a1, &o), 0);
  ck_assert_int_eq(o.p.method, CB_AUTO);
  ck_assert_int_eq(o.auto_sims, -1);
  char *a2[] = {"quantize", "--deploy_model", "d", "--quantized_deploy_model", "o",
                "--auto-sims=3"};
  ck_assert_int_eq(cb_parse_args(6, a2, &o), 0);
  ck_assert_int_eq(o.auto_sims, 3);
  char *a3[] = {"quantize", "--deploy_model", "d", "--quantized_deploy_model", "o",
                "--auto_sims", "-2"};
  FILE *saved = stderr;
  stderr = fopen("/dev/null", "w");
  int r = cb_parse_args(7, a3, &o);
  fclose(stderr);
  stderr = saved;
  ck_assert_int_eq(r, 2);
  Arena ar = {0};
  Diag dg;
  diag_init(&dg, fopen("/dev/null", "w"));
  Net *n = ld_load("tests/nets/calib_auto.prototxt", NULL, &ar, &dg);
  ck_assert_ptr_nonnull(n);
  ck_assert_int_eq(cba_default_sims(n, 4), CBA_SIMS); /* no MACs: the full budget */
  fclose(dg.out);
  ar_free(&ar);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("calib_auto");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, t_auto_avoids_clipping);
  tcase_add_test(tc, t_error_rule);
  tcase_add_test(tc, t_auto_deterministic);
  tcase_add_test(tc, t_auto_sims_flag);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
