/* constfold.c - constant tensors (see constfold.h). */
#include "constfold.h"

#include <stdlib.h>
#include <string.h>

#include "interp.h"

/* Whether live layer l's tops are constant, given the marks of the blobs
 * before it: its kind depends on shapes only, or it moves values and all
 * its bottoms are constant.  A fused ReLU changes values: not constant. */
static bool makes_const(const Layer *l, const bool *cst) {
  if (l->ntop < 1 || l->fused_relu) return false;
  if (lk_is(l->kind, LKF_SHAPEONLY)) return true;
  if (!lk_is(l->kind, LKF_MOVE) && !lk_is(l->kind, LKF_COPY)) return false;
  if (l->nbottom < 1) return false;
  for (int k = 0; k < l->nbottom; k++)
    if (!cst[l->bottom[k]->id]) return false;
  return true;
}

bool *cf_mark(const Net *n, Arena *ar) {
  bool *cst = ar_array(ar, (size_t)n->nblob + 1, sizeof(bool));
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->dead || !makes_const(l, cst)) continue;
    for (int t = 0; t < l->ntop; t++) cst[l->top[t]->id] = true;
  }
  return cst;
}

bool cf_layer_const(const Layer *l, const bool *cst) {
  if (l->dead || l->ntop < 1) return false;
  for (int t = 0; t < l->ntop; t++)
    if (!cst[l->top[t]->id]) return false;
  return true;
}

bool cf_any(const Net *n, const bool *cst) {
  for (int i = 0; i < n->nlayer; i++)
    if (cf_layer_const(n->layers[i], cst)) return true;
  return false;
}

float **cf_eval(Net *n, const bool *cst, Arena *ar) {
  float **vals = ar_array(ar, (size_t)n->nblob + 1, sizeof(float *));
  /* An interpreter whose buffers are the constant blobs' only: a
   * shape-only kernel reads its bottoms' shapes, never their data. */
  Interp in;
  memset(&in, 0, sizeof in);
  in.net = n;
  in.buf = ar_array(ar, (size_t)n->nblob + 1, sizeof(float *));
  in.shape = ar_array(ar, (size_t)n->nblob + 1, sizeof(rt_shape));
  for (int i = 0; i < n->nblob; i++) {
    in.shape[i] = n->blobs[i]->shape;
    if (cst[i])
      in.buf[i] = vals[i] =
          ar_array(ar, (size_t)rt_shape_count(&n->blobs[i]->shape) + 1, sizeof(float));
  }
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (cf_layer_const(l, cst)) in_run_layer(&in, l);
  }
  free(in.ws); /* the rest is arena memory: no in_free */
  return vals;
}
