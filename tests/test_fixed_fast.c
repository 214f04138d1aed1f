/* test_fixed_fast.c - the blocked integer kernels of runtime/rt_fx_conv.c, rt_fx_pool.c, rt_fx_elem.c
 * (rt_fx_conv, rt_fx_deconv, rt_fx_ip, rt_fx_pool; the inlined requantization
 * of ReLU, affine, Eltwise, Concat) against the original
 * per-pixel reference loops kept here verbatim, bit for bit, on thousands
 * of random layers: groups, depthwise, dilation, stride, padding, batch,
 * 6/8/16-bit codes, int64 accumulators, ReLU / leaky output stages, rows
 * wider than an accumulator block. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"
#include "../runtime/rt_par.h"

#define D4(t, i) rt_shape_dim4(&(t)->s, (i))
#define IDENT(M, sh) ((M) == RT_FX_ONE_M && (sh) == RT_FX_ONE_SH)

/* ---- the reference kernels (the pre-blocking implementation) ---- */

static inline int16_t sat16(int64_t v, int32_t lo, int32_t hi) {
  return (int16_t)(v < lo ? lo : v > hi ? hi : v);
}

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

/* RHA(s / n) for n > 0: exact integer division, ties away from zero. */
static inline int64_t rdiv(int64_t s, int64_t n) {
  return s >= 0 ? (s + n / 2) / n : -((-s + n / 2) / n);
}

/* Pooling (MAX / AVE) with Caffe's window rules, per N*C plane. */
static void ref_pool(const void *param, const rt_fx_args *a) {
  const rt_fx_pool_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1), H = D4(b, 2), W = D4(b, 3);
  int OH = D4(t, 2), OW = D4(t, 3);
  int kh = p->g.kh, kw = p->g.kw, sh = p->g.sh, sw = p->g.sw;
  int ph = p->g.ph, pw = p->g.pw;
  if (p->g.global) {
    kh = H, kw = W, sh = sw = 1, ph = pw = 0;
  }
  bool ave = p->g.method == RT_POOL_AVE, id = IDENT(p->M, p->sh);
  int64_t hw = (int64_t)H * W, ohw = (int64_t)OH * OW;
  for (int64_t i = 0; i < (int64_t)N * C; i++) {
    const int16_t *x = b->d + i * hw;
    int16_t *y = t->d + i * ohw;
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        int y0 = oy * sh - ph, x0 = ox * sw - pw;
        int y1 = y0 + kh, x1 = x0 + kw;
        int64_t v;
        if (ave) {
          if (y1 > H + ph) y1 = H + ph;
          if (x1 > W + pw) x1 = W + pw;
          int64_t cnt = (int64_t)(y1 - y0) * (x1 - x0);
          if (y0 < 0) y0 = 0;
          if (x0 < 0) x0 = 0;
          if (y1 > H) y1 = H;
          if (x1 > W) x1 = W;
          int64_t s = 0;
          for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) s += x[(int64_t)iy * W + ix];
          v = cnt > 0 ? rdiv(s, cnt) : 0;
        } else {
          if (y0 < 0) y0 = 0;
          if (x0 < 0) x0 = 0;
          if (y1 > H) y1 = H;
          if (x1 > W) x1 = W;
          int32_t m = INT16_MIN;
          for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
              if (x[(int64_t)iy * W + ix] > m) m = x[(int64_t)iy * W + ix];
          v = y0 < y1 && x0 < x1 ? m : 0;
        }
        y[(int64_t)oy * OW + ox] =
            id ? sat16(v, p->qmin, p->qmax)
               : (int16_t)rt_fx_requant(v, p->M, p->sh, p->qmin, p->qmax);
      }
  }
}

static void ref_relu(const void *param, const rt_fx_args *a) {
  const rt_fx_relu_param *p = param;
  int64_t n = rt_shape_count(&a->b[0].s);
  const int16_t *x = a->b[0].d;
  int16_t *y = a->t[0].d;
  for (int64_t i = 0; i < n; i++)
    y[i] = (int16_t)(x[i] >= 0
                         ? rt_fx_requant(x[i], p->M, p->sh, p->qmin, p->qmax)
                         : rt_fx_requant(x[i], p->Mn, p->shn, p->qmin, p->qmax));
}

static void ref_affine(const void *param, const rt_fx_args *a) {
  const rt_fx_affine_param *p = param;
  const rt_shape *s = &a->b[0].s;
  int64_t outer = rt_shape_count_range(s, 0, p->axis);
  int64_t C = p->axis < s->nd ? s->d[p->axis] : 1;
  int64_t inner = rt_shape_count_range(s, p->axis + 1, s->nd);
  if (p->nch == 1) {
    inner *= C;
    C = 1;
  }
  const int16_t *x = a->b[0].d;
  int16_t *y = a->t[0].d;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t c = 0; c < C; c++) {
      int64_t M = p->M[c], B = p->B[c];
      int sh = p->sh[c];
      for (int64_t i = 0; i < inner; i++, x++, y++)
        *y = sat16(rt_fx_rshift(*x * M + B, sh), p->qmin, p->qmax);
    }
}

static void ref_eltwise(const void *param, const rt_fx_args *a) {
  const rt_fx_eltwise_param *p = param;
  int64_t cnt = rt_shape_count(&a->t[0].s);
  int n = p->n < a->nb ? p->n : a->nb;
  int16_t *y = a->t[0].d;
  for (int64_t j = 0; j < cnt; j++) {
    int64_t v;
    if (p->op == RT_ELT_SUM) {
      int64_t acc = 0;
      for (int i = 0; i < n; i++) acc += (int64_t)a->b[i].d[j] * p->M[i];
      v = rt_fx_rshift(acc, p->shift);
    } else if (p->op == RT_ELT_PROD) {
      if (n == 1) {
        v = rt_fx_requant(a->b[0].d[j], p->M[0], p->sh[0], p->qmin, p->qmax);
      } else {
        v = rt_fx_requant((int64_t)a->b[0].d[j] * a->b[1].d[j], p->M[1],
                          p->sh[1], p->qmin, p->qmax);
        for (int i = 2; i < n; i++)
          v = rt_fx_requant(v * a->b[i].d[j], p->M[i], p->sh[i], p->qmin,
                            p->qmax);
      }
    } else {
      v = INT32_MIN;
      for (int i = 0; i < n; i++) {
        int32_t r = rt_fx_requant(a->b[i].d[j], p->M[i], p->sh[i], p->qmin,
                                  p->qmax);
        if (r > v) v = r;
      }
    }
    y[j] = sat16(v, p->qmin, p->qmax);
  }
}

static void ref_concat(const void *param, const rt_fx_args *a) {
  const rt_fx_concat_param *p = param;
  const rt_shape *ts = &a->t[0].s;
  int64_t outer = rt_shape_count_range(ts, 0, p->axis);
  int64_t T = rt_shape_count_range(ts, p->axis, ts->nd);
  int64_t off = 0;
  for (int i = 0; i < a->nb && i < p->n; i++) {
    const rt_fx_tensor *b = &a->b[i];
    int64_t in = rt_shape_count_range(&b->s, p->axis, b->s.nd);
    bool id = IDENT(p->M[i], p->sh[i]);
    for (int64_t o = 0; o < outer; o++) {
      const int16_t *x = b->d + o * in;
      int16_t *y = a->t[0].d + o * T + off;
      if (id) {
        for (int64_t k = 0; k < in; k++) y[k] = sat16(x[k], p->qmin, p->qmax);
      } else {
        for (int64_t k = 0; k < in; k++)
          y[k] = (int16_t)rt_fx_requant(x[k], p->M[i], p->sh[i], p->qmin,
                                        p->qmax);
      }
    }
    off += in;
  }
}

/* ---- random layers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* Uniform integer in [lo, hi]. */
static int64_t ri(int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)(hi - lo) + 1;
  uint64_t r = ((uint64_t)rnd() << 32) | rnd();
  return lo + (int64_t)(r % span);
}

static int rbw(void) {
  static const int bws[] = {6, 8, 8, 16};
  return bws[ri(0, 3)];
}

/* Codes: mostly in the format's range, sometimes extremes only, sometimes
 * the full int16 range; zero with probability pz percent. */
static void rcodes(int16_t *d, int64_t n, int bw, bool sym, int pz) {
  int32_t lo = rt_fx_qmin(bw, sym), hi = rt_fx_qmax(bw);
  int mode = (int)ri(0, 9);
  for (int64_t i = 0; i < n; i++) {
    int64_t v;
    if (ri(0, 99) < pz)
      v = 0;
    else if (mode == 0)
      v = ri(0, 1) ? lo : hi;
    else if (mode == 1)
      v = ri(INT16_MIN, INT16_MAX);
    else
      v = ri(lo, hi);
    d[i] = (int16_t)v;
  }
}

/* Output stage: random multipliers, ReLU kind, output range. */
static void routq(rt_fx_outq *q, int nout, int32_t *M, int8_t *sh, int32_t *Mn,
                  int8_t *shn) {
  int relu = (int)ri(0, 2);
  double slope = (double)ri(-100, 100) / 100.0;
  int bw = rbw();
  for (int c = 0; c < nout; c++) {
    double m = ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-24, 3));
    if (ri(0, 9) == 0) m = ldexp(1.0, (int)ri(-12, 0));
    rt_fx_multiplier(m, &M[c], &sh[c]);
    rt_fx_multiplier(m * slope, &Mn[c], &shn[c]);
  }
  q->M = M;
  q->sh = sh;
  q->Mn = relu == RT_FX_LEAKY ? Mn : NULL;
  q->shn = relu == RT_FX_LEAKY ? shn : NULL;
  q->relu = relu;
  q->qmin = rt_fx_qmin(bw, ri(0, 1));
  q->qmax = rt_fx_qmax(bw);
}

static int64_t *rbias(int64_t *b, int nout) {
  int mode = (int)ri(0, 3);
  if (mode == 0) return NULL;
  for (int c = 0; c < nout; c++)
    b[c] = mode == 1 ? ri(-1000, 1000)
         : mode == 2 ? ri(-(INT64_C(1) << 20), INT64_C(1) << 20)
                     : ri(-(INT64_C(1) << 40), INT64_C(1) << 40);
  return b;
}

static int16_t *xalloc(int64_t n) {
  int16_t *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  ck_assert_ptr_nonnull(p);
  return p;
}

/* The SIMD paths of the fast kernels to compare (rt_fx_simd values): 0
 * (SSE2 / portable) always, 1 (AVX2) and 2 (AVX-512 BW/VL/VNNI) when the
 * CPU has them (rt_fx_simd_level says what a request resolves to). */
static int simd_modes(int *m) {
  int n = 0;
  for (int lv = 0; lv <= 2; lv++) {
    rt_fx_simd = lv;
    if (rt_fx_simd_level() == lv) m[n++] = lv;
  }
  rt_fx_simd = -1;
  return n;
}

/* Runs the fast kernel (once per SIMD path) and the reference kernel on the
 * same operands; 1 when every fast result equals the reference. */
static int same(rt_fx_kernel_fn fast, rt_fx_kernel_fn ref, const void *p,
                rt_fx_tensor b, rt_shape ts) {
  int64_t n = rt_shape_count(&ts);
  rt_fx_tensor t1 = {ts, xalloc(n)}, t2 = {ts, xalloc(n)};
  memset(t2.d, 0x33, (size_t)n * 2);
  rt_fx_args a1 = {1, 1, &b, &t1}, a2 = {1, 1, &b, &t2};
  ref(p, &a2);
  int modes[3], nm = simd_modes(modes), eq = 1;
  for (int i = 0; i < nm && eq; i++) {
    memset(t1.d, 0x55, (size_t)n * 2);
    rt_fx_simd = modes[i];
    fast(p, &a1);
    eq = n == 0 || !memcmp(t1.d, t2.d, (size_t)n * 2);
    if (!eq) fprintf(stderr, "rt_fx_simd = %d differs from the reference\n", modes[i]);
  }
  rt_fx_simd = -1;
  free(t1.d);
  free(t2.d);
  return eq;
}

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

START_TEST(pool_random) {
  int n = 0;
  for (int i = 0; i < 3000; i++) {
    rt_fx_pool_param p;
    memset(&p, 0, sizeof p);
    rt_pool_param *g = &p.g;
    g->method = ri(0, 1) ? RT_POOL_AVE : RT_POOL_MAX;
    g->kh = (int)ri(1, 4), g->kw = (int)ri(1, 4);
    g->sh = (int)ri(1, 3), g->sw = (int)ri(1, 3);
    g->ph = (int)ri(0, g->kh - 1), g->pw = (int)ri(0, g->kw - 1);
    g->global = ri(0, 9) == 0;
    int N = (int)ri(1, 2), C = (int)ri(1, 4), H = (int)ri(1, 12), W = (int)ri(1, 12);
    int OH, OW;
    if (g->global) {
      OH = OW = 1;
    } else {
      if (H + 2 * g->ph < g->kh || W + 2 * g->pw < g->kw) continue;
      OH = (H + 2 * g->ph - g->kh + g->sh - 1) / g->sh + 1;
      OW = (W + 2 * g->pw - g->kw + g->sw - 1) / g->sw + 1;
      if (g->ph && (OH - 1) * g->sh >= H + g->ph) OH--;
      if (g->pw && (OW - 1) * g->sw >= W + g->pw) OW--;
    }
    int bw = rbw();
    double m = ri(0, 2) ? 1.0 : ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-6, 2));
    rt_fx_multiplier(m, &p.M, &p.sh);
    p.qmin = rt_fx_qmin(bw, ri(0, 1));
    p.qmax = rt_fx_qmax(bw);
    int16_t *x = xalloc((int64_t)N * C * H * W);
    rcodes(x, (int64_t)N * C * H * W, rbw(), ri(0, 1), 10);
    rt_fx_tensor b = {rt_shape4(N, C, H, W), x};
    ck_assert(same(rt_fx_pool, ref_pool, &p, b, rt_shape4(N, C, OH, OW)));
    free(x);
    n++;
  }
  ck_assert_int_gt(n, 2000);
  /* The common shapes on wider planes (the row paths and their vector
   * loops): 2x2/s2, 3x3/s2 with and without padding, 3x3/s1, 1x1, 5x5/s1,
   * 3x3/s3, ceil- and floor-mode output sizes, global pooling, identity,
   * scaled and large multipliers (sh < 16), and planes wider than the row
   * buffers (the general loop). */
  static const int shapes[][3] = {{2, 2, 0}, {3, 2, 0}, {3, 2, 1}, {2, 2, 1},
                                  {3, 1, 1}, {1, 1, 0}, {5, 1, 2}, {3, 3, 1}};
  for (int i = 0; i < 1500; i++) {
    rt_fx_pool_param p;
    memset(&p, 0, sizeof p);
    rt_pool_param *g = &p.g;
    const int *sp = shapes[ri(0, 7)];
    g->method = ri(0, 1) ? RT_POOL_AVE : RT_POOL_MAX;
    g->kh = g->kw = sp[0], g->sh = g->sw = sp[1], g->ph = g->pw = sp[2];
    if (ri(0, 4) == 0) g->kw = (int)ri(1, 4), g->pw = (int)ri(0, g->kw - 1);
    g->global = ri(0, 7) == 0;
    bool wide = i % 40 == 0;
    int N = (int)ri(1, 2), C = wide ? 1 : (int)ri(1, 3);
    int H = wide ? (int)ri(1, 3) : (int)ri(1, 40);
    int W = wide ? (int)ri(2000, 2300) : (int)ri(1, 70);
    int OH, OW;
    if (g->global) {
      OH = OW = 1;
    } else {
      if (H + 2 * g->ph < g->kh || W + 2 * g->pw < g->kw) continue;
      if (ri(0, 3) == 0) { /* floor mode */
        OH = (H + 2 * g->ph - g->kh) / g->sh + 1;
        OW = (W + 2 * g->pw - g->kw) / g->sw + 1;
      } else {
        OH = (H + 2 * g->ph - g->kh + g->sh - 1) / g->sh + 1;
        OW = (W + 2 * g->pw - g->kw + g->sw - 1) / g->sw + 1;
        if (g->ph && (OH - 1) * g->sh >= H + g->ph) OH--;
        if (g->pw && (OW - 1) * g->sw >= W + g->pw) OW--;
      }
    }
    int bw = rbw(), e = (int)ri(0, 3);
    double m = e == 0 ? 1.0
             : e == 3 ? ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(14, 20))
                      : ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-6, 2));
    rt_fx_multiplier(m, &p.M, &p.sh);
    p.qmin = rt_fx_qmin(bw, ri(0, 1));
    p.qmax = rt_fx_qmax(bw);
    int64_t cnt = (int64_t)N * C * H * W;
    int16_t *x = xalloc(cnt);
    rcodes(x, cnt, rbw(), ri(0, 1), 10);
    rt_fx_tensor b = {rt_shape4(N, C, H, W), x};
    ck_assert(same(rt_fx_pool, ref_pool, &p, b, rt_shape4(N, C, OH, OW)));
    free(x);
  }
}
END_TEST

/* ReLU, affine, Eltwise (SUM / PROD / MAX) and Concat with random
 * multipliers against the reference loops. */
START_TEST(elementwise_random) {
  for (int it = 0; it < 2000; it++) {
    int N = (int)ri(1, 2), C = (int)ri(1, 5), H = (int)ri(1, 6), W = (int)ri(1, 6);
    if (it % 8 == 0) W = (int)ri(7, 90); /* longer rows: the vector loops */
    int64_t cnt = (int64_t)N * C * H * W;
    int bw = rbw();
    bool sym = ri(0, 1);
    int32_t qmin = rt_fx_qmin(bw, sym), qmax = rt_fx_qmax(bw);
    int16_t *x[3];
    rt_fx_tensor b[3];
    for (int i = 0; i < 3; i++) {
      x[i] = xalloc(cnt);
      rcodes(x[i], cnt, rbw(), ri(0, 1), 10);
      b[i] = (rt_fx_tensor){rt_shape4(N, C, H, W), x[i]};
    }
    double m = ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-12, 3));
    rt_fx_relu_param rp = {0};
    rt_fx_multiplier(m, &rp.M, &rp.sh);
    rt_fx_multiplier(m * (double)ri(-100, 100) / 100.0, &rp.Mn, &rp.shn);
    rp.qmin = qmin, rp.qmax = qmax;
    ck_assert(same(rt_fx_relu, ref_relu, &rp, b[0], b[0].s));
    rt_fx_relu_param id = {0}; /* plain ReLU on an unchanged scale */
    id.M = it % 2 ? INT32_C(1) << 30 : 1, id.sh = it % 2 ? 30 : 0;
    id.qmin = qmin, id.qmax = qmax;
    ck_assert(same(rt_fx_relu, ref_relu, &id, b[0], b[0].s));
    /* the plain requantization (M == Mn), identity on both signs, large
     * multipliers (sh < 16), output ranges beyond int16 */
    rt_fx_relu_param rq = rp;
    rq.Mn = rq.M, rq.shn = rq.sh;
    ck_assert(same(rt_fx_relu, ref_relu, &rq, b[0], b[0].s));
    rq.M = rq.Mn = INT32_C(1) << 30, rq.sh = rq.shn = 30;
    ck_assert(same(rt_fx_relu, ref_relu, &rq, b[0], b[0].s));
    rt_fx_multiplier(ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(13, 20)),
                     &rq.M, &rq.sh);
    if (ri(0, 1)) rq.Mn = rq.M, rq.shn = rq.sh;
    ck_assert(same(rt_fx_relu, ref_relu, &rq, b[0], b[0].s));
    rq = rp;
    rq.qmin = (int32_t)ri(-40000, -20000), rq.qmax = (int32_t)ri(20000, 40000);
    ck_assert(same(rt_fx_relu, ref_relu, &rq, b[0], b[0].s));
    int32_t AM[5];
    int8_t Ash[5];
    int64_t AB[5];
    for (int c = 0; c < C; c++) {
      rt_fx_multiplier(m * (double)ri(-100, 100) / 37.0, &AM[c], &Ash[c]);
      AB[c] = ri(-(INT64_C(1) << 40), INT64_C(1) << 40);
    }
    rt_fx_affine_param ap = {1, ri(0, 3) ? C : 1, AM, Ash, AB, qmin, qmax};
    ck_assert(same(rt_fx_affine, ref_affine, &ap, b[0], b[0].s));
    rt_fx_eltwise_param ep;
    memset(&ep, 0, sizeof ep);
    ep.op = (int)ri(0, 2);
    ep.n = (int)ri(2, 3);
    for (int i = 0; i < ep.n; i++)
      rt_fx_multiplier(ldexp(1.0 + (double)ri(-1000, 1000) / 1001.0, (int)ri(-14, 1)),
                       &ep.M[i], &ep.sh[i]);
    ep.shift = (int)ri(0, 40);
    ep.qmin = qmin, ep.qmax = qmax;
    rt_fx_tensor t1 = {b[0].s, xalloc(cnt)}, t2 = {b[0].s, xalloc(cnt)};
    rt_fx_args a1 = {ep.n, 1, b, &t1}, a2 = {ep.n, 1, b, &t2};
    ref_eltwise(&ep, &a2);
    int modes[3], nm = simd_modes(modes);
    for (int i = 0; i < nm; i++) {
      rt_fx_simd = modes[i];
      memset(t1.d, 0x55, (size_t)cnt * 2);
      rt_fx_eltwise(&ep, &a1);
      ck_assert(!memcmp(t1.d, t2.d, (size_t)cnt * 2));
    }
    /* the fused output stage (post) == rt_fx_relu after the kernel */
    rt_fx_args ra2 = {1, 1, &t2, &t2};
    ref_relu(&rp, &ra2);
    ep.post = &rp;
    for (int i = 0; i < nm; i++) {
      rt_fx_simd = modes[i];
      memset(t1.d, 0x55, (size_t)cnt * 2);
      rt_fx_eltwise(&ep, &a1);
      ck_assert(!memcmp(t1.d, t2.d, (size_t)cnt * 2));
    }
    ep.post = NULL;
    rt_fx_simd = -1;
    rt_fx_concat_param cp;
    memset(&cp, 0, sizeof cp);
    cp.axis = 1, cp.n = 2, cp.qmin = qmin, cp.qmax = qmax;
    if (ri(0, 3) == 0) cp.qmin = INT16_MIN, cp.qmax = INT16_MAX; /* a copy */
    for (int i = 0; i < 2; i++)
      rt_fx_multiplier(ri(0, 2) ? 1.0 : m, &cp.M[i], &cp.sh[i]);
    rt_fx_tensor c1 = {rt_shape4(N, 2 * C, H, W), xalloc(2 * cnt)};
    rt_fx_tensor c2 = {c1.s, xalloc(2 * cnt)};
    rt_fx_args ca1 = {2, 1, b, &c1}, ca2 = {2, 1, b, &c2};
    ref_concat(&cp, &ca2);
    for (int i = 0; i < nm; i++) {
      rt_fx_simd = modes[i];
      memset(c1.d, 0x55, (size_t)cnt * 4);
      rt_fx_concat(&cp, &ca1);
      ck_assert(!memcmp(c1.d, c2.d, (size_t)cnt * 4));
    }
    rt_fx_simd = -1;
    free(t1.d), free(t2.d), free(c1.d), free(c2.d);
    for (int i = 0; i < 3; i++) free(x[i]);
  }
}
END_TEST

/* Edges of the int32 decision: 16-bit codes at -32768 make a pair of
 * products 2^31 (a pmaddwd would wrap), a bias at INT32_MAX, and one long
 * InnerProduct row (the sum of |w| is flushed in chunks). */
/* rt_fx_requant_codes against rt_fx_requant, element by element, on every
 * SIMD level: random multipliers (every shift 0..62), code ranges of 2..16
 * bits, lengths around the vector widths. */
START_TEST(requant_codes_random) {
  int modes[3], nm = simd_modes(modes);
  for (int i = 0; i < 3000; i++) {
    int64_t n = ri(0, 3) ? ri(0, 70) : ri(100, 5000);
    int16_t *x = xalloc(n), *y = xalloc(n);
    rcodes(x, n, rbw(), ri(0, 1), (int)ri(0, 30));
    int32_t M;
    int8_t sh8;
    rt_fx_multiplier(ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-40, 8)) *
                         (ri(0, 4) ? 1 : -1), &M, &sh8);
    int sh = ri(0, 9) ? sh8 : (int)ri(0, 62);
    int bw = ri(0, 5) ? rbw() : (int)ri(2, 16);
    int32_t lo = rt_fx_qmin(bw, ri(0, 1)), hi = rt_fx_qmax(bw);
    for (int m = 0; m < nm; m++) {
      rt_fx_simd = modes[m];
      memset(y, 0x55, (size_t)(n > 0 ? n : 1) * sizeof *y);
      rt_fx_requant_codes(x, y, n, M, sh, lo, hi);
      for (int64_t k = 0; k < n; k++) {
        int32_t r = rt_fx_requant(x[k], M, sh, lo, hi);
        if (y[k] != r)
          ck_abort_msg("requant_codes: level %d, n %lld, M %d, sh %d, [%d, %d]: x %d -> %d, want %d",
                       modes[m], (long long)n, M, sh, lo, hi, x[k], y[k], r);
      }
    }
    rt_fx_simd = -1;
    free(x), free(y);
  }
}
END_TEST

/* rt_fx_requant_rows: the codes of rt_fx_requant (rt_fx_requant_codes)
 * with 1, 2 and 3 threads, on tensors large enough to be split by rows
 * (and small ones, which stay serial). */
START_TEST(requant_rows_threads) {
  for (int i = 0; i < 60; i++) {
    int64_t P = ri(1, 12), R = ri(1, 70), Wd = ri(1, 90), n = P * R * Wd;
    int16_t *x = xalloc(n), *y = xalloc(n);
    rcodes(x, n, rbw(), ri(0, 1), (int)ri(0, 30));
    int32_t M;
    int8_t sh;
    rt_fx_multiplier(ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-20, 4)), &M, &sh);
    int32_t lo = rt_fx_qmin(8, 1), hi = rt_fx_qmax(8);
    for (int nt = 1; nt <= 3; nt++) {
      rt_par_pool *pool = nt > 1 ? rt_par_open(nt, 0) : NULL;
      rt_par_use(pool);
      memset(y, 0x55, (size_t)n * sizeof *y);
      rt_fx_requant_rows(x, y, P, R, Wd, M, sh, lo, hi);
      rt_par_use(NULL);
      rt_par_close(pool);
      for (int64_t k = 0; k < n; k++)
        if (y[k] != rt_fx_requant(x[k], M, sh, lo, hi))
          ck_abort_msg("requant_rows: %d threads, %lldx%lldx%lld, element %lld", nt, (long long)P,
                       (long long)R, (long long)Wd, (long long)k);
    }
    free(x), free(y);
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
  tcase_add_test(tc, pool_random);
  tcase_add_test(tc, elementwise_random);
  tcase_add_test(tc, requant_codes_random);
  tcase_add_test(tc, requant_rows_threads);
  tcase_add_test(tc, pack8_contract);
  tcase_add_test(tc, edges);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
