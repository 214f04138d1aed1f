/* quant.h - per-layer quantization as CHaiDNN's precision_param states it.
 *
 * A Layer with l->q != NULL runs in fixed point.  LayerQuant is exactly the
 * information of a CHaiDNN `precision_param { ... }` block (see
 * proto/caffe.proto, PrecisionParameter), validated, plus where it was
 * written.  Xilinx mode: thresholds (scale = th / (2^(bw-1)-1), symmetric);
 * DynamicFixed mode: fractional lengths (scale = 2^-fl, may be negative).
 * How these numbers turn into integer arithmetic is runtime/rt_fixed.h and
 * docs/fixed-point.md.
 */
#ifndef CHAI_QUANT_H
#define CHAI_QUANT_H

#include <stdbool.h>

#include "ir.h"

typedef enum QuantMode { QM_XILINX = 0, QM_DFIXED = 1 } QuantMode;

typedef struct LayerQuant {
  QuantMode mode;
  SrcLoc loc;             /* the precision_param block */
  int bw_in, bw_out, bw_params;   /* bw_params 0: layer has no weights */
  /* Xilinx */
  float th_in, th_out;
  int nth;                /* th_params count: one per output channel */
  float *th_params;
  /* DynamicFixed */
  int fl_in, fl_out, fl_params;
  /* DynamicFixed BatchNorm / Scale extras (CHaiDNN fields 9..18) */
  int bn_mean_bw, bn_mean_fl, bn_var_bw, bn_var_fl;
  int sc_gamma_bw, sc_gamma_fl, sc_beta_bw, sc_beta_fl;
  int sc_gamma_by_std_bw, sc_gamma_by_std_fl;
} LayerQuant;

/* Kinds that carry a precision_param in each mode (CHaiDNN QUANTIZATION.md):
 * both modes: Convolution (incl. depthwise), BatchNorm, Scale, Pooling,
 * Eltwise, Permute; Xilinx mode also: ReLU, Deconvolution, Concat,
 * Normalize, Input. */
bool qt_kind_has_precision(LayerKind k, QuantMode m);

/* Kinds whose precision block must describe weights (bw_params plus
 * th_params per output channel, or fl_params): Convolution (incl.
 * depthwise) in both modes, Deconvolution in Xilinx mode.  Other kinds may
 * give them (validated when given). */
bool qt_kind_needs_params(LayerKind k, QuantMode m);
/* "Xilinx" or "DynamicFixed" (the quant_type strings). */
const char *qt_mode_name(QuantMode m);
/* Output channel count: num_output for (de)convolutions, else axis 1 of
 * the first top (1 when it has fewer axes). */
int qt_out_channels(const Layer *l);

/* Reads and validates every layer's precision_param (or its alias
 * quantization_param) into l->q (arena-allocated; NULL = float).  Checks:
 * quant_type "Xilinx" or "DynamicFixed" (default), one mode per net, every
 * field the mode needs present (an error per missing field, located at the
 * block), bit widths 2..16 and 8 or 6 for layers placed in hardware
 * (others warn), thresholds positive and finite, one th_params per output
 * channel.  A block on a kind outside the mode's list warns and is
 * ignored.  With check_pin, a file pinned to other weights than
 * n->weights_file (see qt_pin_header) is an error at the pin line.  All
 * errors are reported; returns 0, or -1 if any. */
int qt_read(Net *n, bool check_pin);

/* True when a and b describe the same quantization (locations aside). */
bool qt_equal(const LayerQuant *a, const LayerQuant *b);

/* Writes n's prototxt (re-read from n->file, every field kept in order)
 * with a precision_param block on exactly the layers whose q is set (and
 * none elsewhere) to path, through a temp file renamed on success.  A V1
 * file is written in the `layer` format with its TEST-phase layers
 * (*converted = true).  header, when not NULL, is written first, as is
 * (comment lines, e.g. qt_pin_header's).  0, or -1 after reporting. */
int qt_write(const Net *n, const char *path, bool *converted, Diag *dg, const char *header);

/* The weights a CHai prototxt goes with (docs/quantization.md, "Which
 * caffemodel goes with a CHai prototxt").  When quantize changed the float
 * weights (--equalize, --bias_correction) it writes them to a new
 * caffemodel and pins the prototxt to it with a comment line
 *     # chaicc-weights: SHA256(written) SHA256(input weights) WRITTEN-PATH
 * qt_pin_header returns the header (arena text: a sentence for the reader
 * and that line) for the written file `written` (made from `input`), or
 * NULL after reporting a file that cannot be read. */
const char *qt_pin_header(Arena *ar, const char *written, const char *input, Diag *dg);
/* The pin line of a CHai prototxt (with its newline, arena text), or
 * NULL when it has none: for a command that rewrites the file (deploy). */
const char *qt_pin_of(Arena *ar, const char *file);

#endif
