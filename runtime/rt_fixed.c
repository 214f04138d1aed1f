/* rt_fixed.c - the fixed-point contract's scalar rules, the prepare step
 * (float weights and scales -> integer parameters) and the float helpers
 * the compiler uses before quantization.  See docs/fixed-point.md.  Plain
 * C with no SIMD and no calls into the kernel files (the boundary kernels
 * are in rt_fx_quant.c). */
#include "rt_fixed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool bw_ok(int bw) { return bw >= RT_FX_MINBW && bw <= RT_FX_MAXBW; }

static bool scale_ok(double s) { return isfinite(s) && s > 0; }

static bool q_ok(const rt_fx_q *q) { return q && bw_ok(q->bw) && scale_ok(q->scale); }

rt_fx_q rt_fx_q_threshold(float th, int bw) {
  rt_fx_q q = {bw, true, 0};
  if (bw_ok(bw)) q.scale = (double)th / (double)rt_fx_qmax(bw);
  return q;
}

rt_fx_q rt_fx_q_dfixed(int bw, int fl) {
  rt_fx_q q = {bw, false, ldexp(1.0, -fl)};
  return q;
}

int32_t rt_fx_qmin(int bw, bool sym) {
  return sym ? -rt_fx_qmax(bw) : -(INT32_C(1) << (bw - 1));
}

int32_t rt_fx_qmax(int bw) { return (INT32_C(1) << (bw - 1)) - 1; }

int64_t rt_fx_round(double v) {
  const double lim = 4611686018427387904.0; /* 2^62 */
  if (isnan(v)) return 0;
  double r = round(v);
  if (r >= lim) return INT64_C(1) << 62;
  if (r <= -lim) return -(INT64_C(1) << 62);
  return (int64_t)r;
}

static int32_t clamp32(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

int32_t rt_fx_quantize1(double x, double scale, int32_t qmin, int32_t qmax) {
  return clamp32(rt_fx_round(x / scale), qmin, qmax);
}

int rt_fx_multiplier(double m, int32_t *M, int8_t *sh) {
  *M = 0;
  *sh = 0;
  if (isnan(m)) return -1;
  if (m == 0) return 0;
  if (isinf(m)) {
    *M = m > 0 ? INT32_MAX : -INT32_MAX;
    return 2;
  }
  int e;
  double f = frexp(m, &e); /* 0.5 <= |f| < 1, exact */
  int64_t q = (int64_t)round(ldexp(f, 31)); /* 2^30 <= |q| <= 2^31 */
  if (q == (INT64_C(1) << 31) || q == -(INT64_C(1) << 31)) {
    q /= 2;
    e++;
  }
  int s = 31 - e;
  if (s > 62) return 1;
  if (s < 0) {
    *M = m > 0 ? INT32_MAX : -INT32_MAX;
    return 2;
  }
  *M = (int32_t)q;
  *sh = (int8_t)s;
  return 0;
}

int64_t rt_fx_rshift(int64_t x, int sh) {
  if (sh <= 0) return x;
  return (x + (INT64_C(1) << (sh - 1)) - (x < 0)) >> sh;
}

/* |acc| * |M| as a 128-bit (hi, lo) pair, rounded half up by 2^-sh; the
 * magnitude is saturated at 2^62. */
static int64_t mag_mulshift(uint64_t a, uint64_t m, int sh) {
  uint64_t al = a & 0xffffffffu, ah = a >> 32;
  uint64_t t1 = al * m, t2 = ah * m; /* each < 2^63 since m < 2^31 */
  uint64_t lo = t1 + (t2 << 32);
  uint64_t hi = (t2 >> 32) + (lo < t1);
  if (sh > 0) {
    uint64_t h = UINT64_C(1) << (sh - 1);
    uint64_t lo2 = lo + h;
    hi += lo2 < lo;
    lo = (lo2 >> sh) | (hi << (64 - sh));
    hi >>= sh;
  }
  if (hi || lo > (UINT64_C(1) << 62)) return INT64_C(1) << 62;
  return (int64_t)lo;
}

int32_t rt_fx_requant(int64_t acc, int32_t M, int sh, int32_t qmin,
                      int32_t qmax) {
  const int64_t lim = INT64_C(1) << 31;
  int64_t r;
  if (acc >= -lim && acc <= lim) {
    r = rt_fx_rshift(acc * M, sh); /* |acc * M| < 2^62 */
  } else {
    uint64_t a = acc < 0 ? 0 - (uint64_t)acc : (uint64_t)acc;
    uint64_t m = M < 0 ? 0 - (uint64_t)(int64_t)M : (uint64_t)M;
    r = mag_mulshift(a, m, sh);
    if ((acc < 0) != (M < 0)) r = -r;
  }
  return clamp32(r, qmin, qmax);
}

void rt_fx_wscales_threshold(const float *th, int n, int bw, double *scale) {
  for (int i = 0; i < n; i++) scale[i] = (double)th[i] / (double)rt_fx_qmax(bw);
}

/* ---- prepare ---- */

/* Maps weight element e to its output channel for one weight layout. */
typedef struct wmap {
  int kind; /* 0: out-major (conv, ip), 1: deconv, 2: ip transposed */
  int64_t per; /* out-major: weights per channel */
  int opg, cpg, khw; /* deconv */
  int nout; /* transposed ip */
} wmap;

static int wchan(const wmap *m, int64_t e) {
  switch (m->kind) {
  case 0: return (int)(e / m->per);
  case 1: {
    int64_t r = e / m->khw; /* ic * opg + ol */
    int ic = (int)(r / m->opg), ol = (int)(r % m->opg);
    return (ic / m->cpg) * m->opg + ol;
  }
  default: return (int)(e % m->nout);
  }
}

/* Sum of |code| over the weights of output channel c. */
static int64_t sum_abs(const wmap *m, const int16_t *w, int c) {
  int64_t s = 0;
  if (m->kind == 0) {
    for (int64_t i = 0; i < m->per; i++) s += abs(w[c * m->per + i]);
  } else if (m->kind == 2) {
    for (int64_t k = 0; k < m->per; k++) s += abs(w[k * m->nout + c]);
  } else {
    int g = c / m->opg, ol = c % m->opg;
    for (int icl = 0; icl < m->cpg; icl++) {
      int64_t base = ((int64_t)(g * m->cpg + icl) * m->opg + ol) * m->khw;
      for (int i = 0; i < m->khw; i++) s += abs(w[base + i]);
    }
  }
  return s;
}

/* Shared by conv, deconv and ip: quantizes weights and bias, derives the
 * per-channel multipliers and decides the accumulator width. */
static int prepare_mac(int nout, int64_t nw, const wmap *map, const float *w,
                       const float *b, const rt_fx_q *in, const rt_fx_wq *wq,
                       const rt_fx_q *out, int relu, float slope,
                       const rt_fx_mac_store *st, const int64_t **biasp,
                       rt_fx_outq *q, bool *acc64, int64_t *bound) {
  if (!q_ok(in) || !q_ok(out) || !wq || !bw_ok(wq->bw) || nout <= 0 || !st ||
      !st->w || !st->M || !st->sh || (b && !st->bias) ||
      relu < RT_FX_RELU_NONE || relu > RT_FX_LEAKY ||
      (relu == RT_FX_LEAKY && (!st->Mn || !st->shn || !isfinite(slope))))
    return -1;
  /* A channel whose multiplier s_in s_w / s_out is below the smallest one
   * there is (2^-32: rt_fx_multiplier returns 1; e.g. a BatchNorm gamma
   * near 0 folded into it) would get multiplier 0, so output 0 whatever
   * its bias.  It is computed in output steps instead: weight scale
   * s_out / s_in, multiplier 1.  Its weights, each below 127 * 2^-32
   * output steps, then round to code 0, and its bias keeps its value.
   * Such channels are marked sh = -1 until their multiplier is set. */
  for (int c = 0; c < nout; c++) {
    if (!scale_ok(wq->scale[c])) return -1;
    int r = rt_fx_multiplier(in->scale * wq->scale[c] / out->scale, &st->M[c], &st->sh[c]);
    if (r < 0) return -1;
    if (r == 1) st->sh[c] = -1;
  }
  double unit = out->scale / in->scale;
  int32_t wlo = rt_fx_qmin(wq->bw, wq->sym), whi = rt_fx_qmax(wq->bw);
  for (int64_t e = 0; e < nw; e++) {
    int c = wchan(map, e);
    st->w[e] = (int16_t)rt_fx_quantize1((double)w[e], st->sh[c] < 0 ? unit : wq->scale[c],
                                        wlo, whi);
  }
  int64_t xmax = -(int64_t)rt_fx_qmin(in->bw, in->sym);
  int64_t best = 0;
  for (int c = 0; c < nout; c++) {
    double sacc = in->scale * (st->sh[c] < 0 ? unit : wq->scale[c]);
    double m = sacc / out->scale;
    if (rt_fx_multiplier(m, &st->M[c], &st->sh[c]) < 0) return -1;
    if (relu == RT_FX_LEAKY &&
        rt_fx_multiplier(m * (double)slope, &st->Mn[c], &st->shn[c]) < 0)
      return -1;
    if (relu == RT_FX_RELU && st->Mn) st->Mn[c] = 0, st->shn[c] = 0;
    if (b) {
      int64_t v = rt_fx_round((double)b[c] / sacc);
      if (v > RT_FX_BIAS_MAX) v = RT_FX_BIAS_MAX;
      if (v < -RT_FX_BIAS_MAX) v = -RT_FX_BIAS_MAX;
      st->bias[c] = v;
    }
  }
  /* |acc_c| <= xmax * sum |w_c| + |bias_c| */
  for (int c = 0; c < nout; c++) {
    int64_t s = sum_abs(map, st->w, c);
    if (s > (INT64_C(1) << 62) / (xmax ? xmax : 1)) return -1;
    int64_t bd = s * xmax;
    if (b) bd += st->bias[c] < 0 ? -st->bias[c] : st->bias[c];
    if (bd > (INT64_C(1) << 62)) return -1;
    if (bd > best) best = bd;
  }
  *biasp = b ? st->bias : NULL;
  q->M = st->M;
  q->sh = st->sh;
  q->Mn = relu == RT_FX_LEAKY ? st->Mn : NULL;
  q->shn = relu == RT_FX_LEAKY ? st->shn : NULL;
  q->relu = relu;
  q->qmin = rt_fx_qmin(out->bw, out->sym);
  q->qmax = rt_fx_qmax(out->bw);
  *acc64 = best > INT32_MAX;
  *bound = best;
  return 0;
}

static bool geom_ok(const rt_conv_param *g, int cin) {
  return g && g->group > 0 && g->num_output > 0 && cin > 0 &&
         cin % g->group == 0 && g->num_output % g->group == 0 && g->kh > 0 &&
         g->kw > 0;
}

int rt_fx_prepare_conv(rt_fx_conv_param *p, const rt_conv_param *g, int cin,
                       const float *w, const float *b, const rt_fx_q *in,
                       const rt_fx_wq *wq, const rt_fx_q *out, int relu,
                       float slope, const rt_fx_mac_store *st) {
  if (!geom_ok(g, cin)) return -1;
  wmap m = {0};
  m.per = (int64_t)(cin / g->group) * g->kh * g->kw;
  memset(p, 0, sizeof *p); /* the optional w8, acc0, wabs: none */
  p->g = *g;
  p->cin = cin;
  p->w = st ? st->w : NULL;
  return prepare_mac(g->num_output, m.per * g->num_output, &m, w, b, in, wq,
                     out, relu, slope, st, &p->bias, &p->q, &p->acc64,
                     &p->acc_bound);
}

int rt_fx_prepare_deconv(rt_fx_conv_param *p, const rt_conv_param *g, int cin,
                         const float *w, const float *b, const rt_fx_q *in,
                         const rt_fx_wq *wq, const rt_fx_q *out, int relu,
                         float slope, const rt_fx_mac_store *st) {
  if (!geom_ok(g, cin)) return -1;
  wmap m = {0};
  m.kind = 1;
  m.opg = g->num_output / g->group;
  m.cpg = cin / g->group;
  m.khw = g->kh * g->kw;
  memset(p, 0, sizeof *p);
  p->g = *g;
  p->cin = cin;
  p->w = st ? st->w : NULL;
  return prepare_mac(g->num_output, (int64_t)cin * m.opg * m.khw, &m, w, b, in,
                     wq, out, relu, slope, st, &p->bias, &p->q, &p->acc64,
                     &p->acc_bound);
}

int rt_fx_prepare_ip(rt_fx_ip_param *p, const rt_ip_param *g, int K,
                     const float *w, const float *b, const rt_fx_q *in,
                     const rt_fx_wq *wq, const rt_fx_q *out, int relu,
                     float slope, const rt_fx_mac_store *st) {
  if (!g || K <= 0 || g->num_output <= 0) return -1;
  wmap m = {0};
  m.kind = g->transpose ? 2 : 0;
  m.per = K;
  m.nout = g->num_output;
  p->g = *g;
  p->K = K;
  p->w = st ? st->w : NULL;
  p->wabs = NULL;
  return prepare_mac(g->num_output, (int64_t)K * g->num_output, &m, w, b, in,
                     wq, out, relu, slope, st, &p->bias, &p->q, &p->acc64,
                     &p->acc_bound);
}

int rt_fx_prepare_pool(rt_fx_pool_param *p, const rt_pool_param *g,
                       const rt_fx_q *in, const rt_fx_q *out) {
  if (!g || !q_ok(in) || !q_ok(out)) return -1;
  p->g = *g;
  if (rt_fx_multiplier(in->scale / out->scale, &p->M, &p->sh) < 0) return -1;
  p->qmin = rt_fx_qmin(out->bw, out->sym);
  p->qmax = rt_fx_qmax(out->bw);
  return 0;
}

int rt_fx_prepare_relu(rt_fx_relu_param *p, float slope, const rt_fx_q *in,
                       const rt_fx_q *out) {
  if (!q_ok(in) || !q_ok(out) || !isfinite(slope)) return -1;
  double m = in->scale / out->scale;
  if (rt_fx_multiplier(m, &p->M, &p->sh) < 0 ||
      rt_fx_multiplier(m * (double)slope, &p->Mn, &p->shn) < 0)
    return -1;
  p->qmin = rt_fx_qmin(out->bw, out->sym);
  p->qmax = rt_fx_qmax(out->bw);
  return 0;
}

int rt_fx_prepare_affine(rt_fx_affine_param *p, int axis, int nch,
                         const float *a, const float *b, const rt_fx_q *in,
                         const rt_fx_q *out, int32_t *M, int8_t *sh,
                         int64_t *B) {
  if (!q_ok(in) || !q_ok(out) || nch <= 0 || axis < 0) return -1;
  for (int c = 0; c < nch; c++) {
    if (!isfinite(a[c]) || (b && !isfinite(b[c]))) return -1;
    if (rt_fx_multiplier((double)a[c] * in->scale / out->scale, &M[c],
                         &sh[c]) < 0)
      return -1;
    int64_t v = b ? rt_fx_round(ldexp((double)b[c] / out->scale, sh[c])) : 0;
    B[c] = v > RT_FX_BIAS_MAX ? RT_FX_BIAS_MAX
           : v < -RT_FX_BIAS_MAX ? -RT_FX_BIAS_MAX : v;
  }
  p->axis = axis;
  p->nch = nch;
  p->M = M;
  p->sh = sh;
  p->B = B;
  p->qmin = rt_fx_qmin(out->bw, out->sym);
  p->qmax = rt_fx_qmax(out->bw);
  return 0;
}

int rt_fx_prepare_eltwise(rt_fx_eltwise_param *p, int op, int n,
                          const float *coeff, const rt_fx_q *in,
                          const rt_fx_q *out) {
  if (n < 1 || n > RT_MAXLIST || !q_ok(out) ||
      (op != RT_ELT_SUM && op != RT_ELT_PROD && op != RT_ELT_MAX))
    return -1;
  for (int i = 0; i < n; i++)
    if (!q_ok(&in[i])) return -1;
  p->op = op;
  p->n = n;
  p->shift = 0;
  p->post = NULL;
  for (int i = 0; i < RT_MAXLIST; i++) p->M[i] = 0, p->sh[i] = 0;
  if (op == RT_ELT_SUM) {
    double m[RT_MAXLIST], big = 0;
    for (int i = 0; i < n; i++) {
      double c = coeff ? (double)coeff[i] : 1.0;
      if (!isfinite(c)) return -1;
      m[i] = c * in[i].scale / out->scale;
      if (fabs(m[i]) > big) big = fabs(m[i]);
    }
    int32_t Mb;
    int8_t s;
    if (rt_fx_multiplier(big, &Mb, &s) < 0) return -1;
    p->shift = s;
    for (int i = 0; i < n; i++) {
      int64_t v = Mb == 0 ? 0 : rt_fx_round(ldexp(m[i], s));
      p->M[i] = v > INT32_MAX ? INT32_MAX : v < -INT32_MAX ? -INT32_MAX
                                                           : (int32_t)v;
    }
  } else if (op == RT_ELT_PROD) {
    if (n >= 2 && rt_fx_multiplier(in[0].scale * in[1].scale / out->scale,
                                   &p->M[1], &p->sh[1]) < 0)
      return -1;
    if (n == 1 && rt_fx_multiplier(in[0].scale / out->scale, &p->M[0],
                                   &p->sh[0]) < 0)
      return -1;
    for (int i = 2; i < n; i++)
      if (rt_fx_multiplier(in[i].scale, &p->M[i], &p->sh[i]) < 0) return -1;
  } else {
    for (int i = 0; i < n; i++)
      if (rt_fx_multiplier(in[i].scale / out->scale, &p->M[i], &p->sh[i]) < 0)
        return -1;
  }
  p->qmin = rt_fx_qmin(out->bw, out->sym);
  p->qmax = rt_fx_qmax(out->bw);
  return 0;
}

int rt_fx_prepare_concat(rt_fx_concat_param *p, int axis, int n,
                         const rt_fx_q *in, const rt_fx_q *out) {
  if (n < 1 || n > RT_MAXLIST || axis < 0 || !q_ok(out)) return -1;
  p->axis = axis;
  p->n = n;
  for (int i = 0; i < RT_MAXLIST; i++) p->M[i] = 0, p->sh[i] = 0;
  for (int i = 0; i < n; i++)
    if (!q_ok(&in[i]) ||
        rt_fx_multiplier(in[i].scale / out->scale, &p->M[i], &p->sh[i]) < 0)
      return -1;
  p->qmin = rt_fx_qmin(out->bw, out->sym);
  p->qmax = rt_fx_qmax(out->bw);
  return 0;
}

int rt_fx_prepare_quant(rt_fx_quant_param *p, const rt_fx_q *q) {
  if (!q_ok(q)) return -1;
  p->scale = q->scale;
  p->qmin = rt_fx_qmin(q->bw, q->sym);
  p->qmax = rt_fx_qmax(q->bw);
  return 0;
}

/* ---- float helpers ---- */

void rt_fx_bn_affine(int nch, const float *mean, const float *var,
                     float factor, float eps, const float *gamma,
                     const float *beta, float *a, float *b) {
  double f = factor == 0 ? 0.0 : 1.0 / (double)factor;
  for (int c = 0; c < nch; c++) {
    double mu = (double)mean[c] * f, v = (double)var[c] * f;
    double k = (gamma ? (double)gamma[c] : 1.0) / sqrt(v + (double)eps);
    a[c] = (float)k;
    b[c] = (float)((beta ? (double)beta[c] : 0.0) - mu * k);
  }
}

void rt_fx_fold_bn(int nout, int64_t per, float *w, float *b,
                   const float *mean, const float *var, float factor,
                   float eps, const float *gamma, const float *beta) {
  double f = factor == 0 ? 0.0 : 1.0 / (double)factor;
  for (int c = 0; c < nout; c++) {
    double mu = (double)mean[c] * f, v = (double)var[c] * f;
    double k = (gamma ? (double)gamma[c] : 1.0) / sqrt(v + (double)eps);
    float *wc = w + (int64_t)c * per;
    for (int64_t i = 0; i < per; i++) wc[i] = (float)((double)wc[i] * k);
    b[c] = (float)(((double)b[c] - mu) * k + (beta ? (double)beta[c] : 0.0));
  }
}
