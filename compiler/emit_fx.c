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
#include "pfield.h"
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

/* One layer's c/fx table before it goes to Lua (the EfCall of emit_fx.h). */
struct EfCall {
  EfCtx *x;
  const Layer *l;
  const char *fn;
  const char *kernel, *ptype;
  const char *postf; /* the kernel's field for the post op (ef_call_post), or NULL */
  int na, nf, np;
  const char *act[12], *aname[12], *abody[12];
  int64_t an[12];
  const char *fld[24], *val[24], *pfld[8], *pval[8];
};

void ef_call_kernel(EfCall *c, const char *kernel, const char *ptype) {
  c->kernel = kernel, c->ptype = ptype;
}

void ef_call_post(EfCall *c, const char *field) { c->postf = field; }

void ef_call_field(EfCall *c, const char *f, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  assert(c->nf < (int)(sizeof c->fld / sizeof *c->fld));
  c->fld[c->nf] = f;
  c->val[c->nf++] = ar_strdup(c->x->h.ar, buf);
}

void ef_call_struct(EfCall *c, const char *f, const char *ptype, const void *p) {
  const PfStruct *s = pf_find(ptype);
  PfInit in;
  if (!s || pf_init(c->x->h.ar, s, p, &in)) {
    ir_error(c->x->h.n, c->l, "internal: no C initializer for %s", ptype);
    c->x->bad = 1;
    return;
  }
  ef_call_field(c, f, "%s", pf_brace(c->x->h.ar, &in));
}

const char *ef_call_array(EfCall *c, const char *ct, const char *pfx, int64_t n, EuGet get,
                          const void *d) {
  const char *name = ar_printf(c->x->h.ar, "%s_%s", pfx, c->fn);
  assert(c->na < (int)(sizeof c->act / sizeof *c->act));
  c->act[c->na] = ct;
  c->aname[c->na] = name;
  c->an[c->na] = n;
  c->abody[c->na++] = eu_ibody(c->x->h.ar, n, get, d);
  return name;
}

const char *ef_call_list(EfCall *c, int64_t n, EuGet get, const void *d) {
  Sb b = {0};
  sb_puts(&b, "{");
  for (int64_t i = 0; i < n; i++) sb_printf(&b, "%s%lld", i ? ", " : "", (long long)get(d, i));
  sb_puts(&b, n ? "}" : "0}");
  return keep(c->x, &b);
}

const char *ef_call_i64(EfCall *c, int64_t v) {
  Arena *ar = c->x->h.ar;
  return v > INT32_MAX || v < -INT32_MAX ? ar_printf(ar, "INT64_C(%lld)", (long long)v)
                                         : ar_printf(ar, "%lld", (long long)v);
}

void ef_call_outq(EfCall *c, const rt_fx_outq *q, int n) {
  const char *M = ef_call_array(c, "int32_t", "M", n, eu_g32, q->M);
  const char *sh = ef_call_array(c, "int8_t", "S", n, eu_g8, q->sh);
  const char *Mn = "NULL", *shn = "NULL";
  if (q->relu == RT_FX_LEAKY) {
    Mn = ef_call_array(c, "int32_t", "MN", n, eu_g32, q->Mn);
    shn = ef_call_array(c, "int8_t", "SN", n, eu_g8, q->shn);
  }
  ef_call_field(c, "q", "{.M = %s, .sh = %s, .Mn = %s, .shn = %s, .relu = %d, .qmin = %d, .qmax = %d}",
                M, sh, Mn, shn, q->relu, (int)q->qmin, (int)q->qmax);
}

/* The fields of a requantization into f/v[*n] (the kernel's or the post
 * op's). */
static void requant_flds(EfCtx *x, const rt_fx_relu_param *p, const char **f, const char **v,
                         int *n) {
  f[*n] = "M", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->M);
  f[*n] = "Mn", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->Mn);
  f[*n] = "sh", v[(*n)++] = ar_printf(x->h.ar, "%d", p->sh);
  f[*n] = "shn", v[(*n)++] = ar_printf(x->h.ar, "%d", p->shn);
  f[*n] = "qmin", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->qmin);
  f[*n] = "qmax", v[(*n)++] = ar_printf(x->h.ar, "%d", (int)p->qmax);
}

void ef_requant_call(EfCall *c, const Layer *l, const void *param) {
  (void)l;
  ef_call_kernel(c, "rt_fx_relu", "rt_fx_relu_param");
  assert(c->nf + 6 <= (int)(sizeof c->fld / sizeof *c->fld));
  requant_flds(c->x, param, c->fld, c->val, &c->nf);
}

void ef_affine_call(EfCall *c, const Layer *l, const void *param) {
  (void)l;
  const rt_fx_affine_param *p = param;
  ef_call_kernel(c, "rt_fx_affine", "rt_fx_affine_param");
  ef_call_field(c, "axis", "%d", p->axis), ef_call_field(c, "nch", "%d", p->nch);
  ef_call_field(c, "M", "%s", ef_call_array(c, "int32_t", "M", p->nch, eu_g32, p->M));
  ef_call_field(c, "sh", "%s", ef_call_array(c, "int8_t", "S", p->nch, eu_g8, p->sh));
  ef_call_field(c, "B", "%s", ef_call_array(c, "int64_t", "B", p->nch, eu_g64, p->B));
  ef_call_field(c, "qmin", "%d", (int)p->qmin), ef_call_field(c, "qmax", "%d", (int)p->qmax);
}

void ef_copy_call(EfCall *c, const Layer *l, const void *param) {
  (void)l, (void)param;
  ef_call_kernel(c, "rt_fx_copy", "");
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

/* The c/fx function of a QS_FX layer (its kernel step; conversions are
 * host calls of fx_requant16, the post op runs inside the function):
 * the kind's fx_call slot describes the call.  NULL after an error. */
static const char *sw_layer(EfCtx *x, const Layer *l, const char *fn) {
  const QsNet *qn = x->h.qn;
  EfCall t = {.x = x, .l = l, .fn = fn, .ptype = ""};
  const LayerOps *ops = lk_ops(l);
  if (!ops->fx_call) {
    ir_error(x->h.n, l, "the fixed-point generator has no kernel call for %s", l->type);
    x->bad = 1;
    return NULL;
  }
  ops->fx_call(&t, l, qs_layer_param(qn, l));
  if (!t.kernel) {
    ir_error(x->h.n, l, "internal: the fixed-point call of %s names no kernel", l->type);
    x->bad = 1;
    return NULL;
  }
  const rt_fx_relu_param *post = qs_layer_post(qn, l);
  if (post) requant_flds(x, post, t.pfld, t.pval, &t.np);
  const char *postname = ar_printf(x->h.ar, "PP_%s", fn);
  /* a kernel that applies the post op itself gets it as a field */
  bool post_in = post && t.postf && t.ptype[0];
  if (post_in) ef_call_field(&t, t.postf, "&%s", postname);
  LhHost *h = x->h.lh;
  lh_begin(h);
  eu_layer_header(h, x->h.ar, l, fn);
  lh_set_str(h, "kernel", t.kernel);
  lh_set_str(h, "ptype", t.ptype);
  lh_set_str(h, "pname", ar_printf(x->h.ar, "P_%s", fn));
  lh_set_str(h, "postname", postname);
  lh_set_bool(h, "post_in", post_in);
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

int ef_stages(const EfCtx *x) {
  if (x->h.sw || !x->h.cfg || !x->h.cfg->target.pipelined || x->p.nseg < 2) return 0;
  return x->p.nseg;
}

int ef_stage_at(const EfCtx *x, const Layer *l) {
  if (!ef_stages(x) || qs_layer_mode(x->h.qn, l) != QS_FX) return 0;
  int u = x->p.L[l->id].unit;
  return u >= 1 && x->p.n->layers[x->p.seg[u].first] == l ? u : 0;
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
  if (!x->h.sw) return eh_decls(x->hw, ef_stages(x));
  LhHost *h = x->h.lh;
  lh_begin(h);
  lh_set_int(h, "n16", x->p.n16 > 0 ? x->p.n16 : 1);
  lh_set_str(h, "funcs", sb_str(&x->sw_funcs));
  return eu_render(h, x->h.ar, "c/fxhost", &x->bad);
}

int ef_write(EfCtx *x, const char *dir) { return x->h.sw ? 0 : eh_write(x->hw, dir); }
