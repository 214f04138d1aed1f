/* emit_fx.c - fixed-point / HLS code generation (see emit_fx.h). */
#define _XOPEN_SOURCE 700
#include "emit_fx.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../runtime/rt_npy.h"
#include "emit_c.h"
#include "hls.h"
#include "quant.h"
#include "strbuf.h"

/* ---- the plan ---- */

/* A code buffer: a blob's codes or a boundary conversion's output. */
typedef struct EfBuf {
  bool b8;          /* int8_t (bw <= 8) in the fm memory, else int16_t */
  int64_t off, n;
  const Blob *blob; /* the blob whose codes it holds, or NULL */
  const Layer *cvl; /* conversion buffer: layer and bottom */
  int cvk;
  bool quant;       /* conversion from float (host side) */
  rt_fx_quant_param qp;
} EfBuf;

/* One call of a layer function on buffers. */
typedef struct EfStep {
  const char *fn;
  int nb, nt;
  int buf[RT_MAXLIST * 4 + 2];
  bool wts;
} EfStep;

typedef struct EfLay {
  int unit; /* -1: not a fixed-point layer, -2: software, >= 0: segment */
  bool hwok;
  int nstep;
  EfStep step[RT_MAXLIST * 4 + 2];
} EfLay;

typedef struct EfSeg {
  int first, last; /* indices into n->layers */
  const char *top;
  Sb funcs, calls, names, dirs;
  bool uses_wts;
  int *in, nin, *out, nout;
} EfSeg;

struct EfCtx {
  EfHost h;
  Net *n;
  EfBuf *buf;
  int nbuf, capbuf;
  int64_t n8, n16;
  int *bbuf;   /* per blob id, -1 = none */
  int **cvbuf; /* per layer id, per bottom, -1 = none */
  EfLay *L;    /* per layer id */
  const char **fname; /* per layer id */
  EfSeg *seg;
  int nseg;
  Sb sw_funcs, host_pre;
  int8_t *wts;
  int64_t nwts, capwts;
  int bad;
};

static int maxid(const Net *n) {
  int m = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (n->layers[i]->id > m) m = n->layers[i]->id;
  return m;
}

static int new_buf(EfCtx *x, int bw, int64_t n) {
  if (x->nbuf == x->capbuf) {
    x->capbuf = x->capbuf ? x->capbuf * 2 : 64;
    EfBuf *nb = ar_array(x->h.ar, (size_t)x->capbuf, sizeof *nb);
    if (x->nbuf) memcpy(nb, x->buf, (size_t)x->nbuf * sizeof *nb);
    x->buf = nb;
  }
  EfBuf *b = &x->buf[x->nbuf];
  memset(b, 0, sizeof *b);
  b->b8 = bw <= 8 && !x->h.sw;
  b->n = n;
  int64_t *top = b->b8 ? &x->n8 : &x->n16;
  b->off = *top;
  *top += (n + 63) / 64 * 64;
  return x->nbuf++;
}

static const char *ctype(const EfBuf *b) { return b->b8 ? "int8_t" : "int16_t"; }

/* The C expression of buffer i: in a segment the fm port, else the host
 * arenas. */
static const char *bexpr(EfCtx *x, int i, bool seg) {
  const EfBuf *b = &x->buf[i];
  return ar_printf(x->h.ar, "%s + %lld", b->b8 ? (seg ? "fm" : "fx8") : "fx16", (long long)b->off);
}

static bool live(const EfCtx *x, const Layer *l) {
  return !l->dead && qs_layer_mode(x->h.qn, l) != QS_DEAD;
}

/* Text of a C comment-safe name. */
static char *ident(Arena *ar, const char *name) {
  size_t len = strlen(name);
  char *s = ar_alloc(ar, len + 3), *p = s;
  for (const char *c = name; *c; c++) {
    int ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
    *p++ = ok ? *c : '_';
  }
  *p = 0;
  return s;
}

/* Integers as a C initializer body, 16 per line. */
static const char *ibody(EfCtx *x, int64_t n, int64_t (*get)(const void *, int64_t),
                         const void *d) {
  Sb b = {0};
  for (int64_t i = 0; i < n; i++) {
    int64_t v = get(d, i);
    sb_puts(&b, i % 16 == 0 ? "  " : " ");
    if (v == INT64_MIN) sb_puts(&b, "INT64_MIN");
    else if (v > INT32_MAX || v < -INT32_MAX) sb_printf(&b, "INT64_C(%lld)", (long long)v);
    else sb_printf(&b, "%lld", (long long)v);
    sb_puts(&b, i + 1 < n ? (i % 16 == 15 ? ",\n" : ",") : "\n");
  }
  char *r = ar_strdup(x->h.ar, sb_str(&b));
  free(b.s);
  return r;
}
static int64_t g16(const void *d, int64_t i) { return ((const int16_t *)d)[i]; }
static int64_t g8(const void *d, int64_t i) { return ((const int8_t *)d)[i]; }
static int64_t g32(const void *d, int64_t i) { return ((const int32_t *)d)[i]; }
static int64_t g64(const void *d, int64_t i) { return ((const int64_t *)d)[i]; }

static void set_common(EfCtx *x, const Layer *l, const char *fn, int nb, const int *bb, int nt,
                       const int *tb) {
  LhHost *h = x->h.lh;
  ec_layer_header(h, x->h.ar, l, fn);
  const char *xt[RT_MAXLIST * 4], *yt[4];
  for (int i = 0; i < nb; i++) xt[i] = ctype(&x->buf[bb[i]]);
  for (int i = 0; i < nt; i++) yt[i] = ctype(&x->buf[tb[i]]);
  lh_set_strs(h, "xt", xt, nb);
  lh_set_strs(h, "yt", yt, nt);
  lh_set_bool(h, "wts", false);
  lh_set_bool(h, "wide", false);
}

static const char *render(EfCtx *x, const char *tmpl) {
  const char *s = lh_render(x->h.lh, tmpl, x->h.ar);
  if (!s) x->bad = 1;
  return s;
}

static void add_wts(EfCtx *x, const int8_t *d, int64_t n, int64_t *off) {
  int64_t need = x->nwts + (n + 63) / 64 * 64;
  if (need > x->capwts) {
    int64_t cap = x->capwts ? x->capwts : 4096;
    while (cap < need) cap *= 2;
    int8_t *nw = realloc(x->wts, (size_t)cap);
    if (!nw) exit(3);
    memset(nw + x->capwts, 0, (size_t)(cap - x->capwts));
    x->wts = nw;
    x->capwts = cap;
  }
  *off = x->nwts;
  memcpy(x->wts + x->nwts, d, (size_t)n);
  x->nwts = need;
}

/* ---- rendering one fixed-point layer ---- */

/* An elementwise requantization step (standalone ReLU, a conversion, a
 * post op). */
static const char *elem_fn(EfCtx *x, const Layer *l, const char *fn, int src, int dst,
                           const rt_fx_relu_param *p, int ii, int lanes) {
  LhHost *h = x->h.lh;
  lh_begin(h);
  set_common(x, l, fn, 1, &src, 1, &dst);
  lh_set_int(h, "count", x->buf[dst].n);
  lh_set_int(h, "II", ii);
  lh_set_int(h, "LANES", lanes);
  lh_set_int(h, "M", p->M), lh_set_int(h, "sh", p->sh);
  lh_set_int(h, "Mn", p->Mn), lh_set_int(h, "shn", p->shn);
  lh_set_bool(h, "same", p->M == p->Mn && p->sh == p->shn);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  return render(x, "hls/elem");
}

static bool ident_m(int32_t M, int sh) { return M == RT_FX_ONE_M && sh == RT_FX_ONE_SH; }

static const char *conv_fn(EfCtx *x, const Layer *l, const char *fn, int src, int dst,
                           const HlKnobs *k, bool hw, bool *uses_wts) {
  LhHost *h = x->h.lh;
  const rt_fx_conv_param *p = qs_layer_param(x->h.qn, l);
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int C = in->d[1], H = in->d[2], W = in->d[3], OC = out->d[1], G = p->g.group;
  int ICG = C / G, OCG = OC / G, KH = p->g.kh, KW = p->g.kw;
  bool de = l->kind == LK_DECONV;
  int64_t nw = (int64_t)OC * ICG * KH * KW;
  int16_t *w = ar_array(x->h.ar, (size_t)nw, sizeof *w);
  for (int g = 0; g < G; g++)
    for (int icl = 0; icl < ICG; icl++)
      for (int ocl = 0; ocl < OCG; ocl++)
        for (int ky = 0; ky < KH; ky++)
          for (int kx = 0; kx < KW; kx++) {
            int64_t src_i = de ? ((((int64_t)(g * ICG + icl)) * OCG + ocl) * KH + ky) * KW + kx
                               : ((((int64_t)(g * OCG + ocl)) * ICG + icl) * KH + ky) * KW + kx;
            int64_t dst_i = ((((int64_t)ky * KW + kx) * G + g) * ICG + icl) * OCG + ocl;
            w[dst_i] = p->w[src_i];
          }
  lh_begin(h);
  set_common(x, l, fn, 1, &src, 1, &dst);
  int wbw = l->q ? l->q->bw_params : 16;
  bool axi = hw && k->axi;
  lh_set_bool(h, "rom", !axi);
  lh_set_bool(h, "wts", axi);
  lh_set_str(h, "wtype", wbw <= 8 ? "int8_t" : "int16_t");
  lh_set_str(h, "w", ar_printf(x->h.ar, "%s_w", fn));
  lh_set_int(h, "nw", nw);
  if (axi) {
    int8_t *w8 = ar_array(x->h.ar, (size_t)nw, 1);
    for (int64_t i = 0; i < nw; i++) w8[i] = (int8_t)w[i];
    int64_t off;
    add_wts(x, w8, nw, &off);
    lh_set_int(h, "woff", off);
    *uses_wts = true;
  } else {
    lh_set_str(h, "wbody", ibody(x, nw, g16, w));
  }
  lh_set_str(h, "at", p->acc64 ? "int64_t" : "int32_t");
  lh_set_bool(h, "wide", p->acc64);
  lh_set_str(h, "bias", p->bias ? ar_printf(x->h.ar, "%s_b", fn) : "");
  if (p->bias) lh_set_str(h, "bbody", ibody(x, OC, g64, p->bias));
  lh_set_str(h, "Mbody", ibody(x, OC, g32, p->q.M));
  int32_t *sh = ar_array(x->h.ar, (size_t)OC, sizeof *sh);
  for (int o = 0; o < OC; o++) sh[o] = p->q.sh[o];
  lh_set_str(h, "shbody", ibody(x, OC, g32, sh));
  lh_set_int(h, "relu", p->q.relu);
  if (p->q.relu == RT_FX_LEAKY) {
    lh_set_str(h, "Mnbody", ibody(x, OC, g32, p->q.Mn));
    int32_t *shn = ar_array(x->h.ar, (size_t)OC, sizeof *shn);
    for (int o = 0; o < OC; o++) shn[o] = p->q.shn[o];
    lh_set_str(h, "shnbody", ibody(x, OC, g32, shn));
  }
  lh_set_int(h, "qmin", p->q.qmin), lh_set_int(h, "qmax", p->q.qmax);
  lh_set_int(h, "N", in->d[0]), lh_set_int(h, "C", C), lh_set_int(h, "H", H), lh_set_int(h, "W", W);
  lh_set_int(h, "OC", OC), lh_set_int(h, "OH", out->d[2]), lh_set_int(h, "OW", out->d[3]);
  lh_set_int(h, "KH", KH), lh_set_int(h, "KW", KW), lh_set_int(h, "SH", p->g.sh);
  lh_set_int(h, "SW", p->g.sw), lh_set_int(h, "PH", p->g.ph), lh_set_int(h, "PW", p->g.pw);
  lh_set_int(h, "DH", p->g.dh), lh_set_int(h, "DW", p->g.dw), lh_set_int(h, "G", G);
  lh_set_int(h, "ICG", ICG), lh_set_int(h, "OCG", OCG);
  lh_set_int(h, "IP", k->ip), lh_set_int(h, "OP", k->op), lh_set_int(h, "II", k->ii);
  lh_set_int(h, "NICT", (ICG + k->ip - 1) / k->ip), lh_set_int(h, "NOCT", (OCG + k->op - 1) / k->op);
  lh_set_bool(h, "exact", ICG % k->ip == 0 && OCG % k->op == 0);
  lh_set_bool(h, "deconv", de);
  return render(x, "hls/conv");
}

static const char *pool_fn(EfCtx *x, const Layer *l, const char *fn, int src, int dst, int ii, int lanes) {
  LhHost *h = x->h.lh;
  const rt_fx_pool_param *p = qs_layer_param(x->h.qn, l);
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int H = in->d[2], W = in->d[3];
  bool g = p->g.global;
  int kh = g ? H : p->g.kh, kw = g ? W : p->g.kw;
  lh_begin(h);
  set_common(x, l, fn, 1, &src, 1, &dst);
  lh_set_int(h, "NC", (int64_t)in->d[0] * in->d[1]);
  lh_set_int(h, "H", H), lh_set_int(h, "W", W), lh_set_int(h, "OH", out->d[2]);
  lh_set_int(h, "OW", out->d[3]), lh_set_int(h, "KH", kh), lh_set_int(h, "KW", kw);
  lh_set_int(h, "SH", g ? 1 : p->g.sh), lh_set_int(h, "SW", g ? 1 : p->g.sw);
  lh_set_int(h, "PH", g ? 0 : p->g.ph), lh_set_int(h, "PW", g ? 0 : p->g.pw);
  lh_set_bool(h, "ave", p->g.method == RT_POOL_AVE);
  lh_set_str(h, "st", (int64_t)kh * kw < 65536 ? "int32_t" : "int64_t");
  lh_set_bool(h, "ident", ident_m(p->M, p->sh));
  lh_set_int(h, "M", p->M), lh_set_int(h, "sh", p->sh);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", ii);
  lh_set_int(h, "LANES", lanes);
  return render(x, "hls/pool");
}

static const char *affine_fn(EfCtx *x, const Layer *l, const char *fn, int src, int dst, int ii, int lanes) {
  LhHost *h = x->h.lh;
  const rt_fx_affine_param *p = qs_layer_param(x->h.qn, l);
  const rt_shape *s = &l->bottom[0]->shape;
  int64_t outer = rt_shape_count_range(s, 0, p->axis);
  int64_t C = p->axis < s->nd ? s->d[p->axis] : 1;
  int64_t inner = rt_shape_count_range(s, p->axis + 1, s->nd);
  if (p->nch == 1) inner *= C, C = 1;
  lh_begin(h);
  set_common(x, l, fn, 1, &src, 1, &dst);
  lh_set_int(h, "OUTER", outer), lh_set_int(h, "C", C), lh_set_int(h, "INNER", inner);
  lh_set_str(h, "Mbody", ibody(x, C, g32, p->M));
  lh_set_str(h, "shbody", ibody(x, C, g8, p->sh));
  lh_set_str(h, "Bbody", ibody(x, C, g64, p->B));
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", ii);
  lh_set_int(h, "LANES", lanes);
  return render(x, "hls/affine");
}

static const char *eltwise_fn(EfCtx *x, const Layer *l, const char *fn, const int *src, int dst,
                              int ii, int lanes) {
  LhHost *h = x->h.lh;
  const rt_fx_eltwise_param *p = qs_layer_param(x->h.qn, l);
  int n = p->n < l->nbottom ? p->n : l->nbottom;
  lh_begin(h);
  set_common(x, l, fn, n, src, 1, &dst);
  lh_set_bool(h, "wide", true);
  lh_set_str(h, "op", p->op == RT_ELT_SUM ? "sum" : p->op == RT_ELT_PROD ? "prod" : "max");
  int64_t M[RT_MAXLIST], sh[RT_MAXLIST];
  for (int i = 0; i < n; i++) M[i] = p->M[i], sh[i] = p->sh[i];
  lh_set_ints(h, "M", M, n);
  lh_set_ints(h, "sh", sh, n);
  lh_set_int(h, "shift", p->shift);
  lh_set_int(h, "count", x->buf[dst].n);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", ii);
  lh_set_int(h, "LANES", lanes);
  return render(x, "hls/eltwise");
}

static const char *concat_fn(EfCtx *x, const Layer *l, const char *fn, const int *src, int dst,
                             int ii, int lanes) {
  LhHost *h = x->h.lh;
  const rt_fx_concat_param *p = qs_layer_param(x->h.qn, l);
  const rt_shape *ts = &l->top[0]->shape;
  int n = p->n < l->nbottom ? p->n : l->nbottom;
  lh_begin(h);
  set_common(x, l, fn, n, src, 1, &dst);
  lh_set_int(h, "OUTER", rt_shape_count_range(ts, 0, p->axis));
  lh_set_int(h, "TOTAL", rt_shape_count_range(ts, p->axis, ts->nd));
  lh_list_begin(h, "parts");
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    const rt_shape *bs = &l->bottom[i]->shape;
    int64_t inner = rt_shape_count_range(bs, p->axis, bs->nd);
    lh_item_begin(h);
    lh_set_int(h, "inner", inner), lh_set_int(h, "off", off);
    lh_set_bool(h, "ident", ident_m(p->M[i], p->sh[i]));
    lh_set_int(h, "M", p->M[i]), lh_set_int(h, "sh", p->sh[i]);
    lh_item_end(h);
    off += inner;
  }
  lh_list_end(h);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", ii);
  lh_set_int(h, "LANES", lanes);
  return render(x, "hls/concat");
}

static const char *permute_fn(EfCtx *x, const Layer *l, const char *fn, int src, int dst, int ii, int lanes) {
  LhHost *h = x->h.lh;
  const rt_shape *bs = &l->bottom[0]->shape;
  int64_t dims[RT_MAXDIM], st[RT_MAXDIM], ost[RT_MAXDIM], in_st[RT_MAXDIM];
  int nd = bs->nd;
  if (l->kind == LK_PERMUTE) {
    const rt_permute_param *p = qs_layer_param(x->h.qn, l);
    int64_t s = 1;
    for (int k = nd - 1; k >= 0; k--) in_st[k] = s, s *= bs->d[k];
    for (int k = 0; k < nd; k++) {
      int o = k < p->norder ? p->order[k] : k;
      st[k] = in_st[o];
      dims[k] = bs->d[o];
    }
    s = 1;
    for (int k = nd - 1; k >= 0; k--) ost[k] = s, s *= dims[k];
  } else {
    nd = 1;
    dims[0] = rt_shape_count(bs), st[0] = 1, ost[0] = 1;
  }
  if (nd == 0) nd = 1, dims[0] = 1, st[0] = 1, ost[0] = 1;
  lh_begin(h);
  set_common(x, l, fn, 1, &src, 1, &dst);
  lh_set_ints(h, "dims", dims, nd);
  lh_set_ints(h, "strides", st, nd);
  lh_set_ints(h, "ostrides", ost, nd);
  lh_set_int(h, "II", ii);
  lh_set_int(h, "LANES", lanes);
  return render(x, "hls/permute");
}

/* ---- all-software mode: runtime kernels (templates/c/fx) ---- */

static const char *keep(EfCtx *x, Sb *b);

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
static const char *sw_arr(SwTab *t, const char *ct, const char *pfx, int64_t n,
                          int64_t (*get)(const void *, int64_t), const void *d) {
  const char *name = ar_printf(t->x->h.ar, "%s_%s", pfx, t->fn);
  assert(t->na < (int)(sizeof t->act / sizeof *t->act));
  t->act[t->na] = ct;
  t->aname[t->na] = name;
  t->an[t->na] = n;
  t->abody[t->na++] = ibody(t->x, n, get, d);
  return name;
}

/* "{a, b, c}" of n integers. */
static const char *sw_list(EfCtx *x, int64_t n, int64_t (*get)(const void *, int64_t),
                           const void *d) {
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
  const char *M = sw_arr(t, "int32_t", "M", n, g32, q->M);
  const char *sh = sw_arr(t, "int8_t", "S", n, g8, q->sh);
  const char *Mn = "NULL", *shn = "NULL";
  if (q->relu == RT_FX_LEAKY) {
    Mn = sw_arr(t, "int32_t", "MN", n, g32, q->Mn);
    shn = sw_arr(t, "int8_t", "SN", n, g8, q->shn);
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
  sw_fld(t, "w", "%s", sw_arr(t, "int16_t", "W", nw, g16, p->w));
  sw_fld(t, "bias", "%s", p->bias ? sw_arr(t, "int64_t", "B", OC, g64, p->bias) : "NULL");
  sw_outq(t, &p->q, OC);
  sw_fld(t, "acc64", "%s", TF(p->acc64));
  sw_fld(t, "acc_bound", "%s", sw_i64(t->x, p->acc_bound));
  if (p->w8 && p->acc0) { /* the int8 copy (rt_fx_conv_pack8) */
    sw_fld(t, "w8", "%s", sw_arr(t, "int8_t", "W8", OC * rt_fx_conv_k4(p), g8, p->w8));
    sw_fld(t, "acc0", "%s", sw_arr(t, "int32_t", "A0", OC, g32, p->acc0));
  }
  if (p->wabs) /* sum |w| per channel (rt_fx_conv_wabs) */
    sw_fld(t, "wabs", "%s", sw_arr(t, "int64_t", "WA", OC, g64, p->wabs));
}

static void sw_ip(SwTab *t, const rt_fx_ip_param *p) {
  const rt_ip_param *g = &p->g;
  int N = g->num_output;
  sw_fld(t, "g", "{.num_output = %d, .axis = %d, .bias_term = %s, .transpose = %s}", N, g->axis,
         TF(g->bias_term), TF(g->transpose));
  sw_fld(t, "K", "%d", p->K);
  sw_fld(t, "w", "%s", sw_arr(t, "int16_t", "W", (int64_t)N * p->K, g16, p->w));
  sw_fld(t, "bias", "%s", p->bias ? sw_arr(t, "int64_t", "B", N, g64, p->bias) : "NULL");
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

/* The c/fx function of a QS_FX layer (its kernel step; conversions are
 * host calls of fx_requant16, the post op runs inside the function). */
static const char *sw_layer(EfCtx *x, const Layer *l, const char *fn) {
  const QsNet *qn = x->h.qn;
  const void *pv = qs_layer_param(qn, l);
  SwTab t = {.x = x, .fn = fn};
  const char *kernel, *ptype = "";
  switch (l->kind) {
  case LK_CONV: case LK_DECONV:
    kernel = l->kind == LK_CONV ? "rt_fx_conv" : "rt_fx_deconv", ptype = "rt_fx_conv_param";
    sw_conv(&t, l, pv);
    break;
  case LK_IP:
    kernel = "rt_fx_ip", ptype = "rt_fx_ip_param";
    sw_ip(&t, pv);
    break;
  case LK_POOL: {
    const rt_fx_pool_param *p = pv;
    const rt_pool_param *g = &p->g;
    kernel = "rt_fx_pool", ptype = "rt_fx_pool_param";
    sw_fld(&t, "g",
           "{.method = %d, .kh = %d, .kw = %d, .sh = %d, .sw = %d, .ph = %d, .pw = %d, "
           ".global = %s, .round_mode = %d}",
           g->method, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, TF(g->global), g->round_mode);
    sw_fld(&t, "M", "%d", (int)p->M), sw_fld(&t, "sh", "%d", p->sh);
    sw_fld(&t, "qmin", "%d", (int)p->qmin), sw_fld(&t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_RELU:
    kernel = "rt_fx_relu", ptype = "rt_fx_relu_param";
    sw_requant_flds(x, pv, t.fld, t.val, &t.nf);
    break;
  case LK_BN: case LK_SCALE: {
    const rt_fx_affine_param *p = pv;
    kernel = "rt_fx_affine", ptype = "rt_fx_affine_param";
    sw_fld(&t, "axis", "%d", p->axis), sw_fld(&t, "nch", "%d", p->nch);
    sw_fld(&t, "M", "%s", sw_arr(&t, "int32_t", "M", p->nch, g32, p->M));
    sw_fld(&t, "sh", "%s", sw_arr(&t, "int8_t", "S", p->nch, g8, p->sh));
    sw_fld(&t, "B", "%s", sw_arr(&t, "int64_t", "B", p->nch, g64, p->B));
    sw_fld(&t, "qmin", "%d", (int)p->qmin), sw_fld(&t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_ELTWISE: {
    const rt_fx_eltwise_param *p = pv;
    kernel = "rt_fx_eltwise", ptype = "rt_fx_eltwise_param";
    sw_fld(&t, "op", "%d", p->op), sw_fld(&t, "n", "%d", p->n);
    sw_fld(&t, "M", "%s", sw_list(x, p->n, g32, p->M));
    sw_fld(&t, "sh", "%s", sw_list(x, p->n, g8, p->sh));
    sw_fld(&t, "shift", "%d", p->shift);
    sw_fld(&t, "qmin", "%d", (int)p->qmin), sw_fld(&t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_CONCAT: {
    const rt_fx_concat_param *p = pv;
    kernel = "rt_fx_concat", ptype = "rt_fx_concat_param";
    sw_fld(&t, "axis", "%d", p->axis), sw_fld(&t, "n", "%d", p->n);
    sw_fld(&t, "M", "%s", sw_list(x, p->n, g32, p->M));
    sw_fld(&t, "sh", "%s", sw_list(x, p->n, g8, p->sh));
    sw_fld(&t, "qmin", "%d", (int)p->qmin), sw_fld(&t, "qmax", "%d", (int)p->qmax);
    break;
  }
  case LK_PERMUTE: {
    const rt_permute_param *p = pv;
    int64_t ord[RT_MAXDIM];
    for (int k = 0; k < RT_MAXDIM; k++) ord[k] = p->order[k];
    kernel = "rt_fx_permute", ptype = "rt_permute_param";
    sw_fld(&t, "norder", "%d", p->norder);
    sw_fld(&t, "order", "%s", sw_list(x, RT_MAXDIM, g64, ord));
    break;
  }
  case LK_FLATTEN: case LK_RESHAPE: case LK_DROPOUT:
    kernel = "rt_fx_copy";
    break;
  default:
    ir_error(x->n, l, "the fixed-point generator has no kernel call for %s", l->type);
    x->bad = 1;
    return NULL;
  }
  const rt_fx_relu_param *post = qs_layer_post(qn, l);
  if (post) sw_requant_flds(x, post, t.pfld, t.pval, &t.np);
  LhHost *h = x->h.lh;
  lh_begin(h);
  ec_layer_header(h, x->h.ar, l, fn);
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
  return render(x, "c/fx");
}

/* ---- planning ---- */

static bool is_mac(const Layer *l) { return l->kind == LK_CONV || l->kind == LK_DECONV; }

/* Buffers and steps of a QS_FX layer; decides hwok. */
static int plan_fx(EfCtx *x, Layer *l) {
  EfLay *L = &x->L[l->id];
  const QsNet *qn = x->h.qn;
  if (l->ntop != 1 || l->nbottom < 1 || l->nbottom > RT_MAXLIST * 4) {
    ir_error(x->n, l, "the fixed-point generator supports layers with one top");
    return -1;
  }
  bool hw8 = true;
  int src[RT_MAXLIST * 4];
  rt_fx_q in = qs_layer_in(qn, l), out = qs_layer_out(qn, l);
  for (int k = 0; k < l->nbottom; k++) {
    rt_fx_quant_param qp;
    rt_fx_relu_param req;
    int op = qs_bottom_conv(qn, l, k, &qp, &req);
    const Blob *b = l->bottom[k];
    int64_t cnt = rt_shape_count(&b->shape);
    if (op == QS_CV_AS_IS) {
      if (x->bbuf[b->id] < 0) {
        ir_error(x->n, l, "internal: bottom '%s' has no codes", b->name);
        return -1;
      }
      src[k] = x->bbuf[b->id];
    } else {
      int cb = new_buf(x, in.bw, cnt);
      x->buf[cb].cvl = l, x->buf[cb].cvk = k;
      x->cvbuf[l->id][k] = cb;
      if (op == QS_CV_QUANT) {
        x->buf[cb].quant = true;
        x->buf[cb].qp = qp;
      } else {
        EfStep *s = &L->step[L->nstep++];
        s->fn = ar_printf(x->h.ar, "%s_cv%d", x->fname[l->id], k);
        s->nb = 1, s->nt = 1, s->buf[0] = x->bbuf[b->id], s->buf[1] = cb;
        if (!x->buf[x->bbuf[b->id]].b8) hw8 = false;
      }
      src[k] = cb;
    }
    if (!x->buf[src[k]].b8) hw8 = false;
  }
  int dst = new_buf(x, out.bw, rt_shape_count(&l->top[0]->shape));
  x->buf[dst].blob = l->top[0];
  x->bbuf[l->top[0]->id] = dst;
  if (!x->buf[dst].b8) hw8 = false;
  if (is_mac(l) && l->q && l->q->bw_params > 8) hw8 = false;
  EfStep *s = &L->step[L->nstep++];
  s->fn = x->fname[l->id];
  s->nb = l->nbottom, s->nt = 1;
  for (int k = 0; k < l->nbottom; k++) s->buf[k] = src[k];
  s->buf[l->nbottom] = dst;
  if (qs_layer_post(qn, l)) {
    EfStep *p = &L->step[L->nstep++];
    p->fn = ar_printf(x->h.ar, "%s_post", x->fname[l->id]);
    p->nb = 1, p->nt = 1, p->buf[0] = dst, p->buf[1] = dst;
  }
  L->hwok = !x->h.sw && hw8 && l->place == PL_HW && hl_kind_ok(l->kind);
  return 0;
}

/* Renders the functions of a QS_FX layer into sb; marks AXI weights. */
static int render_fx(EfCtx *x, Layer *l, Sb *sb, Sb *dirs, bool *uses_wts) {
  bool hw = dirs != NULL;
  EfLay *L = &x->L[l->id];
  const QsNet *qn = x->h.qn;
  if (x->h.sw) {
    const char *code = sw_layer(x, l, x->fname[l->id]);
    if (!code) return -1;
    sb_puts(sb, code);
    sb_puts(sb, "\n");
    return 0;
  }
  int64_t wb = hl_wbytes(l);
  HlKnobs k;
  hl_knobs(x->h.cfg, l, wb, &k);
  for (int i = 0; i < L->nstep; i++) {
    EfStep *s = &L->step[i];
    const char *code = NULL;
    if (s->fn != x->fname[l->id]) { /* conversion or post op */
      rt_fx_relu_param req;
      const rt_fx_relu_param *p = qs_layer_post(qn, l);
      if (s->buf[0] != s->buf[1]) {
        qs_bottom_conv(qn, l, x->buf[s->buf[1]].cvk, NULL, &req);
        p = &req;
      }
      code = elem_fn(x, l, s->fn, s->buf[0], s->buf[1], p, k.ii, 1);
    } else {
      int dst = s->buf[s->nb];
      switch (l->kind) {
      case LK_CONV: case LK_DECONV:
        code = conv_fn(x, l, s->fn, s->buf[0], dst, &k, hw, uses_wts);
        s->wts = hw && k.axi;
        break;
      case LK_POOL: code = pool_fn(x, l, s->fn, s->buf[0], dst, k.ii, 1); break;
      case LK_RELU: code = elem_fn(x, l, s->fn, s->buf[0], dst, qs_layer_param(qn, l), k.ii, k.op); break;
      case LK_BN: case LK_SCALE: code = affine_fn(x, l, s->fn, s->buf[0], dst, k.ii, k.op); break;
      case LK_ELTWISE: code = eltwise_fn(x, l, s->fn, s->buf, dst, k.ii, k.op); break;
      case LK_CONCAT: code = concat_fn(x, l, s->fn, s->buf, dst, k.ii, k.op); break;
      case LK_PERMUTE: case LK_FLATTEN: case LK_RESHAPE: case LK_DROPOUT:
        code = permute_fn(x, l, s->fn, s->buf[0], dst, k.ii, 1);
        break;
      default:
        ir_error(x->n, l, "the fixed-point generator has no template for %s", l->type);
        return -1;
      }
    }
    if (!code) return -1;
    sb_puts(sb, code);
    sb_puts(sb, "\n");
    if (hw) sb_printf(dirs, "  set_directive_inline -off \"%s\"\n", s->fn);
  }
  return 0;
}

/* The calls of a layer's steps. */
static void step_calls(EfCtx *x, const Layer *l, bool seg, Sb *out) {
  const EfLay *L = &x->L[l->id];
  for (int i = 0; i < L->nstep; i++) {
    const EfStep *s = &L->step[i];
    if (x->h.sw && s->fn != x->fname[l->id]) {
      /* all-software mode: a conversion is a host loop, the post op runs
       * inside the layer function */
      if (s->buf[0] == s->buf[1]) continue;
      rt_fx_relu_param req;
      qs_bottom_conv(x->h.qn, l, x->buf[s->buf[1]].cvk, NULL, &req);
      sb_printf(out, "  fx_requant16(%s, %s, %lld, %d, %d, %d, %d);\n", bexpr(x, s->buf[0], seg),
                bexpr(x, s->buf[1], seg), (long long)x->buf[s->buf[1]].n, (int)req.M, req.sh,
                (int)req.qmin, (int)req.qmax);
      continue;
    }
    sb_printf(out, "  %s(", s->fn);
    for (int k = 0; k < s->nb + s->nt; k++)
      sb_printf(out, "%s%s", k ? ", " : "", bexpr(x, s->buf[k], seg));
    if (s->wts) sb_puts(out, seg ? ", wts" : ", CHAI_HW_WTS");
    sb_puts(out, ");\n");
  }
}

/* Host code: the float -> code conversions of l's bottoms. */
static void quant_bottoms(EfCtx *x, const Layer *l, Sb *out) {
  for (int k = 0; k < l->nbottom; k++) {
    int cb = x->cvbuf[l->id][k];
    if (cb < 0 || !x->buf[cb].quant) continue;
    const EfBuf *b = &x->buf[cb];
    sb_printf(out, "  fx_quantize%d(%s, %s, %lld, %.17g, %d, %d);\n", b->b8 ? 8 : 16,
              x->h.fptr(x->h.ctx, l->bottom[k]), bexpr(x, cb, false), (long long)b->n,
              b->qp.scale, b->qp.qmin, b->qp.qmax);
  }
}

static bool in_seg(const EfCtx *x, const Layer *l, int s) { return x->L[l->id].unit == s; }

/* Segment inputs and outputs (buffer indices). */
static void seg_io(EfCtx *x, EfSeg *g, int s) {
  Net *n = x->n;
  g->in = ar_array(x->h.ar, (size_t)x->nbuf + 1, sizeof(int));
  g->out = ar_array(x->h.ar, (size_t)x->nbuf + 1, sizeof(int));
  bool *inside = ar_array(x->h.ar, (size_t)x->nbuf + 1, sizeof(bool));
  bool *seen = ar_array(x->h.ar, (size_t)x->nbuf + 1, sizeof(bool));
  for (int i = g->first; i <= g->last; i++) {
    const Layer *l = n->layers[i];
    if (!in_seg(x, l, s)) continue;
    const EfLay *L = &x->L[l->id];
    for (int t = 0; t < L->nstep; t++) {
      const EfStep *st = &L->step[t];
      for (int k = 0; k < st->nb; k++) {
        int b = st->buf[k];
        if (!inside[b] && !seen[b]) seen[b] = true, g->in[g->nin++] = b;
      }
      for (int k = 0; k < st->nt; k++) inside[st->buf[st->nb + k]] = true;
    }
  }
  for (int i = g->first; i <= g->last; i++) {
    const Layer *l = n->layers[i];
    if (!in_seg(x, l, s)) continue;
    const Blob *b = l->top[0];
    bool used = b->is_output;
    for (int j = 0; j < n->nlayer && !used; j++) {
      const Layer *c = n->layers[j];
      if (!live(x, c) || in_seg(x, c, s)) continue;
      for (int k = 0; k < c->nbottom; k++)
        if (c->bottom[k] == b) used = true;
    }
    if (used) g->out[g->nout++] = x->bbuf[b->id];
  }
}

EfCtx *ef_open(const EfHost *hh) {
  EfCtx *x = calloc(1, sizeof *x);
  if (!x) exit(3);
  x->h = *hh;
  Net *n = x->n = hh->n;
  Arena *ar = hh->ar;
  int mid = maxid(n);
  x->bbuf = ar_array(ar, (size_t)n->nblob + 1, sizeof(int));
  for (int i = 0; i < n->nblob; i++) x->bbuf[i] = -1;
  x->cvbuf = ar_array(ar, (size_t)mid + 1, sizeof(int *));
  x->L = ar_array(ar, (size_t)mid + 1, sizeof(EfLay));
  x->fname = ar_array(ar, (size_t)mid + 1, sizeof(char *));
  /* pass 1: buffers and steps */
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    EfLay *L = &x->L[l->id];
    L->unit = -1;
    x->cvbuf[l->id] = ar_array(ar, (size_t)l->nbottom + 1, sizeof(int));
    for (int k = 0; k < l->nbottom; k++) x->cvbuf[l->id][k] = -1;
    if (!live(x, l)) continue;
    QsMode m = qs_layer_mode(hh->qn, l);
    const char *fn = ar_printf(ar, "Q_%s", ident(ar, l->name));
    for (int k = 0; k < i; k++)
      if (x->fname[n->layers[k]->id] && !strcmp(x->fname[n->layers[k]->id], fn))
        fn = ar_printf(ar, "Q%d_%s", i, ident(ar, l->name));
    x->fname[l->id] = fn;
    if (m == QS_FX) {
      if (plan_fx(x, l)) goto fail;
      L->unit = -2;
    } else if (m == QS_INPUTQ || m == QS_FXF || m == QS_COPY) {
      for (int t = 0; t < l->ntop; t++) {
        rt_fx_q f;
        if (!qs_blob_fmt(hh->qn, l->top[t], &f)) continue;
        int b = new_buf(x, f.bw, rt_shape_count(&l->top[t]->shape));
        x->buf[b].blob = l->top[t];
        x->bbuf[l->top[t]->id] = b;
      }
    }
  }
  /* pass 2: segments = maximal runs of hwok layers among the live ones */
  x->seg = ar_array(ar, (size_t)n->nlayer + 1, sizeof(EfSeg));
  int cur = -1;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (!live(x, l)) continue;
    if (l->kind == LK_INPUT && qs_layer_mode(hh->qn, l) == QS_FLOAT) continue;
    if (!x->L[l->id].hwok) {
      cur = -1;
      continue;
    }
    if (cur < 0) {
      cur = x->nseg++;
      x->seg[cur].first = i;
      x->seg[cur].top = ar_printf(ar, "%s_seg%d", hh->prefix, cur);
    }
    x->seg[cur].last = i;
    x->L[l->id].unit = cur;
  }
  /* pass 3: render */
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    EfLay *L = &x->L[l->id];
    if (L->unit == -1) continue;
    if (L->unit == -2) {
      bool dummy = false;
      if (render_fx(x, l, &x->sw_funcs, NULL, &dummy)) goto fail;
      continue;
    }
    EfSeg *g = &x->seg[L->unit];
    if (render_fx(x, l, &g->funcs, &g->dirs, &g->uses_wts)) goto fail;
    step_calls(x, l, true, &g->calls);
    sb_printf(&g->names, "%s%s", g->names.n ? ", " : "", ec_comment_safe(ar, l->name));
  }
  for (int s = 0; s < x->nseg; s++) seg_io(x, &x->seg[s], s);
  if (x->n8 > INT32_MAX || x->n16 > INT32_MAX) {
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
  for (int s = 0; s < x->nseg; s++) {
    free(x->seg[s].funcs.s);
    free(x->seg[s].calls.s);
    free(x->seg[s].names.s);
    free(x->seg[s].dirs.s);
  }
  free(x->sw_funcs.s);
  free(x->host_pre.s);
  free(x->wts);
  free(x);
}

int ef_nseg(const EfCtx *x) { return x->nseg; }

/* ---- host code ---- */

static const char *keep(EfCtx *x, Sb *b) {
  const char *r = ar_strdup(x->h.ar, sb_str(b));
  free(b->s);
  return r;
}

int ef_layer(EfCtx *x, const Layer *l, const char **code) {
  QsMode m = qs_layer_mode(x->h.qn, l);
  Sb b = {0};
  sb_puts(&b, "");
  switch (m) {
  case QS_INPUTQ: {
    const rt_fx_quant_param *q = qs_layer_outq(x->h.qn, l);
    for (int t = 0; t < l->ntop; t++) {
      int i = x->bbuf[l->top[t]->id];
      if (i < 0) continue;
      sb_printf(&b, "  /* %s: quantize the input */\n", ec_comment_safe(x->h.ar, l->name));
      sb_printf(&b, "  fx_quantize%d(%s, %s, %lld, %.17g, %d, %d);\n", x->buf[i].b8 ? 8 : 16,
                x->h.fptr(x->h.ctx, l->top[t]), bexpr(x, i, false), (long long)x->buf[i].n,
                q->scale, q->qmin, q->qmax);
    }
    break;
  }
  case QS_COPY: {
    int s = x->bbuf[l->bottom[0]->id];
    for (int t = 0; t < l->ntop; t++) {
      int d = x->bbuf[l->top[t]->id];
      if (s < 0 || d < 0) continue;
      sb_printf(&b, "  /* %s (%s): codes copied */\n", ec_comment_safe(x->h.ar, l->name),
                ec_comment_safe(x->h.ar, l->type));
      sb_printf(&b, "  memcpy(%s, %s, %lld * sizeof(%s));\n", bexpr(x, d, false),
                bexpr(x, s, false), (long long)x->buf[d].n, ctype(&x->buf[d]));
    }
    break;
  }
  case QS_FX: {
    int u = x->L[l->id].unit;
    if (u == -2) {
      sb_printf(&b, "  /* %s (%s): fixed point, software */\n", ec_comment_safe(x->h.ar, l->name),
                ec_comment_safe(x->h.ar, l->type));
      quant_bottoms(x, l, &b);
      step_calls(x, l, false, &b);
    } else if (x->n->layers[x->seg[u].first] == l) {
      const EfSeg *g = &x->seg[u];
      sb_printf(&b, "  /* hardware segment %d: %s */\n", u, sb_str(&g->names));
      for (int i = g->first; i <= g->last; i++)
        if (in_seg(x, x->n->layers[i], u)) quant_bottoms(x, x->n->layers[i], &b);
      sb_printf(&b, "  %s_hw_run(%d);\n", x->h.prefix, u);
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
  Sb b = {0};
  sb_puts(&b, "");
  for (int k = 0; k < l->nbottom; k++) {
    rt_fx_q f;
    int i = x->bbuf[l->bottom[k]->id];
    if (i < 0 || !qs_blob_fmt(x->h.qn, l->bottom[k], &f)) continue;
    sb_printf(&b, "  fx_dequantize%d(%s, %s, %lld, %.17g);\n", x->buf[i].b8 ? 8 : 16,
              bexpr(x, i, false), x->h.fptr(x->h.ctx, l->bottom[k]), (long long)x->buf[i].n,
              f.scale);
  }
  return keep(x, &b);
}

const char *ef_post_float(EfCtx *x, const Layer *l) {
  Sb b = {0};
  sb_puts(&b, "");
  const rt_fx_quant_param *q = qs_layer_outq(x->h.qn, l);
  if (q && qs_layer_mode(x->h.qn, l) == QS_FXF)
    for (int t = 0; t < l->ntop; t++) {
      int i = x->bbuf[l->top[t]->id];
      if (i < 0) continue;
      sb_printf(&b, "  fx_quantize%d(%s, %s, %lld, %.17g, %d, %d);\n", x->buf[i].b8 ? 8 : 16,
                x->h.fptr(x->h.ctx, l->top[t]), bexpr(x, i, false), (long long)x->buf[i].n,
                q->scale, q->qmin, q->qmax);
    }
  return keep(x, &b);
}

const char *ef_end(EfCtx *x) {
  Sb b = {0};
  sb_puts(&b, "");
  for (int i = 0; i < x->n->noutput; i++) {
    const Blob *o = x->n->outputs[i];
    rt_fx_q f;
    int k = x->bbuf[o->id];
    if (k < 0 || !qs_blob_fmt(x->h.qn, o, &f)) continue;
    sb_printf(&b, "  fx_dequantize%d(%s, %s, %lld, %.17g); /* output %s */\n",
              x->buf[k].b8 ? 8 : 16, bexpr(x, k, false), x->h.fptr(x->h.ctx, o),
              (long long)x->buf[k].n, f.scale, ec_comment_safe(x->h.ar, o->name));
  }
  return keep(x, &b);
}

const char *ef_decls(EfCtx *x) {
  LhHost *h = x->h.lh;
  lh_begin(h);
  if (x->h.sw) {
    lh_set_int(h, "n16", x->n16 > 0 ? x->n16 : 1);
    lh_set_str(h, "funcs", sb_str(&x->sw_funcs));
    return render(x, "c/fxhost");
  }
  lh_set_str(h, "prefix", x->h.prefix);
  lh_set_str(h, "PREFIX", x->h.upper);
  lh_set_str(h, "base", x->h.base);
  lh_set_int(h, "n8", x->n8 > 0 ? x->n8 : 1);
  lh_set_int(h, "n16", x->n16 > 0 ? x->n16 : 1);
  lh_set_int(h, "nwts", x->nwts);
  lh_set_bool(h, "swfx", x->sw_funcs.n > 0);
  const char *tops[4096];
  int ns = x->nseg < 4096 ? x->nseg : 4096;
  for (int s = 0; s < ns; s++) tops[s] = x->seg[s].top;
  lh_set_strs(h, "tops", tops, ns);
  return render(x, "hls/host");
}

/* ---- files ---- */

static int wfile(EfCtx *x, const char *dir, const char *name, const void *d, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
    if (f) fclose(f);
    diag_error(x->h.dg, (SrcLoc){path, 0, 0}, "cannot write: %s", strerror(errno));
    return -1;
  }
  return 0;
}

static int wtext(EfCtx *x, const char *dir, const char *name, const char *s) {
  if (!s) return -1;
  return wfile(x, dir, name, s, strlen(s));
}

/* The testbench input, from tb_input or deterministic values in [-1, 1). */
static float *tb_data(EfCtx *x, int64_t count) {
  float *d = NULL;
  if (x->h.tb_input) {
    int nd;
    int64_t s[RT_NPY_MAXDIM];
    char err[512];
    if (rt_npy_read(x->h.tb_input, &d, &nd, s, err, sizeof err)) {
      diag_error(x->h.dg, (SrcLoc){x->h.tb_input, 0, 0}, "%s", err);
      return NULL;
    }
    int64_t c = 1;
    for (int k = 0; k < nd; k++) c *= s[k];
    if (c != count) {
      diag_error(x->h.dg, (SrcLoc){x->h.tb_input, 0, 0},
                 "testbench input has %lld values; the net input takes %lld", (long long)c,
                 (long long)count);
      free(d);
      return NULL;
    }
    return d;
  }
  d = malloc((size_t)count * sizeof *d);
  if (!d) exit(3);
  uint64_t r = 12345;
  for (int64_t i = 0; i < count; i++) {
    r = (1103515245 * r + 12345) % 2147483648u;
    d[i] = (float)((double)r / 2147483648.0 * 2 - 1);
  }
  return d;
}

/* Codes of buffer i after the simulator's run (int16 -> values). */
static int16_t *buf_codes(EfCtx *x, QsState *st, int i) {
  const EfBuf *b = &x->buf[i];
  int16_t *c = ar_array(x->h.ar, (size_t)b->n, sizeof *c);
  if (b->quant) {
    const Blob *src = b->cvl->bottom[b->cvk];
    rt_fx_quantize(&b->qp, qs_blob_f32(st, src), c, b->n);
  } else if (b->blob) {
    const int16_t *s = qs_codes(st, b->blob, NULL);
    if (s) memcpy(c, s, (size_t)b->n * sizeof *c);
  }
  return c;
}

static const char *buf_what(EfCtx *x, int i) {
  const EfBuf *b = &x->buf[i];
  if (b->blob) return ar_printf(x->h.ar, "blob %s", ec_comment_safe(x->h.ar, b->blob->name));
  return ar_printf(x->h.ar, "layer %s bottom %d in its input format", ec_comment_safe(x->h.ar, b->cvl->name),
                   b->cvk);
}

static void seg_list(EfCtx *x, const char *key) {
  LhHost *h = x->h.lh;
  lh_list_begin(h, key);
  for (int s = 0; s < x->nseg; s++) {
    lh_item_begin(h);
    lh_set_int(h, "k", s);
    lh_set_str(h, "top", x->seg[s].top);
    lh_set_str(h, "src", ar_printf(x->h.ar, "%s_seg%d.c", x->h.base, s));
    lh_set_str(h, "tb", ar_printf(x->h.ar, "tb_%s_seg%d.c", x->h.base, s));
    lh_set_str(h, "layers", sb_str(&x->seg[s].names));
    lh_set_str(h, "dirs", sb_str(&x->seg[s].dirs));
    lh_item_end(h);
  }
  lh_list_end(h);
}

int ef_write(EfCtx *x, const char *outdir) {
  if (x->h.sw) return 0;
  Arena *ar = x->h.ar;
  LhHost *h = x->h.lh;
  char *dir = ar_printf(ar, "%s/hls", outdir);
  if (mkdir(dir, 0777) && errno != EEXIST) {
    diag_error(x->h.dg, (SrcLoc){dir, 0, 0}, "cannot create: %s", strerror(errno));
    return -1;
  }
  const char *wname = ar_printf(ar, "%s_hw_weights.bin", x->h.base);
  const char *wfname = x->nwts ? wname : "";
  char clk[32];
  snprintf(clk, sizeof clk, "%g", hl_clock_ns(x->h.cfg));
  /* chai_fx.h */
  lh_begin(h);
  x->h.prov(x->h.ctx);
  if (wtext(x, dir, "chai_fx.h", render(x, "hls/fx_h"))) return -1;
  /* <net>_hw.h */
  lh_begin(h);
  x->h.prov(x->h.ctx);
  lh_set_int(h, "fm_size", x->n8 > 0 ? x->n8 : 1);
  lh_set_int(h, "wts_size", x->nwts > 0 ? x->nwts : 1);
  seg_list(x, "segs");
  if (wtext(x, dir, ar_printf(ar, "%s_hw.h", x->h.base), render(x, "hls/hw_h"))) return -1;
  /* segments */
  for (int s = 0; s < x->nseg; s++) {
    EfSeg *g = &x->seg[s];
    lh_begin(h);
    x->h.prov(x->h.ctx);
    lh_set_int(h, "seg", s);
    lh_set_str(h, "top", g->top);
    lh_set_str(h, "layers", sb_str(&g->names));
    lh_set_str(h, "funcs", sb_str(&g->funcs));
    lh_set_str(h, "calls", sb_str(&g->calls));
    lh_set_bool(h, "uses_wts", g->uses_wts);
    lh_set_int(h, "fm_size", x->n8 > 0 ? x->n8 : 1);
    lh_set_int(h, "wts_size", x->nwts > 0 ? x->nwts : 1);
    if (wtext(x, dir, ar_printf(ar, "%s_seg%d.c", x->h.base, s), render(x, "hls/unit")))
      return -1;
  }
  if (x->sw_funcs.n) {
    lh_begin(h);
    x->h.prov(x->h.ctx);
    lh_set_str(h, "funcs", sb_str(&x->sw_funcs));
    if (wtext(x, dir, ar_printf(ar, "%s_swfx.c", x->h.base), render(x, "hls/unit"))) return -1;
  }
  /* AXI weights: the binary file and the host's copy as an initializer */
  if (x->nwts) {
    if (wfile(x, dir, wname, x->wts, (size_t)x->nwts)) return -1;
    if (wtext(x, dir, ar_printf(ar, "%s_hw_weights.inc", x->h.base),
              ibody(x, x->nwts, g8, x->wts)))
      return -1;
  }
  /* testbenches with simulator data */
  if (x->nseg) {
    const Blob *inb = x->n->inputs[0];
    int64_t cnt = rt_shape_count(&inb->shape);
    float *d = tb_data(x, cnt);
    if (!d) return -1;
    QsState *st = qs_state_new(x->h.qn);
    if (!st) {
      free(d);
      return -1;
    }
    qs_set_input(st, 0, d);
    qs_run(st);
    free(d);
    int rc = 0;
    for (int s = 0; s < x->nseg && !rc; s++) {
      EfSeg *g = &x->seg[s];
      lh_begin(h);
      x->h.prov(x->h.ctx);
      lh_set_str(h, "top", g->top);
      lh_set_bool(h, "uses_wts", g->uses_wts);
      lh_set_str(h, "wfile", wname);
      lh_set_int(h, "wbytes", x->nwts);
      int64_t ncodes = 0;
      lh_list_begin(h, "ins");
      for (int i = 0; i < g->nin; i++) {
        const EfBuf *b = &x->buf[g->in[i]];
        lh_item_begin(h);
        lh_set_str(h, "what", buf_what(x, g->in[i]));
        lh_set_int(h, "count", b->n), lh_set_int(h, "off", b->off);
        lh_set_str(h, "body", ibody(x, b->n, g16, buf_codes(x, st, g->in[i])));
        lh_item_end(h);
      }
      lh_list_end(h);
      lh_list_begin(h, "outs");
      for (int i = 0; i < g->nout; i++) {
        const EfBuf *b = &x->buf[g->out[i]];
        lh_item_begin(h);
        lh_set_str(h, "what", buf_what(x, g->out[i]));
        lh_set_str(h, "name", ident(ar, b->blob ? b->blob->name : "conv"));
        lh_set_int(h, "count", b->n), lh_set_int(h, "off", b->off);
        lh_set_str(h, "body", ibody(x, b->n, g16, buf_codes(x, st, g->out[i])));
        lh_item_end(h);
        ncodes += b->n;
      }
      lh_list_end(h);
      lh_set_int(h, "ncodes", ncodes);
      rc = wtext(x, dir, ar_printf(ar, "tb_%s_seg%d.c", x->h.base, s), render(x, "hls/tb"));
    }
    qs_state_free(st);
    if (rc) return -1;
  }
  /* project files */
  lh_begin(h);
  x->h.prov(x->h.ctx);
  seg_list(x, "segs");
  lh_set_str(h, "part", hl_part(x->h.cfg));
  lh_set_str(h, "clock", clk);
  lh_set_str(h, "wfile", wfname);
  if (wtext(x, dir, "run_hls.tcl", render(x, "hls/tcl"))) return -1;
  lh_begin(h);
  x->h.prov(x->h.ctx);
  seg_list(x, "segs");
  if (wtext(x, dir, "directives.tcl", render(x, "hls/directives"))) return -1;
  lh_begin(h);
  x->h.prov(x->h.ctx);
  seg_list(x, "segs");
  lh_set_str(h, "part", hl_part(x->h.cfg));
  lh_set_str(h, "clock", clk);
  lh_set_str(h, "wfile", wfname);
  if (wtext(x, dir, "README.md", render(x, "hls/readme"))) return -1;
  return x->bad ? -1 : 0;
}
