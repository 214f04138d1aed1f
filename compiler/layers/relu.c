/* relu.c - ReLU (with Caffe's leaky negative_slope). */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_relu_setup(Layer *l, Net *n) {
  const Caffe__ReLUParameter *rp = l->lp->relu_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  l->p.relu.negative_slope = rp && rp->has_negative_slope ? rp->negative_slope : 0.0f;
  return 0;
}

int lk_relu_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static int relu_fx(Net *n, Layer *l, QsKernel *k) {
  rt_fx_relu_param *p = ar_alloc(n->ar, sizeof *p);
  if (rt_fx_prepare_relu(p, l->p.relu.negative_slope, &k->in, &k->out)) return -1;
  k->fn = rt_fx_relu;
  k->param = p;
  return 0;
}

/* The hardware has no ReLU of its own: it runs fused into its producer. */
static bool relu_hw_limits(const Layer *l, char *why, size_t n) {
  const Layer *src = l->bottom[0]->producer;
  if (!src) return pt_fail(why, n, "its bottom is a network input (ReLU runs fused into a layer)");
  if (src->kind != LK_CONV && src->kind != LK_BN && src->kind != LK_SCALE &&
      src->kind != LK_ELTWISE)
    return pt_fail(why, n,
                   "ReLU is fused only into Convolution, BatchNorm, Scale or Eltwise; its bottom "
                   "comes from '%s' (%s)",
                   src->name, src->type);
  if (src->place != PL_HW)
    return pt_fail(why, n, "ReLU is fused into '%s', which is placed in software", src->name);
  return true;
}

/* ---- float C emitter (emit_kind.h) ---- */

static const char *relu_emit_c(EcLayer *c, const Layer *l) {
  ec_float(c, "neg", l->p.relu.negative_slope);
  return "c/relu";
}

const LayerOps lk_relu_ops = {
    .setup = lk_relu_setup,
    .shape = lk_relu_shape,
    .fx_prepare = relu_fx,
    .hw_limits = relu_hw_limits,
    .fx_call = ef_requant_call,
    .hls_fn = eh_requant_fn,
    .emit_c = relu_emit_c,
};
