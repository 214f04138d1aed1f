/* input.c - the Input layer: declares network inputs with fixed shapes. */
#include <stdint.h>

#include "../ir.h"
#include "caffe.pb-c.h"

int lk_input_setup(Layer *l, Net *n) {
  const Caffe__InputParameter *ip = l->lp->input_param;
  rt_input_param *p = &l->p.input;
  if (l->nbottom != 0 || l->ntop < 1) {
    ir_error(n, l, "takes no bottom and at least 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  if (l->ntop > RT_MAXLIST) {
    ir_error(n, l, "has %d tops; at most %d are supported", l->ntop, RT_MAXLIST);
    return -1;
  }
  size_t ns = ip ? ip->n_shape : 0;
  if (ns != 1 && ns != (size_t)l->ntop) {
    ir_error_at(n, ir_loc(n, ip, "shape", l), l,
                "input_param needs 1 shape or one per top (%d), got %zu",
                l->ntop, ns);
    return -1;
  }
  p->ntop = l->ntop;
  for (int t = 0; t < l->ntop; t++) {
    const Caffe__BlobShape *bs = ip->shape[ns == 1 ? 0 : t];
    int64_t d[RT_MAXDIM];
    if (bs->n_dim > RT_MAXDIM) {
      ir_error_at(n, ir_loc(n, bs, "dim", l), l, "input shape has %zu axes; at most %d are supported",
                  bs->n_dim, RT_MAXDIM);
      return -1;
    }
    for (size_t i = 0; i < bs->n_dim; i++) d[i] = bs->dim[i];
    if (ir_set_shape(n, l, &p->shape[t], (int)bs->n_dim, d)) return -1;
  }
  return 0;
}

int lk_input_shape(Layer *l, Net *n) {
  (void)n;
  for (int t = 0; t < l->ntop; t++) l->top[t]->shape = l->p.input.shape[t];
  return 0;
}

const LayerOps lk_input_ops = {.setup = lk_input_setup, .shape = lk_input_shape};
