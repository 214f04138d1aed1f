/* emit_c.c - the float C program (see emit_c.h): one function per layer,
 * from its kind's emit_c slot or the reference kernel (the API kind files
 * use is emit_kind.h's), and the files <net>.c and <net>.h. */
#include "emit_c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constfold.h"
#include "emit_kind.h"
#include "pfield.h"
#include "strbuf.h"

/* ---- the emitter ---- */

struct Ec {
  Net *n;
  const PsPlan *plan;
  Diag *dg;
  Arena *ar;
  LhHost *lh;
  const EuProv *prov;
  EcWeight *w;
  int nw, capw;
  int64_t wfloats;
  size_t scratch; /* bytes */
  bool use_rt;
  Sb funcs, calls;
  int nlive;
  const char **live_names;
  const IrCustomType *plugins[64]; /* plugin types whose source is copied */
  int nplugin;
  int bad;
  EfCtx *fx; /* quantized net: fixed-point layers (emit_fx.h) */
  int nstage;  /* pipelined frames: stages of the run (ef_stages), else 0 */
  size_t *cut; /* stage k's calls start at calls.s + cut[k] */
  float **cval; /* values of the constant blobs (cf_eval), once needed */
  int threads;
};

/* Adds the constant array sym[count] holding d and returns sym. */
static const char *add_array(Ec *e, const char *sym, const float *d, int64_t count) {
  if (e->nw == e->capw) {
    e->capw = e->capw ? e->capw * 2 : 64;
    EcWeight *nw = ar_array(e->ar, (size_t)e->capw, sizeof *nw);
    if (e->nw) memcpy(nw, e->w, (size_t)e->nw * sizeof *nw);
    e->w = nw;
  }
  EcWeight *w = &e->w[e->nw++];
  w->sym = sym;
  w->d = d;
  w->count = count;
  w->off = e->wfloats;
  e->wfloats += (count + 15) / 16 * 16;
  return w->sym;
}

static const char *add_weight(Ec *e, const char *fn, const char *role, const float *d,
                              int64_t count) {
  return add_array(e, ar_printf(e->ar, "W_%s_%s", fn, role), d, count);
}

/* The C expression of blob b's storage. */
static const char *ptr(Ec *e, const Blob *b) { return eu_fptr(e->ar, e->plan, b); }

static void set_common(Ec *e, const Layer *l, const char *fn) {
  LhHost *h = e->lh;
  char sl[48];
  eu_layer_header(h, e->ar, l, fn);
  lh_set_int(h, "nb", l->nbottom);
  lh_set_int(h, "nt", l->ntop);
  lh_set_bool(h, "relu", l->fused_relu);
  lh_set_str(h, "slope", eu_float(l->relu_slope, sl, sizeof sl));
  lh_set_int(h, "count", l->ntop ? rt_shape_count(&l->top[0]->shape) : 0);
  lh_set_bool(h, "restrict", !e->plan->inplace[l->id]);
}

/* ---- the API for kind files (emit_kind.h) ---- */

struct EcLayer {
  Ec *e;
  const Layer *l;
  const char *fn;
};

void ec_int(EcLayer *c, const char *key, int64_t v) { lh_set_int(c->e->lh, key, v); }
void ec_str(EcLayer *c, const char *key, const char *v) { lh_set_str(c->e->lh, key, v); }
void ec_bool(EcLayer *c, const char *key, bool v) { lh_set_bool(c->e->lh, key, v); }
void ec_float(EcLayer *c, const char *key, float v) { eu_set_float(c->e->lh, key, v); }
void ec_comment(EcLayer *c, const char *key, const char *s) {
  lh_set_str(c->e->lh, key, eu_comment_safe(c->e->ar, s));
}
void ec_ints(EcLayer *c, const char *key, const int64_t *v, int n) { lh_set_ints(c->e->lh, key, v, n); }
void ec_strs(EcLayer *c, const char *key, const char *const *v, int n) {
  lh_set_strs(c->e->lh, key, v, n);
}
void ec_list_begin(EcLayer *c, const char *key) { lh_list_begin(c->e->lh, key); }
void ec_item_begin(EcLayer *c) { lh_item_begin(c->e->lh); }
void ec_item_end(EcLayer *c) { lh_item_end(c->e->lh); }
void ec_list_end(EcLayer *c) { lh_list_end(c->e->lh); }

Arena *ec_arena(EcLayer *c) { return c->e->ar; }

const char *ec_weight(EcLayer *c, const char *role, const float *d, int64_t count) {
  return add_weight(c->e, c->fn, role, d, count);
}

void ec_scratch(EcLayer *c, size_t bytes) {
  if (bytes > c->e->scratch) c->e->scratch = bytes;
}

void ec_plugin(EcLayer *c, const IrCustomType *ct) {
  Ec *e = c->e;
  bool seen = false;
  for (int k = 0; k < e->nplugin; k++) seen |= e->plugins[k] == ct;
  if (ct && !seen && e->nplugin < 64) e->plugins[e->nplugin++] = ct;
}

const char *ec_copy(EcLayer *c, const Layer *l) {
  (void)c;
  return l->nbottom == 1 ? "c/copy" : NULL;
}

void ec_parts(EcLayer *c, const rt_shape *whole, int axis, int n, Blob *const *parts) {
  LhHost *h = c->e->lh;
  lh_set_int(h, "OUTER", rt_shape_count_range(whole, 0, axis));
  lh_set_int(h, "TOTAL", rt_shape_count_range(whole, axis, whole->nd));
  lh_list_begin(h, "parts");
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    const rt_shape *s = &parts[i]->shape;
    int64_t inner = rt_shape_count_range(s, axis, s->nd);
    lh_item_begin(h);
    lh_set_int(h, "i", i), lh_set_int(h, "inner", inner), lh_set_int(h, "off", off);
    lh_item_end(h);
    off += inner;
  }
  lh_list_end(h);
}

bool ec_ref_set(EcRef *r, const char *name, const char *val) {
  for (int i = 0; i < r->par.n; i++)
    if (!strcmp(r->par.name[i], name)) {
      r->par.val[i] = val;
      return true;
    }
  return false;
}

/* ---- the reference-kernel path (c/ref) ---- */

/* Fills *f with the initializer of l's parameter struct (pfield.h); false
 * when the struct cannot be baked into the program. */
static bool ref_params(Ec *e, const Layer *l, PfInit *f) {
  const PfStruct *s = pf_find(lk_info[l->kind].ptype);
  return s && pf_init(e->ar, s, &l->p, f) == 0;
}

static void tensor_list(Ec *e, const char *key, int n, const rt_shape *shapes,
                        const char *const *ptrs) {
  lh_list_begin(e->lh, key);
  for (int i = 0; i < n; i++) {
    lh_item_begin(e->lh);
    int64_t d[RT_MAXDIM];
    for (int k = 0; k < shapes[i].nd; k++) d[k] = shapes[i].d[k];
    lh_set_ints(e->lh, "dims", d, shapes[i].nd);
    lh_set_str(e->lh, "ptr", ptrs[i]);
    lh_item_end(e->lh);
  }
  lh_list_end(e->lh);
}

/* Builds the c/ref table for c's layer run by rt_<file>_f32 with the
 * parameter constant par: the call of EcRef, adjusted by the kind's
 * emit_c_ref. */
static const char *ref_layer(EcLayer *c, const PfInit *par) {
  Ec *e = c->e;
  const Layer *l = c->l;
  EcRef r = {.par = *par, .max_rows = -1};
  for (int k = 0; k < l->nweight && r.nw < EC_MAXW; k++)
    if (l->weight[k].loaded) {
      r.w[r.nw] = l->weight[k].t;
      r.role[r.nw++] = ar_printf(e->ar, "%d", k);
    }
  if (lk_ops(l)->emit_c_ref) lk_ops(l)->emit_c_ref(c, l, &r);
  e->use_rt = true;
  set_common(e, l, c->fn);
  lh_set_str(e->lh, "ptype", lk_info[l->kind].ptype);
  lh_set_str(e->lh, "kernel", ar_printf(e->ar, "rt_%s_f32", lk_info[l->kind].file));
  lh_list_begin(e->lh, "params");
  for (int i = 0; i < r.par.n; i++) {
    lh_item_begin(e->lh);
    lh_set_str(e->lh, "field", r.par.name[i]);
    lh_set_str(e->lh, "value", r.par.val[i]);
    lh_item_end(e->lh);
  }
  lh_list_end(e->lh);
  rt_shape sh[IR_MAX_IO];
  const char *pt[IR_MAX_IO];
  rt_tensor bt[IR_MAX_IO], tt[IR_MAX_IO];
  int nb = l->nbottom, nt = l->ntop;
  for (int i = 0; i < nb; i++) {
    sh[i] = l->bottom[i]->shape, pt[i] = ar_printf(e->ar, "(float *)b%d", i);
    bt[i].s = sh[i], bt[i].d = NULL;
  }
  tensor_list(e, "bottoms", nb, sh, pt);
  for (int i = 0; i < nt; i++) {
    sh[i] = l->top[i]->shape, pt[i] = ar_printf(e->ar, "t%d", i);
    tt[i].s = sh[i], tt[i].d = NULL;
  }
  tensor_list(e, "tops", nt, sh, pt);
  for (int i = 0; i < r.nw; i++) {
    sh[i] = r.w[i].s;
    pt[i] = ar_printf(e->ar, "(float *)%s",
                      add_weight(e, c->fn, r.role[i], r.w[i].d, rt_shape_count(&r.w[i].s)));
  }
  tensor_list(e, "weights", r.nw, sh, pt);
  size_t ws = 0;
  if (lk_info[l->kind].ws) {
    rt_args a = {nb, nt, r.nw, bt, tt, r.w, NULL, 0};
    ws = lk_info[l->kind].ws(&l->p, &a);
  }
  if (ws > e->scratch) e->scratch = ws;
  lh_set_bool(e->lh, "ws", ws > 0);
  lh_set_bool(e->lh, "detout", r.max_rows >= 0);
  if (r.max_rows >= 0) lh_set_int(e->lh, "max_rows", r.max_rows);
  return "c/ref";
}

/* Sets the table of live layer l as function fn and returns the template
 * name; NULL after reporting.  Quantized nets: float layers run the
 * interpreter's own kernels (c/ref), so the program is bit-identical to
 * the simulator, unless their parameters cannot be baked. */
static const char *layer_table(Ec *e, const Layer *l, const char *fn) {
  EcLayer c = {e, l, fn};
  PfInit par;
  bool baked = ref_params(e, l, &par);
  const LayerOps *ops = lk_ops(l);
  if (ops->emit_c && !(e->fx && baked)) {
    set_common(e, l, fn);
    const char *tmpl = ops->emit_c(&c, l);
    if (tmpl) return tmpl;
    lh_drop(e->lh); /* a fresh table for c/ref */
    lh_begin(e->lh);
  }
  if (!baked) {
    ir_error(e->n, l, "the C generator has no code for this layer kind");
    e->bad = 1;
    return NULL;
  }
  return ref_layer(&c, &par);
}

/* ---- the program ---- */

Ec *ec_open(const EcHost *h) {
  Ec *e = calloc(1, sizeof *e);
  if (!e) exit(3);
  e->n = h->n, e->plan = h->plan, e->lh = h->lh, e->ar = h->ar, e->dg = h->dg;
  e->prov = h->prov, e->fx = h->fx, e->threads = h->threads;
  return e;
}

void ec_close(Ec *e) {
  if (!e) return;
  free(e->funcs.s);
  free(e->calls.s);
  free(e);
}

const EcWeight *ec_weights(const Ec *e, int *n, int64_t *nfloats) {
  *n = e->nw;
  *nfloats = e->wfloats;
  return e->w;
}

const IrCustomType *const *ec_plugins(const Ec *e, int *n) {
  *n = e->nplugin;
  return e->plugins;
}

static const char *render(Ec *e, const char *tmpl) { return eu_render(e->lh, e->ar, tmpl, &e->bad); }

/* Renders float layer l as function fn and appends its call (with the
 * fixed-point conversions around it) to the run. */
static void float_layer(Ec *e, Layer *l, const char *fn) {
  LhHost *h = e->lh;
  lh_begin(h);
  const char *tmpl = layer_table(e, l, fn);
  if (!tmpl) {
    lh_drop(h);
    return;
  }
  const char *code = render(e, tmpl);
  if (!code) return;
  if (e->fx) sb_puts(&e->calls, ef_pre_float(e->fx, l));
  sb_puts(&e->funcs, code);
  sb_puts(&e->funcs, "\n");
  Sb call = {0};
  sb_printf(&call, "%s(", fn);
  for (int k = 0; k < l->nbottom; k++) sb_printf(&call, "%s%s", k ? ", " : "", ptr(e, l->bottom[k]));
  for (int k = 0; k < l->ntop; k++)
    sb_printf(&call, "%s%s", k || l->nbottom ? ", " : "", ptr(e, l->top[k]));
  sb_puts(&call, ")");
  sb_printf(&e->calls, "  LAYER(%d, %s);\n", e->nlive, call.s);
  free(call.s);
  e->live_names[e->nlive++] = eu_c_string(e->ar, l->name);
  if (e->fx) sb_puts(&e->calls, ef_post_float(e->fx, l));
}

/* Whether constant blob b is read by code: a live layer that is not
 * folded reads it, or it is a net output. */
static bool const_read(const Ec *e, const Blob *b) {
  if (e->plan->where[b->id] == PS_OUTPUT) return true;
  for (int i = 0; i < e->n->nlayer; i++) {
    const Layer *l = e->n->layers[i];
    if (l->dead || e->plan->cfold[l->id]) continue;
    for (int k = 0; k < l->nbottom; k++)
      if (l->bottom[k] == b) return true;
  }
  return false;
}

/* Folded constant layer l (constfold.h): no code; the tops the program
 * reads become constant arrays of values computed now, and a net output
 * among them is copied into outputs[k] at l's place in the run. */
static void const_layer(Ec *e, const Layer *l) {
  if (!e->cval) e->cval = cf_eval(e->n, e->plan->cst, e->ar);
  sb_printf(&e->calls, "  /* %s (%s): constant, computed at compile time */\n",
            eu_comment_safe(e->ar, l->name), eu_comment_safe(e->ar, l->type));
  for (int k = 0; k < l->ntop; k++) {
    const Blob *b = l->top[k];
    if (!const_read(e, b)) continue;
    int64_t cnt = rt_shape_count(&b->shape);
    const char *sym = add_array(e, eu_const_sym(e->ar, b), e->cval[b->id], cnt);
    if (e->plan->where[b->id] == PS_OUTPUT)
      sb_printf(&e->calls, "  memcpy(%s, %s, %lld * sizeof(float));\n", ptr(e, b), sym,
                (long long)cnt);
  }
}

int ec_layers(Ec *e) {
  Net *n = e->n;
  e->live_names = ar_array(e->ar, (size_t)n->nlayer + 1, sizeof *e->live_names);
  const char **fns = ar_array(e->ar, (size_t)n->nlayer + 1, sizeof *fns);
  if (e->fx && (e->nstage = ef_stages(e->fx)) > 0) {
    e->cut = ar_array(e->ar, (size_t)e->nstage, sizeof *e->cut);
    for (int k = 1; k < e->nstage; k++) e->cut[k] = (size_t)-1;
  }
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    const char *fxcode = NULL;
    if (!l->dead && e->fx && ef_layer(e->fx, l, &fxcode)) {
      int k = e->nstage ? ef_stage_at(e->fx, l) : 0;
      if (k) e->cut[k] = e->calls.n;
      if (*fxcode) { /* timed like the float layers */
        sb_printf(&e->calls, "  LAYER(%d,\n%s  );\n", e->nlive, fxcode);
        e->live_names[e->nlive++] = eu_c_string(e->ar, l->name);
      }
      continue;
    }
    if (l->dead || lk_is(l->kind, LKF_SOURCE)) continue;
    if (e->plan->cfold[l->id]) {
      const_layer(e, l);
      continue;
    }
    const char *fn = ar_printf(e->ar, "L_%s", eu_ident(e->ar, l->name));
    for (int k = 0; k < i; k++)
      if (fns[k] && !strcmp(fns[k], fn)) fn = ar_printf(e->ar, "L%d_%s", i, eu_ident(e->ar, l->name));
    fns[i] = fn;
    if (e->plan->noop[l->id]) {
      sb_printf(&e->calls, "  /* %s (%s): %s aliases %s */\n", eu_comment_safe(e->ar, l->name),
               eu_comment_safe(e->ar, l->type), eu_comment_safe(e->ar, l->top[0]->name),
               eu_comment_safe(e->ar, l->bottom[0]->name));
      continue;
    }
    float_layer(e, l, fn);
  }
  if (e->bad) return -1;
  if (e->fx) {
    const char *decls = ef_decls(e->fx);
    if (!decls) return -1;
    Sb f = {0};
    sb_puts(&f, decls);
    sb_puts(&f, e->funcs.s ? e->funcs.s : "");
    free(e->funcs.s);
    e->funcs = f;
    sb_puts(&e->calls, ef_end(e->fx));
    e->use_rt = true;
  }
  for (int k = 1; k < e->nstage; k++)
    if (e->cut[k] == (size_t)-1 || e->cut[k] < e->cut[k - 1]) {
      diag_error(e->dg, SRCLOC_NONE, "internal: hardware segment %d does not start after segment %d in "
                 "the run; cannot cut it into pipelined stages", k, k - 1);
      return -1;
    }
  return 0;
}

/* The run's calls as the template's stage list (pipelined frames). */
static void stage_list(Ec *e) {
  LhHost *h = e->lh;
  lh_list_begin(h, "stages");
  for (int k = 0; k < e->nstage; k++) {
    size_t end = k + 1 < e->nstage ? e->cut[k + 1] : e->calls.n;
    lh_item_begin(h);
    lh_set_str(h, "calls", ar_strndup(e->ar, e->calls.s + e->cut[k], end - e->cut[k]));
    lh_item_end(h);
  }
  lh_list_end(h);
}

int ec_write(Ec *e, const char *dir, bool bin) {
  Net *n = e->n;
  LhHost *h = e->lh;
  const EuProv *pv = e->prov;
  /* weights */
  lh_begin(h);
  lh_set_bool(h, "bin", bin);
  lh_set_str(h, "blob", ar_printf(e->ar, "%s_weights", pv->prefix));
  lh_list_begin(h, "list");
  for (int i = 0; i < e->nw; i++) {
    lh_item_begin(h);
    lh_set_str(h, "sym", e->w[i].sym);
    lh_set_int(h, "count", e->w[i].count);
    lh_set_int(h, "off", e->w[i].off);
    if (!bin) lh_set_str(h, "body", eu_fbody(e->ar, e->w[i].d, e->w[i].count));
    lh_item_end(h);
  }
  lh_list_end(h);
  const char *weights = render(e, "c/weights");
  if (!weights) return -1;
  /* the network file */
  lh_begin(h);
  eu_prov(h, e->ar, pv);
  lh_set_str(h, "weights_code", weights);
  lh_set_str(h, "funcs", e->funcs.s ? e->funcs.s : "");
  lh_set_str(h, "calls", e->calls.s ? e->calls.s : "");
  lh_set_int(h, "arena", e->plan->size > 0 ? e->plan->size : 0); /* 0: no intermediate blob */
  lh_set_int(h, "arena_slot", (e->plan->size + 15) / 16 * 16);  /* a copy's row: whole lines */
  stage_list(e);
  lh_set_int(h, "scratch", (int64_t)((e->scratch + 3) / 4));
  lh_set_bool(h, "use_rt", e->use_rt);
  lh_set_int(h, "nlayers", e->nlive);
  lh_set_strs(h, "layer_names", e->live_names, e->nlive);
  const char *netc = render(e, "c/net");
  if (!netc || eu_write(e->dg, dir, ar_printf(e->ar, "%s.c", pv->base), netc, strlen(netc)))
    return -1;
  /* header */
  const Blob *inb = n->inputs[0];
  lh_begin(h);
  eu_prov(h, e->ar, pv);
  int64_t d[RT_MAXDIM];
  for (int k = 0; k < inb->shape.nd; k++) d[k] = inb->shape.d[k];
  lh_set_ints(h, "in_dims", d, inb->shape.nd);
  lh_set_int(h, "in_count", rt_shape_count(&inb->shape));
  lh_set_str(h, "in_name", eu_comment_safe(e->ar, inb->name));
  lh_list_begin(h, "outputs");
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    lh_item_begin(h);
    for (int k = 0; k < b->shape.nd; k++) d[k] = b->shape.d[k];
    lh_set_ints(h, "dims", d, b->shape.nd);
    lh_set_int(h, "count", rt_shape_count(&b->shape));
    lh_set_str(h, "name", eu_comment_safe(e->ar, b->name));
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_set_int(h, "nlayers", e->nlive > 0 ? e->nlive : 1);
  lh_set_int(h, "threads", e->threads);
  lh_set_int(h, "stages", e->nstage);
  const char *hdr = render(e, "c/header");
  if (!hdr || eu_write(e->dg, dir, ar_printf(e->ar, "%s.h", pv->base), hdr, strlen(hdr)))
    return -1;
  return 0;
}
