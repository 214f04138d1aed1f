/* fidelity.c - output fidelity metrics (see fidelity.h). */
#include "fidelity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fd_init(FdAcc *a) {
  memset(a, 0, sizeof *a);
  a->min_cos = 1;
}

/* Cosine from the three sums (the rule of fd_cosine). */
static double cosine(double dot, double rr, double xx) {
  if (rr == 0 && xx == 0) return 1;
  if (rr == 0 || xx == 0) return 0;
  return dot / (sqrt(rr) * sqrt(xx));
}

void fd_add(FdAcc *a, const float *ref, const float *x, int64_t n) {
  double dot = 0, rr = 0, xx = 0, ee = 0;
  for (int64_t i = 0; i < n; i++) {
    double r = ref[i], v = x[i], d = fabs(r - v);
    dot += r * v, rr += r * r, xx += v * v, ee += (r - v) * (r - v);
    if (d != d) d = INFINITY;
    if (d > a->max_abs) a->max_abs = d;
    if (fabs(r) > a->ref_max) a->ref_max = fabs(r);
  }
  double c = cosine(dot, rr, xx);
  if (!(c >= a->min_cos)) a->min_cos = c;
  a->dot += dot, a->rr += rr, a->xx += xx, a->ee += ee;
  a->n += n;
  a->nrun++;
}

double fd_cosine(const FdAcc *a) { return cosine(a->dot, a->rr, a->xx); }

double fd_sqnr(const FdAcc *a) {
  if (a->ee == 0) return INFINITY;
  if (a->rr == 0) return -INFINITY;
  return 10 * log10(a->rr / a->ee);
}

double fd_iou(const float *a, const float *b) {
  double ix = fmin(a[5], b[5]) - fmax(a[3], b[3]);
  double iy = fmin(a[6], b[6]) - fmax(a[4], b[4]);
  double inter = ix > 0 && iy > 0 ? ix * iy : 0;
  double aa = fmax(0, (double)a[5] - a[3]) * fmax(0, (double)a[6] - a[4]);
  double ab = fmax(0, (double)b[5] - b[3]) * fmax(0, (double)b[6] - b[4]);
  double u = aa + ab - inter;
  return u > 0 ? inter / u : 0;
}

void fd_boxes_init(FdBoxes *b, double iou_min, double score_min) {
  memset(b, 0, sizeof *b);
  b->iou_min = iou_min;
  b->score_min = score_min;
  b->worst_iou = 1;
}

static bool is_det(const FdBoxes *b, const float *r) {
  return r[0] >= 0 && r[2] > 0 && r[2] >= b->score_min;
}

void fd_boxes_add(FdBoxes *b, const float *ref, int64_t nref, const float *x, int64_t nx) {
  char *used = calloc((size_t)(nref > 0 ? nref : 1), 1);
  char *done = calloc((size_t)(nx > 0 ? nx : 1), 1);
  if (!used || !done) abort();
  for (int64_t i = 0; i < nref; i++) b->nref += is_det(b, ref + i * 7);
  for (int64_t i = 0; i < nx; i++) {
    done[i] = !is_det(b, x + i * 7);
    b->nx += !done[i];
  }
  for (;;) {
    int64_t q = -1; /* the next detection of x by score */
    for (int64_t i = 0; i < nx; i++)
      if (!done[i] && (q < 0 || x[i * 7 + 2] > x[q * 7 + 2])) q = i;
    if (q < 0) break;
    done[q] = 1;
    const float *xr = x + q * 7;
    int64_t best = -1;
    double bi = 0;
    for (int64_t j = 0; j < nref; j++) {
      const float *r = ref + j * 7;
      if (used[j] || !is_det(b, r) || r[0] != xr[0] || r[1] != xr[1]) continue;
      double iou = fd_iou(r, xr);
      if (iou >= b->iou_min && (best < 0 || iou > bi)) best = j, bi = iou;
    }
    if (best < 0) continue;
    used[best] = 1;
    b->matched++;
    if (bi < b->worst_iou) b->worst_iou = bi;
  }
  free(used);
  free(done);
}

double fd_recall(const FdBoxes *b) { return b->nref ? (double)b->matched / (double)b->nref : 1; }
double fd_precision(const FdBoxes *b) { return b->nx ? (double)b->matched / (double)b->nx : 1; }
bool fd_boxes_exact(const FdBoxes *b) { return b->matched == b->nref && b->matched == b->nx; }

void fd_out_init(FdOut *o, bool det, double iou_min, double score_min) {
  memset(o, 0, sizeof *o);
  o->det = det;
  fd_init(&o->t);
  fd_boxes_init(&o->b, iou_min, score_min);
}

void fd_out_add(FdOut *o, const float *ref, int64_t nref, const float *x, int64_t nx) {
  if (o->det) fd_boxes_add(&o->b, ref, nref / 7, x, nx / 7);
  else if (nref != nx) o->mismatch++;
  else fd_add(&o->t, ref, x, nref);
}

/* "inf" / "-inf" or v with prec decimals. */
static const char *num(char *buf, size_t n, double v, int prec) {
  if (isinf(v)) snprintf(buf, n, "%sinf", v < 0 ? "-" : "");
  else snprintf(buf, n, "%.*f", prec, v);
  return buf;
}

const char *fd_out_str(const FdOut *o, char *buf, size_t n) {
  char a[32], b[32], c[32];
  if (o->det) {
    snprintf(buf, n, "boxes: recall %s, precision %s (%lld of %lld matched, %lld found; "
             "same label, IoU >= %g, score >= %g)",
             num(a, sizeof a, fd_recall(&o->b), 4), num(b, sizeof b, fd_precision(&o->b), 4),
             (long long)o->b.matched, (long long)o->b.nref, (long long)o->b.nx, o->b.iou_min,
             o->b.score_min);
    return buf;
  }
  int k = snprintf(buf, n, "cosine %s, SQNR %s dB, max |err| %.4g (max |ref| %.4g)",
                   num(a, sizeof a, fd_cosine(&o->t), 6), num(b, sizeof b, fd_sqnr(&o->t), 2),
                   o->t.max_abs, o->t.ref_max);
  if (k > 0 && (size_t)k < n && o->t.nrun > 1)
    k += snprintf(buf + k, n - (size_t)k, ", lowest cosine of one run %s",
                  num(c, sizeof c, o->t.min_cos, 6));
  if (k > 0 && (size_t)k < n && o->mismatch)
    snprintf(buf + k, n - (size_t)k, ", %lld runs of another size skipped", (long long)o->mismatch);
  return buf;
}
