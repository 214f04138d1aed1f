/* tanh.c - TanH: y = tanh(x). */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_tanh_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_tanh_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

const LayerOps lk_tanh_ops = {.setup = lk_tanh_setup, .shape = lk_tanh_shape};
