/* sigmoid.c - Sigmoid: y = 1 / (1 + exp(-x)). */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_sigmoid_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_sigmoid_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

const LayerOps lk_sigmoid_ops = {.setup = lk_sigmoid_setup, .shape = lk_sigmoid_shape};
