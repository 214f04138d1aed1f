/* interp.c - float reference interpreter (see interp.h). */
#include "interp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (!p) {
    fprintf(stderr, "chaicc: fatal: out of memory (%zu x %zu bytes)\n", n, sz);
    exit(3);
  }
  return p;
}

int in_init(Interp *in, Net *n) {
  memset(in, 0, sizeof *in);
  in->net = n;
  int bad = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    for (int k = 0; k < l->nweight; k++)
      if (!l->weight[k].loaded && !l->weight[k].optional) {
        ir_error(n, l, "blob %d (%s) has no data: give the caffemodel", k,
                 l->weight[k].role);
        bad = 1;
        break;
      }
  }
  if (bad) return -1;
  in->buf = xcalloc((size_t)n->nblob, sizeof(float *));
  in->shape = xcalloc((size_t)n->nblob, sizeof(rt_shape));
  for (int i = 0; i < n->nblob; i++) {
    Blob *b = n->blobs[i];
    in->shape[i] = b->shape;
    in->buf[i] = xcalloc((size_t)rt_shape_count(&b->shape), sizeof(float));
  }
  return 0;
}

void in_free(Interp *in) {
  if (in->buf)
    for (int i = 0; i < in->net->nblob; i++) free(in->buf[i]);
  free(in->buf);
  free(in->shape);
  free(in->ws);
  memset(in, 0, sizeof *in);
}

void in_set_input(Interp *in, int i, const float *data) {
  Blob *b = in->net->inputs[i];
  memcpy(in->buf[b->id], data, (size_t)rt_shape_count(&b->shape) * sizeof(float));
}

float *in_blob(const Interp *in, const Blob *b) { return in->buf[b->id]; }
const rt_shape *in_shape(const Interp *in, const Blob *b) {
  return &in->shape[b->id];
}

void in_run_layer(Interp *in, Layer *l) {
  rt_tensor bt[IR_MAX_IO], tt[IR_MAX_IO], wt[8];
  int nb = l->nbottom, nt = l->ntop; /* <= IR_MAX_IO: checked by the loader */
  int nw = 0;
  for (int i = 0; i < nb; i++) {
    bt[i].s = in->shape[l->bottom[i]->id];
    bt[i].d = in->buf[l->bottom[i]->id];
  }
  for (int i = 0; i < nt; i++) {
    tt[i].s = l->top[i]->shape;
    tt[i].d = in->buf[l->top[i]->id];
  }
  for (int k = 0; k < l->nweight && k < 8; k++)
    if (l->weight[k].loaded) wt[nw++] = l->weight[k].t;
  rt_args a = {nb, nt, nw, bt, tt, wt, NULL, 0};
  const LayerKindInfo *ki = &lk_info[l->kind];
  if (ki->ws) {
    size_t need = ki->ws(&l->p, &a);
    if (need > in->wscap) {
      free(in->ws);
      in->ws = xcalloc(need, 1);
      in->wscap = need;
    }
    a.ws = in->ws;
    a.wsz = in->wscap;
  }
  ki->f32(&l->p, &a);
  if (l->fused_relu) {
    rt_relu_param rp = {l->relu_slope};
    rt_args ra = {1, 1, 0, tt, tt, NULL, NULL, 0};
    rt_relu_f32(&rp, &ra);
  }
  for (int i = 0; i < nt; i++) in->shape[l->top[i]->id] = tt[i].s;
}

void in_run(Interp *in) {
  Net *n = in->net;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead) continue;
    in_run_layer(in, l);
    if (in->hook) in->hook(in->hook_ctx, in, l);
  }
}
