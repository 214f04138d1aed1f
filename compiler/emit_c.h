/* emit_c.h - the float C program of a net: <net>.c and <net>.h.
 *
 * The emitter decides everything (loop bounds, weight layouts, symbol names,
 * buffer offsets, the float literals) and hands FLAT tables to the Lua
 * templates in templates/c/, which only format:
 *
 *   c/<name>   one layer function, the template a kind's emit_c slot
 *              picks (ir.h LayerOps; kind files fill it through
 *              emit_kind.h).  Every table has fn, caffe_name, caffe_type,
 *              fused, shapes, nb, nt, relu (bool), slope (C float
 *              literal), count, restrict and the kind's constants (see
 *              each template).
 *   c/ref      a layer run by the runtime's reference kernel: kernel,
 *              ptype, params (list of {field, value}: the struct's
 *              initializer from pfield.h), bottoms/tops/weights (lists of
 *              {nd, dims, ptr}), ws, detout/max_rows.
 *   c/weights, c/net, c/header: the program's files.
 *
 * A quantized net's fixed-point layers and conversions come from emit_fx.h;
 * its float layers then run the runtime's reference kernels, so the program
 * is bit-identical to the simulator.  The rest of the project (main.c,
 * CMakeLists.txt, ...) is emit_proj.h's.
 */
#ifndef CHAI_EMIT_C_H
#define CHAI_EMIT_C_H

#include <stdbool.h>
#include <stdint.h>

#include "emit_fx.h"
#include "emit_util.h"
#include "ir.h"
#include "lua_host.h"
#include "passes.h"

/* One weight array of the program: W_<fn>_<role>[count], at float offset
 * off of the weights blob (bin mode). */
typedef struct EcWeight {
  const char *sym;
  const float *d;
  int64_t count, off;
} EcWeight;

typedef struct EcHost {
  Net *n;
  const PsPlan *plan;   /* the float buffer plan (ps_plan) */
  LhHost *lh;
  Arena *ar;
  Diag *dg;
  const EuProv *prov;   /* provenance, prefix and base names */
  EfCtx *fx;            /* quantized net: its fixed-point part, else NULL */
  int threads;          /* <PREFIX>_THREADS: the program's default thread count (0: online CPUs) */
} EcHost;

typedef struct Ec Ec;

Ec *ec_open(const EcHost *h);
void ec_close(Ec *e);
/* Renders every live layer's function and the run's calls (with the
 * fixed-point host code when fx).  0, or -1 after reporting. */
int ec_layers(Ec *e);
/* Writes dir/<base>.c and dir/<base>.h; bin: the weights are in the
 * <prefix>_weights blob instead of initializers.  0, or -1 after
 * reporting. */
int ec_write(Ec *e, const char *dir, bool bin);
/* The weight arrays (after ec_layers) and the blob's size in floats. */
const EcWeight *ec_weights(const Ec *e, int *n, int64_t *nfloats);
/* The plugin types whose layers the program calls (after ec_layers). */
const IrCustomType *const *ec_plugins(const Ec *e, int *n);

#endif
