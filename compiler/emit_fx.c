/* emit_fx.c - the fixed-point part of the generated C program (see
 * emit_fx.h): host code around the code buffers and, in all-software mode,
 * the layer functions that call the runtime's rt_fx_* kernels. */
#include "emit_fx.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_hls.h"
#include "fx_plan.h"
#include "strbuf.h"

struct EfCtx {
  EfHost h;
  FpPlan p;
  EhCtx *hw;      /* the HLS sources (not in all-software mode) */
  Sb sw_funcs;    /* all-software mode: the layer functions */
  int bad;
};

static const char *keep(EfCtx *x, Sb *b) { return eu_keep(x->h.ar, b); }

/* The C expression of blob b's float storage. */
static const char *fptr(EfCtx *x, const Blob *b) { return eu_fptr(x->h.ar, x->h.fplan, b); }

/* ---- all-software mode: runtime kernels (templates/c/fx) ---- */

/* One layer's c/fx table before it goes to Lua. */
typedef struct SwTab {
  EfCtx *x;
  const char *fn;
  int na, nf, np;
  const char *act[12], *aname[12], *abody[12];
  int64_t an[12];
  const char *fld[24], *val[24], *pfld[8], *pval[8];
} SwTab;

static void sw_fld(SwTab *t, const char *f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sw_fld(SwTab *t, const char *f, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  assert(t->nf < (int)(sizeof t->fld / sizeof *t->fld));
  t->fld[t->nf] = f;
  t->val[t->nf++] = ar_strdup(t->x->h.ar, buf);
}

/* Adds the static const array <pfx>_<fn>[n] and returns its name. */
static const char *sw_arr(SwTab *t, const char *ct, const char *pfx, int64_t n, EuGet get,
                          const void *d) {
  const char *name = ar_printf(t->x->h.ar, "%s_%s", pfx, t->fn);
  assert(t->na < (int)(sizeof t->act / sizeof *t->act));
  t->act[t->na] = ct;
  t->aname[t->na] = name;
  t->an[t->na] = n;
  t->abody[t->na++] = eu_ibody(t->x->h.ar, n, get, d);
  return name;
}

/* "{a, b, c}" of n integers. */
static const char *sw_list(EfCtx *x, int64_t n, EuGet get, const void *d) {
  Sb b = {0};
  sb_puts(&b, "{");
  for (int64_t i = 0; i < n; i++) sb_printf(&b, "%s%lld", i ? ", " : "", (long long)get(d, i));
  sb_puts(&b, n ? "}" : "0}");
  return keep(x, &b);
}

static const char *sw_i64(EfCtx *x, int64_t v) {
  return v > INT32_MAX || v < -INT32_MAX ? ar_printf(x->h.ar, "INT64_C(%lld)", (long long)v)
                                         : ar_printf(x->h.ar, "%lld", (long long)v);
}

/* The output stage: arrays M, sh (Mn, shn for LEAKY) and the .q field. */
static void sw_outq(SwTab *t, const rt_fx_outq *q, int n) {
  const char *M = sw_arr(t, "int32_t", "M", n, eu_g32, q->M);
  const char *sh = sw_arr(t, "int8_t", "S", n, eu_g8, q->sh);
  const char *Mn = "NULL", *shn = "NULL";
  if (q->relu == RT_FX_LEAKY) {
    Mn = sw_arr(t, "int32_t", "MN", n, eu_g32, q->Mn);
    shn = sw_arr(t, "int8_t", "SN", n, eu_g8, q->shn);
  }
  sw_fld(t, "q", "{.M = %s, .sh = %s, .Mn = %s, .shn = %s, .relu = %d, .qmin = %d, .qmax = %d}",
         M, sh, Mn, shn, q->relu, (int)q->qmin, (int)q->qmax);
}

#define TF(b) ((b) ? "true" : "false")

static void sw_conv(SwTab *t, const Layer *l, const rt_fx_conv_param *p) {
  const rt_conv_param *g = &p->g;
  int G = g->group, OC = g->num_output;
  int64_t taps = (int64_t)g->kh * g->kw;
  int64_t nw = l->kind == LK_DECONV ? (int64_t)p->cin * (OC / G) * taps
                                    : (int64_t)OC * (p->cin / G) * taps;
  sw_fld(t, "g",
         "{.num_output = %d, .group = %d, .kh = %d, .kw = %d, .sh = %d, .sw = %d, .ph = %d, "
         ".pw = %d, .dh = %d, .dw = %d, .bias_term = %s, .axis = %d}",
         OC, G, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, g->dh, g->dw, TF(g->bias_term), g->axis);
  sw_fld(t, "cin", "%d", p->cin);
  sw_fld(t, "w", "%s", sw_arr(t, "int16_t", "W", nw, eu_g16, p->w));
  sw_fld(t, "bias", "%s", p->bias ? sw_arr(t, "int64_t", "B", OC, eu_g64, p->bias) : "NULL");
  sw_outq(t, &p->q, OC);
  sw_fld(t, "acc64", "%s", TF(p->acc64));
  sw_fld(t, "acc_bound", "%s", sw_i64(t->x, p->acc_bound));
  if (p->w8 && p->acc0) { /* the int8 copy (rt_fx_conv_pack8) */
    sw_fld(t, "w8", "%s", sw_arr(t, "int8_t", "W8", OC * rt_fx_conv_k4(p), eu_g8, p->w8));
    sw_fld(t, "acc0", "%s", sw_arr(t, "int32_t", "A0", OC, eu_g32, p->acc0));
  }
  if (p->wabs) /* sum |w| per channel (rt_fx_conv_wabs) */
    sw_fld(t, "wabs", "%s", sw_arr(t, "int64_t", "WA", OC, eu_g64, p->wabs));
}

static void sw_ip(SwTab *t, const rt_fx_ip_param *p) {
  const rt_ip_param *g = &p->g;
  int N = g->num_output;
  sw_fld(t, "g", "{.num_output = %d, .axis = %d, .bias_term = %s, .transpose = %s}", N, g->axis,
         TF(g->bias_term), TF(g->transpose));
  sw_fld(t, "K", "%d", p->K);
  sw_fld(t, "w", "%s", sw_arr(t, "int16_t", "W", (int64_t)N * p->K, eu_g16, p->w));
  sw_fld(t, "bias", "%s", p->bias ? sw_arr(t, "int64_t", "B", N, eu_g64, p->bias) : "NULL");
  sw_outq(t, &p->q, N);
  sw_fld(t, "acc64", "%s", TF(p->acc64));
  sw_fld(t, "acc_bound", "%s", sw_i64(t->x, p->acc_bound));
}

static void sw_requant_flds(EfCtx *x, const rt_fx_relu_param *p, const char **f, const char **v,
                            int *n) {
  f[*n] = "M", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->M);
  f[*n] = "Mn", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->Mn);
  f[*n] = "sh", v[(*n)++] = ar_printf(x->h.ar, "%d", p->sh);
  f[*n] = "shn", v[(*n)++] = ar_printf(x->h.ar, "%d", p->shn);
  f[*n] = "qmin", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->qmin);
  f[*n] = "qmax", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->qmax);
}

/* Shapes of a tensor list as c/fx items. */
static void sw_tensors(EfCtx *x, const char *key, Blob *const *bl, int n) {
  LhHost *h = x->h.lh;
  lh_list_begin(h, key);
  for (int i = 0; i < n; i++) {
    const rt_shape *s = &bl[i]->shape;
    Sb b = {0};
    sb_puts(&b, "{");
    for (int k = 0; k < s->nd; k++) sb_printf(&b, "%s%d", k ? ", " : "", s->d[k]);
    sb_puts(&b, s->nd ? "}" : "0}");
    lh_item_begin(h);
    lh_set_int(h, "nd", s->nd);
    lh_set_str(h, "dims", keep(x, &b));
    lh_item_end(h);
  }
  lh_list_end(h);
}

/* The kernel, parameter type and parameter fields (arrays too) of QS_FX
 * layer l's c/fx function, by kind.  -1 after reporting a kind with no
 * kernel. */
static int sw_kind(SwTab *t, const Layer *l, const char **kernelp, const char **ptypep) {
  EfCtx *x = t->x;
  const void *pv = qs_layer_param(x->h.qn, l);
  const char *kernel, *ptype = "";
  switch (l->kind) {
  case LK_CONV: case LK_DECONV:
    kernel = l->kind == LK_CONV ? "rt_fx_conv" : "rt_fx_deconv", ptype = "rt_fx_conv_param";
    sw_conv(t, l, pv);
    break;
  case LK_IP:
    kernel = "rt_fx_ip", ptype = "rt_fx_ip_param";
    sw_ip(t, pv);
    break;
  case LK_POOL: {
    const rt_fx_pool_param *p = pv;
    const rt_pool_param *g = &p->g;
    kernel = "rt_fx_pool", ptype = "rt_fx_pool_param";
    sw_fld(t, "g",
           "{.method = %d, .kh = %d, .kw = %d, .sh = %d, .sw = %d, .ph = %d, .pw = %d, "
           ".global = %s, .round_mode = %d}",
           g->method, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, TF(g->global), g->round_mode);
    sw_fld(t, "M", "%d", (int)p->M), sw_fld(t, "sh", "%d", p->sh);
    sw_fld(t, "qmin", "%d", (int)p->qmin), sw_fld(t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_RELU:
    kernel = "rt_fx_relu", ptype = "rt_fx_relu_param";
    sw_requant_flds(x, pv, t->fld, t->val, &t->nf);
    break;
  case LK_BN: case LK_SCALE: {
    const rt_fx_affine_param *p = pv;
    kernel = "rt_fx_affine", ptype = "rt_fx_affine_param";
    sw_fld(t, "axis", "%d", p->axis), sw_fld(t, "nch", "%d", p->nch);
    sw_fld(t, "M", "%s", sw_arr(t, "int32_t", "M", p->nch, eu_g32, p->M));
    sw_fld(t, "sh", "%s", sw_arr(t, "int8_t", "S", p->nch, eu_g8, p->sh));
    sw_fld(t, "B", "%s", sw_arr(t, "int64_t", "B", p->nch, eu_g64, p->B));
    sw_fld(t, "qmin", "%d", (int)p->qmin), sw_fld(t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_ELTWISE: {
    const rt_fx_eltwise_param *p = pv;
    kernel = "rt_fx_eltwise", ptype = "rt_fx_eltwise_param";
    sw_fld(t, "op", "%d", p->op), sw_fld(t, "n", "%d", p->n);
    sw_fld(t, "M", "%s", sw_list(x, p->n, eu_g32, p->M));
    sw_fld(t, "sh", "%s", sw_list(x, p->n, eu_g8, p->sh));
    sw_fld(t, "shift", "%d", p->shift);
    sw_fld(t, "qmin", "%d", (int)p->qmin), sw_fld(t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_CONCAT: {
    const rt_fx_concat_param *p = pv;
    kernel = "rt_fx_concat", ptype = "rt_fx_concat_param";
    sw_fld(t, "axis", "%d", p->axis), sw_fld(t, "n", "%d", p->n);
    sw_fld(t, "M", "%s", sw_list(x, p->n, eu_g32, p->M));
    sw_fld(t, "sh", "%s", sw_list(x, p->n, eu_g8, p->sh));
    sw_fld(t, "qmin", "%d", (int)p->qmin), sw_fld(t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_PERMUTE: {
    const rt_permute_param *p = pv;
    int64_t ord[RT_MAXDIM];
    for (int k = 0; k < RT_MAXDIM; k++) ord[k] = p->order[k];
    kernel = "rt_fx_permute", ptype = "rt_permute_param";
    sw_fld(t, "norder", "%d", p->norder);
    sw_fld(t, "order", "%s", sw_list(x, RT_MAXDIM, eu_g64, ord));
    break;
  }
  case LK_FLATTEN: case LK_RESHAPE: case LK_DROPOUT:
    kernel = "rt_fx_copy";
    break;
  default:
    ir_error(x->h.n, l, "the fixed-point generator has no kernel call for %s", l->type);
    x->bad = 1;
    return -1;
  }
  *kernelp = kernel, *ptypep = ptype;
  return 0;
}

/* The c/fx function of a QS_FX layer (its kernel step; conversions are
 * host calls of fx_requant16, the post op runs inside the function). */
static const char *sw_layer(EfCtx *x, const Layer *l, const char *fn) {
  const QsNet *qn = x->h.qn;
  SwTab t = {.x = x, .fn = fn};
  const char *kernel, *ptype;
  if (sw_kind(&t, l, &kernel, &ptype)) return NULL;
  const rt_fx_relu_param *post = qs_layer_post(qn, l);
  if (post) sw_requant_flds(x, post, t.pfld, t.pval, &t.np);
  LhHost *h = x->h.lh;
  lh_begin(h);
  eu_layer_header(h, x->h.ar, l, fn);
  lh_set_str(h, "kernel", kernel);
  lh_set_str(h, "ptype", ptype);
  lh_set_str(h, "pname", ar_printf(x->h.ar, "P_%s", fn));
  lh_set_str(h, "postname", ar_printf(x->h.ar, "PP_%s", fn));
  lh_list_begin(h, "arrays");
  for (int i = 0; i < t.na; i++) {
    lh_item_begin(h);
    lh_set_str(h, "ctype", t.act[i]), lh_set_str(h, "name", t.aname[i]);
    lh_set_int(h, "n", t.an[i] > 0 ? t.an[i] : 1);
    lh_set_str(h, "body", t.an[i] > 0 ? t.abody[i] : "  0\n");
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_list_begin(h, "fields");
  for (int i = 0; i < t.nf; i++) {
    lh_item_begin(h);
    lh_set_str(h, "field", t.fld[i]), lh_set_str(h, "value", t.val[i]);
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_list_begin(h, "post");
  for (int i = 0; i < t.np; i++) {
    lh_item_begin(h);
    lh_set_str(h, "field", t.pfld[i]), lh_set_str(h, "value", t.pval[i]);
    lh_item_end(h);
  }
  lh_list_end(h);
  sw_tensors(x, "bottoms", l->bottom, l->nbottom);
  sw_tensors(x, "tops", l->top, 1);
  return eu_render(h, x->h.ar, "c/fx", &x->bad);
}

/* ---- plan and render ---- */

EfCtx *ef_open(const EfHost *hh) {
  EfCtx *x = calloc(1, sizeof *x);
  if (!x) exit(3);
  x->h = *hh;
  Net *n = hh->n;
  if (fp_plan(&x->p, n, hh->qn, hh->ar, hh->prov->prefix, hh->sw)) goto fail;
  if (hh->sw) {
    for (int i = 0; i < n->nlayer; i++) {
      Layer *l = n->layers[i];
      if (x->p.L[l->id].unit == -1) continue;
      const char *code = sw_layer(x, l, x->p.fname[l->id]);
      if (!code) goto fail;
      sb_puts(&x->sw_funcs, code);
      sb_puts(&x->sw_funcs, "\n");
    }
  } else if (!(x->hw = eh_open(&(EhHost){&x->p, hh->cfg, hh->lh, hh->ar, hh->dg, hh->prov,
                                          hh->tb_input}))) {
    goto fail;
  }
  if (x->p.n8 > INT32_MAX || x->p.n16 > INT32_MAX) {
    diag_error(hh->dg, (SrcLoc){n->file, 0, 0}, "fixed-point feature maps above 2^31 codes");
    goto fail;
  }
  if (x->bad) goto fail;
  return x;
fail:
  ef_close(x);
  return NULL;
}

void ef_close(EfCtx *x) {
  if (!x) return;
  eh_close(x->hw);
  free(x->sw_funcs.s);
  free(x);
}

/* ---- host code ---- */

/* Host code: the float -> code conversions of l's bottoms. */
static void quant_bottoms(EfCtx *x, const Layer *l, Sb *out) {
  const FpPlan *p = &x->p;
  for (int k = 0; k < l->nbottom; k++) {
    int cb = p->cvbuf[l->id][k];
    if (cb < 0 || !p->buf[cb].quant) continue;
    const FpBuf *b = &p->buf[cb];
    sb_printf(out, "  fx_quantize%d(%s, %s, %lld, %.17g, %d, %d);\n", b->b8 ? 8 : 16,
              fptr(x, l->bottom[k]), fp_bexpr(p, cb, false), (long long)b->n,
              b->qp.scale, b->qp.qmin, b->qp.qmax);
  }
}

int ef_layer(EfCtx *x, const Layer *l, const char **code) {
  const FpPlan *p = &x->p;
  Arena *ar = x->h.ar;
  QsMode m = qs_layer_mode(x->h.qn, l);
  Sb b = {0};
  sb_puts(&b, "");
  switch (m) {
  case QS_INPUTQ: {
    const rt_fx_quant_param *q = qs_layer_outq(x->h.qn, l);
    for (int t = 0; t < l->ntop; t++) {
      int i = p->bbuf[l->top[t]->id];
      if (i < 0) continue;
      sb_printf(&b, "  /* %s: quantize the input */\n", eu_comment_safe(ar, l->name));
      sb_printf(&b, "  fx_quantize%d(%s, %s, %lld, %.17g, %d, %d);\n", p->buf[i].b8 ? 8 : 16,
                fptr(x, l->top[t]), fp_bexpr(p, i, false), (long long)p->buf[i].n,
                q->scale, q->qmin, q->qmax);
    }
    break;
  }
  case QS_COPY: {
    int s = p->bbuf[l->bottom[0]->id];
    for (int t = 0; t < l->ntop; t++) {
      int d = p->bbuf[l->top[t]->id];
      if (s < 0 || d < 0) continue;
      sb_printf(&b, "  /* %s (%s): codes copied */\n", eu_comment_safe(ar, l->name),
                eu_comment_safe(ar, l->type));
      sb_printf(&b, "  memcpy(%s, %s, %lld * sizeof(%s));\n", fp_bexpr(p, d, false),
                fp_bexpr(p, s, false), (long long)p->buf[d].n, fp_ctype(&p->buf[d]));
    }
    break;
  }
  case QS_FX: {
    int u = p->L[l->id].unit;
    if (u == -2) {
      sb_printf(&b, "  /* %s (%s): fixed point, software */\n", eu_comment_safe(ar, l->name),
                eu_comment_safe(ar, l->type));
      quant_bottoms(x, l, &b);
      fp_step_calls(p, l, false, &b);
    } else if (p->n->layers[p->seg[u].first] == l) {
      const FpSeg *g = &p->seg[u];
      sb_printf(&b, "  /* hardware segment %d: %s */\n", u, g->names);
      for (int i = g->first; i <= g->last; i++)
        if (fp_in_seg(p, p->n->layers[i], u)) quant_bottoms(x, p->n->layers[i], &b);
      sb_printf(&b, "  %s_hw_run(%d);\n", x->h.prov->prefix, u);
    }
    break;
  }
  default:
    free(b.s);
    return 0;
  }
  *code = keep(x, &b);
  return 1;
}

const char *ef_pre_float(EfCtx *x, const Layer *l) {
  const FpPlan *p = &x->p;
  Sb b = {0};
  sb_puts(&b, "");
  for (int k = 0; k < l->nbottom; k++) {
    rt_fx_q f;
    int i = p->bbuf[l->bottom[k]->id];
    if (i < 0 || !qs_blob_fmt(x->h.qn, l->bottom[k], &f)) continue;
    sb_printf(&b, "  fx_dequantize%d(%s, %s, %lld, %.17g);\n", p->buf[i].b8 ? 8 : 16,
              fp_bexpr(p, i, false), fptr(x, l->bottom[k]), (long long)p->buf[i].n, f.scale);
  }
  return keep(x, &b);
}

const char *ef_post_float(EfCtx *x, const Layer *l) {
  const FpPlan *p = &x->p;
  Sb b = {0};
  sb_puts(&b, "");
  const rt_fx_quant_param *q = qs_layer_outq(x->h.qn, l);
  if (q && qs_layer_mode(x->h.qn, l) == QS_FXF)
    for (int t = 0; t < l->ntop; t++) {
      int i = p->bbuf[l->top[t]->id];
      if (i < 0) continue;
      sb_printf(&b, "  fx_quantize%d(%s, %s, %lld, %.17g, %d, %d);\n", p->buf[i].b8 ? 8 : 16,
                fptr(x, l->top[t]), fp_bexpr(p, i, false), (long long)p->buf[i].n,
                q->scale, q->qmin, q->qmax);
    }
  return keep(x, &b);
}

const char *ef_end(EfCtx *x) {
  const FpPlan *p = &x->p;
  Sb b = {0};
  sb_puts(&b, "");
  for (int i = 0; i < p->n->noutput; i++) {
    const Blob *o = p->n->outputs[i];
    rt_fx_q f;
    int k = p->bbuf[o->id];
    if (k < 0 || !qs_blob_fmt(x->h.qn, o, &f)) continue;
    sb_printf(&b, "  fx_dequantize%d(%s, %s, %lld, %.17g); /* output %s */\n",
              p->buf[k].b8 ? 8 : 16, fp_bexpr(p, k, false), fptr(x, o),
              (long long)p->buf[k].n, f.scale, eu_comment_safe(x->h.ar, o->name));
  }
  return keep(x, &b);
}

const char *ef_decls(EfCtx *x) {
  if (!x->h.sw) return eh_decls(x->hw);
  LhHost *h = x->h.lh;
  lh_begin(h);
  lh_set_int(h, "n16", x->p.n16 > 0 ? x->p.n16 : 1);
  lh_set_str(h, "funcs", sb_str(&x->sw_funcs));
  return eu_render(h, x->h.ar, "c/fxhost", &x->bad);
}

int ef_write(EfCtx *x, const char *dir) { return x->h.sw ? 0 : eh_write(x->hw, dir); }
