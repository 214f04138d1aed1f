/* split.c - Split: copies its bottom to every top. */
#include "../emit_kind.h"
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_split_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop < 1) {
    ir_error(n, l, "takes 1 bottom and at least 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_split_shape(Layer *l, Net *n) {
  (void)n;
  for (int i = 0; i < l->ntop; i++) l->top[i]->shape = l->bottom[0]->shape;
  return 0;
}

const LayerOps lk_split_ops = {
    .setup = lk_split_setup,
    .shape = lk_split_shape,
    .emit_c = ec_copy,
};
