/* test_fixed_fast_elem.c - the blocked integer kernels of
 * runtime/rt_fx_pool.c and rt_fx_elem.c (rt_fx_pool; the inlined
 * requantization of ReLU, affine, Eltwise, Concat; rt_fx_requant_codes and
 * rt_fx_requant_rows) against the original per-pixel reference loops kept
 * here verbatim, bit for bit, on thousands of random layers: 6/8/16-bit
 * codes, every SIMD level the CPU has, 1 to 3 threads.  Convolution,
 * Deconvolution and InnerProduct are test_fixed_fast.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"
#include "../runtime/rt_par.h"
#include "fx_fast_common.h"

/* ---- the reference kernels (the pre-blocking implementation) ---- */

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

/* ---- the tests: random layers ---- */

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

/* A random ReLU requantization from multiplier m (negative side: a
 * fraction of it, possibly negative) into [qmin, qmax]. */
static rt_fx_relu_param rand_relu(double m, int32_t qmin, int32_t qmax) {
  rt_fx_relu_param rp = {0};
  rt_fx_multiplier(m, &rp.M, &rp.sh);
  rt_fx_multiplier(m * (double)ri(-100, 100) / 100.0, &rp.Mn, &rp.shn);
  rp.qmin = qmin, rp.qmax = qmax;
  return rp;
}

/* A random Eltwise (SUM / PROD / MAX) of nmin..nmax inputs into
 * [qmin, qmax], without a post step. */
static rt_fx_eltwise_param rand_eltwise(int nmin, int nmax, int32_t qmin, int32_t qmax) {
  rt_fx_eltwise_param ep;
  memset(&ep, 0, sizeof ep);
  ep.op = (int)ri(0, 2);
  ep.n = (int)ri(nmin, nmax);
  for (int i = 0; i < ep.n; i++)
    rt_fx_multiplier(ldexp(1.0 + (double)ri(-1000, 1000) / 1001.0, (int)ri(-14, 1)),
                     &ep.M[i], &ep.sh[i]);
  ep.shift = (int)ri(0, 40);
  ep.qmin = qmin, ep.qmax = qmax;
  return ep;
}

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
    rt_fx_relu_param rp = rand_relu(m, qmin, qmax);
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
    rt_fx_eltwise_param ep = rand_eltwise(2, 3, qmin, qmax);
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

/* rt_fx_eltwise (with and without its fused post step) and rt_fx_relu
 * with 1, 2 and 3 threads on tensors large enough to be split over the
 * pool (spans of the flat tensor), against the reference loops. */
START_TEST(eltwise_threads) {
  for (int it = 0; it < 24; it++) {
    int C = (int)ri(1, 16), H = (int)ri(8, 64), W = (int)ri(8, 70);
    int64_t cnt = (int64_t)C * H * W;
    int bw = rbw();
    int32_t qmin = rt_fx_qmin(bw, ri(0, 1)), qmax = rt_fx_qmax(bw);
    rt_fx_tensor b[2];
    for (int i = 0; i < 2; i++) {
      b[i] = (rt_fx_tensor){rt_shape4(1, C, H, W), xalloc(cnt)};
      rcodes(b[i].d, cnt, rbw(), ri(0, 1), 10);
    }
    rt_fx_eltwise_param ep = rand_eltwise(2, 2, qmin, qmax);
    rt_fx_relu_param rp = rand_relu(ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-12, 3)),
                                    qmin, qmax);
    rt_fx_tensor ref = {b[0].s, xalloc(cnt)}, refp = {b[0].s, xalloc(cnt)};
    rt_fx_tensor refr = {b[0].s, xalloc(cnt)}, got = {b[0].s, xalloc(cnt)};
    rt_fx_args ra = {2, 1, b, &ref}, rr = {1, 1, b, &refr};
    ref_eltwise(&ep, &ra);
    memcpy(refp.d, ref.d, (size_t)cnt * 2);
    rt_fx_args rpa = {1, 1, &refp, &refp};
    ref_relu(&rp, &rpa);
    ref_relu(&rp, &rr);
    rt_fx_args ga = {2, 1, b, &got}, gr = {1, 1, b, &got};
    for (int nt = 1; nt <= 3; nt++) {
      rt_par_pool *pool = nt > 1 ? rt_par_open(nt, 0) : NULL;
      rt_par_use(pool);
      ep.post = NULL;
      memset(got.d, 0x55, (size_t)cnt * 2);
      rt_fx_eltwise(&ep, &ga);
      ck_assert_msg(!memcmp(got.d, ref.d, (size_t)cnt * 2), "eltwise, %d threads", nt);
      ep.post = &rp;
      memset(got.d, 0x55, (size_t)cnt * 2);
      rt_fx_eltwise(&ep, &ga);
      ck_assert_msg(!memcmp(got.d, refp.d, (size_t)cnt * 2), "eltwise + post, %d threads", nt);
      memset(got.d, 0x55, (size_t)cnt * 2);
      rt_fx_relu(&rp, &gr);
      ck_assert_msg(!memcmp(got.d, refr.d, (size_t)cnt * 2), "relu, %d threads", nt);
      rt_par_use(NULL);
      rt_par_close(pool);
    }
    free(b[0].d), free(b[1].d), free(ref.d), free(refp.d), free(refr.d), free(got.d);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("fixed_fast_elem");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, pool_random);
  tcase_add_test(tc, elementwise_random);
  tcase_add_test(tc, requant_codes_random);
  tcase_add_test(tc, requant_rows_threads);
  tcase_add_test(tc, eltwise_threads);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
