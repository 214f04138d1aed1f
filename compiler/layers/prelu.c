/* prelu.c - PReLU: per-channel (axis 1) learned negative slopes. */
#include "../emit_kind.h"
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_prelu_setup(Layer *l, Net *n) {
  const Caffe__PReLUParameter *pp = l->lp->prelu_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  l->p.prelu.channel_shared = pp && pp->has_channel_shared && pp->channel_shared;
  static const char *const roles[] = {"slope"};
  ir_declare_weights(l, n, 1, roles);
  return 0;
}

/* Caffe needs at least 2 axes; the slope blob is C values, or a scalar
 * (0 axes, as Caffe declares it) when channel_shared. */
int lk_prelu_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd < 2) {
    ir_error(n, l, "needs a bottom with at least 2 axes, got %d", in->nd);
    return -1;
  }
  int64_t c = in->d[1];
  l->top[0]->shape = *in;
  if (l->p.prelu.channel_shared) return ir_set_shape(n, l, &l->weight[0].expect, 0, &c);
  return ir_set_shape(n, l, &l->weight[0].expect, 1, &c);
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/prelu: N x C x INNER with one slope per channel (or one shared). */
static const char *prelu_emit_c(EcLayer *c, const Layer *l) {
  const rt_shape *in = &l->bottom[0]->shape;
  int C = in->nd > 1 ? in->d[1] : 1;
  bool sh = l->p.prelu.channel_shared;
  ec_int(c, "N", in->nd ? in->d[0] : 1), ec_int(c, "C", C);
  ec_int(c, "INNER", rt_shape_count_range(in, 2, in->nd));
  ec_bool(c, "shared", sh);
  ec_str(c, "w", ec_weight(c, "slope", l->weight[0].t.d, sh ? 1 : C));
  return "c/prelu";
}

const LayerOps lk_prelu_ops = {
    .setup = lk_prelu_setup,
    .shape = lk_prelu_shape,
    .emit_c = prelu_emit_c,
};
