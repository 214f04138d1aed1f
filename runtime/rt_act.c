/* rt_act.c - float kernels of the activation and arithmetic kinds of
 * issue 13: BNLL, ELU, Exp, Log, Threshold, Clip, ReLU6, Swish (BVLC
 * Caffe's formulas), BN of the SegNet/ENet fork and Axpy (SENet ports,
 * waifu2x-caffe).
 *
 * The one-bottom kernels read element i before writing element i, and BN
 * reads a whole channel before writing it, so all of them are safe when
 * a->t[0].d aliases a->b[0].d (in-place execution).  Axpy's top may alias
 * its bottom x or y for the same reason. */
#include <math.h>
#include <stdint.h>

#include "rt_layers.h"

/* BNLL: y = x > 0 ? x + log(1 + exp(-x)) : log(1 + exp(x)), i.e.
 * max(x, 0) + log1p(exp(-|x|)), which never overflows. */
void rt_bnll_f32(const void *param, const rt_args *a) {
  (void)param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    y[i] = (v > 0.0f ? v : 0.0f) + log1pf(expf(-fabsf(v)));
  }
}

/* ELU: y = x > 0 ? x : alpha * (exp(x) - 1). */
void rt_elu_f32(const void *param, const rt_args *a) {
  const rt_elu_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    y[i] = v > 0.0f ? v : p->alpha * expm1f(v);
  }
}

/* Exp: y = base ^ (shift + scale * x) computed as Caffe's ExpLayer does,
 * outer * exp(inner * x) with inner = ln(base) * scale and outer =
 * base ^ shift (1 when shift is 0); base -1 means e. */
void rt_exp_f32(const void *param, const rt_args *a) {
  const rt_explog_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  bool e = p->base == -1.0f;
  float inner = (e ? 1.0f : logf(p->base)) * p->scale;
  float outer = p->shift == 0.0f ? 1.0f : e ? expf(p->shift) : powf(p->base, p->shift);
  for (int64_t i = 0; i < n; i++) y[i] = outer * expf(inner * x[i]);
}

/* Log: y = log(shift + scale * x) / ln(base) as Caffe's LogLayer does
 * (multiplied by 1 / ln(base); base -1 means e, no factor). */
void rt_log_f32(const void *param, const rt_args *a) {
  const rt_explog_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  float bs = p->base == -1.0f ? 1.0f : 1.0f / logf(p->base);
  float sc = p->scale, sh = p->shift;
  for (int64_t i = 0; i < n; i++) {
    float v = sc == 1.0f && sh == 0.0f ? logf(x[i]) : logf(sc * x[i] + sh);
    y[i] = bs == 1.0f ? v : v * bs;
  }
}

/* Threshold: y = x > threshold ? 1 : 0 (NaN gives 0). */
void rt_threshold_f32(const void *param, const rt_args *a) {
  const rt_threshold_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) y[i] = x[i] > p->threshold ? 1.0f : 0.0f;
}

/* Clip: y = max(min, min(x, max)) + negative_slope * min(x, 0). */
void rt_clip_f32(const void *param, const rt_args *a) {
  const rt_clip_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  float lo = p->min, hi = p->max, s = p->negative_slope;
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float c = v < hi ? v : hi;
    c = c > lo ? c : lo;
    y[i] = s != 0.0f && v < 0.0f ? c + s * v : c;
  }
}

/* ReLU6: the clip of rt_clip_param (min 0, max 6, the fork's slope). */
void rt_relu6_f32(const void *param, const rt_args *a) { rt_clip_f32(param, a); }

/* Swish: y = x * sigmoid(beta * x) = x / (1 + exp(-beta * x)). */
void rt_swish_f32(const void *param, const rt_args *a) {
  const rt_swish_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-p->beta * x[i]));
}

/* BN of the SegNet/ENet fork, channels on axis 1, any trailing dims:
 * y = scale[c] * xn + shift[c] with xn = x (INFERENCE) or, in LEARN mode,
 * xn = (x - m) / sqrt(v + 1e-9) with m, v the mean and the variance
 * E[x^2] - m^2 of channel c over the batch and the trailing dims of this
 * input (accumulated in double). */
void rt_bnseg_f32(const void *param, const rt_args *a) {
  const rt_bnseg_param *p = param;
  const rt_shape *s = &a->b[0].s;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  const float *sc = a->w[0].d, *sh = a->w[1].d;
  int64_t nb = s->nd > 0 ? s->d[0] : 1;
  int64_t c = s->nd > 1 ? s->d[1] : 1;
  int64_t in = rt_shape_count_range(s, 2, s->nd);
  for (int64_t k = 0; k < c; k++) {
    float m = 0.0f, inv = 1.0f;
    if (p->mode == RT_BNSEG_LEARN && nb * in > 0) {
      double s1 = 0.0, s2 = 0.0;
      for (int64_t b = 0; b < nb; b++) {
        const float *xp = x + (b * c + k) * in;
        for (int64_t i = 0; i < in; i++) s1 += xp[i], s2 += (double)xp[i] * xp[i];
      }
      double mean = s1 / (double)(nb * in);
      double var = s2 / (double)(nb * in) - mean * mean;
      m = (float)mean;
      inv = (float)(1.0 / sqrt(var + 1e-9));
    }
    float g = sc[k] * inv, bb = sh[k];
    for (int64_t b = 0; b < nb; b++) {
      int64_t o = (b * c + k) * in;
      for (int64_t i = o; i < o + in; i++) y[i] = p->mode == RT_BNSEG_LEARN
                                                      ? (x[i] - m) * g + bb
                                                      : sc[k] * x[i] + bb;
    }
  }
}

/* Axpy: top = a[n][c] * x + y, a of N x C (x 1 x 1), x and y of one shape
 * N x C x ... */
void rt_axpy_f32(const void *param, const rt_args *a) {
  (void)param;
  const rt_shape *s = &a->b[1].s;
  const float *av = a->b[0].d, *x = a->b[1].d, *yv = a->b[2].d;
  float *t = a->t[0].d;
  int64_t nc = rt_shape_count_range(s, 0, s->nd < 2 ? s->nd : 2);
  int64_t in = rt_shape_count_range(s, s->nd < 2 ? s->nd : 2, s->nd);
  for (int64_t j = 0; j < nc; j++) {
    float f = av[j];
    for (int64_t i = j * in; i < (j + 1) * in; i++) t[i] = f * x[i] + yv[i];
  }
}
