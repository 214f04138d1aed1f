/* emit_util.c - helpers shared by the code emitters (see emit_util.h). */
#include "emit_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfield.h"

/* ---- literals and names ---- */

char *eu_float(float f, char *buf, size_t n) { return pf_float(f, buf, n); }

void eu_set_float(LhHost *h, const char *key, float v) {
  char b[48];
  lh_set_str(h, key, eu_float(v, b, sizeof b));
}

/* Copies name mapping non-alphanumerics to '_', after "n_" when guard. */
static char *sanitize(Arena *ar, const char *name, bool guard) {
  size_t len = strlen(name);
  char *s = ar_alloc(ar, len + 3), *p = s;
  if (guard && (len == 0 || (name[0] >= '0' && name[0] <= '9'))) *p++ = 'n', *p++ = '_';
  for (const char *c = name; *c; c++) {
    int ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
    *p++ = ok ? *c : '_';
  }
  *p = 0;
  return s;
}

char *eu_ident(Arena *ar, const char *name) { return sanitize(ar, name, true); }
char *eu_sanitize(Arena *ar, const char *name) { return sanitize(ar, name, false); }

char *eu_comment_safe(Arena *ar, const char *s) {
  char *o = ar_strdup(ar, s ? s : "");
  for (char *p = o; *p; p++) {
    if (*p == '\n' || *p == '\r') *p = ' ';
    if (p[0] == '*' && p[1] == '/') p[1] = '|';
    if (p[0] == '/' && p[1] == '*') p[1] = '|';
  }
  return o;
}

char *eu_c_string(Arena *ar, const char *s) {
  Sb b = {0};
  sb_puts(&b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') sb_printf(&b, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7f) sb_printf(&b, "\\%03o", *p);
    else sb_put(&b, (const char *)p, 1);
  }
  sb_puts(&b, "\"");
  char *r = ar_strdup(ar, b.s);
  free(b.s);
  return r;
}

/* ---- initializer text ---- */

const char *eu_keep(Arena *ar, Sb *b) {
  const char *r = ar_strdup(ar, sb_str(b));
  free(b->s);
  return r;
}

const char *eu_floats(Arena *ar, const float *v, int n) {
  Sb b = {0};
  sb_puts(&b, "{");
  char f[48];
  for (int i = 0; i < n; i++) sb_printf(&b, "%s%s", i ? ", " : "", pf_float(v[i], f, sizeof f));
  sb_puts(&b, "}");
  return eu_keep(ar, &b);
}

const char *eu_ints(Arena *ar, const int *v, int n) {
  Sb b = {0};
  sb_puts(&b, "{");
  for (int i = 0; i < n; i++) sb_printf(&b, "%s%d", i ? ", " : "", v[i]);
  sb_puts(&b, "}");
  return eu_keep(ar, &b);
}

const char *eu_fbody(Arena *ar, const float *d, int64_t n) {
  Sb b = {0};
  char f[48];
  for (int64_t i = 0; i < n; i++) {
    sb_puts(&b, i % 8 == 0 ? "  " : " ");
    sb_puts(&b, eu_float(d[i], f, sizeof f));
    sb_puts(&b, i + 1 < n ? (i % 8 == 7 ? ",\n" : ",") : "\n");
  }
  return eu_keep(ar, &b);
}

const char *eu_ibody(Arena *ar, int64_t n, EuGet get, const void *d) {
  Sb b = {0};
  for (int64_t i = 0; i < n; i++) {
    int64_t v = get(d, i);
    sb_puts(&b, i % 16 == 0 ? "  " : " ");
    if (v == INT64_MIN) sb_puts(&b, "INT64_MIN");
    else if (v > INT32_MAX || v < -INT32_MAX) sb_printf(&b, "INT64_C(%lld)", (long long)v);
    else sb_printf(&b, "%lld", (long long)v);
    sb_puts(&b, i + 1 < n ? (i % 16 == 15 ? ",\n" : ",") : "\n");
  }
  return eu_keep(ar, &b);
}

int64_t eu_g8(const void *d, int64_t i) { return ((const int8_t *)d)[i]; }
int64_t eu_g16(const void *d, int64_t i) { return ((const int16_t *)d)[i]; }
int64_t eu_g32(const void *d, int64_t i) { return ((const int32_t *)d)[i]; }
int64_t eu_g64(const void *d, int64_t i) { return ((const int64_t *)d)[i]; }

/* ---- template tables ---- */

void eu_layer_header(LhHost *h, Arena *ar, const Layer *l, const char *fn) {
  lh_set_str(h, "fn", fn);
  lh_set_str(h, "caffe_name", eu_comment_safe(ar, l->name));
  lh_set_str(h, "caffe_type", eu_comment_safe(ar, l->type));
  lh_set_str(h, "fused", l->fused_names ? eu_comment_safe(ar, l->fused_names) : "");
  Sb sb = {0};
  char t[128];
  for (int i = 0; i < l->nbottom; i++)
    sb_printf(&sb, "%s%s", i ? ", " : "", rt_shape_str(&l->bottom[i]->shape, t, sizeof t));
  sb_puts(&sb, " -> ");
  for (int i = 0; i < l->ntop; i++)
    sb_printf(&sb, "%s%s", i ? ", " : "", rt_shape_str(&l->top[i]->shape, t, sizeof t));
  lh_set_str(h, "shapes", sb_str(&sb));
  sb_free(&sb);
}

void eu_prov(LhHost *h, Arena *ar, const EuProv *p) {
  const Net *n = p->n;
  lh_set_str(h, "version", CHAI_VERSION);
  lh_set_str(h, "cmdline", eu_comment_safe(ar, p->cmdline ? p->cmdline : "chaicc"));
  lh_set_str(h, "prototxt", eu_comment_safe(ar, n->file));
  lh_set_str(h, "weights", eu_comment_safe(ar, n->weights_file ? n->weights_file : "-"));
  lh_set_str(h, "sha_prototxt", p->sha_prototxt ? p->sha_prototxt : "-");
  lh_set_str(h, "sha_weights", p->sha_weights ? p->sha_weights : "-");
  lh_set_str(h, "prefix", p->prefix);
  lh_set_str(h, "PREFIX", p->upper);
  lh_set_str(h, "base", p->base);
  lh_set_str(h, "net_name", eu_comment_safe(ar, n->name ? n->name : ""));
}

const char *eu_render(LhHost *h, Arena *ar, const char *tmpl, int *bad) {
  const char *s = lh_render(h, tmpl, ar);
  if (!s) *bad = 1;
  return s;
}

/* ---- files ---- */

int eu_write(Diag *dg, const char *dir, const char *name, const void *data, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
    if (f) fclose(f);
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot write: %s", strerror(errno));
    return -1;
  }
  return 0;
}

const char *eu_fptr(Arena *ar, const PsPlan *plan, const Blob *b) {
  switch (plan->where[b->id]) {
  case PS_INPUT: return "input";
  case PS_OUTPUT: return ar_printf(ar, "outputs[%d]", plan->out_index[b->id]);
  case PS_ARENA:
    return plan->off[b->id] ? ar_printf(ar, "act + %lld", (long long)plan->off[b->id]) : "act";
  case PS_CONST: return ar_printf(ar, "(float *)%s", eu_const_sym(ar, b));
  default: return "scratch_blob";
  }
}

const char *eu_const_sym(Arena *ar, const Blob *b) { return ar_printf(ar, "W_const_%d", b->id); }
