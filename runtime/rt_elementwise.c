/* rt_elementwise.c - element-wise and per-channel float kernels: the
 * activations, Power, BatchNorm, Scale, Bias, Eltwise.
 *
 * Every kernel reads element i before writing element i, so they are safe
 * when a->t[0].d aliases a->b[0].d (in-place execution). */
#include <math.h>
#include <stdint.h>

#include "rt_layers.h"

/* ReLU: y = max(x, 0) + negative_slope * min(x, 0) (Caffe's formula). */
void rt_relu_f32(const void *param, const rt_args *a) {
  const rt_relu_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  float s = p->negative_slope;
  if (s == 0.0f) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  } else {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : s * x[i];
  }
}

/* PReLU: slope w[0][c] per channel c = axis 1 (or w[0][0] for all when
 * channel_shared); any number of trailing dims. */
void rt_prelu_f32(const void *param, const rt_args *a) {
  const rt_prelu_param *p = param;
  const rt_shape *s = &a->b[0].s;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  const float *w = a->w[0].d;
  int64_t nb = s->nd > 0 ? s->d[0] : 1;
  int64_t c = s->nd > 1 ? s->d[1] : 1;
  int64_t in = rt_shape_count_range(s, 2, s->nd);
  for (int64_t b = 0; b < nb; b++)
    for (int64_t k = 0; k < c; k++) {
      float sl = w[p->channel_shared ? 0 : k];
      int64_t o = (b * c + k) * in;
      for (int64_t i = o; i < o + in; i++) y[i] = x[i] > 0.0f ? x[i] : sl * x[i];
    }
}

/* y = |x|; safe in place. */
void rt_absval_f32(const void *param, const rt_args *a) {
  (void)param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) y[i] = fabsf(x[i]);
}

void rt_sigmoid_f32(const void *param, const rt_args *a) {
  (void)param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void rt_tanh_f32(const void *param, const rt_args *a) {
  (void)param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

/* Power: y = (shift + scale * x) ^ power; power 1 and 2 avoid powf. */
void rt_power_f32(const void *param, const rt_args *a) {
  const rt_power_param *p = param;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t n = rt_shape_count(&a->b[0].s);
  float sc = p->scale, sh = p->shift, pw = p->power;
  if (pw == 1.0f) {
    for (int64_t i = 0; i < n; i++) y[i] = sh + sc * x[i];
  } else if (pw == 2.0f) {
    for (int64_t i = 0; i < n; i++) {
      float v = sh + sc * x[i];
      y[i] = v * v;
    }
  } else {
    for (int64_t i = 0; i < n; i++) y[i] = powf(sh + sc * x[i], pw);
  }
}

/* BatchNorm with global statistics: w[0] mean sums, w[1] variance sums,
 * w[2][0] their scale factor f; y = (x - w0/f) / sqrt(w1/f + eps), where
 * 1/f is taken as 0 when f == 0.  Channels are axis 1 (1 for a 1-D blob). */
void rt_bn_f32(const void *param, const rt_args *a) {
  const rt_bn_param *p = param;
  const rt_shape *s = &a->b[0].s;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  float f = a->w[2].d[0];
  float inv = f == 0.0f ? 0.0f : 1.0f / f;
  int64_t nb = s->nd > 0 ? s->d[0] : 1;
  int64_t c = s->nd > 1 ? s->d[1] : 1;
  int64_t in = rt_shape_count_range(s, 2, s->nd);
  for (int64_t k = 0; k < c; k++) {
    float m = a->w[0].d[k] * inv;
    float sd = sqrtf(a->w[1].d[k] * inv + p->eps);
    for (int64_t b = 0; b < nb; b++) {
      int64_t o = (b * c + k) * in;
      for (int64_t i = o; i < o + in; i++) y[i] = (x[i] - m) / sd;
    }
  }
}

/* Shared Scale/Bias loop: y = x * sc[d] + bi[d] over outer x dim x inner,
 * where dim spans axes [axis, axis + num_axes) of the bottom.  sc or bi may
 * be NULL (1 and 0). */
static void scale_bias(const rt_scale_param *p, const rt_args *a,
                       const float *sc, const float *bi) {
  const rt_shape *s = &a->b[0].s;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  int64_t outer = rt_shape_count_range(s, 0, p->axis);
  int64_t dim = rt_shape_count_range(s, p->axis, p->axis + p->num_axes);
  int64_t in = rt_shape_count_range(s, p->axis + p->num_axes, s->nd);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t d = 0; d < dim; d++) {
      float m = sc ? sc[d] : 1.0f, b = bi ? bi[d] : 0.0f;
      int64_t base = (o * dim + d) * in;
      for (int64_t i = base; i < base + in; i++) y[i] = x[i] * m + b;
    }
}

/* Scale: factor is b[1] (two bottoms) or w[0]; when bias_term the bias is
 * the next learned blob (w[0] with two bottoms, else w[1]). */
void rt_scale_f32(const void *param, const rt_args *a) {
  const rt_scale_param *p = param;
  const float *sc = a->nb > 1 ? a->b[1].d : a->w[0].d;
  const float *bi = NULL;
  if (p->bias_term) bi = a->nb > 1 ? a->w[0].d : a->w[1].d;
  scale_bias(p, a, sc, bi);
}

/* Bias: offset is b[1] (two bottoms) or w[0]. */
void rt_bias_f32(const void *param, const rt_args *a) {
  const rt_scale_param *p = param;
  scale_bias(p, a, NULL, a->nb > 1 ? a->b[1].d : a->w[0].d);
}

/* Eltwise over all bottoms (same shape): PROD, SUM with optional coeffs
 * (ncoeff == 0 means all 1), MAX. */
void rt_eltwise_f32(const void *param, const rt_args *a) {
  const rt_eltwise_param *p = param;
  int64_t n = rt_shape_count(&a->b[0].s);
  float *y = a->t[0].d;
  int nb = a->nb;
  const float *x0 = a->b[0].d;
  if (nb == 1) {
    float c = p->op == RT_ELT_SUM && p->ncoeff ? p->coeff[0] : 1.0f;
    for (int64_t i = 0; i < n; i++) y[i] = c * x0[i];
    return;
  }
  const float *x1 = a->b[1].d;
  switch (p->op) {
  case RT_ELT_PROD:
    for (int64_t i = 0; i < n; i++) y[i] = x0[i] * x1[i];
    for (int k = 2; k < nb; k++) {
      const float *xk = a->b[k].d;
      for (int64_t i = 0; i < n; i++) y[i] *= xk[i];
    }
    break;
  case RT_ELT_MAX:
    for (int64_t i = 0; i < n; i++) y[i] = x1[i] > x0[i] ? x1[i] : x0[i];
    for (int k = 2; k < nb; k++) {
      const float *xk = a->b[k].d;
      for (int64_t i = 0; i < n; i++)
        if (xk[i] > y[i]) y[i] = xk[i];
    }
    break;
  default: /* SUM */
    if (p->ncoeff == 0) {
      for (int64_t i = 0; i < n; i++) y[i] = x0[i] + x1[i];
      for (int k = 2; k < nb; k++) {
        const float *xk = a->b[k].d;
        for (int64_t i = 0; i < n; i++) y[i] += xk[i];
      }
    } else {
      float c0 = p->coeff[0], c1 = p->coeff[1];
      for (int64_t i = 0; i < n; i++) y[i] = c0 * x0[i] + c1 * x1[i];
      for (int k = 2; k < nb; k++) {
        const float *xk = a->b[k].d;
        float ck = k < p->ncoeff ? p->coeff[k] : 1.0f;
        for (int64_t i = 0; i < n; i++) y[i] += ck * xk[i];
      }
    }
    break;
  }
}
