/* tf_lex.h - the tokenizer of the text-format reader (textfmt.h): the
 * reader's state, one-token lookahead over the whole buffer, error
 * reporting that unwinds the parse, and the scratch buffer for decoding
 * strings.  For textfmt.c only; tf_parse* are the readers' API.
 *
 * Tokens: identifiers, anything number-like (maximal munch, validated when
 * converted), quoted strings (never spanning a line) and the punctuation
 * {}<>[]:;,-.  Blanks and # comments are skipped.  Lines and columns are
 * 1-based; columns count bytes. */
#ifndef CHAI_TF_LEX_H
#define CHAI_TF_LEX_H

#include <setjmp.h>
#include <stddef.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "diag.h"
#include "tf_locs.h"

typedef enum { T_EOF, T_IDENT, T_NUM, T_STR, T_PUNCT } TokKind;

typedef struct {
  TokKind kind;
  const char *p;
  size_t len;
  int line, col;
} Tok;

/* One parse: the tokenizer's cursor and the parser's state. */
typedef struct TfParser {
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
} TfParser;

/* Reports one error at line:col and unwinds to tf_parse (longjmp to
 * p->jb). */
_Noreturn void tf_perr(TfParser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* tf_perr at token t. */
#define TF_ERR(p, t, ...) tf_perr(p, (t).line, (t).col, __VA_ARGS__)

/* Quotes token text for a diagnostic: at most 40 bytes, non-printable bytes
 * as \xHH.  Two rotating buffers, so one message may show two tokens.
 * neg prefixes a '-' (for numbers after a minus sign). */
const char *tf_show(TfParser *p, Tok t, int neg);

/* Scans the next token into p->tok, skipping blanks and # comments. */
void tf_lex(TfParser *p);

/* Consumes the lookahead (recording where it ended) and scans the next. */
void tf_advance(TfParser *p);

/* Consumes the lookahead when it is punctuation c; 1 if it was. */
int tf_accept(TfParser *p, char c);

/* Appends n bytes of s (and keeps a terminating NUL) to the scratch
 * buffer; exits with status 3 when out of memory. */
void tf_sbuf_put(TfParser *p, const char *s, size_t n);
void tf_sbuf_putc(TfParser *p, int c);

static inline int tf_is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static inline int tf_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int tf_is_alnum(int c) { return tf_is_alpha(c) || tf_is_digit(c); }

static inline int tf_is_punct(Tok t, char c) {
  return t.kind == T_PUNCT && t.p[0] == c;
}

/* t is the identifier s. */
static inline int tf_tok_is(Tok t, const char *s) {
  return t.kind == T_IDENT && t.len == strlen(s) && !memcmp(t.p, s, t.len);
}

/* Case-insensitive tf_tok_is for inf/nan. */
static inline int tf_tok_is_ci(Tok t, const char *s) {
  if (t.kind != T_IDENT || t.len != strlen(s)) return 0;
  for (size_t i = 0; i < t.len; i++) {
    char c = t.p[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != s[i]) return 0;
  }
  return 1;
}

#endif
