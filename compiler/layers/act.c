/* act.c - the transcendental element-wise activations of BVLC Caffe:
 * BNLL (V1 BNLL = 2), ELU (elu_param), Exp (exp_param, V1 EXP = 38), Log
 * (log_param), Threshold (threshold_param, V1 THRESHOLD = 31) and Swish
 * (swish_param).  One bottom, one top of the same shape.
 *
 * Float: rt_<kind>_f32 (runtime/rt_act.c) through the reference path (no
 * emit_c slot).  Fixed point: no integer kernel (no fx_prepare) and no
 * precision_param: like Sigmoid and TanH they run as float layers of a
 * fixed-point program, reading their bottom dequantized; the simulator,
 * the generated C and the HLS project's CPU part all call the same float
 * kernel on the same values.  (Threshold could compare codes, but its
 * output of 0/1 is not a range calibration can use; it stays float too.) */
#include <math.h>

#include "../ir.h"
#include "caffe.pb-c.h"

/* Checks one bottom and one top. */
static int act_io(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

/* Every kind here: the top has the bottom's shape. */
static int act_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

/* ---- BNLL ---- */

int lk_bnll_setup(Layer *l, Net *n) { return act_io(l, n); }
int lk_bnll_shape(Layer *l, Net *n) { return act_shape(l, n); }
const LayerOps lk_bnll_ops = {.setup = lk_bnll_setup, .shape = lk_bnll_shape};

/* ---- ELU: alpha, default 1 ---- */

int lk_elu_setup(Layer *l, Net *n) {
  const Caffe__ELUParameter *ep = l->lp->elu_param;
  l->p.elu.alpha = ep && ep->has_alpha ? ep->alpha : 1.0f;
  if (!isfinite(l->p.elu.alpha)) {
    ir_error_at(n, ir_loc(n, ep, "alpha", l), l, "alpha must be finite");
    return -1;
  }
  return act_io(l, n);
}
int lk_elu_shape(Layer *l, Net *n) { return act_shape(l, n); }
const LayerOps lk_elu_ops = {.setup = lk_elu_setup, .shape = lk_elu_shape};

/* ---- Exp and Log: base (-1 = e), scale, shift ---- */

/* Fills l->p.explog from the fields of an Exp or Log message (both have
 * base, scale and shift with Caffe's defaults -1, 1, 0) and checks base as
 * Caffe does: strictly positive or -1; Log also rejects base 1, whose
 * logarithm Caffe refuses to divide by. */
static int explog_setup(Layer *l, Net *n, const void *msg, bool has_base, float base,
                        bool has_scale, float scale, bool has_shift, float shift, bool is_log) {
  rt_explog_param *p = &l->p.explog;
  p->base = has_base ? base : -1.0f;
  p->scale = has_scale ? scale : 1.0f;
  p->shift = has_shift ? shift : 0.0f;
  if (!(p->base > 0.0f || p->base == -1.0f) || !isfinite(p->base)) {
    ir_error_at(n, ir_loc(n, msg, "base", l), l,
                "base must be strictly positive, or -1 for e; got %g", p->base);
    return -1;
  }
  if (is_log && p->base == 1.0f) {
    ir_error_at(n, ir_loc(n, msg, "base", l), l, "base 1 has no logarithm to divide by");
    return -1;
  }
  if (!isfinite(p->scale) || !isfinite(p->shift)) {
    ir_error_at(n, ir_loc(n, msg, isfinite(p->scale) ? "shift" : "scale", l), l,
                "scale and shift must be finite");
    return -1;
  }
  return act_io(l, n);
}

int lk_exp_setup(Layer *l, Net *n) {
  const Caffe__ExpParameter *e = l->lp->exp_param;
  return explog_setup(l, n, e, e && e->has_base, e ? e->base : 0, e && e->has_scale,
                      e ? e->scale : 0, e && e->has_shift, e ? e->shift : 0, false);
}
int lk_exp_shape(Layer *l, Net *n) { return act_shape(l, n); }
const LayerOps lk_exp_ops = {.setup = lk_exp_setup, .shape = lk_exp_shape};

int lk_log_setup(Layer *l, Net *n) {
  const Caffe__LogParameter *e = l->lp->log_param;
  return explog_setup(l, n, e, e && e->has_base, e ? e->base : 0, e && e->has_scale,
                      e ? e->scale : 0, e && e->has_shift, e ? e->shift : 0, true);
}
int lk_log_shape(Layer *l, Net *n) { return act_shape(l, n); }
const LayerOps lk_log_ops = {.setup = lk_log_setup, .shape = lk_log_shape};

/* ---- Threshold: threshold, default 0 ---- */

int lk_threshold_setup(Layer *l, Net *n) {
  const Caffe__ThresholdParameter *tp = l->lp->threshold_param;
  l->p.threshold.threshold = tp && tp->has_threshold ? tp->threshold : 0.0f;
  if (isnan(l->p.threshold.threshold)) {
    ir_error_at(n, ir_loc(n, tp, "threshold", l), l, "threshold must be a number");
    return -1;
  }
  return act_io(l, n);
}
int lk_threshold_shape(Layer *l, Net *n) { return act_shape(l, n); }
const LayerOps lk_threshold_ops = {.setup = lk_threshold_setup, .shape = lk_threshold_shape};

/* ---- Swish: beta, default 1 ---- */

int lk_swish_setup(Layer *l, Net *n) {
  const Caffe__SwishParameter *sp = l->lp->swish_param;
  l->p.swish.beta = sp && sp->has_beta ? sp->beta : 1.0f;
  if (!isfinite(l->p.swish.beta)) {
    ir_error_at(n, ir_loc(n, sp, "beta", l), l, "beta must be finite");
    return -1;
  }
  return act_io(l, n);
}
int lk_swish_shape(Layer *l, Net *n) { return act_shape(l, n); }
const LayerOps lk_swish_ops = {.setup = lk_swish_setup, .shape = lk_swish_shape};
