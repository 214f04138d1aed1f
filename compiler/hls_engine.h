/* hls_engine.h - the shared convolution engine of a hardware segment
 * (`target.engine: shared`, docs/hls.md "Shared engine").
 *
 * In engine mode every Convolution of a hardware segment runs on one
 * function <prefix>_seg<k>_conv(fm, wts, L) with IP x OP MACs and R
 * requantization lanes, fixed for the segment; layer L's geometry and
 * offsets are rows of static const tables.  This module sizes the engine
 * (its buffers hold the largest layer), estimates a layer's cycles on it
 * and counts the engine's resources once.  The emitter (emit_engine.c)
 * renders templates/hls/engine.lua with the same figures.
 */
#ifndef CHAI_HLS_ENGINE_H
#define CHAI_HLS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "hls.h"
#include "ir.h"

typedef struct HlEngine {
  int ip, op;        /* MAC array: IP input x OP output channels per cycle */
  int r;             /* requantization lanes of the output stage (R | OP) */
  int nl;            /* layers on the engine */
  int64_t ntmax;     /* largest G*NOCT (output channel blocks) */
  int64_t wbmax;     /* largest layer's weights: G*NOCT*KH*KW*NICT*IP*OP */
  int64_t lbmax;     /* largest line buffer bank: ceil(C/IP)*KH*W */
  int64_t ocmax;     /* largest OC */
  int64_t owmax;     /* largest OW */
  int64_t nq;        /* entries of the bias / M / sh tables: sum G*NOCT*OP */
  bool wide, leaky;  /* some layer needs int64 accumulators / leaky ReLU */
  bool forced;       /* in/out parallelism fixed by the config: no folding */
  bool pack;         /* target.dsp_packing: two output channels' products
                        per multiplier (fx_mul2, WP486) */
} HlEngine;

/* True when layer l runs on its segment's engine in this config: engine
 * mode is on and l is a (non-transposed) Convolution. */
bool hl_engine_on(const CfgConfig *cfg, const Layer *l);
/* Sizes engine g for layers ls[0..n) with g->ip, g->op already set (each
 * clamped to the largest channels per group of the layers) and chooses
 * g->r: the fewest lanes (a power of two dividing OP) that keep the
 * output stage (G*NOCT*OP/R cycles per pixel) within every layer's MAC
 * cycles per pixel (KH*KW*G*NOCT*NICT). */
void hl_engine_size(HlEngine *g, Layer *const *ls, int n);
/* Layer l's loops on engine g at their proven IIs (all 1): cycles, bytes
 * through the ports, MACs; no resources (hl_engine_res counts them once). */
void hl_engine_est(const Layer *l, const HlEngine *g, HlEst *e);
/* The multipliers of the engine's MAC loop: IP*OP, or packed
 * IP*ceil(OP/2). */
int64_t hl_engine_muls(const HlEngine *g);
/* The engine's DSPs (its multipliers + 3 per requantization lane) and the
 * BRAM18Ks of its buffers and tables. */
void hl_engine_res(const HlEngine *g, HlEst *e);

/* Convolution weights (codes src, OC x C/G x KH x KW of geometry p, C
 * input and OC output channels) reordered into
 * IP x OP words, channels padded with zeros: axi ([g][oct][ky][kx][ict]
 * [ip][op], each output channel block contiguous) or ROM order
 * ([ky][kx][g][oct][ict][ip][op]); de: Deconvolution's source order.
 * *nw gets the count.  Defined in layers/conv.c. */
int16_t *hl_conv_weights(Arena *ar, const rt_conv_param *p, int C, int OC, const int16_t *src, int IP,
                         int OP, bool axi, bool de, int64_t *nw);

#endif
