/* bnseg.c - BN of the SegNet fork (alexgkendall/caffe-segnet bn_layer;
 * ENet's caffe-enet has the same layer): type "BN", bn_param { bn_mode,
 * scale_filler, shift_filler }, learned blobs scale and shift of
 * 1 x C x 1 x 1.  The fork keeps no running statistics: its
 * compute_bn_statistics script folds the dataset's mean and variance into
 * scale and shift and sets bn_mode: INFERENCE, where y = scale * x + shift.
 * In the default mode LEARN the fork normalizes with the statistics of the
 * input it is given (over N, H, W; eps 1e-9) at any phase, and so do we.
 *
 * INFERENCE is a per-channel affine on axis 1 (LKF_AFFINE): it folds into
 * a preceding Convolution like BatchNorm + Scale, and alone it quantizes as
 * Scale does (rt_fx_affine).  LEARN depends on the whole input: it is not
 * an affine (affine_channels -1, never folded) and has no integer kernel
 * (it runs in float between a dequantize and a quantize). */
#include <math.h>

#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_bnseg_setup(Layer *l, Net *n) {
  const Caffe__BNParameter *bp = l->lp->bn_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  bool inf = bp && bp->has_bn_mode && bp->bn_mode == CAFFE__BNPARAMETER__BNMODE__INFERENCE;
  l->p.bnseg.mode = inf ? RT_BNSEG_INFERENCE : RT_BNSEG_LEARN;
  static const char *const roles[] = {"scale", "shift"};
  ir_declare_weights(l, n, 2, roles);
  return 0;
}

/* Channels are axis 1; the fork's blobs are 1 x C x 1 x 1. */
int lk_bnseg_shape(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd < 2) {
    ir_error(n, l, "needs a bottom with at least 2 axes (N x C ...), got %d", in->nd);
    return -1;
  }
  int64_t d[4] = {1, in->d[1], 1, 1};
  l->top[0]->shape = *in;
  if (ir_set_shape(n, l, &l->weight[0].expect, 4, d) ||
      ir_set_shape(n, l, &l->weight[1].expect, 4, d))
    return -1;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static int bnseg_affine_channels(const Layer *l) {
  return l->p.bnseg.mode == RT_BNSEG_INFERENCE ? l->bottom[0]->shape.d[1] : -1;
}

/* a = scale, b = shift (INFERENCE only: affine_channels is -1 otherwise). */
static void bnseg_affine(const Layer *l, int c, double *a, double *b) {
  for (int k = 0; k < c; k++) {
    a[k] = l->weight[0].t.d[k];
    b[k] = l->weight[1].t.d[k];
  }
}

/* |scale| per channel (INFERENCE; LEARN is never folded: f unchanged). */
static void bnseg_fold_factor(const Layer *l, double *f, int nch) {
  if (l->p.bnseg.mode != RT_BNSEG_INFERENCE || l->nweight < 1 || !l->weight[0].loaded ||
      rt_shape_count(&l->weight[0].t.s) != nch)
    return;
  for (int i = 0; i < nch; i++) f[i] *= fabs((double)l->weight[0].t.d[i]);
}

/* A lone INFERENCE BN: rt_fx_affine on axis 1; LEARN: no integer kernel. */
static int bnseg_fx(Net *n, Layer *l, QsKernel *k) {
  if (l->p.bnseg.mode != RT_BNSEG_INFERENCE || !qs_wdata(l, 0) || !qs_wdata(l, 1)) return 1;
  return qs_prep_affine(n, l, k, 1, l->bottom[0]->shape.d[1], qs_wdata(l, 0), qs_wdata(l, 1));
}

const LayerOps lk_bnseg_ops = {
    .setup = lk_bnseg_setup,
    .shape = lk_bnseg_shape,
    .fx_prepare = bnseg_fx,
    .affine_channels = bnseg_affine_channels,
    .affine = bnseg_affine,
    .fold_factor = bnseg_fold_factor,
    .fx_call = ef_affine_call,
    .hls_fn = eh_affine_fn,
};
