/* pfield.h - the field table of the float layer-parameter structs, and the
 * one writer of their C initializers.
 *
 * The structs are declared once, in runtime/rt_params.def; this module
 * expands the same list into a table of fields (name, type, offset, array
 * length and count rule), so that an emitter can bake any parameter struct
 * into generated code without knowing its kind.  Both C emitters (the float
 * program's reference-kernel calls and the fixed-point program's geometry
 * fields) write initializers through pf_init.
 */
#ifndef CHAI_PFIELD_H
#define CHAI_PFIELD_H

#include <stddef.h>

#include "arena.h"

typedef enum PfType { PF_INT, PF_BOOL, PF_FLOAT, PF_OPAQUE } PfType;

typedef struct PfField {
  const char *name;
  PfType type;
  size_t off;      /* offsetof in the struct */
  int len;         /* array length; 0 for a scalar */
  long count_off;  /* arrays: offset of the int field counting the entries
                    * written, -1 to write all len */
  int min;         /* arrays: entries written at least (0: omit when none) */
} PfField;

typedef struct PfStruct {
  const char *name; /* "rt_conv_param" */
  size_t size;
  int nfield;
  const PfField *field;
} PfStruct;

/* The struct named `ptype`, or NULL. */
const PfStruct *pf_find(const char *ptype);

#define PF_MAXFIELD 32
/* An initializer as designated fields: .name[i] = val[i]. */
typedef struct PfInit {
  int n;
  const char *name[PF_MAXFIELD], *val[PF_MAXFIELD];
} PfInit;

/* Fills `out` with the fields of struct `s` at `p`, values as C source
 * (ints in decimal, bools as true/false, floats as pf_float literals,
 * arrays as {a, b}).  Returns 0, or -1 when the struct has a field no
 * initializer can write (PF_OPAQUE). */
int pf_init(Arena *ar, const PfStruct *s, const void *p, PfInit *out);
/* The same initializer on one line: "{.a = 1, .b = true}". */
const char *pf_brace(Arena *ar, const PfInit *f);

/* A float as a C literal that reads back to the same bits ("0.5f", "1.0f",
 * "NAN", "-INFINITY"); writes into buf and returns it. */
char *pf_float(float f, char *buf, size_t n);

#endif
