/* test_fixed_fast.c - the blocked integer kernels of runtime/rt_fx_conv.c,
 * rt_fx_deconv.c and rt_fx_ip.c (rt_fx_conv, rt_fx_deconv, rt_fx_ip;
 * rt_fx_conv_pack8's contract) against the
 * original per-pixel reference loops kept here verbatim, bit for bit, on
 * thousands of random layers: groups, depthwise, dilation, stride,
 * padding, batch, 6/8/16-bit codes, int64 accumulators, ReLU / leaky output
 * stages, rows wider than an accumulator block.  Pooling, the element-wise
 * stages and requantization are test_fixed_fast_elem.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"
#include "fx_fast_common.h"

/* ---- the reference kernels (the pre-blocking implementation) ---- */

/* The output stage of conv/deconv/ip for channel c. */
static inline int16_t outq1(const rt_fx_outq *q, int c, int64_t acc) {
  if (acc < 0 && q->relu != RT_FX_RELU_NONE) {
    if (q->relu == RT_FX_RELU) return 0;
    return (int16_t)rt_fx_requant(acc, q->Mn[c], q->shn[c], q->qmin, q->qmax);
  }
  return (int16_t)rt_fx_requant(acc, q->M[c], q->sh[c], q->qmin, q->qmax);
}

/* Kernel taps [*lo, *hi) whose input index i0 + k*d lies in [0, lim). */
static void taps(int i0, int d, int k, int lim, int *lo, int *hi) {
  int a = 0, b = k;
  while (a < k && i0 + a * d < 0) a++;
  while (b > a && i0 + (b - 1) * d >= lim) b--;
  *lo = a;
  *hi = b;
}

/* Convolution: b[0] N x C x H x W -> t[0] N x O x OH x OW.  Padding reads
 * code 0. */
static void ref_conv(const void *param, const rt_fx_args *a) {
  const rt_fx_conv_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1), H = D4(b, 2), W = D4(b, 3);
  int O = D4(t, 1), OH = D4(t, 2), OW = D4(t, 3);
  const rt_conv_param *g = &p->g;
  int G = g->group, cpg = C / G, opg = O / G, kh = g->kh, kw = g->kw;
  int64_t hw = (int64_t)H * W, ohw = (int64_t)OH * OW;
  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++) {
      const int16_t *xg = b->d + ((int64_t)n * C + (int64_t)(o / opg) * cpg) * hw;
      const int16_t *wo = p->w + (int64_t)o * cpg * kh * kw;
      int64_t bias = p->bias ? p->bias[o] : 0;
      int16_t *yo = t->d + ((int64_t)n * O + o) * ohw;
      for (int oy = 0; oy < OH; oy++) {
        int iy0 = oy * g->sh - g->ph, ky0, ky1;
        taps(iy0, g->dh, kh, H, &ky0, &ky1);
        for (int ox = 0; ox < OW; ox++) {
          int ix0 = ox * g->sw - g->pw, kx0, kx1;
          taps(ix0, g->dw, kw, W, &kx0, &kx1);
          int64_t acc = bias;
          for (int ic = 0; ic < cpg; ic++) {
            const int16_t *xc = xg + ic * hw;
            const int16_t *wc = wo + (int64_t)ic * kh * kw;
            for (int ky = ky0; ky < ky1; ky++) {
              const int16_t *row = xc + (int64_t)(iy0 + ky * g->dh) * W + ix0;
              const int16_t *wr = wc + ky * kw;
              for (int kx = kx0; kx < kx1; kx++)
                acc += (int32_t)row[kx * g->dw] * wr[kx];
            }
          }
          yo[(int64_t)oy * OW + ox] = outq1(&p->q, o, acc);
        }
      }
    }
}

/* Deconvolution (gather form): output (oy, ox) takes input (iy, ix) through
 * tap (ky, kx) when oy = iy*sh - ph + ky*dh (likewise x).  Weights are
 * C x O/g x kh x kw. */
static void ref_deconv(const void *param, const rt_fx_args *a) {
  const rt_fx_conv_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1), H = D4(b, 2), W = D4(b, 3);
  int O = D4(t, 1), OH = D4(t, 2), OW = D4(t, 3);
  const rt_conv_param *g = &p->g;
  int G = g->group, cpg = C / G, opg = O / G, kh = g->kh, kw = g->kw;
  int64_t hw = (int64_t)H * W, ohw = (int64_t)OH * OW;
  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++) {
      int gi = o / opg, ol = o % opg;
      int64_t bias = p->bias ? p->bias[o] : 0;
      int16_t *yo = t->d + ((int64_t)n * O + o) * ohw;
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
          int64_t acc = bias;
          for (int ky = 0; ky < kh; ky++) {
            int ty = oy + g->ph - ky * g->dh;
            if (ty < 0 || ty % g->sh) continue;
            int iy = ty / g->sh;
            if (iy >= H) continue;
            for (int kx = 0; kx < kw; kx++) {
              int tx = ox + g->pw - kx * g->dw;
              if (tx < 0 || tx % g->sw) continue;
              int ix = tx / g->sw;
              if (ix >= W) continue;
              for (int icl = 0; icl < cpg; icl++) {
                int64_t ic = (int64_t)gi * cpg + icl;
                int16_t x = b->d[((int64_t)n * C + ic) * hw + (int64_t)iy * W + ix];
                int16_t w = p->w[((ic * opg + ol) * kh + ky) * kw + kx];
                acc += (int32_t)x * w;
              }
            }
          }
          yo[(int64_t)oy * OW + ox] = outq1(&p->q, o, acc);
        }
    }
}

/* InnerProduct: b[0] read as M x K (K = count from axis) -> t[0] M x N. */
static void ref_ip(const void *param, const rt_fx_args *a) {
  const rt_fx_ip_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  int64_t K = p->K, Nn = p->g.num_output;
  int64_t Mo = K ? rt_shape_count(&b->s) / K : 0;
  for (int64_t m = 0; m < Mo; m++) {
    const int16_t *x = b->d + m * K;
    int16_t *y = a->t[0].d + m * Nn;
    for (int64_t o = 0; o < Nn; o++) {
      int64_t acc = p->bias ? p->bias[o] : 0;
      if (p->g.transpose) {
        for (int64_t k = 0; k < K; k++) acc += (int32_t)x[k] * p->w[k * Nn + o];
      } else {
        const int16_t *w = p->w + o * K;
        for (int64_t k = 0; k < K; k++) acc += (int32_t)x[k] * w[k];
      }
      y[o] = outq1(&p->q, (int)o, acc);
    }
  }
}

/* ---- the tests: random layers and edges ---- */

/* One random Convolution or Deconvolution (deconv != 0); size 0 small,
 * 1 planes larger than a block, 2 rows wider than a block, 3 many
 * channels with codes of at most 8 bits (the packed GEMM path: K beyond
 * one panel, more channels than an accumulator block, odd K), 4 equal
 * strides 1..4 with up to 200 input channels and 48 x 48 planes (the wide-row path,
 * several bands), 5 depthwise on planes up to 130 x 130, strides 1 and 2
 * (the flat-band path: one or several bands, rows from 1 to 130 codes,
 * unequal strides and dilation now and then).  Returns 1 when
 * a layer was run (and asserted equal). */
static int conv_case(bool deconv, int size) {
  rt_fx_conv_param p;
  memset(&p, 0, sizeof p);
  rt_conv_param *g = &p.g;
  int N = (int)ri(1, 2), G, cpg, opg;
  if (size == 3) {
    G = ri(0, 3) ? 1 : (int)ri(2, 3);
    cpg = (int)ri(1, 160), opg = (int)ri(4, 150);
  } else if (size == 4) {
    G = ri(0, 3) ? 1 : 2;
    cpg = (int)ri(1, 200), opg = (int)ri(4, 24);
  } else if (size == 5 || ri(0, 4) == 0) { /* depthwise */
    G = (int)ri(1, 12), cpg = 1, opg = 1;
  } else {
    G = ri(0, 2) ? 1 : (int)ri(2, 3);
    cpg = (int)ri(1, 9), opg = (int)ri(1, 5);
  }
  int C = G * cpg, O = G * opg;
  g->num_output = O, g->group = G;
  g->kh = (int)ri(1, 5), g->kw = (int)ri(1, 5);
  if (ri(0, 3) == 0) g->kh = g->kw = 1;
  if (ri(0, 2) == 0) g->kh = g->kw = 3;
  g->sh = (int)ri(1, 3), g->sw = ri(0, 2) ? g->sh : (int)ri(1, 3);
  g->ph = (int)ri(0, 3), g->pw = (int)ri(0, 3);
  g->dh = ri(0, 3) ? 1 : (int)ri(2, 3), g->dw = ri(0, 3) ? 1 : (int)ri(2, 3);
  g->axis = 1;
  int H = (int)ri(1, 14), W = (int)ri(1, 14);
  if (size == 1) H = (int)ri(40, 90), W = (int)ri(40, 90), N = 1;
  if (size == 2) H = (int)ri(1, 2), W = (int)ri(4200, 4400), N = 1;
  if (size == 3) H = (int)ri(1, 12), W = (int)ri(1, 12), N = (int)ri(1, 2);
  if (size == 4) { /* the wide-row path: equal strides, bands of rows */
    H = (int)ri(1, 48), W = (int)ri(1, 48), N = 1;
    g->sh = g->sw = ri(0, 1) ? 1 : (int)ri(2, 4), g->dh = g->dw = 1;
  }
  if (size == 5) {
    H = (int)ri(1, 130), W = (int)ri(1, 130), N = 1;
    g->sh = g->sw = (int)ri(1, 2);
    if (ri(0, 9) == 0) g->sw = 3 - g->sh;
    g->dh = g->dw = ri(0, 9) ? 1 : 2;
  }
  if (size == 1 || size == 2) {
    if (!deconv) g->sw = g->sh = 1;
  }
  if ((size == 1 || size == 2) && deconv)
    g->sw = g->sh = 1, g->dh = g->dw = 1, g->ph = g->pw = 0;
  int OH, OW;
  if (!deconv) {
    OH = (H + 2 * g->ph - (g->dh * (g->kh - 1) + 1)) / g->sh + 1;
    OW = (W + 2 * g->pw - (g->dw * (g->kw - 1) + 1)) / g->sw + 1;
    if (H + 2 * g->ph < g->dh * (g->kh - 1) + 1 ||
        W + 2 * g->pw < g->dw * (g->kw - 1) + 1)
      return 0;
  } else {
    OH = g->sh * (H - 1) + g->dh * (g->kh - 1) + 1 - 2 * g->ph;
    OW = g->sw * (W - 1) + g->dw * (g->kw - 1) + 1 - 2 * g->pw;
  }
  if (OH < 1 || OW < 1) return 0;
  if (size == 0 && ri(0, 9) == 0) OH += (int)ri(0, 2), OW += (int)ri(0, 2);
  p.cin = C;
  int64_t nw = (int64_t)O * cpg * g->kh * g->kw;
  int16_t *w = xalloc(nw), *x = xalloc((int64_t)N * C * H * W);
  int64_t *bias = malloc((size_t)O * sizeof *bias);
  int32_t *M = malloc((size_t)O * sizeof *M), *Mn = malloc((size_t)O * sizeof *Mn);
  int8_t *sh = malloc((size_t)O), *shn = malloc((size_t)O);
  int wbw = rbw(), xbw = rbw();
  if (size >= 3) wbw = (int)ri(2, 8), xbw = (int)ri(2, 8);
  rcodes(w, nw, wbw, ri(0, 1), (int)ri(0, 60));
  rcodes(x, (int64_t)N * C * H * W, xbw, ri(0, 1), (int)ri(0, 30));
  p.w = w;
  p.bias = rbias(bias, O);
  routq(&p.q, O, M, sh, Mn, shn);
  int8_t *w8 = NULL;
  int32_t *a0 = NULL;
  if (!deconv && ri(0, 1)) { /* with the int8 copy when the codes allow */
    w8 = malloc((size_t)(O * rt_fx_conv_k4(&p)) + 1);
    a0 = malloc((size_t)O * sizeof *a0);
    if (!rt_fx_conv_pack8(&p, w8, a0)) p.w8 = w8, p.acc0 = a0;
  }
  int64_t *wa = NULL;
  if (!deconv && ri(0, 1)) { /* with the precomputed sums of |w| */
    wa = malloc((size_t)O * sizeof *wa);
    rt_fx_conv_wabs(&p, wa);
    p.wabs = wa;
  }
  rt_fx_tensor b = {rt_shape4(N, C, H, W), x};
  int eq = same(deconv ? rt_fx_deconv : rt_fx_conv,
                deconv ? ref_deconv : ref_conv, &p, b, rt_shape4(N, O, OH, OW));
  if (!eq)
    fprintf(stderr,
            "%s mismatch: N%d C%d H%d W%d O%d G%d k%dx%d s%d,%d p%d,%d "
            "d%d,%d OH%d OW%d relu%d\n",
            deconv ? "deconv" : "conv", N, C, H, W, O, G, g->kh, g->kw, g->sh,
            g->sw, g->ph, g->pw, g->dh, g->dw, OH, OW, p.q.relu);
  ck_assert(eq);
  free(w), free(x), free(bias), free(M), free(Mn), free(sh), free(shn), free(w8), free(a0), free(wa);
  return 1;
}

START_TEST(conv_random) {
  int n = 0;
  for (int i = 0; i < 4000; i++) n += conv_case(false, 0);
  for (int i = 0; i < 60; i++) n += conv_case(false, 1);
  for (int i = 0; i < 10; i++) n += conv_case(false, 2);
  for (int i = 0; i < 150; i++) n += conv_case(false, 3);
  for (int i = 0; i < 100; i++) n += conv_case(false, 4);
  for (int i = 0; i < 300; i++) n += conv_case(false, 5);
  fprintf(stderr, "conv_random: %d layers identical\n", n);
  ck_assert_int_gt(n, 3000);
}
END_TEST

START_TEST(deconv_random) {
  int n = 0;
  for (int i = 0; i < 3000; i++) n += conv_case(true, 0);
  for (int i = 0; i < 30; i++) n += conv_case(true, 1);
  for (int i = 0; i < 6; i++) n += conv_case(true, 2);
  fprintf(stderr, "deconv_random: %d layers identical\n", n);
  ck_assert_int_gt(n, 2000);
}
END_TEST

START_TEST(ip_random) {
  for (int i = 0; i < 3000; i++) {
    rt_fx_ip_param p;
    memset(&p, 0, sizeof p);
    int K = (int)ri(1, 300), Nn = (int)ri(1, 40), Mo = (int)ri(1, 3);
    if (i % 100 == 0) Nn = (int)ri(2040, 2200), K = (int)ri(1, 9);
    p.K = K;
    p.g.num_output = Nn;
    p.g.axis = 1;
    p.g.transpose = ri(0, 1);
    int16_t *w = xalloc((int64_t)K * Nn), *x = xalloc((int64_t)Mo * K);
    int64_t *bias = malloc((size_t)Nn * sizeof *bias);
    int32_t *M = malloc((size_t)Nn * sizeof *M), *Mn = malloc((size_t)Nn * sizeof *Mn);
    int8_t *sh = malloc((size_t)Nn), *shn = malloc((size_t)Nn);
    rcodes(w, (int64_t)K * Nn, rbw(), ri(0, 1), (int)ri(0, 50));
    rcodes(x, (int64_t)Mo * K, rbw(), ri(0, 1), (int)ri(0, 30));
    p.w = w;
    p.bias = rbias(bias, Nn);
    routq(&p.q, Nn, M, sh, Mn, shn);
    rt_fx_tensor b = {rt_shape4(Mo, K, 1, 1), x};
    ck_assert(same(rt_fx_ip, ref_ip, &p, b, rt_shape4(Mo, Nn, 1, 1)));
    free(w), free(x), free(bias), free(M), free(Mn), free(sh), free(shn);
  }
}
END_TEST

/* rt_fx_conv_pack8: K padded to a multiple of 4 with zeros, acc0 =
 * bias - 128 * sum w (mod 2^32), -1 for a code outside int8. */
START_TEST(pack8_contract) {
  int16_t w[2 * 5] = {1, -2, 3, 127, -128, 0, 5, -5, 7, 9};
  int64_t bias[2] = {1000, -(INT64_C(1) << 33)};
  rt_fx_conv_param p;
  memset(&p, 0, sizeof p);
  p.g.num_output = 2, p.g.group = 1, p.g.kh = 1, p.g.kw = 5, p.cin = 1;
  p.w = w;
  p.bias = bias;
  ck_assert_int_eq(rt_fx_conv_k4(&p), 8);
  int8_t w8[16];
  int32_t a0[2];
  memset(w8, 0x7f, sizeof w8);
  ck_assert_int_eq(rt_fx_conv_pack8(&p, w8, a0), 0);
  static const int8_t want[16] = {1, -2, 3, 127, -128, 0, 0, 0, 0, 5, -5, 7, 9, 0, 0, 0};
  ck_assert(!memcmp(w8, want, sizeof want));
  ck_assert_int_eq(a0[0], 1000 - 128 * 1);
  ck_assert_int_eq(a0[1], (int32_t)(uint32_t)(uint64_t)(bias[1] - 128 * 16));
  w[7] = 128;
  ck_assert_int_eq(rt_fx_conv_pack8(&p, w8, a0), -1);
  int64_t wa[2] = {-1, -1};
  w[2] = -32768;
  rt_fx_conv_wabs(&p, wa);
  ck_assert_int_eq(wa[0], 1 + 2 + 32768 + 127 + 128);
  ck_assert_int_eq(wa[1], 0 + 5 + 128 + 7 + 9);
}
END_TEST

/* Edges of the int32 decision: 16-bit codes at -32768 make a pair of
 * products 2^31 (a pmaddwd would wrap), a bias at INT32_MAX, and one long
 * InnerProduct row (the sum of |w| is flushed in chunks). */
START_TEST(edges) {
  static int16_t x[4] = {-32768, -32768, -32768, -32768}, w[4];
  int32_t M[2] = {RT_FX_ONE_M, RT_FX_ONE_M};
  int8_t sh[2] = {RT_FX_ONE_SH + 17, RT_FX_ONE_SH};
  int64_t bias[2] = {0, INT32_MAX};
  rt_fx_conv_param p;
  memset(&p, 0, sizeof p);
  p.g = (rt_conv_param){2, 1, 1, 1, 1, 1, 0, 0, 1, 1, true, 1};
  p.cin = 2;
  p.w = w;
  p.q = (rt_fx_outq){M, sh, NULL, NULL, RT_FX_RELU_NONE, -32768, 32767};
  for (int b = 0; b < 2; b++)
    for (int v = 0; v < 3; v++) {
      for (int k = 0; k < 4; k++) w[k] = v == 0 ? -32768 : v == 1 ? 1 : 0;
      p.bias = b ? bias : NULL;
      rt_fx_tensor t = {rt_shape4(1, 2, 1, 2), x};
      ck_assert(same(rt_fx_conv, ref_conv, &p, t, rt_shape4(1, 2, 1, 2)));
    }
  int K = 140000;
  int16_t *xi = xalloc(K), *wi = xalloc(2 * (int64_t)K);
  rcodes(xi, K, 8, true, 0);
  for (int64_t k = 0; k < 2 * (int64_t)K; k++) wi[k] = (int16_t)(k % 3 - 1);
  rt_fx_ip_param q;
  memset(&q, 0, sizeof q);
  q.K = K;
  q.g.num_output = 2;
  q.g.axis = 1;
  q.w = wi;
  q.q = p.q;
  rt_fx_tensor t = {rt_shape4(1, K, 1, 1), xi};
  ck_assert(same(rt_fx_ip, ref_ip, &q, t, rt_shape4(1, 2, 1, 1)));
  q.g.transpose = true;
  ck_assert(same(rt_fx_ip, ref_ip, &q, t, rt_shape4(1, 2, 1, 1)));
  free(xi), free(wi);
  /* the accumulator-width check must count |-32768| as 32768: 65540
   * products -32768 * 1 sum below INT32_MIN (1x1 conv, 4 channels) */
  int C = 65540;
  int16_t *xc = xalloc(C), *wc = xalloc(4 * (int64_t)C);
  for (int k = 0; k < C; k++) xc[k] = 1;
  for (int64_t k = 0; k < 4 * (int64_t)C; k++) wc[k] = -32768;
  int32_t M4[4] = {RT_FX_ONE_M, RT_FX_ONE_M, RT_FX_ONE_M, RT_FX_ONE_M};
  int8_t sh4[4] = {RT_FX_ONE_SH + 17, RT_FX_ONE_SH + 17, RT_FX_ONE_SH + 17, RT_FX_ONE_SH + 17};
  p.g = (rt_conv_param){4, 1, 1, 1, 1, 1, 0, 0, 1, 1, false, 1};
  p.cin = C;
  p.w = wc;
  p.bias = NULL;
  p.q = (rt_fx_outq){M4, sh4, NULL, NULL, RT_FX_RELU_NONE, -32768, 32767};
  rt_fx_tensor tc = {rt_shape4(1, C, 1, 1), xc};
  ck_assert(same(rt_fx_conv, ref_conv, &p, tc, rt_shape4(1, 4, 1, 1)));
  free(xc), free(wc);
}
END_TEST

int main(void) {
  Suite *s = suite_create("fixed_fast");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, conv_random);
  tcase_add_test(tc, deconv_random);
  tcase_add_test(tc, ip_random);
  tcase_add_test(tc, pack8_contract);
  tcase_add_test(tc, edges);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
