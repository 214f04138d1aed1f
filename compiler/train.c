/* train.c - training-net to deploy-net rewrite (see train.h). */
#include "train.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TrShape tr_input_shape;
TrState tr_state;

/* ---- --input_shape ---- */

int tr_parse_shape(const char *v, TrShape *s, Diag *dg) {
  TrShape t = {0};
  const char *p = v;
  while (*p) {
    char *e;
    long long x = strtoll(p, &e, 10);
    if (e == p || x < 1 || x > INT32_MAX || t.nd == RT_MAXDIM || (*e && *e != ',') ||
        (*e == ',' && !e[1]))
      break;
    t.d[t.nd++] = x;
    p = *e ? e + 1 : e;
  }
  if (*p || t.nd == 0) {
    diag_error(dg, SRCLOC_NONE,
               "bad --input_shape '%s': expected 1 to %d positive integers separated by "
               "commas, such as 1,3,224,224",
               v, RT_MAXDIM);
    return -1;
  }
  *s = t;
  return 0;
}

/* The value of option `name` (or its dashed spelling alt) at argv[*i]:
 * NULL when argv[*i] is another option, "" after reporting a missing one. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, const char *alt,
                             const char *what, Diag *dg) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0 && strncmp(a, alt, n) != 0) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n] != 0) return NULL;
  if (*i + 1 >= argc) {
    diag_error(dg, SRCLOC_NONE, "%s needs a value %s", name, what);
    return "";
  }
  return argv[++*i];
}

int tr_parse_flag(int argc, char **argv, int *i, Diag *dg) {
  int e = dg->nerrors;
  const char *v = opt_value(argc, argv, i, "--input_shape", "--input-shape", "N,C,H,W", dg);
  if (v) return dg->nerrors > e ? -1 : tr_parse_shape(v, &tr_input_shape, dg) ? -1 : 1;
  if ((v = opt_value(argc, argv, i, "--stage", "--stage", "NAME", dg))) {
    if (dg->nerrors > e) return -1;
    if (!*v || tr_state.nstage == TR_MAXSTAGE) {
      diag_error(dg, SRCLOC_NONE, "bad --stage '%s': expected a non-empty name, at most %d stages",
                 v, TR_MAXSTAGE);
      return -1;
    }
    tr_state.stage[tr_state.nstage++] = (char *)v;
    return 1;
  }
  if ((v = opt_value(argc, argv, i, "--level", "--level", "N", dg))) {
    if (dg->nerrors > e) return -1;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < INT32_MIN || x > INT32_MAX) {
      diag_error(dg, SRCLOC_NONE, "bad --level '%s': expected an integer", v);
      return -1;
    }
    tr_state.has_level = true, tr_state.level = (int)x;
    return 1;
  }
  return 0;
}

Caffe__NetState *tr_net_state(const Caffe__NetState *file, Arena *ar) {
  Caffe__NetState *st = ar_alloc(ar, sizeof *st);
  caffe__net_state__init(st);
  st->has_phase = true, st->phase = CAFFE__PHASE__TEST;
  size_t nf = file ? file->n_stage : 0;
  st->stage = ar_array(ar, nf + (size_t)tr_state.nstage + 1, sizeof(char *));
  for (size_t k = 0; k < nf; k++) st->stage[st->n_stage++] = file->stage[k];
  for (int k = 0; k < tr_state.nstage; k++) st->stage[st->n_stage++] = tr_state.stage[k];
  st->has_level = true;
  st->level = tr_state.has_level ? tr_state.level : file && file->has_level ? file->level : 0;
  return st;
}

/* ---- NetState rules ---- */

static bool has_stage(const Caffe__NetState *st, const char *s) {
  for (size_t i = 0; st && i < st->n_stage; i++)
    if (strcmp(st->stage[i], s) == 0) return true;
  return false;
}

bool tr_rule_met(const Caffe__NetState *st, const Caffe__NetStateRule *r) {
  int level = st ? st->level : 0;
  if (r->has_phase && r->phase != CAFFE__PHASE__TEST) return false;
  if (r->has_min_level && level < r->min_level) return false;
  if (r->has_max_level && level > r->max_level) return false;
  for (size_t i = 0; i < r->n_stage; i++)
    if (!has_stage(st, r->stage[i])) return false;
  for (size_t i = 0; i < r->n_not_stage; i++)
    if (has_stage(st, r->not_stage[i])) return false;
  return true;
}

bool tr_keep(const Caffe__NetState *st, const Caffe__LayerParameter *lp) {
  bool keep = lp->n_include == 0;
  for (size_t i = 0; i < lp->n_exclude; i++)
    if (tr_rule_met(st, lp->exclude[i])) keep = false;
  for (size_t i = 0; i < lp->n_include; i++)
    if (tr_rule_met(st, lp->include[i])) keep = true;
  return keep;
}

/* ---- what a training-only type turns into ---- */

typedef enum TrRole {
  TR_NONE,          /* an inference layer: kept */
  TR_DATA,          /* data layer: Input, shape from --input_shape */
  TR_DUMMY,         /* DummyData: Input, shape from the layer if given */
  TR_MEMORY,        /* MemoryData: Input, shape from the layer */
  TR_PYTHON,        /* Python: a data layer when it has no bottom */
  TR_SOFTMAX_LOSS,  /* SoftmaxWithLoss: Softmax */
  TR_SIGMOID_LOSS,  /* SigmoidCrossEntropyLoss: Sigmoid */
  TR_DROP,          /* metric, loss or sink: dropped */
  TR_SINK,          /* writes its bottoms to files: dropped, they stay outputs */
  TR_METRIC,        /* scores its bottoms (Accuracy): dropped, they stay outputs */
} TrRole;

static const struct {
  const char *type, *v1;
  TrRole role;
} roles[] = {
    {"Data", "DATA", TR_DATA},
    {"ImageData", "IMAGE_DATA", TR_DATA},
    {"HDF5Data", "HDF5_DATA", TR_DATA},
    {"WindowData", "WINDOW_DATA", TR_DATA},
    {"AnnotatedData", NULL, TR_DATA},
    {"VideoData", NULL, TR_DATA},
    {"DenseImageData", NULL, TR_DATA}, /* SegNet (caffe-segnet) */
    {"ImageSegData", "IMAGE_SEG_DATA", TR_DATA}, /* DeepLab */
    {"BoxData", NULL, TR_DATA},                  /* caffe-yolov2 */
    {"DummyData", "DUMMY_DATA", TR_DUMMY},
    {"MemoryData", "MEMORY_DATA", TR_MEMORY},
    {"Python", NULL, TR_PYTHON},
    {"SoftmaxWithLoss", "SOFTMAX_LOSS", TR_SOFTMAX_LOSS},
    {"SigmoidCrossEntropyLoss", "SIGMOID_CROSS_ENTROPY_LOSS", TR_SIGMOID_LOSS},
    {"Accuracy", "ACCURACY", TR_METRIC},
    {"Silence", "SILENCE", TR_DROP},
    {"HDF5Output", "HDF5_OUTPUT", TR_SINK},
    {"DetectionEvaluate", NULL, TR_METRIC},
    {"SegAccuracy", "SEG_ACCURACY", TR_METRIC}, /* DeepLab */
    {"MatWrite", "MAT_WRITE", TR_SINK},       /* DeepLab: writes .mat files */
};

/* The role of a type string; any other type ending in Loss / _LOSS is a
 * loss of some fork (EuclideanLoss, HingeLoss, MultiBoxLoss, ...). */
static TrRole role_of(const char *type) {
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (strcmp(roles[i].type, type) == 0 || (roles[i].v1 && strcmp(roles[i].v1, type) == 0))
      return roles[i].role;
  size_t n = strlen(type);
  if ((n > 4 && strcmp(type + n - 4, "Loss") == 0) ||
      (n > 5 && strcmp(type + n - 5, "_LOSS") == 0))
    return TR_DROP;
  return TR_NONE;
}

/* ---- pruned blob names ---- */

typedef struct Names {
  const char **v;
  int n, cap;
  Arena *ar;
} Names;

static int names_find(const Names *s, const char *x) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->v[i], x) == 0) return i;
  return -1;
}

static void names_add(Names *s, const char *x) {
  if (names_find(s, x) >= 0) return;
  if (s->n == s->cap) {
    int nc = s->cap ? 2 * s->cap : 16;
    const char **nv = ar_array(s->ar, (size_t)nc, sizeof *nv);
    if (s->n) memcpy(nv, s->v, (size_t)s->n * sizeof *nv);
    s->v = nv;
    s->cap = nc;
  }
  s->v[s->n++] = x;
}

static void names_del(Names *s, const char *x) {
  int i = names_find(s, x);
  if (i >= 0) s->v[i] = s->v[--s->n];
}

/* ---- the rewrite ---- */

/* A note of the rewrite, unless an error was reported since e0 (the notes
 * would describe a net that is not loaded). */
static void note(Net *n, int e0, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(Net *n, int e0, SrcLoc loc, const char *fmt, ...) {
  if (n->dg->nerrors != e0) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  diag_note(n->dg, loc, "%s", buf);
}

static const char *lname(const TrLayer *t) { return t->lp->name ? t->lp->name : "?"; }

static SrcLoc tloc(const Net *n, const TrLayer *t) {
  SrcLoc l = ir_loc(n, t->orig, NULL, NULL);
  return l.line ? l : (SrcLoc){n->file, 0, 0};
}

/* The shape the data layer t states itself (DummyData, MemoryData) into
 * *s; false when it states none. */
static bool own_shape(const TrLayer *t, TrRole role, TrShape *s) {
  const Caffe__LayerParameter *lp = t->lp;
  *s = (TrShape){0};
  if (role == TR_DUMMY && lp->dummy_data_param) {
    const Caffe__DummyDataParameter *p = lp->dummy_data_param;
    if (p->n_shape && p->shape[0]->n_dim && p->shape[0]->n_dim <= RT_MAXDIM) {
      s->nd = (int)p->shape[0]->n_dim;
      for (int k = 0; k < s->nd; k++) s->d[k] = p->shape[0]->dim[k];
      return true;
    }
    if (p->n_num && p->n_channels && p->n_height && p->n_width) {
      int64_t d[4] = {p->num[0], p->channels[0], p->height[0], p->width[0]};
      s->nd = 4;
      memcpy(s->d, d, sizeof d);
      return true;
    }
  }
  if (role == TR_MEMORY && lp->memory_data_param) {
    const Caffe__MemoryDataParameter *p = lp->memory_data_param;
    int64_t d[4] = {p->batch_size, p->channels, p->height, p->width};
    if (p->batch_size && p->channels && p->height && p->width) {
      s->nd = 4;
      memcpy(s->d, d, sizeof d);
      return true;
    }
  }
  return false;
}

/* Replaces data layer t by an Input of its first top shaped s. */
static void to_input(Net *n, TrLayer *t, const TrShape *s) {
  Arena *ar = n->ar;
  Caffe__LayerParameter *in = ar_alloc(ar, sizeof *in);
  caffe__layer_parameter__init(in);
  in->name = t->lp->name;
  in->type = "Input";
  in->n_top = 1;
  in->top = t->lp->top;
  Caffe__InputParameter *ip = ar_alloc(ar, sizeof *ip);
  caffe__input_parameter__init(ip);
  Caffe__BlobShape *bs = ar_alloc(ar, sizeof *bs);
  caffe__blob_shape__init(bs);
  bs->n_dim = (size_t)s->nd;
  bs->dim = ar_array(ar, (size_t)s->nd, sizeof(int64_t));
  memcpy(bs->dim, s->d, (size_t)s->nd * sizeof(int64_t));
  ip->n_shape = 1;
  ip->shape = ar_array(ar, 1, sizeof *ip->shape);
  ip->shape[0] = bs;
  in->input_param = ip;
  t->lp = in;
  t->type = "Input";
}

/* Keeps only the first bottom of loss t and its last top (of two, the
 * second is the probabilities), and gives it type ty (deploy form); a
 * fresh copy, so the parsed file stays as written. */
static void to_deploy_loss(Net *n, int e0, TrLayer *t, const char *ty, const char *v1ty) {
  Caffe__LayerParameter *lp = ar_alloc(n->ar, sizeof *lp);
  *lp = *t->lp;
  lp->n_bottom = 1;
  if (lp->n_top > 1) lp->top++; /* Caffe's optional second top: the probabilities */
  lp->n_top = lp->n_top ? 1 : 0;
  lp->type = (char *)(t->v1 ? v1ty : ty);
  lp->loss_param = NULL;
  lp->n_loss_weight = 0;
  lp->n_propagate_down = 0;
  note(n, e0, tloc(n, t), "layer '%s' (%s): runs as %s (its deploy form)", lname(t), t->type, ty);
  t->lp = lp;
  t->type = lp->type;
}

static bool reads_pruned(const TrLayer *t, const Names *pr, const char **which) {
  for (size_t b = 0; b < t->lp->n_bottom; b++)
    if (names_find(pr, t->lp->bottom[b]) >= 0) {
      *which = t->lp->bottom[b];
      return true;
    }
  return false;
}

/* True when every top of L[i] is read by some later layer and all those
 * readers (up to the next writer of the name) are dropped, none of them a
 * sink or metric (what a sink writes or a metric scores is an output of
 * the net). */
static bool only_feeds_dropped(const TrLayer *L, int nl, const bool *drop, const bool *sink,
                               int i) {
  const Caffe__LayerParameter *lp = L[i].lp;
  if (lp->n_top == 0) return false;
  for (size_t t = 0; t < lp->n_top; t++) {
    const char *x = lp->top[t];
    int readers = 0;
    for (int j = i + 1; j < nl; j++) {
      const Caffe__LayerParameter *q = L[j].lp;
      bool reads = false, writes = false;
      for (size_t b = 0; b < q->n_bottom; b++) reads |= strcmp(q->bottom[b], x) == 0;
      for (size_t b = 0; b < q->n_top; b++) writes |= strcmp(q->top[b], x) == 0;
      if (reads) {
        readers++;
        if (!drop[j] || sink[j]) return false;
      }
      if (writes) break;
    }
    if (readers == 0) return false; /* a network output */
  }
  return true;
}

int tr_rewrite(Net *n, const Caffe__NetState *st, TrLayer *L, int *nl, const TrShape *shape) {
  int e0 = n->dg->nerrors, m = 0;
  /* 1. NetState rules, before anything else */
  for (int i = 0; i < *nl; i++) {
    if (L[i].lp->n_include && L[i].lp->n_exclude) {
      diag_error(n->dg, ir_loc(n, L[i].orig, "exclude", NULL),
                 "layer '%s' (%s): specify either include rules or exclude rules, not both",
                 lname(&L[i]), L[i].type);
      continue;
    }
    if (tr_keep(st, L[i].lp)) L[m++] = L[i];
  }
  *nl = m;
  if (n->dg->nerrors > e0) return -1;
  /* 2. data layers, losses, labels (forward, in execution order) */
  bool *drop = ar_array(n->ar, (size_t)m + 1, sizeof(bool));
  bool *sink = ar_array(n->ar, (size_t)m + 1, sizeof(bool));
  Names pr = {NULL, 0, 0, n->ar};
  int ndata = 0;
  for (int i = 0; i < m; i++) {
    TrLayer *t = &L[i];
    TrRole role = role_of(t->type);
    const char *which = NULL;
    if (role == TR_PYTHON && t->lp->n_bottom) role = TR_NONE;
    if (t->lp->has_phase && t->lp->phase != CAFFE__PHASE__TEST && role == TR_NONE)
      note(n, e0, ir_loc(n, t->orig, "phase", NULL),
           "layer '%s' (%s): runs in its TEST (inference) form whatever its phase", lname(t),
           t->type);
    if (role == TR_DATA || role == TR_DUMMY || role == TR_MEMORY || role == TR_PYTHON) {
      TrShape s;
      if (t->lp->n_top == 0) {
        drop[i] = true;
        continue;
      }
      if (shape && shape->nd) {
        s = *shape;
      } else if (!own_shape(t, role, &s)) {
        diag_error(n->dg, tloc(n, t),
                   "layer '%s' (%s): a training data layer does not say the input shape; "
                   "give it with --input_shape N,C,H,W",
                   lname(t), t->type);
        continue;
      }
      for (size_t k = 1; k < t->lp->n_top; k++) names_add(&pr, t->lp->top[k]);
      names_del(&pr, t->lp->top[0]);
      if (!ndata && t->lp->transform_param) {
        n->transform = t->lp->transform_param;
        n->transform_loc = ir_loc(n, t->orig, "transform_param", NULL);
        n->transform_layer = lname(t);
      }
      to_input(n, t, &s);
      n->from_train = true;
      ndata++;
      continue;
    }
    bool loss = role == TR_SOFTMAX_LOSS || role == TR_SIGMOID_LOSS;
    if (role == TR_SINK) {
      note(n, e0, tloc(n, t),
           "layer '%s' (%s): dropped (it writes files); what it reads stays an output", lname(t),
           t->type);
      drop[i] = sink[i] = true;
    } else if (role == TR_DROP || role == TR_METRIC) {
      note(n, e0, tloc(n, t), "layer '%s' (%s): dropped (a training-only layer)", lname(t),
           t->type);
      drop[i] = true;
      sink[i] = role == TR_METRIC;
    } else if (loss && t->lp->n_bottom && names_find(&pr, t->lp->bottom[0]) < 0) {
      if (role == TR_SOFTMAX_LOSS) to_deploy_loss(n, e0, t, "Softmax", "SOFTMAX");
      else to_deploy_loss(n, e0, t, "Sigmoid", "SIGMOID");
    } else if (loss || reads_pruned(t, &pr, &which)) {
      note(n, e0, tloc(n, t), "layer '%s' (%s): dropped (it reads the label blob '%s')", lname(t),
           t->type, which ? which : t->lp->n_bottom ? t->lp->bottom[0] : "?");
      drop[i] = true;
    }
    if (drop[i]) n->from_train = true;
    for (size_t k = 0; k < t->lp->n_top; k++) {
      if (drop[i]) names_add(&pr, t->lp->top[k]);
      else names_del(&pr, t->lp->top[k]);
    }
  }
  if (n->dg->nerrors > e0) return -1;
  if (shape && shape->nd && !ndata)
    note(n, e0, (SrcLoc){n->file, 0, 0}, "--input_shape is not used: the net has no data layer");
  /* 3. layers left without a reader (backward: readers come later) */
  for (int i = m - 1; i >= 0 && n->from_train; i--)
    if (!drop[i] && only_feeds_dropped(L, m, drop, sink, i)) {
      note(n, e0, tloc(n, &L[i]), "layer '%s' (%s): dropped (only dropped layers read it)",
           lname(&L[i]), L[i].type);
      drop[i] = true;
    }
  int k = 0;
  for (int i = 0; i < m; i++)
    if (!drop[i]) L[k++] = L[i];
  *nl = k;
  return 0;
}

/* ---- writing the deploy form ---- */

static Caffe__BlobShape *blob_shape(Arena *ar, const rt_shape *s) {
  Caffe__BlobShape *bs = ar_alloc(ar, sizeof *bs);
  caffe__blob_shape__init(bs);
  bs->n_dim = (size_t)s->nd;
  bs->dim = ar_array(ar, (size_t)s->nd + 1, sizeof(int64_t));
  for (int k = 0; k < s->nd; k++) bs->dim[k] = s->d[k];
  return bs;
}

Caffe__NetParameter *tr_deploy_param(const Net *n) {
  Arena *ar = n->ar;
  Caffe__NetParameter *np = ar_alloc(ar, sizeof *np);
  caffe__net_parameter__init(np);
  np->name = (char *)n->name;
  np->input = ar_array(ar, (size_t)n->ninput + 1, sizeof(char *));
  np->input_shape = ar_array(ar, (size_t)n->ninput + 1, sizeof *np->input_shape);
  for (int i = 0; i < n->ninput; i++) {
    const Blob *b = n->inputs[i];
    if (b->producer) continue;
    np->input[np->n_input] = (char *)b->name;
    np->input_shape[np->n_input++] = blob_shape(ar, &b->shape);
  }
  np->layer = ar_array(ar, (size_t)n->nlayer + 1, sizeof *np->layer);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    Caffe__LayerParameter *lp = ar_alloc(ar, sizeof *lp);
    *lp = *l->lp;
    /* V1 type names ("CONVOLUTION") as the registry spells them */
    if (l->kind != LK_CUSTOM && lk_from_type(l->type) < 0)
      lp->type = (char *)lk_info[l->kind].caffe_type;
    lp->n_include = lp->n_exclude = 0;
    lp->has_phase = false;
    lp->n_loss_weight = 0;
    lp->n_propagate_down = 0;
    lp->transform_param = NULL;
    np->layer[np->n_layer++] = lp;
  }
  return np;
}
