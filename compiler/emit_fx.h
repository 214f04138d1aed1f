/* emit_fx.h - the fixed-point part of the generated C program.
 *
 * For a quantized net (qs_prepare'd), the layers the simulator runs in
 * integers (QS_FX) work on code buffers planned by fx_plan.h.  Host code
 * around them: float -> code (fx_quantize*) and code -> float conversions
 * exactly as qsim's boundaries, for the layers left in float, and code
 * copies.
 *
 * With the HLS target (emit_hls.h), the C target's <net>.c includes the
 * HLS sources and calls the hardware segments through a small driver
 * (<prefix>_hw_run), so the executable runs the very source that would be
 * synthesized.
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
#include "emit_util.h"
#include "ir.h"
#include "lua_host.h"
#include "passes.h"
#include "qsim.h"

typedef struct EfHost {
  Net *n;
  const QsNet *qn;
  const CfgConfig *cfg;       /* may be NULL */
  LhHost *lh;
  Arena *ar;
  Diag *dg;
  const EuProv *prov;         /* provenance, prefix and base names */
  const PsPlan *fplan;        /* where the program keeps float blobs */
  const char *tb_input;       /* .npy the testbench data is computed from, or NULL */
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
 * all-software mode they include the fixed-point layer functions; NULL
 * after an error) and code for the end of the run (net outputs held as
 * codes -> floats). */
const char *ef_decls(EfCtx *x);
const char *ef_end(EfCtx *x);
/* Writes DIR/hls/ (nothing in all-software mode).  0 on success (else
 * reported). */
int ef_write(EfCtx *x, const char *dir);

#endif
