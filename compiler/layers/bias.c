/* bias.c - Bias: y = x + bias, the bias broadcast over axes [axis,
 * axis + num_axes) and coming from a learned blob or bottom[1]. */
#include "../ir.h"
#include "caffe.pb-c.h"

/* In scale.c: axis rules shared by Scale and Bias. */
int lk_scale_axes(Layer *l, Net *n, const void *msg, int axis, int num_axes);

int lk_bias_setup(Layer *l, Net *n) {
  const Caffe__BiasParameter *bp = l->lp->bias_param;
  rt_scale_param *p = &l->p.scale;
  if ((l->nbottom != 1 && l->nbottom != 2) || l->ntop != 1) {
    ir_error(n, l, "takes 1 or 2 bottoms and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  p->axis = bp && bp->has_axis ? bp->axis : 1;
  p->num_axes = bp && bp->has_num_axes ? bp->num_axes : 1;
  p->bias_term = false;
  if (p->num_axes < -1) {
    ir_error_at(n, ir_loc(n, bp, "num_axes", l), l,
                "num_axes must be -1 or more, got %d", p->num_axes);
    return -1;
  }
  static const char *const roles[] = {"bias"};
  ir_declare_weights(l, n, l->nbottom == 1 ? 1 : 0, roles);
  return 0;
}

int lk_bias_shape(Layer *l, Net *n) {
  const Caffe__BiasParameter *bp = l->lp->bias_param;
  int axis = bp && bp->has_axis ? bp->axis : 1;
  int num_axes = bp && bp->has_num_axes ? bp->num_axes : 1;
  return lk_scale_axes(l, n, bp, axis, num_axes);
}

const LayerOps lk_bias_ops = {.setup = lk_bias_setup, .shape = lk_bias_shape};
