/* emit_kind.h - the float C emitter's API for kind files: what a kind's
 * emit_c and emit_c_ref slots (ir.h LayerOps) use to describe one layer
 * of the generated program.  Implemented by emit_c.c; kind files include
 * this header, never emit_c.h.
 *
 * emit_c fills the table of the kind's own template templates/c/<name>.lua
 * and returns "c/<name>".  When it is called, the table already holds the
 * fields every layer template gets: fn, caffe_name, caffe_type, fused,
 * shapes, nb, nt, relu (bool), slope (C float literal), count (elements
 * of top 0) and restrict (no top shares storage with a bottom).  The
 * generated function takes the bottoms b0.. and then the tops t0.. as
 * float pointers (see templates/c/lib.lua).  Returning NULL before setting
 * anything sends the layer to the reference-kernel path instead.
 *
 * emit_c_ref adjusts that path's call: rt_<file>_f32 with the parameter
 * struct as a constant and the weights as arrays (EcRef below).
 */
#ifndef CHAI_EMIT_KIND_H
#define CHAI_EMIT_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "ir.h"
#include "pfield.h"

/* One layer being emitted (opaque; valid during the slot call). */
typedef struct EcLayer EcLayer;

/* ---- the template table ---- */
void ec_int(EcLayer *c, const char *key, int64_t v);
void ec_str(EcLayer *c, const char *key, const char *v);
void ec_bool(EcLayer *c, const char *key, bool v);
/* Sets key to the C literal of v (pf_float). */
void ec_float(EcLayer *c, const char *key, float v);
/* Sets key to the text s made safe inside a C comment. */
void ec_comment(EcLayer *c, const char *key, const char *s);
/* Arrays of n values. */
void ec_ints(EcLayer *c, const char *key, const int64_t *v, int n);
void ec_strs(EcLayer *c, const char *key, const char *const *v, int n);
/* A list of tables under key: ec_list_begin, then for each item
 * ec_item_begin, its keys, ec_item_end; then ec_list_end. */
void ec_list_begin(EcLayer *c, const char *key);
void ec_item_begin(EcLayer *c);
void ec_item_end(EcLayer *c);
void ec_list_end(EcLayer *c);

/* ---- what the program holds ---- */
/* The arena of the emission: for weight layouts and strings that must
 * live until the program is written. */
Arena *ec_arena(EcLayer *c);
/* Adds the weight array W_<fn>_<role>[count] holding d[0..count) (kept,
 * not copied: loaded weights or ec_arena memory) and returns its symbol. */
const char *ec_weight(EcLayer *c, const char *role, const float *d, int64_t count);
/* Makes the program's shared float scratch buffer at least `bytes` long. */
void ec_scratch(EcLayer *c, size_t bytes);
/* Records that the program calls plugin type ct (its source is copied
 * into the project); repeated calls record it once. */
void ec_plugin(EcLayer *c, const IrCustomType *ct);

/* ---- layouts several kinds share ---- */
/* The template c/copy (top 0 = bottom 0) when l has one bottom, else NULL
 * (reference kernel): an emit_c slot for data-movement kinds. */
const char *ec_copy(EcLayer *c, const Layer *l);
/* Sets OUTER and TOTAL (element counts of `whole` before `axis` and from
 * it on) and the list parts of {i, inner, off}: the elements of parts[i]
 * from axis on and where they start within TOTAL (c/concat, c/slice). */
void ec_parts(EcLayer *c, const rt_shape *whole, int axis, int n, Blob *const *parts);

/* ---- the reference-kernel call (template c/ref) ---- */
#define EC_MAXW 8
typedef struct EcRef {
  PfInit par;                 /* the parameter constant (pf_init of Layer.p) */
  int nw;                     /* weights passed, at most EC_MAXW */
  rt_tensor w[EC_MAXW];       /* their shapes as passed and their data */
  const char *role[EC_MAXW];  /* their symbols' roles: W_<fn>_<role> */
  int max_rows;               /* -1; else top 0 holds max_rows rows of 7
                               * values, the kernel fills the first
                               * t[0].s.d[2] and the program marks the rest
                               * with image id -1 (DetectionOutput) */
} EcRef;

/* Sets field `name` of r's parameter constant to the C text val (the
 * text is kept, not copied); false when there is no such field. */
bool ec_ref_set(EcRef *r, const char *name, const char *val);

#endif
