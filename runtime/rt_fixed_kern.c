/* rt_fixed_kern.c - integer reference kernels of the fixed-point contract.
 * Integer arithmetic only; each kernel states its formula in rt_fixed.h and
 * docs/fixed-point.md.  Accumulation is done in int64 (identical to int32
 * when the prepared layer has acc64 == false, by the proven bound). */
#include <string.h>

#include "rt_fixed.h"

#define D4(t, i) rt_shape_dim4(&(t)->s, (i))
#define IDENT(M, sh) ((M) == RT_FX_ONE_M && (sh) == RT_FX_ONE_SH)

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
void rt_fx_conv(const void *param, const rt_fx_args *a) {
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
void rt_fx_deconv(const void *param, const rt_fx_args *a) {
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
void rt_fx_ip(const void *param, const rt_fx_args *a) {
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
void rt_fx_pool(const void *param, const rt_fx_args *a) {
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

void rt_fx_relu(const void *param, const rt_fx_args *a) {
  const rt_fx_relu_param *p = param;
  int64_t n = rt_shape_count(&a->b[0].s);
  const int16_t *x = a->b[0].d;
  int16_t *y = a->t[0].d;
  for (int64_t i = 0; i < n; i++)
    y[i] = (int16_t)(x[i] >= 0
                         ? rt_fx_requant(x[i], p->M, p->sh, p->qmin, p->qmax)
                         : rt_fx_requant(x[i], p->Mn, p->shn, p->qmin, p->qmax));
}

void rt_fx_affine(const void *param, const rt_fx_args *a) {
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

void rt_fx_eltwise(const void *param, const rt_fx_args *a) {
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

void rt_fx_concat(const void *param, const rt_fx_args *a) {
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

/* Permute: t[0] dim k is b[0] dim order[k]; codes copied unchanged. */
void rt_fx_permute(const void *param, const rt_fx_args *a) {
  const rt_permute_param *p = param;
  const rt_shape *bs = &a->b[0].s;
  int nd = bs->nd;
  int64_t st[RT_MAXDIM], ost[RT_MAXDIM], idx[RT_MAXDIM], dim[RT_MAXDIM];
  int64_t s = 1;
  for (int k = nd - 1; k >= 0; k--) {
    st[k] = s;
    s *= bs->d[k];
  }
  for (int k = 0; k < nd; k++) {
    int src = k < p->norder ? p->order[k] : k;
    ost[k] = st[src];
    dim[k] = bs->d[src];
    idx[k] = 0;
  }
  int64_t cnt = rt_shape_count(bs), src = 0;
  const int16_t *x = a->b[0].d;
  int16_t *y = a->t[0].d;
  for (int64_t j = 0; j < cnt; j++) {
    y[j] = x[src];
    for (int k = nd - 1; k >= 0; k--) {
      src += ost[k];
      if (++idx[k] < dim[k]) break;
      src -= ost[k] * dim[k];
      idx[k] = 0;
    }
  }
}

void rt_fx_copy(const void *param, const rt_fx_args *a) {
  (void)param;
  int64_t n = rt_shape_count(&a->b[0].s);
  if (a->t[0].d != a->b[0].d && n > 0)
    memcpy(a->t[0].d, a->b[0].d, (size_t)n * sizeof(int16_t));
}
