/* tf_write.c - protobuf text format writer (see textfmt.h): generic over
 * protobuf-c descriptors, present fields in descriptor order with "name"
 * first, floats in the shortest form that reads back exactly. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfmt.h"


/* Formats d in the shortest %g form that reads back to the same float (or
 * double), e.g. 0.1 -> "0.1", 1 -> "1". */
static void fmt_real(char *buf, size_t n, double d, int isfloat) {
  if (isnan(d)) {
    snprintf(buf, n, signbit(d) ? "-nan" : "nan");
    return;
  }
  if (isinf(d)) {
    snprintf(buf, n, d < 0 ? "-inf" : "inf");
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, d);
    double r = strtod(buf, NULL);
    if (isfloat ? (float)r == (float)d : r == d) return;
  }
}

static void write_str(FILE *out, const uint8_t *s, size_t n, int isbytes) {
  fputc('"', out);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    switch (c) {
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    default:
      if (c < 0x20 || c == 0x7f || (isbytes && c >= 0x80))
        fprintf(out, "\\%03o", c);
      else
        fputc(c, out);
    }
  }
  fputc('"', out);
}

/* Whether non-repeated field f of m is set, following protobuf-c's packer:
 * oneof case, has_ flag, non-NULL non-default pointer, or (proto3) non-zero. */
static int is_present(const ProtobufCMessage *m,
                      const ProtobufCFieldDescriptor *f) {
  const char *base = (const char *)m;
  const void *mem = base + f->offset;
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
    return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
  int ptr = f->type == PROTOBUF_C_TYPE_STRING ||
            f->type == PROTOBUF_C_TYPE_MESSAGE;
  if (f->label == PROTOBUF_C_LABEL_REQUIRED)
    return !ptr || *(void *const *)mem != NULL;
  if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
    if (f->quantifier_offset)
      return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    if (ptr)
      return *(void *const *)mem != NULL &&
             *(void *const *)mem != f->default_value;
    return 1;
  }
  /* proto3 implicit presence: non-zero */
  if (f->type == PROTOBUF_C_TYPE_STRING)
    return *(char *const *)mem && **(char *const *)mem;
  if (f->type == PROTOBUF_C_TYPE_BYTES)
    return ((const ProtobufCBinaryData *)mem)->len != 0;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) return *(void *const *)mem != NULL;
  static const char zero[16];
  return memcmp(mem, zero, tf_type_size(f->type)) != 0;
}

static void write_msg(FILE *out, const ProtobufCMessage *m, int depth,
                      int step);

/* Writes one value of field f stored at mem, as a full line. */
static void write_value(FILE *out, const ProtobufCFieldDescriptor *f,
                        const void *mem, int depth, int step) {
  char buf[64];
  fprintf(out, "%*s%s", depth * step, "", f->name);
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
    fputs(" {\n", out);
    write_msg(out, *(ProtobufCMessage *const *)mem, depth + 1, step);
    fprintf(out, "%*s}\n", depth * step, "");
    return;
  }
  fputs(": ", out);
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    fprintf(out, "%" PRId32, *(const int32_t *)mem);
    break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    fprintf(out, "%" PRIu32, *(const uint32_t *)mem);
    break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    fprintf(out, "%" PRId64, *(const int64_t *)mem);
    break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    fprintf(out, "%" PRIu64, *(const uint64_t *)mem);
    break;
  case PROTOBUF_C_TYPE_FLOAT:
    fmt_real(buf, sizeof buf, *(const float *)mem, 1);
    fputs(buf, out);
    break;
  case PROTOBUF_C_TYPE_DOUBLE:
    fmt_real(buf, sizeof buf, *(const double *)mem, 0);
    fputs(buf, out);
    break;
  case PROTOBUF_C_TYPE_BOOL:
    fputs(*(const protobuf_c_boolean *)mem ? "true" : "false", out);
    break;
  case PROTOBUF_C_TYPE_ENUM: {
    int v = *(const int *)mem;
    const ProtobufCEnumValue *ev =
        protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    if (ev)
      fputs(ev->name, out);
    else
      fprintf(out, "%d", v);
    break;
  }
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(char *const *)mem;
    write_str(out, (const uint8_t *)s, strlen(s), 0);
    break;
  }
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = mem;
    write_str(out, b->data, b->len, 1);
    break;
  }
  case PROTOBUF_C_TYPE_MESSAGE: break;
  }
  fputc('\n', out);
}

static void write_field(FILE *out, const ProtobufCMessage *m,
                        const ProtobufCFieldDescriptor *f, int depth,
                        int step) {
  const char *base = (const char *)m;
  if (f->label == PROTOBUF_C_LABEL_REPEATED) {
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(char *const *)(base + f->offset);
    size_t sz = tf_type_size(f->type);
    for (size_t i = 0; i < n; i++)
      write_value(out, f, arr + i * sz, depth, step);
  } else if (is_present(m, f)) {
    write_value(out, f, base + f->offset, depth, step);
  }
}

static void write_msg(FILE *out, const ProtobufCMessage *m, int depth,
                      int step) {
  const ProtobufCMessageDescriptor *md = m->descriptor;
  const ProtobufCFieldDescriptor *nf =
      protobuf_c_message_descriptor_get_field_by_name(md, "name");
  if (nf) write_field(out, m, nf, depth, step);
  for (unsigned i = 0; i < md->n_fields; i++)
    if (&md->fields[i] != nf) write_field(out, m, &md->fields[i], depth, step);
}

int tf_write(FILE *out, const ProtobufCMessage *m, int indent_step) {
  write_msg(out, m, 0, indent_step < 0 ? 0 : indent_step);
  return ferror(out) ? -1 : 0;
}

char *tf_write_string(const ProtobufCMessage *m, Arena *ar) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) {
    fprintf(stderr, "chaicc: fatal: out of memory\n");
    exit(3);
  }
  tf_write(f, m, 2);
  fclose(f);
  char *s = ar_strndup(ar, buf ? buf : "", buf ? len : 0);
  free(buf);
  return s;
}
