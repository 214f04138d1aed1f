/* softmax.c - Softmax over one axis. */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_softmax_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_softmax_shape(Layer *l, Net *n) {
  const Caffe__SoftmaxParameter *sp = l->lp->softmax_param;
  const rt_shape *in = &l->bottom[0]->shape;
  int raw = sp && sp->has_axis ? sp->axis : 1;
  int axis = rt_axis(in, raw);
  if (axis < 0) {
    ir_error_at(n, ir_loc(n, sp, "axis", l), l,
                "axis %d is out of range for a bottom with %d axes", raw, in->nd);
    return -1;
  }
  l->p.softmax.axis = axis;
  l->top[0]->shape = *in;
  return 0;
}

const LayerOps lk_softmax_ops = {.setup = lk_softmax_setup, .shape = lk_softmax_shape};
