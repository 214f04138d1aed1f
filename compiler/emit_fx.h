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
/* Pipelined frames (`target.schedule: pipelined` with two or more
 * hardware segments; docs/hls.md "Pipelined frames"): the run is cut
 * into one stage per hardware segment, stage k starting with segment k's
 * call, so that frames in flight each get their own buffers.
 * ef_stages: the stage count (0: no pipelined schedule); ef_stage_at:
 * k >= 1 when live layer l starts stage k, else 0. */
int ef_stages(const EfCtx *x);
int ef_stage_at(const EfCtx *x, const Layer *l);
/* Writes DIR/hls/ (nothing in all-software mode).  0 on success (else
 * reported). */
int ef_write(EfCtx *x, const char *dir);

/* ---- The kind-file API: one layer's runtime call (LayerOps.fx_call) ----
 * In all-software mode every QS_FX layer becomes a function of
 * templates/c/fx:
 *     static const <ctype> <PFX>_<fn>[n] = {...};        (arrays)
 *     static const <ptype> P_<fn> = {.<field> = <value>, ...};
 *     ... <kernel>(&P_<fn>, <bottom codes>, <top codes>) ...
 * The kind's fx_call slot fills in the kernel, the parameter type, the
 * fields (in order) and the arrays; the emitter adds the header, the
 * buffers and the post op.  Values are C source text. */
typedef struct EfCall EfCall;

/* The runtime kernel ("rt_fx_conv") and its parameter struct type
 * ("rt_fx_conv_param"; "" when the kernel takes none).  Required. */
void ef_call_kernel(EfCall *c, const char *kernel, const char *ptype);
/* The kernel applies the layer's post op (its fused ReLU or format
 * change, an rt_fx_relu_param) itself, element by element, when the
 * parameter field `field` points to one: the generated function then
 * passes &PP_<fn> there instead of calling rt_fx_relu after the kernel.
 * Optional; only for a kernel with a parameter struct. */
void ef_call_post(EfCall *c, const char *field);
/* Appends the field .<field> = <printf value>. */
void ef_call_field(EfCall *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends the field .<field> = the C initializer of the float parameter
 * struct `ptype` (runtime/rt_params.def) at p, on one line ("{.num_output
 * = 8, ...}", pfield.h). */
void ef_call_struct(EfCall *c, const char *field, const char *ptype, const void *p);
/* Adds the array static const <ctype> <pfx>_<fn>[n] (get(d, i) each) and
 * returns its name, for a field value. */
const char *ef_call_array(EfCall *c, const char *ctype, const char *pfx, int64_t n, EuGet get,
                          const void *d);
/* "{a, b, c}" of n integers get(d, i) ("{0}" when n is 0). */
const char *ef_call_list(EfCall *c, int64_t n, EuGet get, const void *d);
/* v as a C integer constant (INT64_C(v) beyond 32 bits). */
const char *ef_call_i64(EfCall *c, int64_t v);
/* The output requantization of a multiply-accumulate kernel for n
 * channels: arrays M, S (MN, SN when leaky) and the field .q. */
void ef_call_outq(EfCall *c, const rt_fx_outq *q, int n);

/* Shared emissions, fx_call values for every kind whose call is one of:
 *   ef_requant_call  rt_fx_relu on a rt_fx_relu_param: the elementwise
 *                    requantization y = x * M >> sh (Mn, shn below zero)
 *                    saturated to qmin..qmax (ReLU, and any kind prepared
 *                    to it, e.g. a slope -1 for |x|)
 *   ef_affine_call   rt_fx_affine on a rt_fx_affine_param: per-channel
 *                    y = x * M >> sh + B (BatchNorm, Scale)
 *   ef_copy_call     rt_fx_copy: the codes move unchanged (Flatten,
 *                    Reshape, Dropout) */
void ef_requant_call(EfCall *c, const Layer *l, const void *param);
void ef_affine_call(EfCall *c, const Layer *l, const void *param);
void ef_copy_call(EfCall *c, const Layer *l, const void *param);

#endif
