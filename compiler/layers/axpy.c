/* axpy.c - Axpy of the SENet Caffe ports (hujie's axpy_layer, also in
 * waifu2x-caffe): bottoms a (N x C x 1 x 1, or N x C), x and y (the same
 * N x C x ... shape); top = a[n][c] * x + y, shaped like x.  No
 * parameters, no learned blobs.
 *
 * Float: rt_axpy_f32 (runtime/rt_act.c), reference path.  Fixed point:
 * no integer kernel and no precision_param; like Sigmoid it runs as a float
 * layer of a fixed-point program on its dequantized bottoms (the SE gate a
 * comes from a Sigmoid, which is float there anyway). */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_axpy_setup(Layer *l, Net *n) {
  if (l->nbottom != 3 || l->ntop != 1) {
    ir_error(n, l, "takes 3 bottoms (a, x, y) and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

/* Caffe's checks: a's first two dims are x's, its others 1; x and y have
 * the same shape. */
int lk_axpy_shape(Layer *l, Net *n) {
  const rt_shape *a = &l->bottom[0]->shape, *x = &l->bottom[1]->shape,
                 *y = &l->bottom[2]->shape;
  char sa[96], sx[96], sy[96];
  bool ok = x->nd >= 2 && a->nd >= 2 && a->d[0] == x->d[0] && a->d[1] == x->d[1];
  for (int i = 2; ok && i < a->nd; i++) ok = a->d[i] == 1;
  if (!ok) {
    ir_error(n, l, "bottom a %s must be N x C (x 1 x 1) of bottom x %s",
             rt_shape_str(a, sa, sizeof sa), rt_shape_str(x, sx, sizeof sx));
    return -1;
  }
  ok = x->nd == y->nd;
  for (int i = 0; ok && i < x->nd; i++) ok = x->d[i] == y->d[i];
  if (!ok) {
    ir_error(n, l, "bottoms x %s and y %s must have the same shape",
             rt_shape_str(x, sx, sizeof sx), rt_shape_str(y, sy, sizeof sy));
    return -1;
  }
  l->top[0]->shape = *x;
  return 0;
}

/* One multiply-accumulate per top element. */
static long long axpy_macs(const Layer *l) { return rt_shape_count(&l->top[0]->shape); }

const LayerOps lk_axpy_ops = {.setup = lk_axpy_setup, .shape = lk_axpy_shape, .macs = axpy_macs};
