/* rt_ip.c - InnerProduct float kernel (Caffe semantics). */
#include "rt_layers.h"

/* One row: y[n] = bias[n] + sum_k x[k] * W[n][k], W N x K row-major; four
 * outputs per pass so the loads of x are shared. */
static void ip_row(const float *restrict x, const float *restrict w,
                   const float *bias, float *restrict y, int nout, int64_t k) {
  int j = 0;
  for (; j + 4 <= nout; j += 4) {
    const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t i = 0; i < k; i++) {
      float xi = x[i];
      s0 += xi * w0[i];
      s1 += xi * w1[i];
      s2 += xi * w2[i];
      s3 += xi * w3[i];
    }
    y[j] = s0 + (bias ? bias[j] : 0.0f);
    y[j + 1] = s1 + (bias ? bias[j + 1] : 0.0f);
    y[j + 2] = s2 + (bias ? bias[j + 2] : 0.0f);
    y[j + 3] = s3 + (bias ? bias[j + 3] : 0.0f);
  }
  for (; j < nout; j++) {
    const float *wj = w + j * k;
    float s = 0;
    for (int64_t i = 0; i < k; i++) s += x[i] * wj[i];
    y[j] = s + (bias ? bias[j] : 0.0f);
  }
}

/* InnerProduct.  b[0] is read as M x K with M = count(0, axis) and
 * K = count(axis, end); w[0] is N x K (K x N when transpose), w[1] N;
 * t[0] holds M x N. */
void rt_ip_f32(const void *param, const rt_args *a) {
  const rt_ip_param *p = param;
  const rt_tensor *b = &a->b[0];
  int axis = rt_axis(&b->s, p->axis);
  if (axis < 0) axis = 0;
  int64_t m = rt_shape_count_range(&b->s, 0, axis);
  int64_t k = rt_shape_count_range(&b->s, axis, b->s.nd);
  int nout = p->num_output;
  const float *w = a->w[0].d;
  const float *bias = p->bias_term && a->nw > 1 ? a->w[1].d : NULL;
  for (int64_t r = 0; r < m; r++) {
    const float *x = b->d + r * k;
    float *y = a->t[0].d + r * nout;
    if (!p->transpose) {
      ip_row(x, w, bias, y, nout, k);
      continue;
    }
    for (int j = 0; j < nout; j++) y[j] = 0.0f;
    for (int64_t i = 0; i < k; i++) {
      const float *wi = w + i * nout;
      float xi = x[i];
      for (int j = 0; j < nout; j++) y[j] += xi * wi[j];
    }
    if (bias)
      for (int j = 0; j < nout; j++) y[j] += bias[j];
  }
}
