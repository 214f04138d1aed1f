/* bn.c - BatchNorm with global statistics (inference). */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_bn_setup(Layer *l, Net *n) {
  const Caffe__BatchNormParameter *bp = l->lp->batch_norm_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  l->p.bn.eps = bp && bp->has_eps ? bp->eps : 1e-5f;
  if (!(l->p.bn.eps >= 0.0f)) {
    ir_error_at(n, ir_loc(n, bp, "eps", l), l, "eps must not be negative");
    return -1;
  }
  static const char *const roles[] = {"mean", "variance", "scale_factor"};
  ir_declare_weights(l, n, 3, roles);
  return 0;
}

/* Channels are axis 1 (1 for a 1-D bottom); blobs are C, C and 1 values. */
int lk_bn_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd < 1) {
    ir_error(n, l, "needs a bottom with at least 1 axis");
    return -1;
  }
  int64_t c = in->nd > 1 ? in->d[1] : 1, one = 1;
  l->top[0]->shape = *in;
  if (ir_set_shape(n, l, &l->weight[0].expect, 1, &c) ||
      ir_set_shape(n, l, &l->weight[1].expect, 1, &c) ||
      ir_set_shape(n, l, &l->weight[2].expect, 1, &one))
    return -1;
  return 0;
}
