/* rt_lrn.c - LRN float kernel (Caffe semantics).
 *
 * ACROSS_CHANNELS: y = x * (k + alpha/size * sum_{c'} x[c']^2)^-beta over
 *   channels c' in [c - pre, c - pre + size) clipped, pre = (size-1)/2.
 * WITHIN_CHANNEL: Caffe builds it from AVE pooling of x^2 (size x size,
 *   pad pre, stride 1, so the divisor is always size^2) and a Power layer
 *   with shift 1: y = x * (1 + alpha * avg)^-beta (k is not used).
 * Both need one H x W float plane of scratch (rt_lrn_ws).  The top must
 * not alias the bottom.
 */
#include <math.h>

#include "rt_layers.h"

size_t rt_lrn_ws(const void *param, const rt_args *a) {
  (void)param;
  const rt_shape *s = &a->b[0].s;
  return (size_t)rt_shape_dim4(s, 2) * (size_t)rt_shape_dim4(s, 3) *
         sizeof(float);
}

/* ACROSS_CHANNELS for one image of c planes of hw values. */
static void lrn_across(const rt_lrn_param *p, const float *x, float *y, int c,
                       int64_t hw, float *acc) {
  int size = p->local_size, pre = (size - 1) / 2;
  float an = p->alpha / (float)size;
  for (int ch = 0; ch < c; ch++) {
    int lo = ch - pre < 0 ? 0 : ch - pre;
    int hi = ch - pre + size < c ? ch - pre + size : c;
    for (int64_t i = 0; i < hw; i++) acc[i] = 0;
    for (int j = lo; j < hi; j++) {
      const float *xj = x + j * hw;
      for (int64_t i = 0; i < hw; i++) acc[i] += xj[i] * xj[i];
    }
    const float *xc = x + ch * hw;
    float *yc = y + ch * hw;
    for (int64_t i = 0; i < hw; i++)
      yc[i] = xc[i] * powf(p->k + an * acc[i], -p->beta);
  }
}

/* WITHIN_CHANNEL for one h x w plane: a row pass of clipped window sums
 * of squares into acc, then a column pass into y, then the transform. */
static void lrn_within(const rt_lrn_param *p, const float *x, float *y, int h,
                       int w, float *acc) {
  int size = p->local_size, pre = (size - 1) / 2;
  float scale = p->alpha / (float)(size * size);
  for (int iy = 0; iy < h; iy++) {
    const float *xr = x + (int64_t)iy * w;
    float *ar = acc + (int64_t)iy * w;
    for (int ix = 0; ix < w; ix++) {
      int lo = ix - pre < 0 ? 0 : ix - pre;
      int hi = ix - pre + size < w ? ix - pre + size : w;
      float s = 0;
      for (int j = lo; j < hi; j++) s += xr[j] * xr[j];
      ar[ix] = s;
    }
  }
  for (int iy = 0; iy < h; iy++) {
    int lo = iy - pre < 0 ? 0 : iy - pre;
    int hi = iy - pre + size < h ? iy - pre + size : h;
    float *yr = y + (int64_t)iy * w;
    const float *xr = x + (int64_t)iy * w;
    for (int ix = 0; ix < w; ix++) yr[ix] = 0;
    for (int j = lo; j < hi; j++) {
      const float *ar = acc + (int64_t)j * w;
      for (int ix = 0; ix < w; ix++) yr[ix] += ar[ix];
    }
    for (int ix = 0; ix < w; ix++)
      yr[ix] = xr[ix] * powf(1.0f + scale * yr[ix], -p->beta);
  }
}

/* LRN.  b[0] N x C x H x W -> t[0] same shape; a->ws holds rt_lrn_ws()
 * bytes. */
void rt_lrn_f32(const void *param, const rt_args *a) {
  const rt_lrn_param *p = param;
  const rt_tensor *b = &a->b[0];
  int n = rt_shape_dim4(&b->s, 0), c = rt_shape_dim4(&b->s, 1);
  int h = rt_shape_dim4(&b->s, 2), w = rt_shape_dim4(&b->s, 3);
  int64_t hw = (int64_t)h * w;
  float *acc = a->ws;
  for (int i = 0; i < n; i++) {
    const float *x = b->d + (int64_t)i * c * hw;
    float *y = a->t[0].d + (int64_t)i * c * hw;
    if (p->region == RT_LRN_ACROSS)
      lrn_across(p, x, y, c, hw, acc);
    else
      for (int ch = 0; ch < c; ch++)
        lrn_within(p, x + ch * hw, y + ch * hw, h, w, acc);
  }
}
