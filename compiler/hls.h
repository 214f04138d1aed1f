/* hls.h - the HLS backend's knobs and performance estimate (docs/hls.md).
 *
 * hl_knobs resolves a hardware layer's pragmas from the YAML config
 * (per-layer rule > target.pragmas > defaults) and where its weights live
 * (on-chip ROM or AXI, by rule or by target.onchip_weight_limit_kb).
 * hl_estimate turns a layer's loop trip counts, initiation interval and
 * unroll factors into cycles and DSPs with the formula in docs/hls.md; the
 * generated loops (templates/hls/) have exactly these trip counts.
 */
#ifndef CHAI_HLS_H
#define CHAI_HLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "ir.h"

#define HL_DEFAULT_PART "xczu9eg-ffvb1156-2-e"
#define HL_DEFAULT_CLOCK_NS 5.0
#define HL_DEFAULT_II 1
#define HL_DEFAULT_IN_PAR 8
#define HL_DEFAULT_OUT_PAR 16
#define HL_DEFAULT_ONCHIP_KB 64

typedef struct HlKnobs {
  int ii;       /* PIPELINE II of the inner loops */
  int ip, op;   /* input / output channel parallelism, clamped to the
                   layer's channels per group; elementwise layers (ReLU,
                   BN, Scale, Eltwise, Concat): op lanes; Pooling: 1 */
  bool axi;     /* weights read over AXI (else an on-chip ROM) */
} HlKnobs;

/* Kinds the HLS templates implement (a hardware segment holds only these):
 * the kinds with a hardware kernel (lk_has_hw). */
bool hl_kind_ok(LayerKind k);
/* Weight bytes of a hardware layer (8-bit codes; 0 without weights). */
int64_t hl_wbytes(const Layer *l);
/* Knobs of live layer l; wbytes = its weight bytes (for the size rule). */
void hl_knobs(const CfgConfig *cfg, const Layer *l, int64_t wbytes, HlKnobs *k);
/* Part and clock period (config target or defaults). */
const char *hl_part(const CfgConfig *cfg);
double hl_clock_ns(const CfgConfig *cfg);

typedef struct HlEst {
  int64_t cycles; /* latency of the layer function */
  int64_t dsp;    /* DSP48 slices it instantiates */
  int64_t macs;   /* useful multiply-accumulates */
} HlEst;
/* Estimate for live layer l of a hardware segment with knobs k. */
void hl_estimate(const Layer *l, const HlKnobs *k, HlEst *e);
/* ceil(a / b) for b > 0 (for the kinds' hls_estimate slots). */
int64_t hl_cdiv(int64_t a, int64_t b);

/* `chaicc info --hls`: runs the graph passes on n (in place), forms the
 * hardware segments (maximal runs of live layers placed in hardware whose
 * kind hl_kind_ok accepts; pt_assign must have run) and prints per-layer
 * and per-segment cycles and DSPs and the frame rate at the clock. */
void hl_info(Net *n, const CfgConfig *cfg, FILE *f);

#endif
