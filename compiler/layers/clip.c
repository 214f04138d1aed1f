/* clip.c - the clamping activations: Clip (BVLC clip_param: min, max) and
 * ReLU6 (MobileNet-v2 ports: min(max(x, 0), 6) + negative_slope *
 * min(x, 0), the slope from relu6_param of the Caffe-ReLU6 add-on or
 * relu_param as NVIDIA Caffe reads it; default 0).  Both keep one
 * rt_clip_param, y = max(min, min(x, max)) + negative_slope * min(x, 0).
 *
 * Float: rt_clip_f32 / rt_relu6_f32 (runtime/rt_act.c), reference path.
 * Fixed point (Xilinx mode gives them an output format, LKF_QX, as ReLU):
 * rounding is monotonic, so quantizing the clamped value equals clamping
 * the requantized code to the codes of min and max.  The integer kernel
 * is therefore rt_fx_relu with its code range narrowed to
 * [code(min), code(max)] (both saturated to the output format), and for
 * ReLU6 with a positive slope the negative branch's multiplier scaled by
 * it; the emitters' shared requantization writes the call with those
 * bounds. */
#include <math.h>

#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

static int clip_io(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

/* Clip needs both bounds (BVLC gives them no defaults), finite, min <= max. */
int lk_clip_setup(Layer *l, Net *n) {
  const Caffe__ClipParameter *cp = l->lp->clip_param;
  rt_clip_param *p = &l->p.clip;
  if (!cp || !cp->has_min || !cp->has_max) {
    ir_error_at(n, ir_loc(n, cp, NULL, l), l, "clip_param needs both min and max");
    return -1;
  }
  p->min = cp->min, p->max = cp->max, p->negative_slope = 0.0f;
  if (!isfinite(p->min) || !isfinite(p->max) || p->min > p->max) {
    ir_error_at(n, ir_loc(n, cp, "max", l), l,
                "min and max must be finite with min <= max; got %g and %g", p->min, p->max);
    return -1;
  }
  return clip_io(l, n);
}

int lk_clip_shape(Layer *l, Net *n) {
  (void)n;
  l->top[0]->shape = l->bottom[0]->shape;
  return 0;
}

int lk_relu6_setup(Layer *l, Net *n) {
  const Caffe__ReLU6Parameter *r6 = l->lp->relu6_param;
  const Caffe__ReLUParameter *rp = l->lp->relu_param;
  rt_clip_param *p = &l->p.clip;
  p->min = 0.0f, p->max = 6.0f, p->negative_slope = 0.0f;
  if (r6 && r6->has_negative_slope) p->negative_slope = r6->negative_slope;
  else if (rp && rp->has_negative_slope) p->negative_slope = rp->negative_slope;
  if (!isfinite(p->negative_slope)) {
    ir_error(n, l, "negative_slope must be finite");
    return -1;
  }
  return clip_io(l, n);
}

int lk_relu6_shape(Layer *l, Net *n) { return lk_clip_shape(l, n); }

/* ---- operations (ir.h LayerOps) ---- */

/* The integer kernel (see the top comment).  A negative slope (the
 * negative branch then grows above max) or a slope with min != 0 has no
 * such form: 1, the layer runs in float. */
static int clip_fx(Net *n, Layer *l, QsKernel *k) {
  const rt_clip_param *c = &l->p.clip;
  float s = c->negative_slope;
  if (s < 0.0f || (s != 0.0f && c->min != 0.0f)) return 1;
  rt_fx_relu_param *p = ar_alloc(n->ar, sizeof *p);
  if (rt_fx_prepare_relu(p, s != 0.0f ? s : 1.0f, &k->in, &k->out)) return -1;
  int32_t lo = rt_fx_quantize1(c->min, k->out.scale, p->qmin, p->qmax);
  int32_t hi = rt_fx_quantize1(c->max, k->out.scale, p->qmin, p->qmax);
  if (s == 0.0f && lo > p->qmin) p->qmin = lo;
  if (hi < p->qmax) p->qmax = hi;
  k->fn = rt_fx_relu;
  k->param = p;
  return 0;
}

const LayerOps lk_clip_ops = {
    .setup = lk_clip_setup,
    .shape = lk_clip_shape,
    .fx_prepare = clip_fx,
    .fx_call = ef_requant_call,
    .hls_fn = eh_requant_fn,
};

const LayerOps lk_relu6_ops = {
    .setup = lk_relu6_setup,
    .shape = lk_relu6_shape,
    .fx_prepare = clip_fx,
    .fx_call = ef_requant_call,
    .hls_fn = eh_requant_fn,
};
