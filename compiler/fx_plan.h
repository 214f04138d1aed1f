/* fx_plan.h - the code buffers, steps and hardware segments of a quantized
 * net, shared by the fixed-point C (emit_fx) and HLS (emit_hls) emitters.
 *
 * Every blob the simulator holds as integer codes gets a code buffer, and
 * so does every boundary conversion of a fixed-point layer's bottom (a
 * float -> code quantization done by the host, or a code -> code
 * requantization step).  Buffers of 8-bit-or-narrower codes live in the
 * int8_t feature-map memory `fm` (host side `fx8`), the others in the
 * int16_t host arena `fx16`; in all-software mode everything is int16_t.
 *
 * A fixed-point (QS_FX) layer runs as steps: its input conversions
 * (<fn>_cv<k>), the kernel (<fn>) and a post op (<fn>_post).  Maximal runs
 * of consecutive live layers placed in hardware whose steps all use 8-bit
 * buffers (and an HLS template) form the segments <prefix>_seg<k>.
 *
 * Zero-copy Concat: a channel Concat in a segment whose copy would be
 * exact is done in place (fp_plan, docs/hls.md "Zero-copy Concat"): its
 * bottoms' buffers move into the slices of its top buffer, so their
 * producers write the top directly, and it has no step.
 */
#ifndef CHAI_FX_PLAN_H
#define CHAI_FX_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "hls.h"
#include "ir.h"
#include "qsim.h"
#include "strbuf.h"

/* A code buffer: a blob's codes or a boundary conversion's output. */
typedef struct FpBuf {
  bool b8;          /* int8_t (bw <= 8) in the fm memory, else int16_t */
  int64_t off, n;
  const Blob *blob; /* the blob whose codes it holds, or NULL */
  const Layer *cvl; /* conversion buffer: layer and bottom */
  int cvk;
  bool quant;       /* conversion from float (host side) */
  rt_fx_quant_param qp;
} FpBuf;

/* One call of a layer function on buffers: nb bottoms then nt tops. */
typedef struct FpStep {
  const char *fn;
  int nb, nt;
  int buf[RT_MAXLIST * 4 + 2];
  bool wts; /* takes the AXI weight port (set when the HLS code is rendered) */
  int wpb;  /* 8 / 16: takes only the wide port fm64 / fm128 of wpb-byte
               beats (set likewise); 0: the 8-bit ports */
} FpStep;

typedef struct FpLay {
  int unit; /* -1: not a fixed-point layer, -2: software, >= 0: segment */
  bool hwok;
  bool inplace; /* a Concat done in place: its bottoms alias its top's
                   slices, no step */
  int nstep;
  FpStep step[RT_MAXLIST * 4 + 2];
} FpLay;

typedef struct FpSeg {
  int first, last;   /* indices into n->layers */
  const char *top;   /* <prefix>_seg<k> */
  const char *names; /* its layers' names, comment-safe, ", "-separated */
  int *in, nin, *out, nout; /* buffers read from / written for outside */
} FpSeg;

typedef struct FpPlan {
  Net *n;
  const QsNet *qn;
  Arena *ar;
  bool sw; /* all-software mode: int16 buffers, no segments */
  FpBuf *buf;
  int nbuf, capbuf;
  int64_t n8, n16;    /* codes in fm / fx16 */
  int *bbuf;          /* per blob id, -1 = none */
  int **cvbuf;        /* per layer id, per bottom, -1 = none */
  FpLay *L;           /* per layer id */
  const char **fname; /* per layer id: Q_<name> */
  FpSeg *seg;
  int nseg;
} FpPlan;

/* Plans the buffers, steps and segments of qn's net into p (arrays in
 * ar).  0, or -1 after reporting an unsupported layer. */
int fp_plan(FpPlan *p, Net *n, const QsNet *qn, Arena *ar, const char *prefix, bool sw);

/* The hardware layout of plan p (hls.h HlLayout, arrays in ar): the
 * layers of its segments, and each one's conversion and post-op steps
 * (every step but the kernel's own). */
void fp_hl_layout(const FpPlan *p, Arena *ar, HlLayout *lay);

/* The element type of a buffer ("int8_t" / "int16_t"). */
const char *fp_ctype(const FpBuf *b);
/* The C expression of buffer i: in a segment the fm port, else the host
 * arenas. */
const char *fp_bexpr(const FpPlan *p, int i, bool seg);
/* Whether l runs at all in the quantized net. */
bool fp_live(const FpPlan *p, const Layer *l);
/* Whether l belongs to segment s. */
bool fp_in_seg(const FpPlan *p, const Layer *l, int s);
/* Appends the calls of l's steps to out (seg: inside a segment's top
 * function, else host code; all-software conversions are host loops). */
void fp_step_calls(const FpPlan *p, const Layer *l, bool seg, Sb *out);

#endif
