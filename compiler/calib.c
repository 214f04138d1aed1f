/* calib.c - per-layer quantization from the calibration statistics (see
 * calib.h and docs/quantization.md): weight ranges, the threshold rules
 * and the formats they give.  The statistics themselves are collected by
 * calib_collect.c. */
#include "calib.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"
#include "constfold.h"

void *cb_xcalloc(size_t n, size_t sz) {
  if (sz == 0) sz = 1;
  if (n == 0) n = 1;
  void *p = n <= PTRDIFF_MAX / sz ? calloc(n, sz) : NULL;
  if (!p) {
    fprintf(stderr, "chaicc: fatal: out of memory (%zu x %zu bytes)\n", n, sz);
    exit(3);
  }
  return p;
}

/* ---- graph helpers ---- */

Layer **cb_consumers(const Net *n) {
  Layer **cons = ar_array(n->ar, (size_t)n->nblob + 1, sizeof(Layer *));
  int *cnt = ar_array(n->ar, (size_t)n->nblob + 1, sizeof(int));
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int b = 0; b < l->nbottom; b++) {
      if (!l->bottom[b]) continue;
      int id = l->bottom[b]->id;
      if (cnt[id]++ == 0) cons[id] = l;
      else cons[id] = NULL;
    }
  }
  return cons;
}

/* True when c is a per-channel affine the graph passes can fold (the
 * condition of passes.c: a BN of the SegNet fork in LEARN mode is an
 * LKF_AFFINE kind but no affine, affine_channels -1). */
static bool foldable_affine(const Layer *c) {
  return lk_is(c->kind, LKF_AFFINE) && c->nbottom == 1 && c->bottom[0] &&
         c->bottom[0]->shape.nd >= 2 && lk_ops(c)->affine_channels(c) >= 0;
}

/* True when b is the output of a (de)convolution or InnerProduct, or of a
 * BatchNorm/Scale chain hanging off one (single consumers throughout):
 * the graph passes fold such a chain into the convolution. */
static bool in_fold_chain(const Blob *b, Layer *const *cons) {
  const Layer *p = b->producer;
  while (p && foldable_affine(p) &&
         p->bottom[0] && cons[p->bottom[0]->id] == p)
    p = p->bottom[0]->producer;
  return p && lk_is(p->kind, LKF_MAC);
}

const Blob *cb_canon(const Blob *b, Layer *const *cons) {
  bool fold = in_fold_chain(b, cons);
  for (;;) {
    Layer *c = cons[b->id];
    if (!c || c->nbottom != 1 || c->ntop != 1) break;
    if (c->kind == LK_RELU) fold = false;
    else if (!(fold && foldable_affine(c))) break;
    b = c->top[0];
  }
  return b;
}

/* Per output channel factor |k| of the BatchNorm/Scale chain right after
 * l (the graph passes fold it into l's weights): f[0..nout). */
static void fold_factors(const Layer *l, Layer *const *cons, double *f,
                         int nout) {
  for (int i = 0; i < nout; i++) f[i] = 1;
  const Blob *b = l->top[0];
  for (;;) {
    Layer *c = cons[b->id];
    if (!c || c->nbottom != 1 || c->ntop != 1 || !foldable_affine(c)) break;
    lk_ops(c)->fold_factor(c, f, nout);
    b = c->top[0];
  }
}

/* Calls fn(ctx, o, values, count) for every output channel o of l's
 * weights: the kind's each_out, else nout consecutive rows of blob 0. */
static void each_channel(const Layer *l, int nout,
                         void (*fn)(void *, int, const float *, int64_t),
                         void *ctx) {
  if (lk_ops(l)->each_out) {
    lk_ops(l)->each_out(l, nout, fn, ctx);
    return;
  }
  const rt_tensor *w = &l->weight[0].t;
  int64_t cnt = rt_shape_count(&w->s);
  int64_t per = nout ? cnt / nout : 0;
  for (int o = 0; o < nout; o++) fn(ctx, o, w->d + o * per, per);
}

typedef struct WCtx {
  double *out, *f;
  CbWMethod m;
  int bw;
} WCtx;

static void channel_th(void *ctx, int o, const float *w, int64_t n) {
  WCtx *c = ctx;
  if (c->m == CB_WMSE) {
    c->out[o] = cb_weight_mse_clip(w, n, c->f[o], c->bw);
    return;
  }
  double m = 0;
  for (int64_t t = 0; t < n; t++)
    if (fabs((double)w[t]) > m) m = fabs((double)w[t]);
  c->out[o] = m * c->f[o];
}

void cb_weight_thresholds(const Net *n, const Layer *l, Layer *const *cons,
                          CbWMethod m, int bw, double *out, int nout) {
  (void)n;
  for (int i = 0; i < nout; i++) out[i] = 0;
  if (l->nweight < 1 || !l->weight[0].loaded || nout < 1) return;
  double *f = cb_xcalloc((size_t)nout, sizeof(double));
  fold_factors(l, cons, f, nout);
  WCtx c = {out, f, m, bw};
  each_channel(l, nout, channel_th, &c);
  free(f);
}

void cb_weight_range(const Net *n, const Layer *l, Layer *const *cons,
                     double *out, int nout) {
  cb_weight_thresholds(n, l, cons, CB_WMAX, 8, out, nout);
}

double cb_weight_mse_clip(const float *w, int64_t n, double mul, int bw) {
  double mx = 0;
  for (int64_t t = 0; t < n; t++)
    if (fabs((double)w[t] * mul) > mx) mx = fabs((double)w[t] * mul);
  if (!(mx > 0) || !isfinite(mx)) return mx;
  double qmax = (double)rt_fx_qmax(bw), best = mx, beste = INFINITY;
  for (int k = CB_WCLIPS; k >= 1; k--) {
    double c = mx * k / CB_WCLIPS, s = c / qmax, e = 0;
    for (int64_t t = 0; t < n; t++) {
      double v = (double)w[t] * mul, q = round(v / s);
      if (q > qmax) q = qmax;
      else if (q < -qmax) q = -qmax;
      e += (v - q * s) * (v - q * s);
    }
    if (e < beste) {
      beste = e;
      best = c;
    }
  }
  return best;
}

/* ---- threshold rules ---- */

double cb_percentile_threshold(const uint64_t *h, int nb, double maxabs,
                               double p) {
  uint64_t tot = 0;
  for (int i = 0; i < nb; i++) tot += h[i];
  if (tot == 0 || !(maxabs > 0)) return 1;
  double want = p / 100.0 * (double)tot, cum = 0;
  for (int i = 0; i < nb; i++) {
    cum += (double)h[i];
    if (cum >= want) return maxabs * (i + 1) / nb;
  }
  return maxabs;
}

double cb_mse_threshold(const uint64_t *h, int nb, double maxabs, int bw) {
  uint64_t tot = 0;
  for (int i = 0; i < nb; i++) tot += h[i];
  if (tot == 0 || !(maxabs > 0)) return 1;
  double w = maxabs / nb, qmax = (double)rt_fx_qmax(bw);
  /* suffix sums of h, h v, h v^2 (clipped part) and prefix sums of h v^2
   * (values rounded to zero) */
  double *s0 = cb_xcalloc((size_t)nb + 1, sizeof(double));
  double *s1 = cb_xcalloc((size_t)nb + 1, sizeof(double));
  double *s2 = cb_xcalloc((size_t)nb + 1, sizeof(double));
  double *p2 = cb_xcalloc((size_t)nb + 1, sizeof(double));
  double *p0 = cb_xcalloc((size_t)nb + 1, sizeof(double));
  for (int k = nb - 1; k >= 0; k--) {
    double v = (k + 0.5) * w, c = (double)h[k];
    s0[k] = s0[k + 1] + c;
    s1[k] = s1[k + 1] + c * v;
    s2[k] = s2[k + 1] + c * v * v;
  }
  for (int k = 0; k < nb; k++) {
    double v = (k + 0.5) * w, c = (double)h[k];
    p0[k + 1] = p0[k] + c;
    p2[k + 1] = p2[k] + c * v * v;
  }
  int best = nb;
  double beste = INFINITY;
  for (int i = 1; i <= nb; i++) {
    double t = i * w, s = t / qmax;
    /* bins k < z have centre below s/2: rounded to zero */
    int z = (int)ceil(s / 2 / w - 0.5);
    if (z < 0) z = 0;
    if (z > i) z = i;
    double e = s2[i] - 2 * t * s1[i] + t * t * s0[i] + p2[z] +
               (p0[i] - p0[z]) * s * s / 12;
    if (e < beste * (1 - 1e-12)) {
      beste = e;
      best = i;
    }
  }
  free(s0);
  free(s1);
  free(s2);
  free(p2);
  free(p0);
  return maxabs * best / nb;
}

/* Moves eps of mass onto each zero entry of d[0..n) (normalized), taking
 * it evenly from the non-zero entries.  -1 if that would make one <= 0. */
static int smooth(double *d, int n, double eps) {
  int nz = 0;
  for (int i = 0; i < n; i++) nz += d[i] == 0;
  int nnz = n - nz;
  if (nnz == 0) return -1;
  double take = eps * nz / nnz;
  for (int i = 0; i < n; i++) {
    if (d[i] == 0) d[i] = eps;
    else if ((d[i] -= take) <= 0) return -1;
  }
  return 0;
}

double cb_entropy_threshold(const uint64_t *h, int nb, double maxabs, int bw) {
  int L = 1 << (bw - 1); /* levels 0 .. 2^(bw-1)-1 on one side */
  uint64_t tot = 0;
  for (int i = 0; i < nb; i++) tot += h[i];
  if (tot == 0 || !(maxabs > 0)) return 1;
  if (L >= nb) return maxabs;
  double *P = cb_xcalloc((size_t)nb, sizeof(double));
  double *Q = cb_xcalloc((size_t)nb, sizeof(double));
  int best = nb;
  double bestkl = INFINITY;
  double tail = 0; /* sum of h[i..nb) for the current i, from the top */
  double *suffix = cb_xcalloc((size_t)nb + 1, sizeof(double));
  for (int i = nb - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + (double)h[i];
  for (int i = L; i <= nb; i++) {
    tail = suffix[i];
    /* Never clip the larger part of the values: with no mass near zero
     * (logits of a confident head) every clipped histogram looks alike
     * and the KL minimum lands below the data. */
    if (2 * tail > (double)tot) continue;
    double psum = 0;
    for (int j = 0; j < i; j++) P[j] = (double)h[j];
    P[i - 1] += tail;
    /* Q: i bins merged into L groups, each group's mass spread evenly over
     * its bins that are non-zero in the clipped histogram. */
    for (int k = 0; k < L; k++) {
      int a = (int)((int64_t)k * i / L), z = (int)((int64_t)(k + 1) * i / L);
      double m = 0;
      int nzb = 0;
      for (int j = a; j < z; j++) {
        m += (double)h[j];
        nzb += h[j] != 0;
      }
      for (int j = a; j < z; j++) Q[j] = h[j] != 0 && nzb ? m / nzb : 0;
    }
    double qsum = 0;
    for (int j = 0; j < i; j++) {
      psum += P[j];
      qsum += Q[j];
    }
    if (psum <= 0 || qsum <= 0) continue;
    for (int j = 0; j < i; j++) {
      P[j] /= psum;
      Q[j] /= qsum;
    }
    if (smooth(P, i, 1e-4) || smooth(Q, i, 1e-4)) continue;
    double kl = 0;
    for (int j = 0; j < i; j++) kl += P[j] * log(P[j] / Q[j]);
    if (kl < bestkl - 1e-12) {
      bestkl = kl;
      best = i;
    }
  }
  free(P);
  free(Q);
  free(suffix);
  return maxabs * best / nb;
}

int cb_ristretto_fl(double maxabs, int bw, bool weights) {
  int fl;
  if (!(maxabs > 0) || !isfinite(maxabs)) {
    fl = bw - 1;
  } else {
    int il = (int)ceil(log2(maxabs)) + (weights ? 1 : 0);
    fl = bw - il;
  }
  return fl < -64 ? -64 : fl > 64 ? 64 : fl;
}

double cb_out_range(const LayerQuant *q) {
  if (q->mode == QM_XILINX) return q->th_out;
  return ldexp((double)rt_fx_qmax(q->bw_out), -q->fl_out);
}

/* ---- assigning formats ---- */

static float pos_th(double t) {
  float f = (float)t;
  return isfinite(f) && f > 0 ? f : 1.0f;
}

static double blob_max(const CbStats *st, const Blob *b) {
  return st && b->id < st->nblob ? st->blob[b->id].maxabs : 0;
}

/* max |x| over a weight blob's values scaled by 1/factor (BatchNorm mean
 * and variance are stored times the moving-average factor). */
static double wmax(const Layer *l, int k, double mul) {
  if (l->nweight <= k || !l->weight[k].loaded) return 0;
  const rt_tensor *t = &l->weight[k].t;
  double m = 0;
  for (int64_t i = 0; i < rt_shape_count(&t->s); i++)
    if (fabs(t->d[i] * mul) > m) m = fabs(t->d[i] * mul);
  return m;
}

/* DynamicFixed BatchNorm / Scale extra fields. */
static void dfixed_extras(const Net *n, Layer *l, const CbParams *p,
                          LayerQuant *q) {
  int bw = p->bw_params;
  if (l->kind == LK_BN) {
    double f = 1;
    if (l->nweight >= 3 && l->weight[2].loaded && l->weight[2].t.d[0] != 0)
      f = 1.0 / l->weight[2].t.d[0];
    q->bn_mean_bw = q->bn_var_bw = bw;
    q->bn_mean_fl = p->fl_auto ? cb_ristretto_fl(wmax(l, 0, f), bw, true) : p->fl_params;
    q->bn_var_fl = p->fl_auto ? cb_ristretto_fl(wmax(l, 1, f), bw, true) : p->fl_params;
  } else if (l->kind == LK_SCALE) {
    q->sc_gamma_bw = q->sc_beta_bw = q->sc_gamma_by_std_bw = bw;
    if (!p->fl_auto) {
      q->sc_gamma_fl = q->sc_beta_fl = q->sc_gamma_by_std_fl = p->fl_params;
      return;
    }
    bool one = l->nbottom == 1;
    double g = one ? wmax(l, 0, 1) : 0;
    double b = l->p.scale.bias_term ? wmax(l, one ? 1 : 0, 1) : 0;
    q->sc_gamma_fl = cb_ristretto_fl(g, bw, true);
    q->sc_beta_fl = cb_ristretto_fl(b, bw, true);
    /* gamma / sqrt(var + eps) when a BatchNorm feeds this Scale */
    double gs = g;
    const Blob *in = l->bottom[0];
    const Layer *bn = in ? in->producer : NULL;
    if (one && bn && bn->kind == LK_BN && bn->nweight >= 3 &&
        bn->weight[1].loaded && bn->weight[2].loaded && l->weight[0].loaded) {
      int64_t nc = rt_shape_count(&bn->weight[1].t.s);
      int64_t ng = rt_shape_count(&l->weight[0].t.s);
      double fac = bn->weight[2].t.d[0] == 0 ? 0 : 1.0 / bn->weight[2].t.d[0];
      gs = 0;
      for (int64_t c = 0; c < nc; c++) {
        double var = bn->weight[1].t.d[c] * fac;
        double gm = l->weight[0].t.d[ng == nc ? c : 0];
        double v = fabs(gm / sqrt(var + bn->p.bn.eps));
        if (v > gs) gs = v;
      }
    }
    q->sc_gamma_by_std_fl = cb_ristretto_fl(gs, bw, true);
  }
  (void)n;
}

/* Thresholds of the canonical blobs, one blob per task (each result
 * depends on its blob only, so any thread count gives the same). */
typedef struct ThJob {
  Net *n;
  const CbStats *st;
  const CbParams *p;
  const Blob **canon;
  const bool *method;
  double *th;
  int next;
  pthread_mutex_t mu;
} ThJob;

CbMethod cb_method(const CbParams *p) {
  if (p->method != CB_AUTO) return p->method;
  return p->bw_out <= 6 ? CB_MSE : CB_ENTROPY;
}

double cb_blob_threshold(const CbBlob *cb, CbMethod m, const CbParams *p) {
  if (m == CB_MAX || !cb->hist) return cb->maxabs;
  return m == CB_ENTROPY ? cb_entropy_threshold(cb->hist, CB_NBINS, cb->maxabs, p->bw_out)
         : m == CB_MSE   ? cb_mse_threshold(cb->hist, CB_NBINS, cb->maxabs, p->bw_out)
                         : cb_percentile_threshold(cb->hist, CB_NBINS, cb->maxabs, p->percentile);
}

static void *th_work(void *arg) {
  ThJob *j = arg;
  const CbParams *p = j->p;
  CbMethod m = cb_method(p);
  for (;;) {
    pthread_mutex_lock(&j->mu);
    int i = j->next < j->n->nblob ? j->next++ : -1;
    pthread_mutex_unlock(&j->mu);
    if (i < 0) return NULL;
    if (j->canon[i]->id != i) continue;
    const CbBlob *cb = j->st ? &j->st->blob[i] : NULL;
    CbMethod mi = p->blob_method && p->blob_method[i] >= 0 ? (CbMethod)p->blob_method[i] : m;
    double t = cb ? cb->maxabs : 1;
    if (cb && j->method[i]) {
      double *c = p->th_cache ? &p->th_cache[(size_t)mi * (size_t)j->n->nblob + (size_t)i] : NULL;
      if (c && !isnan(*c)) t = *c;
      else if (c) t = *c = cb_blob_threshold(cb, mi, p);
      else t = cb_blob_threshold(cb, mi, p);
    }
    j->th[i] = pos_th(t);
  }
}

static int clamp_fl(int fl) { return fl < -64 ? -64 : fl > 64 ? 64 : fl; }

/* Squared error of quantizing the histogram's values with bw bits and
 * fractional length fl: (v - c)^2 beyond the largest code c, else the
 * rounding error (v^2 below half a step, s^2/12 above), v = bin centre. */
static double fl_sse(const CbBlob *b, int bw, int fl) {
  double s = ldexp(1.0, -fl), c = (double)rt_fx_qmax(bw) * s;
  double w = b->maxabs / CB_NBINS, e = 0;
  for (int k = 0; k < CB_NBINS; k++) {
    if (!b->hist[k]) continue;
    double v = (k + 0.5) * w;
    double d = v > c ? (v - c) * (v - c) : v < s / 2 ? v * v : s * s / 12;
    e += (double)b->hist[k] * d;
  }
  return e;
}

/* fl of an activation tensor: Ristretto's rule minus the headroom; with
 * headroom auto (< 0), 0 or 1 bit, whichever gives the smaller squared
 * error on the calibration histogram (ties: Ristretto's). */
static int act_fl(const CbStats *st, const Blob *b, int bw, int headroom) {
  int f0 = cb_ristretto_fl(blob_max(st, b), bw, false);
  if (headroom >= 0) return clamp_fl(f0 - headroom);
  const CbBlob *cb = st && b->id < st->nblob ? &st->blob[b->id] : NULL;
  if (!cb || !cb->hist || !(cb->maxabs > 0)) return clamp_fl(f0 - 1);
  return clamp_fl(fl_sse(cb, bw, f0 - 1) < fl_sse(cb, bw, f0) ? f0 - 1 : f0);
}

/* True when a live Concat (or, with elt_shared, Eltwise) reads blob c
 * (canonical) through one of its bottoms. */
static bool read_by_merge(const Net *n, Layer *const *cons, const Blob *c, bool elt_shared) {
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->dead || !(l->kind == LK_CONCAT || (elt_shared && l->kind == LK_ELTWISE))) continue;
    for (int b = 0; b < l->nbottom; b++)
      if (l->bottom[b] && cb_canon(l->bottom[b], cons) == c) return true;
  }
  return false;
}

unsigned char *cb_scale_kept(const Net *n, Layer *const *cons, const bool *cst, bool elt_shared,
                             int nid) {
  unsigned char *kept = ar_array(n->ar, (size_t)nid + 1, 1);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    const LayerOps *ops = lk_ops(l);
    if (l->dead || !ops->keeps_scale || !ops->keeps_scale(l) || l->id >= nid ||
        !l->bottom[0] || !l->top[0] || ir_blob_is_index(l->bottom[0]) ||
        (cst && cf_layer_const(l, cst)))
      continue;
    if (cons[l->bottom[0]->id] == l) kept[l->id] = CB_KEEP_BACK;
    else if (!read_by_merge(n, cons, cb_canon(l->top[0], cons), elt_shared))
      kept[l->id] = CB_KEEP_FWD;
  }
  return kept;
}

int cb_assign(Net *n, const CbStats *st, const CbParams *p) {
  int nb = n->nblob;
  Layer **cons = cb_consumers(n);
  const Blob **canon = ar_array(n->ar, (size_t)nb + 1, sizeof(Blob *));
  for (int i = 0; i < nb; i++) canon[i] = cb_canon(n->blobs[i], cons);
  /* Xilinx: one threshold per canonical blob. */
  double *th = ar_array(n->ar, (size_t)nb + 1, sizeof(double));
  bool *method = ar_array(n->ar, (size_t)nb + 1, sizeof(bool));
  /* constant tensors (PriorBox and data movement of its output) stay
   * float: their layers get no precision_param (constfold.h) */
  const bool *cst = cf_mark(n, n->ar);
  /* fmt[blob id]: the canonical blob whose statistics and scale it takes:
   * itself, or across a layer that keeps its scale (cb_scale_kept) the
   * other side's; bottoms from tops in reverse layer order, then tops
   * from bottoms, so chains resolve */
  int nid = ir_layer_ids(n);
  const unsigned char *kept = cb_scale_kept(n, cons, cst, p->eltwise == CB_ELT_SHARED, nid);
  const Blob **fmt = ar_array(n->ar, (size_t)nb + 1, sizeof(Blob *));
  for (int i = 0; i < nb; i++) fmt[i] = canon[i];
  for (int i = n->nlayer - 1; i >= 0; i--) {
    const Layer *l = n->layers[i];
    if (kept[l->id] == CB_KEEP_BACK)
      fmt[canon[l->bottom[0]->id]->id] = fmt[canon[l->top[0]->id]->id];
  }
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (kept[l->id] == CB_KEEP_FWD)
      fmt[canon[l->top[0]->id]->id] = fmt[canon[l->bottom[0]->id]->id];
  }
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead || lk_is(l->kind, LKF_SOURCE) || !qt_kind_has_precision(l->kind, p->mode) ||
        cf_layer_const(l, cst))
      continue;
    for (int t = 0; t < l->ntop; t++) method[canon[l->top[t]->id]->id] = true;
  }
  if (p->mode == QM_XILINX) {
    ThJob tj = {n, st, p, canon, method, th, 0, PTHREAD_MUTEX_INITIALIZER};
    int T = p->threads < 1 ? 1 : p->threads > 64 ? 64 : p->threads;
    pthread_t tid[64];
    int started = 1;
    for (int t = 1; t < T; t++) {
      if (pthread_create(&tid[t], NULL, th_work, &tj) != 0) break;
      started++;
    }
    th_work(&tj);
    for (int t = 1; t < started; t++) pthread_join(tid[t], NULL);
    /* Eltwise inputs share the largest of their thresholds (repeated until
     * stable: a blob may feed several Eltwise layers; values only grow). */
    for (bool changed = p->eltwise == CB_ELT_SHARED; changed;) {
      changed = false;
      for (int i = 0; i < n->nlayer; i++) {
        Layer *l = n->layers[i];
        if (l->dead || l->kind != LK_ELTWISE) continue;
        double t = 0;
        for (int b = 0; b < l->nbottom; b++)
          if (l->bottom[b] && th[canon[l->bottom[b]->id]->id] > t)
            t = th[canon[l->bottom[b]->id]->id];
        for (int b = 0; b < l->nbottom; b++)
          if (l->bottom[b] && th[canon[l->bottom[b]->id]->id] != t) {
            th[canon[l->bottom[b]->id]->id] = t;
            changed = true;
          }
      }
    }
    /* Concat inputs take the Concat output's threshold, and the bottom of
     * a CB_KEEP_BACK layer its top's (outer first: a Concat's output or a
     * pool's top is final before its inputs are set); then a CB_KEEP_FWD
     * layer's top takes its bottom's, in layer order. */
    for (int i = n->nlayer - 1; i >= 0; i--) {
      Layer *l = n->layers[i];
      if (l->dead || l->ntop < 1) continue;
      if (kept[l->id] == CB_KEEP_BACK) {
        th[canon[l->bottom[0]->id]->id] = th[canon[l->top[0]->id]->id];
        continue;
      }
      if (l->kind != LK_CONCAT || cf_layer_const(l, cst)) continue;
      double t = th[canon[l->top[0]->id]->id];
      for (int b = 0; b < l->nbottom; b++)
        if (l->bottom[b]) th[canon[l->bottom[b]->id]->id] = t;
    }
    for (int i = 0; i < n->nlayer; i++) {
      const Layer *l = n->layers[i];
      if (kept[l->id] == CB_KEEP_FWD) th[canon[l->top[0]->id]->id] = th[canon[l->bottom[0]->id]->id];
    }
  }
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    l->q = NULL;
    if (l->dead || !qt_kind_has_precision(l->kind, p->mode) || l->ntop < 1 ||
        cf_layer_const(l, cst))
      continue;
    LayerQuant *q = ar_alloc(n->ar, sizeof *q);
    q->mode = p->mode;
    q->loc = l->loc;
    q->bw_in = p->bw_in;
    q->bw_out = p->bw_out;
    const Blob *out = canon[l->top[0]->id];
    bool wts = qt_kind_needs_params(l->kind, p->mode);
    int nc = qt_out_channels(l);
    double *wr = NULL;
    if (wts) {
      wr = ar_array(n->ar, (size_t)nc + 1, sizeof(double));
      cb_weight_thresholds(n, l, cons,
                           p->mode == QM_XILINX ? p->wmethod : CB_WMAX,
                           p->bw_params, wr, nc);
      q->bw_params = p->bw_params;
    }
    if (p->mode == QM_XILINX) {
      q->th_out = (float)th[out->id];
      double tin = 0;
      for (int b = 0; b < l->nbottom; b++)
        if (l->bottom[b] && !ir_blob_is_index(l->bottom[b]) &&
            th[canon[l->bottom[b]->id]->id] > tin)
          tin = th[canon[l->bottom[b]->id]->id];
      q->th_in = l->nbottom ? pos_th(tin) : q->th_out;
      if (wts) {
        q->nth = nc;
        q->th_params = ar_array(n->ar, (size_t)nc + 1, sizeof(float));
        for (int c = 0; c < nc; c++) q->th_params[c] = pos_th(wr[c]);
      }
    } else {
      if (p->fl_auto) {
        q->fl_out = act_fl(st, fmt[out->id], p->bw_out, p->fl_headroom);
        int fin = 64;
        for (int b = 0; b < l->nbottom; b++) {
          if (!l->bottom[b] || ir_blob_is_index(l->bottom[b])) continue;
          int f = act_fl(st, fmt[canon[l->bottom[b]->id]->id], p->bw_in, p->fl_headroom);
          if (f < fin) fin = f;
        }
        q->fl_in = l->nbottom ? fin : q->fl_out;
        if (wts) {
          double m = 0;
          for (int c = 0; c < nc; c++)
            if (wr[c] > m) m = wr[c];
          q->fl_params = cb_ristretto_fl(m, p->bw_params, true);
        }
      } else {
        q->fl_in = p->fl_in;
        q->fl_out = p->fl_out;
        if (wts) q->fl_params = p->fl_params;
      }
      dfixed_extras(n, l, p, q);
    }
    l->q = q;
  }
  return 0;
}
