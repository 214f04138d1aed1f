/* bn.c - BatchNorm with global statistics (inference). */
#include <math.h>
#include <stdlib.h>

#include "../calib.h"
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_bn_setup(Layer *l, Net *n) {
  const Caffe__BatchNormParameter *bp = l->lp->batch_norm_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  l->p.bn.eps = bp && bp->has_eps ? bp->eps : 1e-5f;
  if (!(l->p.bn.eps >= 0.0f)) {
    ir_error_at(n, ir_loc(n, bp, "eps", l), l, "eps must not be negative");
    return -1;
  }
  static const char *const roles[] = {"mean", "variance", "scale_factor"};
  ir_declare_weights(l, n, 3, roles);
  return 0;
}

/* Channels are axis 1 (1 for a 1-D bottom); blobs are C, C and 1 values. */
int lk_bn_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd < 1) {
    ir_error(n, l, "needs a bottom with at least 1 axis");
    return -1;
  }
  int64_t c = in->nd > 1 ? in->d[1] : 1, one = 1;
  l->top[0]->shape = *in;
  if (ir_set_shape(n, l, &l->weight[0].expect, 1, &c) ||
      ir_set_shape(n, l, &l->weight[1].expect, 1, &c) ||
      ir_set_shape(n, l, &l->weight[2].expect, 1, &one))
    return -1;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static int bn_affine_channels(const Layer *l) { return l->bottom[0]->shape.d[1]; }

/* a = 1/sqrt(var + eps), b = -mean*a with Caffe's moving-average factor. */
static void bn_affine(const Layer *l, int c, double *a, double *b) {
  double f = l->weight[2].t.d[0];
  double inv = f == 0.0 ? 0.0 : 1.0 / f;
  for (int k = 0; k < c; k++) {
    double m = l->weight[0].t.d[k] * inv, v = l->weight[1].t.d[k] * inv;
    a[k] = 1.0 / sqrt(v + (double)l->p.bn.eps);
    b[k] = -m * a[k];
  }
}

static void bn_fold_factor(const Layer *l, double *f, int nch) {
  if (l->nweight >= 3 && l->weight[0].loaded && l->weight[1].loaded && l->weight[2].loaded &&
      rt_shape_count(&l->weight[0].t.s) == nch) {
    float *a = cb_xcalloc((size_t)nch, sizeof(float));
    float *bb = cb_xcalloc((size_t)nch, sizeof(float));
    rt_fx_bn_affine(nch, l->weight[0].t.d, l->weight[1].t.d, l->weight[2].t.d[0], l->p.bn.eps,
                    NULL, NULL, a, bb);
    for (int i = 0; i < nch; i++) f[i] *= fabs((double)a[i]);
    free(a);
    free(bb);
  }
}

/* A lone BatchNorm as a per-channel affine on axis 1. */
static int bn_fx(Net *n, Layer *l, QsKernel *k) {
  const rt_shape *s = &l->bottom[0]->shape;
  if (s->nd < 2 || !qs_wdata(l, 0) || !qs_wdata(l, 1) || !qs_wdata(l, 2)) return 1;
  int nch = s->d[1];
  float *aa = ar_array(n->ar, (size_t)nch, sizeof(float));
  float *bb = ar_array(n->ar, (size_t)nch, sizeof(float));
  rt_fx_bn_affine(nch, qs_wdata(l, 0), qs_wdata(l, 1), qs_wdata(l, 2)[0], l->p.bn.eps, NULL,
                  NULL, aa, bb);
  return qs_prep_affine(n, l, k, 1, nch, aa, bb);
}

static bool bn_hw_limits(const Layer *l, char *why, size_t n) {
  return pt_fmaps_below(l, PT_MAX_FMAPS_BN, why, n);
}

const LayerOps lk_bn_ops = {
    .setup = lk_bn_setup,
    .shape = lk_bn_shape,
    .fx_prepare = bn_fx,
    .affine_channels = bn_affine_channels,
    .affine = bn_affine,
    .fold_factor = bn_fold_factor,
    .hw_limits = bn_hw_limits,
    .fx_call = ef_affine_call,
    .hls_fn = eh_affine_fn,
};
