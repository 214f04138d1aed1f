/* interp.h - the float reference interpreter: runs a loaded Net layer by
 * layer with the runtime's reference kernels, driven by the registry.
 * Used by `chaicc run`, calibration, and tests. */
#ifndef CHAI_INTERP_H
#define CHAI_INTERP_H

#include "ir.h"

typedef struct Interp Interp;
/* Called after each layer ran; may read its tops with in_blob. */
typedef void (*in_hook_fn)(void *ctx, Interp *in, Layer *l);

struct Interp {
  Net *net;
  float **buf;       /* one buffer per blob id */
  rt_shape *shape;   /* run-time shape per blob id (DetectionOutput shrinks) */
  void *ws;
  size_t wscap;
  in_hook_fn hook;
  void *hook_ctx;
};

/* Allocates buffers for the net's current shapes; checks weights are
 * loaded (error naming the layer otherwise).  0 on success. */
int in_init(Interp *in, Net *n);
void in_free(Interp *in);
/* Copies data (count of the input's shape) into input i. */
void in_set_input(Interp *in, int i, const float *data);
/* Runs every layer in order. */
void in_run(Interp *in);
float *in_blob(const Interp *in, const Blob *b);
const rt_shape *in_shape(const Interp *in, const Blob *b);
/* Runs one layer (used by the quantized simulator for float layers). */
void in_run_layer(Interp *in, Layer *l);

#endif
