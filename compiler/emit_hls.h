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
#include "hls.h"
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
 * arenas, the segment driver, the <net>_swfx.c functions.  slots > 1
 * (pipelined frames, emit_fx.h): that many copies of the code arenas,
 * fx8 / fx64 / fx16 pointing at the current one (fx_slot).  NULL after an
 * error. */
const char *eh_decls(EhCtx *x, int slots);
/* Writes DIR/hls/.  0 on success (else reported). */
int eh_write(EhCtx *x, const char *dir);

/* ---- The kind-file API: one layer's HLS function (LayerOps.hls_fn) ----
 * The kernel step of a QS_FX layer is one function of a templates/hls/
 * template; the kind's hls_fn slot fills the template's table and renders
 * it:
 *     LhHost *h = eh_fn_begin(f, l, 1);   (header, xt/yt, wts = wide = false)
 *     lh_set_int(h, "II", f->k->ii); ...
 *     return eh_fn_render(f, "hls/<kind>");
 */
typedef struct EhFn {
  EhCtx *x;          /* the emitter (for the eh_fn_* calls) */
  const char *fn;    /* the function's name */
  int nsrc;          /* bottom code buffers (FpPlan indices) */
  const int *src;
  int dst;           /* the top code buffer */
  const HlKnobs *k;  /* the layer's knobs (hl_knobs) */
  bool hw;           /* in a hardware segment (else <net>_swfx.c) */
  bool wts;          /* out: takes the AXI weight port (eh_fn_add_wts) */
  int wpb;           /* out: 8 / 16 when it takes only the wide port fm64 /
                        fm128 (eh_fn_wide) */
} EhFn;

/* Starts the template table of f's function on bottoms src[0..nb) and
 * top dst: the layer header, element types xt / yt, wts and wide false.
 * Returns the Lua host to add the kind's fields to. */
LhHost *eh_fn_begin(EhFn *f, const Layer *l, int nb);
/* Renders template tmpl with the table; NULL after an error. */
const char *eh_fn_render(EhFn *f, const char *tmpl);
/* The arena of the generated text. */
Arena *eh_fn_arena(EhFn *f);
/* Codes in plan buffer i (f->dst, f->src[k]). */
int64_t eh_fn_count(EhFn *f, int i);
/* Appends n weight bytes to the AXI weight memory (64-byte aligned),
 * marks f as taking the weight port and returns their offset. */
int64_t eh_fn_add_wts(EhFn *f, const int8_t *d, int64_t n);
/* Whether f's function moves pb-byte beats over the wide port fm64 /
 * fm128 (a hardware segment with f->k->pb 8 or 16; its codes are 8-bit in
 * fm): then marks f as called fn(fm64) / fn(fm128) and *xo / *yo get the
 * byte offsets in fm of its bottom src[0] and its top. */
bool eh_fn_wide(EhFn *f, int64_t *xo, int64_t *yo);
/* Starts a template table with no layer header (the shared engine). */
LhHost *eh_fn_host(EhFn *f);
/* True when (M, sh) is the identity requantization. */
bool eh_ident_m(int32_t M, int sh);
/* Sets the wide port fields of template table h for pb-byte beats: bt
 * (the beat type), pfm, pwts (the port names: hl_beat_port), PB. */
void eh_set_beat(LhHost *h, int pb);

/* Shared emissions, hls_fn values for every kind whose step is one of:
 *   eh_requant_fn  hls/elem: the elementwise requantization of a
 *                  rt_fx_relu_param (ReLU, and any kind prepared to it),
 *                  op lanes
 *   eh_affine_fn   hls/affine: per-channel y = x * M >> sh + B of a
 *                  rt_fx_affine_param (BatchNorm, Scale), op lanes
 *   eh_copy_fn     hls/permute as a 1-D copy: the codes move unchanged
 *                  (Flatten, Reshape, Dropout) */
const char *eh_requant_fn(EhFn *f, const Layer *l, const void *param);
const char *eh_affine_fn(EhFn *f, const Layer *l, const void *param);
const char *eh_copy_fn(EhFn *f, const Layer *l, const void *param);
/* hls/permute: top element i = bottom element sum_k idx_k * strides[k],
 * the idx_k of i over dims[0..nd) (ostrides: the top's strides); one
 * lane.  nd 0 is one element. */
const char *eh_permute_fn(EhFn *f, const Layer *l, int nd, const int64_t *dims,
                          const int64_t *strides, const int64_t *ostrides);

/* One layer of a segment's shared engine: its prepared parameters and
 * the offsets of its bottom and top codes in fm. */
typedef struct EhEngLay {
  const Layer *l;
  const rt_fx_conv_param *p;
  int64_t xo, yo;
} EhEngLay;
/* hls/engine (emit_engine.c): the engine function f->fn of segment seg
 * running layers ls[0..n) (layer L = ls[L]) on engine g; appends their
 * weights to the AXI memory ([g][oct][ky][kx][ict][ip][op] per layer). */
const char *eh_engine_fn(EhFn *f, const HlEngine *g, int seg, const EhEngLay *ls, int n);

#endif
