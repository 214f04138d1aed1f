/* pfield.c - the parameter-struct field table (from runtime/rt_params.def)
 * and the C initializer writer. */
#include "pfield.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "../runtime/rt_layers.h"

/* The C type of a field as a PfType (int, bool, float; anything else is
 * opaque). */
#define PF_TYPEOF(x) _Generic((x), int: PF_INT, bool: PF_BOOL, float: PF_FLOAT, default: PF_OPAQUE)

/* One field array per struct: rt_conv_param -> pf_rt_conv_param[]. */
#define PSTRUCT(T) static const PfField pf_##T[] = {
#define PFIELD(T, type, name) {#name, PF_TYPEOF(((T *)0)->name), offsetof(T, name), 0, -1, 0},
#define PARRAY(T, type, name, n, count, min)                                           \
  {#name, PF_TYPEOF(((T *)0)->name[0]), offsetof(T, name), n, (long)offsetof(T, count), \
   min},
#define PFULL(T, type, name, n) {#name, PF_TYPEOF(((T *)0)->name[0]), offsetof(T, name), n, -1, 0},
#define POPAQUE(T, decl) {"(opaque)", PF_OPAQUE, 0, 0, -1, 0},
#define PEND(T) };
#include "../runtime/rt_params.def"
#undef PSTRUCT
#undef PFIELD
#undef PARRAY
#undef PFULL
#undef POPAQUE
#undef PEND

static const PfStruct pf_structs[] = {
#define PSTRUCT(T) {#T, sizeof(T), (int)(sizeof pf_##T / sizeof pf_##T[0]), pf_##T},
#define PFIELD(T, type, name)
#define PARRAY(T, type, name, n, count, min)
#define PFULL(T, type, name, n)
#define POPAQUE(T, decl)
#define PEND(T)
#include "../runtime/rt_params.def"
#undef PSTRUCT
#undef PFIELD
#undef PARRAY
#undef PFULL
#undef POPAQUE
#undef PEND
};

const PfStruct *pf_find(const char *ptype) {
  for (size_t i = 0; i < sizeof pf_structs / sizeof pf_structs[0]; i++)
    if (!strcmp(pf_structs[i].name, ptype)) return &pf_structs[i];
  return NULL;
}

char *pf_float(float f, char *buf, size_t n) {
  if (isnan(f)) snprintf(buf, n, "NAN");
  else if (isinf(f)) snprintf(buf, n, f < 0 ? "-INFINITY" : "INFINITY");
  else {
    char t[48];
    snprintf(t, sizeof t, "%.9g", (double)f);
    if (!strpbrk(t, ".e")) strcat(t, ".0");
    snprintf(buf, n, "%sf", t);
  }
  return buf;
}

/* Appends element i of field f at p to b. */
static void put_value(Sb *b, const PfField *f, const char *p, int i) {
  char fb[48];
  switch (f->type) {
  case PF_INT: sb_printf(b, "%d", ((const int *)(p + f->off))[i]); break;
  case PF_BOOL: sb_puts(b, ((const bool *)(p + f->off))[i] ? "true" : "false"); break;
  case PF_FLOAT: sb_puts(b, pf_float(((const float *)(p + f->off))[i], fb, sizeof fb)); break;
  case PF_OPAQUE: break;
  }
}

int pf_init(Arena *ar, const PfStruct *s, const void *pv, PfInit *out) {
  const char *p = pv;
  out->n = 0;
  for (int k = 0; k < s->nfield; k++) {
    const PfField *f = &s->field[k];
    if (f->type == PF_OPAQUE) return -1;
    Sb b = {0};
    if (!f->len) {
      put_value(&b, f, p, 0);
    } else {
      int cnt = f->len;
      if (f->count_off >= 0) {
        cnt = *(const int *)(p + f->count_off);
        if (cnt < f->min) cnt = f->min;
        if (cnt > f->len) cnt = f->len;
        if (cnt == 0) continue; /* min 0 and no entries: left out */
      }
      sb_puts(&b, "{");
      for (int i = 0; i < cnt; i++) {
        if (i) sb_puts(&b, ", ");
        put_value(&b, f, p, i);
      }
      sb_puts(&b, "}");
    }
    if (out->n < PF_MAXFIELD) {
      out->name[out->n] = f->name;
      out->val[out->n++] = ar_strdup(ar, sb_str(&b));
    }
    sb_free(&b);
  }
  return 0;
}

const char *pf_brace(Arena *ar, const PfInit *f) {
  Sb b = {0};
  sb_puts(&b, "{");
  for (int i = 0; i < f->n; i++) sb_printf(&b, "%s.%s = %s", i ? ", " : "", f->name[i], f->val[i]);
  sb_puts(&b, "}");
  char *r = ar_strdup(ar, sb_str(&b));
  sb_free(&b);
  return r;
}
