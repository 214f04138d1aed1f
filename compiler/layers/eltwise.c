/* eltwise.c - Eltwise: PROD, SUM (optionally weighted) or MAX of bottoms of
 * one shape. */
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../hls.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_eltwise_setup(Layer *l, Net *n) {
  const Caffe__EltwiseParameter *ep = l->lp->eltwise_param;
  rt_eltwise_param *p = &l->p.eltwise;
  if (l->nbottom < 2 || l->ntop != 1) {
    ir_error(n, l, "takes at least 2 bottoms and 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  p->op = ep && ep->has_operation ? (int)ep->operation : RT_ELT_SUM;
  if (p->op != RT_ELT_PROD && p->op != RT_ELT_SUM && p->op != RT_ELT_MAX) {
    ir_error_at(n, ir_loc(n, ep, "operation", l), l, "unknown operation %d", p->op);
    return -1;
  }
  size_t nc = ep ? ep->n_coeff : 0;
  if (nc && p->op != RT_ELT_SUM) {
    ir_error_at(n, ir_loc(n, ep, "coeff", l), l,
                "coeff is only allowed with operation SUM");
    return -1;
  }
  if (nc && nc != (size_t)l->nbottom) {
    ir_error_at(n, ir_loc(n, ep, "coeff", l), l,
                "has %zu coeff values for %d bottoms; give one per bottom or none",
                nc, l->nbottom);
    return -1;
  }
  if (nc > RT_MAXLIST) {
    ir_error_at(n, ir_loc(n, ep, "coeff", l), l,
                "at most %d coeff values are supported, got %zu", RT_MAXLIST, nc);
    return -1;
  }
  p->ncoeff = (int)nc;
  for (size_t i = 0; i < nc; i++) p->coeff[i] = ep->coeff[i];
  return 0;
}

int lk_eltwise_shape(Layer *l, Net *n) {
  const rt_shape *s0 = &l->bottom[0]->shape;
  for (int i = 1; i < l->nbottom; i++) {
    const rt_shape *si = &l->bottom[i]->shape;
    if (!rt_shape_eq(s0, si)) {
      char a[96], b[96];
      ir_error(n, l, "bottom %d ('%s') has shape %s but bottom 0 ('%s') has %s", i,
               l->bottom[i]->name, rt_shape_str(si, b, sizeof b),
               l->bottom[0]->name, rt_shape_str(s0, a, sizeof a));
      return -1;
    }
  }
  l->top[0]->shape = *s0;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static int eltwise_fx(Net *n, Layer *l, QsKernel *k) {
  rt_fx_q in[RT_MAXLIST];
  if (l->nbottom > RT_MAXLIST) return 1;
  for (int i = 0; i < l->nbottom; i++) in[i] = k->in;
  rt_fx_eltwise_param *p = ar_alloc(n->ar, sizeof *p);
  const rt_eltwise_param *e = &l->p.eltwise;
  if (rt_fx_prepare_eltwise(p, e->op, l->nbottom, e->ncoeff ? e->coeff : NULL, in, &k->out))
    return -1;
  k->fn = rt_fx_eltwise;
  k->param = p;
  return 0;
}

static bool eltwise_hw_limits(const Layer *l, char *why, size_t n) {
  static const char *const ops[] = {"PROD", "SUM", "MAX"};
  const rt_eltwise_param *p = &l->p.eltwise;
  if (p->op != RT_ELT_SUM)
    return pt_fail(why, n, "operation %s (the hardware adds: SUM only)",
                   p->op >= 0 && p->op < 3 ? ops[p->op] : "?");
  for (int i = 0; i < p->ncoeff; i++)
    if (p->coeff[i] != 1.0f)
      return pt_fail(why, n, "coefficient %g (the hardware adds with coefficients 1; chaicc)",
                     (double)p->coeff[i]);
  return true;
}

/* op lanes, each requantizing every input */
static void eltwise_hls_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  /* nbottom x op reads of the m_axi feature map per iteration */
  e->ii = hl_maxi_ii(k->ii, (int64_t)l->nbottom * k->op);
  e->cycles = e->ii * hl_cdiv(rt_shape_count(&l->top[0]->shape), k->op);
  e->dsp = 3 * l->nbottom * k->op;
}

/* ---- fixed-point emitters (emit_fx.h, emit_hls.h) ---- */

static void eltwise_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_fx_eltwise_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_eltwise", "rt_fx_eltwise_param");
  ef_call_field(c, "op", "%d", p->op), ef_call_field(c, "n", "%d", p->n);
  ef_call_field(c, "M", "%s", ef_call_list(c, p->n, eu_g32, p->M));
  ef_call_field(c, "sh", "%s", ef_call_list(c, p->n, eu_g8, p->sh));
  ef_call_field(c, "shift", "%d", p->shift);
  ef_call_field(c, "qmin", "%d", (int)p->qmin), ef_call_field(c, "qmax", "%d", (int)p->qmax);
  ef_call_post(c, "post"); /* rt_fx_eltwise applies the output stage in its pass */
}

/* hls/eltwise: each bottom requantized to the common scale, combined in a
 * wide accumulator, op lanes. */
static const char *eltwise_hls_fn(EhFn *f, const Layer *l, const void *param) {
  const rt_fx_eltwise_param *p = param;
  int n = p->n < l->nbottom ? p->n : l->nbottom;
  LhHost *h = eh_fn_begin(f, l, n);
  lh_set_bool(h, "wide", true);
  lh_set_str(h, "op", p->op == RT_ELT_SUM ? "sum" : p->op == RT_ELT_PROD ? "prod" : "max");
  int64_t M[RT_MAXLIST], sh[RT_MAXLIST];
  for (int i = 0; i < n; i++) M[i] = p->M[i], sh[i] = p->sh[i];
  lh_set_ints(h, "M", M, n);
  lh_set_ints(h, "sh", sh, n);
  lh_set_int(h, "shift", p->shift);
  lh_set_int(h, "count", eh_fn_count(f, f->dst));
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", hl_maxi_ii(f->k->ii, (int64_t)n * f->k->op));
  lh_set_int(h, "LANES", f->k->op);
  return eh_fn_render(f, "hls/eltwise");
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/eltwise: the operation and, for a weighted sum, one coefficient
 * literal per bottom ("" for none). */
static const char *eltwise_emit_c(EcLayer *c, const Layer *l) {
  const rt_eltwise_param *p = &l->p.eltwise;
  ec_str(c, "op", p->op == RT_ELT_PROD ? "prod" : p->op == RT_ELT_MAX ? "max" : "sum");
  const char *co[IR_MAX_IO];
  char b[48];
  for (int i = 0; i < l->nbottom && i < IR_MAX_IO; i++)
    co[i] = p->op == RT_ELT_SUM && p->ncoeff && i < p->ncoeff
                ? ar_strdup(ec_arena(c), pf_float(p->coeff[i], b, sizeof b))
                : "";
  ec_strs(c, "coeff", co, l->nbottom);
  return "c/eltwise";
}

const LayerOps lk_eltwise_ops = {
    .setup = lk_eltwise_setup,
    .shape = lk_eltwise_shape,
    .fx_prepare = eltwise_fx,
    .hw_limits = eltwise_hw_limits,
    .hls_estimate = eltwise_hls_estimate,
    .fx_call = eltwise_fx_call,
    .hls_fn = eltwise_hls_fn,
    .emit_c = eltwise_emit_c,
};
