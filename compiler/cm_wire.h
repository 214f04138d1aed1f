/* cm_wire.h - the protobuf wire-format walker of the .caffemodel reader
 * (caffemodel.h), for caffemodel.c only: the reader's state, bounds
 * checked reads of varints, tags and fields against the end of the
 * enclosing message (offsets, never pointers past the buffer), groups
 * skipped whole, errors reported with the layer/blob being read and the
 * byte offset, and the release of consumed pages of the mapping. */
#ifndef CHAI_CM_WIRE_H
#define CHAI_CM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

/* Wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4,
       WT_I32 = 5 };

/* Reader state shared by the whole load. */
typedef struct Cx {
  const uint8_t *buf;
  size_t n;
  const char *path;
  Diag *dg;
  Arena *ar;
  bool release;     /* buf is our mapping: drop consumed pages */
  size_t released;  /* [0, released) has been dropped */
  size_t page;
  /* What is being read, for messages. */
  int lindex;        /* layer index or -1 */
  const char *lname; /* layer name once known, else NULL */
  int bindex;        /* blob index or -1 */
} Cx;

/* One decoded field header.  For WT_LEN, [off, off+len) is the payload; for
 * WT_VARINT/WT_I64/WT_I32, v is the value; tag is the offset of the tag. */
typedef struct Field {
  uint32_t num;
  int wt;
  size_t tag, off, len;
  uint64_t v;
} Field;

/* Report an error prefixed with the current layer/blob context. */
void cm_error(Cx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a varint at *pos, not reading at or past `end`.  On success stores
 * the value, advances *pos and returns true; otherwise reports "what" as
 * truncated or malformed at the varint's offset and returns false. */
bool cm_varint(Cx *cx, size_t *pos, size_t end, uint64_t *out,
               const char *what);

/* Read the next field in [*pos, end) into *f, skipping its payload (for
 * WT_LEN the payload range is recorded; groups are skipped whole).  Returns
 * false after reporting an error. */
bool cm_next_field(Cx *cx, size_t *pos, size_t end, Field *f);

/* Require field f to have wire type wt (one of two accepted, wt2 may be
 * -1); `what` names the field in the message. */
bool cm_want_wt(Cx *cx, const Field *f, int wt, int wt2, const char *what);

/* Drop the pages of the mapping that lie wholly before `upto` (when
 * cx->release; best effort). */
void cm_release_upto(Cx *cx, size_t upto);

#endif
