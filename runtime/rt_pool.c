/* rt_pool.c - Pooling float kernel (Caffe semantics).
 *
 * Window of output (oy, ox): rows [oy*sh - ph, oy*sh - ph + kh) clipped to
 * the input.  MAX ignores the padding.  AVE sums over the clipped window
 * but divides by the window clipped to the PADDED input only
 * (rows up to H + ph), as Caffe does.  STOCHASTIC is Caffe's test phase:
 * sum(x^2) / sum(x) over the window starting at oy*sh with no padding.
 * Global pooling uses the whole plane as the window.
 */
#include <float.h>

#include "rt_layers.h"

/* Pools one H x W plane into an OH x OW plane; mask (MAX only, may be NULL)
 * gets the flat index of each maximum as Caffe's second top does. */
static void pool_plane(const rt_pool_param *p, int kh, int kw, int sh, int sw,
                       int ph, int pw, const float *x, int h, int w, float *y,
                       float *mask, int oh, int ow) {
  for (int oy = 0; oy < oh; oy++) {
    for (int ox = 0; ox < ow; ox++) {
      float *out = y + (int64_t)oy * ow + ox;
      if (p->method == RT_POOL_STOCHASTIC) {
        int y0 = oy * sh, y1 = y0 + kh < h ? y0 + kh : h;
        int x0 = ox * sw, x1 = x0 + kw < w ? x0 + kw : w;
        float sum = FLT_MIN, sq = 0;
        for (int iy = y0; iy < y1; iy++)
          for (int ix = x0; ix < x1; ix++) {
            float v = x[(int64_t)iy * w + ix];
            sum += v;
            sq += v * v;
          }
        *out = sq / sum;
        continue;
      }
      int y0 = oy * sh - ph, x0 = ox * sw - pw;
      int y1 = y0 + kh < h + ph ? y0 + kh : h + ph;
      int x1 = x0 + kw < w + pw ? x0 + kw : w + pw;
      int area = (y1 - y0) * (x1 - x0);
      if (y0 < 0) y0 = 0;
      if (x0 < 0) x0 = 0;
      if (y1 > h) y1 = h;
      if (x1 > w) x1 = w;
      if (p->method == RT_POOL_MAX) {
        float best = -FLT_MAX;
        int64_t at = -1;
        for (int iy = y0; iy < y1; iy++) {
          const float *row = x + (int64_t)iy * w;
          for (int ix = x0; ix < x1; ix++)
            if (row[ix] > best) {
              best = row[ix];
              at = (int64_t)iy * w + ix;
            }
        }
        *out = best;
        if (mask) mask[(int64_t)oy * ow + ox] = (float)at;
      } else {
        float sum = 0;
        for (int iy = y0; iy < y1; iy++) {
          const float *row = x + (int64_t)iy * w;
          for (int ix = x0; ix < x1; ix++) sum += row[ix];
        }
        *out = sum / (float)area;
      }
    }
  }
}

/* Pooling.  b[0] N x C x H x W; t[0] N x C x OH x OW (shaped by the
 * compiler); optional t[1] (MAX) receives the argmax indices. */
void rt_pool_f32(const void *param, const rt_args *a) {
  const rt_pool_param *p = param;
  const rt_tensor *b = &a->b[0];
  rt_tensor *t = &a->t[0];
  int n = rt_shape_dim4(&b->s, 0), c = rt_shape_dim4(&b->s, 1);
  int h = rt_shape_dim4(&b->s, 2), w = rt_shape_dim4(&b->s, 3);
  int oh = rt_shape_dim4(&t->s, 2), ow = rt_shape_dim4(&t->s, 3);
  int kh = p->kh, kw = p->kw, sh = p->sh, sw = p->sw, ph = p->ph, pw = p->pw;
  if (p->global) {
    kh = h;
    kw = w;
    sh = sw = 1;
    ph = pw = 0;
  }
  float *mask = a->nt > 1 && p->method == RT_POOL_MAX ? a->t[1].d : NULL;
  int64_t ihw = (int64_t)h * w, ohw = (int64_t)oh * ow;
  for (int64_t i = 0; i < (int64_t)n * c; i++)
    pool_plane(p, kh, kw, sh, sw, ph, pw, b->d + i * ihw, h, w,
               t->d + i * ohw, mask ? mask + i * ohw : NULL, oh, ow);
}
