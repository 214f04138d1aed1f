/* emit_proj.h - the generated project: the top of the code emitters.
 *
 * ep_emit turns a loaded, pass-transformed Net into a self-contained CMake
 * project (see the usage in cmd_compile.c): the program (emit_c.h, with
 * emit_fx.h's fixed-point part for a quantized net), main.c, the weights
 * blob (.bin and .S when large), plugin sources, CMakeLists.txt, the
 * cross-compilation toolchain files and the runtime sources; with the HLS
 * target, hls/ (emit_hls.h).  Templates: c/main, c/cmake, c/incbin,
 * c/toolchain.
 *
 * Output goes to a temporary directory next to OUTDIR that is renamed into
 * place only when everything was written; same inputs give byte-identical
 * files.
 */
#ifndef CHAI_EMIT_PROJ_H
#define CHAI_EMIT_PROJ_H

#include <stdbool.h>
#include <stdint.h>

#include "../runtime/rt_image.h"
#include "config.h"
#include "ir.h"
#include "passes.h"
#include "qsim.h"

typedef struct EpOpts {
  const char *outdir;
  const char *prefix;        /* symbol prefix; NULL = from the net name */
  bool image_ok;             /* the generated main accepts images */
  rt_preproc pp;             /* their preprocessing (when image_ok) */
  int64_t bin_threshold;     /* weights bytes above which they go to a .bin */
  const char *cmdline;       /* for the provenance header */
  const char *sha_prototxt, *sha_weights;
  /* Quantized nets: the prepared simulator net, or NULL for a float net;
   * the YAML config (placement done, may be NULL); the targets
   * (EP_TARGET_* bits; 0 means C); the testbench input (.npy or NULL). */
  const QsNet *qn;
  const CfgConfig *cfg;
  int target;
  const char *tb_input;
  /* The batch rule (docs/cli.md): bax[blob id] from ld_batch_axes when the
   * program accepts any batch 1..B of the compiled batch B; NULL when it
   * accepts batch B only. */
  const int *bax;
  /* The generated program's default thread count (--threads; 0: the
   * online CPUs at run time). */
  int threads;
} EpOpts;

enum { EP_TARGET_C = 1, EP_TARGET_HLS = 2 };

/* Generates the project for n (passes already run, plan from ps_plan).
 * 0 on success; on failure reports through dg and leaves outdir as it was. */
int ep_emit(Net *n, const PsPlan *plan, const EpOpts *o, Diag *dg);

#endif
