/* rt_custom.h - plugin ("custom") layers declared in the YAML config.
 *
 * A custom layer's computation is a user C function that only generated
 * code calls.  Its signature (see docs/config.md):
 *
 *   void fn(const float *in, const int in_shape[4],
 *           float *out, const int out_shape[4]);
 *
 * The float interpreter cannot run a custom layer: rt_custom_f32 reports
 * that (naming the layer and the plugin function) unless `call` was set. */
#ifndef RT_CUSTOM_H
#define RT_CUSTOM_H

#include "rt_layers.h"

typedef void (*rt_custom_fn)(const float *in, const int in_shape[4], float *out,
                             const int out_shape[4]);

typedef struct rt_custom_param {
  const char *layer; /* layer name, for the error message */
  const char *fn;    /* plugin function name */
  int scale_hw;      /* shape rule: 0 = "same", K > 0 = "scale_hw:K" */
  const char *param; /* the layer's parameter blocks in protobuf text
                        format ("" if none): handed to the plugin */
  rt_custom_fn call; /* NULL: cannot run here (the interpreter) */
} rt_custom_param;

/* Runs `call` on bottom 0 -> top 0 when set; otherwise prints an error
 * naming the layer and function to stderr and exits with status 1. */
void rt_custom_f32(const void *p, const rt_args *a);

#endif
