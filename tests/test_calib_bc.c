/* test_calib_bc.c - cross-layer equalization (cle_equalize), bias
 * correction (cbc_correct) and the caffemodel they write
 * (cm_write_weights).  Runs from the repository root. */
#define _DEFAULT_SOURCE
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib_bc.h"
#include "interp.h"
#include "loader.h"
#include "qsim.h"

static uint64_t rng;
static double frand(void) { /* uniform in [-1, 1) */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 4503599627370496.0 - 1.0;
}

/* tests/nets/quant_dw.prototxt with seeded weights whose channels differ
 * in scale (what makes per-tensor activations and equalization matter). */
static Net *load_dw(Arena *ar, Diag *dg) {
  diag_init(dg, fopen("/dev/null", "w"));
  Net *n = ld_load("tests/nets/quant_dw.prototxt", NULL, ar, dg);
  ck_assert_ptr_nonnull(n);
  rng = 88172645463325252ull;
  static const double mag[4] = {1, 0.05, 3, 0.2};
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    for (int k = 0; k < l->nweight; k++) {
      Weight *w = &l->weight[k];
      int64_t c = rt_shape_count(&w->expect), per = c / w->expect.d[0];
      float *d = ar_array(ar, (size_t)c + 1, sizeof(float));
      for (int64_t j = 0; j < c; j++) {
        d[j] = (float)(frand() * (k == 0 ? mag[(j / per) % 4] : 1));
        if (l->kind == LK_BN && k == 1) d[j] = (float)(fabs(d[j]) + 0.25);
        if (l->kind == LK_BN && k == 2) d[j] = 1;
      }
      w->t.s = w->expect;
      w->t.d = d;
      w->loaded = true;
    }
  }
  return n;
}

static float **images(const Net *n, int k) {
  int64_t per = rt_shape_count(&n->inputs[0]->shape);
  float **img = calloc((size_t)k, sizeof *img);
  rng = 1234567;
  for (int i = 0; i < k; i++) {
    img[i] = malloc((size_t)per * sizeof(float));
    for (int64_t j = 0; j < per; j++) img[i][j] = (float)(frand() + 0.3);
  }
  return img;
}

/* The float output (blob c2) of n on img, copied. */
static float *run_float(Net *n, const float *img, int64_t *cnt) {
  Interp in;
  ck_assert_int_eq(in_init(&in, n), 0);
  in_set_input(&in, 0, img);
  in_run(&in);
  const Blob *b = ld_find_blob(n, "c2");
  *cnt = rt_shape_count(in_shape(&in, b));
  float *y = malloc((size_t)*cnt * sizeof(float));
  memcpy(y, in_blob(&in, b), (size_t)*cnt * sizeof(float));
  in_free(&in);
  return y;
}

/* Equalization keeps the float function (ReLU commutes with the positive
 * scales) and makes dw1's folded channel range equal dw2's input range,
 * both sqrt(r1 r2); the written caffemodel reads back to the same values. */
START_TEST(t_cle) {
  Arena ar = {0};
  Diag dg;
  Net *n = load_dw(&ar, &dg);
  float **img = images(n, 2);
  int64_t cnt;
  float *y0 = run_float(n, img[0], &cnt);
  Layer *dw1 = ld_find_layer(n, "dw1"), *dw2 = ld_find_layer(n, "dw2");
  Layer **cons = cb_consumers(n);
  double r1[4], r2[4], e1[4], e2[4];
  cb_weight_range(n, dw1, cons, r1, 4);
  cb_weight_range(n, dw2, cons, r2, 4); /* depthwise: input c = output c */
  int np = 0;
  ck_assert_int_eq(cle_equalize(n, &np), 0);
  ck_assert_int_eq(np, 1);
  cb_weight_range(n, dw1, cons, e1, 4);
  cb_weight_range(n, dw2, cons, e2, 4);
  for (int c = 0; c < 4; c++) {
    double want = sqrt(r1[c] * r2[c]);
    ck_assert(fabs(e1[c] - want) <= 1e-5 * want);
    ck_assert(fabs(e2[c] - want) <= 1e-5 * want);
  }
  float *y1 = run_float(n, img[0], &cnt);
  double mx = 0;
  for (int64_t j = 0; j < cnt; j++) mx = fmax(mx, fabs(y0[j]));
  for (int64_t j = 0; j < cnt; j++) ck_assert(fabs(y1[j] - y0[j]) <= 1e-5 * mx);
  /* write and read back */
  char path[] = "/tmp/chai_cle_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(cm_write_weights(n, path, &dg), 0);
  Arena ar2 = {0};
  Net *m = ld_load("tests/nets/quant_dw.prototxt", path, &ar2, &dg);
  ck_assert_ptr_nonnull(m);
  for (int i = 0; i < n->nlayer; i++)
    for (int k = 0; k < n->layers[i]->nweight; k++) {
      const rt_tensor *a = &n->layers[i]->weight[k].t, *b = &m->layers[i]->weight[k].t;
      ck_assert(m->layers[i]->weight[k].loaded);
      ck_assert_int_eq(rt_shape_count(&a->s), rt_shape_count(&b->s));
      ck_assert(memcmp(a->d, b->d, (size_t)rt_shape_count(&a->s) * sizeof(float)) == 0);
    }
  remove(path);
  free(y0);
  free(y1);
  for (int i = 0; i < 2; i++) free(img[i]);
  free(img);
  fclose(dg.out);
  ld_cleanup(); /* the read-back caffemodel's data */
  ar_free(&ar2);
  ar_free(&ar);
}
END_TEST

/* Mean per output channel of blob c2 over the images: float (q = 0) or
 * the fixed-point simulator of the quantized net. */
static void channel_means(Net *n, QsNet *qn, float **img, int k, double *mean) {
  const Blob *b = ld_find_blob(n, "c2");
  for (int c = 0; c < 4; c++) mean[c] = 0;
  QsState *st = qn ? qs_state_new(qn) : NULL;
  Interp in;
  if (!qn) ck_assert_int_eq(in_init(&in, n), 0);
  for (int i = 0; i < k; i++) {
    const float *y;
    if (qn) {
      qs_set_input(st, 0, img[i]);
      qs_run(st);
      y = qs_blob_f32(st, b);
    } else {
      in_set_input(&in, 0, img[i]);
      in_run(&in);
      y = in_blob(&in, b);
    }
    int64_t per = rt_shape_count(&b->shape) / 4;
    for (int c = 0; c < 4; c++)
      for (int64_t j = 0; j < per; j++) mean[c] += y[c * per + j] / (double)(per * k);
  }
  if (qn) qs_state_free(st);
  else in_free(&in);
}

/* With coarse weights (4 bits) and fine activations (16 bits), weight
 * quantization shifts the mean of dw2's output channels; after bias
 * correction (dw1's shift goes to sc1's beta, dw2's to its bias) the
 * simulated means are much closer to float (not exact: dw2's input is
 * the quantized, ReLU-clipped dw1 output, whose mean the correction of
 * dw1's pre-ReLU mean does not fully restore). */
START_TEST(t_bias_correction) {
  double err[2] = {0, 0};
  for (int corr = 0; corr < 2; corr++) {
    Arena ar = {0};
    Diag dg;
    Net *n = load_dw(&ar, &dg);
    enum { K = 6 };
    float **img = images(n, K);
    double fmean[4], qmean[4];
    channel_means(n, NULL, img, K, fmean);
    CbParams p = {0};
    p.mode = QM_XILINX;
    p.bw_in = p.bw_out = 16;
    p.bw_params = 4;
    p.method = CB_MAX;
    p.percentile = 99.99;
    p.threads = 1;
    int nc = 0;
    if (corr) {
      ck_assert_int_eq(cbc_correct(n, img, K, &p, &nc), 0);
      ck_assert_int_eq(nc, 2);
    }
    CbRun r = {1, false, false};
    CbStats st;
    ck_assert_int_eq(cb_collect(n, img, K, &r, &st), 0);
    ck_assert_int_eq(cb_assign(n, &st, &p), 0);
    QsNet *qn = qs_prepare(n, &dg);
    ck_assert_ptr_nonnull(qn);
    channel_means(qs_net(qn), qn, img, K, qmean);
    for (int c = 0; c < 4; c++) err[corr] += fabs(qmean[c] - fmean[c]);
    cb_free(&st);
    for (int i = 0; i < K; i++) free(img[i]);
    free(img);
    fclose(dg.out);
    ar_free(&ar);
  }
  ck_assert(err[0] > 1e-3);
  ck_assert(err[1] < 0.5 * err[0]); /* measured: 0.674 -> 0.277 */
}
END_TEST

int main(void) {
  Suite *s = suite_create("calib_bc");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, t_cle);
  tcase_add_test(tc, t_bias_correction);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
