/* test_kernels_act.c - unit tests for the activation and arithmetic kinds
 * of issue 13 (runtime/rt_act.c; compiler/layers/{act,clip,bnseg,axpy}.c):
 * float kernel values, in-place use, type and V1 lookups, parameter
 * defaults and the located diagnostics of bad parameters.
 *
 * Expected values were worked out by hand (or with a pocket calculator
 * from Caffe's formulas); none comes from the code under test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag_capture.h"
#include "ir.h"
#include "loader.h"
#include "rt_layers.h"

static void expect_arr(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i])),
                  "element %d: got %.9g, want %.9g", i, got[i], want[i]);
}

/* Runs a one-bottom kernel over n values of a 1-D tensor, then again in
 * place over a copy, and checks both against want. */
static void run1(rt_kernel_fn fn, const void *p, const float *x, const float *want, int n) {
  float in[16], y[16];
  memcpy(in, x, (size_t)n * sizeof(float));
  rt_tensor b = {rt_shape_make(1, &n), in}, t = {rt_shape_make(1, &n), y};
  fn(p, &(rt_args){.nb = 1, .nt = 1, .b = &b, .t = &t});
  expect_arr(y, want, n);
  fn(p, &(rt_args){.nb = 1, .nt = 1, .b = &b, .t = &b});
  expect_arr(in, want, n);
}

START_TEST(bnll_values) {
  /* ln(1 + e^x): ln 2, 1 + ln(1 + e^-1), ln(1 + e^-3); large x stays finite */
  float x[5] = {0, 1, -3, 100, -100};
  float w[5] = {0.693147181f, 1.313261687f, 0.048587352f, 100.0f, 0.0f};
  run1(rt_bnll_f32, &(rt_none_param){0}, x, w, 5);
  ck_assert_int_eq(lk_from_type("BNLL"), LK_BNLL);
  ck_assert_int_eq(lk_from_v1(2), LK_BNLL);
}
END_TEST

START_TEST(elu_values) {
  /* x > 0: x; else alpha (e^x - 1): e^-1 - 1 = -0.632120559 */
  float x[4] = {2, 0, -1, -20};
  run1(rt_elu_f32, &(rt_elu_param){0.5f}, x,
       (float[]){2, 0, -0.316060279f, -0.499999999f}, 4);
  ck_assert_int_eq(lk_from_type("ELU"), LK_ELU);
}
END_TEST

START_TEST(exp_values) {
  float x[3] = {-2, 0, 1};
  /* base 2, scale 0.5, shift 1: 2^(1 + x/2) = 1, 2, 2.828427125 */
  run1(rt_exp_f32, &(rt_explog_param){2, 0.5f, 1}, x, (float[]){1, 2, 2.828427125f}, 3);
  /* base e (-1), scale 1, shift 0: e^x */
  run1(rt_exp_f32, &(rt_explog_param){-1, 1, 0}, x,
       (float[]){0.135335283f, 1, 2.718281828f}, 3);
  /* base e, scale 2, shift -1: e^(2x - 1) */
  run1(rt_exp_f32, &(rt_explog_param){-1, 2, -1}, x,
       (float[]){0.006737947f, 0.367879441f, 2.718281828f}, 3);
  ck_assert_int_eq(lk_from_type("Exp"), LK_EXP);
  ck_assert_int_eq(lk_from_v1(38), LK_EXP);
}
END_TEST

START_TEST(log_values) {
  float x[3] = {1, 4, 0.5f};
  run1(rt_log_f32, &(rt_explog_param){-1, 1, 0}, x, (float[]){0, 1.386294361f, -0.693147181f}, 3);
  /* base 2, scale 2, shift 0: log2(2x) = 1, 3, 0 */
  run1(rt_log_f32, &(rt_explog_param){2, 2, 0}, x, (float[]){1, 3, 0}, 3);
  /* base 10, scale 1, shift 9: log10(x + 9) = 1, 1.113943352, 0.977723605 */
  run1(rt_log_f32, &(rt_explog_param){10, 1, 9}, x, (float[]){1, 1.113943352f, 0.977723605f}, 3);
  ck_assert_int_eq(lk_from_type("Log"), LK_LOG);
}
END_TEST

START_TEST(threshold_values) {
  float x[5] = {-1, 0.5f, 0.50001f, 3, NAN};
  run1(rt_threshold_f32, &(rt_threshold_param){0.5f}, x, (float[]){0, 0, 1, 1, 0}, 5);
  ck_assert_int_eq(lk_from_type("Threshold"), LK_THRESHOLD);
  ck_assert_int_eq(lk_from_v1(31), LK_THRESHOLD);
}
END_TEST

START_TEST(clip_and_relu6_values) {
  float x[6] = {-8, -1, 0, 2.5f, 6, 9};
  run1(rt_clip_f32, &(rt_clip_param){-1.5f, 3, 0}, x, (float[]){-1.5f, -1, 0, 2.5f, 3, 3}, 6);
  run1(rt_clip_f32, &(rt_clip_param){0.25f, 0.75f, 0}, x,
       (float[]){0.25f, 0.25f, 0.25f, 0.75f, 0.75f, 0.75f}, 6);
  run1(rt_relu6_f32, &(rt_clip_param){0, 6, 0}, x, (float[]){0, 0, 0, 2.5f, 6, 6}, 6);
  /* the forks' leaky ReLU6: + slope * min(x, 0) */
  run1(rt_relu6_f32, &(rt_clip_param){0, 6, 0.1f}, x, (float[]){-0.8f, -0.1f, 0, 2.5f, 6, 6}, 6);
  ck_assert_int_eq(lk_from_type("Clip"), LK_CLIP);
  ck_assert_int_eq(lk_from_type("ReLU6"), LK_RELU6);
}
END_TEST

START_TEST(swish_values) {
  /* x / (1 + e^(-beta x)); beta 1: 1/(1+e^-1) = 0.731058579 */
  float x[3] = {1, 0, -2};
  run1(rt_swish_f32, &(rt_swish_param){1}, x, (float[]){0.731058579f, 0, -0.238405844f}, 3);
  run1(rt_swish_f32, &(rt_swish_param){2}, x, (float[]){0.880797078f, 0, -0.035972420f}, 3);
  ck_assert_int_eq(lk_from_type("Swish"), LK_SWISH);
}
END_TEST

START_TEST(bnseg_inference_and_learn) {
  /* N=2, C=2, 1x2 spatial */
  float x[8] = {1, 3, 0, 0, 5, 7, 2, 4}, y[8];
  float sc[2] = {2, -1}, sh[2] = {0.5f, 1};
  int d[4] = {2, 2, 1, 2}, wd[4] = {1, 2, 1, 1};
  rt_tensor b = {rt_shape_make(4, d), x}, t = {rt_shape_make(4, d), y};
  rt_tensor w[2] = {{rt_shape_make(4, wd), sc}, {rt_shape_make(4, wd), sh}};
  rt_args a = {.nb = 1, .nt = 1, .nw = 2, .b = &b, .t = &t, .w = w};
  rt_bnseg_f32(&(rt_bnseg_param){RT_BNSEG_INFERENCE}, &a);
  expect_arr(y, (float[]){2.5f, 6.5f, 1, 1, 10.5f, 14.5f, -1, -3}, 8);
  /* LEARN: channel 0 = {1,3,5,7}: mean 4, var 5; channel 1 = {0,0,2,4}:
   * mean 1.5, var 2.75 */
  rt_bnseg_f32(&(rt_bnseg_param){RT_BNSEG_LEARN}, &a);
  float r5 = sqrtf(5.0f), r275 = sqrtf(2.75f);
  expect_arr(y,
             (float[]){2 * -3 / r5 + 0.5f, 2 * -1 / r5 + 0.5f, 1.5f / r275 + 1, 1.5f / r275 + 1,
                       2 * 1 / r5 + 0.5f, 2 * 3 / r5 + 0.5f, -0.5f / r275 + 1, -2.5f / r275 + 1},
             8);
  ck_assert_int_eq(lk_from_type("BN"), LK_BNSEG);
  ck_assert_int_eq(lk_from_type("BatchNorm"), LK_BN);
  ck_assert_int_eq(lk_from_v1(43), LK_BNSEG); /* caffe-segnet V1 BN */
}
END_TEST

START_TEST(axpy_values) {
  /* a (N=1, C=2), x and y 1 x 2 x 1 x 2: top = a[c] * x + y */
  float av[2] = {2, -0.5f}, x[4] = {1, 2, 3, 4}, yv[4] = {10, 20, 30, 40}, t[4];
  int ad[4] = {1, 2, 1, 1}, d[4] = {1, 2, 1, 2};
  rt_tensor b[3] = {{rt_shape_make(4, ad), av}, {rt_shape_make(4, d), x}, {rt_shape_make(4, d), yv}};
  rt_tensor tt = {rt_shape_make(4, d), t};
  rt_axpy_f32(&(rt_none_param){0}, &(rt_args){.nb = 3, .nt = 1, .b = b, .t = &tt});
  expect_arr(t, (float[]){12, 24, 28.5f, 38}, 4);
  ck_assert_int_eq(lk_from_type("Axpy"), LK_AXPY);
}
END_TEST

/* ---- the loader: defaults and diagnostics ---- */

/* Loads a prototxt made of an Input (1x2x3x3) and `body`; returns the
 * captured diagnostics (caller frees) and the net in *out (NULL on error). */
static char *load_body(const char *body, Arena *ar, Net **out) {
  char path[] = "/tmp/chai_act_XXXXXX";
  int fd = mkstemp(path);
  ck_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f,
          "layer { name: \"data\" type: \"Input\" top: \"data\"\n"
          "  input_param { shape { dim: 1 dim: 2 dim: 3 dim: 3 } } }\n%s",
          body);
  fclose(f);
  Cap c;
  cap_open(&c);
  *out = ld_load(path, NULL, ar, &c.dg);
  char *t = strdup(cap_close(&c));
  cap_free(&c);
  unlink(path);
  char *p = strstr(t, path); /* drop the temporary name */
  if (p) memmove(t, p + strlen(path), strlen(p + strlen(path)) + 1);
  return t;
}

static Layer *last_layer(Net *n) { return n->layers[n->nlayer - 1]; }

START_TEST(defaults) {
  Arena ar = {0};
  Net *n;
  free(load_body("layer { name: \"e\" type: \"Exp\" bottom: \"data\" top: \"e\" }\n", &ar, &n));
  ck_assert_ptr_nonnull(n);
  rt_explog_param ep = last_layer(n)->p.explog;
  ck_assert(ep.base == -1.0f && ep.scale == 1.0f && ep.shift == 0.0f);
  free(load_body("layer { name: \"r\" type: \"ReLU6\" bottom: \"data\" top: \"r\" }\n", &ar, &n));
  rt_clip_param cp = last_layer(n)->p.clip;
  ck_assert(cp.min == 0.0f && cp.max == 6.0f && cp.negative_slope == 0.0f);
  free(load_body("layer { name: \"r\" type: \"ReLU6\" bottom: \"data\" top: \"r\"\n"
                 "  relu6_param { negative_slope: 0.2 } }\n",
                 &ar, &n));
  ck_assert(last_layer(n)->p.clip.negative_slope == 0.2f);
  free(load_body("layer { name: \"b\" type: \"BN\" bottom: \"data\" top: \"b\" }\n", &ar, &n));
  ck_assert_int_eq(last_layer(n)->p.bnseg.mode, RT_BNSEG_LEARN);
  ck_assert_int_eq(last_layer(n)->nweight, 2);
  ck_assert_int_eq(last_layer(n)->weight[0].expect.nd, 4);
  ck_assert_int_eq(last_layer(n)->weight[0].expect.d[1], 2);
  free(load_body("layer { name: \"b\" type: \"BN\" bottom: \"data\" top: \"b\"\n"
                 "  bn_param { bn_mode: INFERENCE } }\n",
                 &ar, &n));
  ck_assert_int_eq(last_layer(n)->p.bnseg.mode, RT_BNSEG_INFERENCE);
  free(load_body("layer { name: \"s\" type: \"Swish\" bottom: \"data\" top: \"s\" }\n", &ar, &n));
  ck_assert(last_layer(n)->p.swish.beta == 1.0f);
  ar_free(&ar);
}
END_TEST

/* Each bad parameter gives exactly its located error. */
START_TEST(diagnostics) {
  static const struct {
    const char *body, *want;
  } cases[] = {
      {"layer { name: \"e\" type: \"Exp\" bottom: \"data\" top: \"e\"\n"
       "  exp_param { base: -2 } }\n",
       ":4:15: error: layer 'e' (Exp): base must be strictly positive, or -1 for e; got -2\n"},
      {"layer { name: \"l\" type: \"Log\" bottom: \"data\" top: \"l\"\n"
       "  log_param { base: 1 } }\n",
       ":4:15: error: layer 'l' (Log): base 1 has no logarithm to divide by\n"},
      {"layer { name: \"c\" type: \"Clip\" bottom: \"data\" top: \"c\"\n"
       "  clip_param { min: 2 max: 1 } }\n",
       ":4:23: error: layer 'c' (Clip): min and max must be finite with min <= max; got 2 "
       "and 1\n"},
      {"layer { name: \"c\" type: \"Clip\" bottom: \"data\" top: \"c\"\n"
       "  clip_param { max: 1 } }\n",
       ":4:3: error: layer 'c' (Clip): clip_param needs both min and max\n"},
      {"layer { name: \"a\" type: \"Axpy\" bottom: \"data\" bottom: \"data\" top: \"a\" }\n",
       ":3:1: error: layer 'a' (Axpy): takes 3 bottoms (a, x, y) and 1 top, got 2 and 1\n"},
      {"layer { name: \"a\" type: \"Axpy\" bottom: \"data\" bottom: \"data\" bottom: \"data\"\n"
       "  top: \"a\" }\n",
       ":3:1: error: layer 'a' (Axpy): bottom a 1x2x3x3 must be N x C (x 1 x 1) of bottom x "
       "1x2x3x3\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    Arena ar = {0};
    Net *n;
    char *got = load_body(cases[i].body, &ar, &n);
    ck_assert_ptr_null(n);
    ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: got '%s'", i, got);
    free(got);
    ar_free(&ar);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("kernels_act");
  TCase *k = tcase_create("act");
  tcase_add_test(k, bnll_values);
  tcase_add_test(k, elu_values);
  tcase_add_test(k, exp_values);
  tcase_add_test(k, log_values);
  tcase_add_test(k, threshold_values);
  tcase_add_test(k, clip_and_relu6_values);
  tcase_add_test(k, swish_values);
  tcase_add_test(k, bnseg_inference_and_learn);
  tcase_add_test(k, axpy_values);
  tcase_add_test(k, defaults);
  tcase_add_test(k, diagnostics);
  suite_add_tcase(s, k);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
