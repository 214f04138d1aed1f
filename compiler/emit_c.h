/* emit_c.h - the C code generator: a loaded, pass-transformed Net to a
 * self-contained CMake project (see docs in cmd_compile.c's usage).
 *
 * The emitter decides everything (loop bounds, weight layouts, symbol names,
 * buffer offsets, the float literals) and hands FLAT tables to the Lua
 * templates in templates/c/, which only format:
 *
 *   c/<kind>   one layer function.  Every table has fn, caffe_name,
 *              caffe_type, fused, shapes, nb, nt, relu (bool), slope (C
 *              float literal) and the kind's constants (see each template).
 *   c/ref      a layer run by the runtime's reference kernel: kernel,
 *              ptype, params (list of {field, value}), bottoms/tops/weights
 *              (lists of {nd, dims, ptr}).
 *   c/weights, c/net, c/header, c/main, c/cmake, c/incbin: the files.
 *
 * Output goes to a temporary directory next to OUTDIR that is renamed into
 * place only when everything was written; same inputs give byte-identical
 * files.
 */
#ifndef CHAI_EMIT_C_H
#define CHAI_EMIT_C_H

#include <stdint.h>

#include "../runtime/rt_image.h"
#include "ir.h"
#include "lua_host.h"
#include "passes.h"
#include "qsim.h"
#include "config.h"

typedef struct EcOpts {
  const char *outdir;
  const char *prefix;        /* symbol prefix; NULL = from the net name */
  bool image_ok;             /* the generated main accepts images */
  rt_preproc pp;             /* their preprocessing (when image_ok) */
  int64_t bin_threshold;     /* weights bytes above which they go to a .bin */
  const char *cmdline;       /* for the provenance header */
  const char *sha_prototxt, *sha_weights;
  /* Quantized nets (emit_fx.h): the prepared simulator net, or NULL for a
   * float net; the YAML config (placement done, may be NULL); the targets
   * (EC_TARGET_* bits; 0 means C); the testbench input (.npy or NULL). */
  const QsNet *qn;
  const CfgConfig *cfg;
  int target;
  const char *tb_input;
} EcOpts;

enum { EC_TARGET_C = 1, EC_TARGET_HLS = 2 };

/* Generates the project for n (passes already run, plan from ps_plan).
 * 0 on success; on failure reports through dg and leaves outdir as it was. */
int ec_emit(Net *n, const PsPlan *plan, const EcOpts *o, Diag *dg);

/* Formats f as a C float literal that reads back exactly ("0.5f",
 * "3.0f", "1.17549435e-38f", "INFINITY"); returns buf. */
char *ec_float(float f, char *buf, size_t n);
/* Text safe inside a C comment (no star-slash pair, no newlines). */
char *ec_comment_safe(Arena *ar, const char *s);
/* Sets the fields every layer template gets: fn, caffe_name, caffe_type,
 * fused and shapes ("1x3x8x8 -> 1x4x6x6"), comment-safe. */
void ec_layer_header(LhHost *h, Arena *ar, const Layer *l, const char *fn);
/* A C identifier from any name: [A-Za-z0-9_], not starting with a digit. */
char *ec_ident(Arena *ar, const char *name);

#endif
