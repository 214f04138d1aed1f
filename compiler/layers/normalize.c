/* normalize.c - Normalize (SSD): L2 normalization with a learned scale. */
#include <stdint.h>

#include "../ir.h"
#include "caffe.pb-c.h"

int lk_normalize_setup(Layer *l, Net *n) {
  const Caffe__NormalizeParameter *np = l->lp->norm_param;
  rt_normalize_param *p = &l->p.normalize;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  p->across_spatial = np && np->has_across_spatial ? np->across_spatial : true;
  p->channel_shared = np && np->has_channel_shared ? np->channel_shared : true;
  p->eps = np && np->has_eps ? np->eps : 1e-10f;
  static const char *const roles[] = {"scale"};
  ir_declare_weights(l, n, 1, roles);
  return 0;
}

/* Top = bottom shape.  The bottom is read as legacy N x C x H x W, so it
 * needs 2 to 4 axes.  The scale is a scalar (channel_shared) or C values. */
int lk_normalize_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd < 2 || in->nd > 4) {
    ir_error(n, l, "expects a bottom with 2 to 4 axes (N x C x H x W), got %d",
             in->nd);
    return -1;
  }
  l->top[0]->shape = *in;
  int64_t c = in->d[1];
  if (l->p.normalize.channel_shared)
    return ir_set_shape(n, l, &l->weight[0].expect, 0, &c);
  return ir_set_shape(n, l, &l->weight[0].expect, 1, &c);
}

const LayerOps lk_normalize_ops = {.setup = lk_normalize_setup, .shape = lk_normalize_shape};
