/* fidelity.h - how close a net's outputs are to a reference run (the
 * float net): the metrics `chaicc run --compare-float`, `chaicc compare`
 * and the `quantize --report` page print.  docs/quantization.md
 * ("Fidelity") states every rule.
 *
 * Tensors: cosine, SQNR and the largest absolute error, accumulated over
 * one or several runs (images).  Detection tables (rows [image, label,
 * score, xmin, ymin, xmax, ymax] of a LKF_DETROWS kind): the boxes of the
 * run matched one to one against the reference boxes of the same image and
 * label with IoU >= a threshold, giving recall and precision.
 */
#ifndef CHAI_FIDELITY_H
#define CHAI_FIDELITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sums over every element compared so far (fd_add), ref = reference. */
typedef struct FdAcc {
  int64_t n;       /* elements */
  int nrun;        /* fd_add calls */
  double dot, rr, xx, ee; /* sum ref*x, ref^2, x^2, (ref - x)^2 */
  double max_abs;  /* max |ref - x| (NaN counts as infinite) */
  double ref_max;  /* max |ref| */
  double min_cos;  /* smallest cosine of one run (1 before any) */
} FdAcc;

void fd_init(FdAcc *a);
/* Adds one run's tensors ref[0..n) and x[0..n). */
void fd_add(FdAcc *a, const float *ref, const float *x, int64_t n);
/* Cosine of all elements added, as one vector: dot / (|ref| |x|); 1 when
 * both are all zero, 0 when only one is. */
double fd_cosine(const FdAcc *a);
/* 10 log10(sum ref^2 / sum (ref - x)^2) in dB: INFINITY when x equals
 * ref, -INFINITY when ref is all zero and x is not. */
double fd_sqnr(const FdAcc *a);

/* Intersection over union of the boxes of two detection rows (values
 * 3..6: xmin, ymin, xmax, ymax); 0 when the union is empty. */
double fd_iou(const float *a, const float *b);

/* Matching counts, summed over runs (fd_boxes_add). */
typedef struct FdBoxes {
  double iou_min, score_min; /* the rule (set by fd_boxes_init) */
  int64_t nref, nx;          /* detections counted in each table */
  int64_t matched;           /* pairs matched */
  double worst_iou;          /* smallest IoU of a matched pair (1 before any) */
} FdBoxes;

void fd_boxes_init(FdBoxes *b, double iou_min, double score_min);
/* Adds one run: ref[0..nref) and x[0..nx) rows of 7.  A row counts as a
 * detection when its image id is >= 0 and its score is > 0 and >=
 * score_min (the no-detection rows, image -1, and zero padding rows do
 * not).  The rows of x, by decreasing score (ties: table order), each take
 * the unmatched reference detection of the same image and label with the
 * largest IoU, if that IoU is >= iou_min (ties: table order). */
void fd_boxes_add(FdBoxes *b, const float *ref, int64_t nref, const float *x, int64_t nx);
/* matched / nref and matched / nx; 1 when the count is 0. */
double fd_recall(const FdBoxes *b);
double fd_precision(const FdBoxes *b);
/* True when every detection on each side has its match. */
bool fd_boxes_exact(const FdBoxes *b);

/* One net output's fidelity over runs: a tensor (FdAcc) or, for the
 * output of a LKF_DETROWS kind, detection rows (FdBoxes). */
typedef struct FdOut {
  bool det;
  FdAcc t;
  FdBoxes b;
  int64_t mismatch; /* tensor runs whose element counts differed (skipped) */
} FdOut;

/* det: detection rows, matched with the IoU and score rule given. */
void fd_out_init(FdOut *o, bool det, double iou_min, double score_min);
/* Adds one run: the reference ref[0..nref) and x[0..nx) (element counts;
 * rows of 7 for detection rows). */
void fd_out_add(FdOut *o, const float *ref, int64_t nref, const float *x, int64_t nx);
/* The metrics on one line into buf[0..n): "cosine C, SQNR S dB, max |err|
 * E" (and the smallest per-run cosine when there were several runs), or
 * "boxes: recall R, precision P (M of N matched, K found; ...)". */
const char *fd_out_str(const FdOut *o, char *buf, size_t n);

#endif
