/* rt_data.c - data-movement float kernels: Copy (Dropout at test time,
 * Flatten, Reshape), Split, Concat, Slice, Crop, Softmax, ArgMax. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rt_layers.h"
#include "rt_par.h"

static void copy_floats(float *dst, const float *src, int64_t n) {
  if (dst != src && n > 0) memmove(dst, src, (size_t)n * sizeof(float));
}

/* b[0] -> t[0] unchanged (same element count). */
void rt_copy_f32(const void *param, const rt_args *a) {
  (void)param;
  copy_floats(a->t[0].d, a->b[0].d, rt_shape_count(&a->b[0].s));
}

void rt_dropout_f32(const void *p, const rt_args *a) { rt_copy_f32(p, a); }
void rt_flatten_f32(const void *p, const rt_args *a) { rt_copy_f32(p, a); }
void rt_reshape_f32(const void *p, const rt_args *a) { rt_copy_f32(p, a); }

/* b[0] -> every top. */
void rt_split_f32(const void *param, const rt_args *a) {
  (void)param;
  int64_t n = rt_shape_count(&a->b[0].s);
  for (int i = 0; i < a->nt; i++) copy_floats(a->t[i].d, a->b[0].d, n);
}

/* Concatenates the bottoms along p->axis; the other dims agree. */
void rt_concat_f32(const void *param, const rt_args *a) {
  const rt_concat_param *p = param;
  const rt_shape *ts = &a->t[0].s;
  int64_t outer = rt_shape_count_range(ts, 0, p->axis);
  int64_t tchunk = rt_shape_count_range(ts, p->axis, ts->nd);
  int64_t off = 0;
  for (int k = 0; k < a->nb; k++) {
    const rt_tensor *b = &a->b[k];
    int64_t chunk = rt_shape_count_range(&b->s, p->axis, b->s.nd);
    for (int64_t o = 0; o < outer; o++)
      copy_floats(a->t[0].d + o * tchunk + off, b->d + o * chunk, chunk);
    off += chunk;
  }
}

/* Splits the bottom along p->axis into the tops; each top's extent along
 * the axis is taken from its (already inferred) shape. */
void rt_slice_f32(const void *param, const rt_args *a) {
  const rt_slice_param *p = param;
  const rt_shape *bs = &a->b[0].s;
  int64_t outer = rt_shape_count_range(bs, 0, p->axis);
  int64_t bchunk = rt_shape_count_range(bs, p->axis, bs->nd);
  int64_t off = 0;
  for (int k = 0; k < a->nt; k++) {
    rt_tensor *t = &a->t[k];
    int64_t chunk = rt_shape_count_range(&t->s, p->axis, t->s.nd);
    for (int64_t o = 0; o < outer; o++)
      copy_floats(t->d + o * chunk, a->b[0].d + o * bchunk + off, chunk);
    off += chunk;
  }
}

/* Crop: t[0] is the window of b[0] starting at p->offset[i] on each axis
 * (offsets are 0 below p->axis); rows of the last axis are copied whole. */
void rt_crop_f32(const void *param, const rt_args *a) {
  const rt_crop_param *p = param;
  const rt_shape *bs = &a->b[0].s, *ts = &a->t[0].s;
  int nd = ts->nd;
  if (nd == 0) {
    a->t[0].d[0] = a->b[0].d[0];
    return;
  }
  int64_t bstride[RT_MAXDIM];
  bstride[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; i--) bstride[i] = bstride[i + 1] * bs->d[i + 1];
  int64_t rows = rt_shape_count_range(ts, 0, nd - 1);
  int64_t len = ts->d[nd - 1];
  if (len == 0) return;
  int idx[RT_MAXDIM] = {0};
  float *y = a->t[0].d;
  for (int64_t r = 0; r < rows; r++) {
    int64_t src = p->offset[nd - 1];
    for (int i = 0; i < nd - 1; i++) src += (idx[i] + p->offset[i]) * bstride[i];
    memcpy(y + r * len, a->b[0].d + src, (size_t)len * sizeof(float));
    for (int i = nd - 2; i >= 0; i--) { /* odometer over the row index */
      if (++idx[i] < ts->d[i]) break;
      idx[i] = 0;
    }
  }
}

/* Inner size (elements after the softmax axis). */
static int64_t softmax_inner(const rt_softmax_param *p, const rt_shape *s) {
  return rt_shape_count_range(s, p->axis + 1, s->nd);
}

/* Scratch: a running max and sum per inner position (none when inner is 1). */
size_t rt_softmax_ws(const void *param, const rt_args *a) {
  int64_t in = softmax_inner(param, &a->b[0].s);
  return in > 1 ? (size_t)in * 2 * sizeof(float) : 0;
}

/* Outer rows [o0, o1) of a softmax with c channels of in values each
 * (x, y: the whole tensors); mx and sum hold in floats each. */
static void softmax_rows(const float *x0, float *y0, int64_t o0, int64_t o1, int64_t c, int64_t in,
                         float *mx, float *sum) {
  for (int64_t o = o0; o < o1; o++) {
    const float *x = x0 + o * c * in;
    float *y = y0 + o * c * in;
    for (int64_t i = 0; i < in; i++) {
      mx[i] = x[i];
      sum[i] = 0.0f;
    }
    for (int64_t k = 1; k < c; k++)
      for (int64_t i = 0; i < in; i++)
        if (x[k * in + i] > mx[i]) mx[i] = x[k * in + i];
    for (int64_t k = 0; k < c; k++)
      for (int64_t i = 0; i < in; i++) {
        float e = expf(x[k * in + i] - mx[i]);
        y[k * in + i] = e;
        sum[i] += e;
      }
    for (int64_t i = 0; i < in; i++) sum[i] = 1.0f / sum[i];
    for (int64_t k = 0; k < c; k++)
      for (int64_t i = 0; i < in; i++) y[k * in + i] *= sum[i];
  }
}

typedef struct softmax_job {
  const float *x;
  float *y;
  int64_t outer, c;
} softmax_job;

/* Units [lo, hi) of RT_PAR_SOFTMAX_ROWS outer rows of a softmax with inner 1. */
static void softmax_part(void *ctx, int64_t lo, int64_t hi, void *ws) {
  const softmax_job *j = ctx;
  float loc[2];
  int64_t o1 = hi * RT_PAR_SOFTMAX_ROWS < j->outer ? hi * RT_PAR_SOFTMAX_ROWS : j->outer;
  (void)ws;
  softmax_rows(j->x, j->y, lo * RT_PAR_SOFTMAX_ROWS, o1, j->c, 1, loc, loc + 1);
}

/* Softmax over p->axis, numerically stable: exp(x - max) / sum.  Channel
 * rows are walked contiguously, keeping per-inner max/sum in a->ws.  With
 * inner 1 (a detector's scores: many rows of a few classes) the rows go
 * to the worker pool (rt_par.h: RT_PAR_SOFTMAX_ROWS per unit, from
 * RT_PAR_SOFTMAX_EXP values up); each row is computed by the same code
 * whichever thread runs it. */
void rt_softmax_f32(const void *param, const rt_args *a) {
  const rt_softmax_param *p = param;
  const rt_shape *s = &a->b[0].s;
  int64_t outer = rt_shape_count_range(s, 0, p->axis);
  int64_t c = s->nd > p->axis ? s->d[p->axis] : 1;
  int64_t in = softmax_inner(p, s);
  float loc[2];
  float *mx = in > 1 ? (float *)a->ws : loc;
  if (c == 0 || in == 0) return;
  if (in == 1 && rt_par_softmax_pays(outer, c)) {
    softmax_job j = {a->b[0].d, a->t[0].d, outer, c};
    rt_par_for((outer + RT_PAR_SOFTMAX_ROWS - 1) / RT_PAR_SOFTMAX_ROWS, softmax_part, &j, NULL);
    return;
  }
  softmax_rows(a->b[0].d, a->t[0].d, 0, outer, c, in, mx, mx + in);
}

typedef struct argmax_pair {
  float v;
  int i;
} argmax_pair;

/* Scratch: the current top_k candidates. */
size_t rt_argmax_ws(const void *param, const rt_args *a) {
  (void)a;
  const rt_argmax_param *p = param;
  return (size_t)p->top_k * sizeof(argmax_pair);
}

/* Caffe's order: std::greater on (value, index), so among equal values the
 * larger index ranks first. */
static int pair_gt(float v, int i, const argmax_pair *b) {
  return v > b->v || (v == b->v && i > b->i);
}

/* ArgMax: for each position, the top_k largest values along the axis (or
 * over all of count(1) per batch item without an axis), sorted descending.
 * With an axis the top holds indices (or values when out_max_val); without
 * one it holds indices, followed by the values when out_max_val. */
void rt_argmax_f32(const void *param, const rt_args *a) {
  const rt_argmax_param *p = param;
  const rt_shape *s = &a->b[0].s;
  int64_t dim = p->has_axis ? s->d[p->axis] : rt_shape_count_range(s, 1, s->nd);
  int64_t dist = p->has_axis ? rt_shape_count_range(s, p->axis + 1, s->nd) : 1;
  int64_t total = rt_shape_count(s);
  int64_t num = dim ? total / dim : 0;
  int k = p->top_k;
  argmax_pair *best = a->ws;
  const float *x = a->b[0].d;
  float *y = a->t[0].d;
  for (int64_t n = 0; n < num; n++) {
    int64_t ob = n / dist, ib = n % dist;
    const float *xs = x + ob * dim * dist + ib;
    int cnt = 0;
    for (int64_t j = 0; j < dim; j++) {
      float v = xs[j * dist];
      if (cnt == k && !pair_gt(v, (int)j, &best[k - 1])) continue;
      int pos = cnt < k ? cnt++ : k - 1;
      while (pos > 0 && pair_gt(v, (int)j, &best[pos - 1])) {
        best[pos] = best[pos - 1];
        pos--;
      }
      best[pos].v = v;
      best[pos].i = (int)j;
    }
    for (int j = 0; j < k; j++) {
      if (p->has_axis) {
        y[(ob * k + j) * dist + ib] = p->out_max_val ? best[j].v : (float)best[j].i;
      } else if (p->out_max_val) {
        y[2 * n * k + j] = (float)best[j].i;
        y[2 * n * k + k + j] = best[j].v;
      } else {
        y[n * k + j] = (float)best[j].i;
      }
    }
  }
}
