/* calib.h - calibration for `chaicc quantize`: statistics of every blob
 * over a set of input images (float interpreter), weight ranges, and the
 * per-layer LayerQuant they give in Xilinx (threshold) or DynamicFixed
 * (fractional length) mode.  docs/quantization.md states every rule.
 *
 * Determinism: statistics are integer counts and maxima (order-free), and
 * the floating-point sums of cb_measure are added per image in image
 * order, so every result is identical for any thread count.
 */
#ifndef CHAI_CALIB_H
#define CHAI_CALIB_H

#include <stdbool.h>
#include <stdint.h>

#include "prep.h"
#include "quant.h"

#define CB_NBINS 2048

typedef enum CbMethod {
  CB_ENTROPY = 0,
  CB_MAX = 1,
  CB_PERCENTILE = 2,
  CB_MSE = 3,
  CB_AUTO = 4 /* the default: CB_MSE when bw_out <= 6, else CB_ENTROPY */
} CbMethod;

/* Xilinx weight thresholds: max |w| per output channel, or the clip with
 * the smallest squared quantization error of that channel's weights. */
typedef enum CbWMethod { CB_WMAX = 0, CB_WMSE = 1 } CbWMethod;

/* Thresholds shared by the inputs of an Eltwise: each input keeps its own
 * (the layer requantizes the others to its th_layer_in), or all take the
 * largest of them so that their producers write the common format. */
typedef enum CbElt { CB_ELT_SEPARATE = 0, CB_ELT_SHARED = 1 } CbElt;

/* Statistics of one blob (by Blob.id) over the calibration set. */
typedef struct CbBlob {
  bool seen;         /* some image reached it */
  double maxabs;     /* max |x| */
  uint64_t count;    /* values seen */
  uint64_t *hist;    /* CB_NBINS counts of non-zero |x| on [0, maxabs]
                        (bin = floor(|x| / maxabs * CB_NBINS)), or NULL */
  uint64_t zeros;    /* exact zeros, not in hist (they quantize exactly) */
  /* cb_measure: against the blob's chosen format */
  double sig, noise; /* sum x^2, sum (x - deq(q(x)))^2 */
  uint64_t sat;      /* |x| beyond the largest code */
  bool measured;
} CbBlob;

typedef struct CbStats {
  int nblob, nimg;
  CbBlob *blob;
} CbStats;

typedef struct CbRun {
  int threads;   /* >= 1 */
  bool hist;     /* second pass: histograms (entropy, mse, percentile, report) */
  bool progress; /* progress bar on stderr */
} CbRun;

/* Runs the float interpreter over img[0..nimg) (each one item of the
 * net's single input at batch 1, already preprocessed) and fills st (its
 * arrays malloc'ed; cb_free).  Pass 1 takes max|x| of every blob, pass 2
 * (r->hist) histograms the non-zero |x| in CB_NBINS bins on [0, max].
 * 0, or -1 after
 * reporting (weights missing). */
int cb_collect(Net *n, float *const *img, int nimg, const CbRun *r,
               CbStats *st);
void cb_free(CbStats *st);

/* Thresholds from a histogram of |x| (nbins bins of width maxabs/nbins):
 * entropy (KL minimisation with 2^(bw-1) levels), percentile p in (0,100],
 * or maxabs.  Return value > 0 (1 when the histogram is empty or all
 * zero). */
double cb_entropy_threshold(const uint64_t *hist, int nbins, double maxabs,
                            int bw);
double cb_percentile_threshold(const uint64_t *hist, int nbins,
                               double maxabs, double p);

/* The threshold t = i * maxabs / nbins (i = 1..nbins) with the smallest
 * expected squared error of quantizing the histogram's values to
 * 2^(bw-1)-1 symmetric levels of step s = t / (2^(bw-1)-1): per bin of
 * centre v, (v - t)^2 above t, v^2 below s/2, s^2/12 otherwise.  Ties go
 * to the smallest threshold.  1 for an empty histogram. */
double cb_mse_threshold(const uint64_t *hist, int nbins, double maxabs, int bw);

/* Weight clip of one channel w[0..n) (values already folded) for bw bits
 * with the smallest squared error sum (w - deq(q(w)))^2, over the clips
 * max|w| * k / CB_WCLIPS, k = 1..CB_WCLIPS (ties: the largest clip). */
#define CB_WCLIPS 128
double cb_weight_mse_clip(const float *w, int64_t n, double mul, int bw);

/* The blob whose values a tensor really carries once the graph passes run:
 * follows single-consumer chains through ReLU (any slope), and through
 * BatchNorm/Scale folded into a preceding Convolution, Deconvolution or
 * InnerProduct.  cons: per blob id, its only consumer or NULL
 * (cb_consumers). */
const Blob *cb_canon(const Blob *b, Layer *const *cons);
Layer **cb_consumers(const Net *n);

/* How cb_assign makes a layer's top and bottom share one scale, so its
 * kernel requantizes by the identity (LayerOps.keeps_scale: MAX pooling). */
typedef enum CbKeep {
  CB_KEEP_NONE = 0,
  CB_KEEP_BACK, /* the layer is its bottom's only reader: the bottom takes
                   the top's calibrated scale (exact: clipping and rounding
                   commute with max, and the double rounding goes) */
  CB_KEEP_FWD   /* the bottom has other readers: the top takes the
                   bottom's scale */
} CbKeep;

/* Per Layer.id (nid entries), the CbKeep of each layer: live, not constant
 * (cst, cf_mark; may be NULL), its kind's LayerOps.keeps_scale holds, and
 * for CB_KEEP_FWD no Concat (nor, with elt_shared, an Eltwise) reads its
 * top, since those rules set that scale instead.  Arena n->ar. */
unsigned char *cb_scale_kept(const Net *n, Layer *const *cons, const bool *cst, bool elt_shared,
                             int nid);

/* Per-output-channel max |w| of a (de)convolution's weights after folding
 * the BatchNorm/Scale chain that cb_canon follows.  out: nout values. */
void cb_weight_range(const Net *n, const Layer *l, Layer *const *cons,
                     double *out, int nout);

/* Per-output-channel weight thresholds by method m: cb_weight_range's
 * max, or cb_weight_mse_clip of the channel's folded weights. */
void cb_weight_thresholds(const Net *n, const Layer *l, Layer *const *cons,
                          CbWMethod m, int bw, double *out, int nout);

/* Ristretto's integer-length rule: fl = bw - ceil(log2 max) for
 * activations, one bit less (fl = bw - ceil(log2 max) - 1) for weights;
 * max <= 0 gives fl = bw - 1.  Clamped to -64..64.  (cb_assign takes
 * CbParams.fl_headroom more bits off activations.) */
int cb_ristretto_fl(double maxabs, int bw, bool weights);

/* What `quantize` asks for. */
typedef struct CbParams {
  QuantMode mode;
  int bw_in, bw_params, bw_out;
  bool fl_auto;
  int fl_in, fl_params, fl_out; /* DynamicFixed when !fl_auto */
  int fl_headroom; /* fl_auto: extra integer bits for activations: 0 =
                      Ristretto's literal rule, 1 = no saturation, -1 (auto,
                      the default) = 0 or 1 per tensor, the smaller squared
                      error on the calibration histogram (needs st->hist) */
  CbMethod method;
  CbWMethod wmethod; /* Xilinx weight thresholds */
  CbElt eltwise;     /* Xilinx Eltwise input thresholds */
  double percentile;
  int threads; /* for the per-blob threshold searches */
  const signed char *blob_method; /* Xilinx: per blob id, the CbMethod of
                                     that canonical blob's threshold (-1:
                                     method), or NULL (calib_auto.c) */
  double *th_cache; /* Xilinx: NULL, or 4 x nblob thresholds by CbMethod
                       and blob id, NAN until cb_assign computes them */
} CbParams;

/* p->method with CB_AUTO resolved: CB_MSE for output bit widths up to 6
 * (few levels: the error in value units matters, see
 * docs/quantization.md), CB_ENTROPY above. */
CbMethod cb_method(const CbParams *p);

/* The output threshold method m gives blob statistics b (bw_out bits,
 * p->percentile): max|x| for CB_MAX or without a histogram.  Not yet
 * clamped to a positive float. */
double cb_blob_threshold(const CbBlob *b, CbMethod m, const CbParams *p);

/* Sets l->q (arena) on every live layer of a kind with precision in the
 * mode; st may be NULL only for DynamicFixed with fixed fl.  Every blob gets
 * one format: Xilinx threshold = max|x| for net inputs and outputs of
 * layers without precision, the method's threshold for outputs of layers
 * with precision, Concat inputs share the Concat output's; a layer's
 * th_layer_in is its bottoms' largest threshold.  0 on success. */
int cb_assign(Net *n, const CbStats *st, const CbParams *p);

/* Real value of the largest code of layer q's output format. */
double cb_out_range(const LayerQuant *q);

/* Pass 3: for every layer with q, measures its canonical output blob
 * against q's output format (sig, noise, sat).  Same threading as
 * cb_collect.  0 on success. */
int cb_measure(Net *n, float *const *img, int nimg, const CbRun *r,
               CbStats *st);

/* `chaicc quantize` options (compiler/cmd_quantize.c). */
typedef struct CbCmdOpts {
  CbParams p;
  PrepOpts po;
  const char *deploy, *weights, *out, *calib_dir, *report;
  int calib_size, threads;
  int auto_sims; /* --auto_sims, -1 = auto (calib_auto.h) */
  bool bias_corr;        /* --bias_correction on (calib_bc.h) */
  bool cle;              /* --equalize on (calib_bc.h) */
  const char *qweights;  /* --quantized_weights, or NULL */
  const char *pin;       /* the written prototxt's header when it wrote qweights */
} CbCmdOpts;

/* Parses the quantize arguments argv[1..argc) into o, XportDNN defaults
 * first (Xilinx, 6,6,6 bits, fl 2,5,2, 8 images, entropy, 99.99, online
 * cores).  0 ok, 1 help printed, 2 usage error (reported on stderr). */
int cb_parse_args(int argc, char **argv, CbCmdOpts *o);

/* calloc that never returns NULL: exits with "chaicc: fatal: out of
 * memory" instead (also for the kinds' each_out / fold_factor slots). */
void *cb_xcalloc(size_t n, size_t sz);

#endif
