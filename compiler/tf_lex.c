/* tf_lex.c - the text-format reader's tokenizer, error reporting and
 * scratch buffer (see tf_lex.h). */
#include "tf_lex.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports one error at line:col and unwinds to tf_parse. */
_Noreturn void tf_perr(TfParser *p, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(p->dg, (SrcLoc){p->file, line, col}, fmt, ap);
  va_end(ap);
  longjmp(p->jb, 1);
}

/* Quotes token text for a diagnostic: at most 40 bytes, non-printable bytes
 * as \xHH.  Two rotating buffers, so one message may show two tokens.
 * neg prefixes a '-' (for numbers after a minus sign). */
const char *tf_show(TfParser *p, Tok t, int neg) {
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
void tf_lex(TfParser *p) {
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
  if (tf_is_alpha(c)) {
    t.kind = T_IDENT;
    while (s < e && tf_is_alnum(*s)) s++;
  } else if (tf_is_digit(c) || (c == '.' && s + 1 < e && tf_is_digit(s[1]))) {
    /* Maximal munch of anything number-like; validated when converted. */
    int hex = c == '0' && s + 1 < e && (s[1] == 'x' || s[1] == 'X');
    t.kind = T_NUM;
    s++;
    while (s < e) {
      char d = *s;
      if (tf_is_alnum(d) || d == '.')
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
    if (s >= e || *s != c) TF_ERR(p, t, "unterminated string");
    s++;
  } else if (c && strchr("{}<>[]:;,-", c)) {
    t.kind = T_PUNCT;
    s++;
  } else {
    t.kind = T_PUNCT;
    t.len = 1;
    TF_ERR(p, t, "unexpected character %s", tf_show(p, t, 0));
  }
  t.len = (size_t)(s - t.p);
  p->tok = t;
  p->cur = s;
}

/* Consumes the lookahead (recording where it ended) and scans the next. */
void tf_advance(TfParser *p) {
  p->last_end = p->tok.p + p->tok.len;
  tf_lex(p);
}

/* Consumes the lookahead when it is punctuation c; 1 if it was. */
int tf_accept(TfParser *p, char c) {
  if (!tf_is_punct(p->tok, c)) return 0;
  tf_advance(p);
  return 1;
}

/* Appends n bytes of s to the scratch buffer, NUL-terminated; exits with
 * status 3 when out of memory. */
void tf_sbuf_put(TfParser *p, const char *s, size_t n) {
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

void tf_sbuf_putc(TfParser *p, int c) {
  char ch = (char)c;
  tf_sbuf_put(p, &ch, 1);
}
