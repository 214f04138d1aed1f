/* calib_collect.c - calibration statistics: the float interpreter run over
 * the calibration images by a pool of worker threads, recording max|x| and
 * histograms of every blob (cb_collect) or the noise of each blob's chosen
 * format (cb_measure), merged so that every result is identical for any
 * thread count (calib.h).  The threshold rules and format assignment that
 * use these statistics are calib.c. */
#include "calib.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"
#include "interp.h"

enum { PASS_MAX = 1, PASS_HIST = 2, PASS_MEASURE = 3 };

/* One pass over the images, shared by its workers: next, done and the
 * progress bar are taken under mu; the per image sums of PASS_MEASURE are
 * written only by the worker running that image. */
typedef struct Job {
  Net *n;
  float *const *img;
  int nimg, pass, next, done, threads;
  bool progress;
  CbStats *st;
  /* PASS_MEASURE: per blob id format (scale 0 = not measured), and the
   * per image sums, merged in image order afterwards */
  double *scale;
  int32_t *qmin, *qmax;
  double *isig, *inoise;
  uint64_t *isat;
  pthread_mutex_t mu;
} Job;

/* One worker's order-free statistics for the current pass (per blob id),
 * merged into the job's CbStats by run_pass once every image is done. */
typedef struct Worker {
  Job *j;
  int cur; /* image being run */
  double *max;
  uint64_t *cnt, *hist, *zeros;
  bool *seen;
  pthread_t th;
  int err;
} Worker;

/* Adds the n values d of blob b, produced while running image w->cur, to
 * w's statistics for the current pass: max|x| and the value count
 * (PASS_MAX), the histogram of |x| over CB_NBINS bins up to the blob's
 * maxabs with exact zeros counted apart (PASS_HIST), or the signal, noise
 * and saturation sums of the blob's format into the per image arrays
 * (PASS_MEASURE; blobs without a format are skipped). */
static void record(Worker *w, const Blob *b, const float *d, int64_t n) {
  Job *j = w->j;
  int id = b->id;
  w->seen[id] = true;
  if (j->pass == PASS_MAX) {
    double m = w->max[id];
    for (int64_t i = 0; i < n; i++) {
      double v = fabs((double)d[i]);
      if (v > m) m = v;
    }
    w->max[id] = m;
    w->cnt[id] += (uint64_t)n;
  } else if (j->pass == PASS_HIST) {
    double mx = j->st->blob[id].maxabs;
    uint64_t *h = w->hist + (size_t)id * CB_NBINS;
    if (!(mx > 0)) {
      w->zeros[id] += (uint64_t)n;
      return;
    }
    double k = CB_NBINS / mx;
    uint64_t z = 0;
    for (int64_t i = 0; i < n; i++) {
      double v = fabs((double)d[i]) * k;
      if (v == 0) { /* exact zeros: no error, kept out of the histogram */
        z++;
        continue;
      }
      int bin = v >= CB_NBINS ? CB_NBINS - 1 : (int)v;
      h[bin]++;
    }
    w->zeros[id] += z;
  } else {
    double s = j->scale[id];
    if (!(s > 0)) return;
    double sig = 0, noise = 0;
    uint64_t sat = 0;
    int32_t lo = j->qmin[id], hi = j->qmax[id];
    for (int64_t i = 0; i < n; i++) {
      double x = d[i];
      int64_t r = rt_fx_round(x / s);
      int32_t q = rt_fx_quantize1(x, s, lo, hi);
      if (r > hi || r < lo) sat++;
      double e = x - (double)q * s;
      sig += x * x;
      noise += e * e;
    }
    size_t k = (size_t)w->cur * (size_t)j->n->nblob + (size_t)id;
    j->isig[k] += sig;
    j->inoise[k] += noise;
    j->isat[k] += sat;
  }
}

/* Interpreter hook after layer l: records each of its tops (source layers
 * are skipped: the input is recorded before the run). */
static void hook(void *ctx, Interp *in, Layer *l) {
  Worker *w = ctx;
  if (lk_is(l->kind, LKF_SOURCE)) return; /* recorded before the run */
  for (int t = 0; t < l->ntop; t++)
    record(w, l->top[t], in_blob(in, l->top[t]),
           rt_shape_count(in_shape(in, l->top[t])));
}

/* Redraws the progress bar of the current pass on stderr (a newline once
 * every image is done).  Called with j->mu held. */
static void progress(Job *j) {
  static const char *what[] = {"", "ranges", "histograms", "measuring"};
  int w = 30, f = j->nimg ? j->done * w / j->nimg : w;
  fprintf(stderr, "\rcalibrating %-10s [", what[j->pass]);
  for (int i = 0; i < w; i++) fputc(i < f ? '#' : '.', stderr);
  fprintf(stderr, "] %d/%d", j->done, j->nimg);
  if (j->done == j->nimg) fputc('\n', stderr);
  fflush(stderr);
}

/* A worker thread: takes the next image index under j->mu until none is
 * left, records the input blob and runs the interpreter (which records
 * every top through hook).  Sets w->err when the interpreter cannot be
 * set up. */
static void *work(void *arg) {
  Worker *w = arg;
  Job *j = w->j;
  Interp in;
  if (in_init(&in, j->n)) {
    w->err = 1;
    return NULL;
  }
  in.hook = hook;
  in.hook_ctx = w;
  for (;;) {
    pthread_mutex_lock(&j->mu);
    int i = j->next < j->nimg ? j->next++ : -1;
    pthread_mutex_unlock(&j->mu);
    if (i < 0) break;
    w->cur = i;
    in_set_input(&in, 0, j->img[i]);
    const Blob *b = j->n->inputs[0];
    record(w, b, in_blob(&in, b), rt_shape_count(&b->shape));
    in_run(&in);
    pthread_mutex_lock(&j->mu);
    j->done++;
    if (j->progress) progress(j);
    pthread_mutex_unlock(&j->mu);
  }
  in_free(&in);
  return NULL;
}

/* Runs one pass over the images with r->threads workers and merges their
 * order-free statistics into j->st. */
static int run_pass(Job *j, const CbRun *r) {
  int nb = j->n->nblob, T = r->threads < 1 ? 1 : r->threads;
  if (T > j->nimg) T = j->nimg > 0 ? j->nimg : 1;
  j->next = j->done = 0;
  j->progress = r->progress;
  Worker *w = cb_xcalloc((size_t)T, sizeof *w);
  for (int t = 0; t < T; t++) {
    w[t].j = j;
    w[t].max = cb_xcalloc((size_t)nb, sizeof(double));
    w[t].cnt = cb_xcalloc((size_t)nb, sizeof(uint64_t));
    w[t].seen = cb_xcalloc((size_t)nb, sizeof(bool));
    w[t].zeros = cb_xcalloc((size_t)nb, sizeof(uint64_t));
    if (j->pass == PASS_HIST)
      w[t].hist = cb_xcalloc((size_t)nb * CB_NBINS, sizeof(uint64_t));
  }
  /* Thread 0 is this thread: one code path for any count. */
  int started = 1;
  for (int t = 1; t < T; t++) {
    if (pthread_create(&w[t].th, NULL, work, &w[t]) != 0) break;
    started++;
  }
  work(&w[0]);
  for (int t = 1; t < started; t++) pthread_join(w[t].th, NULL);
  int err = 0;
  for (int t = 0; t < T; t++) {
    err |= w[t].err;
    for (int id = 0; id < nb; id++) {
      CbBlob *cb = &j->st->blob[id];
      cb->seen |= w[t].seen[id];
      if (j->pass == PASS_MAX) {
        if (w[t].max[id] > cb->maxabs) cb->maxabs = w[t].max[id];
        cb->count += w[t].cnt[id];
      } else if (j->pass == PASS_HIST && cb->hist) {
        cb->zeros += w[t].zeros[id];
        const uint64_t *h = w[t].hist + (size_t)id * CB_NBINS;
        for (int k = 0; k < CB_NBINS; k++) cb->hist[k] += h[k];
      }
    }
    free(w[t].max);
    free(w[t].cnt);
    free(w[t].seen);
    free(w[t].zeros);
    free(w[t].hist);
  }
  free(w);
  return err ? -1 : 0;
}

/* Pass 1 (max|x|, counts), then pass 2 (histograms) when r->hist; st is
 * reset first and owns its arrays (cb_free).  0, or -1 when a worker's
 * interpreter could not be set up. */
int cb_collect(Net *n, float *const *img, int nimg, const CbRun *r,
               CbStats *st) {
  memset(st, 0, sizeof *st);
  st->nblob = n->nblob;
  st->nimg = nimg;
  st->blob = cb_xcalloc((size_t)n->nblob, sizeof(CbBlob));
  Job j = {0};
  j.n = n;
  j.img = img;
  j.nimg = nimg;
  j.st = st;
  pthread_mutex_init(&j.mu, NULL);
  j.pass = PASS_MAX;
  int rc = run_pass(&j, r);
  if (rc == 0 && r->hist) {
    for (int i = 0; i < n->nblob; i++)
      st->blob[i].hist = cb_xcalloc(CB_NBINS, sizeof(uint64_t));
    j.pass = PASS_HIST;
    rc = run_pass(&j, r);
  }
  pthread_mutex_destroy(&j.mu);
  return rc;
}

/* Frees st's arrays and zeroes it. */
void cb_free(CbStats *st) {
  if (st->blob)
    for (int i = 0; i < st->nblob; i++) free(st->blob[i].hist);
  free(st->blob);
  memset(st, 0, sizeof *st);
}

/* Runs the images once more against each canonical blob's chosen format
 * (l->q of its producer) and stores sig, noise, sat and measured of every
 * blob in st, the per image sums added in image order.  0, or -1 as
 * cb_collect. */
int cb_measure(Net *n, float *const *img, int nimg, const CbRun *r,
               CbStats *st) {
  int nb = n->nblob;
  Layer **cons = cb_consumers(n);
  Job j = {0};
  j.n = n;
  j.img = img;
  j.nimg = nimg;
  j.st = st;
  j.pass = PASS_MEASURE;
  j.scale = cb_xcalloc((size_t)nb, sizeof(double));
  j.qmin = cb_xcalloc((size_t)nb, sizeof(int32_t));
  j.qmax = cb_xcalloc((size_t)nb, sizeof(int32_t));
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!l->q || l->dead || l->ntop < 1) continue;
    const Blob *b = cb_canon(l->top[0], cons);
    const LayerQuant *q = l->q;
    rt_fx_q f = q->mode == QM_XILINX ? rt_fx_q_threshold(q->th_out, q->bw_out)
                                     : rt_fx_q_dfixed(q->bw_out, q->fl_out);
    j.scale[b->id] = f.scale;
    j.qmin[b->id] = rt_fx_qmin(f.bw, f.sym);
    j.qmax[b->id] = rt_fx_qmax(f.bw);
  }
  size_t tot = (size_t)nimg * (size_t)nb;
  j.isig = cb_xcalloc(tot, sizeof(double));
  j.inoise = cb_xcalloc(tot, sizeof(double));
  j.isat = cb_xcalloc(tot, sizeof(uint64_t));
  pthread_mutex_init(&j.mu, NULL);
  int rc = run_pass(&j, r);
  pthread_mutex_destroy(&j.mu);
  for (int id = 0; id < nb; id++) {
    CbBlob *cb = &st->blob[id];
    cb->sig = cb->noise = 0;
    cb->sat = 0;
    cb->measured = j.scale[id] > 0;
    for (int i = 0; i < nimg; i++) { /* image order: thread-count free */
      size_t k = (size_t)i * (size_t)nb + (size_t)id;
      cb->sig += j.isig[k];
      cb->noise += j.inoise[k];
      cb->sat += j.isat[k];
    }
  }
  free(j.scale);
  free(j.qmin);
  free(j.qmax);
  free(j.isig);
  free(j.inoise);
  free(j.isat);
  return rc;
}
