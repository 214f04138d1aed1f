/* reshape.c - Reshape: replaces axes [axis, axis + num_axes) by
 * reshape_param.shape, where 0 copies a bottom dim and -1 is inferred. */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_reshape_setup(Layer *l, Net *n) {
  const Caffe__ReshapeParameter *rp = l->lp->reshape_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  const Caffe__BlobShape *sh = rp ? rp->shape : NULL;
  int ninfer = 0;
  for (size_t i = 0; sh && i < sh->n_dim; i++) {
    if (sh->dim[i] < -1 || sh->dim[i] > INT32_MAX) {
      ir_error_at(n, ir_loc(n, sh, "dim", l), l, "shape dim %lld is invalid",
                  (long long)sh->dim[i]);
      return -1;
    }
    ninfer += sh->dim[i] == -1;
  }
  if (ninfer > 1) {
    ir_error_at(n, ir_loc(n, sh, "dim", l), l,
                "only one shape dim can be -1 (inferred), got %d", ninfer);
    return -1;
  }
  if (rp && rp->has_num_axes && rp->num_axes < -1) {
    ir_error_at(n, ir_loc(n, rp, "num_axes", l), l,
                "num_axes must be -1 or more, got %d", rp->num_axes);
    return -1;
  }
  return 0;
}

/* Caffe's ReshapeLayer::Reshape rules; the element count must not change. */
int lk_reshape_shape(Layer *l, Net *n) {
  const Caffe__ReshapeParameter *rp = l->lp->reshape_param;
  const Caffe__BlobShape *sh = rp ? rp->shape : NULL;
  const rt_shape *in = &l->bottom[0]->shape;
  int nnew = sh ? (int)sh->n_dim : 0;
  int ra = rp && rp->has_axis ? rp->axis : 0;
  int na = rp && rp->has_num_axes ? rp->num_axes : -1;
  int start = ra >= 0 ? ra : in->nd + ra + 1;
  if (start < 0 || start > in->nd) {
    ir_error_at(n, ir_loc(n, rp, "axis", l), l,
                "axis %d is out of range for a bottom with %d axes", ra, in->nd);
    return -1;
  }
  int end = na == -1 ? in->nd : start + na;
  if (end > in->nd) {
    ir_error_at(n, ir_loc(n, rp, "num_axes", l), l,
                "axis %d with num_axes %d exceeds the bottom's %d axes", start, na,
                in->nd);
    return -1;
  }
  int nd = in->nd - (end - start) + nnew;
  if (nd > RT_MAXDIM) {
    ir_error(n, l, "top would have %d axes; at most %d are supported", nd, RT_MAXDIM);
    return -1;
  }
  int64_t dims[RT_MAXDIM];
  int k = 0, inferred = -1;
  int64_t known = rt_shape_count_range(in, 0, start) * rt_shape_count_range(in, end, in->nd);
  for (int i = 0; i < start; i++) dims[k++] = in->d[i];
  for (int i = 0; i < nnew; i++, k++) {
    int64_t d = sh->dim[i];
    if (d == 0) {
      if (start + i >= in->nd) {
        ir_error_at(n, ir_loc(n, sh, "dim", l), l,
                    "shape dim %d is 0 (copy) but the bottom has no axis %d", i,
                    start + i);
        return -1;
      }
      d = in->d[start + i];
    }
    if (d == -1)
      inferred = k;
    else
      known *= d;
    dims[k] = d;
  }
  for (int i = end; i < in->nd; i++) dims[k++] = in->d[i];
  int64_t count = rt_shape_count(in);
  char b[96];
  if (inferred >= 0) {
    if (known == 0 || count % known) {
      ir_error_at(n, ir_loc(n, sh, "dim", l), l,
                  "cannot infer the -1 dim: bottom count %lld (shape %s) is not a "
                  "multiple of %lld",
                  (long long)count, rt_shape_str(in, b, sizeof b), (long long)known);
      return -1;
    }
    dims[inferred] = count / known;
    known = count;
  }
  if (known != count) {
    ir_error_at(n, ir_loc(n, sh, NULL, l), l,
                "top count %lld does not match bottom count %lld (shape %s)",
                (long long)known, (long long)count, rt_shape_str(in, b, sizeof b));
    return -1;
  }
  return ir_set_shape(n, l, &l->top[0]->shape, nd, dims);
}

/* ---- operations (ir.h LayerOps) ---- */

/* Codes move unchanged. */
static int reshape_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_copy);
}

const LayerOps lk_reshape_ops = {
    .setup = lk_reshape_setup,
    .shape = lk_reshape_shape,
    .fx_prepare = reshape_fx,
    .fx_call = ef_copy_call,
    .hls_fn = eh_copy_fn,
    .emit_c = ec_copy,
};
