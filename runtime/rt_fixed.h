/* rt_fixed.h - the fixed-point contract: integer reference kernels.
 *
 * Every quantized tensor holds integer codes q with a real scale s (value =
 * q * s) and a bit width bw (2..16).  Two code ranges exist:
 *   symmetric  (Xilinx threshold mode)  [-(2^(bw-1)-1), 2^(bw-1)-1],
 *              s = th / (2^(bw-1)-1);
 *   asymmetric (DynamicFixed / Q-format) [-2^(bw-1), 2^(bw-1)-1],
 *              s = 2^-fl (fl may be negative).
 * Activations have one scale per tensor, weights one per output channel.
 * Codes are stored as int16_t whatever bw is.  Zero is always code 0.
 *
 * Two phases.  "Prepare" (rt_fx_prepare_*, compile time, may use double)
 * turns float weights and scales into integers with a fully specified rule.
 * Kernels (rt_fx_<kind>) then use integer arithmetic only; generated C and
 * HLS code must reproduce them bit for bit.  docs/fixed-point.md is the
 * normative description; this header is its API.
 *
 * Rounding is round-half-away-from-zero everywhere (float->code, integer
 * requantization, average-pool division), followed by saturation to the
 * output code range.  Nothing here allocates.
 */
#ifndef RT_FIXED_H
#define RT_FIXED_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_layers.h"
#include "rt_tensor.h"

#define RT_FX_MINBW 2
#define RT_FX_MAXBW 16
#define RT_FX_ONE_M (INT32_C(1) << 30) /* M of an exact multiplier 1 ... */
#define RT_FX_ONE_SH 30                /* ... with this shift */
#define RT_FX_BIAS_MAX (INT64_C(1) << 61) /* |bias| and |B| saturation */

/* ---- Formats and scalar rules ---- */

/* Quantization of one tensor (or of one weight blob's code range). */
typedef struct rt_fx_q {
  int bw;       /* bits, 2..16 */
  bool sym;     /* true: symmetric (threshold) range, false: DynamicFixed */
  double scale; /* real value of code 1, > 0 */
} rt_fx_q;

/* Weights: code range plus one scale per output channel. */
typedef struct rt_fx_wq {
  int bw;
  bool sym;
  const double *scale; /* num_output entries, each > 0 */
} rt_fx_wq;

/* Xilinx threshold mode: scale = (double)th / (2^(bw-1) - 1), symmetric. */
rt_fx_q rt_fx_q_threshold(float th, int bw);
/* DynamicFixed: scale = 2^-fl exactly (ldexp), asymmetric range. */
rt_fx_q rt_fx_q_dfixed(int bw, int fl);
/* Code range of a format: qmin = -(2^(bw-1)-1) (sym) or -2^(bw-1);
 * qmax = 2^(bw-1)-1. */
int32_t rt_fx_qmin(int bw, bool sym);
int32_t rt_fx_qmax(int bw);
/* Round half away from zero (C's round()); NaN -> 0; result saturated to
 * [-2^62, 2^62]. */
int64_t rt_fx_round(double v);
/* One float->code conversion: clamp(round((double)x / scale), qmin, qmax). */
int32_t rt_fx_quantize1(double x, double scale, int32_t qmin, int32_t qmax);

/* Real multiplier m -> (M, sh) with m ~= M * 2^-sh (see docs):
 * frexp(m) = f * 2^e, M = round(f * 2^31) (half away), if |M| == 2^31 then
 * M /= 2, e += 1; sh = 31 - e.  So |M| in [2^30, 2^31).  Out of range:
 * sh > 62 -> M = 0, sh = 0 (returns 1); sh < 0 -> M = +-(2^31-1), sh = 0
 * (returns 2; exact after saturation for single-input requantization).
 * m == 0 -> M = 0, sh = 0 (returns 0).  NaN -> -1.  Powers of two give
 * M = +-2^30 exactly, i.e. an exact shift. */
int rt_fx_multiplier(double m, int32_t *M, int8_t *sh);

/* Rounding arithmetic right shift, half away from zero, sh in 0..62:
 * sh == 0 ? x : (x + 2^(sh-1) - (x < 0)) >> sh.  Requires |x| <= 2^62. */
int64_t rt_fx_rshift(int64_t x, int sh);
/* Requantization: clamp(RHA(acc * M * 2^-sh), qmin, qmax), exact for every
 * int64 acc (a 96-bit product is formed by splitting when |acc| > 2^31). */
int32_t rt_fx_requant(int64_t acc, int32_t M, int sh, int32_t qmin,
                      int32_t qmax);

/* ---- Integer tensors and the uniform kernel signature ---- */

typedef struct rt_fx_tensor {
  rt_shape s;
  int16_t *d;
} rt_fx_tensor;

typedef struct rt_fx_args {
  int nb, nt;
  const rt_fx_tensor *b; /* bottoms */
  rt_fx_tensor *t;       /* tops, shaped and allocated by the caller */
} rt_fx_args;

typedef void (*rt_fx_kernel_fn)(const void *param, const rt_fx_args *a);

/* Which SIMD paths the fast kernels (rt_fx_conv.c and the paths it
 * dispatches to, rt_fx_pool.c, rt_fx_elem.c, rt_fx_quant.c) take on
 * x86-64: -1 (default) the best the CPU has, 0 none (SSE2), 1 AVX2,
 * 2 AVX-512 (F, BW, VL and VNNI); a level the CPU lacks falls back to the
 * best it has (rt_fx_cpu.c).  Results are identical on every path;
 * tests set it to compare them.  Kernels may run in several threads (the
 * level is resolved with an atomic); change rt_fx_simd only while no
 * kernel runs.  rt_ip_f32 follows it too (its AVX2 path). */
extern int rt_fx_simd;
/* The level rt_fx_simd resolves to on this CPU (0, 1 or 2). */
int rt_fx_simd_level(void);

/* ---- Output stage shared by Convolution, Deconvolution, InnerProduct ---- */
enum { RT_FX_RELU_NONE = 0, RT_FX_RELU = 1, RT_FX_LEAKY = 2 };

/* Per output channel c: y = clamp(RHA(acc * M[c] * 2^-sh[c])) when
 * relu == NONE or acc >= 0; for acc < 0: 0 (RELU) or
 * clamp(RHA(acc * Mn[c] * 2^-shn[c])) (LEAKY, Mn from m * negative_slope). */
typedef struct rt_fx_outq {
  const int32_t *M;
  const int8_t *sh;
  const int32_t *Mn; /* LEAKY only (may be NULL otherwise) */
  const int8_t *shn;
  int relu;
  int32_t qmin, qmax; /* output code range */
} rt_fx_outq;

/* Caller-provided storage that prepare fills (no malloc).  Sizes:
 * w = weight count, bias/M/sh/Mn/shn = num_output.  bias may be NULL when
 * the layer has no bias; Mn/shn may be NULL unless relu == LEAKY. */
typedef struct rt_fx_mac_store {
  int16_t *w;
  int64_t *bias;
  int32_t *M;
  int8_t *sh;
  int32_t *Mn;
  int8_t *shn;
} rt_fx_mac_store;

/* ---- Convolution / Deconvolution ----
 * w: weight codes in the float blob's layout (conv: O x C/g x kh x kw,
 * deconv: C x O/g x kh x kw).  bias: accumulator units (scale
 * s_in * s_w[c]), NULL = none.  acc64: some |acc| may exceed INT32_MAX, so
 * generated code must accumulate in int64 (the reference always does;
 * without acc64 an int32 accumulator gives identical results). */
typedef struct rt_fx_conv_param {
  rt_conv_param g;
  int cin; /* input channels (C) */
  const int16_t *w;
  const int64_t *bias;
  rt_fx_outq q;
  bool acc64;
  int64_t acc_bound; /* max over c of the proven |acc| bound */
  /* Optional (Convolution only; NULL = none): the weights as int8 for the
   * 8-bit fast path, filled by rt_fx_conv_pack8.  The kernel gives the
   * same integers with or without them; without, it converts per call. */
  const int8_t *w8;
  const int32_t *acc0;
  /* Optional (Convolution only; NULL = none): sum of |w| per output
   * channel, filled by rt_fx_conv_wabs, so that the int32 check does not
   * read every weight on each call.  Must be exact when present. */
  const int64_t *wabs;
} rt_fx_conv_param;

/* The int8 copy of a prepared Convolution's weights: when every weight
 * code is in [-128, 127], w8 (O x K4 bytes, K4 = cin/group*kh*kw rounded
 * up to a multiple of 4, zero-padded) gets the codes and acc0 (O entries)
 * gets bias - 128 * sum of the channel's codes, modulo 2^32; returns 0.
 * Returns -1 (nothing written past the first failing channel) otherwise. */
int rt_fx_conv_pack8(const rt_fx_conv_param *p, int8_t *w8, int32_t *acc0);
/* K4 of rt_fx_conv_pack8. */
int64_t rt_fx_conv_k4(const rt_fx_conv_param *p);
/* wabs[o] = sum of |w| over output channel o's codes of a prepared
 * Convolution (num_output entries). */
void rt_fx_conv_wabs(const rt_fx_conv_param *p, int64_t *wabs);

/* ---- InnerProduct ----  w: N x K codes (K x N when g.transpose). */
typedef struct rt_fx_ip_param {
  rt_ip_param g;
  int K;
  const int16_t *w;
  const int64_t *bias;
  rt_fx_outq q;
  bool acc64;
  int64_t acc_bound;
  /* Optional (NULL = none): sum of |w| per output, filled by
   * rt_fx_ip_wabs, so that the int32 check does not read every weight on
   * each call.  Must be exact when present. */
  const int64_t *wabs;
} rt_fx_ip_param;

/* wabs[o] = sum of |w| over output o's codes of a prepared InnerProduct
 * (num_output entries). */
void rt_fx_ip_wabs(const rt_fx_ip_param *p, int64_t *wabs);

/* ---- Pooling ----  MAX: y = clamp(RHA(max * M * 2^-sh)) over the window
 * clipped to the input (padding ignored).  AVE: a = RHA(sum / n) with n the
 * Caffe padded-window count (exact integer division), then
 * y = clamp(RHA(a * M * 2^-sh)).  (M, sh) = multiplier(s_in / s_out);
 * equal scales give M = 2^30, sh = 30, the identity. */
typedef struct rt_fx_pool_param {
  rt_pool_param g;
  int32_t M;
  int8_t sh;
  int32_t qmin, qmax;
} rt_fx_pool_param;

/* ---- ReLU (standalone) ----  x >= 0: (M, sh) = multiplier(s_in/s_out);
 * x < 0: (Mn, shn) = multiplier(slope * s_in/s_out). */
typedef struct rt_fx_relu_param {
  int32_t M, Mn;
  int8_t sh, shn;
  int32_t qmin, qmax;
} rt_fx_relu_param;

/* ---- Per-channel affine (BatchNorm / Scale / Bias not folded) ----
 * y = clamp(RHA((x * M[c] + B[c]) * 2^-sh[c])) with
 * (M[c], sh[c]) = multiplier(a[c] * s_in / s_out) and
 * B[c] = clamp(RHA(b[c] / s_out * 2^sh[c]), +-2^61).
 * Channel c is the index along `axis`; nch == 1 broadcasts one pair. */
typedef struct rt_fx_affine_param {
  int axis; /* canonical */
  int nch;
  const int32_t *M;
  const int8_t *sh;
  const int64_t *B;
  int32_t qmin, qmax;
} rt_fx_affine_param;

/* ---- Eltwise ----
 * SUM:  y = clamp(RHA(sum_i x_i * M[i] * 2^-shift)) with one common shift:
 *       m_i = coeff_i * s_i / s_out, shift from multiplier(max |m_i|),
 *       M[i] = RHA(m_i * 2^shift) (clamped to +-(2^31-1)).
 * PROD: t = clamp(RHA(x_0 * x_1 * M[1] * 2^-sh[1])), m_1 = s_0 s_1 / s_out;
 *       then t = clamp(RHA(t * x_i * M[i] * 2^-sh[i])), m_i = s_i.
 * MAX:  y = max_i clamp(RHA(x_i * M[i] * 2^-sh[i])), m_i = s_i / s_out.
 * post: when not NULL, the output then goes through rt_fx_relu with it,
 * element by element inside the same pass (the generated program's fused
 * ReLU or format change: the same codes as a separate rt_fx_relu call,
 * with one pass and one parallel job less). */
typedef struct rt_fx_eltwise_param {
  int op; /* RT_ELT_* */
  int n;  /* inputs, 2..RT_MAXLIST */
  int32_t M[RT_MAXLIST];
  int8_t sh[RT_MAXLIST];
  int shift; /* SUM's common shift */
  int32_t qmin, qmax;
  const struct rt_fx_relu_param *post;
} rt_fx_eltwise_param;

/* ---- Concat ----  input i: y = clamp(RHA(x * M[i] * 2^-sh[i])),
 * m_i = s_i / s_out; identity (a copy) when s_i == s_out. */
typedef struct rt_fx_concat_param {
  int axis; /* canonical */
  int n;
  int32_t M[RT_MAXLIST];
  int8_t sh[RT_MAXLIST];
  int32_t qmin, qmax;
} rt_fx_concat_param;

/* ---- Boundaries ----  quantize: q = clamp(RHA((double)x / scale));
 * dequantize: x = (float)((double)q * scale). */
typedef struct rt_fx_quant_param {
  double scale;
  int32_t qmin, qmax;
} rt_fx_quant_param;

/* ---- Prepare (compile time) ----  All return 0, or -1 on invalid input
 * (bad bw, non-positive or non-finite scale, group not dividing the
 * channels, accumulator bound above 2^62, too many inputs).  The conv
 * prepares clear the param first: its optional fields (w8, acc0, wabs)
 * are NULL until the caller fills them; rt_fx_prepare_ip sets its wabs
 * to NULL likewise. */
int rt_fx_prepare_conv(rt_fx_conv_param *p, const rt_conv_param *g, int cin,
                       const float *w, const float *b, const rt_fx_q *in,
                       const rt_fx_wq *wq, const rt_fx_q *out, int relu,
                       float slope, const rt_fx_mac_store *st);
int rt_fx_prepare_deconv(rt_fx_conv_param *p, const rt_conv_param *g, int cin,
                         const float *w, const float *b, const rt_fx_q *in,
                         const rt_fx_wq *wq, const rt_fx_q *out, int relu,
                         float slope, const rt_fx_mac_store *st);
int rt_fx_prepare_ip(rt_fx_ip_param *p, const rt_ip_param *g, int K,
                     const float *w, const float *b, const rt_fx_q *in,
                     const rt_fx_wq *wq, const rt_fx_q *out, int relu,
                     float slope, const rt_fx_mac_store *st);
int rt_fx_prepare_pool(rt_fx_pool_param *p, const rt_pool_param *g,
                       const rt_fx_q *in, const rt_fx_q *out);
int rt_fx_prepare_relu(rt_fx_relu_param *p, float slope, const rt_fx_q *in,
                       const rt_fx_q *out);
/* a, b: nch factors and offsets (b may be NULL = 0); M, sh, B: nch each. */
int rt_fx_prepare_affine(rt_fx_affine_param *p, int axis, int nch,
                         const float *a, const float *b, const rt_fx_q *in,
                         const rt_fx_q *out, int32_t *M, int8_t *sh,
                         int64_t *B);
/* coeff: n SUM coefficients or NULL (all 1); ignored for PROD and MAX. */
int rt_fx_prepare_eltwise(rt_fx_eltwise_param *p, int op, int n,
                          const float *coeff, const rt_fx_q *in,
                          const rt_fx_q *out);
int rt_fx_prepare_concat(rt_fx_concat_param *p, int axis, int n,
                         const rt_fx_q *in, const rt_fx_q *out);
int rt_fx_prepare_quant(rt_fx_quant_param *p, const rt_fx_q *q);

/* Per-channel scales of a threshold-mode weight blob:
 * scale[c] = (double)th[c] / (2^(bw-1) - 1). */
void rt_fx_wscales_threshold(const float *th, int n, int bw, double *scale);

/* ---- Float helpers for the compiler (compile time, before quantizing) ----
 * BatchNorm (+ optional Scale) as y = a*x + b per channel:
 *   f = factor == 0 ? 0 : 1/factor; mean = mean_blob*f; var = var_blob*f;
 *   a = gamma / sqrt(var + eps); b = beta - mean * a
 * (gamma NULL = 1, beta NULL = 0; arithmetic in double, stored as float). */
void rt_fx_bn_affine(int nch, const float *mean, const float *var,
                     float factor, float eps, const float *gamma,
                     const float *beta, float *a, float *b);
/* Folds BatchNorm (+ Scale) into the preceding Convolution or InnerProduct
 * (out-channel-major weights, `per` weights per output channel):
 *   w'[c][k] = w[c][k] * a[c];  b'[c] = (b[c] - mean[c]) * a[c] + beta[c]
 * with a as in rt_fx_bn_affine.  b must hold nout entries (zeros when the
 * layer had no bias; the folded layer always has one). */
void rt_fx_fold_bn(int nout, int64_t per, float *w, float *b,
                   const float *mean, const float *var, float factor,
                   float eps, const float *gamma, const float *beta);

/* ---- Kernels ---- */
void rt_fx_conv(const void *p, const rt_fx_args *a);   /* rt_fx_conv_param */
void rt_fx_deconv(const void *p, const rt_fx_args *a); /* rt_fx_conv_param */
void rt_fx_ip(const void *p, const rt_fx_args *a);     /* rt_fx_ip_param */
void rt_fx_pool(const void *p, const rt_fx_args *a);   /* rt_fx_pool_param */
void rt_fx_relu(const void *p, const rt_fx_args *a);   /* rt_fx_relu_param */
void rt_fx_affine(const void *p, const rt_fx_args *a); /* rt_fx_affine_param */
void rt_fx_eltwise(const void *p, const rt_fx_args *a); /* eltwise_param */
void rt_fx_concat(const void *p, const rt_fx_args *a); /* rt_fx_concat_param */
void rt_fx_permute(const void *p, const rt_fx_args *a); /* rt_permute_param */
/* issue 13, resample (rt_fx_resample.c): codes move unchanged along the
 * float kernels' gather; p is the float parameter struct. */
void rt_fx_upsample(const void *p, const rt_fx_args *a);   /* rt_upsample_param */
void rt_fx_shuffle(const void *p, const rt_fx_args *a);    /* rt_shuffle_param */
void rt_fx_cropcenter(const void *p, const rt_fx_args *a); /* rt_cropcenter_param */
void rt_fx_reorg(const void *p, const rt_fx_args *a);      /* rt_reorg_param */
/* b[0] -> t[0] unchanged (Flatten, Reshape, Split, Dropout); p unused. */
void rt_fx_copy(const void *p, const rt_fx_args *a);
void rt_fx_quantize(const rt_fx_quant_param *p, const float *x, int16_t *y,
                    int64_t n);
/* Codes of one format to another: y[i] = clamp(RHA(x[i] * M * 2^-sh),
 * qmin, qmax), rt_fx_requant's direct branch (|x * M| < 2^47); [qmin, qmax]
 * is a code range (within int16). */
void rt_fx_requant_codes(const int16_t *x, int16_t *y, int64_t n, int32_t M,
                         int sh, int32_t qmin, int32_t qmax);
/* The same codes for a tensor of nplane planes of rows x width, split
 * over the worker pool by rows of every plane (rt_par_rows), as the
 * convolutions around it split theirs: each thread reads the rows it
 * wrote. */
void rt_fx_requant_rows(const int16_t *x, int16_t *y, int64_t nplane, int64_t rows,
                        int64_t width, int32_t M, int sh, int32_t qmin, int32_t qmax);
void rt_fx_dequantize(const rt_fx_quant_param *p, const int16_t *x, float *y,
                      int64_t n);

#endif
