/* calib_bc.c - bias correction and the corrected caffemodel (calib_bc.h). */
#define _POSIX_C_SOURCE 200809L
#include "calib_bc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"
#include "caffe.pb-c.h"
#include "interp.h"

/* One corrected layer: the sums over images of the mean input patch,
 * m[(ci * kh + ky) * kw + kx] = mean over output positions of the input
 * value under kernel tap (ky, kx) of input channel ci (0 in padding). */
typedef struct BcAcc {
  double *m;
  int n; /* images seen */
} BcAcc;

typedef struct BcCtx {
  Net *n;
  BcAcc *acc; /* per layer id; m NULL for layers not corrected */
} BcCtx;

/* True for a live, loaded Convolution in NCHW (axis 1, 4-d bottom). */
static bool target(const Layer *l) {
  return !l->dead && l->kind == LK_CONV && l->nweight >= 1 && l->weight[0].loaded &&
         l->p.conv.axis == 1 && l->bottom[0] && l->bottom[0]->shape.nd == 4;
}

/* Adds the mean input patch of conv l's float input x (C x H x W) to a. */
static void patch_means(const Layer *l, const float *x, const rt_shape *s, BcAcc *a) {
  const rt_conv_param *p = &l->p.conv;
  int C = (int)s->d[1], H = (int)s->d[2], W = (int)s->d[3];
  int OH = (H + 2 * p->ph - (p->dh * (p->kh - 1) + 1)) / p->sh + 1;
  int OW = (W + 2 * p->pw - (p->dw * (p->kw - 1) + 1)) / p->sw + 1;
  if (OH <= 0 || OW <= 0) return;
  double inv = 1.0 / ((double)OH * OW);
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < p->kh; ky++)
      for (int kx = 0; kx < p->kw; kx++) {
        double sum = 0;
        for (int oy = 0; oy < OH; oy++) {
          int iy = oy * p->sh - p->ph + ky * p->dh;
          if (iy < 0 || iy >= H) continue;
          const float *row = x + ((int64_t)c * H + iy) * W;
          for (int ox = 0; ox < OW; ox++) {
            int ix = ox * p->sw - p->pw + kx * p->dw;
            if (ix >= 0 && ix < W) sum += row[ix];
          }
        }
        a->m[((int64_t)c * p->kh + ky) * p->kw + kx] += sum * inv;
      }
  a->n++;
}

static void hook(void *ctx, Interp *in, Layer *l) {
  BcCtx *c = ctx;
  BcAcc *a = &c->acc[l->id];
  if (!a->m) return;
  const Blob *b = l->bottom[0];
  patch_means(l, in_blob(in, b), in_shape(in, b), a);
}

/* Where the correction of conv l goes: its bias (*kind 0), the mean blob
 * of the BatchNorm consuming its top alone (1), or the beta of such a
 * Scale with a bias (2); -1: nowhere.  *aff gets the BatchNorm/Scale. */
static int sink(const Layer *l, Layer *const *cons, Layer **aff) {
  *aff = NULL;
  if (l->p.conv.bias_term && l->nweight >= 2 && l->weight[1].loaded) return 0;
  Layer *c = cons[l->top[0]->id];
  if (!c || c->nbottom != 1 || c->ntop != 1 || c->bottom[0] != l->top[0]) return -1;
  *aff = c;
  if (c->kind == LK_BN && c->nweight >= 3 && c->weight[0].loaded && c->weight[2].loaded &&
      c->weight[2].t.d[0] != 0)
    return 1;
  if (c->kind == LK_SCALE && c->nweight >= 2 && c->weight[0].loaded && c->weight[1].loaded)
    return 2;
  return -1;
}

/* The expected output shift of conv l from its weight quantization, per
 * output channel (in the convolution's own output units, before any
 * folded BatchNorm/Scale): d[o] = sum (deq(q(w |k|)) - w |k|) / |k| * m,
 * with |k| the folded factor and th[o] the channel's threshold. */
static void shift(const Layer *l, const double *k, const double *th, int bw,
                  const double *m, double *d) {
  const rt_conv_param *p = &l->p.conv;
  int nout = p->num_output, cin = (int)l->bottom[0]->shape.d[1];
  int cpg = cin / p->group, opg = nout / p->group, kk = p->kh * p->kw;
  double qmax = (double)rt_fx_qmax(bw);
  const float *w = l->weight[0].t.d;
  for (int o = 0; o < nout; o++) {
    d[o] = 0;
    if (!(th[o] > 0) || !(k[o] > 0)) continue;
    double s = th[o] / qmax;
    int g = o / opg;
    for (int j = 0; j < cpg * kk; j++) {
      double v = (double)w[(int64_t)o * cpg * kk + j] * k[o];
      double q = round(v / s);
      q = q > qmax ? qmax : q < -qmax ? -qmax : q;
      d[o] += (q * s - v) / k[o] * m[(int64_t)g * cpg * kk + j];
    }
  }
}

int cbc_correct(Net *n, float *const *img, int nimg, const CbParams *p, int *ncorr) {
  *ncorr = 0;
  Layer **cons = cb_consumers(n);
  BcCtx c = {n, cb_xcalloc((size_t)n->nlayer + 1, sizeof(BcAcc))};
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i], *aff;
    if (target(l) && sink(l, cons, &aff) >= 0)
      c.acc[l->id].m = cb_xcalloc((size_t)(l->bottom[0]->shape.d[1] * l->p.conv.kh * l->p.conv.kw),
                                  sizeof(double));
  }
  Interp in;
  int rc = in_init(&in, n);
  if (!rc) {
    in.hook = hook;
    in.hook_ctx = &c;
    for (int i = 0; i < nimg; i++) {
      in_set_input(&in, 0, img[i]);
      in_run(&in);
    }
    in_free(&in);
  }
  for (int i = 0; i < n->nlayer && !rc; i++) {
    Layer *l = n->layers[i], *aff;
    BcAcc *a = &c.acc[l->id];
    if (!a->m || !a->n) continue;
    int nout = l->p.conv.num_output, where = sink(l, cons, &aff);
    double *th = cb_xcalloc((size_t)nout, sizeof(double));
    double *k = cb_xcalloc((size_t)nout, sizeof(double));
    double *d = cb_xcalloc((size_t)nout, sizeof(double));
    /* |k| = folded threshold / unfolded threshold, both max |w| based */
    cb_weight_thresholds(n, l, cons, p->wmethod, p->bw_params, th, nout);
    cb_weight_range(n, l, cons, k, nout);
    int64_t per = rt_shape_count(&l->weight[0].t.s) / nout;
    for (int o = 0; o < nout; o++) {
      double mx = 0;
      for (int64_t j = 0; j < per; j++) mx = fmax(mx, fabs((double)l->weight[0].t.d[o * per + j]));
      k[o] = mx > 0 ? k[o] / mx : 0;
    }
    int64_t tot = rt_shape_count(&l->bottom[0]->shape) / l->bottom[0]->shape.d[2] /
                  l->bottom[0]->shape.d[3] * l->p.conv.kh * l->p.conv.kw;
    for (int64_t j = 0; j < tot; j++) a->m[j] /= a->n;
    shift(l, k, th, p->bw_params, a->m, d);
    for (int o = 0; o < nout; o++) {
      if (where == 0) l->weight[1].t.d[o] -= (float)d[o];
      else if (where == 1) aff->weight[0].t.d[o] += (float)(d[o] * aff->weight[2].t.d[0]);
      else aff->weight[1].t.d[o] -= (float)(d[o] * aff->weight[0].t.d[o]);
    }
    ++*ncorr;
    free(th);
    free(k);
    free(d);
  }
  for (int i = 0; i < n->nlayer; i++) free(c.acc[n->layers[i]->id].m);
  free(c.acc);
  return rc ? -1 : 0;
}

/* ---- writing a caffemodel ---- */

static int put_varint(FILE *f, uint64_t v) {
  do {
    int b = (int)(v & 0x7f);
    v >>= 7;
    if (fputc(v ? b | 0x80 : b, f) == EOF) return -1;
  } while (v);
  return 0;
}

/* Packs layer l's loaded blobs (up to the first missing one) as a
 * LayerParameter and writes it as NetParameter field 100. */
static int put_layer(FILE *f, const Layer *l) {
  Caffe__LayerParameter lp;
  caffe__layer_parameter__init(&lp);
  lp.name = (char *)l->name;
  lp.type = (char *)l->type;
  int nb = 0;
  while (nb < l->nweight && l->weight[nb].loaded) nb++;
  Caffe__BlobProto *bp = cb_xcalloc((size_t)nb + 1, sizeof *bp);
  Caffe__BlobProto **bpp = cb_xcalloc((size_t)nb + 1, sizeof *bpp);
  Caffe__BlobShape *bs = cb_xcalloc((size_t)nb + 1, sizeof *bs);
  int64_t *dims = cb_xcalloc((size_t)nb * RT_MAXDIM + 1, sizeof *dims);
  for (int k = 0; k < nb; k++) {
    const rt_tensor *t = &l->weight[k].t;
    caffe__blob_proto__init(&bp[k]);
    caffe__blob_shape__init(&bs[k]);
    for (int j = 0; j < t->s.nd; j++) dims[k * RT_MAXDIM + j] = t->s.d[j];
    bs[k].n_dim = (size_t)t->s.nd;
    bs[k].dim = dims + k * RT_MAXDIM;
    bp[k].shape = &bs[k];
    bp[k].n_data = (size_t)rt_shape_count(&t->s);
    bp[k].data = t->d;
    bpp[k] = &bp[k];
  }
  lp.n_blobs = (size_t)nb;
  lp.blobs = bpp;
  size_t sz = caffe__layer_parameter__get_packed_size(&lp);
  uint8_t *buf = cb_xcalloc(sz + 1, 1);
  caffe__layer_parameter__pack(&lp, buf);
  int rc = put_varint(f, (100u << 3) | 2) || put_varint(f, sz) || fwrite(buf, 1, sz, f) != sz
               ? -1 : 0;
  free(buf);
  free(bp);
  free(bpp);
  free(bs);
  free(dims);
  return rc;
}

int cm_write_weights(const Net *n, const char *path, Diag *dg) {
  size_t pl = strlen(path) + 8;
  char *tmp = cb_xcalloc(pl, 1);
  snprintf(tmp, pl, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  int rc = f ? 0 : -1;
  for (int i = 0; i < n->nlayer && !rc; i++) {
    const Layer *l = n->layers[i];
    if (l->nweight > 0 && l->weight[0].loaded) rc = put_layer(f, l);
  }
  if (f && fclose(f)) rc = -1;
  if (!rc && rename(tmp, path)) rc = -1;
  if (rc) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot write: %s", strerror(errno));
    if (f) remove(tmp);
  }
  free(tmp);
  return rc;
}
