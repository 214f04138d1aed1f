/* diag.h - located diagnostics for chaicc.
 *
 * Every message carries a location: a prototxt file:line:col, a YAML mark
 * (also line:col), or a binary file plus a context string (caffemodel layer
 * and blob).  Errors are printed as they are found and counted; the caller
 * decides when to stop (syntax errors stop at once, semantic errors are
 * collected and the command exits non-zero at the end).
 */
#ifndef CHAI_DIAG_H
#define CHAI_DIAG_H

#include <stdarg.h>
#include <stdio.h>

/* A source location.  line == 0 means "no line" (binary file): printed as
 * "file: error: ...".  file == NULL prints no location prefix at all. */
typedef struct SrcLoc {
  const char *file;
  int line, col;
} SrcLoc;

#define SRCLOC_NONE ((SrcLoc){NULL, 0, 0})

/* Diagnostic sink.  out defaults to stderr when NULL. */
typedef struct Diag {
  FILE *out;
  int nerrors, nwarnings;
} Diag;

void diag_init(Diag *d, FILE *out);
void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warn(Diag *d, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(Diag *d, SrcLoc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_verror(Diag *d, SrcLoc loc, const char *fmt, va_list ap);

/* Process-wide sink used by the CLI; tests make their own. */
extern Diag chai_diag;

#endif
