/* lrn.c - LRN (local response normalization): parameters and shape. */
#include <stdint.h>

#include "../ir.h"
#include "caffe.pb-c.h"

int lk_lrn_setup(Layer *l, Net *n) {
  const Caffe__LRNParameter *lp = l->lp->lrn_param;
  rt_lrn_param *p = &l->p.lrn;
  static const Caffe__LRNParameter dflt = CAFFE__LRNPARAMETER__INIT;
  if (!lp) lp = &dflt; /* every field has a default */
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  if (lp->local_size % 2 == 0 || lp->local_size > (1 << 20)) {
    ir_error_at(n, ir_loc(n, lp, "local_size", l), l,
                "local_size must be odd and positive, got %u", lp->local_size);
    return -1;
  }
  if (lp->norm_region != CAFFE__LRNPARAMETER__NORM_REGION__ACROSS_CHANNELS &&
      lp->norm_region != CAFFE__LRNPARAMETER__NORM_REGION__WITHIN_CHANNEL) {
    ir_error_at(n, ir_loc(n, lp, "norm_region", l), l,
                "unknown norm_region %d", (int)lp->norm_region);
    return -1;
  }
  p->local_size = (int)lp->local_size;
  p->region = lp->norm_region == CAFFE__LRNPARAMETER__NORM_REGION__WITHIN_CHANNEL
                  ? RT_LRN_WITHIN
                  : RT_LRN_ACROSS;
  p->alpha = lp->alpha;
  p->beta = lp->beta;
  p->k = lp->k;
  ir_declare_weights(l, n, 0, NULL);
  return 0;
}

int lk_lrn_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd != 4) {
    ir_error(n, l, "expects a 4-D NCHW bottom, got %d axes", in->nd);
    return -1;
  }
  l->top[0]->shape = *in;
  return 0;
}

const LayerOps lk_lrn_ops = {.setup = lk_lrn_setup, .shape = lk_lrn_shape};
