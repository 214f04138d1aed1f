/* passes.h - graph passes over a loaded Net, in place.
 *
 * ps_run folds BatchNorm/Scale into a preceding Convolution, Deconvolution
 * or InnerProduct, turns the remaining BatchNorm(+Scale) chains into one
 * per-channel affine Scale layer, fuses ReLU into its producer, removes
 * Dropout and Split, and removes layers that feed no network output.
 * Removed layers stay in n->layers with dead = true and keep their tops, so
 * the producer of a blob is always the last (dead or live) layer whose
 * top[0] it is, under the Caffe layer name the outputs are written as.
 * The Blob wiring of live layers stays consistent (bottoms point at live
 * producers' tops), so the interpreter runs the transformed net.
 *
 * ps_plan assigns every activation blob an offset in one arena (used by the
 * C generator); ps_run logs its summary.
 */
#ifndef CHAI_PASSES_H
#define CHAI_PASSES_H

#include <stdint.h>

#include "ir.h"

/* One line per change, in order ("fold: bn1+scale1 into conv1"). */
typedef struct PsLog {
  Arena *ar;
  int n, cap;
  const char **line;
} PsLog;

void ps_log_init(PsLog *lg, Arena *ar);
void ps_log(PsLog *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where a blob lives in the generated program. */
typedef enum PsWhere {
  PS_NONE = 0, /* not used by any live layer */
  PS_INPUT,    /* a net input: the caller's buffer (read-only) */
  PS_OUTPUT,   /* a net output: the caller's outputs[k] */
  PS_ARENA,    /* off floats into the activation arena */
  PS_CONST,    /* a constant tensor (constfold.h): values computed at
                  compile time, a constant array of the program */
} PsWhere;

typedef struct PsPlan {
  PsWhere *where;   /* per blob id */
  int64_t *off;     /* per blob id: arena offset in floats (PS_ARENA) */
  int *out_index;   /* per blob id: k of outputs[k] (PS_OUTPUT), else -1 */
  int *alias_of;    /* per blob id: blob id whose storage it shares
                       (no-op Flatten/Reshape/in-place), or -1 */
  bool *inplace;    /* per layer id: top[0] reuses bottom[0]'s storage */
  bool *noop;       /* per layer id: top[0] aliases bottom[0]; no code */
  bool *cst;        /* per blob id: a constant tensor (cf_mark) */
  bool *cfold;      /* per layer id: makes constant tops only; no code (a
                       constant net output is copied in by the program) */
  int64_t size;     /* arena floats (peak) */
  int64_t unplanned;/* sum of the arena blobs' sizes without reuse */
  int64_t io;       /* floats of net inputs and outputs */
} PsPlan;

/* Runs every pass below in order; logs each change.  0 on success. */
int ps_run(Net *n, PsLog *lg);

/* Individual passes (each returns the number of changes). */
int ps_remove_identity(Net *n, PsLog *lg); /* Dropout, Split */
int ps_fold_bn(Net *n, PsLog *lg);         /* BN/Scale into Conv/Deconv/IP */
int ps_bn_affine(Net *n, PsLog *lg);       /* lone BN(+Scale) -> Scale */
int ps_fuse_relu(Net *n, PsLog *lg);       /* ReLU into its producer */
int ps_remove_unused(Net *n, PsLog *lg);   /* no path to a network output */
/* Recomputes Blob.nconsumers from the live layers. */
void ps_recount(Net *n);

/* Buffer planning: linear scan over the live layers in order.  Net inputs
 * and outputs are external; constant tensors (constfold.h) that are not
 * net outputs are PS_CONST, their layers cfold; a blob's storage is freed
 * after its last reader.  Elementwise layers whose bottom[0] dies at them write in place,
 * and Flatten/Reshape (and kept Dropout/Split) alias their bottom.  Offsets
 * are multiples of 16 floats.  Arrays are allocated in n->ar. */
void ps_plan(const Net *n, PsPlan *p);
/* True for kinds whose top may share bottom[0]'s storage. */
bool ps_elementwise(const Layer *l);
/* The layer name a blob is written under (the last layer, dead or live,
 * whose top[0] is b), or the blob name for a net input. */
const char *ps_blob_layer_name(const Net *n, const Blob *b);

#endif
