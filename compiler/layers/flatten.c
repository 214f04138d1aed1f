/* flatten.c - Flatten: merges axes [axis, end_axis] into one. */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_flatten_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

/* Top = dims [0, axis) + count(axis..end_axis) + dims (end_axis, nd). */
int lk_flatten_shape(Layer *l, Net *n) {
  const Caffe__FlattenParameter *fp = l->lp->flatten_param;
  const rt_shape *in = &l->bottom[0]->shape;
  int ra = fp && fp->has_axis ? fp->axis : 1;
  int re = fp && fp->has_end_axis ? fp->end_axis : -1;
  int a = rt_axis(in, ra), e = rt_axis(in, re);
  if (a < 0 || e < 0) {
    ir_error_at(n, ir_loc(n, fp, a < 0 ? "axis" : "end_axis", l), l,
                "%s %d is out of range for a bottom with %d axes",
                a < 0 ? "axis" : "end_axis", a < 0 ? ra : re, in->nd);
    return -1;
  }
  if (e < a) {
    ir_error_at(n, ir_loc(n, fp, "end_axis", l), l,
                "end_axis %d comes before axis %d", e, a);
    return -1;
  }
  int64_t dims[RT_MAXDIM];
  int nd = 0;
  for (int i = 0; i < a; i++) dims[nd++] = in->d[i];
  dims[nd++] = rt_shape_count_range(in, a, e + 1);
  for (int i = e + 1; i < in->nd; i++) dims[nd++] = in->d[i];
  return ir_set_shape(n, l, &l->top[0]->shape, nd, dims);
}

/* ---- operations (ir.h LayerOps) ---- */

/* Codes move unchanged. */
static int flatten_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_copy);
}

const LayerOps lk_flatten_ops = {
    .setup = lk_flatten_setup,
    .shape = lk_flatten_shape,
    .fx_prepare = flatten_fx,
    .fx_call = ef_copy_call,
    .hls_fn = eh_copy_fn,
    .emit_c = ec_copy,
};
