/* absval.c - AbsVal: y = |x| (Caffe's AbsValLayer; no parameters, V1
 * ABSVAL = 35).
 *
 * Float: rt_absval_f32; the generated C calls it through the reference
 * path (no emit_c slot).  Fixed point: |x| is a leaky ReLU of slope -1, so
 * the integer kernel is rt_fx_relu with (Mn, shn) = multiplier(-s_in/s_out):
 * for a negative code x, x * Mn = |x| * |Mn| and the round-half-away shift
 * is symmetric, so it gives the code the positive branch gives for |x|.
 * The emitters' shared requantization (ef_requant_call, eh_requant_fn)
 * writes that call.  No hardware kernel: AbsVal runs on the CPU. */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_absval_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_absval_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

/* The integer kernel: rt_fx_relu with slope -1 (see the top comment). */
static int absval_fx(Net *n, Layer *l, QsKernel *k) {
  (void)l;
  rt_fx_relu_param *p = ar_alloc(n->ar, sizeof *p);
  if (rt_fx_prepare_relu(p, -1.0f, &k->in, &k->out)) return -1;
  k->fn = rt_fx_relu;
  k->param = p;
  return 0;
}

const LayerOps lk_absval_ops = {
    .setup = lk_absval_setup,
    .shape = lk_absval_shape,
    .fx_prepare = absval_fx,
    .fx_call = ef_requant_call,
    .hls_fn = eh_requant_fn,
};
