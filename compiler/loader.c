/* loader.c - Caffe prototxt + caffemodel to graph IR (see loader.h). */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caffe.pb-c.h"
#include "caffemodel.h"
#include "quant.h"
#include "textfmt.h"
#include "train.h"

/* ---- V1 layers: copy into a LayerParameter so kinds see one format ---- */

static Caffe__LayerParameter *from_v1(const Caffe__V1LayerParameter *v,
                                      Arena *ar, const char **type_name) {
  Caffe__LayerParameter *lp = ar_alloc(ar, sizeof *lp);
  caffe__layer_parameter__init(lp);
  lp->name = v->name;
  lp->n_bottom = v->n_bottom;
  lp->bottom = v->bottom;
  lp->n_top = v->n_top;
  lp->top = v->top;
  lp->n_include = v->n_include;
  lp->include = v->include;
  lp->n_exclude = v->n_exclude;
  lp->exclude = v->exclude;
  lp->n_blobs = v->n_blobs;
  lp->blobs = v->blobs;
  const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
      &caffe__v1_layer_parameter__layer_type__descriptor, (int)v->type);
  *type_name = ev ? ev->name : ar_printf(ar, "%d", (int)v->type);
  lp->type = (char *)*type_name;
  lp->argmax_param = v->argmax_param;
  lp->concat_param = v->concat_param;
  lp->convolution_param = v->convolution_param;
  lp->dropout_param = v->dropout_param;
  lp->eltwise_param = v->eltwise_param;
  lp->exp_param = v->exp_param;
  lp->inner_product_param = v->inner_product_param;
  lp->lrn_param = v->lrn_param;
  lp->mvn_param = v->mvn_param;
  lp->pooling_param = v->pooling_param;
  lp->power_param = v->power_param;
  lp->relu_param = v->relu_param;
  lp->sigmoid_param = v->sigmoid_param;
  lp->softmax_param = v->softmax_param;
  lp->slice_param = v->slice_param;
  lp->tanh_param = v->tanh_param;
  lp->threshold_param = v->threshold_param;
  lp->transform_param = v->transform_param;
  lp->loss_param = v->loss_param;
  lp->dummy_data_param = v->dummy_data_param; /* shapes for train.c */
  lp->memory_data_param = v->memory_data_param;
  lp->interp_param = v->interp_param; /* DeepLab v1's INTERP */
  lp->n_loss_weight = v->n_loss_weight;
  lp->loss_weight = v->loss_weight;
  return lp;
}

/* ---- blobs ---- */

static void push(Arena *ar, void ***arr, int *len, int *cap, void *x) {
  if (*len == *cap) {
    int nc = *cap ? *cap * 2 : 16;
    void **na = ar_array(ar, (size_t)nc, sizeof(void *));
    if (*len) memcpy(na, *arr, (size_t)*len * sizeof(void *));
    *arr = na;
    *cap = nc;
  }
  (*arr)[(*len)++] = x;
}

Blob *ld_find_blob(const Net *n, const char *name) {
  for (int i = n->nblob - 1; i >= 0; i--)
    if (strcmp(n->blobs[i]->name, name) == 0) return n->blobs[i];
  return NULL;
}

Layer *ld_find_layer(const Net *n, const char *name) {
  for (int i = 0; i < n->nlayer; i++)
    if (strcmp(n->layers[i]->name, name) == 0) return n->layers[i];
  return NULL;
}

typedef struct Builder {
  Net *n;
  int blobcap, layercap, incap;
} Builder;

static Blob *add_blob(Builder *B, const char *name) {
  Blob *prev = ld_find_blob(B->n, name);
  Blob *b = ar_alloc(B->n->ar, sizeof *b);
  b->id = B->n->nblob;
  b->name = name;
  b->version = prev ? prev->version + 1 : 0;
  push(B->n->ar, (void ***)&B->n->blobs, &B->n->nblob, &B->blobcap, b);
  return b;
}

/* ---- legacy inputs: input + input_dim / input_shape ---- */

static int legacy_inputs(Builder *B, const Caffe__NetParameter *np) {
  Net *n = B->n;
  size_t nin = np->n_input;
  if (!nin) {
    if (np->n_input_dim || np->n_input_shape) {
      diag_error(n->dg, ir_loc(n, np, np->n_input_dim ? "input_dim" : "input_shape", NULL),
                 "input_dim/input_shape given without an input name");
      return -1;
    }
    return 0;
  }
  int by_shape = np->n_input_shape > 0;
  if (by_shape && np->n_input_dim) {
    diag_error(n->dg, ir_loc(n, np, "input_shape", NULL),
               "both input_shape and input_dim are given; use one");
    return -1;
  }
  if (by_shape ? np->n_input_shape != nin : np->n_input_dim != 4 * nin) {
    diag_error(n->dg, ir_loc(n, np, "input", NULL),
               by_shape ? "%zu inputs need %zu input_shape blocks, got %zu"
                        : "%zu inputs need %zu input_dim values, got %zu",
               nin, by_shape ? nin : 4 * nin,
               by_shape ? np->n_input_shape : np->n_input_dim);
    return -1;
  }
  for (size_t i = 0; i < nin; i++) {
    Blob *b = add_blob(B, np->input[i]);
    int64_t d[RT_MAXDIM];
    int nd = 4;
    if (by_shape) {
      const Caffe__BlobShape *bs = np->input_shape[i];
      if (bs->n_dim > RT_MAXDIM) {
        diag_error(n->dg, ir_loc(n, bs, "dim", NULL), "input '%s' has %zu axes; at most %d are supported",
                   np->input[i], bs->n_dim, RT_MAXDIM);
        return -1;
      }
      nd = (int)bs->n_dim;
      for (int k = 0; k < nd; k++) d[k] = bs->dim[k];
    } else {
      for (int k = 0; k < 4; k++) d[k] = np->input_dim[4 * i + (size_t)k];
    }
    /* ir_set_shape would report a bad size without a line: check here */
    int64_t count = 1;
    for (int k = 0; k < nd; k++) {
      if (d[k] < 0 || d[k] > INT32_MAX || (d[k] && count > INT32_MAX / d[k])) {
        diag_error(n->dg,
                   by_shape ? ir_loc(n, np->input_shape[i], "dim", NULL)
                            : ir_loc(n, np, "input_dim", NULL),
                   d[k] < 0 ? "input '%s': axis %d is %lld; sizes must not be negative"
                            : "input '%s': axis %d is %lld; the blob would have more than "
                              "2147483647 elements",
                   np->input[i], k, (long long)d[k]);
        return -1;
      }
      count *= d[k];
    }
    if (ir_set_shape(n, NULL, &b->shape, nd, d)) return -1;
    b->shaped = true;
    push(n->ar, (void ***)&n->inputs, &n->ninput, &B->incap, b);
  }
  return 0;
}

/* ---- layers ---- */

static void add_layer(Builder *B, Caffe__LayerParameter *lp, const char *type,
                      int kind, SrcLoc loc, const ProtobufCMessage *orig) {
  Net *n = B->n;
  Layer *l = ar_alloc(n->ar, sizeof *l);
  l->id = n->nlayer;
  l->name = lp->name ? lp->name : ar_printf(n->ar, "layer%d", n->nlayer);
  l->type = type;
  l->kind = (LayerKind)kind;
  l->loc = loc;
  l->lp = lp;
  l->place = lk_info[kind].place;
  l->nbottom = (int)lp->n_bottom;
  l->ntop = (int)lp->n_top;
  l->bottom = ar_array(n->ar, lp->n_bottom + 1, sizeof(Blob *));
  l->top = ar_array(n->ar, lp->n_top + 1, sizeof(Blob *));
  l->bottom_names = (const char **)lp->bottom;
  l->top_names = (const char **)lp->top;
  int ok = 1;
  if (lp->n_bottom > IR_MAX_IO || lp->n_top > IR_MAX_IO) {
    ir_error_at(n, ir_loc(n, orig, lp->n_bottom > IR_MAX_IO ? "bottom" : "top", l), l,
                "has %zu bottoms and %zu tops; at most %d of each are supported",
                lp->n_bottom, lp->n_top, IR_MAX_IO);
    l->nbottom = l->ntop = 0;
    l->nweight = -1;
    push(n->ar, (void ***)&n->layers, &n->nlayer, &B->layercap, l);
    return;
  }
  for (size_t i = 0; i < lp->n_bottom; i++) {
    Blob *b = ld_find_blob(n, lp->bottom[i]);
    if (!b) {
      ir_error_at(n, ir_loc(n, orig, "bottom", l), l,
                  "bottom '%s' is not produced by any earlier layer or input",
                  lp->bottom[i]);
      ok = 0;
      continue;
    }
    l->bottom[i] = b;
    b->nconsumers++;
  }
  for (size_t i = 0; i < lp->n_top; i++) {
    for (size_t j = 0; j < i; j++)
      if (strcmp(lp->top[i], lp->top[j]) == 0) {
        ir_error_at(n, ir_loc(n, orig, "top", l), l, "top '%s' is listed twice",
                    lp->top[i]);
        ok = 0;
      }
    Blob *b = add_blob(B, lp->top[i]);
    b->producer = l;
    l->top[i] = b;
  }
  push(n->ar, (void ***)&n->layers, &n->nlayer, &B->layercap, l);
  if (!ok) {
    l->place = PL_SW;
    l->nweight = -1; /* marks a broken layer: skipped by shape inference */
    return;
  }
  if (lk_info[kind].ops->setup(l, n)) l->nweight = -1;
  if (lk_is(kind, LKF_SOURCE) && l->nweight >= 0)
    for (int t = 0; t < l->ntop; t++)
      push(n->ar, (void ***)&n->inputs, &n->ninput, &B->incap, l->top[t]);
}

int ld_infer_shapes(Net *n) {
  int bad = 0;
  for (int i = 0; i < n->nblob; i++)
    if (n->blobs[i]->producer) n->blobs[i]->shaped = false;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->nweight < 0) {
      bad = 1;
      continue;
    }
    int ready = 1;
    for (int b = 0; b < l->nbottom; b++)
      if (!l->bottom[b] || !l->bottom[b]->shaped) ready = 0;
    if (!ready) continue; /* an earlier error already explains it */
    if (lk_info[l->kind].ops->shape(l, n)) {
      bad = 1;
      continue;
    }
    for (int t = 0; t < l->ntop; t++) l->top[t]->shaped = true;
  }
  return bad ? -1 : 0;
}

/* Runs shape inference with diagnostics counted but not printed; returns
 * the number of errors. */
static int infer_quietly(Net *n) {
  Diag quiet, *dg = n->dg;
  FILE *nul = fopen("/dev/null", "w");
  if (!nul) return ld_infer_shapes(n) ? 1 : 0; /* cannot silence: no trial */
  diag_init(&quiet, nul);
  n->dg = &quiet;
  ld_infer_shapes(n);
  n->dg = dg;
  fclose(nul);
  return quiet.nerrors;
}

/* Infers the shapes under Caffe's rules.  When they do not agree and some
 * layer's rule differs in the darknet2caffe dialect (LayerOps
 * dialect_differs), tries that dialect without printing; if every shape
 * then agrees, keeps it with a warning at each such layer (its top under
 * both rules), since no other reading of the file is a valid net.
 * Otherwise reports Caffe's errors with a note at each such layer. */
static bool differs(const Layer *l) {
  const LayerOps *ops = lk_info[l->kind].ops;
  return l->nweight >= 0 && ops->dialect_differs && l->ntop >= 1 && l->top[0]->shaped &&
         ops->dialect_differs(l);
}

static void infer_shapes_dialect(Net *n) {
  if (infer_quietly(n) == 0) {
    ld_infer_shapes(n); /* again, for warnings a shape rule prints */
    return;
  }
  int nd = 0;
  rt_shape *caffe = ar_array(n->ar, (size_t)n->nlayer + 1, sizeof *caffe);
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->ntop >= 1 && l->top[0]->shaped) caffe[i] = l->top[0]->shape;
    nd += differs(l);
  }
  if (nd > 0) {
    n->dialect = IR_DIALECT_DARKNET2CAFFE;
    if (infer_quietly(n) == 0) {
      ld_infer_shapes(n);
      for (int i = 0; i < n->nlayer; i++) {
        Layer *l = n->layers[i];
        if (!differs(l)) continue;
        char a[64], b[64] = "another shape";
        if (caffe[i].nd) rt_shape_str(&caffe[i], b, sizeof b);
        diag_warn(n->dg, l->loc,
                  "layer '%s' (%s): the net's shapes agree only under the darknet2caffe "
                  "fork's rules (ChenYingpeng/caffe-yolov3), which give its top %s where "
                  "Caffe's give %s; chaicc follows the fork (docs/layers.md)",
                  l->name, l->type, rt_shape_str(&l->top[0]->shape, a, sizeof a), b);
      }
      return;
    }
    n->dialect = IR_DIALECT_CAFFE;
  }
  ld_infer_shapes(n);
  for (int i = 0; i < n->nlayer; i++)
    if (differs(n->layers[i]))
      diag_note(n->dg, n->layers[i]->loc,
                "layer '%s' (%s): the darknet2caffe fork's rules would change its shape, "
                "but the net's shapes do not agree under those either",
                n->layers[i]->name, n->layers[i]->type);
}

int ld_set_batch(Net *n, int batch) {
  for (int i = 0; i < n->nlayer; i++)
    if (lk_is(n->layers[i]->kind, LKF_SOURCE))
      for (int t = 0; t < n->layers[i]->p.input.ntop; t++)
        if (n->layers[i]->p.input.shape[t].nd > 0)
          n->layers[i]->p.input.shape[t].d[0] = batch;
  for (int i = 0; i < n->ninput; i++)
    if (!n->inputs[i]->producer && n->inputs[i]->shape.nd > 0)
      n->inputs[i]->shape.d[0] = batch;
  return ld_infer_shapes(n);
}

/* The axis k where blob shape b (at batch B) holds B times its size a (at
 * batch 1), every axis before k being 1 and every other axis equal; -1
 * when a == b; -2 when neither. */
static int batch_axis(const rt_shape *a, const rt_shape *b, int B) {
  if (a->nd != b->nd) return -2;
  int k = -1;
  for (int i = 0; i < a->nd; i++)
    if (a->d[i] != b->d[i]) {
      if (k >= 0 || (int64_t)a->d[i] * B != b->d[i]) return -2;
      k = i;
    }
  for (int i = 0; i < k; i++)
    if (a->d[i] != 1) return -2;
  return k;
}

const Blob *ld_batch_axes(Net *n, int *bax) {
  int B = n->ninput && n->inputs[0]->shape.nd ? n->inputs[0]->shape.d[0] : 1;
  rt_shape *full = ar_array(n->ar, (size_t)n->nblob + 1, sizeof *full);
  const Blob *bad = NULL;
  for (int i = 0; i < n->nblob; i++) full[i] = n->blobs[i]->shape;
  /* a net that cannot run batch 1 says why to nobody: it runs batch B */
  Diag quiet, *dg = n->dg;
  FILE *nul = B > 1 ? fopen("/dev/null", "w") : NULL;
  diag_init(&quiet, nul);
  n->dg = &quiet;
  if (nul && ld_set_batch(n, 1) == 0) {
    for (int i = 0; i < n->nblob; i++) {
      bax[i] = batch_axis(&n->blobs[i]->shape, &full[i], B);
      if (bax[i] < -1 && !bad) bad = n->blobs[i];
    }
  } else {
    for (int i = 0; i < n->nblob; i++) bax[i] = B > 1 ? -2 : 0;
    if (B > 1) bad = n->inputs[0];
  }
  if (B > 1) ld_set_batch(n, B);
  n->dg = dg;
  if (nul) fclose(nul);
  return bad;
}

/* ---- weights ---- */

/* Shapes agree when equal after dropping leading 1s (Caffe's legacy 4-D
 * num/channels/height/width blobs pad the real shape with leading 1s, and a
 * scalar may be stored as [1] or 1x1x1x1). */
static int shape_matches(const rt_shape *e, const CmBlob *b) {
  int i = 0, j = 0;
  while (i < e->nd && e->d[i] == 1) i++;
  while (j < b->nd && b->dim[j] == 1) j++;
  if (e->nd - i != b->nd - j) return 0;
  for (; i < e->nd; i++, j++)
    if (e->d[i] != b->dim[j]) return 0;
  return 1;
}

static const char *cm_shape_str(const CmBlob *b, char *buf, size_t n) {
  rt_shape s = {0};
  s.nd = b->nd > RT_MAXDIM ? RT_MAXDIM : b->nd;
  for (int i = 0; i < s.nd; i++) s.d[i] = (int)b->dim[i];
  return rt_shape_str(&s, buf, n);
}

static void bind_weights(Net *n, const CmModel *m) {
  SrcLoc wl = {m->path, 0, 0};
  char es[96], as[96];
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->nweight <= 0) continue;
    const CmLayer *cl = cm_find(m, l->name);
    int nreq = 0;
    for (int k = 0; k < l->nweight; k++) nreq += !l->weight[k].optional;
    if (!cl || cl->nblob == 0) {
      if (nreq == 0) continue;
      diag_error(n->dg, wl, "layer '%s' (%s): no blobs in the caffemodel, expected %d (%s %s%s)",
                 l->name, l->type, l->nweight, l->weight[0].role,
                 rt_shape_str(&l->weight[0].expect, es, sizeof es),
                 l->nweight > 1 ? ", ..." : "");
      continue;
    }
    if (cl->nblob > l->nweight || cl->nblob < nreq) {
      diag_error(n->dg, wl, "layer '%s' (%s): the caffemodel has %d blobs, expected %d",
                 l->name, l->type, cl->nblob, l->nweight);
      continue;
    }
    for (int k = 0; k < cl->nblob; k++) {
      Weight *w = &l->weight[k];
      const CmBlob *b = &cl->blob[k];
      if (!shape_matches(&w->expect, b)) {
        diag_error(n->dg, wl, "layer '%s' (%s) blob %d (%s): expected shape %s, the caffemodel has %s",
                   l->name, l->type, k, w->role,
                   rt_shape_str(&w->expect, es, sizeof es),
                   cm_shape_str(b, as, sizeof as));
        continue;
      }
      w->t.s = w->expect;
      w->t.d = b->data;
      w->loaded = true;
    }
  }
}

/* ---- entry ---- */

/* Weight data is malloc'ed by the caffemodel reader (too big for the
 * arena); every loaded model is kept here until ld_cleanup. */
static CmModel **loaded;
static int nloaded, caploaded;

void ld_cleanup(void) {
  for (int i = 0; i < nloaded; i++) cm_free(loaded[i]);
  free(loaded);
  loaded = NULL;
  nloaded = caploaded = 0;
}

static void keep_model(CmModel *m) {
  if (nloaded == caploaded) {
    int nc = caploaded ? caploaded * 2 : 4;
    CmModel **na = realloc(loaded, (size_t)nc * sizeof *na);
    if (!na) {
      fprintf(stderr, "chaicc: fatal: out of memory\n");
      exit(3);
    }
    loaded = na;
    caploaded = nc;
  }
  loaded[nloaded++] = m;
}

Net *ld_load(const char *path, const char *weights, Arena *ar, Diag *dg) {
  return ld_load_opts(path, weights, NULL, ar, dg);
}

/* ---- unknown fields and failed layers (diagnostics without cascades) ---- */

/* Reports the unknown fields the lenient parse skipped in layer lp (in
 * its block or in a parameter message inside it): notes under the
 * unknown-type error when type_failed; else errors, except for fields
 * directly in the block of a plugin layer (handed to the plugin, see
 * custom.c).  *nested counts the errors inside parameter messages.
 * Returns the number of errors reported. */
static int report_unknown_fields(Net *n, const Caffe__LayerParameter *lp,
                                 const char *type, int kind, int type_failed, int *nested) {
  int nerr = 0;
  for (const TfUnknown *u = tf_unknown(n->locs); u; u = u->next) {
    if (u->owner != &lp->base) continue;
    SrcLoc at = {n->file, u->line, u->col};
    const char *in = u->m->descriptor->name;
    if (type_failed) {
      if (u->m == u->owner)
        diag_note(n->dg, at, "layer '%s' also has the unknown field '%s' (skipped)",
                  lp->name ? lp->name : "?", u->name);
      else
        diag_note(n->dg, at, "layer '%s' also has the unknown field '%s' in %s (skipped)",
                  lp->name ? lp->name : "?", u->name, in);
    } else if (kind != LK_CUSTOM || u->m != u->owner) {
      diag_error(n->dg, at, "layer '%s' (%s): unknown field '%s' in %s%s",
                 lp->name ? lp->name : "?", type, u->name, u->m == u->owner ? "" : "message ",
                 in);
      nerr++;
      if (nested && u->m != u->owner) ++*nested;
    }
  }
  return nerr;
}

/* Unknown fields of layers the training rewrite dropped (losses, metrics,
 * sinks) or replaced by an Input (data layers): nothing reads them, so
 * each is a warning, located, instead of an error.  L[0..nl) are the
 * layers kept. */
static void warn_unread_unknowns(Net *n, const TrLayer *L, int nl) {
  for (const TfUnknown *u = tf_unknown(n->locs); u; u = u->next) {
    int i = 0;
    while (i < nl && L[i].orig != u->owner) i++;
    if (i < nl && &L[i].lp->base == L[i].orig) continue; /* kept as written */
    const Caffe__LayerParameter *lp = (const Caffe__LayerParameter *)u->owner;
    diag_warn(n->dg, (SrcLoc){n->file, u->line, u->col},
              "layer '%s' (%s): unknown field '%s' in %s skipped (the layer is %s "
              "for inference)",
              lp->name ? lp->name : "?", lp->type ? lp->type : "?", u->name,
              u->m->descriptor->name,
              i == nl ? "dropped" : strcmp(L[i].type, "Input") == 0 ? "replaced by an Input"
                                                                    : "run in its deploy form");
  }
}

/* A layer that failed before it was built (unknown type) still declares
 * its tops: they become blobs with no producer that never get a shape, so
 * its consumers load without a second error and shape inference skips
 * them. */
static void add_failed_tops(Builder *B, const Caffe__LayerParameter *lp) {
  for (size_t i = 0; i < lp->n_top; i++) add_blob(B, lp->top[i]);
}

int ld_check_weightless(Net *n) {
  int bad = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    for (int k = 0; k < l->nweight; k++)
      if (!l->weight[k].optional && !l->weight[k].loaded) {
        ir_error(n, l, "has learned blobs (%s); give the caffemodel (WEIGHTS)",
                 l->weight[k].role);
        bad = 1;
        break;
      }
  }
  return bad ? -1 : 0;
}

/* LK_CUSTOM when type is one of the declared plugin types, else -1. */
static int custom_kind(const Net *n, const char *type) {
  for (int i = 0; i < n->ncustom; i++)
    if (strcmp(n->custom[i].type, type) == 0) return LK_CUSTOM;
  return -1;
}

/* The layers of the file in order, V1 blocks converted (train.h). */
static TrLayer *collect_layers(const Caffe__NetParameter *np, Arena *ar) {
  size_t nl = np->n_layer ? np->n_layer : np->n_layers;
  TrLayer *L = ar_array(ar, nl + 1, sizeof *L);
  for (size_t i = 0; i < nl; i++) {
    if (np->n_layer) {
      Caffe__LayerParameter *lp = np->layer[i];
      L[i] = (TrLayer){lp, lp->type ? lp->type : "", &lp->base, false};
    } else {
      const char *type;
      Caffe__LayerParameter *lp = from_v1(np->layers[i], ar, &type);
      L[i] = (TrLayer){lp, type, &np->layers[i]->base, true};
    }
  }
  return L;
}

/* The kind of layer t (V1 type names first for V1 blocks; the rewrite
 * may have given one the new-format name "Input"); -1 if unknown. */
static int layer_kind(const Net *n, const TrLayer *t) {
  if (t->v1) {
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
        &caffe__v1_layer_parameter__layer_type__descriptor, t->type);
    int k = ev ? lk_from_v1(ev->value) : -1;
    return k >= 0 ? k : lk_from_type(t->type);
  }
  int kind = lk_from_type(t->type);
  if (kind < 0 || lk_is(kind, LKF_PLUGIN)) kind = custom_kind(n, t->type);
  return kind;
}

Net *ld_load_opts(const char *path, const char *weights, const LdOpts *o, Arena *ar,
                  Diag *dg) {
  const LdOpts none = {0};
  if (!o) o = &none;
  int e0 = dg->nerrors;
  TfLocs *locs = NULL;
  TfOpts topts = {"caffe.LayerParameter"}; /* unknown *_param: see below */
  Caffe__NetParameter *np = (Caffe__NetParameter *)tf_parse_file_opts(
      &caffe__net_parameter__descriptor, path, ar, dg, &locs, &topts);
  if (!np) return NULL;
  Net *n = ar_alloc(ar, sizeof *n);
  n->file = path;
  n->weights_file = weights;
  n->locs = locs;
  n->ar = ar;
  n->dg = dg;
  n->name = np->name ? np->name : "net";
  n->custom = o->custom;
  n->ncustom = o->custom ? o->ncustom : 0;
  Builder B = {n, 0, 0, 0};
  if (np->n_layer && np->n_layers) {
    diag_error(dg, ir_loc(n, np, "layers", NULL),
               "the file mixes `layer` and V1 `layers` blocks; use one format");
    return NULL;
  }
  if (legacy_inputs(&B, np)) return NULL;
  TrLayer *L = collect_layers(np, ar);
  int nl = (int)(np->n_layer ? np->n_layer : np->n_layers);
  if (tr_rewrite(n, tr_net_state(np->state, ar), L, &nl, &tr_input_shape)) return NULL;
  warn_unread_unknowns(n, L, nl);
  for (int i = 0; i < nl; i++) {
    Caffe__LayerParameter *lp = L[i].lp;
    const char *type = L[i].type;
    const ProtobufCMessage *orig = L[i].orig;
    int kind = layer_kind(n, &L[i]);
    SrcLoc loc = ir_loc(n, orig, NULL, NULL);
    if (loc.line == 0) loc = (SrcLoc){path, 0, 0};
    if (kind < 0) {
      diag_error(dg, ir_loc(n, orig, "type", NULL),
                 "layer '%s': unknown layer type '%s' (see docs/layers.md for the supported kinds)",
                 lp->name ? lp->name : "?", type);
      if (np->n_layer) report_unknown_fields(n, lp, type, kind, 1, NULL);
      add_failed_tops(&B, lp);
      continue;
    }
    int nested = 0;
    if (np->n_layer && &lp->base == orig) report_unknown_fields(n, lp, type, kind, 0, &nested);
    if (nested) { /* its parameters are not what the file meant: no setup */
      add_failed_tops(&B, lp);
      continue;
    }
    add_layer(&B, lp, type, kind, loc, orig);
  }
  if (n->nlayer == 0 && dg->nerrors == e0)
    diag_error(dg, (SrcLoc){path, 0, 0}, "the network has no layers");
  if (n->ninput == 0 && dg->nerrors == e0)
    diag_error(dg, (SrcLoc){path, 0, 0},
               "the network declares no input (no `input:` and no Input layer)");
  infer_shapes_dialect(n);
  int oc = 0;
  for (int i = 0; i < n->nblob; i++) {
    Blob *b = n->blobs[i];
    if (b->nconsumers == 0 && b->producer && !lk_is(b->producer->kind, LKF_SOURCE)) {
      b->is_output = true;
      push(ar, (void ***)&n->outputs, &n->noutput, &oc, b);
    }
  }
  if (dg->nerrors > e0) return NULL;
  if (weights) {
    CmModel *m = cm_load(weights, ar, dg);
    if (!m) return NULL;
    keep_model(m);
    bind_weights(n, m);
  }
  if (dg->nerrors == e0) qt_read(n, !o->no_pin_check); /* CHai precision_param blocks */
  return dg->nerrors > e0 ? NULL : n;
}
