/* power.c - Power: y = (shift + scale * x) ^ power. */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_power_setup(Layer *l, Net *n) {
  const Caffe__PowerParameter *pp = l->lp->power_param;
  rt_power_param *p = &l->p.power;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  p->power = pp && pp->has_power ? pp->power : 1.0f;
  p->scale = pp && pp->has_scale ? pp->scale : 1.0f;
  p->shift = pp && pp->has_shift ? pp->shift : 0.0f;
  return 0;
}

int lk_power_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

const LayerOps lk_power_ops = {.setup = lk_power_setup, .shape = lk_power_shape};
