/* concat.c - Concat: joins bottoms along one axis. */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../hls.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_concat_setup(Layer *l, Net *n) {
  const Caffe__ConcatParameter *cp = l->lp->concat_param;
  if (l->nbottom < 1 || l->ntop != 1) {
    ir_error(n, l, "takes at least 1 bottom and 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  if (cp && cp->has_axis && cp->has_concat_dim) {
    ir_error_at(n, ir_loc(n, cp, "concat_dim", l), l,
                "give either axis or concat_dim, not both");
    return -1;
  }
  return 0;
}

/* The axis is concat_dim (legacy, non-negative) or axis (default 1,
 * negative counts from the end); all other dims must agree. */
int lk_concat_shape(Layer *l, Net *n) {
  const Caffe__ConcatParameter *cp = l->lp->concat_param;
  const rt_shape *s0 = &l->bottom[0]->shape;
  int raw = 1, axis;
  const char *field = "axis";
  if (cp && cp->has_concat_dim) {
    raw = (int)cp->concat_dim;
    field = "concat_dim";
    axis = cp->concat_dim < (unsigned)s0->nd ? raw : -1;
  } else {
    if (cp && cp->has_axis) raw = cp->axis;
    axis = rt_axis(s0, raw);
  }
  if (axis < 0) {
    ir_error_at(n, ir_loc(n, cp, field, l), l,
                "%s %d is out of range for bottoms with %d axes", field, raw, s0->nd);
    return -1;
  }
  rt_shape top = *s0;
  int64_t sum = s0->d[axis];
  for (int i = 1; i < l->nbottom; i++) {
    const rt_shape *si = &l->bottom[i]->shape;
    int ok = si->nd == s0->nd;
    for (int k = 0; ok && k < s0->nd; k++) ok = k == axis || si->d[k] == s0->d[k];
    if (!ok) {
      char a[96], b[96];
      ir_error(n, l,
               "bottom %d ('%s') has shape %s, incompatible with bottom 0 ('%s') "
               "shape %s for concatenation along axis %d",
               i, l->bottom[i]->name, rt_shape_str(si, b, sizeof b),
               l->bottom[0]->name, rt_shape_str(s0, a, sizeof a), axis);
      return -1;
    }
    sum += si->d[axis];
  }
  l->p.concat.axis = axis;
  int64_t dims[RT_MAXDIM];
  for (int k = 0; k < top.nd; k++) dims[k] = k == axis ? sum : top.d[k];
  return ir_set_shape(n, l, &l->top[0]->shape, top.nd, dims);
}

/* ---- operations (ir.h LayerOps) ---- */

static int concat_fx(Net *n, Layer *l, QsKernel *k) {
  rt_fx_q in[RT_MAXLIST];
  if (l->nbottom > RT_MAXLIST) return 1;
  for (int i = 0; i < l->nbottom; i++) in[i] = k->in;
  rt_fx_concat_param *p = ar_alloc(n->ar, sizeof *p);
  if (rt_fx_prepare_concat(p, l->p.concat.axis, l->nbottom, in, &k->out)) return -1;
  k->fn = rt_fx_concat;
  k->param = p;
  return 0;
}

static bool concat_hw_limits(const Layer *l, char *why, size_t n) {
  if (l->p.concat.axis != 1)
    return pt_fail(why, n, "concatenation along axis %d (the hardware joins channels: axis 1; "
                           "chaicc)",
                   l->p.concat.axis);
  return true;
}

/* templates/hls/concat.lua: per bottom, OUTER x ceil(inner / op)
 * iterations at the II (op lanes, op m_axi reads each). */
static void concat_hls_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  const rt_shape *ts = &l->top[0]->shape;
  int axis = l->p.concat.axis;
  int64_t outer = rt_shape_count_range(ts, 0, axis), it = 0;
  for (int i = 0; i < l->nbottom; i++) {
    const rt_shape *bs = &l->bottom[i]->shape;
    it += outer * hl_cdiv(rt_shape_count_range(bs, axis, bs->nd), k->op);
  }
  e->ii = hl_maxi_ii(k->ii, k->op);
  e->cycles = e->ii * it;
  e->dsp = k->ident ? 0 : 3 * k->op; /* a requantization per lane */
}

/* ---- fixed-point emitters (emit_fx.h, emit_hls.h) ---- */

static void concat_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_fx_concat_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_concat", "rt_fx_concat_param");
  ef_call_field(c, "axis", "%d", p->axis), ef_call_field(c, "n", "%d", p->n);
  ef_call_field(c, "M", "%s", ef_call_list(c, p->n, eu_g32, p->M));
  ef_call_field(c, "sh", "%s", ef_call_list(c, p->n, eu_g8, p->sh));
  ef_call_field(c, "qmin", "%d", (int)p->qmin), ef_call_field(c, "qmax", "%d", (int)p->qmax);
}

/* Every part an identity (concat.lua's plain saturating copy). */
static bool concat_fx_ident(const void *param) {
  const rt_fx_concat_param *p = param;
  for (int i = 0; i < p->n; i++)
    if (!eh_ident_m(p->M[i], p->sh[i])) return false;
  return true;
}

/* hls/concat: each bottom's part of the top, requantized, op lanes. */
static const char *concat_hls_fn(EhFn *f, const Layer *l, const void *param) {
  const rt_fx_concat_param *p = param;
  const rt_shape *ts = &l->top[0]->shape;
  int n = p->n < l->nbottom ? p->n : l->nbottom;
  LhHost *h = eh_fn_begin(f, l, n);
  lh_set_int(h, "OUTER", rt_shape_count_range(ts, 0, p->axis));
  lh_set_int(h, "TOTAL", rt_shape_count_range(ts, p->axis, ts->nd));
  lh_list_begin(h, "parts");
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    const rt_shape *bs = &l->bottom[i]->shape;
    int64_t inner = rt_shape_count_range(bs, p->axis, bs->nd);
    lh_item_begin(h);
    lh_set_int(h, "inner", inner), lh_set_int(h, "off", off);
    lh_set_bool(h, "ident", eh_ident_m(p->M[i], p->sh[i]));
    lh_set_int(h, "M", p->M[i]), lh_set_int(h, "sh", p->sh[i]);
    lh_item_end(h);
    off += inner;
  }
  lh_list_end(h);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", hl_maxi_ii(f->k->ii, f->k->op)); /* op m_axi reads */
  lh_set_int(h, "LANES", f->k->op);
  return eh_fn_render(f, "hls/concat");
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/concat: the bottoms as parts of the top along the axis. */
static const char *concat_emit_c(EcLayer *c, const Layer *l) {
  ec_parts(c, &l->top[0]->shape, l->p.concat.axis, l->nbottom, l->bottom);
  return "c/concat";
}

const LayerOps lk_concat_ops = {
    .setup = lk_concat_setup,
    .shape = lk_concat_shape,
    .fx_prepare = concat_fx,
    .hw_limits = concat_hw_limits,
    .hls_estimate = concat_hls_estimate,
    .hls_fx_ident = concat_fx_ident,
    .fx_call = concat_fx_call,
    .hls_fn = concat_hls_fn,
    .emit_c = concat_emit_c,
};
