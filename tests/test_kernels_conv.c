/* test_kernels_conv.c - Convolution, Deconvolution, InnerProduct, Pooling
 * and LRN: float kernels against values computed independently (a naive
 * numpy transcription of Caffe's definitions, pasted as literals below),
 * and the compiler's parameter/shape rules for these kinds. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compiler/ir.h"
#include "../runtime/rt_fixed.h"
#include "../runtime/rt_layers.h"
#include "../runtime/rt_par.h"
#include "caffe.pb-c.h"

/* ---- expected outputs (numpy, naive loops over Caffe's definitions) ---- */
static const float convA_y[90] = {1.28125f, 0.15625f, -0.40625f, 2.6875f, -2.0f, -0.1875f, -0.46875f, -1.09375f, 1.625f, -2.25f, 2.5625f, 1.71875f, -0.875f, 1.1875f, 1.1875f, -0.46875f, 0.125f, -0.8125f, 0.25f, 0.5f, -1.875f, -0.34375f, -2.0625f, -1.15625f, 0.4375f, -3.59375f, -2.15625f, -0.5f, -1.34375f, -1.0625f, -1.09375f, 0.0f, 0.71875f, -1.46875f, -1.15625f, 0.40625f, 1.3125f, 0.9375f, 0.84375f, 1.0f, 2.34375f, -0.4375f, 0.1875f, 1.3125f, 0.65625f, -1.09375f, 1.28125f, 0.9375f, -0.90625f, 2.5f, 1.9375f, 1.4375f, 2.71875f, -0.03125f, 1.71875f, 1.21875f, -1.3125f, 1.34375f, 0.09375f, -0.78125f, -0.5f, -3.15625f, 0.125f, -1.40625f, -1.78125f, -0.25f, -2.6875f, -2.28125f, -0.5625f, -1.5625f, -0.03125f, -0.1875f, -0.40625f, -0.34375f, -0.375f, 1.21875f, 1.25f, -1.1875f, 0.84375f, 1.15625f, -0.90625f, 1.21875f, -0.875f, 1.25f, -0.46875f, -0.15625f, -0.375f, 0.1875f, -2.09375f, -0.46875f};
static const float convB_y[36] = {-1.96875f, 1.9375f, 0.5f, 1.6875f, -1.25f, 0.5625f, 1.03125f, 0.84375f, -2.03125f, -0.15625f, 0.6875f, 0.5625f, 2.0f, -1.78125f, -2.0625f, -0.4375f, 1.40625f, 0.90625f, 1.0f, -2.78125f, -0.875f, 1.15625f, 0.59375f, -0.15625f, -0.8125f, -0.5f, 1.5625f, 0.53125f, -0.3125f, -0.25f, -0.5625f, 0.09375f, 1.6875f, -0.5625f, -1.96875f, 1.0f};
static const float convC_y[24] = {2.0f, 1.03125f, 1.78125f, 0.125f, 1.21875f, 1.96875f, -3.0f, -1.1875f, -2.125f, -1.0f, -1.25f, -2.1875f, 1.8125f, 0.5f, 0.21875f, 2.0f, 1.03125f, 1.78125f, -2.9375f, -1.125f, -3.09375f, -3.0f, -1.1875f, -2.125f};
static const float convD_y[48] = {1.28125f, -0.15625f, 1.6875f, 0.65625f, -0.46875f, 2.34375f, 1.8125f, -0.1875f, 1.03125f, 0.21875f, 0.03125f, -0.5f, 0.6875f, 1.65625f, -0.0625f, 0.25f, 0.03125f, -0.59375f, 0.9375f, -0.125f, -0.96875f, 0.3125f, 1.59375f, -0.8125f, 0.28125f, -0.40625f, -0.15625f, 0.0625f, -1.53125f, 1.0625f, 1.09375f, -1.28125f, -1.15625f, 0.125f, -1.0625f, -0.28125f, 0.0f, -2.25f, -0.53125f, 0.125f, -2.03125f, 1.53125f, -0.53125f, -1.28125f, -0.5625f, 0.5f, -1.0625f, 0.4375f};
static const float deconvA_y[90] = {1.09375f, -0.9375f, 0.5625f, -1.03125f, 0.375f, 0.90625f, -0.3125f, -0.15625f, 1.21875f, 0.78125f, 1.75f, -0.03125f, 0.34375f, 0.96875f, -0.53125f, -0.1875f, -0.21875f, -1.375f, -0.1875f, 0.25f, -0.75f, -0.5f, -1.6875f, -2.03125f, -0.625f, -2.5f, -1.53125f, -1.15625f, -0.40625f, -0.28125f, 0.875f, -1.21875f, 0.25f, -1.0625f, 2.0625f, 0.34375f, -0.375f, -0.46875f, 0.71875f, 0.71875f, 0.46875f, -0.28125f, 0.09375f, 0.96875f, -0.53125f, 0.5625f, 1.0f, -0.3125f, 0.90625f, 0.03125f, 0.78125f, 1.21875f, 1.09375f, 0.34375f, -0.03125f, -1.0f, 0.875f, -0.53125f, -0.1875f, 1.0f, -1.375f, -0.4375f, -0.5f, -0.75f, -1.125f, -0.625f, -2.03125f, -0.53125f, -1.15625f, -1.53125f, 0.25f, -0.71875f, -0.28125f, -1.65625f, -1.8125f, 0.25f, 0.875f, -0.375f, 0.34375f, 0.0625f, 0.71875f, 0.71875f, 0.59375f, 0.09375f, -0.28125f, 0.1875f, 0.4375f, -0.53125f, -0.375f, 0.5625f};
static const float deconvB_y[40] = {0.53125f, -1.625f, -0.0625f, 0.875f, -0.3125f, 0.125f, 0.03125f, -0.125f, 1.15625f, -0.375f, 0.46875f, -1.5625f, 0.0625f, 0.625f, -0.6875f, 0.625f, 0.53125f, -0.125f, 0.65625f, -0.875f, -0.375f, -0.9375f, 0.625f, 0.5625f, -1.125f, -0.125f, -1.25f, 0.875f, 0.25f, -0.875f, -0.25f, 0.4375f, 0.25f, -0.53125f, -0.625f, -0.125f, 0.28125f, 0.375f, -0.6875f, -0.5f};
static const float ipA_y[10] = {-0.875f, 0.3125f, 2.3125f, 0.0f, 0.375f, -2.84375f, -1.15625f, 1.75f, -0.0625f, 1.21875f};
static const float ipT_y[10] = {-0.5f, 0.21875f, 0.9375f, 0.1875f, 0.90625f, -2.71875f, 0.0625f, 2.03125f, -0.71875f, 1.25f};
static const float ipX_y[20] = {0.625f, 0.3125f, 0.8125f, 0.5f, -0.625f, -1.34375f, -1.15625f, 0.25f, 0.4375f, 0.21875f, -1.25f, -1.25f, 0.375f, 0.375f, 0.375f, -1.15625f, -1.34375f, 0.5f, 0.3125f, 0.53125f};
static const float poolMax_y[12] = {2.0f, 2.5f, 3.0f, 3.0f, 2.5f, 2.5f, 3.0f, 2.0f, 2.5f, 3.0f, 3.0f, 2.0f};
static const float poolMax_m[12] = {7.0f, 9.0f, 11.0f, 24.0f, 22.0f, 22.0f, 7.0f, 3.0f, 5.0f, 20.0f, 20.0f, 16.0f};
static const float poolAve_y[24] = {-0.222222222f, 0.277777778f, 0.611111111f, 0.75f, -0.277777778f, -0.222222222f, 0.277777778f, 0.0833333333f, 0.333333333f, -0.333333333f, 0.0f, 0.0833333333f, 0.222222222f, 0.222222222f, -0.166666667f, 0.0f, 0.388888889f, 0.0555555556f, -0.888888889f, -0.5f, 0.0555555556f, 0.333333333f, -0.0555555556f, 0.416666667f};
static const float poolFloor_y[24] = {0.5f, 1.0f, 1.0f, 1.5f, 2.0f, 2.5f, 2.5f, 3.0f, 3.0f, 2.0f, 2.5f, 2.5f, 1.5f, 2.0f, 2.0f, 2.5f, 3.0f, 3.0f, 2.0f, 2.0f, 3.0f, 3.0f, 3.0f, 2.0f};
static const float poolGlob_y[2] = {-0.133333333f, 0.0f};
static const float poolSto_y[18] = {2.61111111f, 2.5f, 2.61111111f, 2.5625f, 2.3125f, 2.3125f, 3.125f, 2.94444444f, 2.5f, 2.61111111f, 2.67647059f, 2.5f, 2.3125f, 2.5625f, 2.55882353f, 2.5f, 2.27777778f, 2.27777778f};
static const float lrnA_y[60] = {-0.935526158f, 0.559958606f, -0.457906435f, 0.994805209f, 0.28833737f, -0.596883125f, 0.724146132f, 0.0f, -0.724146132f, 0.591481439f, -0.254676825f, -0.870319839f, 0.457906435f, -0.457906435f, 0.870319839f, 0.254676825f, -0.591481439f, 0.724146132f, 0.0f, -0.724146132f, 0.591481439f, -0.254676825f, -0.870319839f, 0.457906435f, -0.559958606f, 0.935526158f, 0.257963013f, -0.773889038f, 0.748420926f, 0.0f, -0.748420926f, 0.773889038f, -0.257963013f, -0.935526158f, 0.559958606f, -0.457906435f, 0.870319839f, 0.254676825f, -0.591481439f, 0.724146132f, 0.0f, -0.724146132f, 0.591481439f, -0.254676825f, -0.870319839f, 0.457906435f, -0.457906435f, 0.870319839f, 0.254676825f, -0.591481439f, 0.724146132f, 0.0f, -0.724146132f, 0.591481439f, -0.28833737f, -0.994805209f, 0.457906435f, -0.559958606f, 0.935526158f, 0.257963013f};
static const float lrnW_y[40] = {-1.64309045f, 0.642010097f, -0.617246942f, 1.63337758f, 0.334611254f, -0.856461688f, 1.09885245f, 0.0f, -1.09885245f, 0.856461688f, -0.315559054f, -1.42043318f, 0.544331054f, -0.544331054f, 1.50218397f, 0.368893973f, -0.974278579f, 1.28402019f, 0.0f, -1.38960053f, 1.10668192f, -0.300436794f, -1.62379763f, 0.642010097f, -0.805927449f, 1.57779527f, 0.264842339f, -0.812736806f, 1.09885245f, 0.0f, -1.14194892f, 0.812736806f, -0.264842339f, -1.42043318f, 0.600873587f, -0.657236181f, 1.62379763f, 0.300436794f, -0.974278579f, 1.31447236f};

/* x[i] = ((i * a) % m - off) / div: small exact inputs. */
static void seqf(float *x, int n, int a, int m, int off, float div) {
  for (int i = 0; i < n; i++) x[i] = (float)((i * a) % m - off) / div;
}

static void check_close(const float *got, const float *want, int n) {
  float mx = 0;
  for (int i = 0; i < n; i++)
    if (fabsf(want[i]) > mx) mx = fabsf(want[i]);
  for (int i = 0; i < n; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-5f * (mx > 1 ? mx : 1),
                  "element %d: got %.9g want %.9g", i, got[i], want[i]);
}

/* Runs kernel fn on one bottom and weights, into a top of shape ts. */
static void run(rt_kernel_fn fn, const void *p, rt_tensor *b, rt_tensor *w,
                int nw, rt_shape ts, float *out, float *ws, size_t wsz) {
  rt_tensor t = {ts, out};
  rt_args a = {1, 1, nw, b, &t, w, ws, wsz};
  fn(p, &a);
}

static rt_conv_param convp(int o, int g, int kh, int kw, int sh, int sw,
                           int ph, int pw, int dh, int dw, bool bias) {
  rt_conv_param p = {o, g, kh, kw, sh, sw, ph, pw, dh, dw, bias, 1};
  return p;
}

/* ---- Convolution ---- */
START_TEST(conv_rect_kernel_stride_pad_batch) {
  float x[80], w[36], out[90], b[3] = {0.5f, -1, 0.25f};
  seqf(x, 80, 7, 11, 5, 4);
  seqf(w, 36, 5, 13, 6, 8);
  rt_conv_param p = convp(3, 1, 2, 3, 1, 2, 1, 1, 1, 1, true);
  rt_tensor bt = {rt_shape4(2, 2, 4, 5), x};
  rt_tensor wt[2] = {{rt_shape4(3, 2, 2, 3), w}, {rt_shape4(3, 1, 1, 1), b}};
  run(rt_conv_f32, &p, &bt, wt, 2, rt_shape4(2, 3, 5, 3), out, NULL, 0);
  check_close(out, convA_y, 90);
}
END_TEST

START_TEST(conv_group_dilation) {
  float x[144], w[72], out[36];
  seqf(x, 144, 7, 11, 5, 4);
  seqf(w, 72, 5, 13, 6, 8);
  rt_conv_param p = convp(4, 2, 3, 3, 2, 2, 2, 2, 2, 2, false);
  rt_tensor bt = {rt_shape4(1, 4, 6, 6), x};
  rt_tensor wt[1] = {{rt_shape4(4, 2, 3, 3), w}};
  run(rt_conv_f32, &p, &bt, wt, 1, rt_shape4(1, 4, 3, 3), out, NULL, 0);
  check_close(out, convB_y, 36);
}
END_TEST

START_TEST(conv_pointwise) {
  float x[60], w[10], out[24], b[2] = {1, -2};
  seqf(x, 60, 7, 11, 5, 4);
  seqf(w, 10, 5, 13, 6, 8);
  rt_conv_param p = convp(2, 1, 1, 1, 1, 1, 0, 0, 1, 1, true);
  rt_tensor bt = {rt_shape4(2, 5, 2, 3), x};
  rt_tensor wt[2] = {{rt_shape4(2, 5, 1, 1), w}, {rt_shape4(2, 1, 1, 1), b}};
  run(rt_conv_f32, &p, &bt, wt, 2, rt_shape4(2, 2, 2, 3), out, NULL, 0);
  check_close(out, convC_y, 24);
}
END_TEST

START_TEST(conv_depthwise) {
  float x[48], w[27], out[48], b[3] = {0.5f, 0, -0.5f};
  seqf(x, 48, 7, 11, 5, 4);
  seqf(w, 27, 5, 13, 6, 8);
  rt_conv_param p = convp(3, 3, 3, 3, 1, 1, 1, 1, 1, 1, true);
  rt_tensor bt = {rt_shape4(1, 3, 4, 4), x};
  rt_tensor wt[2] = {{rt_shape4(3, 1, 3, 3), w}, {rt_shape4(3, 1, 1, 1), b}};
  run(rt_conv_f32, &p, &bt, wt, 2, rt_shape4(1, 3, 4, 4), out, NULL, 0);
  check_close(out, convD_y, 48);
}
END_TEST

/* ---- Deconvolution ---- */
START_TEST(deconv_stride_pad_batch) {
  float x[24], w[54], out[90], b[3] = {0.5f, -1, 0.25f};
  seqf(x, 24, 7, 11, 5, 4);
  seqf(w, 54, 5, 13, 6, 8);
  rt_conv_param p = convp(3, 1, 3, 3, 2, 2, 1, 1, 1, 1, true);
  rt_tensor bt = {rt_shape4(2, 2, 3, 2), x};
  rt_tensor wt[2] = {{rt_shape4(2, 3, 3, 3), w}, {rt_shape4(3, 1, 1, 1), b}};
  run(rt_deconv_f32, &p, &bt, wt, 2, rt_shape4(2, 3, 5, 3), out, NULL, 0);
  check_close(out, deconvA_y, 90);
}
END_TEST

START_TEST(deconv_group_dilation_rect) {
  float x[24], w[24], out[40];
  seqf(x, 24, 7, 11, 5, 4);
  seqf(w, 24, 5, 13, 6, 8);
  rt_conv_param p = convp(2, 2, 2, 3, 1, 2, 0, 1, 2, 1, false);
  rt_tensor bt = {rt_shape4(1, 4, 2, 3), x};
  rt_tensor wt[1] = {{rt_shape4(4, 1, 2, 3), w}};
  run(rt_deconv_f32, &p, &bt, wt, 1, rt_shape4(1, 2, 4, 5), out, NULL, 0);
  check_close(out, deconvB_y, 40);
}
END_TEST

/* ---- InnerProduct ---- */
START_TEST(ip_bias) {
  float x[6], w[15], b[5], out[10];
  seqf(x, 6, 7, 11, 5, 4);
  seqf(w, 15, 5, 13, 6, 8);
  seqf(b, 5, 3, 7, 3, 2);
  int xd[2] = {2, 3}, od[2] = {2, 5};
  rt_ip_param p = {5, 1, true, false};
  rt_tensor bt = {rt_shape_make(2, xd), x};
  rt_tensor wt[2] = {{rt_shape_make(2, (int[]){5, 3}), w},
                     {rt_shape_make(1, (int[]){5}), b}};
  run(rt_ip_f32, &p, &bt, wt, 2, rt_shape_make(2, od), out, NULL, 0);
  check_close(out, ipA_y, 10);
}
END_TEST

START_TEST(ip_transpose) {
  float x[6], w[15], b[5], out[10];
  seqf(x, 6, 7, 11, 5, 4);
  seqf(w, 15, 5, 13, 6, 8);
  seqf(b, 5, 3, 7, 3, 2);
  rt_ip_param p = {5, -1, true, true}; /* negative axis: last of 2 */
  rt_tensor bt = {rt_shape_make(2, (int[]){2, 3}), x};
  rt_tensor wt[2] = {{rt_shape_make(2, (int[]){3, 5}), w},
                     {rt_shape_make(1, (int[]){5}), b}};
  run(rt_ip_f32, &p, &bt, wt, 2, rt_shape_make(2, (int[]){2, 5}), out, NULL, 0);
  check_close(out, ipT_y, 10);
}
END_TEST

START_TEST(ip_axis2_nobias) {
  float x[12], w[15], out[20];
  seqf(x, 12, 7, 11, 5, 4);
  seqf(w, 15, 5, 13, 6, 8);
  rt_ip_param p = {5, 2, false, false};
  rt_tensor bt = {rt_shape_make(3, (int[]){2, 2, 3}), x};
  rt_tensor wt[1] = {{rt_shape_make(2, (int[]){5, 3}), w}};
  run(rt_ip_f32, &p, &bt, wt, 1, rt_shape_make(3, (int[]){2, 2, 5}), out, NULL,
      0);
  check_close(out, ipX_y, 20);
}
END_TEST

/* The scalar InnerProduct loops as they were before the SIMD path: per
 * output s = 0; s += x[i] * w[i] in increasing i; y = s + bias (+ 0.0f
 * without bias; the transposed form adds a bias only when there is one). */
static void ref_ip(const float *x, const float *w, const float *bias,
                   float *y, int m, int nout, int k, bool transpose) {
  for (int r = 0; r < m; r++) {
    const float *xr = x + (int64_t)r * k;
    float *yr = y + (int64_t)r * nout;
    if (!transpose) {
      for (int j = 0; j < nout; j++) {
        const float *wj = w + (int64_t)j * k;
        float s = 0;
        for (int i = 0; i < k; i++) {
          float t = xr[i] * wj[i];
          s += t;
        }
        yr[j] = s + (bias ? bias[j] : 0.0f);
      }
      continue;
    }
    for (int j = 0; j < nout; j++) yr[j] = 0.0f;
    for (int i = 0; i < k; i++)
      for (int j = 0; j < nout; j++) {
        float t = xr[i] * w[(int64_t)i * nout + j];
        yr[j] += t;
      }
    if (bias)
      for (int j = 0; j < nout; j++) yr[j] += bias[j];
  }
}

static uint32_t iprng = 99;
static uint32_t ipbits(void) {
  iprng ^= iprng << 13, iprng ^= iprng >> 17, iprng ^= iprng << 5;
  return iprng;
}
/* Floats of mixed magnitudes and signs (so the summation order shows in
 * the low bits), now and then a zero. */
static float iprand(void) {
  uint32_t r = ipbits();
  if (r % 64 == 0) return 0.0f;
  float v = (float)((int)(ipbits() % 2000001) - 1000000) / 1e6f;
  return ldexpf(v, (int)(r % 17) - 8);
}

/* rt_ip_f32 == ref_ip bit for bit (memcmp), on random shapes, both weight
 * layouts, with and without bias, on every SIMD level the CPU has. */
START_TEST(ip_simd_exact) {
  enum { KMAX = 3000, NMAX = 600, MMAX = 3 };
  float *x = malloc(sizeof(float) * MMAX * KMAX);
  float *w = malloc(sizeof(float) * KMAX * NMAX);
  float *bias = malloc(sizeof(float) * NMAX);
  float *want = malloc(sizeof(float) * MMAX * NMAX);
  float *got = malloc(sizeof(float) * MMAX * NMAX);
  ck_assert(x && w && bias && want && got);
  int levels = 0;
  for (int lvl = 0; lvl <= 2; lvl++) {
    rt_fx_simd = lvl;
    if (rt_fx_simd_level() != lvl) continue;
    levels++;
    iprng = 99;
    for (int it = 0; it < 160; it++) {
      int big = it % 4 == 0;
      int k = 1 + (int)(ipbits() % (big ? KMAX : 80));
      int nout = 1 + (int)(ipbits() % (big ? NMAX : 80));
      if (it % 8 == 3) { /* rows ~2 KB apart: the packed path (ip_aliased) */
        static const int ka[] = {512, 1024, 1025, 1536, 2048, 2049, 2560};
        k = ka[(it / 8) % 7];
        nout = 32 + (int)(ipbits() % 150);
      }
      int m = 1 + (int)(ipbits() % MMAX);
      bool tr = ipbits() % 2 && it % 8 != 3, hasb = ipbits() % 2;
      for (int i = 0; i < m * k; i++) x[i] = iprand();
      for (int64_t i = 0; i < (int64_t)k * nout; i++) w[i] = iprand();
      for (int i = 0; i < nout; i++) bias[i] = iprand();
      if (it % 16 == 5) x[ipbits() % (uint32_t)(m * k)] = NAN;
      if (it % 16 == 9) w[ipbits() % (uint32_t)(k * nout)] = INFINITY;
      ref_ip(x, w, hasb ? bias : NULL, want, m, nout, k, tr);
      int xd[2] = {m, k}, od[2] = {m, nout};
      int wd[2] = {tr ? k : nout, tr ? nout : k};
      rt_ip_param p = {nout, 1, hasb, tr};
      rt_tensor bt = {rt_shape_make(2, xd), x};
      rt_tensor wt[2] = {{rt_shape_make(2, wd), w},
                         {rt_shape_make(1, (int[]){nout}), bias}};
      memset(got, 0xa5, sizeof(float) * (size_t)(m * nout));
      run(rt_ip_f32, &p, &bt, wt, hasb ? 2 : 1, rt_shape_make(2, od), got, NULL, 0);
      ck_assert_msg(!memcmp(got, want, sizeof(float) * (size_t)(m * nout)),
                    "level %d it %d: M %d K %d N %d transpose %d bias %d", lvl,
                    it, m, k, nout, tr, hasb);
    }
  }
  rt_fx_simd = -1;
  ck_assert_int_ge(levels, 1);
  free(x), free(w), free(bias), free(want), free(got);
}
END_TEST

/* ---- Pooling ---- */
static float pool_x[60];
static rt_tensor pool_in(void) {
  seqf(pool_x, 60, 7, 13, 6, 2);
  return (rt_tensor){rt_shape4(2, 1, 5, 6), pool_x};
}

START_TEST(pool_max_ceil_with_mask) {
  rt_tensor bt = pool_in();
  rt_pool_param p = {RT_POOL_MAX, 3, 3, 2, 2, 0, 0, false, RT_ROUND_CEIL};
  float out[12], mask[12];
  rt_tensor t[2] = {{rt_shape4(2, 1, 2, 3), out}, {rt_shape4(2, 1, 2, 3), mask}};
  rt_args a = {1, 2, 0, &bt, t, NULL, NULL, 0};
  rt_pool_f32(&p, &a);
  check_close(out, poolMax_y, 12);
  check_close(mask, poolMax_m, 12);
}
END_TEST

START_TEST(pool_ave_pad_divisor) {
  rt_tensor bt = pool_in();
  rt_pool_param p = {RT_POOL_AVE, 3, 3, 2, 2, 1, 1, false, RT_ROUND_CEIL};
  float out[24];
  run(rt_pool_f32, &p, &bt, NULL, 0, rt_shape4(2, 1, 3, 4), out, NULL, 0);
  check_close(out, poolAve_y, 24);
}
END_TEST

START_TEST(pool_max_floor_rect_pad) {
  rt_tensor bt = pool_in();
  rt_pool_param p = {RT_POOL_MAX, 2, 3, 2, 1, 1, 0, false, RT_ROUND_FLOOR};
  float out[24];
  run(rt_pool_f32, &p, &bt, NULL, 0, rt_shape4(2, 1, 3, 4), out, NULL, 0);
  check_close(out, poolFloor_y, 24);
}
END_TEST

START_TEST(pool_global_ave) {
  rt_tensor bt = pool_in();
  rt_pool_param p = {RT_POOL_AVE, 0, 0, 1, 1, 0, 0, true, RT_ROUND_CEIL};
  float out[2];
  run(rt_pool_f32, &p, &bt, NULL, 0, rt_shape4(2, 1, 1, 1), out, NULL, 0);
  check_close(out, poolGlob_y, 2);
}
END_TEST

START_TEST(pool_stochastic_test_phase) {
  rt_tensor bt = pool_in();
  for (int i = 0; i < 60; i++) pool_x[i] = fabsf(pool_x[i]) + 0.5f;
  rt_pool_param p = {RT_POOL_STOCHASTIC, 2, 2, 2, 2, 0, 0, false, RT_ROUND_CEIL};
  float out[18];
  run(rt_pool_f32, &p, &bt, NULL, 0, rt_shape4(2, 1, 3, 3), out, NULL, 0);
  check_close(out, poolSto_y, 18);
}
END_TEST

/* ---- LRN ---- */
START_TEST(lrn_across_channels) {
  float x[60], out[60];
  seqf(x, 60, 7, 11, 5, 2);
  rt_lrn_param p = {3, RT_LRN_ACROSS, 0.5f, 0.75f, 2.0f};
  rt_tensor bt = {rt_shape4(2, 5, 2, 3), x};
  rt_tensor t = {rt_shape4(2, 5, 2, 3), out};
  rt_args a = {1, 1, 0, &bt, &t, NULL, NULL, 0};
  ck_assert_uint_eq(rt_lrn_ws(&p, &a), 0); /* sums into the top */
  rt_lrn_f32(&p, &a);
  check_close(out, lrnA_y, 60);
}
END_TEST

START_TEST(lrn_within_channel) {
  float x[40], out[40], ws[20];
  seqf(x, 40, 7, 11, 5, 2);
  rt_lrn_param p = {3, RT_LRN_WITHIN, 0.5f, 0.75f, 7.0f}; /* k unused */
  rt_tensor bt = {rt_shape4(1, 2, 4, 5), x};
  rt_tensor t = {rt_shape4(1, 2, 4, 5), out};
  rt_args a = {1, 1, 0, &bt, &t, NULL, ws, sizeof ws};
  ck_assert_uint_eq(rt_lrn_ws(&p, &a), sizeof ws);
  rt_lrn_f32(&p, &a);
  check_close(out, lrnW_y, 40);
}
END_TEST

/* LRN by its definition in double: x * (k + alpha/div * sum x^2)^-beta
 * over the clipped window (channels, or size x size in the plane with
 * k = 1 and div = size^2). */
static void lrn_ref(const rt_lrn_param *p, const float *x, double *y, int n,
                    int c, int h, int w) {
  int s = p->local_size, pre = (s - 1) / 2;
  for (int i = 0; i < n * c; i++)
    for (int yy = 0; yy < h; yy++)
      for (int xx = 0; xx < w; xx++) {
        double sum = 0, k = p->k, div = s;
        if (p->region == RT_LRN_ACROSS) {
          int ch = i % c;
          for (int j = ch - pre; j < ch - pre + s; j++)
            if (j >= 0 && j < c) {
              double v = x[((i - ch + j) * h + yy) * w + xx];
              sum += v * v;
            }
        } else {
          k = 1, div = s * s;
          for (int dy = yy - pre; dy < yy - pre + s; dy++)
            for (int dx = xx - pre; dx < xx - pre + s; dx++)
              if (dy >= 0 && dy < h && dx >= 0 && dx < w) {
                double v = x[(i * h + dy) * w + dx];
                sum += v * v;
              }
        }
        int e = (i * h + yy) * w + xx;
        y[e] = x[e] * pow(k + p->alpha / div * sum, -p->beta);
      }
}

/* Every power path (0.75, 0.5 and 1 by square roots and division, others
 * by powf) in both regions, against the double definition. */
START_TEST(lrn_betas) {
  enum { N = 2, C = 7, H = 5, W = 6, E = N * C * H * W };
  static float x[E], out[E], ws[H * W];
  static double want[E];
  seqf(x, E, 13, 29, 11, 3);
  const float betas[] = {0.75f, 0.5f, 1.0f, 0.6f};
  for (int r = 0; r < 2; r++)
    for (int bi = 0; bi < 4; bi++) {
      rt_lrn_param p = {r ? 3 : 5, r ? RT_LRN_WITHIN : RT_LRN_ACROSS, 1e-2f,
                        betas[bi], 1.5f};
      rt_tensor bt = {rt_shape4(N, C, H, W), x};
      rt_tensor t = {rt_shape4(N, C, H, W), out};
      rt_args a = {1, 1, 0, &bt, &t, NULL, ws, sizeof ws};
      ck_assert_uint_le(rt_lrn_ws(&p, &a), sizeof ws);
      rt_lrn_f32(&p, &a);
      lrn_ref(&p, x, want, N, C, H, W);
      for (int e = 0; e < E; e++)
        ck_assert_msg(fabs(out[e] - want[e]) <= 2e-6 * fabs(want[e]) + 1e-7,
                      "region %d beta %g element %d: got %.9g want %.9g", r,
                      (double)betas[bi], e, out[e], want[e]);
    }
}
END_TEST

/* Cut over a pool of 2 or 3 threads (a tensor above RT_PAR_MIN_ELEMS),
 * LRN gives the serial bytes. */
START_TEST(lrn_threads) {
  enum { N = 2, C = 16, H = 24, W = 24, E = N * C * H * W };
  static float x[E], one[E], par[E], ws[H * W];
  seqf(x, E, 17, 31, 13, 4);
  for (int r = 0; r < 2; r++) {
    rt_lrn_param p = {5, r ? RT_LRN_WITHIN : RT_LRN_ACROSS, 1e-4f, 0.75f, 1};
    rt_tensor bt = {rt_shape4(N, C, H, W), x};
    rt_tensor t1 = {rt_shape4(N, C, H, W), one}, tp = {t1.s, par};
    rt_args a1 = {1, 1, 0, &bt, &t1, NULL, ws, sizeof ws};
    rt_args ap = {1, 1, 0, &bt, &tp, NULL, ws, sizeof ws};
    rt_lrn_f32(&p, &a1);
    for (int nt = 2; nt <= 3; nt++) {
      rt_par_pool *pool = rt_par_open(nt, sizeof ws);
      ck_assert_ptr_nonnull(pool);
      rt_par_use(pool);
      ck_assert_int_eq(rt_par_threads(), nt);
      memset(par, 0, sizeof par);
      rt_lrn_f32(&p, &ap);
      rt_par_use(NULL);
      rt_par_close(pool);
      ck_assert_msg(memcmp(one, par, sizeof one) == 0,
                    "region %d, %d threads: not the serial bytes", r, nt);
    }
  }
}
END_TEST

/* ---- shape rules: a one-layer Net built by hand ---- */
typedef struct Fix {
  Arena ar;
  Diag dg;
  Net net;
  Layer l;
  Blob bot, top[2];
  Blob *bp, *tp[2];
  Caffe__LayerParameter lp;
  char *msg;
  size_t msglen;
  FILE *out;
} Fix;

static Fix *fix_new(const char *type, rt_shape in, int ntop) {
  Fix *f = calloc(1, sizeof *f);
  f->out = open_memstream(&f->msg, &f->msglen);
  diag_init(&f->dg, f->out);
  f->net.ar = &f->ar;
  f->net.dg = &f->dg;
  f->net.file = "t.prototxt";
  Caffe__LayerParameter init = CAFFE__LAYER_PARAMETER__INIT;
  f->lp = init;
  f->lp.name = "L";
  f->lp.type = (char *)type;
  f->l.name = "L";
  f->l.type = type;
  f->l.kind = lk_from_type(type);
  f->l.loc = (SrcLoc){"t.prototxt", 3, 1};
  f->l.lp = &f->lp;
  f->bot.shape = in;
  f->bp = &f->bot;
  f->tp[0] = &f->top[0];
  f->tp[1] = &f->top[1];
  f->l.nbottom = 1;
  f->l.ntop = ntop;
  f->l.bottom = &f->bp;
  f->l.top = f->tp;
  return f;
}

/* setup + shape; returns their result, the message text in f->msg. */
static int fix_run(Fix *f) {
  const LayerKindInfo *k = &lk_info[f->l.kind];
  int r = k->ops->setup(&f->l, &f->net);
  if (r == 0) r = k->ops->shape(&f->l, &f->net);
  fflush(f->out);
  return r;
}

static void fix_free(Fix *f) {
  fclose(f->out);
  free(f->msg);
  ar_free(&f->ar);
  free(f);
}

static void assert_shape(const rt_shape *s, const char *want) {
  char buf[64];
  ck_assert_str_eq(rt_shape_str(s, buf, sizeof buf), want);
}

START_TEST(shape_pool_ceil_and_drop) {
  Caffe__PoolingParameter pp = CAFFE__POOLING_PARAMETER__INIT;
  /* 6 + 2*2 - 3 = 7 -> ceil(7/3)+1 = 4; (4-1)*3 = 9 >= 6+2 -> 3 */
  pp.has_kernel_size = 1, pp.kernel_size = 3;
  pp.has_stride = 1, pp.stride = 3;
  pp.has_pad = 1, pp.pad = 2;
  pp.has_pool = 1, pp.pool = CAFFE__POOLING_PARAMETER__POOL_METHOD__AVE;
  Fix *f = fix_new("Pooling", rt_shape4(2, 3, 6, 7), 1);
  f->lp.pooling_param = &pp;
  ck_assert_int_eq(fix_run(f), 0);
  /* w: 7+4-3 = 8 -> ceil(8/3)+1 = 4; (4-1)*3 = 9 >= 9 -> 3 */
  assert_shape(&f->top[0].shape, "2x3x3x3");
  fix_free(f);
  /* floor, no pad, rectangular kernel via kernel_h/kernel_w */
  Caffe__PoolingParameter p2 = CAFFE__POOLING_PARAMETER__INIT;
  p2.has_kernel_h = p2.has_kernel_w = 1, p2.kernel_h = 2, p2.kernel_w = 3;
  p2.has_stride = 1, p2.stride = 2;
  p2.has_round_mode = 1, p2.round_mode = CAFFE__POOLING_PARAMETER__ROUND_MODE__FLOOR;
  f = fix_new("Pooling", rt_shape4(1, 1, 7, 8), 1);
  f->lp.pooling_param = &p2;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "1x1x3x3");
  fix_free(f);
  /* same with CEIL: ceil(5/2)+1 = 4, ceil(5/2)+1 = 4 */
  p2.round_mode = CAFFE__POOLING_PARAMETER__ROUND_MODE__CEIL;
  f = fix_new("Pooling", rt_shape4(1, 1, 7, 8), 1);
  f->lp.pooling_param = &p2;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "1x1x4x4");
  fix_free(f);
}
END_TEST

START_TEST(shape_pool_global_and_mask) {
  Caffe__PoolingParameter pp = CAFFE__POOLING_PARAMETER__INIT;
  pp.has_global_pooling = 1, pp.global_pooling = 1;
  Fix *f = fix_new("Pooling", rt_shape4(4, 64, 8, 9), 2);
  f->lp.pooling_param = &pp;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "4x64x1x1");
  assert_shape(&f->top[1].shape, "4x64x1x1");
  ck_assert_int_eq(f->l.p.pool.kh, 8);
  ck_assert_int_eq(f->l.p.pool.kw, 9);
  fix_free(f);
}
END_TEST

START_TEST(shape_pool_errors) {
  Caffe__PoolingParameter pp = CAFFE__POOLING_PARAMETER__INIT;
  pp.has_global_pooling = 1, pp.global_pooling = 1;
  pp.has_kernel_size = 1, pp.kernel_size = 2;
  Fix *f = fix_new("Pooling", rt_shape4(1, 1, 4, 4), 1);
  f->lp.pooling_param = &pp;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (Pooling): "
                           "global_pooling takes no kernel size\n");
  fix_free(f);

  Caffe__PoolingParameter p2 = CAFFE__POOLING_PARAMETER__INIT;
  p2.has_kernel_size = 1, p2.kernel_size = 2;
  p2.has_pad = 1, p2.pad = 2;
  f = fix_new("Pooling", rt_shape4(1, 1, 4, 4), 1);
  f->lp.pooling_param = &p2;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (Pooling): "
                           "pad 2 x 2 must be smaller than the kernel 2 x 2\n");
  fix_free(f);

  Caffe__PoolingParameter p3 = CAFFE__POOLING_PARAMETER__INIT;
  p3.has_kernel_size = 1, p3.kernel_size = 5;
  f = fix_new("Pooling", rt_shape4(1, 1, 4, 4), 1);
  f->lp.pooling_param = &p3;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (Pooling): "
                           "kernel 5x5 is larger than the padded input 4x4\n");
  fix_free(f);

  Caffe__PoolingParameter p4 = CAFFE__POOLING_PARAMETER__INIT;
  p4.has_kernel_size = 1, p4.kernel_size = 2;
  p4.has_kernel_h = 1, p4.kernel_h = 2;
  f = fix_new("Pooling", rt_shape4(1, 1, 4, 4), 1);
  f->lp.pooling_param = &p4;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (Pooling): "
                           "kernel_h and kernel_w must be given together and without kernel\n");
  fix_free(f);

  /* AVE takes one top */
  Caffe__PoolingParameter p5 = CAFFE__POOLING_PARAMETER__INIT;
  p5.has_kernel_size = 1, p5.kernel_size = 2;
  p5.has_pool = 1, p5.pool = CAFFE__POOLING_PARAMETER__POOL_METHOD__AVE;
  f = fix_new("Pooling", rt_shape4(1, 1, 4, 4), 2);
  f->lp.pooling_param = &p5;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (Pooling): "
                           "takes 1 bottom and 1 top, got 1 and 2\n");
  fix_free(f);
}
END_TEST

START_TEST(shape_ip) {
  Caffe__InnerProductParameter ip = CAFFE__INNER_PRODUCT_PARAMETER__INIT;
  ip.has_num_output = 1, ip.num_output = 10;
  Fix *f = fix_new("InnerProduct", rt_shape4(2, 3, 4, 5), 1);
  f->lp.inner_product_param = &ip;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "2x10");
  ck_assert_int_eq(f->l.nweight, 2);
  assert_shape(&f->l.weight[0].expect, "10x60");
  assert_shape(&f->l.weight[1].expect, "10");
  fix_free(f);

  ip.has_axis = 1, ip.axis = -1;
  ip.has_transpose = 1, ip.transpose = 1;
  ip.has_bias_term = 1, ip.bias_term = 0;
  f = fix_new("InnerProduct", rt_shape4(2, 3, 4, 5), 1);
  f->lp.inner_product_param = &ip;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "2x3x4x10");
  ck_assert_int_eq(f->l.p.ip.axis, 3);
  ck_assert_int_eq(f->l.nweight, 1);
  assert_shape(&f->l.weight[0].expect, "5x10");
  fix_free(f);

  ip.axis = 4;
  f = fix_new("InnerProduct", rt_shape4(2, 3, 4, 5), 1);
  f->lp.inner_product_param = &ip;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (InnerProduct): "
                           "axis 4 is out of range for a bottom with 4 axes\n");
  fix_free(f);

  Caffe__InnerProductParameter i2 = CAFFE__INNER_PRODUCT_PARAMETER__INIT;
  f = fix_new("InnerProduct", rt_shape4(2, 3, 4, 5), 1);
  f->lp.inner_product_param = &i2;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (InnerProduct): "
                           "num_output must be given and positive\n");
  fix_free(f);
}
END_TEST

START_TEST(shape_lrn) {
  Caffe__LRNParameter lp = CAFFE__LRNPARAMETER__INIT;
  Fix *f = fix_new("LRN", rt_shape4(2, 3, 4, 5), 1);
  f->lp.lrn_param = &lp;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "2x3x4x5");
  ck_assert_int_eq(f->l.p.lrn.local_size, 5);
  ck_assert_int_eq(f->l.p.lrn.region, RT_LRN_ACROSS);
  ck_assert(f->l.p.lrn.beta == 0.75f && f->l.p.lrn.alpha == 1 &&
            f->l.p.lrn.k == 1);
  fix_free(f);

  lp.has_local_size = 1, lp.local_size = 4;
  f = fix_new("LRN", rt_shape4(2, 3, 4, 5), 1);
  f->lp.lrn_param = &lp;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (LRN): "
                           "local_size must be odd and positive, got 4\n");
  fix_free(f);

  lp.local_size = 3;
  f = fix_new("LRN", rt_shape_make(2, (int[]){2, 3}), 1);
  f->lp.lrn_param = &lp;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "t.prototxt:3:1: error: layer 'L' (LRN): "
                           "expects a 4-D NCHW bottom, got 2 axes\n");
  fix_free(f);
}
END_TEST

START_TEST(shape_conv_deconv) {
  Caffe__ConvolutionParameter cp = CAFFE__CONVOLUTION_PARAMETER__INIT;
  uint32_t k = 3, s = 2, pd = 1, d = 2;
  cp.has_num_output = 1, cp.num_output = 8;
  cp.n_kernel_size = 1, cp.kernel_size = &k;
  cp.n_stride = 1, cp.stride = &s;
  cp.n_pad = 1, cp.pad = &pd;
  cp.n_dilation = 1, cp.dilation = &d;
  cp.has_group = 1, cp.group = 2;
  /* (11 + 2 - 5) / 2 + 1 = 5 ; (10 + 2 - 5) / 2 + 1 = 4 */
  Fix *f = fix_new("Convolution", rt_shape4(3, 4, 11, 10), 1);
  f->lp.convolution_param = &cp;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "3x8x5x4");
  assert_shape(&f->l.weight[0].expect, "8x2x3x3");
  assert_shape(&f->l.weight[1].expect, "8");
  fix_free(f);
  /* deconv: 2*(5-1) + 5 - 2 = 11; weights in x out/group */
  f = fix_new("Deconvolution", rt_shape4(3, 4, 5, 4), 1);
  f->lp.convolution_param = &cp;
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "3x8x11x9");
  assert_shape(&f->l.weight[0].expect, "4x4x3x3");
  fix_free(f);
  /* depthwise alias */
  cp.group = 4, cp.num_output = 4;
  f = fix_new("DepthwiseConvolution", rt_shape4(1, 4, 6, 6), 1);
  f->lp.convolution_param = &cp;
  ck_assert_int_eq(f->l.kind, LK_CONV);
  ck_assert_int_eq(fix_run(f), 0);
  assert_shape(&f->top[0].shape, "1x4x2x2");
  assert_shape(&f->l.weight[0].expect, "4x1x3x3");
  fix_free(f);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kernels_conv");
  TCase *tk = tcase_create("kernels");
  tcase_add_test(tk, conv_rect_kernel_stride_pad_batch);
  tcase_add_test(tk, conv_group_dilation);
  tcase_add_test(tk, conv_pointwise);
  tcase_add_test(tk, conv_depthwise);
  tcase_add_test(tk, deconv_stride_pad_batch);
  tcase_add_test(tk, deconv_group_dilation_rect);
  tcase_add_test(tk, ip_bias);
  tcase_add_test(tk, ip_transpose);
  tcase_add_test(tk, ip_axis2_nobias);
  tcase_add_test(tk, ip_simd_exact);
  tcase_add_test(tk, pool_max_ceil_with_mask);
  tcase_add_test(tk, pool_ave_pad_divisor);
  tcase_add_test(tk, pool_max_floor_rect_pad);
  tcase_add_test(tk, pool_global_ave);
  tcase_add_test(tk, pool_stochastic_test_phase);
  tcase_add_test(tk, lrn_across_channels);
  tcase_add_test(tk, lrn_within_channel);
  tcase_add_test(tk, lrn_betas);
  tcase_add_test(tk, lrn_threads);
  suite_add_tcase(s, tk);
  TCase *ts = tcase_create("shapes");
  tcase_add_test(ts, shape_pool_ceil_and_drop);
  tcase_add_test(ts, shape_pool_global_and_mask);
  tcase_add_test(ts, shape_pool_errors);
  tcase_add_test(ts, shape_ip);
  tcase_add_test(ts, shape_lrn);
  tcase_add_test(ts, shape_conv_deconv);
  suite_add_tcase(s, ts);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
