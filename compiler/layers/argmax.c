/* argmax.c - ArgMax: indices (and/or values) of the top_k largest entries. */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_argmax_setup(Layer *l, Net *n) {
  const Caffe__ArgMaxParameter *ap = l->lp->argmax_param;
  rt_argmax_param *p = &l->p.argmax;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  p->out_max_val = ap && ap->has_out_max_val && ap->out_max_val;
  p->has_axis = ap && ap->has_axis;
  p->axis = p->has_axis ? ap->axis : 0;
  uint32_t k = ap && ap->has_top_k ? ap->top_k : 1;
  if (k < 1 || k > INT32_MAX / 2) {
    ir_error_at(n, ir_loc(n, ap, "top_k", l), l, "top_k must be at least 1, got %u", k);
    return -1;
  }
  p->top_k = (int)k;
  return 0;
}

/* Caffe's rule: with an axis, the bottom shape with that axis set to top_k
 * (the bottom's own rank);
 * without, max(nd, 3) axes of 1 with [0] = N, [1] = 2 if out_max_val,
 * [2] = top_k. */
int lk_argmax_shape(Layer *l, Net *n) {
  const Caffe__ArgMaxParameter *ap = l->lp->argmax_param;
  const rt_shape *in = &l->bottom[0]->shape;
  rt_argmax_param *p = &l->p.argmax;
  int64_t dims[RT_MAXDIM];
  int nd = in->nd < 3 ? 3 : in->nd;
  if (in->nd < 1) {
    ir_error(n, l, "needs a bottom with at least 1 axis");
    return -1;
  }
  if (p->has_axis) {
    int axis = rt_axis(in, ap->axis);
    if (axis < 0) {
      ir_error_at(n, ir_loc(n, ap, "axis", l), l,
                  "axis %d is out of range for a bottom with %d axes", ap->axis, in->nd);
      return -1;
    }
    if (p->top_k > in->d[axis]) {
      ir_error_at(n, ir_loc(n, ap, "top_k", l), l,
                  "top_k %d is larger than axis %d size %d", p->top_k, axis,
                  in->d[axis]);
      return -1;
    }
    p->axis = axis;
    nd = in->nd;
    for (int i = 0; i < nd; i++) dims[i] = in->d[i];
    dims[axis] = p->top_k;
  } else {
    int64_t c = rt_shape_count_range(in, 1, in->nd);
    if (p->top_k > c) {
      ir_error_at(n, ir_loc(n, ap, "top_k", l), l,
                  "top_k %d is larger than the %lld values per item", p->top_k,
                  (long long)c);
      return -1;
    }
    for (int i = 0; i < nd; i++) dims[i] = 1;
    dims[0] = in->d[0];
    dims[1] = p->out_max_val ? 2 : 1;
    dims[2] = p->top_k;
  }
  return ir_set_shape(n, l, &l->top[0]->shape, nd, dims);
}

const LayerOps lk_argmax_ops = {.setup = lk_argmax_setup, .shape = lk_argmax_shape};
