/* emit_fx.h - fixed-point code generation shared by the C and HLS targets.
 *
 * For a quantized net (qs_prepare'd), every layer that the simulator runs
 * in integers (QS_FX) becomes HLS-style synthesizable C rendered from
 * templates/hls/: intN_t codes saturated to their bit width, accumulators
 * as wide as the prepared acc64 flag says, static arrays, labelled loops
 * with constant trip counts and `#pragma HLS` lines.  The numbers baked in
 * (weight codes, biases, multipliers, shifts) are the prepared ones of the
 * QsNet, so the code computes what `chaicc run` computes.
 *
 * Maximal runs of consecutive live layers placed in hardware (Layer.place,
 * pt_assign) that have an HLS template and 8-bit-or-narrower codes form
 * hardware segments: OUTDIR/hls/<net>_seg<k>.c with one top function
 * <prefix>_seg<k>(int8_t *fm, const int8_t *wts) each.  The other
 * fixed-point layers go to OUTDIR/hls/<net>_swfx.c (same templates, run by
 * the host).  The C target's <net>.c includes both and calls the segments
 * through a small driver (<prefix>_hw_run), so the executable runs the very
 * source that would be synthesized.  Host code around them: float ->
 * code (rt_fx_quantize1) and code -> float conversions exactly as qsim's
 * boundaries, for the layers left in float.
 *
 * ef_write also writes the HLS project: <net>_hw.h, chai_fx.h, testbenches
 * with simulator data, run_hls.tcl, directives.tcl, README.md and the AXI
 * weight file.
 *
 * All-software mode (EfHost.sw, `--target c`): no segments and no HLS
 * sources.  Every fixed-point layer becomes a static function of the host
 * file (templates/c/fx) that calls the runtime's rt_fx_* kernel on int16
 * code buffers, with its prepared parameters baked in as static const
 * arrays and a static const rt_fx_*_param initializer; boundary
 * conversions as above.  Same numbers, same kernels as qs_run, so the
 * program is bit-identical to `chaicc run` and to the C simulation of the
 * HLS build.
 */
#ifndef CHAI_EMIT_FX_H
#define CHAI_EMIT_FX_H

#include <stdbool.h>

#include "config.h"
#include "ir.h"
#include "lua_host.h"
#include "qsim.h"

typedef struct EfHost {
  Net *n;
  const QsNet *qn;
  const CfgConfig *cfg;       /* may be NULL */
  LhHost *lh;
  Arena *ar;
  Diag *dg;
  const char *prefix, *upper, *base;
  const char *tb_input;       /* .npy the testbench data is computed from, or NULL */
  /* The C expression of a blob's float storage in the host code. */
  const char *(*fptr)(void *ctx, const Blob *b);
  /* Sets the provenance fields of the current template table. */
  void (*prov)(void *ctx);
  void *ctx;
  bool sw; /* all-software mode: runtime kernels, no segments, no hls/ */
} EfHost;

typedef struct EfCtx EfCtx;

/* Plans the code buffers and the segments and renders every fixed-point
 * layer.  NULL after reporting an error. */
EfCtx *ef_open(const EfHost *h);
void ef_close(EfCtx *x);

/* Host code for live layer l (in layer order).  Returns 1 with *code set
 * when l is handled here (quantized input, code copies, fixed-point layers
 * and segment calls; *code may be ""), 0 when l runs as a float layer:
 * then emit ef_pre_float(l), the float layer, ef_post_float(l). */
int ef_layer(EfCtx *x, const Layer *l, const char **code);
const char *ef_pre_float(EfCtx *x, const Layer *l);
const char *ef_post_float(EfCtx *x, const Layer *l);
/* Declarations for the host file (before the layer functions; in
 * all-software mode they include the fixed-point layer functions) and code
 * for the end of the run (net outputs held as codes -> floats). */
const char *ef_decls(EfCtx *x);
const char *ef_end(EfCtx *x);
/* Writes DIR/hls/ (nothing in all-software mode).  0 on success (else
 * reported). */
int ef_write(EfCtx *x, const char *dir);
/* Number of hardware segments. */
int ef_nseg(const EfCtx *x);

#endif
