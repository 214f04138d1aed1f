/* scale.c - Scale: y = x * scale (+ bias), the factor broadcast over axes
 * [axis, axis + num_axes) and coming from a learned blob or bottom[1]. */
#include <math.h>
#include <string.h>

#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_scale_axes(Layer *l, Net *n, const void *msg, int axis, int num_axes);

/* Shared with bias.c.  Canonicalizes axis/num_axes into l->p.scale as
 * Caffe's Scale/Bias Reshape does (with two bottoms num_axes is bottom[1]'s
 * rank, and a 0-axis bottom[1] forces axis 0), checks bottom[1]'s shape
 * against the covered dims, sets the top shape, and sets every declared
 * weight's expected shape to the covered dims. */
int lk_scale_axes(Layer *l, Net *n, const void *msg, int axis, int num_axes) {
  const rt_shape *in = &l->bottom[0]->shape;
  rt_scale_param *p = &l->p.scale;
  char b0[96], b1[96];
  int ax = rt_axis(in, axis);
  if (l->nbottom == 2) {
    const rt_shape *sb = &l->bottom[1]->shape;
    if (sb->nd == 0) ax = 0;
    if (ax < 0) {
      ir_error_at(n, ir_loc(n, msg, "axis", l), l,
                  "axis %d is out of range for a bottom with %d axes", axis, in->nd);
      return -1;
    }
    int ok = in->nd >= ax + sb->nd;
    for (int i = 0; ok && i < sb->nd; i++) ok = in->d[ax + i] == sb->d[i];
    if (!ok) {
      ir_error_at(n, ir_loc(n, msg, "axis", l), l,
                  "bottom[1] shape %s does not match bottom[0] shape %s from axis %d",
                  rt_shape_str(sb, b1, sizeof b1), rt_shape_str(in, b0, sizeof b0), ax);
      return -1;
    }
    p->axis = ax;
    p->num_axes = sb->nd;
  } else {
    if (ax < 0) {
      ir_error_at(n, ir_loc(n, msg, "axis", l), l,
                  "axis %d is out of range for a bottom with %d axes", axis, in->nd);
      return -1;
    }
    int na = num_axes == -1 ? in->nd - ax : num_axes;
    if (ax + na > in->nd) {
      ir_error_at(n, ir_loc(n, msg, "num_axes", l), l,
                  "axis %d with num_axes %d exceeds the bottom's %d axes (%s)", ax,
                  num_axes, in->nd, rt_shape_str(in, b0, sizeof b0));
      return -1;
    }
    p->axis = ax;
    p->num_axes = na;
  }
  int64_t dims[RT_MAXDIM];
  for (int i = 0; i < p->num_axes; i++) dims[i] = in->d[p->axis + i];
  for (int i = 0; i < l->nweight; i++)
    if (ir_set_shape(n, l, &l->weight[i].expect, p->num_axes, dims)) return -1;
  l->top[0]->shape = *in;
  return 0;
}

int lk_scale_setup(Layer *l, Net *n) {
  const Caffe__ScaleParameter *sp = l->lp->scale_param;
  rt_scale_param *p = &l->p.scale;
  if ((l->nbottom != 1 && l->nbottom != 2) || l->ntop != 1) {
    ir_error(n, l, "takes 1 or 2 bottoms and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  p->axis = sp && sp->has_axis ? sp->axis : 1;
  p->num_axes = sp && sp->has_num_axes ? sp->num_axes : 1;
  p->bias_term = sp && sp->has_bias_term && sp->bias_term;
  if (p->num_axes < -1) {
    ir_error_at(n, ir_loc(n, sp, "num_axes", l), l,
                "num_axes must be -1 or more, got %d", p->num_axes);
    return -1;
  }
  static const char *const roles1[] = {"scale", "bias"};
  static const char *const roles2[] = {"bias"};
  if (l->nbottom == 1)
    ir_declare_weights(l, n, p->bias_term ? 2 : 1, roles1);
  else
    ir_declare_weights(l, n, p->bias_term ? 1 : 0, roles2);
  return 0;
}

int lk_scale_shape(Layer *l, Net *n) {
  const Caffe__ScaleParameter *sp = l->lp->scale_param;
  int axis = sp && sp->has_axis ? sp->axis : 1;
  int num_axes = sp && sp->has_num_axes ? sp->num_axes : 1;
  return lk_scale_axes(l, n, sp, axis, num_axes);
}

/* ---- operations (ir.h LayerOps) ---- */

static int scale_affine_channels(const Layer *l) {
  if (l->p.scale.axis == 1 && l->p.scale.num_axes == 1) return l->bottom[0]->shape.d[1];
  return -1;
}

static void scale_affine(const Layer *l, int c, double *a, double *b) {
  for (int k = 0; k < c; k++) {
    a[k] = l->weight[0].t.d[k];
    b[k] = l->p.scale.bias_term && l->weight[1].loaded ? l->weight[1].t.d[k] : 0.0;
  }
}

static void scale_fold_factor(const Layer *l, double *f, int nch) {
  if (l->nweight >= 1 && l->weight[0].loaded) {
    int64_t k = rt_shape_count(&l->weight[0].t.s);
    for (int i = 0; i < nch; i++)
      if (k == nch || k == 1) f[i] *= fabs((double)l->weight[0].t.d[k == 1 ? 0 : i]);
  }
}

/* One bottom with learned factors: one per channel along axis, or one. */
static int scale_fx(Net *n, Layer *l, QsKernel *k) {
  const rt_shape *s = &l->bottom[0]->shape;
  if (l->nbottom != 1 || !qs_wdata(l, 0)) return 1;
  int axis = l->p.scale.axis;
  int nch = (int)rt_shape_count(&l->weight[0].t.s);
  if (nch != 1 && (axis >= s->nd || s->d[axis] != nch)) return 1;
  const float *b = l->p.scale.bias_term ? qs_wdata(l, 1) : NULL;
  return qs_prep_affine(n, l, k, axis, nch, qs_wdata(l, 0), b);
}

static bool scale_hw_limits(const Layer *l, char *why, size_t n) {
  const rt_scale_param *p = &l->p.scale;
  if (l->nbottom != 1 || p->axis != 1 || p->num_axes != 1)
    return pt_fail(why, n, "not a per-channel scale with learned factors (chaicc)");
  return pt_fmaps_below(l, PT_MAX_FMAPS_BN, why, n);
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/scale: OUTER x D x INNER with learned factors (and bias) over D; NULL
 * (reference kernel) when the factors come from a second bottom. */
static const char *scale_emit_c(EcLayer *c, const Layer *l) {
  const rt_scale_param *p = &l->p.scale;
  if (l->nbottom != 1) return NULL;
  const rt_shape *in = &l->bottom[0]->shape;
  int64_t D = rt_shape_count_range(in, p->axis, p->axis + p->num_axes);
  ec_int(c, "OUTER", rt_shape_count_range(in, 0, p->axis)), ec_int(c, "D", D);
  ec_int(c, "INNER", rt_shape_count_range(in, p->axis + p->num_axes, in->nd));
  ec_str(c, "scale", ec_weight(c, "scale", l->weight[0].t.d, D));
  bool hb = p->bias_term && l->nweight > 1 && l->weight[1].loaded;
  ec_str(c, "bias", hb ? ec_weight(c, "bias", l->weight[1].t.d, D) : "");
  return "c/scale";
}

const LayerOps lk_scale_ops = {
    .setup = lk_scale_setup,
    .shape = lk_scale_shape,
    .fx_prepare = scale_fx,
    .affine_channels = scale_affine_channels,
    .affine = scale_affine,
    .fold_factor = scale_fold_factor,
    .hw_limits = scale_hw_limits,
    .fx_call = ef_affine_call,
    .hls_fn = eh_affine_fn,
    .emit_c = scale_emit_c,
};
