/* emit_util.h - text and file helpers shared by the code emitters.
 *
 * The bottom of the emitter stack (emit_proj -> emit_c -> emit_fx ->
 * emit_hls -> fx_plan -> emit_util): C literals and identifiers, text safe
 * in comments, integer and float initializer bodies, the fields every
 * template table shares (layer header, provenance), rendering with an
 * error flag and writing one output file.  Nothing here knows a layer
 * kind or a target.
 */
#ifndef CHAI_EMIT_UTIL_H
#define CHAI_EMIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "lua_host.h"
#include "passes.h"
#include "strbuf.h"

/* Formats f as a C float literal that reads back exactly ("0.5f",
 * "3.0f", "1.17549435e-38f", "INFINITY"); returns buf.  The format is
 * pfield.h's pf_float (this calls it): one writer of float literals. */
char *eu_float(float f, char *buf, size_t n);
/* Sets key to the C float literal of v. */
void eu_set_float(LhHost *h, const char *key, float v);

/* A C identifier from any name: [A-Za-z0-9_], not starting with a digit
 * ("n_" is put in front of an empty or digit-led name). */
char *eu_ident(Arena *ar, const char *name);
/* name with every character outside [A-Za-z0-9_] replaced by '_' (no
 * guard for a leading digit: for names that follow a prefix). */
char *eu_sanitize(Arena *ar, const char *name);
/* Text safe inside a C comment (no star-slash pair, no newlines). */
char *eu_comment_safe(Arena *ar, const char *s);
/* A C string literal (with quotes) for s. */
char *eu_c_string(Arena *ar, const char *s);

/* Copies b's text into ar and frees b. */
const char *eu_keep(Arena *ar, Sb *b);
/* "{a, b, c}" of n floats (C literals) or ints. */
const char *eu_floats(Arena *ar, const float *v, int n);
const char *eu_ints(Arena *ar, const int *v, int n);
/* Float literals as an initializer body, 8 per line. */
const char *eu_fbody(Arena *ar, const float *d, int64_t n);
/* Integers get(d, 0..n) as an initializer body, 16 per line (INT64_C()
 * beyond 32 bits). */
typedef int64_t (*EuGet)(const void *d, int64_t i);
const char *eu_ibody(Arena *ar, int64_t n, EuGet get, const void *d);
int64_t eu_g8(const void *d, int64_t i);
int64_t eu_g16(const void *d, int64_t i);
int64_t eu_g32(const void *d, int64_t i);
int64_t eu_g64(const void *d, int64_t i);

/* Sets the fields every layer template gets: fn, caffe_name, caffe_type,
 * fused and shapes ("1x3x8x8 -> 1x4x6x6"), comment-safe. */
void eu_layer_header(LhHost *h, Arena *ar, const Layer *l, const char *fn);

/* What the provenance header of every generated file says. */
typedef struct EuProv {
  const Net *n;
  const char *cmdline;                   /* NULL: "chaicc" */
  const char *sha_prototxt, *sha_weights; /* NULL: "-" */
  const char *prefix, *upper, *base;     /* symbol prefix, upper-cased, file base */
} EuProv;
/* Sets the provenance fields of the current template table. */
void eu_prov(LhHost *h, Arena *ar, const EuProv *p);

/* Renders template tmpl from the current table; NULL (and *bad = 1)
 * after an error was reported. */
const char *eu_render(LhHost *h, Arena *ar, const char *tmpl, int *bad);
/* Writes data[0..n) to dir/name; -1 after reporting. */
int eu_write(Diag *dg, const char *dir, const char *name, const void *data, size_t n);

/* The C expression of blob b's float storage in the generated program,
 * from the float buffer plan (a PS_CONST blob: its constant array,
 * eu_const_sym, cast to float * for the kernels' bottom arguments). */
const char *eu_fptr(Arena *ar, const PsPlan *plan, const Blob *b);
/* The symbol of constant blob b's array of values ("W_const_<id>"; layer
 * weights are W_L..., so the names never meet). */
const char *eu_const_sym(Arena *ar, const Blob *b);

#endif
