/* loader.h - from Caffe files to the graph IR.
 *
 * ld_load parses the deploy prototxt (text format, new `layer` or V1
 * `layers`), keeps the layers of the TEST phase, builds the IR with in-place
 * layers resolved to SSA blob versions, runs every kind's setup and shape
 * inference, and binds the caffemodel's blobs by layer name.  All semantic
 * errors are reported (located) before it returns NULL.
 */
#ifndef CHAI_LOADER_H
#define CHAI_LOADER_H

#include "ir.h"

/* weights may be NULL: then weights stay unloaded (info, shape checks). */
Net *ld_load(const char *prototxt, const char *weights, Arena *ar, Diag *dg);
/* How a load may differ from ld_load's. */
typedef struct LdOpts {
  /* plugin layer types (the YAML config's custom_layers): a layer whose
   * type is unknown to the registry but declared here loads as LK_CUSTOM;
   * the array must outlive the Net */
  const IrCustomType *custom;
  int ncustom;
  /* skip qt_read's weights-pin check: for chaicc quantize, which replaces
   * the thresholds the pin vouches for and reads back its own files */
  bool no_pin_check;
} LdOpts;
/* ld_load with options (o may be NULL: ld_load's defaults). */
Net *ld_load_opts(const char *prototxt, const char *weights, const LdOpts *o, Arena *ar,
                  Diag *dg);
/* For a net loaded without WEIGHTS by a command that runs it: a located
 * error for each layer with required learned blobs; 0 when the net has
 * none (WEIGHTS is optional then: docs/cli.md). */
int ld_check_weightless(Net *n);
/* Re-run shape inference from the inputs' shapes (after ld_set_batch). */
int ld_infer_shapes(Net *n);
/* Change the batch size (axis 0) of every input and re-infer shapes. */
int ld_set_batch(Net *n, int batch);
/* The batch rule of compiled programs (docs/cli.md): compares every
 * blob's shape at batch 1 with its shape at the inputs' batch B and sets
 * bax[blob id] (n->nblob entries) to the axis holding the items (B times
 * its batch-1 size, the axes before it of size 1: the first b items are a
 * prefix of the data) or -1 when the shape does not depend on the batch.
 * Returns NULL when every blob is one of these, else the first blob that
 * is not (its bax is -2; the net then runs batch B only).  The shapes are
 * left at batch B.  With B == 1 every bax is 0. */
const Blob *ld_batch_axes(Net *n, int *bax);
/* Latest version of the blob called name, or NULL. */
Blob *ld_find_blob(const Net *n, const char *name);
Layer *ld_find_layer(const Net *n, const char *name);
/* Frees the weight data of every net loaded so far (their Weight.t.d
 * pointers dangle afterwards).  Called once at exit. */
void ld_cleanup(void);

#endif
