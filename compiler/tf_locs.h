/* tf_locs.h - the location table of the text-format reader (textfmt.c),
 * private to it and tf_locs.c: where each message and field was written,
 * and the unknown fields a lenient parse skipped.  Open addressing on
 * (message pointer, field id); id 0 is the message itself (protobuf field
 * numbers start at 1). */
#ifndef CHAI_TF_LOCS_H
#define CHAI_TF_LOCS_H

#include "textfmt.h"

typedef struct {
  const void *m;
  unsigned id;
  int line, col;
} LocEnt;

struct TfLocs {
  const char *file;
  Arena *ar;
  LocEnt *tab;
  size_t cap, n;
  TfUnknown *unk, *unk_last; /* skipped unknown fields, in file order */
};

/* Records (or overwrites) the location of (m, id). */
void loc_put(TfLocs *l, const void *m, unsigned id, int line, int col);

/* The entry of (m, id), or NULL. */
const LocEnt *loc_get(const TfLocs *l, const void *m, unsigned id);

#endif
