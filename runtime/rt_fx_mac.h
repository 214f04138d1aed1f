/* rt_fx_mac.h - internal header of the multiply-accumulate kernels
 * (Convolution, Deconvolution, InnerProduct, depthwise, the integer GEMM):
 * their shared types and constants, the small inline helpers, and the
 * portable output stage (rt_fx_out.c) and accumulator blocks (rt_fx_mac.c).
 * Not part of the runtime API.
 *
 * Layering (calls point down only):
 *   rt_fx_conv.c, rt_fx_deconv.c, rt_fx_ip.c    the kernels of rt_fixed.h
 *   rt_fx_cpu.c                                 SIMD level, path selection
 *   rt_fx_dw.c, x86/rt_fx_*.c                   the depthwise and GEMM paths
 *   rt_fx_out.c, rt_fx_mac.c                    output stage, blocks
 *   rt_fixed.c                                  the scalar rules
 * Functions below the dispatch file take the SIMD level as an argument
 * (lvl, as rt_fx_simd_level returns it) instead of asking for it. */
#ifndef RT_FX_MAC_H
#define RT_FX_MAC_H

#include "rt_fx_int.h"

#define FX_BLK 4096 /* int32 accumulators per block (half as many int64) */

/* Geometry of one convolution call. */
typedef struct conv_geo {
  const rt_conv_param *g;
  int cpg, opg, H, W, OH, OW;
} conv_geo;

/* The output stage of conv/deconv/ip for channel c. */
static inline int16_t outq1(const rt_fx_outq *q, int c, int64_t acc) {
  if (acc < 0 && q->relu != RT_FX_RELU_NONE) {
    if (q->relu == RT_FX_RELU) return 0;
    return (int16_t)rt_fx_requant(acc, q->Mn[c], q->shn[c], q->qmin, q->qmax);
  }
  return (int16_t)rt_fx_requant(acc, q->M[c], q->sh[c], q->qmin, q->qmax);
}

/* True when the AVX-512 output stage (oq_make, oq_apply) handles
 * channel c. */
static inline bool outq_512_ok(const rt_fx_outq *q, int c) {
  int sh = q->sh[c], shn = q->relu == RT_FX_LEAKY ? q->shn[c] : 0;
  return sh >= 0 && sh <= 63 && shn >= 0 && shn <= 63 && q->qmin >= INT16_MIN &&
         q->qmax <= INT16_MAX && q->qmin <= q->qmax;
}

/* Sets [*lo, *hi) to the positions o in [0, nout) for which o*s + off is in
 * [0, nin).  s > 0. */
static inline void span(int nout, int nin, int s, int off, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int lim = nin - 1 - off;
  int b = lim < 0 ? 0 : lim / s + 1;
  if (b > nout) b = nout;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* The weight pair (w[k], w[k+1]) as one int32 lane; w[k+1] = 0 past the
 * row (k + 1 == K). */
static inline int32_t gm_pair(const int16_t *w, int k, int K) {
  uint16_t lo = (uint16_t)w[k], hi = k + 1 < K ? (uint16_t)w[k + 1] : 0;
  return (int32_t)((uint32_t)lo | (uint32_t)hi << 16);
}

/* True when every partial sum of bias + sum of products x*w (|x| <= xmax,
 * sum |w| = s) fits in int32. */
static inline bool fits32s(int64_t xmax, int64_t s, int64_t bias) {
  if (bias < -INT32_MAX || bias > INT32_MAX) return false;
  if (xmax && s > INT32_MAX / xmax) return false;
  return s * xmax + (bias < 0 ? -bias : bias) <= INT32_MAX;
}

/* ---- Output stage (rt_fx_out.c) ---- */

/* outq1 over n int32 accumulators of channel c (SIMD at level lvl).
 * Identical to it because rt_fx_requant computes rshift(acc * M, sh)
 * directly when |acc| <= 2^31. */
void fx_outq32(int lvl, const rt_fx_outq *q, int c, const int32_t *acc, int16_t *y,
               int64_t n);
/* outq1 over n int64 accumulators of channel c. */
void fx_outq64(const rt_fx_outq *q, int c, const int64_t *acc, int16_t *y, int64_t n);
/* Largest |x| over n codes. */
int64_t fx_maxabs(int lvl, const int16_t *x, int64_t n);
/* sum |w[k*ws]| over k in [0, n). */
int64_t fx_sumabs(int lvl, const int16_t *w, int64_t n, int64_t ws);

/* ---- Accumulator blocks (rt_fx_mac.c) ----
 * For r in [0, nr), i in [0, n):
 *   o[r*os + i*so] += sum_{k<nc} w[k] * x[k][r*xs + i*s]
 * nc is 1..4 (unused w[k] are 0 and x[k] == x[0]). */
typedef struct mac_job {
  const int16_t *x[4];
  int16_t w[4];
  int nc, nr, n, s, so;
  int64_t os, xs;
} mac_job;

/* The accumulator block: int32 or int64 view. */
typedef union fx_blk {
  int32_t a32[FX_BLK];
  int64_t a64[FX_BLK / 2];
} fx_blk;

/* Sets the first n accumulators of the block to v. */
void fx_blk_fill(fx_blk *b, bool wide, int64_t n, int64_t v);
/* The mac job into the block from accumulator at on (int64 when wide). */
void fx_blk_mac(fx_blk *b, bool wide, int64_t at, const mac_job *j);
/* The output stage of channel c over the block's first n accumulators. */
void fx_blk_out(int lvl, const fx_blk *b, bool wide, const rt_fx_outq *q, int c,
                int16_t *y, int64_t n);
/* rt_fx_conv_pack8 for channels [o0, o0 + n) into w8[0..], acc0[0..]
 * (K codes per channel, K4 bytes per row); -1 when a code needs more
 * than 8 bits. */
int fx_pack8(const rt_fx_conv_param *p, int o0, int n, int64_t K, int64_t K4, int8_t *w8,
             int32_t *acc0);

#endif
