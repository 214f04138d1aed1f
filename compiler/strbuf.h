/* strbuf.h - a growable NUL-terminated string (malloc'ed), for the code
 * generators.  Out of memory is fatal (exit 3). */
#ifndef CHAI_STRBUF_H
#define CHAI_STRBUF_H

#include <stddef.h>

typedef struct Sb {
  char *s;
  size_t n, cap;
} Sb;

void sb_put(Sb *b, const char *s, size_t n);
void sb_puts(Sb *b, const char *s);
void sb_printf(Sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty). */
const char *sb_str(const Sb *b);
void sb_free(Sb *b);

#endif
