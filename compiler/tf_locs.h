/* tf_locs.h - the location table of the text-format reader (textfmt.h):
 * where each message and field was written, and the unknown fields a
 * lenient parse skipped.  Open addressing on (message pointer, field id);
 * id 0 is the message itself (protobuf field numbers start at 1).  The
 * table's layout and loc_put/loc_get are for textfmt.c; the rest is the
 * readers' API. */
#ifndef CHAI_TF_LOCS_H
#define CHAI_TF_LOCS_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "diag.h"

/* Where messages and fields were written (arena-allocated hash table). */
typedef struct TfLocs TfLocs;

/* An unknown field skipped in a lenient message, in file order. */
typedef struct TfUnknown {
  const ProtobufCMessage *m; /* the message it was written in */
  const ProtobufCMessage *owner; /* the innermost lenient message around it
                                    (m itself for a field directly in one) */
  const char *name;          /* the field name */
  int line, col;             /* of the name */
  const char *text;          /* its value as written, from ':' or '{' on */
  const struct TfUnknown *next;
} TfUnknown;


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

/* The first unknown field skipped by a lenient parse (NULL if none). */
const TfUnknown *tf_unknown(const TfLocs *locs);

/* Location of message m: the field name that opened it (for an element of
 * a list `f: [{...}, ...]`, its opening brace); 1:1 for the root.  A message
 * not from this parse gets {file, 0, 0}; a NULL table gives SRCLOC_NONE. */
SrcLoc tf_loc_msg(const TfLocs *locs, const ProtobufCMessage *m);

/* Location of the field name of the last occurrence of field field_id
 * (its number) in m; the message's own location if the field is absent. */
SrcLoc tf_loc_field(const TfLocs *locs, const ProtobufCMessage *m,
                    unsigned field_id);

#endif
