/* rt_lrn.c - LRN float kernel (Caffe semantics).
 *
 * ACROSS_CHANNELS: y = x * (k + alpha/size * sum_{c'} x[c']^2)^-beta over
 *   channels c' in [c - pre, c - pre + size) clipped, pre = (size-1)/2.
 * WITHIN_CHANNEL: Caffe builds it from AVE pooling of x^2 (size x size,
 *   pad pre, stride 1, so the divisor is always size^2) and a Power layer
 *   with shift 1: y = x * (1 + alpha * avg)^-beta (k is not used).
 *
 * The power: beta 0.75 (every LRN of the Caffe model zoo), 0.5 and 1 are
 * computed as x / sqrt(v sqrt(v)), x / sqrt(v) and x / v.  Square root and
 * division are correctly rounded IEEE operations, so these give the same
 * bits on every target (powf is libm's and may not), and the loops
 * vectorize: the build compiles this file with -fno-math-errno (CMakeLists
 * and the generated project's), without which GCC keeps a scalar sqrtf
 * call for errno.  Other betas take powf.
 *
 * The work is cut into planes (image, channel), one unit each, over the
 * calling thread's worker pool (rt_par.h); a plane's values are computed
 * the same way whichever thread runs it.  WITHIN_CHANNEL needs one H x W
 * float plane of scratch per thread (rt_lrn_ws; the workers' scratch is
 * the program's); ACROSS_CHANNELS needs none (it sums into the top).  The
 * top must not alias the bottom.
 */
#include <math.h>

#include "rt_layers.h"
#include "rt_par.h"

size_t rt_lrn_ws(const void *param, const rt_args *a) {
  const rt_lrn_param *p = param;
  if (p->region == RT_LRN_ACROSS) return 0;
  const rt_shape *s = &a->b[0].s;
  return (size_t)rt_shape_dim4(s, 2) * (size_t)rt_shape_dim4(s, 3) *
         sizeof(float);
}

/* y[i] = x[i] * (k + an * y[i])^-beta for i < n: y holds the window sums
 * on entry. */
static void lrn_power(const float *x, float *y, int64_t n, float k, float an,
                      float beta) {
  if (beta == 0.75f) {
    for (int64_t i = 0; i < n; i++) {
      float v = k + an * y[i];
      y[i] = x[i] / sqrtf(v * sqrtf(v));
    }
  } else if (beta == 0.5f) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / sqrtf(k + an * y[i]);
  } else if (beta == 1.0f) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / (k + an * y[i]);
  } else {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * powf(k + an * y[i], -beta);
  }
}

/* The job of one LRN call: the bottom and top of the batch. */
typedef struct {
  const rt_lrn_param *p;
  const float *x;
  float *y;
  int c, h, w;
} lrn_job;

/* ACROSS_CHANNELS, planes [lo, hi) (plane u = image u / c, channel
 * u % c): the window's squares summed in channel order into the top's
 * plane, then the power. */
static void lrn_across(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  const lrn_job *j = ctx;
  (void)scratch;
  int c = j->c, size = j->p->local_size, pre = (size - 1) / 2;
  int64_t hw = (int64_t)j->h * j->w;
  float an = j->p->alpha / (float)size;
  for (int64_t u = lo; u < hi; u++) {
    int ch = (int)(u % c);
    const float *x = j->x + (u - ch) * hw; /* the image's first plane */
    float *yc = j->y + u * hw;
    int c0 = ch - pre < 0 ? 0 : ch - pre;
    int c1 = ch - pre + size < c ? ch - pre + size : c;
    for (int64_t i = 0; i < hw; i++) yc[i] = 0;
    for (int cc = c0; cc < c1; cc++) {
      const float *xj = x + cc * hw;
      for (int64_t i = 0; i < hw; i++) yc[i] += xj[i] * xj[i];
    }
    lrn_power(x + ch * hw, yc, hw, j->p->k, an, j->p->beta);
  }
}

/* WITHIN_CHANNEL, planes [lo, hi): a row pass of clipped window sums of
 * squares into the scratch plane, a column pass into the top, then the
 * power with k = 1. */
static void lrn_within(void *ctx, int64_t lo, int64_t hi, void *scratch) {
  const lrn_job *j = ctx;
  int h = j->h, w = j->w, size = j->p->local_size, pre = (size - 1) / 2;
  int64_t hw = (int64_t)h * w;
  float scale = j->p->alpha / (float)(size * size);
  float *acc = scratch;
  for (int64_t u = lo; u < hi; u++) {
    const float *x = j->x + u * hw;
    float *y = j->y + u * hw;
    for (int iy = 0; iy < h; iy++) {
      const float *xr = x + (int64_t)iy * w;
      float *ar = acc + (int64_t)iy * w;
      for (int ix = 0; ix < w; ix++) {
        int x0 = ix - pre < 0 ? 0 : ix - pre;
        int x1 = ix - pre + size < w ? ix - pre + size : w;
        float s = 0;
        for (int k = x0; k < x1; k++) s += xr[k] * xr[k];
        ar[ix] = s;
      }
    }
    for (int iy = 0; iy < h; iy++) {
      int y0 = iy - pre < 0 ? 0 : iy - pre;
      int y1 = iy - pre + size < h ? iy - pre + size : h;
      float *yr = y + (int64_t)iy * w;
      for (int ix = 0; ix < w; ix++) yr[ix] = 0;
      for (int k = y0; k < y1; k++) {
        const float *ar = acc + (int64_t)k * w;
        for (int ix = 0; ix < w; ix++) yr[ix] += ar[ix];
      }
    }
    lrn_power(x, y, hw, 1.0f, scale, j->p->beta);
  }
}

/* LRN.  b[0] N x C x H x W -> t[0] same shape; a->ws holds rt_lrn_ws()
 * bytes.  Cut by planes over the pool when the tensor has at least
 * RT_PAR_MIN_ELEMS values. */
void rt_lrn_f32(const void *param, const rt_args *a) {
  const rt_lrn_param *p = param;
  const rt_tensor *b = &a->b[0];
  lrn_job j = {p, b->d, a->t[0].d, rt_shape_dim4(&b->s, 1),
               rt_shape_dim4(&b->s, 2), rt_shape_dim4(&b->s, 3)};
  int64_t planes = (int64_t)rt_shape_dim4(&b->s, 0) * j.c;
  rt_par_fn *fn = p->region == RT_LRN_ACROSS ? lrn_across : lrn_within;
  if (planes * j.h * j.w >= RT_PAR_MIN_ELEMS)
    rt_par_for(planes, fn, &j, a->ws);
  else
    fn(&j, 0, planes, a->ws);
}
