/* prep.h - command-line input preparation shared by `run`, `quantize` and
 * the benchmarks: XportDNN's preprocessing flags, and loading one input
 * file (.npy tensor or image) into a float NCHW tensor for a net input. */
#ifndef CHAI_PREP_H
#define CHAI_PREP_H

#include <stdbool.h>
#include <stdint.h>

#include "../runtime/rt_image.h"
#include "../runtime/rt_tensor.h"
#include "diag.h"

/* The flags as given; `set_*` tell which were given explicitly. */
typedef struct PrepOpts {
  rt_preproc pp;
  bool set_dims, set_swap, set_mean, set_transpose;
  const char *mean_file; /* Caffe mean.binaryproto or .npy (C x H x W) */
  float *mean_pixels;    /* loaded mean_file, resized to H x W if needed */
  bool set_input_scale;
  const struct Net *net; /* prep_use_net: its data layer's transform_param */
  bool tf_done;          /* that transform_param was applied (once) */
  bool tf_mean;          /* its mean_value is the mean */
} PrepOpts;

void prep_defaults(PrepOpts *o);
/* Tries to consume one preprocessing flag at argv[*i] (with its value at
 * argv[*i+1] or after '=').  Returns 1 if consumed, 0 if not a prep flag,
 * -1 on a bad value (reported). Accepts --flag_name and --flag-name. */
int prep_parse_flag(PrepOpts *o, int argc, char **argv, int *i, Diag *dg);
/* Makes the transform_param of n's data layer (a training prototxt's,
 * n->transform) the defaults of the options not given: mean_value or
 * mean_file, scale as --input_scale; prep_finish applies them with a note.
 * Call after loading the net. */
void prep_use_net(PrepOpts *o, const struct Net *n);
/* Fills defaults that depend on the net input shape (dims when not given,
 * gray defaults when C == 1) and validates swap/mean against C; loads the
 * mean file.  0 on success. */
int prep_finish(PrepOpts *o, const rt_shape *input, Diag *dg);
/* Loads path as an input: a .npy (float32 NCHW or CHW; its batch may
 * differ from the net's: *batch_out gets it) or an image (one item).
 * Returns malloc'ed data of (*batch_out) x C x H x W, or NULL (reported). */
float *prep_load(PrepOpts *o, const char *path, const rt_shape *input,
                 int *batch_out, Diag *dg);
/* True if the path names a .npy file (by magic bytes, then extension). */
bool prep_is_npy(const char *path);

#endif
