/* textfmt.c - protobuf text format reader (see textfmt.h; the writer is
 * tf_write.c).
 *
 * The reader is a one-token-lookahead tokenizer over the whole buffer and a
 * recursive descent parser whose depth is bounded by TF_MAX_DEPTH.  Errors
 * are reported once and unwind with longjmp; everything the parser builds
 * lives in the arena, so nothing leaks (the only malloc'd object, the string
 * scratch buffer, is freed on both paths).
 */
#define _POSIX_C_SOURCE 200809L
#include "textfmt.h"
#include "tf_locs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Tokenizer.
 */

typedef enum { T_EOF, T_IDENT, T_NUM, T_STR, T_PUNCT } TokKind;

typedef struct {
  TokKind kind;
  const char *p;
  size_t len;
  int line, col;
} Tok;

typedef struct {
  const char *file;
  const char *cur, *end, *bol; /* bol: start of the current line */
  int line;
  Tok tok; /* lookahead */
  Arena *ar;
  Diag *dg;
  TfLocs *locs;
  jmp_buf jb;
  char *sbuf; /* scratch for decoding strings and numbers (malloc) */
  size_t slen, scap;
  int nshow;
  char show[2][200];
  const char *lenient; /* TfOpts.lenient */
  const ProtobufCMessage *owner; /* innermost open lenient message, or NULL */
  const char *last_end; /* end of the last token consumed */
} P;

static _Noreturn void perr(P *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reports one error at line:col and unwinds to tf_parse. */
static _Noreturn void perr(P *p, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(p->dg, (SrcLoc){p->file, line, col}, fmt, ap);
  va_end(ap);
  longjmp(p->jb, 1);
}

#define TERR(p, t, ...) perr(p, (t).line, (t).col, __VA_ARGS__)

static int is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }

/* Quotes token text for a diagnostic: at most 40 bytes, non-printable bytes
 * as \xHH.  Two rotating buffers, so one message may show two tokens.
 * neg prefixes a '-' (for numbers after a minus sign). */
static const char *show(P *p, Tok t, int neg) {
  if (t.kind == T_EOF) return "end of file";
  char *b = p->show[p->nshow++ & 1], *o = b;
  *o++ = '\'';
  if (neg) *o++ = '-';
  size_t n = t.len > 40 ? 40 : t.len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t.p[i];
    if (c >= 0x20 && c < 0x7f)
      *o++ = (char)c;
    else
      o += sprintf(o, "\\x%02x", c);
  }
  if (t.len > n) o += sprintf(o, "...");
  *o++ = '\'';
  *o = 0;
  return b;
}

/* Scans the next token into p->tok, skipping blanks and # comments. */
static void lex(P *p) {
  const char *s = p->cur, *e = p->end;
  while (s < e) {
    char c = *s;
    if (c == '\n') {
      s++;
      if (p->line < INT_MAX) p->line++;
      p->bol = s;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
      s++;
    } else if (c == '#') {
      while (s < e && *s != '\n') s++;
    } else {
      break;
    }
  }
  Tok t = {T_EOF, s, 0, p->line, 0};
  size_t col = (size_t)(s - p->bol) + 1;
  t.col = col > INT_MAX ? INT_MAX : (int)col;
  if (s == e) {
    p->tok = t;
    p->cur = s;
    return;
  }
  char c = *s;
  if (is_alpha(c)) {
    t.kind = T_IDENT;
    while (s < e && is_alnum(*s)) s++;
  } else if (is_digit(c) || (c == '.' && s + 1 < e && is_digit(s[1]))) {
    /* Maximal munch of anything number-like; validated when converted. */
    int hex = c == '0' && s + 1 < e && (s[1] == 'x' || s[1] == 'X');
    t.kind = T_NUM;
    s++;
    while (s < e) {
      char d = *s;
      if (is_alnum(d) || d == '.')
        s++;
      else if ((d == '+' || d == '-') && !hex && (s[-1] == 'e' || s[-1] == 'E'))
        s++;
      else
        break;
    }
  } else if (c == '"' || c == '\'') {
    t.kind = T_STR;
    s++;
    while (s < e && *s != c && *s != '\n')
      s += (*s == '\\' && s + 1 < e && s[1] != '\n') ? 2 : 1;
    if (s >= e || *s != c) TERR(p, t, "unterminated string");
    s++;
  } else if (c && strchr("{}<>[]:;,-", c)) {
    t.kind = T_PUNCT;
    s++;
  } else {
    t.kind = T_PUNCT;
    t.len = 1;
    TERR(p, t, "unexpected character %s", show(p, t, 0));
  }
  t.len = (size_t)(s - t.p);
  p->tok = t;
  p->cur = s;
}

static void advance(P *p) {
  p->last_end = p->tok.p + p->tok.len;
  lex(p);
}

static int is_punct(Tok t, char c) { return t.kind == T_PUNCT && t.p[0] == c; }

static int accept(P *p, char c) {
  if (!is_punct(p->tok, c)) return 0;
  advance(p);
  return 1;
}

static int tok_is(Tok t, const char *s) {
  return t.kind == T_IDENT && t.len == strlen(s) && !memcmp(t.p, s, t.len);
}

/* Case-insensitive tok_is for inf/nan. */
static int tok_is_ci(Tok t, const char *s) {
  if (t.kind != T_IDENT || t.len != strlen(s)) return 0;
  for (size_t i = 0; i < t.len; i++) {
    char c = t.p[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != s[i]) return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------------
 * Scratch buffer.
 */

static void sbuf_put(P *p, const char *s, size_t n) {
  if (p->scap - p->slen < n + 1) {
    size_t cap = p->scap ? p->scap : 64;
    while (cap - p->slen < n + 1 && cap <= SIZE_MAX / 2) cap *= 2;
    char *b = cap - p->slen >= n + 1 ? realloc(p->sbuf, cap) : NULL;
    if (!b) {
      fprintf(stderr, "chaicc: fatal: out of memory allocating %zu bytes\n",
              cap);
      exit(3);
    }
    p->sbuf = b;
    p->scap = cap;
  }
  memcpy(p->sbuf + p->slen, s, n);
  p->slen += n;
  p->sbuf[p->slen] = 0;
}

static void sbuf_putc(P *p, int c) {
  char ch = (char)c;
  sbuf_put(p, &ch, 1);
}

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
static void store(P *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                  const Value *v) {
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
    unsigned d = is_digit(c)              ? (unsigned)(c - '0')
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
static int parse_double(P *p, const char *s, size_t n, double *out) {
  uint64_t u;
  int r = parse_uint(s, n, &u);
  if (r == 1) {
    *out = (double)u;
    return 1;
  }
  if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return 0;
  size_t i = 0, digits = 0;
  while (i < n && is_digit(s[i])) i++, digits++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_digit(s[i])) i++, digits++;
  }
  if (!digits) return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t ed = 0;
    while (i < n && is_digit(s[i])) i++, ed++;
    if (!ed) return 0;
  }
  size_t end = i;
  if (i < n && (s[i] == 'f' || s[i] == 'F')) i++;
  if (i != n) return 0;
  p->slen = 0;
  sbuf_put(p, s, end);
  *out = strtod(p->sbuf, NULL); /* overflow gives inf, as in protobuf */
  return 1;
}

/* Parses an integer (with optional leading '-') for f, range-checked. */
static void parse_int(P *p, const ProtobufCMessageDescriptor *md,
                      const ProtobufCFieldDescriptor *f, Value *v) {
  Tok t0 = p->tok;
  int neg = 0;
  if (is_punct(t0, '-')) {
    neg = 1;
    advance(p);
  }
  Tok t = p->tok;
  uint64_t mag = 0;
  int r = t.kind == T_NUM ? parse_uint(t.p, t.len, &mag) : 0;
  if (r == 0)
    TERR(p, t0, "expected integer for field '%s' in %s, got %s", f->name,
         md->name, show(p, t, neg));
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
    TERR(p, t0, "value %s out of range for %s field '%s' in %s",
         show(p, t, neg), type_name(f->type), f->name, md->name);
  advance(p);
}

/* Parses a float or double: a number, inf/infinity/nan, optionally
 * negated. */
static void parse_real(P *p, const ProtobufCMessageDescriptor *md,
                       const ProtobufCFieldDescriptor *f, Value *v) {
  Tok t0 = p->tok;
  int neg = 0;
  if (is_punct(t0, '-')) {
    neg = 1;
    advance(p);
  }
  Tok t = p->tok;
  double d;
  if (tok_is_ci(t, "inf") || tok_is_ci(t, "infinity"))
    d = INFINITY;
  else if (tok_is_ci(t, "nan"))
    d = NAN;
  else if (!(t.kind == T_NUM && parse_double(p, t.p, t.len, &d)))
    TERR(p, t0, "expected number for field '%s' in %s, got %s", f->name,
         md->name, show(p, t, neg));
  if (neg) d = -d;
  if (f->type == PROTOBUF_C_TYPE_FLOAT)
    v->f = (float)d;
  else
    v->d = d;
  advance(p);
}

static void parse_bool(P *p, const ProtobufCMessageDescriptor *md,
                       const ProtobufCFieldDescriptor *f, Value *v) {
  Tok t = p->tok;
  uint64_t u = 2;
  if (tok_is(t, "true") || tok_is(t, "True") || tok_is(t, "t"))
    u = 1;
  else if (tok_is(t, "false") || tok_is(t, "False") || tok_is(t, "f"))
    u = 0;
  else if (t.kind == T_NUM && parse_uint(t.p, t.len, &u) != 1)
    u = 2;
  if (u > 1)
    TERR(p, t, "expected true or false for field '%s' in %s, got %s",
         f->name, md->name, show(p, t, 0));
  v->b = (protobuf_c_boolean)u;
  advance(p);
}

/* Parses an enum value by name or by (possibly negative) number; the value
 * must be one the enum declares. */
static void parse_enum(P *p, const ProtobufCMessageDescriptor *md,
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
      TERR(p, t0, "unknown enum value %s for field '%s' (%s)",
           show(p, t0, 0), f->name, ed->name);
    v->e = ev->value;
    advance(p);
    return;
  }
  int neg = 0;
  if (is_punct(t0, '-')) {
    neg = 1;
    advance(p);
  }
  Tok t = p->tok;
  uint64_t mag = 0;
  if (t.kind != T_NUM || parse_uint(t.p, t.len, &mag) == 0)
    TERR(p, t0, "expected enum value for field '%s' in %s, got %s", f->name,
         md->name, show(p, t, neg));
  const ProtobufCEnumValue *ev = NULL;
  if (mag <= (neg ? 0x80000000u : 0x7fffffffu))
    ev = protobuf_c_enum_descriptor_get_value(
        ed, neg ? (int)(0 - (uint32_t)mag) : (int)mag);
  if (!ev)
    TERR(p, t0, "unknown enum value %s for field '%s' (%s)", show(p, t, neg),
         f->name, ed->name);
  v->e = ev->value;
  advance(p);
}

static int hexval(char c) {
  return is_digit(c) ? c - '0'
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                  : -1;
}

static void put_utf8(P *p, uint32_t c) {
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
  sbuf_put(p, b, n);
}

/* Appends the decoded contents of string token t to the scratch buffer.
 * Strings never span lines, so an escape's column is t.col + offset. */
static void decode_str(P *p, Tok t) {
  const char *s = t.p + 1, *e = t.p + t.len - 1;
  while (s < e) {
    if (*s != '\\') {
      const char *q = s;
      while (s < e && *s != '\\') s++;
      sbuf_put(p, q, (size_t)(s - q));
      continue;
    }
    const char *bs = s++;
    int col = t.col + (int)(bs - t.p);
    char c = *s++;
    switch (c) {
    case 'n': sbuf_putc(p, '\n'); break;
    case 't': sbuf_putc(p, '\t'); break;
    case 'r': sbuf_putc(p, '\r'); break;
    case 'a': sbuf_putc(p, '\a'); break;
    case 'b': sbuf_putc(p, '\b'); break;
    case 'f': sbuf_putc(p, '\f'); break;
    case 'v': sbuf_putc(p, '\v'); break;
    case '\\': case '\'': case '"': case '?': sbuf_putc(p, c); break;
    case 'x': case 'X': {
      int v = 0, n = 0;
      while (n < 2 && s < e && hexval(*s) >= 0) v = v * 16 + hexval(*s++), n++;
      if (!n) perr(p, t.line, col, "invalid escape sequence '\\x' in string");
      sbuf_putc(p, v);
      break;
    }
    case 'u': case 'U': {
      int want = c == 'u' ? 4 : 8, n = 0;
      uint32_t v = 0;
      while (n < want && s < e && hexval(*s) >= 0)
        v = v * 16 + (uint32_t)hexval(*s++), n++;
      if (n < want || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        perr(p, t.line, col, "invalid escape sequence '\\%c' in string", c);
      put_utf8(p, v);
      break;
    }
    default:
      if (c >= '0' && c <= '7') {
        int v = c - '0', n = 1;
        while (n < 3 && s < e && *s >= '0' && *s <= '7')
          v = v * 8 + (*s++ - '0'), n++;
        if (v > 255)
          perr(p, t.line, col, "octal escape out of range in string");
        sbuf_putc(p, v);
      } else {
        Tok bad = {T_STR, bs, 2, t.line, col};
        perr(p, t.line, col, "invalid escape sequence %s in string",
             show(p, bad, 0));
      }
    }
  }
}

/* Parses one or more adjacent string literals into the scratch buffer. */
static void parse_strlits(P *p, const ProtobufCMessageDescriptor *md,
                          const ProtobufCFieldDescriptor *f) {
  Tok t = p->tok;
  if (t.kind != T_STR)
    TERR(p, t, "expected string for field '%s' in %s, got %s", f->name,
         md->name, show(p, t, 0));
  p->slen = 0;
  sbuf_put(p, "", 0);
  while (p->tok.kind == T_STR) {
    decode_str(p, p->tok);
    advance(p);
  }
}

/* Parses one non-message value of field f into v. */
static void parse_scalar(P *p, const ProtobufCMessageDescriptor *md,
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

static ProtobufCMessage *new_msg(P *p, const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *m = ar_alloc(p->ar, d->sizeof_message);
  if (d->message_init)
    d->message_init(m);
  else
    protobuf_c_message_init(d, m);
  return m;
}

static void parse_body(P *p, ProtobufCMessage *m, char closer, Tok open,
                       const char *openname, int depth);

/* Parses `{ ... }` or `< ... >` for message field f; at names the location
 * recorded for the new message. */
static ProtobufCMessage *parse_submsg(P *p, const ProtobufCMessageDescriptor *md,
                                      const ProtobufCFieldDescriptor *f, Tok at,
                                      int depth) {
  Tok o = p->tok;
  char closer = is_punct(o, '{') ? '}' : is_punct(o, '<') ? '>' : 0;
  if (!closer)
    TERR(p, o, "expected '{' after field '%s' in %s, got %s", f->name,
         md->name, show(p, o, 0));
  if (depth + 1 > TF_MAX_DEPTH)
    TERR(p, o, "messages nested too deeply (more than %d levels)",
         TF_MAX_DEPTH);
  advance(p);
  ProtobufCMessage *sm = new_msg(p, f->descriptor);
  if (p->locs) loc_put(p->locs, sm, 0, at.line, at.col);
  parse_body(p, sm, closer, at, f->name, depth + 1);
  return sm;
}

/* Parses the value part of field f (name already consumed): a value, a
 * message, or a `[...]` list of either. */
static void parse_field(P *p, ProtobufCMessage *m,
                        const ProtobufCFieldDescriptor *f, Tok name,
                        int depth) {
  const ProtobufCMessageDescriptor *md = m->descriptor;
  int ismsg = f->type == PROTOBUF_C_TYPE_MESSAGE;
  Value v;
  if (p->locs) loc_put(p->locs, m, f->id, name.line, name.col);
  if (ismsg) {
    accept(p, ':');
  } else if (!accept(p, ':')) {
    TERR(p, p->tok, "expected ':' after field '%s' in %s, got %s", f->name,
         md->name, show(p, p->tok, 0));
  }
  if (!is_punct(p->tok, '[')) {
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
    TERR(p, lb, "list value for non-repeated field '%s' in %s", f->name,
         md->name);
  advance(p);
  if (accept(p, ']')) return;
  for (;;) {
    memset(&v, 0, sizeof v);
    if (ismsg)
      v.m = parse_submsg(p, md, f, p->tok, depth);
    else
      parse_scalar(p, md, f, &v);
    store(p, m, f, &v);
    if (accept(p, ',')) continue;
    if (accept(p, ']')) return;
    Tok t = p->tok;
    if (t.kind == T_EOF)
      TERR(p, t, "unexpected end of file inside list for field '%s' opened "
           "at %d:%d", f->name, lb.line, lb.col);
    TERR(p, t, "expected ',' or ']' in list for field '%s' in %s, got %s",
         f->name, md->name, show(p, t, 0));
  }
}

/* Skips the value of unknown field `name` (its name consumed) in a
 * lenient message m: `: scalar`, or an optional ':' then a bracketed value
 * whose brackets are balanced.  Records it in the location table. */
static void skip_unknown(P *p, ProtobufCMessage *m, Tok name) {
  const char *start = p->tok.p;
  int colon = accept(p, ':');
  Tok t = p->tok;
  if (is_punct(t, '{') || is_punct(t, '<') || is_punct(t, '[')) {
    char stack[TF_MAX_DEPTH];
    int depth = 0;
    for (;;) {
      Tok u = p->tok;
      if (u.kind == T_EOF)
        TERR(p, u, "unexpected end of file inside unknown field '%.*s' "
             "opened at %d:%d", (int)name.len, name.p, t.line, t.col);
      if (is_punct(u, '{') || is_punct(u, '<') || is_punct(u, '[')) {
        if (depth == TF_MAX_DEPTH)
          TERR(p, u, "messages nested too deeply (more than %d levels)",
               TF_MAX_DEPTH);
        stack[depth++] = u.p[0] == '{' ? '}' : u.p[0] == '<' ? '>' : ']';
      } else if (is_punct(u, '}') || is_punct(u, '>') || is_punct(u, ']')) {
        if (u.p[0] != stack[depth - 1])
          TERR(p, u, "expected '%c' in unknown field '%.*s' opened at %d:%d, "
               "got %s", stack[depth - 1], (int)name.len, name.p, t.line,
               t.col, show(p, u, 0));
        depth--;
      }
      advance(p);
      if (depth == 0) break;
    }
  } else if (!colon) {
    TERR(p, t, "expected ':' or '{' after field %s, got %s", show(p, name, 0),
         show(p, t, 0));
  } else if (t.kind == T_STR) {
    while (p->tok.kind == T_STR) advance(p);
  } else {
    accept(p, '-');
    Tok v = p->tok;
    if (v.kind != T_NUM && v.kind != T_IDENT)
      TERR(p, v, "expected a value for field %s, got %s", show(p, name, 0),
           show(p, v, 0));
    advance(p);
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
static void parse_body(P *p, ProtobufCMessage *m, char closer, Tok open,
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
      TERR(p, t, "unexpected end of file inside message '%s' (%s) opened at "
           "%d:%d", openname, md->name, open.line, open.col);
    }
    if (closer && is_punct(t, closer)) break;
    if (closer && (is_punct(t, '}') || is_punct(t, '>')))
      TERR(p, t, "expected '%c' to close message '%s' (%s) opened at %d:%d, "
           "got %s", closer, openname, md->name, open.line, open.col,
           show(p, t, 0));
    if (is_punct(t, '['))
      TERR(p, t, "extension fields are not supported (in message %s)",
           md->name);
    if (t.kind != T_IDENT)
      TERR(p, t, "expected field name in message %s, got %s", md->name,
           show(p, t, 0));
    const ProtobufCFieldDescriptor *f = NULL;
    char name[128];
    if (t.len < sizeof name) {
      memcpy(name, t.p, t.len);
      name[t.len] = 0;
      f = protobuf_c_message_descriptor_get_field_by_name(md, name);
    }
    if (!f && p->owner) { /* inside a lenient message */
      advance(p);
      skip_unknown(p, m, t);
      if (!accept(p, ';')) accept(p, ',');
      continue;
    }
    if (!f)
      TERR(p, t, "unknown field %s in message %s", show(p, t, 0), md->name);
    advance(p);
    parse_field(p, m, f, t, depth);
    if (seen) seen[f - md->fields] = 1;
    if (!accept(p, ';')) accept(p, ',');
  }
  Tok end = p->tok;
  for (unsigned i = 0; seen && i < md->n_fields; i++)
    if (md->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i])
      TERR(p, end, "missing required field '%s' in message %s",
           md->fields[i].name, md->name);
  if (closer) advance(p);
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
  P *p = ar_alloc(ar, sizeof *p);
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
  lex(p);
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
