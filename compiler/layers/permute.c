/* permute.c - Permute (SSD): reorders a blob's axes. */
#include <stdint.h>

#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_permute_setup(Layer *l, Net *n) {
  const Caffe__PermuteParameter *pp = l->lp->permute_param;
  rt_permute_param *p = &l->p.permute;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  size_t no = pp ? pp->n_order : 0;
  if (no > RT_MAXDIM) {
    ir_error_at(n, ir_loc(n, pp, "order", l), l,
                "order has %zu values; at most %d axes are supported", no,
                RT_MAXDIM);
    return -1;
  }
  p->norder = (int)no;
  for (size_t i = 0; i < no; i++) {
    if (pp->order[i] >= RT_MAXDIM) {
      ir_error_at(n, ir_loc(n, pp, "order", l), l,
                  "order %u is out of range (at most %d axes)", pp->order[i],
                  RT_MAXDIM);
      return -1;
    }
    p->order[i] = (int)pp->order[i];
  }
  return 0;
}

/* Checks the given orders against the bottom's rank and completes them as
 * Caffe does: the given axes first, then the others in increasing order. */
int lk_permute_shape(Layer *l, Net *n) {
  rt_permute_param *p = &l->p.permute;
  const Caffe__PermuteParameter *pp = l->lp->permute_param;
  const rt_shape *in = &l->bottom[0]->shape;
  int nd = in->nd;
  bool used[RT_MAXDIM] = {false};
  int order[RT_MAXDIM], k = 0;
  if (p->norder > nd) {
    ir_error_at(n, ir_loc(n, pp, "order", l), l,
                "order has %d values but the bottom has %d axes", p->norder, nd);
    return -1;
  }
  for (int i = 0; i < p->norder; i++) {
    int o = p->order[i];
    if (o >= nd) {
      ir_error_at(n, ir_loc(n, pp, "order", l), l,
                  "order %d should be less than the bottom's %d axes", o, nd);
      return -1;
    }
    if (used[o]) {
      ir_error_at(n, ir_loc(n, pp, "order", l), l, "order %d is given twice", o);
      return -1;
    }
    used[o] = true;
    order[k++] = o;
  }
  for (int i = 0; i < nd; i++)
    if (!used[i]) order[k++] = i;
  int64_t d[RT_MAXDIM];
  for (int i = 0; i < nd; i++) {
    p->order[i] = order[i];
    d[i] = in->d[order[i]];
  }
  p->norder = nd;
  return ir_set_shape(n, l, &l->top[0]->shape, nd, d);
}

/* ---- operations (ir.h LayerOps) ---- */

/* Codes move unchanged. */
static int permute_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_permute);
}

/* ---- fixed-point emitters (emit_fx.h, emit_hls.h) ---- */

static void permute_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_permute_param *p = param;
  int64_t ord[RT_MAXDIM];
  (void)l;
  for (int k = 0; k < RT_MAXDIM; k++) ord[k] = p->order[k];
  ef_call_kernel(c, "rt_fx_permute", "rt_permute_param");
  ef_call_field(c, "norder", "%d", p->norder);
  ef_call_field(c, "order", "%s", ef_call_list(c, RT_MAXDIM, eu_g64, ord));
}

/* hls/permute with the bottom's strides in the top's axis order. */
static const char *permute_hls_fn(EhFn *f, const Layer *l, const void *param) {
  const rt_permute_param *p = param;
  const rt_shape *bs = &l->bottom[0]->shape;
  int64_t dims[RT_MAXDIM], st[RT_MAXDIM], ost[RT_MAXDIM], in_st[RT_MAXDIM];
  int nd = bs->nd;
  int64_t s = 1;
  for (int k = nd - 1; k >= 0; k--) in_st[k] = s, s *= bs->d[k];
  for (int k = 0; k < nd; k++) {
    int o = k < p->norder ? p->order[k] : k;
    st[k] = in_st[o];
    dims[k] = bs->d[o];
  }
  s = 1;
  for (int k = nd - 1; k >= 0; k--) ost[k] = s, s *= dims[k];
  return eh_permute_fn(f, l, nd, dims, st, ost);
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/permute: the top's dims and, per top axis, the bottom stride it walks;
 * NULL (reference kernel) when the order does not cover every axis. */
static const char *permute_emit_c(EcLayer *c, const Layer *l) {
  const rt_permute_param *p = &l->p.permute;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  if (p->norder != in->nd) return NULL;
  int64_t stride[RT_MAXDIM], d[RT_MAXDIM], st[RT_MAXDIM];
  for (int k = in->nd - 1, acc = 1; k >= 0; k--) stride[k] = acc, acc *= in->d[k];
  for (int k = 0; k < in->nd; k++) d[k] = out->d[k], st[k] = stride[p->order[k]];
  ec_ints(c, "dims", d, in->nd);
  ec_ints(c, "strides", st, in->nd);
  return "c/permute";
}

const LayerOps lk_permute_ops = {
    .setup = lk_permute_setup,
    .shape = lk_permute_shape,
    .fx_prepare = permute_fx,
    .fx_call = permute_fx_call,
    .hls_fn = permute_hls_fn,
    .emit_c = permute_emit_c,
};
