/* rt_resample.c - float kernels of the data-movement and resampling kinds
 * of the Caffe forks: Upsample (darknet2caffe nearest neighbour, SegNet
 * unpooling), ShuffleChannel (ShuffleNet), CropCenter (waifu2x-caffe),
 * Reorg (YOLOv2 ports) and Interp (PSPNet / DeepLab bilinear).
 *
 * The four pure data-movement kinds are described once, as a strided
 * gather (rt_gather, rt_layers.h): the float kernels here, the integer
 * kernels of rt_fx_resample.c and the HLS template run the same
 * description, so they move the same elements by construction.
 */
#include <string.h>

#include "rt_layers.h"

int64_t rt_gather_count(const rt_gather *g) {
  int64_t n = 1;
  for (int k = 0; k < g->nd; k++) n *= g->dims[k];
  return n;
}

/* The odometer walk shared by both element types: y[i] = x[src], src
 * advanced by the stride of the axis that steps. */
#define GATHER_WALK(g, x, y)                                  \
  do {                                                        \
    int64_t idx_[RT_MAXDIM] = {0}, src_ = (g)->off;           \
    int64_t n_ = rt_gather_count(g);                          \
    for (int64_t i_ = 0; i_ < n_; i_++) {                     \
      (y)[i_] = (x)[src_];                                    \
      for (int k_ = (g)->nd - 1; k_ >= 0; k_--) {             \
        src_ += (g)->st[k_];                                  \
        if (++idx_[k_] < (g)->dims[k_]) break;                \
        src_ -= (g)->st[k_] * (g)->dims[k_];                  \
        idx_[k_] = 0;                                         \
      }                                                       \
    }                                                         \
  } while (0)

void rt_gather_f32(const rt_gather *g, const float *x, float *y) { GATHER_WALK(g, x, y); }

void rt_gather_i16(const rt_gather *g, const int16_t *x, int16_t *y) { GATHER_WALK(g, x, y); }

/* Sets axis k of g. */
static void ax(rt_gather *g, int k, int64_t dim, int64_t st) {
  g->dims[k] = dim;
  g->st[k] = st;
}

/* Nearest neighbour (darknet2caffe): top (n, c, y, x) = bottom (n, c,
 * y / sh, x / sw), i.e. axes (NC, H, sh, W, sw) with the repeat axes at
 * stride 0. */
int rt_upsample_gather(const rt_upsample_param *p, const rt_shape *b, rt_gather *g) {
  int64_t nc = (int64_t)rt_shape_dim4(b, 0) * rt_shape_dim4(b, 1);
  int64_t h = rt_shape_dim4(b, 2), w = rt_shape_dim4(b, 3);
  memset(g, 0, sizeof *g);
  if (p->out_h > 0) return -1; /* unpooling */
  g->nd = 5;
  ax(g, 0, nc, h * w), ax(g, 1, h, w), ax(g, 2, p->scale_h, 0);
  ax(g, 3, w, 1), ax(g, 4, p->scale_w, 0);
  return 0;
}

/* ShuffleChannel (ShuffleNet Caffe ports): with C = g x m, top channel
 * j * g + i is bottom channel i * m + j, i.e. top axes (N, m, g, HW)
 * walking bottom strides (C HW, HW, m HW, 1). */
int rt_shuffle_gather(const rt_shuffle_param *p, const rt_shape *b, rt_gather *g) {
  int64_t n = b->nd ? b->d[0] : 1, c = b->nd > 1 ? b->d[1] : 1;
  int64_t hw = b->nd > 2 ? rt_shape_count_range(b, 2, b->nd) : 1;
  int64_t grp = p->group > 0 ? p->group : 1, m = c / grp;
  memset(g, 0, sizeof *g);
  g->nd = 4;
  ax(g, 0, n, c * hw), ax(g, 1, m, hw), ax(g, 2, grp, m * hw), ax(g, 3, hw, 1);
  return 0;
}

/* CropCenter (waifu2x-caffe): axis k keeps [crop[k], d[k] - crop[k]). */
int rt_cropcenter_gather(const rt_cropcenter_param *p, const rt_shape *b, rt_gather *g) {
  memset(g, 0, sizeof *g);
  g->nd = b->nd;
  int64_t st = 1;
  for (int k = b->nd - 1; k >= 0; k--) {
    int c = k < p->ncrop ? p->crop[k] : 0;
    ax(g, k, b->d[k] - 2 * (int64_t)c, st);
    g->off += c * st;
    st *= b->d[k];
  }
  return 0;
}

/* Reorg, darknet's reorg_cpu as the YOLOv2 Caffe ports call it (w, h, c
 * the bottom's; out_c = c / s^2; off = k / out_c splits into oy = off / s,
 * ox = off % s):
 *   reverse false: top flat (b, k, j, i) over (N, c, h, w) takes bottom
 *     flat (b, c2 = k % out_c, j s + oy, i s + ox) over (N, out_c, h s, w s);
 *   reverse true: the inverse, top (N, out_c, h s, w s) from bottom. */
int rt_reorg_gather(const rt_reorg_param *p, const rt_shape *b, rt_gather *g) {
  int64_t n = rt_shape_dim4(b, 0), c = rt_shape_dim4(b, 1);
  int64_t h = rt_shape_dim4(b, 2), w = rt_shape_dim4(b, 3), s = p->stride;
  memset(g, 0, sizeof *g);
  g->nd = 6;
  if (!p->reverse) {
    int64_t oc = c / (s * s);
    ax(g, 0, n, c * h * w), ax(g, 1, s, w * s), ax(g, 2, s, 1);
    ax(g, 3, oc, w * h * s * s), ax(g, 4, h, w * s * s), ax(g, 5, w, s);
  } else {
    /* here the bottom is the small map: top (N, c/s^2, h s, w s) */
    int64_t oc = c / (s * s);
    ax(g, 0, n, c * h * w), ax(g, 1, oc, h * w), ax(g, 2, h, w);
    ax(g, 3, s, s * oc * h * w), ax(g, 4, w, 1), ax(g, 5, s, oc * h * w);
  }
  return 0;
}

/* SegNet unpooling: the top is zero except that each bottom value goes to
 * the flat position its mask value gives within its (n, c) plane; mask
 * values outside the plane are skipped (Caffe stops with a fatal error). */
static void unpool(const rt_args *a) {
  const rt_tensor *b = &a->b[0], *m = &a->b[1];
  rt_tensor *t = &a->t[0];
  int64_t nc = (int64_t)rt_shape_dim4(&b->s, 0) * rt_shape_dim4(&b->s, 1);
  int64_t ihw = (int64_t)rt_shape_dim4(&b->s, 2) * rt_shape_dim4(&b->s, 3);
  int64_t ohw = (int64_t)rt_shape_dim4(&t->s, 2) * rt_shape_dim4(&t->s, 3);
  memset(t->d, 0, (size_t)(nc * ohw) * sizeof(float));
  for (int64_t q = 0; q < nc; q++)
    for (int64_t i = 0; i < ihw; i++) {
      float v = m->d[q * ihw + i];
      if (!(v >= 0.0f && v < (float)ohw)) continue;
      t->d[q * ohw + (int64_t)v] = b->d[q * ihw + i];
    }
}

void rt_upsample_f32(const void *param, const rt_args *a) {
  rt_gather g;
  if (a->nb > 1 || rt_upsample_gather(param, &a->b[0].s, &g)) {
    unpool(a);
    return;
  }
  rt_gather_f32(&g, a->b[0].d, a->t[0].d);
}

void rt_shuffle_f32(const void *param, const rt_args *a) {
  rt_gather g;
  rt_shuffle_gather(param, &a->b[0].s, &g);
  rt_gather_f32(&g, a->b[0].d, a->t[0].d);
}

void rt_cropcenter_f32(const void *param, const rt_args *a) {
  rt_gather g;
  rt_cropcenter_gather(param, &a->b[0].s, &g);
  rt_gather_f32(&g, a->b[0].d, a->t[0].d);
}

void rt_reorg_f32(const void *param, const rt_args *a) {
  rt_gather g;
  rt_reorg_gather(param, &a->b[0].s, &g);
  rt_gather_f32(&g, a->b[0].d, a->t[0].d);
}

/* Interp: the fork's caffe_cpu_interp2 on each (n, c) plane, in float as
 * there.  The source window is rows/cols [-pad_beg, -pad_beg + h1) of the
 * H x W bottom with h1 = H + pad_beg + pad_end; output (y, x) reads
 * source position r = y (h1 - 1) / (oh - 1) (0 when oh == 1), blending
 * rows floor(r) and floor(r) + 1 (the last row with itself) by the
 * fraction; same along x.  Equal window and top sizes copy. */
void rt_interp_f32(const void *param, const rt_args *a) {
  const rt_interp_param *p = param;
  const rt_tensor *b = &a->b[0];
  rt_tensor *t = &a->t[0];
  int64_t nc = (int64_t)rt_shape_dim4(&b->s, 0) * rt_shape_dim4(&b->s, 1);
  int H = rt_shape_dim4(&b->s, 2), W = rt_shape_dim4(&b->s, 3);
  int oh = rt_shape_dim4(&t->s, 2), ow = rt_shape_dim4(&t->s, 3);
  int h1 = H + p->pad_beg + p->pad_end, w1 = W + p->pad_beg + p->pad_end;
  int y0 = -p->pad_beg, x0 = -p->pad_beg;
  float rh = oh > 1 ? (float)(h1 - 1) / (float)(oh - 1) : 0.0f;
  float rw = ow > 1 ? (float)(w1 - 1) / (float)(ow - 1) : 0.0f;
  bool same = h1 == oh && w1 == ow;
  for (int64_t q = 0; q < nc; q++) {
    const float *x = b->d + q * H * W;
    float *y = t->d + q * oh * ow;
    for (int yo = 0; yo < oh; yo++) {
      float hr = rh * (float)yo;
      int hi = same ? yo : (int)hr;
      int hp = hi < h1 - 1 ? 1 : 0;
      float l1 = same ? 0.0f : hr - (float)hi, l0 = 1.0f - l1;
      for (int xo = 0; xo < ow; xo++) {
        float wr = rw * (float)xo;
        int wi = same ? xo : (int)wr;
        int wp = wi < w1 - 1 ? 1 : 0;
        float m1 = same ? 0.0f : wr - (float)wi, m0 = 1.0f - m1;
        const float *s = x + (int64_t)(y0 + hi) * W + (x0 + wi);
        if (same) {
          y[(int64_t)yo * ow + xo] = s[0];
          continue;
        }
        y[(int64_t)yo * ow + xo] = l0 * (m0 * s[0] + m1 * s[wp]) +
                                   l1 * (m0 * s[hp * W] + m1 * s[hp * W + wp]);
      }
    }
  }
}
