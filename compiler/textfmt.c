/* textfmt.c - protobuf text format reader (see textfmt.h; the writer is
 * tf_write.c, the tokenizer tf_lex.c).
 *
 * The reader is a one-token-lookahead tokenizer over the whole buffer
 * (tf_lex.h) and a recursive descent parser whose depth is bounded by
 * TF_MAX_DEPTH.  Errors are reported once and unwind with longjmp;
 * everything the parser builds lives in the arena, so nothing leaks (the
 * only malloc'd object, the string scratch buffer, is freed on both
 * paths).
 */
#define _POSIX_C_SOURCE 200809L
#include "textfmt.h"
#include "tf_lex.h"
#include "tf_locs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Values.
 */

typedef union {
  int32_t i32;
  uint32_t u32;
  int64_t i64;
  uint64_t u64;
  float f;
  double d;
  protobuf_c_boolean b;
  int e;
  char *s;
  ProtobufCBinaryData by;
  ProtobufCMessage *m;
} Value;

size_t tf_type_size(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: return sizeof(int32_t);
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: return sizeof(uint32_t);
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64: return sizeof(int64_t);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: return sizeof(uint64_t);
  case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
  case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
  case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
  case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
  case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
  case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
  }
  return 0;
}

static const char *type_name(ProtobufCType t) {
  static const char *names[] = {
      [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
      [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
      [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
      [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
      [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
  };
  return (unsigned)t < sizeof names / sizeof *names && names[t] ? names[t]
                                                               : "integer";
}

/* Stores v into field f of m the way protobuf-c's unpacker would: sets the
 * has_ flag or oneof case, or appends to a repeated field.  Repeated arrays
 * have an implicit power-of-two capacity (grown when count is 0 or a power
 * of two); elements are copied, so message elements (pointers) are stable. */
static void store(TfParser *p, ProtobufCMessage *m,
                  const ProtobufCFieldDescriptor *f, const Value *v) {
  char *base = (char *)m;
  size_t sz = tf_type_size(f->type);
  if (f->label == PROTOBUF_C_LABEL_REPEATED) {
    size_t *np = (size_t *)(base + f->quantifier_offset);
    void **ap = (void **)(base + f->offset);
    size_t n = *np;
    if (n == 0 || (n & (n - 1)) == 0) {
      void *na = ar_array(p->ar, n ? 2 * n : 1, sz);
      if (n) memcpy(na, *ap, n * sz);
      *ap = na;
    }
    memcpy((char *)*ap + n * sz, v, sz);
    *np = n + 1;
    return;
  }
  memcpy(base + f->offset, v, sz);
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
    *(uint32_t *)(base + f->quantifier_offset) = f->id;
  else if (f->quantifier_offset)
    *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
}

/* Parses an unsigned integer literal: decimal, 0x hex or 0 octal.  Returns
 * 1 with *out set, 0 if the text is not an integer literal, -1 if it
 * overflows 64 bits. */
static int parse_uint(const char *s, size_t n, uint64_t *out) {
  unsigned base = 10;
  size_t i = 0;
  if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
    if (n == 2) return 0;
  } else if (n >= 2 && s[0] == '0') {
    base = 8;
    i = 1;
  }
  if (n == 0) return 0;
  uint64_t v = 0;
  int ovf = 0;
  for (; i < n; i++) {
    char c = s[i];
    unsigned d = tf_is_digit(c)           ? (unsigned)(c - '0')
                 : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                 : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10)
                                          : 99;
    if (d >= base) return 0;
    if (v > (UINT64_MAX - d) / base)
      ovf = 1;
    else
      v = v * base + d;
  }
  *out = v;
  return ovf ? -1 : 1;
}

/* Parses a decimal float literal (digits, '.', exponent, optional f/F
 * suffix) or any integer literal.  Returns 1 with *out set, else 0. */
static int parse_double(TfParser *p, const char *s, size_t n, double *out) {
  uint64_t u;
  int r = parse_uint(s, n, &u);
  if (r == 1) {
    *out = (double)u;
    return 1;
  }
  if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return 0;
  size_t i = 0, digits = 0;
  while (i < n && tf_is_digit(s[i])) i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && tf_is_digit(s[i])) i++, digits++;
  }
  if (!digits) return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t ed = 0;
    while (i < n && tf_is_digit(s[i])) i++, ed++;
    if (!ed) return 0;
  }
  size_t end = i;
  if (i < n && (s[i] == 'f' || s[i] == 'F')) i++;
  if (i != n) return 0;
  p->slen = 0;
  tf_sbuf_put(p, s, end);
  *out = strtod(p->sbuf, NULL); /* overflow gives inf, as in protobuf */
  return 1;
}

/* Parses an integer (with optional leading '-') for f, range-checked. */
static void parse_int(TfParser *p, const ProtobufCMessageDescriptor *md,
                      const ProtobufCFieldDescriptor *f, Value *v) {
  Tok t0 = p->tok;
  int neg = 0;
  if (tf_is_punct(t0, '-')) {
    neg = 1;
    tf_advance(p);
  }
  Tok t = p->tok;
  uint64_t mag = 0;
  int r = t.kind == T_NUM ? parse_uint(t.p, t.len, &mag) : 0;
  if (r == 0)
    TF_ERR(p, t0, "expected integer for field '%s' in %s, got %s", f->name,
           md->name, tf_show(p, t, neg));
  int ok = r == 1;
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    ok = ok && mag <= (neg ? 0x80000000u : 0x7fffffffu);
    v->i32 = neg ? (int32_t)(0 - (uint32_t)mag) : (int32_t)mag;
    break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    ok = ok && mag <= UINT32_MAX && !(neg && mag);
    v->u32 = (uint32_t)mag;
    break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    ok = ok && mag <= (neg ? (uint64_t)1 << 63 : (uint64_t)INT64_MAX);
    v->i64 = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    break;
  default: /* uint64, fixed64 */
    ok = ok && !(neg && mag);
    v->u64 = mag;
    break;
  }
  if (!ok)
    TF_ERR(p, t0, "value %s out of range for %s field '%s' in %s",
           tf_show(p, t, neg), type_name(f->type), f->name, md->name);
  tf_advance(p);
}

/* Parses a float or double: a number, inf/infinity/nan, optionally
 * negated. */
static void parse_real(TfParser *p, const ProtobufCMessageDescriptor *md,
                       const ProtobufCFieldDescriptor *f, Value *v) {
  Tok t0 = p->tok;
  int neg = 0;
  if (tf_is_punct(t0, '-')) {
    neg = 1;
    tf_advance(p);
  }
  Tok t = p->tok;
  double d;
  if (tf_tok_is_ci(t, "inf") || tf_tok_is_ci(t, "infinity"))
    d = INFINITY;
  else if (tf_tok_is_ci(t, "nan"))
    d = NAN;
  else if (!(t.kind == T_NUM && parse_double(p, t.p, t.len, &d)))
    TF_ERR(p, t0, "expected number for field '%s' in %s, got %s", f->name,
           md->name, tf_show(p, t, neg));
  if (neg) d = -d;
  if (f->type == PROTOBUF_C_TYPE_FLOAT)
    v->f = (float)d;
  else
    v->d = d;
  tf_advance(p);
}

static void parse_bool(TfParser *p, const ProtobufCMessageDescriptor *md,
                       const ProtobufCFieldDescriptor *f, Value *v) {
  Tok t = p->tok;
  uint64_t u = 2;
  if (tf_tok_is(t, "true") || tf_tok_is(t, "True") || tf_tok_is(t, "t"))
    u = 1;
  else if (tf_tok_is(t, "false") || tf_tok_is(t, "False") || tf_tok_is(t, "f"))
    u = 0;
  else if (t.kind == T_NUM && parse_uint(t.p, t.len, &u) != 1)
    u = 2;
  if (u > 1)
    TF_ERR(p, t, "expected true or false for field '%s' in %s, got %s",
           f->name, md->name, tf_show(p, t, 0));
  v->b = (protobuf_c_boolean)u;
  tf_advance(p);
}

/* Parses an enum value by name or by (possibly negative) number; the value
 * must be one the enum declares. */
static void parse_enum(TfParser *p, const ProtobufCMessageDescriptor *md,
                       const ProtobufCFieldDescriptor *f, Value *v) {
  const ProtobufCEnumDescriptor *ed = f->descriptor;
  Tok t0 = p->tok;
  if (t0.kind == T_IDENT) {
    char name[128];
    const ProtobufCEnumValue *ev = NULL;
    if (t0.len < sizeof name) {
      memcpy(name, t0.p, t0.len);
      name[t0.len] = 0;
      ev = protobuf_c_enum_descriptor_get_value_by_name(ed, name);
    }
    if (!ev)
      TF_ERR(p, t0, "unknown enum value %s for field '%s' (%s)",
             tf_show(p, t0, 0), f->name, ed->name);
    v->e = ev->value;
    tf_advance(p);
    return;
  }
  int neg = 0;
  if (tf_is_punct(t0, '-')) {
    neg = 1;
    tf_advance(p);
  }
  Tok t = p->tok;
  uint64_t mag = 0;
  if (t.kind != T_NUM || parse_uint(t.p, t.len, &mag) == 0)
    TF_ERR(p, t0, "expected enum value for field '%s' in %s, got %s", f->name,
           md->name, tf_show(p, t, neg));
  const ProtobufCEnumValue *ev = NULL;
  if (mag <= (neg ? 0x80000000u : 0x7fffffffu))
    ev = protobuf_c_enum_descriptor_get_value(
        ed, neg ? (int)(0 - (uint32_t)mag) : (int)mag);
  if (!ev)
    TF_ERR(p, t0, "unknown enum value %s for field '%s' (%s)",
           tf_show(p, t, neg), f->name, ed->name);
  v->e = ev->value;
  tf_advance(p);
}

static int hexval(char c) {
  return tf_is_digit(c) ? c - '0'
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                  : -1;
}

static void put_utf8(TfParser *p, uint32_t c) {
  char b[4];
  size_t n;
  if (c < 0x80) {
    b[0] = (char)c, n = 1;
  } else if (c < 0x800) {
    b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), n = 2;
  } else if (c < 0x10000) {
    b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[2] = (char)(0x80 | (c & 0x3F)), n = 3;
  } else {
    b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((c >> 6) & 0x3F)), b[3] = (char)(0x80 | (c & 0x3F));
    n = 4;
  }
  tf_sbuf_put(p, b, n);
}

/* Appends the decoded contents of string token t to the scratch buffer.
 * Strings never span lines, so an escape's column is t.col + offset. */
static void decode_str(TfParser *p, Tok t) {
  const char *s = t.p + 1, *e = t.p + t.len - 1;
  while (s < e) {
    if (*s != '\\') {
      const char *q = s;
      while (s < e && *s != '\\') s++;
      tf_sbuf_put(p, q, (size_t)(s - q));
      continue;
    }
    const char *bs = s++;
    int col = t.col + (int)(bs - t.p);
    char c = *s++;
    switch (c) {
    case 'n': tf_sbuf_putc(p, '\n'); break;
    case 't': tf_sbuf_putc(p, '\t'); break;
    case 'r': tf_sbuf_putc(p, '\r'); break;
    case 'a': tf_sbuf_putc(p, '\a'); break;
    case 'b': tf_sbuf_putc(p, '\b'); break;
    case 'f': tf_sbuf_putc(p, '\f'); break;
    case 'v': tf_sbuf_putc(p, '\v'); break;
    case '\\': case '\'': case '"': case '?': tf_sbuf_putc(p, c); break;
    case 'x': case 'X': {
      int v = 0, n = 0;
      while (n < 2 && s < e && hexval(*s) >= 0) v = v * 16 + hexval(*s++), n++;
      if (!n)
        tf_perr(p, t.line, col, "invalid escape sequence '\\x' in string");
      tf_sbuf_putc(p, v);
      break;
    }
    case 'u': case 'U': {
      int want = c == 'u' ? 4 : 8, n = 0;
      uint32_t v = 0;
      while (n < want && s < e && hexval(*s) >= 0)
        v = v * 16 + (uint32_t)hexval(*s++), n++;
      if (n < want || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        tf_perr(p, t.line, col, "invalid escape sequence '\\%c' in string", c);
      put_utf8(p, v);
      break;
    }
    default:
      if (c >= '0' && c <= '7') {
        int v = c - '0', n = 1;
        while (n < 3 && s < e && *s >= '0' && *s <= '7')
          v = v * 8 + (*s++ - '0'), n++;
        if (v > 255)
          tf_perr(p, t.line, col, "octal escape out of range in string");
        tf_sbuf_putc(p, v);
      } else {
        Tok bad = {T_STR, bs, 2, t.line, col};
        tf_perr(p, t.line, col, "invalid escape sequence %s in string",
                tf_show(p, bad, 0));
      }
    }
  }
}

/* Parses one or more adjacent string literals into the scratch buffer. */
static void parse_strlits(TfParser *p, const ProtobufCMessageDescriptor *md,
                          const ProtobufCFieldDescriptor *f) {
  Tok t = p->tok;
  if (t.kind != T_STR)
    TF_ERR(p, t, "expected string for field '%s' in %s, got %s", f->name,
           md->name, tf_show(p, t, 0));
  p->slen = 0;
  tf_sbuf_put(p, "", 0);
  while (p->tok.kind == T_STR) {
    decode_str(p, p->tok);
    tf_advance(p);
  }
}

/* Parses one non-message value of field f into v. */
static void parse_scalar(TfParser *p, const ProtobufCMessageDescriptor *md,
                         const ProtobufCFieldDescriptor *f, Value *v) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_FLOAT:
  case PROTOBUF_C_TYPE_DOUBLE: parse_real(p, md, f, v); break;
  case PROTOBUF_C_TYPE_BOOL: parse_bool(p, md, f, v); break;
  case PROTOBUF_C_TYPE_ENUM: parse_enum(p, md, f, v); break;
  case PROTOBUF_C_TYPE_STRING:
    parse_strlits(p, md, f);
    v->s = ar_strndup(p->ar, p->sbuf, p->slen);
    break;
  case PROTOBUF_C_TYPE_BYTES:
    parse_strlits(p, md, f);
    v->by.len = p->slen;
    v->by.data = (uint8_t *)ar_strndup(p->ar, p->sbuf, p->slen);
    break;
  case PROTOBUF_C_TYPE_MESSAGE: break; /* not reached */
  default: parse_int(p, md, f, v); break;
  }
}

/* ---------------------------------------------------------------------
 * Messages.
 */

static ProtobufCMessage *new_msg(TfParser *p,
                                 const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *m = ar_alloc(p->ar, d->sizeof_message);
  if (d->message_init)
    d->message_init(m);
  else
    protobuf_c_message_init(d, m);
  return m;
}

static void parse_body(TfParser *p, ProtobufCMessage *m, char closer, Tok open,
                       const char *openname, int depth);

/* Parses `{ ... }` or `< ... >` for message field f; at names the location
 * recorded for the new message. */
static ProtobufCMessage *parse_submsg(TfParser *p,
                                      const ProtobufCMessageDescriptor *md,
                                      const ProtobufCFieldDescriptor *f, Tok at,
                                      int depth) {
  Tok o = p->tok;
  char closer = tf_is_punct(o, '{') ? '}' : tf_is_punct(o, '<') ? '>' : 0;
  if (!closer)
    TF_ERR(p, o, "expected '{' after field '%s' in %s, got %s", f->name,
           md->name, tf_show(p, o, 0));
  if (depth + 1 > TF_MAX_DEPTH)
    TF_ERR(p, o, "messages nested too deeply (more than %d levels)",
           TF_MAX_DEPTH);
  tf_advance(p);
  ProtobufCMessage *sm = new_msg(p, f->descriptor);
  if (p->locs) loc_put(p->locs, sm, 0, at.line, at.col);
  parse_body(p, sm, closer, at, f->name, depth + 1);
  return sm;
}

/* Parses the value part of field f (name already consumed): a value, a
 * message, or a `[...]` list of either. */
static void parse_field(TfParser *p, ProtobufCMessage *m,
                        const ProtobufCFieldDescriptor *f, Tok name,
                        int depth) {
  const ProtobufCMessageDescriptor *md = m->descriptor;
  int ismsg = f->type == PROTOBUF_C_TYPE_MESSAGE;
  Value v;
  if (p->locs) loc_put(p->locs, m, f->id, name.line, name.col);
  if (ismsg) {
    tf_accept(p, ':');
  } else if (!tf_accept(p, ':')) {
    TF_ERR(p, p->tok, "expected ':' after field '%s' in %s, got %s", f->name,
           md->name, tf_show(p, p->tok, 0));
  }
  if (!tf_is_punct(p->tok, '[')) {
    memset(&v, 0, sizeof v);
    if (ismsg)
      v.m = parse_submsg(p, md, f, name, depth);
    else
      parse_scalar(p, md, f, &v);
    store(p, m, f, &v);
    return;
  }
  Tok lb = p->tok;
  if (f->label != PROTOBUF_C_LABEL_REPEATED)
    TF_ERR(p, lb, "list value for non-repeated field '%s' in %s", f->name,
           md->name);
  tf_advance(p);
  if (tf_accept(p, ']')) return;
  for (;;) {
    memset(&v, 0, sizeof v);
    if (ismsg)
      v.m = parse_submsg(p, md, f, p->tok, depth);
    else
      parse_scalar(p, md, f, &v);
    store(p, m, f, &v);
    if (tf_accept(p, ',')) continue;
    if (tf_accept(p, ']')) return;
    Tok t = p->tok;
    if (t.kind == T_EOF)
      TF_ERR(p, t, "unexpected end of file inside list for field '%s' opened "
             "at %d:%d", f->name, lb.line, lb.col);
    TF_ERR(p, t, "expected ',' or ']' in list for field '%s' in %s, got %s",
           f->name, md->name, tf_show(p, t, 0));
  }
}

/* Skips the value of unknown field `name` (its name consumed) in a
 * lenient message m: `: scalar`, or an optional ':' then a bracketed value
 * whose brackets are balanced.  Records it in the location table. */
static void skip_unknown(TfParser *p, ProtobufCMessage *m, Tok name) {
  const char *start = p->tok.p;
  int colon = tf_accept(p, ':');
  Tok t = p->tok;
  if (tf_is_punct(t, '{') || tf_is_punct(t, '<') || tf_is_punct(t, '[')) {
    char stack[TF_MAX_DEPTH];
    int depth = 0;
    for (;;) {
      Tok u = p->tok;
      if (u.kind == T_EOF)
        TF_ERR(p, u, "unexpected end of file inside unknown field '%.*s' "
               "opened at %d:%d", (int)name.len, name.p, t.line, t.col);
      if (tf_is_punct(u, '{') || tf_is_punct(u, '<') || tf_is_punct(u, '[')) {
        if (depth == TF_MAX_DEPTH)
          TF_ERR(p, u, "messages nested too deeply (more than %d levels)",
                 TF_MAX_DEPTH);
        stack[depth++] = u.p[0] == '{' ? '}' : u.p[0] == '<' ? '>' : ']';
      } else if (tf_is_punct(u, '}') || tf_is_punct(u, '>') ||
                 tf_is_punct(u, ']')) {
        if (u.p[0] != stack[depth - 1])
          TF_ERR(p, u, "expected '%c' in unknown field '%.*s' opened at %d:%d, "
                 "got %s", stack[depth - 1], (int)name.len, name.p, t.line,
                 t.col, tf_show(p, u, 0));
        depth--;
      }
      tf_advance(p);
      if (depth == 0) break;
    }
  } else if (!colon) {
    TF_ERR(p, t, "expected ':' or '{' after field %s, got %s",
           tf_show(p, name, 0), tf_show(p, t, 0));
  } else if (t.kind == T_STR) {
    while (p->tok.kind == T_STR) tf_advance(p);
  } else {
    tf_accept(p, '-');
    Tok v = p->tok;
    if (v.kind != T_NUM && v.kind != T_IDENT)
      TF_ERR(p, v, "expected a value for field %s, got %s", tf_show(p, name, 0),
             tf_show(p, v, 0));
    tf_advance(p);
  }
  TfUnknown *u = ar_alloc(p->ar, sizeof *u);
  u->m = m;
  u->owner = p->owner;
  u->name = ar_strndup(p->ar, name.p, name.len);
  u->line = name.line;
  u->col = name.col;
  u->text = ar_strndup(p->ar, start, (size_t)(p->last_end - start));
  if (p->locs->unk_last)
    p->locs->unk_last->next = u;
  else
    p->locs->unk = u;
  p->locs->unk_last = u;
}

/* Parses fields into m up to closer ('}' or '>'), or up to end of file
 * for the root (closer 0).  open/openname name the field that opened m,
 * for errors.  Checks required fields at the end. */
static void parse_body(TfParser *p, ProtobufCMessage *m, char closer, Tok open,
                       const char *openname, int depth) {
  const ProtobufCMessageDescriptor *md = m->descriptor;
  unsigned char *seen = NULL;
  const ProtobufCMessage *owner0 = p->owner;
  if (p->lenient && p->locs && strcmp(md->name, p->lenient) == 0) p->owner = m;
  for (unsigned i = 0; i < md->n_fields; i++)
    if (md->fields[i].label == PROTOBUF_C_LABEL_REQUIRED) {
      seen = ar_alloc(p->ar, md->n_fields);
      break;
    }
  for (;;) {
    Tok t = p->tok;
    if (t.kind == T_EOF) {
      if (!closer) break;
      TF_ERR(p, t, "unexpected end of file inside message '%s' (%s) opened at "
             "%d:%d", openname, md->name, open.line, open.col);
    }
    if (closer && tf_is_punct(t, closer)) break;
    if (closer && (tf_is_punct(t, '}') || tf_is_punct(t, '>')))
      TF_ERR(p, t, "expected '%c' to close message '%s' (%s) opened at %d:%d, "
             "got %s", closer, openname, md->name, open.line, open.col,
             tf_show(p, t, 0));
    if (tf_is_punct(t, '['))
      TF_ERR(p, t, "extension fields are not supported (in message %s)",
             md->name);
    if (t.kind != T_IDENT)
      TF_ERR(p, t, "expected field name in message %s, got %s", md->name,
             tf_show(p, t, 0));
    const ProtobufCFieldDescriptor *f = NULL;
    char name[128];
    if (t.len < sizeof name) {
      memcpy(name, t.p, t.len);
      name[t.len] = 0;
      f = protobuf_c_message_descriptor_get_field_by_name(md, name);
    }
    if (!f && p->owner) { /* inside a lenient message */
      tf_advance(p);
      skip_unknown(p, m, t);
      if (!tf_accept(p, ';')) tf_accept(p, ',');
      continue;
    }
    if (!f)
      TF_ERR(p, t, "unknown field %s in message %s", tf_show(p, t, 0),
             md->name);
    tf_advance(p);
    parse_field(p, m, f, t, depth);
    if (seen) seen[f - md->fields] = 1;
    if (!tf_accept(p, ';')) tf_accept(p, ',');
  }
  Tok end = p->tok;
  for (unsigned i = 0; seen && i < md->n_fields; i++)
    if (md->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i])
      TF_ERR(p, end, "missing required field '%s' in message %s",
             md->fields[i].name, md->name);
  if (closer) tf_advance(p);
  p->owner = owner0;
}

ProtobufCMessage *tf_parse(const ProtobufCMessageDescriptor *desc,
                           const char *file, const char *text, size_t len,
                           Arena *ar, Diag *dg, TfLocs **locs_out) {
  return tf_parse_opts(desc, file, text, len, ar, dg, locs_out, NULL);
}

ProtobufCMessage *tf_parse_opts(const ProtobufCMessageDescriptor *desc,
                                const char *file, const char *text,
                                size_t len, Arena *ar, Diag *dg,
                                TfLocs **locs_out, const TfOpts *opts) {
  TfParser *p = ar_alloc(ar, sizeof *p);
  p->lenient = opts ? opts->lenient : NULL;
  p->file = file ? ar_strdup(ar, file) : "<input>";
  p->cur = p->bol = text;
  p->end = text + len;
  p->line = 1;
  p->ar = ar;
  p->dg = dg ? dg : &chai_diag;
  if (locs_out) {
    *locs_out = NULL;
    p->locs = ar_alloc(ar, sizeof(TfLocs));
    p->locs->file = p->file;
    p->locs->ar = ar;
  }
  if (setjmp(p->jb)) {
    free(p->sbuf);
    return NULL;
  }
  ProtobufCMessage *root = new_msg(p, desc);
  if (p->locs) loc_put(p->locs, root, 0, 1, 1);
  tf_lex(p);
  Tok open = {T_EOF, text, 0, 1, 1};
  parse_body(p, root, 0, open, desc->name, 0);
  free(p->sbuf);
  if (locs_out) *locs_out = p->locs;
  return root;
}

ProtobufCMessage *tf_parse_file(const ProtobufCMessageDescriptor *desc,
                                const char *path, Arena *ar, Diag *dg,
                                TfLocs **locs_out) {
  return tf_parse_file_opts(desc, path, ar, dg, locs_out, NULL);
}

ProtobufCMessage *tf_parse_file_opts(const ProtobufCMessageDescriptor *desc,
                                     const char *path, Arena *ar, Diag *dg,
                                     TfLocs **locs_out, const TfOpts *opts) {
  if (locs_out) *locs_out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    diag_error(dg ? dg : &chai_diag, SRCLOC_NONE, "cannot open '%s': %s", path,
               strerror(errno));
    return NULL;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (cap - len < 65536) {
      cap = cap ? cap * 2 : 65536;
      char *nb = realloc(buf, cap);
      if (!nb) {
        fprintf(stderr, "chaicc: fatal: out of memory reading %s\n", path);
        exit(3);
      }
      buf = nb;
    }
    size_t n = fread(buf + len, 1, cap - len, fp);
    len += n;
    if (n == 0) break;
  }
  int bad = ferror(fp);
  int err = errno;
  fclose(fp);
  ProtobufCMessage *m = NULL;
  if (bad)
    diag_error(dg ? dg : &chai_diag, SRCLOC_NONE, "cannot read '%s': %s", path,
               strerror(err));
  else
    m = tf_parse_opts(desc, path, buf, len, ar, dg, locs_out, opts);
  free(buf);
  return m;
}
