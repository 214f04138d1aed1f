/* emit_hls.c - HLS sources and project of a quantized net (see emit_hls.h). */
#define _XOPEN_SOURCE 700
#include "emit_hls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../runtime/rt_npy.h"
#include "quant.h"

struct EhCtx {
  EhHost h;
  FpPlan *p;
  HlPlan *hp;               /* knobs and resources of the hardware layers */
  Sb *funcs, *calls, *dirs; /* per segment */
  bool *uses_wts;           /* per segment */
  bool *wideport;           /* per segment: the wide ports fm64 / wts64 or
                               fm128 / wts128 (target.port_bits 64 / 128;
                               its engine or pooling) */
  bool *eng_wideport;       /* per segment: its engine reads the wide wts */
  int wpb;                  /* bytes per beat of the wide ports (8, 16; 0
                               while no segment has them) */
  Sb sw_funcs;              /* <net>_swfx.c */
  int8_t *wts;              /* the AXI weight memory */
  int64_t nwts, capwts;
  bool sw;                  /* rendering <net>_swfx.c (external linkage) */
  int bad;
};

/* Header fields and the buffer element types xt / yt of a layer function
 * on buffers bb[0..nb) -> tb[0..nt). */
static void set_common(EhCtx *x, const Layer *l, const char *fn, int nb, const int *bb, int nt,
                       const int *tb) {
  LhHost *h = x->h.lh;
  eu_layer_header(h, x->h.ar, l, fn);
  const char *xt[RT_MAXLIST * 4], *yt[4];
  for (int i = 0; i < nb; i++) xt[i] = fp_ctype(&x->p->buf[bb[i]]);
  for (int i = 0; i < nt; i++) yt[i] = fp_ctype(&x->p->buf[tb[i]]);
  lh_set_strs(h, "xt", xt, nb);
  lh_set_strs(h, "yt", yt, nt);
  lh_set_bool(h, "wts", false);
  lh_set_bool(h, "wide", false);
  lh_set_bool(h, "extern", x->sw);
}

static const char *render(EhCtx *x, const char *tmpl) {
  return eu_render(x->h.lh, x->h.ar, tmpl, &x->bad);
}

/* Appends n bytes to the AXI weight memory (64-byte aligned); *off gets
 * their offset. */
static void add_wts(EhCtx *x, const int8_t *d, int64_t n, int64_t *off) {
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

/* The sizes of the fm and wts memories in bytes (at least 1: C has no
 * empty arrays). */
static int64_t fm_bytes(const EhCtx *x) { return x->p->n8 > 0 ? x->p->n8 : 1; }
static int64_t wts_bytes(const EhCtx *x) { return x->nwts > 0 ? x->nwts : 1; }

/* ---- the kind-file API (emit_hls.h) ---- */

LhHost *eh_fn_begin(EhFn *f, const Layer *l, int nb) {
  lh_begin(f->x->h.lh);
  set_common(f->x, l, f->fn, nb, f->src, 1, &f->dst);
  return f->x->h.lh;
}

const char *eh_fn_render(EhFn *f, const char *tmpl) { return render(f->x, tmpl); }

Arena *eh_fn_arena(EhFn *f) { return f->x->h.ar; }

LhHost *eh_fn_host(EhFn *f) {
  lh_begin(f->x->h.lh);
  return f->x->h.lh;
}

int64_t eh_fn_count(EhFn *f, int i) { return f->x->p->buf[i].n; }

int64_t eh_fn_add_wts(EhFn *f, const int8_t *d, int64_t n) {
  int64_t off;
  add_wts(f->x, d, n, &off);
  f->wts = true;
  return off;
}

bool eh_fn_wide(EhFn *f, int64_t *xo, int64_t *yo) {
  const FpBuf *a = &f->x->p->buf[f->src[0]], *b = &f->x->p->buf[f->dst];
  if (!f->hw || f->k->pb < 8 || !a->b8 || !b->b8) return false;
  *xo = a->off, *yo = b->off;
  f->wpb = f->k->pb;
  return true;
}

bool eh_ident_m(int32_t M, int sh) { return M == RT_FX_ONE_M && sh == RT_FX_ONE_SH; }

/* Bytes per beat of x's wide ports (8 while no segment has them). */
static int beat_bytes(const EhCtx *x) { return x->wpb ? x->wpb : 8; }

/* uint64_t words of n bytes in whole beats of x's wide ports. */
static int64_t beat_words(const EhCtx *x, int64_t n) {
  int pb = beat_bytes(x);
  return hl_cdiv(n, pb) * (pb / 8);
}

void eh_set_beat(LhHost *h, int pb) {
  lh_set_int(h, "PB", pb);
  lh_set_str(h, "bt", hl_beat_type(pb));
  lh_set_str(h, "pfm", hl_beat_port(pb, false));
  lh_set_str(h, "pwts", hl_beat_port(pb, true));
}

/* ---- shared emissions ---- */

/* An elementwise requantization step (standalone ReLU, a conversion, a
 * post op). */
static const char *elem_fn(EhCtx *x, const Layer *l, const char *fn, int src, int dst,
                           const rt_fx_relu_param *p, int ii, int lanes) {
  LhHost *h = x->h.lh;
  lh_begin(h);
  set_common(x, l, fn, 1, &src, 1, &dst);
  lh_set_int(h, "count", x->p->buf[dst].n);
  lh_set_int(h, "II", hl_maxi_ii(ii, lanes)); /* lanes reads of x0 per iteration */
  lh_set_int(h, "LANES", lanes);
  lh_set_int(h, "M", p->M), lh_set_int(h, "sh", p->sh);
  lh_set_int(h, "Mn", p->Mn), lh_set_int(h, "shn", p->shn);
  lh_set_bool(h, "same", p->M == p->Mn && p->sh == p->shn);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  return render(x, "hls/elem");
}

const char *eh_requant_fn(EhFn *f, const Layer *l, const void *param) {
  return elem_fn(f->x, l, f->fn, f->src[0], f->dst, param, f->k->ii, f->k->op);
}

const char *eh_affine_fn(EhFn *f, const Layer *l, const void *param) {
  const rt_fx_affine_param *p = param;
  Arena *ar = f->x->h.ar;
  const rt_shape *s = &l->bottom[0]->shape;
  int64_t outer = rt_shape_count_range(s, 0, p->axis);
  int64_t C = p->axis < s->nd ? s->d[p->axis] : 1;
  int64_t inner = rt_shape_count_range(s, p->axis + 1, s->nd);
  if (p->nch == 1) inner *= C, C = 1;
  LhHost *h = eh_fn_begin(f, l, 1);
  lh_set_int(h, "OUTER", outer), lh_set_int(h, "C", C), lh_set_int(h, "INNER", inner);
  lh_set_str(h, "Mbody", eu_ibody(ar, C, eu_g32, p->M));
  lh_set_str(h, "shbody", eu_ibody(ar, C, eu_g8, p->sh));
  lh_set_str(h, "Bbody", eu_ibody(ar, C, eu_g64, p->B));
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", hl_maxi_ii(f->k->ii, f->k->op));
  lh_set_int(h, "LANES", f->k->op);
  return render(f->x, "hls/affine");
}

const char *eh_permute_fn(EhFn *f, const Layer *l, int nd, const int64_t *dims,
                          const int64_t *strides, const int64_t *ostrides) {
  static const int64_t one[1] = {1};
  if (nd == 0) nd = 1, dims = strides = ostrides = one;
  LhHost *h = eh_fn_begin(f, l, 1);
  lh_set_ints(h, "dims", dims, nd);
  lh_set_ints(h, "strides", strides, nd);
  lh_set_ints(h, "ostrides", ostrides, nd);
  lh_set_int(h, "II", f->k->ii);
  lh_set_int(h, "LANES", 1);
  return render(f->x, "hls/permute");
}

const char *eh_copy_fn(EhFn *f, const Layer *l, const void *param) {
  (void)param;
  int64_t n = rt_shape_count(&l->bottom[0]->shape), one = 1;
  return eh_permute_fn(f, l, 1, &n, &one, &one);
}

/* Renders the functions of a QS_FX layer's steps into sb (dirs: in a
 * segment, its directives); marks AXI weights.  The kernel step is the
 * kind's hls_fn. */
static int render_layer(EhCtx *x, Layer *l, Sb *sb, Sb *dirs, bool *uses_wts, bool *wideport, bool eng) {
  bool hw = dirs != NULL;
  x->sw = !hw; /* swfx functions are called only from the host's .c */
  FpLay *L = &x->p->L[l->id];
  const QsNet *qn = x->p->qn;
  HlKnobs k;
  if (hw) k = x->hp->k[l->id]; /* as planned (folded) under the budget */
  else hl_knobs(x->h.cfg, l, hl_wbytes(l), &k), k.pb = 1; /* swfx: 8-bit pointers */
  for (int i = 0; i < L->nstep; i++) {
    FpStep *s = &L->step[i];
    const char *code = NULL;
    if (s->fn != x->p->fname[l->id]) { /* conversion or post op */
      rt_fx_relu_param req;
      const rt_fx_relu_param *p = qs_layer_post(qn, l);
      if (s->buf[0] != s->buf[1]) {
        qs_bottom_conv(qn, l, x->p->buf[s->buf[1]].cvk, NULL, &req);
        p = &req;
      }
      code = elem_fn(x, l, s->fn, s->buf[0], s->buf[1], p, k.ii, 1);
    } else if (eng) { /* runs on the segment's engine */
      s->wts = true;
      continue;
    } else if (!lk_ops(l)->hls_fn) {
      ir_error(x->p->n, l, "the fixed-point generator has no template for %s", l->type);
    } else {
      EhFn f = {.x = x, .fn = s->fn, .nsrc = s->nb, .src = s->buf, .dst = s->buf[s->nb],
                .k = &k, .hw = hw};
      code = lk_ops(l)->hls_fn(&f, l, qs_layer_param(qn, l));
      s->wts = f.wts;
      s->wpb = f.wpb;
      if (f.wts) *uses_wts = true;
      if (f.wpb) *wideport = true, x->wpb = f.wpb;
    }
    if (!code) return -1;
    sb_puts(sb, code);
    sb_puts(sb, "\n");
    if (hw) sb_printf(dirs, "  set_directive_inline -off \"%s\"\n", s->fn);
  }
  return 0;
}

/* The engine function of a segment (its first layer's segment). */
static const char *engine_name(EhCtx *x, int e) {
  int u = x->p->L[x->hp->elay[e][0]->id].unit;
  return ar_printf(x->h.ar, "%s_conv", x->p->seg[u].top);
}

/* Layer l's calls in its segment: its conversion / post steps as
 * fp_step_calls writes them, its kernel step a call of engine e. */
static void engine_calls(EhCtx *x, const Layer *l, int e, Sb *out) {
  const FpPlan *p = x->p;
  const FpLay *L = &p->L[l->id];
  int li = 0;
  while (x->hp->elay[e][li] != l) li++;
  for (int i = 0; i < L->nstep; i++) {
    const FpStep *s = &L->step[i];
    if (s->fn == p->fname[l->id]) {
      int pb = x->hp->engs[e].pb;
      sb_printf(out, "  %s(%s, %s, %d);\n", engine_name(x, e), pb > 1 ? hl_beat_port(pb, false) : "fm",
                pb > 1 ? hl_beat_port(pb, true) : "wts", li);
      continue;
    }
    sb_printf(out, "  %s(", s->fn);
    for (int k = 0; k < s->nb + s->nt; k++)
      sb_printf(out, "%s%s", k ? ", " : "", fp_bexpr(p, s->buf[k], true));
    if (s->wts) sb_puts(out, ", wts");
    sb_puts(out, ");\n");
  }
}

/* Renders engine e into its segment's functions and directives. */
static int render_engine(EhCtx *x, int e) {
  const FpPlan *p = x->p;
  int n = x->hp->ecnt[e], u = p->L[x->hp->elay[e][0]->id].unit;
  EhEngLay *ls = ar_array(x->h.ar, (size_t)n, sizeof *ls);
  for (int i = 0; i < n; i++) {
    const Layer *l = x->hp->elay[e][i];
    const FpLay *L = &p->L[l->id];
    const FpStep *s = NULL;
    for (int k = 0; k < L->nstep; k++)
      if (L->step[k].fn == p->fname[l->id]) s = &L->step[k];
    if (!s || !p->buf[s->buf[0]].b8 || !p->buf[s->buf[s->nb]].b8) {
      ir_error(p->n, l, "the shared engine takes 8-bit codes in fm only");
      return -1;
    }
    ls[i] = (EhEngLay){.l = l, .p = qs_layer_param(p->qn, l), .xo = p->buf[s->buf[0]].off,
                       .yo = p->buf[s->buf[s->nb]].off};
  }
  EhFn f = {.x = x, .fn = engine_name(x, e), .hw = true};
  const char *code = eh_engine_fn(&f, &x->hp->engs[e], u, ls, n);
  if (!code) return -1;
  sb_puts(&x->funcs[u], code);
  sb_puts(&x->funcs[u], "\n");
  sb_printf(&x->dirs[u], "  set_directive_inline -off \"%s\"\n", f.fn);
  /* wide ports: the engine reads wts64; wts stays for the other layers */
  if (x->hp->engs[e].pb > 1) x->wideport[u] = x->eng_wideport[u] = true, x->wpb = x->hp->engs[e].pb;
  else x->uses_wts[u] = true;
  return 0;
}

EhCtx *eh_open(const EhHost *hh) {
  EhCtx *x = calloc(1, sizeof *x);
  if (!x) exit(3);
  x->h = *hh;
  FpPlan *p = x->p = hh->p;
  int ns = p->nseg + 1;
  x->funcs = calloc((size_t)ns, sizeof(Sb));
  x->calls = calloc((size_t)ns, sizeof(Sb));
  x->dirs = calloc((size_t)ns, sizeof(Sb));
  x->uses_wts = calloc((size_t)ns, sizeof(bool));
  x->wideport = calloc((size_t)ns, sizeof(bool));
  x->eng_wideport = calloc((size_t)ns, sizeof(bool));
  if (!x->funcs || !x->calls || !x->dirs || !x->uses_wts || !x->wideport || !x->eng_wideport) exit(3);
  HlLayout lay;
  fp_hl_layout(p, hh->ar, &lay);
  x->hp = hl_plan_seg(p->n, hh->cfg, lay.hw, lay.seg, lay.steps, hh->ar);
  if (hl_check_fit(x->hp, hh->cfg, p->n, hh->dg)) goto fail;
  for (int i = 0; i < p->n->nlayer; i++) {
    Layer *l = p->n->layers[i];
    int u = p->L[l->id].unit;
    if (u == -1) continue;
    if (u == -2) {
      bool dummy = false, d64 = false;
      if (render_layer(x, l, &x->sw_funcs, NULL, &dummy, &d64, false)) goto fail;
      continue;
    }
    int e = x->hp->eng ? x->hp->eng[l->id] : -1;
    if (render_layer(x, l, &x->funcs[u], &x->dirs[u], &x->uses_wts[u], &x->wideport[u], e >= 0)) goto fail;
    if (e >= 0) engine_calls(x, l, e, &x->calls[u]);
    else fp_step_calls(p, l, true, &x->calls[u]);
  }
  for (int e = 0; e < x->hp->neng; e++)
    if (render_engine(x, e)) goto fail;
  return x;
fail:
  eh_close(x);
  return NULL;
}

void eh_close(EhCtx *x) {
  if (!x) return;
  for (int s = 0; s < x->p->nseg; s++) {
    free(x->funcs[s].s);
    free(x->calls[s].s);
    free(x->dirs[s].s);
  }
  free(x->funcs);
  free(x->calls);
  free(x->dirs);
  free(x->uses_wts);
  free(x->wideport);
  free(x->eng_wideport);
  free(x->sw_funcs.s);
  free(x->wts);
  free(x);
}

const char *eh_decls(EhCtx *x, int slots) {
  LhHost *h = x->h.lh;
  const FpPlan *p = x->p;
  lh_begin(h);
  lh_set_int(h, "slots", slots > 1 ? slots : 1);
  lh_set_str(h, "prefix", x->h.prov->prefix);
  lh_set_str(h, "PREFIX", x->h.prov->upper);
  lh_set_str(h, "base", x->h.prov->base);
  lh_set_int(h, "n8", fm_bytes(x));
  lh_set_int(h, "n16", p->n16 > 0 ? p->n16 : 1);
  lh_set_int(h, "nwts", x->nwts);
  lh_set_bool(h, "swfx", x->sw_funcs.n > 0);
  const char *tops[4096];
  int64_t wideport[4096];
  bool any = false;
  int ns = p->nseg < 4096 ? p->nseg : 4096;
  for (int s = 0; s < ns; s++) tops[s] = p->seg[s].top, wideport[s] = x->wideport[s], any = any || x->wideport[s];
  lh_set_strs(h, "tops", tops, ns);
  lh_set_ints(h, "wideport", wideport, ns);
  lh_set_bool(h, "any_wideport", any);
  int64_t n64 = beat_words(x, fm_bytes(x));
  lh_set_int(h, "n64", n64);
  /* a slot copy's row in whole 64-byte lines (8 words, 64 bytes, 32 int16) */
  lh_set_int(h, "slot_n64", (n64 + 7) / 8 * 8);
  lh_set_int(h, "slot_n8", (fm_bytes(x) + 63) / 64 * 64);
  lh_set_int(h, "slot_n16", ((p->n16 > 0 ? p->n16 : 1) + 31) / 32 * 32);
  lh_set_int(h, "nwts64", beat_words(x, wts_bytes(x)));
  eh_set_beat(h, beat_bytes(x));
  return render(x, "hls/host");
}

/* ---- files ---- */

static int wtext(EhCtx *x, const char *dir, const char *name, const char *s) {
  if (!s) return -1;
  return eu_write(x->h.dg, dir, name, s, strlen(s));
}

/* The testbench input, from tb_input or deterministic values in [-1, 1). */
static float *tb_data(EhCtx *x, int64_t count) {
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
static int16_t *buf_codes(EhCtx *x, QsState *st, int i) {
  const FpBuf *b = &x->p->buf[i];
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

/* What buffer i holds, for a testbench comment. */
static const char *buf_what(EhCtx *x, int i) {
  const FpBuf *b = &x->p->buf[i];
  if (b->blob) return ar_printf(x->h.ar, "blob %s", eu_comment_safe(x->h.ar, b->blob->name));
  return ar_printf(x->h.ar, "layer %s bottom %d in its input format", eu_comment_safe(x->h.ar, b->cvl->name),
                   b->cvk);
}

/* Whether the plan does Concat l in place (fx_plan.h: no function). */
static bool lay_inplace(const EhCtx *x, const Layer *l) { return x->p->L[l->id].inplace; }

/* The estimate for README.md (hls/readme formats it): est_rows, one item
 * per hardware layer as planned (seg, layer, proven II, IP x OP, compute
 * and memory cycles, bound, resources); est_cycles / est_ms / clk_ns the
 * frame's sum; with a pipelined schedule pipe_* (segments, interval and
 * its ms and fps, the slowest segment or -1 for the shared memory, each
 * segment's cycles, DDR and HP-port cycles); est_resources the resource
 * line. */
static void estimate_table(EhCtx *x) {
  const FpPlan *p = x->p;
  const HlPlan *hp = x->hp;
  LhHost *h = x->h.lh;
  int64_t tot = 0;
  lh_list_begin(h, "est_rows");
  for (int i = 0; i < p->n->nlayer; i++) {
    const Layer *l = p->n->layers[i];
    int u = p->L[l->id].unit;
    if (u < 0 || !hp->hw[l->id]) continue;
    const HlEst *e = &hp->e[l->id];
    const HlKnobs *k = &hp->k[l->id];
    tot += e->time;
    lh_item_begin(h);
    lh_set_int(h, "seg", u);
    lh_set_str(h, "layer", eu_comment_safe(x->h.ar, l->name));
    lh_set_int(h, "ii", e->ii ? e->ii : k->ii);
    lh_set_int(h, "ip", k->ip);
    lh_set_int(h, "op", k->op);
    lh_set_int(h, "cycles", e->cycles);
    lh_set_int(h, "mem", e->mem_cycles);
    lh_set_str(h, "bound", lay_inplace(x, l) ? "in place (no copy)"
                           : e->mem_cycles > e->cycles ? "memory" : "compute");
    lh_set_int(h, "dsp", e->dsp);
    lh_set_int(h, "bram", e->bram18k);
    lh_set_int(h, "uram", e->uram);
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_set_int(h, "est_cycles", tot);
  lh_set_num(h, "est_ms", (double)tot * hp->clk_ns * 1e-6);
  lh_set_num(h, "clk_ns", hp->clk_ns);
  lh_set_bool(h, "pipelined", hp->pipelined);
  if (hp->pipelined) {
    lh_set_int(h, "pipe_nseg", hp->nseg);
    lh_set_int(h, "pipe_interval", hp->interval);
    lh_set_num(h, "pipe_ms", (double)hp->interval * hp->clk_ns * 1e-6);
    lh_set_num(h, "pipe_fps", hp->interval ? 1e9 / ((double)hp->interval * hp->clk_ns) : 0.0);
    lh_set_int(h, "pipe_slow", hp->slow);
    lh_set_ints(h, "pipe_segt", hp->segt, hp->nseg);
    lh_set_int(h, "pipe_ddr", hp->ddr_all);
    lh_set_int(h, "pipe_hp", hp->hp_all);
  }
  char line[512];
  hl_resource_line(hp, line, sizeof line);
  lh_set_str(h, "est_resources", ar_strdup(x->h.ar, line));
}

/* key = the segments' table items (k, top, src, tb, layers, dirs). */
static void seg_list(EhCtx *x, const char *key) {
  LhHost *h = x->h.lh;
  lh_list_begin(h, key);
  for (int s = 0; s < x->p->nseg; s++) {
    lh_item_begin(h);
    lh_set_int(h, "k", s);
    lh_set_str(h, "top", x->p->seg[s].top);
    lh_set_str(h, "src", ar_printf(x->h.ar, "%s_seg%d.c", x->h.prov->base, s));
    lh_set_str(h, "tb", ar_printf(x->h.ar, "tb_%s_seg%d.c", x->h.prov->base, s));
    lh_set_str(h, "layers", x->p->seg[s].names);
    lh_set_str(h, "dirs", sb_str(&x->dirs[s]));
    lh_set_bool(h, "wideport", x->wideport[s]);
    lh_item_end(h);
  }
  lh_list_end(h);
}

/* The testbenches tb_<net>_seg<k>.c: each segment's inputs and expected
 * outputs from a simulator run on the testbench input. */
static int write_tbs(EhCtx *x, const char *dir, const char *wname) {
  LhHost *h = x->h.lh;
  Arena *ar = x->h.ar;
  FpPlan *p = x->p;
  const Blob *inb = p->n->inputs[0];
  int64_t cnt = rt_shape_count(&inb->shape);
  float *d = tb_data(x, cnt);
  if (!d) return -1;
  QsState *st = qs_state_new(p->qn);
  if (!st) {
    free(d);
    return -1;
  }
  qs_set_input(st, 0, d);
  qs_run(st);
  free(d);
  int rc = 0;
  for (int s = 0; s < p->nseg && !rc; s++) {
    FpSeg *g = &p->seg[s];
    lh_begin(h);
    eu_prov(h, ar, x->h.prov);
    lh_set_str(h, "top", g->top);
    lh_set_bool(h, "uses_wts", x->uses_wts[s]);
    lh_set_bool(h, "wideport", x->wideport[s]);
    eh_set_beat(h, beat_bytes(x));
    lh_set_str(h, "wfile", wname);
    lh_set_int(h, "wbytes", x->nwts);
    int64_t ncodes = 0;
    lh_list_begin(h, "ins");
    for (int i = 0; i < g->nin; i++) {
      const FpBuf *b = &p->buf[g->in[i]];
      lh_item_begin(h);
      lh_set_str(h, "what", buf_what(x, g->in[i]));
      lh_set_int(h, "count", b->n), lh_set_int(h, "off", b->off);
      lh_set_str(h, "body", eu_ibody(ar, b->n, eu_g16, buf_codes(x, st, g->in[i])));
      lh_item_end(h);
    }
    lh_list_end(h);
    lh_list_begin(h, "outs");
    for (int i = 0; i < g->nout; i++) {
      const FpBuf *b = &p->buf[g->out[i]];
      lh_item_begin(h);
      lh_set_str(h, "what", buf_what(x, g->out[i]));
      lh_set_str(h, "name", eu_sanitize(ar, b->blob ? b->blob->name : "conv"));
      lh_set_int(h, "count", b->n), lh_set_int(h, "off", b->off);
      lh_set_str(h, "body", eu_ibody(ar, b->n, eu_g16, buf_codes(x, st, g->out[i])));
      lh_item_end(h);
      ncodes += b->n;
    }
    lh_list_end(h);
    lh_set_int(h, "ncodes", ncodes);
    rc = wtext(x, dir, ar_printf(ar, "tb_%s_seg%d.c", x->h.prov->base, s), render(x, "hls/tb"));
  }
  qs_state_free(st);
  return rc ? -1 : 0;
}

int eh_write(EhCtx *x, const char *outdir) {
  Arena *ar = x->h.ar;
  LhHost *h = x->h.lh;
  FpPlan *p = x->p;
  const EuProv *pv = x->h.prov;
  const char *base = pv->base;
  char *dir = ar_printf(ar, "%s/hls", outdir);
  if (mkdir(dir, 0777) && errno != EEXIST) {
    diag_error(x->h.dg, (SrcLoc){dir, 0, 0}, "cannot create: %s", strerror(errno));
    return -1;
  }
  const char *wname = ar_printf(ar, "%s_hw_weights.bin", base);
  const char *wfname = x->nwts ? wname : "";
  char clk[32];
  snprintf(clk, sizeof clk, "%g", hl_clock_ns(x->h.cfg));
  /* chai_fx.h: the hand-written library after the provenance header */
  const LhFile *fxh = lh_file("templates/hls/chai_fx.h");
  if (!fxh) {
    diag_error(x->h.dg, (SrcLoc){"templates/hls/chai_fx.h", 0, 0}, "not embedded in chaicc (build error)");
    return -1;
  }
  const char *body = (const char *)fxh->data;
  size_t blen = fxh->len;
  if (blen > 2 && !strncmp(body, "/*", 2)) { /* its own file comment stays out */
    const char *e = strstr(body, "*/\n");
    if (e) blen -= (size_t)(e + 3 - body), body = e + 3;
  }
  lh_begin(h);
  eu_prov(h, ar, pv);
  lh_set_str(h, "body", ar_strndup(ar, body, blen));
  if (wtext(x, dir, "chai_fx.h", render(x, "hls/fx_h"))) return -1;
  /* <net>_hw.h */
  lh_begin(h);
  eu_prov(h, ar, pv);
  lh_set_int(h, "fm_size", fm_bytes(x));
  lh_set_int(h, "wts_size", wts_bytes(x));
  seg_list(x, "segs");
  eh_set_beat(h, beat_bytes(x));
  if (wtext(x, dir, ar_printf(ar, "%s_hw.h", base), render(x, "hls/hw_h"))) return -1;
  /* segments */
  for (int s = 0; s < p->nseg; s++) {
    FpSeg *g = &p->seg[s];
    lh_begin(h);
    eu_prov(h, ar, pv);
    lh_set_int(h, "seg", s);
    lh_set_str(h, "top", g->top);
    lh_set_str(h, "layers", g->names);
    lh_set_str(h, "funcs", sb_str(&x->funcs[s]));
    lh_set_str(h, "calls", sb_str(&x->calls[s]));
    lh_set_bool(h, "uses_wts", x->uses_wts[s]);
    lh_set_bool(h, "wideport", x->wideport[s]);
    lh_set_bool(h, "eng_wideport", x->eng_wideport[s]);
    lh_set_int(h, "fm_beats", hl_cdiv(fm_bytes(x), beat_bytes(x)));
    lh_set_int(h, "wts_beats", hl_cdiv(wts_bytes(x), beat_bytes(x)));
    eh_set_beat(h, beat_bytes(x));
    lh_set_int(h, "fm_size", fm_bytes(x));
    lh_set_int(h, "wts_size", wts_bytes(x));
    if (wtext(x, dir, ar_printf(ar, "%s_seg%d.c", base, s), render(x, "hls/unit"))) return -1;
  }
  if (x->sw_funcs.n) {
    lh_begin(h);
    eu_prov(h, ar, pv);
    lh_set_str(h, "funcs", sb_str(&x->sw_funcs));
    if (wtext(x, dir, ar_printf(ar, "%s_swfx.c", base), render(x, "hls/unit"))) return -1;
  }
  /* AXI weights: the binary file and the host's copy as an initializer */
  if (x->nwts) {
    if (eu_write(x->h.dg, dir, wname, x->wts, (size_t)x->nwts)) return -1;
    if (wtext(x, dir, ar_printf(ar, "%s_hw_weights.inc", base),
              eu_ibody(ar, x->nwts, eu_g8, x->wts)))
      return -1;
  }
  /* testbenches with simulator data */
  if (p->nseg && write_tbs(x, dir, wname)) return -1;
  /* project files */
  lh_begin(h);
  eu_prov(h, ar, pv);
  seg_list(x, "segs");
  lh_set_str(h, "part", hl_part(x->h.cfg));
  lh_set_str(h, "clock", clk);
  lh_set_str(h, "wfile", wfname);
  if (wtext(x, dir, "run_hls.tcl", render(x, "hls/tcl"))) return -1;
  lh_begin(h);
  eu_prov(h, ar, pv);
  seg_list(x, "segs");
  if (wtext(x, dir, "directives.tcl", render(x, "hls/directives"))) return -1;
  lh_begin(h);
  eu_prov(h, ar, pv);
  seg_list(x, "segs");
  lh_set_str(h, "part", hl_part(x->h.cfg));
  lh_set_str(h, "clock", clk);
  lh_set_str(h, "wfile", wfname);
  estimate_table(x);
  if (wtext(x, dir, "README.md", render(x, "hls/readme"))) return -1;
  return x->bad ? -1 : 0;
}
