/* passes.c - graph passes and buffer planning (see passes.h). */
#include "passes.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "constfold.h"

void ps_log_init(PsLog *lg, Arena *ar) {
  memset(lg, 0, sizeof *lg);
  lg->ar = ar;
}

void ps_log(PsLog *lg, const char *fmt, ...) {
  if (!lg) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (lg->n == lg->cap) {
    int cap = lg->cap ? lg->cap * 2 : 32;
    const char **nl = ar_array(lg->ar, (size_t)cap, sizeof *nl);
    if (lg->n) memcpy(nl, lg->line, (size_t)lg->n * sizeof *nl);
    lg->line = nl;
    lg->cap = cap;
  }
  lg->line[lg->n++] = ar_strdup(lg->ar, buf);
}

void ps_recount(Net *n) {
  for (int i = 0; i < n->nblob; i++) n->blobs[i]->nconsumers = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->nbottom; k++) l->bottom[k]->nconsumers++;
  }
}

/* The one live layer reading b (counting repeats), or NULL when b has
 * another reader or is a network output. */
static Layer *only_consumer(Net *n, const Blob *b) {
  if (b->is_output) return NULL;
  Layer *found = NULL;
  int uses = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->nbottom; k++)
      if (l->bottom[k] == b) {
        found = l;
        uses++;
      }
  }
  return uses == 1 ? found : NULL;
}

/* Replaces every live read of `from` by `to`. */
static void rewire(Net *n, const Blob *from, Blob *to) {
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->nbottom; k++)
      if (l->bottom[k] == from) l->bottom[k] = to;
  }
}

/* Makes `into` produce `victim`'s top (victim dies, keeping its tops). */
static void absorb(Net *n, Layer *into, Layer *victim) {
  into->top[0] = victim->top[0];
  victim->top[0]->producer = into;
  victim->dead = true;
  into->fused_names = into->fused_names
                          ? ar_printf(n->ar, "%s+%s", into->fused_names, victim->name)
                          : victim->name;
}

static bool weights_loaded(const Layer *l) {
  for (int k = 0; k < l->nweight; k++)
    if (!l->weight[k].loaded && !l->weight[k].optional) return false;
  return l->nweight > 0;
}

/* Channels a per-channel affine layer covers (dim 1), or -1. */
static int affine_channels(const Layer *l) {
  const rt_shape *s = &l->bottom[0]->shape;
  if (!lk_is(l->kind, LKF_AFFINE) || l->nbottom != 1 || s->nd < 2) return -1;
  return lk_ops(l)->affine_channels(l);
}

/* Per-channel y = a*x + b of a BN or Scale layer, in double.  Returns false
 * when the weights are not loaded. */
static bool affine_coeffs(const Layer *l, int c, double *a, double *b) {
  if (!weights_loaded(l)) return false;
  lk_ops(l)->affine(l, c, a, b);
  return true;
}

/* A fresh float tensor of count values in the arena. */
static rt_tensor new_tensor(Net *n, int nd, const int *dims) {
  rt_tensor t;
  t.s = rt_shape_make(nd, dims);
  t.d = ar_array(n->ar, (size_t)rt_shape_count(&t.s), sizeof(float));
  return t;
}

/* Gives l (Conv/Deconv/IP) a loaded bias blob of nout zeros if it has none. */
static void ensure_bias(Net *n, Layer *l, int nout) {
  LayerMac m;
  lk_ops(l)->mac(l, &m);
  bool *bt = m.bias_term;
  if (*bt && l->nweight > 1 && l->weight[1].loaded) return;
  Weight *w = ar_array(n->ar, 2, sizeof *w);
  w[0] = l->weight[0];
  w[1].role = "bias";
  w[1].expect = rt_shape_make(1, &nout);
  w[1].t = new_tensor(n, 1, &nout);
  w[1].loaded = true;
  l->weight = w;
  l->nweight = 2;
  *bt = true;
}

/* Applies y' = a*y + b per output channel to l's weights and bias. */
static void fold_into(Net *n, Layer *l, int nout, const double *a, const double *b) {
  ensure_bias(n, l, nout);
  rt_tensor w = l->weight[0].t, nw = new_tensor(n, w.s.nd, w.s.d);
  int64_t cnt = rt_shape_count(&w.s);
  lk_ops(l)->fold_weights(l, w.d, nw.d, cnt, nout, a);
  rt_tensor bias = l->weight[1].t, nb = new_tensor(n, bias.s.nd, bias.s.d);
  for (int k = 0; k < nout; k++) nb.d[k] = (float)(bias.d[k] * a[k] + b[k]);
  l->weight[0].t = nw;
  l->weight[1].t = nb;
}

int ps_fold_bn(Net *n, PsLog *lg) {
  int changes = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead || l->ntop != 1 || l->fused_relu) continue;
    if (!lk_is(l->kind, LKF_MAC)) continue;
    LayerMac m;
    lk_ops(l)->mac(l, &m);
    if (m.axis != 1) continue;
    int nout = m.nout;
    const char *before = l->fused_names;
    int folded = 0;
    for (;;) {
      Layer *c = only_consumer(n, l->top[0]);
      if (!c || affine_channels(c) != nout) break;
      double a[nout], b[nout];
      bool have = weights_loaded(l) && affine_coeffs(c, nout, a, b);
      if (have) fold_into(n, l, nout, a, b);
      else if (weights_loaded(l) || weights_loaded(c)) break; /* half-loaded */
      absorb(n, l, c);
      folded++;
    }
    if (folded) {
      const char *names = l->fused_names + (before ? strlen(before) + 1 : 0);
      ps_log(lg, "fold: %s into %s", names, l->name);
      changes++;
    }
  }
  return changes;
}

int ps_bn_affine(Net *n, PsLog *lg) {
  int changes = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead || l->kind != LK_BN) continue;
    int c = affine_channels(l);
    if (c < 0 || !weights_loaded(l)) continue;
    double a[c], b[c], a2[c], b2[c];
    affine_coeffs(l, c, a, b);
    Layer *s = only_consumer(n, l->top[0]);
    if (s && affine_channels(s) == c && affine_coeffs(s, c, a2, b2)) {
      for (int k = 0; k < c; k++) {
        a[k] *= a2[k];
        b[k] = b[k] * a2[k] + b2[k];
      }
      absorb(n, l, s);
    } else {
      s = NULL;
    }
    Weight *w = ar_array(n->ar, 2, sizeof *w);
    w[0].role = "scale";
    w[1].role = "bias";
    for (int k = 0; k < 2; k++) {
      w[k].expect = rt_shape_make(1, &c);
      w[k].t = new_tensor(n, 1, &c);
      w[k].loaded = true;
    }
    for (int k = 0; k < c; k++) {
      w[0].t.d[k] = (float)a[k];
      w[1].t.d[k] = (float)b[k];
    }
    l->weight = w;
    l->nweight = 2;
    l->kind = LK_SCALE;
    l->p.scale = (rt_scale_param){.axis = 1, .num_axes = 1, .bias_term = true};
    if (s) ps_log(lg, "affine: %s+%s as one Scale", l->name, s->name);
    else ps_log(lg, "affine: %s as Scale", l->name);
    changes++;
  }
  return changes;
}

static bool relu_fusable(const Layer *p) {
  return lk_is(p->kind, LKF_RELU_FUSE) && p->ntop == 1 && !p->fused_relu;
}

int ps_fuse_relu(Net *n, PsLog *lg) {
  int changes = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *r = n->layers[i];
    if (r->dead || r->kind != LK_RELU || r->nbottom != 1 || r->ntop != 1) continue;
    Layer *p = r->bottom[0]->producer;
    if (!p || p->dead || !relu_fusable(p) || p->top[0] != r->bottom[0]) continue;
    if (only_consumer(n, r->bottom[0]) != r) continue;
    p->fused_relu = true;
    p->relu_slope = r->p.relu.negative_slope;
    absorb(n, p, r);
    ps_log(lg, "fuse: %s into %s", r->name, p->name);
    changes++;
  }
  return changes;
}

int ps_remove_identity(Net *n, PsLog *lg) {
  int changes = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead || !lk_is(l->kind, LKF_IDENTITY) || l->nbottom != 1)
      continue;
    bool out = false;
    for (int k = 0; k < l->ntop; k++) out |= l->top[k]->is_output;
    if (out) continue;
    for (int k = 0; k < l->ntop; k++) rewire(n, l->top[k], l->bottom[0]);
    l->dead = true;
    ps_log(lg, "remove: %s (%s)", l->name, l->type);
    changes++;
  }
  return changes;
}

int ps_remove_unused(Net *n, PsLog *lg) {
  bool live[n->nblob > 0 ? n->nblob : 1];
  memset(live, 0, sizeof live);
  for (int i = 0; i < n->noutput; i++) live[n->outputs[i]->id] = true;
  int changes = 0;
  for (int i = n->nlayer - 1; i >= 0; i--) {
    Layer *l = n->layers[i];
    if (l->dead) continue;
    bool used = false;
    for (int k = 0; k < l->ntop; k++) used |= live[l->top[k]->id];
    if (!used && !lk_is(l->kind, LKF_SOURCE)) {
      l->dead = true;
      ps_log(lg, "remove: %s (%s feeds no output)", l->name, l->type);
      changes++;
      continue;
    }
    for (int k = 0; k < l->nbottom; k++) live[l->bottom[k]->id] = true;
  }
  return changes;
}

bool ps_elementwise(const Layer *l) {
  if (l->nbottom < 1 || l->ntop != 1) return false;
  if (!rt_shape_eq(&l->bottom[0]->shape, &l->top[0]->shape)) return false;
  return lk_is(l->kind, LKF_ELEMWISE);
}

static bool is_noop_kind(const Layer *l) {
  return lk_is(l->kind, LKF_COPY) && l->nbottom == 1;
}

const char *ps_blob_layer_name(const Net *n, const Blob *b) {
  for (int i = n->nlayer - 1; i >= 0; i--) {
    const Layer *l = n->layers[i];
    if (l->ntop > 0 && l->top[0] == b) return l->name;
  }
  return b->name;
}

static int64_t blob_floats(const Blob *b) { return rt_shape_count(&b->shape); }
static int64_t round16(int64_t v) { return (v + 15) / 16 * 16; }

void ps_plan(const Net *n, PsPlan *p) {
  int nb = n->nblob, nl = n->nlayer;
  memset(p, 0, sizeof *p);
  p->where = ar_array(n->ar, (size_t)nb + 1, sizeof *p->where);
  p->off = ar_array(n->ar, (size_t)nb + 1, sizeof *p->off);
  p->out_index = ar_array(n->ar, (size_t)nb + 1, sizeof *p->out_index);
  p->alias_of = ar_array(n->ar, (size_t)nb + 1, sizeof *p->alias_of);
  p->inplace = ar_array(n->ar, (size_t)nl + 1, sizeof *p->inplace);
  p->noop = ar_array(n->ar, (size_t)nl + 1, sizeof *p->noop);
  p->cst = cf_mark(n, n->ar);
  p->cfold = ar_array(n->ar, (size_t)nl + 1, sizeof *p->cfold);
  int *start = ar_array(n->ar, (size_t)nb + 1, sizeof *start);
  int *end = ar_array(n->ar, (size_t)nb + 1, sizeof *end);
  for (int i = 0; i < nb; i++) {
    p->out_index[i] = -1;
    p->alias_of[i] = -1;
    start[i] = -1;
    end[i] = -1;
  }
  for (int i = 0; i < n->ninput; i++) {
    p->where[n->inputs[i]->id] = PS_INPUT;
    p->io += blob_floats(n->inputs[i]);
  }
  for (int i = 0; i < n->noutput; i++) {
    int id = n->outputs[i]->id;
    if (p->where[id] == PS_INPUT) continue;
    p->where[id] = PS_OUTPUT;
    p->out_index[id] = i;
    p->io += blob_floats(n->outputs[i]);
  }
  for (int i = 0; i < nl; i++) { /* constant layers: no code, no arena */
    const Layer *l = n->layers[i];
    if (!cf_layer_const(l, p->cst)) continue;
    p->cfold[l->id] = true;
    for (int k = 0; k < l->ntop; k++)
      if (p->where[l->top[k]->id] == PS_NONE) p->where[l->top[k]->id] = PS_CONST;
  }
  /* Last reader of every blob. */
  int *last = ar_array(n->ar, (size_t)nb + 1, sizeof *last);
  for (int i = 0; i < nb; i++) last[i] = -1;
  for (int i = 0; i < nl; i++) {
    const Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->nbottom; k++) last[l->bottom[k]->id] = i;
  }
  /* Storage roots and aliases in layer order; end[root] is the last read of
   * the root or any blob sharing its storage. */
  for (int i = 0; i < nl; i++) {
    const Layer *l = n->layers[i];
    if (l->dead || lk_is(l->kind, LKF_SOURCE) || p->cfold[l->id]) continue;
    for (int k = 0; k < l->ntop; k++) {
      int id = l->top[k]->id;
      if (p->where[id] == PS_OUTPUT || p->where[id] == PS_INPUT) continue;
      int src = l->nbottom ? l->bottom[0]->id : -1, root = src;
      while (root >= 0 && p->alias_of[root] >= 0) root = p->alias_of[root];
      bool src_arena = root >= 0 && p->where[root] == PS_ARENA;
      bool share = false;
      if (src_arena && is_noop_kind(l)) {
        p->noop[l->id] = true;
        share = true;
      } else if (k == 0 && src_arena && ps_elementwise(l) && end[root] == i) {
        share = true; /* bottom[0] must not be read again as another bottom */
        for (int q = 1; q < l->nbottom; q++) share &= l->bottom[q] != l->bottom[0];
        p->inplace[l->id] = share;
      }
      p->where[id] = PS_ARENA;
      if (share) {
        p->alias_of[id] = src;
        if (last[id] > end[root]) end[root] = last[id];
      } else {
        start[id] = i;
        end[id] = last[id] > i ? last[id] : i;
      }
    }
  }
  /* Linear scan: roots ordered by start (then id); first fit. */
  int nroot = 0;
  int *roots = ar_array(n->ar, (size_t)nb + 1, sizeof *roots);
  for (int i = 0; i < nl; i++) {
    const Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->ntop; k++) {
      int id = l->top[k]->id;
      if (p->where[id] == PS_ARENA && p->alias_of[id] < 0 && start[id] == i) {
        bool seen = false;
        for (int q = 0; q < nroot; q++) seen |= roots[q] == id;
        if (!seen) roots[nroot++] = id;
      }
    }
  }
  int *act = ar_array(n->ar, (size_t)nroot + 1, sizeof *act); /* by offset */
  int nact = 0;
  for (int r = 0; r < nroot; r++) {
    int id = roots[r];
    int64_t need = round16(blob_floats(n->blobs[id]));
    p->unplanned += need;
    int w = 0; /* drop roots dead before this start */
    for (int q = 0; q < nact; q++)
      if (end[act[q]] >= start[id]) act[w++] = act[q];
    nact = w;
    int64_t at = 0;
    int pos = 0;
    for (; pos < nact; pos++) {
      if (p->off[act[pos]] - at >= need) break;
      int64_t e = p->off[act[pos]] + round16(blob_floats(n->blobs[act[pos]]));
      if (e > at) at = e;
    }
    p->off[id] = at;
    memmove(act + pos + 1, act + pos, (size_t)(nact - pos) * sizeof *act);
    act[pos] = id;
    nact++;
    if (at + need > p->size) p->size = at + need;
  }
  for (int i = 0; i < nb; i++) { /* resolve alias offsets */
    int root = i;
    while (p->alias_of[root] >= 0) root = p->alias_of[root];
    if (root != i) p->off[i] = p->off[root];
  }
}

static void fmt_bytes(char *buf, size_t n, int64_t bytes) {
  if (bytes >= 1 << 20) snprintf(buf, n, "%.1f MB", (double)bytes / (1 << 20));
  else if (bytes >= 1 << 10) snprintf(buf, n, "%.1f KB", (double)bytes / (1 << 10));
  else snprintf(buf, n, "%lld B", (long long)bytes);
}

int ps_run(Net *n, PsLog *lg) {
  ps_recount(n);
  ps_remove_identity(n, lg);
  ps_recount(n);
  ps_fold_bn(n, lg);
  ps_bn_affine(n, lg);
  ps_fuse_relu(n, lg);
  ps_remove_unused(n, lg);
  ps_recount(n);
  PsPlan plan;
  ps_plan(n, &plan);
  char a[32], b[32], c[32];
  fmt_bytes(a, sizeof a, plan.size * 4);
  fmt_bytes(b, sizeof b, plan.unplanned * 4);
  fmt_bytes(c, sizeof c, plan.io * 4);
  ps_log(lg, "plan: peak %s of %s (+ %s inputs/outputs)", a, b, c);
  return 0;
}
