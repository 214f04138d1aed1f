/* qsim.h - the fixed-point simulator: runs a loaded Net whose layers carry
 * LayerQuant (Layer.q) as the fixed-point contract (runtime/rt_fixed.h,
 * docs/fixed-point.md) says the hardware would.
 *
 * Layers with q run in integers through the rt_fx_* kernels; the others
 * run in float through the reference kernels (interp.c).  Every blob is
 * either float or int16 codes with one format (rt_fx_q):
 *   - a fixed-point layer's tops hold codes in its declared OUTPUT format
 *     (after folding: the last folded/fused layer's declared output);
 *   - a fixed-point layer reads each bottom in its declared INPUT format:
 *     float -> codes by rt_fx_quantize, codes of another format -> codes by
 *     the boundary requantization below, equal formats -> as is;
 *   - a float layer reads codes dequantized (rt_fx_dequantize).
 * Boundary requantization (codes of scale s_a, any range -> format b):
 *   (M, sh) = rt_fx_multiplier(s_a / s_b);
 *   y = clamp(RHA(x * M * 2^-sh), qmin_b, qmax_b)   (rt_fx_requant)
 * which is exact (a saturating copy) when s_a == s_b.
 *
 * qs_prepare runs the graph passes (ps_run: BatchNorm/Scale folded into the
 * preceding convolution in float, ReLU fused) on the Net IN PLACE, then
 * quantizes the folded float weights once.  The prepared QsNet is read-only
 * afterwards and may be shared by any number of QsState (one per thread).
 */
#ifndef CHAI_QSIM_H
#define CHAI_QSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "../runtime/rt_fixed.h"
#include "interp.h"

typedef struct QsNet QsNet;
typedef struct QsState QsState;

/* True when some layer of the net has a LayerQuant. */
bool qs_net_has_quant(const Net *n);

/* Folds the net (ps_run, in place) and prepares every fixed-point layer.
 * Layers of a kind without an integer kernel run in float between a
 * dequantize and a quantize (one warning per kind).  Everything lives in
 * n->ar.  NULL on error (reported with the layer's location). */
QsNet *qs_prepare(Net *n, Diag *dg);
/* The (folded) net a QsNet runs. */
Net *qs_net(const QsNet *qn);

/* Per-thread state: buffers for every blob.  NULL on error (reported). */
QsState *qs_state_new(const QsNet *qn);
void qs_state_free(QsState *st);
/* Copies count-of-input-shape floats into net input i. */
void qs_set_input(QsState *st, int i, const float *data);
/* Runs every live layer in order. */
void qs_run(QsState *st);

/* Codes of blob b after a run and their format, or NULL (and *fmt
 * untouched) when the blob is float. */
const int16_t *qs_codes(const QsState *st, const Blob *b, rt_fx_q *fmt);
/* Float view of blob b (dequantized when it holds codes). */
const float *qs_blob_f32(QsState *st, const Blob *b);
/* The interpreter holding the float views (for dump_write); every blob's
 * float view is made current first. */
const Interp *qs_interp(QsState *st);

/* Writes each layer's first top (all = 1) or the net outputs (all = 0) of
 * the last run as DIR/<layer>.npy: raw = 0 dequantized float32 (same files
 * as dump_write); raw = 1 the integer codes (|i1 when bw <= 8, <i2
 * otherwise; float blobs <f4) with a manifest giving each file's dtype, bw,
 * scale and symmetry.  0 on success. */
int qs_dump(QsState *st, const char *dir, int all, int raw, Diag *dg);

/* SQNR in dB of xq against the reference x over n values:
 * 10 log10(sum x^2 / sum (x - xq)^2); +inf when equal, -inf when x == 0
 * everywhere but xq is not. */
double qs_sqnr(const float *x, const float *xq, int64_t n);

/* ---- Read-only view of a prepared net (for the code generators) ----
 * Generated code bakes in exactly these prepared numbers, so it computes
 * what qs_run computes. */

/* How a live layer runs. */
typedef enum QsMode {
  QS_DEAD = 0, /* removed by the passes */
  QS_FLOAT,    /* float reference kernel (no LayerQuant) */
  QS_COPY,     /* copy-like kind on codes; tops keep the bottom's format */
  QS_INPUTQ,   /* Input with q: quantize the given floats (qs_layer_outq) */
  QS_FX,       /* integer kernel (qs_layer_param), bottoms converted first */
  QS_FXF,      /* has q, no integer kernel: dequantize, float, quantize */
} QsMode;
QsMode qs_layer_mode(const QsNet *qn, const Layer *l);
/* The prepared kernel parameters of a QS_FX layer, by kind: Convolution /
 * Deconvolution rt_fx_conv_param, InnerProduct rt_fx_ip_param, Pooling
 * rt_fx_pool_param, ReLU rt_fx_relu_param, BatchNorm / Scale
 * rt_fx_affine_param, Eltwise rt_fx_eltwise_param, Concat
 * rt_fx_concat_param, Permute rt_permute_param; copies: unused. */
const void *qs_layer_param(const QsNet *qn, const Layer *l);
/* Declared input format and the format its tops hold. */
rt_fx_q qs_layer_in(const QsNet *qn, const Layer *l);
rt_fx_q qs_layer_out(const QsNet *qn, const Layer *l);
/* The requantization applied in place to the tops after the kernel (fused
 * ReLU or trailing format change), or NULL. */
const rt_fx_relu_param *qs_layer_post(const QsNet *qn, const Layer *l);
/* Tops' quantization of QS_INPUTQ / QS_FXF layers. */
const rt_fx_quant_param *qs_layer_outq(const QsNet *qn, const Layer *l);
/* How bottom k of a QS_FX layer reaches the declared input format. */
enum { QS_CV_AS_IS = 0, QS_CV_QUANT, QS_CV_REQ };
/* Returns the QS_CV_* op; QUANT fills *qp, REQ fills *req (M == Mn,
 * sh == shn: y = clamp(RHA(x * M * 2^-sh))). */
int qs_bottom_conv(const QsNet *qn, const Layer *l, int k, rt_fx_quant_param *qp,
                   rt_fx_relu_param *req);
/* True when blob b holds codes; *fmt (may be NULL) gets their format. */
bool qs_blob_fmt(const QsNet *qn, const Blob *b, rt_fx_q *fmt);

/* ---- For the kinds' fx_prepare slots (ir.h LayerOps) ---- */

/* One fixed-point layer's kernel as qs_run calls it. */
typedef struct QsKernel {
  rt_fx_q in, out;         /* declared input format; format of the tops */
  rt_fx_kernel_fn fn;      /* the integer kernel */
  const void *param;       /* its parameters (qs_layer_param) */
  bool post;               /* requantize/ReLU the tops in place afterwards */
  rt_fx_relu_param post_p; /* ... with these parameters */
} QsKernel;

/* Loaded data of learned blob k of l, or NULL. */
const float *qs_wdata(const Layer *l, int k);

/* The part of a LKF_MAC layer's preparation every such kind shares: the
 * weight scales from l->q (one per output channel of lk_ops(l)->mac), the
 * arena storage of the prepared weights, the bias (NULL when absent) and
 * the fused ReLU mode. */
typedef struct QsMac {
  rt_fx_wq wq;
  rt_fx_mac_store st;
  const float *w, *b;
  int relu; /* RT_FX_RELU_NONE / RT_FX_RELU / RT_FX_LEAKY */
} QsMac;
/* Fills *m; -1 after reporting a precision_param that does not fit. */
int qs_mac_begin(Net *n, Layer *l, QsMac *m);
/* Ends a MAC preparation whose rt_fx_prepare_* returned r: reports a
 * nonzero r at l's precision_param and returns -1, else 0. */
int qs_mac_end(Net *n, const Layer *l, int r);
/* Prepares k as rt_fx_affine: y = a[c]*x + b[c] (b may be NULL) over nch
 * channels along axis.  -1 after reporting. */
int qs_prep_affine(Net *n, const Layer *l, QsKernel *k, int axis, int nch, const float *a,
                   const float *b);
/* Prepares k as a kernel fn that moves codes unchanged (param &l->p),
 * with a post requantization when k->out differs from k->in. */
int qs_prep_pass(Layer *l, QsKernel *k, rt_fx_kernel_fn fn);

#endif
