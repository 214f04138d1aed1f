/* dropout.c - Dropout: the identity at inference (Caffe's test phase). */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_dropout_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_dropout_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

/* Codes move unchanged. */
static int dropout_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_copy);
}

const LayerOps lk_dropout_ops = {
    .setup = lk_dropout_setup,
    .shape = lk_dropout_shape,
    .fx_prepare = dropout_fx,
    .fx_call = ef_copy_call,
    .hls_fn = eh_copy_fn,
    .emit_c = ec_copy,
};
