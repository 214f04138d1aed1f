/* constfold.h - constant tensors: blobs whose values depend on the input
 * shapes alone, never on the input data.
 *
 * A live layer of a LKF_SHAPEONLY kind (PriorBox) makes constant tops; a
 * live layer of a data-movement kind (LKF_MOVE: Concat, Slice, Permute;
 * LKF_COPY: Flatten, Reshape, Split, Dropout) whose bottoms are all
 * constant makes constant tops too.  Constant tensors are exact floats:
 * the quantizer gives their layers no precision_param (a block on one is
 * ignored with a warning, quant.c), the simulator computes them in float,
 * and the generated C holds their values as constant arrays computed here
 * at compile time (no PriorBox runs per inference).
 */
#ifndef CHAI_CONSTFOLD_H
#define CHAI_CONSTFOLD_H

#include <stdbool.h>

#include "ir.h"

/* Per blob id (n->nblob entries, arena-allocated in ar): true when the
 * blob is the top of a live layer whose tops are constant.  Dead layers
 * are skipped, so it holds before and after the graph passes. */
bool *cf_mark(const Net *n, Arena *ar);

/* True when live layer l makes constant tops: it has tops, and they are
 * all marked in cst (cf_mark). */
bool cf_layer_const(const Layer *l, const bool *cst);

/* True when some live layer of n makes constant tops. */
bool cf_any(const Net *n, const bool *cst);

/* Values of the constant blobs: vals[id] (n->nblob entries, arena
 * memory in ar) points at rt_shape_count(&blob->shape) floats for every
 * blob marked in cst, NULL for the others.  They are computed by running
 * the constant layers in order with the runtime's reference kernels (the
 * interpreter's in_run_layer), so they equal what the float interpreter
 * and the simulator compute.  Returns the array. */
float **cf_eval(Net *n, const bool *cst, Arena *ar);

#endif
