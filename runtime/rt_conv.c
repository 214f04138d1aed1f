/* rt_conv.c - Convolution and Deconvolution float kernels (Caffe semantics).
 *
 * Direct loops, no im2col: each output plane is accumulated row by row, the
 * row being the innermost loop, with the rows/columns that fall in the
 * padding clipped out beforehand (no per-element bounds tests).  Grouped
 * and depthwise convolutions take the same path with in/group input
 * channels per output; 1x1 stride-1 unpadded convolutions are a plain
 * matrix product over the plane.
 */
#include <string.h>

#include "rt_layers.h"

/* Sets [*lo, *hi) to the positions o in [0, nout) for which o*s + off is in
 * [0, nin).  s > 0. */
static void span(int nout, int nin, int s, int off, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int lim = nin - 1 - off;
  int b = lim < 0 ? 0 : lim / s + 1;
  if (b > nout) b = nout;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* Fills an output plane of n values with the bias of channel oc (or 0). */
static void fill_bias(float *o, int64_t n, const float *bias, int oc) {
  float v = bias ? bias[oc] : 0.0f;
  for (int64_t i = 0; i < n; i++) o[i] = v;
}

/* o[i] += w * x[i * s] for i in [0, n). */
static void axpy(float *restrict o, const float *restrict x, float w, int n,
                 int s) {
  if (s == 1)
    for (int i = 0; i < n; i++) o[i] += w * x[i];
  else
    for (int i = 0; i < n; i++) o[i] += w * x[(int64_t)i * s];
}

/* 1x1, stride 1, no padding: out[oc] += sum_ic w[oc][ic] * in[ic] over the
 * plane, four input channels per pass. */
static void conv_1x1(const float *in, const float *w, float *out, int cg,
                     int64_t hw) {
  int ic = 0;
  for (; ic + 4 <= cg; ic += 4) {
    const float *x0 = in + ic * hw, *x1 = x0 + hw, *x2 = x1 + hw, *x3 = x2 + hw;
    float w0 = w[ic], w1 = w[ic + 1], w2 = w[ic + 2], w3 = w[ic + 3];
    for (int64_t i = 0; i < hw; i++)
      out[i] += w0 * x0[i] + w1 * x1[i] + w2 * x2[i] + w3 * x3[i];
  }
  for (; ic < cg; ic++) {
    const float *x = in + ic * hw;
    float wv = w[ic];
    for (int64_t i = 0; i < hw; i++) out[i] += wv * x[i];
  }
}

/* General direct convolution of one output plane from cg input planes
 * (kernel taps w[ic][ky][kx]), one kernel tap at a time: the valid output
 * rows and columns of each tap are computed once, then whole output rows
 * get an axpy.  Used for depthwise (cg == 1) as well. */
static void conv_plane(const rt_conv_param *p, const float *in, int h, int wd,
                       const float *w, int cg, float *out, int oh, int ow) {
  int64_t ihw = (int64_t)h * wd;
  for (int ic = 0; ic < cg; ic++) {
    const float *x = in + ic * ihw;
    const float *wk = w + (int64_t)ic * p->kh * p->kw;
    for (int ky = 0; ky < p->kh; ky++) {
      int offy = ky * p->dh - p->ph, y0, y1;
      span(oh, h, p->sh, offy, &y0, &y1);
      for (int kx = 0; kx < p->kw; kx++) {
        int offx = kx * p->dw - p->pw, x0, x1;
        span(ow, wd, p->sw, offx, &x0, &x1);
        if (x0 >= x1) continue;
        float wv = wk[ky * p->kw + kx];
        const float *xs = x + (int64_t)x0 * p->sw + offx;
        for (int oy = y0; oy < y1; oy++)
          axpy(out + (int64_t)oy * ow + x0,
               xs + (int64_t)(oy * p->sh + offy) * wd, wv, x1 - x0, p->sw);
      }
    }
  }
}

/* Convolution.  b[0] N x C x H x W, w[0] O x C/g x kh x kw, w[1] O (bias),
 * t[0] N x O x OH x OW (shape set by the compiler). */
void rt_conv_f32(const void *param, const rt_args *a) {
  const rt_conv_param *p = param;
  const rt_tensor *b = &a->b[0];
  rt_tensor *t = &a->t[0];
  int n = rt_shape_dim4(&b->s, 0), c = rt_shape_dim4(&b->s, 1);
  int h = rt_shape_dim4(&b->s, 2), wd = rt_shape_dim4(&b->s, 3);
  int o = rt_shape_dim4(&t->s, 1), oh = rt_shape_dim4(&t->s, 2);
  int ow = rt_shape_dim4(&t->s, 3);
  int g = p->group, cg = c / g, og = o / g;
  const float *w = a->w[0].d;
  const float *bias = p->bias_term && a->nw > 1 ? a->w[1].d : NULL;
  int64_t ihw = (int64_t)h * wd, ohw = (int64_t)oh * ow;
  int64_t ksz = (int64_t)cg * p->kh * p->kw;
  bool pointwise = p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 &&
                   p->ph == 0 && p->pw == 0 && oh == h && ow == wd;
  for (int i = 0; i < n; i++) {
    for (int oc = 0; oc < o; oc++) {
      int gi = oc / og;
      const float *x = b->d + ((int64_t)i * c + (int64_t)gi * cg) * ihw;
      float *y = t->d + ((int64_t)i * o + oc) * ohw;
      fill_bias(y, ohw, bias, oc);
      if (pointwise)
        conv_1x1(x, w + oc * ksz, y, cg, ohw);
      else
        conv_plane(p, x, h, wd, w + oc * ksz, cg, y, oh, ow);
    }
  }
}

/* Deconvolution (Caffe: the backward pass of convolution, col2im-like
 * scatter).  b[0] N x C x H x W, w[0] C x O/g x kh x kw, w[1] O,
 * t[0] N x O x OH x OW with OH = sh*(H-1) + dh*(kh-1) + 1 - 2*ph. */
void rt_deconv_f32(const void *param, const rt_args *a) {
  const rt_conv_param *p = param;
  const rt_tensor *b = &a->b[0];
  rt_tensor *t = &a->t[0];
  int n = rt_shape_dim4(&b->s, 0), c = rt_shape_dim4(&b->s, 1);
  int h = rt_shape_dim4(&b->s, 2), wd = rt_shape_dim4(&b->s, 3);
  int o = rt_shape_dim4(&t->s, 1), oh = rt_shape_dim4(&t->s, 2);
  int ow = rt_shape_dim4(&t->s, 3);
  int g = p->group, cg = c / g, og = o / g;
  const float *w = a->w[0].d;
  const float *bias = p->bias_term && a->nw > 1 ? a->w[1].d : NULL;
  int64_t ihw = (int64_t)h * wd, ohw = (int64_t)oh * ow;
  int64_t ksz = (int64_t)p->kh * p->kw;
  for (int i = 0; i < n; i++) {
    for (int oc = 0; oc < o; oc++) {
      int gi = oc / og, ocg = oc % og;
      float *y = t->d + ((int64_t)i * o + oc) * ohw;
      fill_bias(y, ohw, bias, oc);
      for (int icg = 0; icg < cg; icg++) {
        int ic = gi * cg + icg;
        const float *x = b->d + ((int64_t)i * c + ic) * ihw;
        const float *wk = w + ((int64_t)ic * og + ocg) * ksz;
        for (int iy = 0; iy < h; iy++) {
          const float *xrow = x + (int64_t)iy * wd;
          for (int ky = 0; ky < p->kh; ky++) {
            int oy = iy * p->sh + ky * p->dh - p->ph;
            if (oy < 0 || oy >= oh) continue;
            float *yrow = y + (int64_t)oy * ow;
            for (int kx = 0; kx < p->kw; kx++) {
              int off = kx * p->dw - p->pw, x0, x1;
              span(wd, ow, p->sw, off, &x0, &x1);
              if (x0 >= x1) continue;
              float wv = wk[ky * p->kw + kx];
              float *yo = yrow + (int64_t)x0 * p->sw + off;
              for (int ix = x0; ix < x1; ix++)
                yo[(int64_t)(ix - x0) * p->sw] += wv * xrow[ix];
            }
          }
        }
      }
    }
  }
}
