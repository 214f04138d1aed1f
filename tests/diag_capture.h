/* diag_capture.h - a Diag whose messages go to a memory buffer, so tests
 * can compare diagnostics with their exact expected text. */
#ifndef CHAI_TEST_DIAG_CAPTURE_H
#define CHAI_TEST_DIAG_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

typedef struct Cap {
  Diag dg;
  char *text;
  size_t len;
} Cap;

static inline void cap_open(Cap *c) {
  c->text = NULL;
  c->len = 0;
  diag_init(&c->dg, open_memstream(&c->text, &c->len));
}

/* Ends the capture; returns the text (owned by c, freed by cap_free). */
static inline char *cap_close(Cap *c) {
  fclose(c->dg.out);
  return c->text;
}

static inline void cap_free(Cap *c) {
  free(c->text);
  c->text = NULL;
}

#endif
