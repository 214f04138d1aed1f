/* emit_hls.h - the HLS output of a quantized net (templates/hls/).
 *
 * Every fixed-point layer of the plan (fx_plan.h) becomes HLS-style
 * synthesizable C: intN_t codes saturated to their bit width, accumulators
 * as wide as the prepared acc64 flag says, static arrays, labelled loops
 * with constant trip counts and `#pragma HLS` lines.  The numbers baked in
 * (weight codes, biases, multipliers, shifts) are the prepared ones of the
 * QsNet, so the code computes what `chaicc run` computes.
 *
 * Segment layers go to OUTDIR/hls/<net>_seg<k>.c with one top function
 * <prefix>_seg<k>(int8_t *fm, const int8_t *wts) each; the other
 * fixed-point layers to OUTDIR/hls/<net>_swfx.c (same templates, run by
 * the host).  eh_write also writes <net>_hw.h, chai_fx.h, testbenches with
 * simulator data, run_hls.tcl, directives.tcl, README.md and the AXI
 * weight file.
 */
#ifndef CHAI_EMIT_HLS_H
#define CHAI_EMIT_HLS_H

#include "config.h"
#include "emit_util.h"
#include "fx_plan.h"
#include "lua_host.h"

typedef struct EhHost {
  FpPlan *p;            /* a plan not in all-software mode */
  const CfgConfig *cfg; /* may be NULL */
  LhHost *lh;
  Arena *ar;
  Diag *dg;
  const EuProv *prov;
  const char *tb_input; /* .npy the testbench data is computed from, or NULL */
} EhHost;

typedef struct EhCtx EhCtx;

/* Renders every fixed-point layer of the plan (marking the steps that
 * take the AXI weight port).  NULL after reporting an error. */
EhCtx *eh_open(const EhHost *h);
void eh_close(EhCtx *x);
/* The host file's declarations for the HLS build (hls/host): the code
 * arenas, the segment driver, the <net>_swfx.c functions.  NULL after an
 * error. */
const char *eh_decls(EhCtx *x);
/* Writes DIR/hls/.  0 on success (else reported). */
int eh_write(EhCtx *x, const char *dir);

#endif
