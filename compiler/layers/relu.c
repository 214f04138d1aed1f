/* relu.c - ReLU (with Caffe's leaky negative_slope). */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_relu_setup(Layer *l, Net *n) {
  const Caffe__ReLUParameter *rp = l->lp->relu_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  l->p.relu.negative_slope = rp && rp->has_negative_slope ? rp->negative_slope : 0.0f;
  return 0;
}

int lk_relu_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}
