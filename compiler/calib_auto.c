/* calib_auto.c - `--calibration_method auto`: thresholds chosen by the
 * error measured at the net's outputs (calib_auto.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_auto.h"
#include "interp.h"
#include "ir.h"
#include "loader.h"
#include "qsim.h"
#include "quant.h"
#include "stats.h"

const char *cba_method_name(CbMethod m) {
  return m == CB_ENTROPY ? "entropy" : m == CB_MAX ? "max" : m == CB_MSE ? "mse"
         : m == CB_PERCENTILE ? "percentile" : "auto";
}

int cba_default_sims(const Net *n, int nimg) {
  double macs = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (!n->layers[i]->dead) macs += (double)st_macs(n->layers[i]);
  double k = floor(CBA_MACS / ((macs > 1 ? macs : 1) * (nimg > 1 ? nimg : 1)));
  return k < CBA_SIMS ? (int)k : CBA_SIMS;
}

int cba_ref_init(CbaRef *r, Net *n, float *const *img, int nimg) {
  memset(r, 0, sizeof *r);
  Interp in = {0};
  if (n->ninput != 1 || in_init(&in, n)) return -1;
  r->nimg = nimg;
  r->nout = n->noutput;
  size_t tot = (size_t)nimg * (size_t)(n->noutput ? n->noutput : 1);
  r->out = cb_xcalloc(tot, sizeof *r->out);
  r->count = cb_xcalloc(tot, sizeof *r->count);
  for (int k = 0; k < nimg; k++) {
    in_set_input(&in, 0, img[k]);
    in_run(&in);
    for (int o = 0; o < n->noutput; o++) {
      const Blob *b = n->outputs[o];
      int64_t c = rt_shape_count(in_shape(&in, b));
      float *d = cb_xcalloc((size_t)(c ? c : 1), sizeof(float));
      memcpy(d, in_blob(&in, b), (size_t)c * sizeof(float));
      r->out[k * r->nout + o] = d;
      r->count[k * r->nout + o] = c;
    }
  }
  in_free(&in);
  return 0;
}

void cba_ref_free(CbaRef *r) {
  if (r->out)
    for (int i = 0; i < r->nimg * r->nout; i++) free(r->out[i]);
  free(r->out);
  free(r->count);
  memset(r, 0, sizeof *r);
}

FdOut *cba_measure(const char *path, const char *weights, const CbaRef *ref,
                   float *const *img, Net **qnet, int *nout) {
  FILE *quiet = fopen("/dev/null", "w"); /* its notes were printed once already */
  Diag dg;
  diag_init(&dg, quiet);
  const LdOpts own = {.no_pin_check = true}; /* quantize's own file */
  Net *q = ld_load_opts(path, weights, &own, &chai_arena, &dg);
  FdOut *fo = NULL;
  QsState *st = NULL;
  if (!q || q->ninput != 1 || q->noutput != ref->nout ||
      (q->inputs[0]->shape.nd > 0 && q->inputs[0]->shape.d[0] != 1 && ld_set_batch(q, 1)))
    goto done;
  QsNet *qn = qs_prepare(q, &dg);
  if (!qn || !(st = qs_state_new(qn))) goto done;
  fo = cb_xcalloc((size_t)q->noutput + 1, sizeof *fo);
  for (int i = 0; i < q->noutput; i++) {
    const Layer *p = q->outputs[i]->producer;
    fd_out_init(&fo[i], p && lk_is(p->kind, LKF_DETROWS), 0.5, 0);
  }
  for (int k = 0; k < ref->nimg; k++) {
    qs_set_input(st, 0, img[k]);
    qs_run(st);
    const Interp *qi = qs_interp(st);
    for (int i = 0; i < q->noutput; i++) {
      const Blob *b = q->outputs[i];
      fd_out_add(&fo[i], ref->out[k * ref->nout + i], ref->count[k * ref->nout + i],
                 in_blob(qi, b), rt_shape_count(in_shape(qi, b)));
    }
  }
  if (qnet) *qnet = q;
  *nout = q->noutput;
done:
  qs_state_free(st);
  if (quiet) fclose(quiet);
  return fo;
}

double cba_error(const FdOut *fo, int nout) {
  double e = 0;
  for (int i = 0; i < nout; i++) {
    const FdOut *o = &fo[i];
    double ei;
    if (o->det) ei = 1 - (fd_recall(&o->b) + fd_precision(&o->b)) / 2;
    else if (o->mismatch || isnan(o->t.ee)) ei = INFINITY;
    else if (o->t.rr > 0) ei = o->t.ee / o->t.rr;
    else ei = o->t.ee > 0 ? 1 : 0;
    e += ei;
  }
  return nout ? e / nout : 0;
}

/* ---- the search ---- */

/* Thresholds of every layer (th_in, th_out) as cb_assign left them, so a
 * candidate that changes nothing is not simulated. */
static void snapshot(const Net *n, float *th) {
  for (int i = 0; i < n->nlayer; i++) {
    const LayerQuant *q = n->layers[i]->q;
    th[2 * i] = q ? q->th_in : 0;
    th[2 * i + 1] = q ? q->th_out : 0;
  }
}

/* Assigns with p, writes the prototxt to tmp and measures it: the error,
 * or INFINITY when it does not run.  -2 (as a sentinel, never an error)
 * when the assignment equals `same` (nothing to simulate). */
static double try_assign(Net *n, const CbStats *st, const CbParams *p, const char *weights,
                         const CbaRef *ref, float *const *img, const char *tmp, float *cur,
                         const float *same, int *nsim) {
  if (cb_assign(n, st, p)) return INFINITY;
  snapshot(n, cur);
  if (same && !memcmp(cur, same, (size_t)n->nlayer * 2 * sizeof(float))) return -2;
  FILE *quiet = fopen("/dev/null", "w");
  Diag dg;
  diag_init(&dg, quiet);
  bool conv = false;
  int w = qt_write(n, tmp, &conv, &dg, NULL);
  if (quiet) fclose(quiet);
  if (w) return INFINITY;
  int nout = 0;
  FdOut *fo = cba_measure(tmp, weights, ref, img, NULL, &nout);
  ++*nsim;
  double e = fo ? cba_error(fo, nout) : INFINITY;
  free(fo);
  return e;
}

typedef struct Cand {
  int blob;
  double spread; /* log(max / min) of the candidates' thresholds */
} Cand;

static int cmp_cand(const void *a, const void *b) {
  const Cand *x = a, *y = b;
  if (x->spread != y->spread) return x->spread > y->spread ? -1 : 1;
  return x->blob - y->blob;
}

/* Method m's threshold of blob id, through p->th_cache. */
static double cached(const CbParams *p, const CbStats *st, CbMethod m, int id, int nb) {
  double *c = &p->th_cache[(size_t)m * (size_t)nb + (size_t)id];
  if (isnan(*c)) *c = cb_blob_threshold(&st->blob[id], m, p);
  return *c;
}

static const CbMethod order[4] = {CB_ENTROPY, CB_MSE, CB_PERCENTILE, CB_MAX};

int cba_choose(Net *n, const CbStats *st, CbParams *p, const char *weights,
               const CbaRef *ref, float *const *img, const char *tmp, int sims,
               CbaResult *res) {
  memset(res, 0, sizeof *res);
  for (int k = 0; k < 4; k++) res->err_method[k] = -1;
  int nb = n->nblob;
  signed char *bm = malloc((size_t)nb + 1);
  if (!bm) abort();
  memset(bm, -1, (size_t)nb + 1);
  res->blob_method = bm;
  /* every method's thresholds, computed once per blob (cb_assign fills
   * them; the same values as without the cache) */
  double *cache = cb_xcalloc((size_t)nb * 4 + 1, sizeof(double));
  for (size_t i = 0; i < (size_t)nb * 4; i++) cache[i] = NAN;
  p->th_cache = cache;
  float *cur = cb_xcalloc((size_t)n->nlayer * 2 + 1, sizeof(float));
  float *best = cb_xcalloc((size_t)n->nlayer * 2 + 1, sizeof(float));
  p->blob_method = NULL;
  /* 1. one method for the whole net (ties: the earlier in `order`) */
  CbMethod fallback = cb_method(p); /* the fixed rule, if nothing runs */
  double be = INFINITY;
  CbMethod bmeth = fallback;
  for (int k = 0; k < 4; k++) {
    p->method = order[k];
    double e = try_assign(n, st, p, weights, ref, img, tmp, cur, NULL, &res->nsim);
    res->err_method[order[k]] = e;
    if (e < be) be = e, bmeth = order[k];
  }
  p->method = bmeth;
  res->net_method = bmeth;
  /* 2. per tensor: the canonical outputs of the calibrated layers, those
   * whose candidate thresholds differ most first */
  Layer **cons = cb_consumers(n);
  Cand *cd = cb_xcalloc((size_t)nb + 1, sizeof *cd);
  bool *seen = cb_xcalloc((size_t)nb + 1, sizeof *seen);
  int nc = 0;
  if (cb_assign(n, st, p)) goto fail;
  snapshot(n, best);
  for (int i = 0; i < n->nlayer && sims > 0; i++) {
    const Layer *l = n->layers[i];
    if (!l->q || lk_is(l->kind, LKF_SOURCE) || l->ntop < 1) continue;
    int id = cb_canon(l->top[0], cons)->id;
    if (seen[id] || id >= st->nblob || !st->blob[id].hist) continue;
    seen[id] = true;
    double lo = INFINITY, hi = 0;
    for (int k = 0; k < 4; k++) {
      double t = cached(p, st, order[k], id, nb);
      if (!(t > 0) || !isfinite(t)) continue;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    if (hi > lo) cd[nc++] = (Cand){id, log(hi / lo)};
  }
  qsort(cd, (size_t)nc, sizeof *cd, cmp_cand);
  p->blob_method = bm;
  int budget = sims;
  for (int c = 0; c < nc && budget > 0; c++) {
    int id = cd[c].blob;
    bool tried = false;
    CbMethod now = bm[id] >= 0 ? (CbMethod)bm[id] : bmeth;
    double tnow = cached(p, st, now, id, nb);
    for (int k = 0; k < 4 && budget > 0; k++) {
      if (order[k] == now) continue;
      double t = cached(p, st, order[k], id, nb);
      if ((float)t == (float)tnow) continue;
      signed char keep = bm[id];
      bm[id] = (signed char)order[k];
      int before = res->nsim;
      double e = try_assign(n, st, p, weights, ref, img, tmp, cur, best, &res->nsim);
      budget -= res->nsim - before;
      tried |= res->nsim > before;
      if (e >= 0 && e < be) {
        be = e;
        memcpy(best, cur, (size_t)n->nlayer * 2 * sizeof(float));
        now = order[k];
        tnow = t;
      } else {
        bm[id] = keep;
      }
    }
    res->ntried += tried;
  }
  for (int i = 0; i < nb; i++) res->nchanged += bm[i] >= 0 && bm[i] != (signed char)bmeth;
  res->err = be;
  /* leave the chosen assignment in place */
  if (cb_assign(n, st, p)) goto fail;
  free(cur), free(best), free(cd), free(seen), free(cache);
  p->th_cache = NULL;
  remove(tmp);
  return 0;
fail:
  free(cur), free(best), free(cd), free(seen), free(cache);
  p->th_cache = NULL;
  remove(tmp);
  return -1;
}
