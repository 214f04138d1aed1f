/* diag.c - located diagnostics (see diag.h). */
#include "diag.h"

Diag chai_diag;

void diag_init(Diag *d, FILE *out) {
  d->out = out;
  d->nerrors = d->nwarnings = 0;
}

static void emit(Diag *d, SrcLoc loc, const char *kind, const char *fmt,
                 va_list ap) {
  FILE *o = d->out ? d->out : stderr;
  if (loc.file && loc.line > 0)
    fprintf(o, "%s:%d:%d: %s: ", loc.file, loc.line, loc.col, kind);
  else if (loc.file)
    fprintf(o, "%s: %s: ", loc.file, kind);
  else
    fprintf(o, "chaicc: %s: ", kind);
  vfprintf(o, fmt, ap);
  fputc('\n', o);
  fflush(o);
}

void diag_verror(Diag *d, SrcLoc loc, const char *fmt, va_list ap) {
  d->nerrors++;
  emit(d, loc, "error", fmt, ap);
}

void diag_error(Diag *d, SrcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(d, loc, fmt, ap);
  va_end(ap);
}

void diag_warn(Diag *d, SrcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  d->nwarnings++;
  emit(d, loc, "warning", fmt, ap);
  va_end(ap);
}

void diag_note(Diag *d, SrcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(d, loc, "note", fmt, ap);
  va_end(ap);
}
