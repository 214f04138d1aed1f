/* cm_wire.c - the .caffemodel reader's protobuf wire-format walker (see
 * cm_wire.h). */
#define _DEFAULT_SOURCE /* madvise, MADV_* */
#include "cm_wire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define CM_MAX_GROUP_DEPTH 64

/* Report an error prefixed with the current layer/blob context. */
void cm_error(Cx *cx, const char *fmt, ...) {
  char msg[512], pre[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pre[0] = 0;
  if (cx->lname)
    snprintf(pre, sizeof pre, "layer '%.200s'", cx->lname);
  else if (cx->lindex >= 0)
    snprintf(pre, sizeof pre, "layer #%d", cx->lindex);
  if (pre[0] && cx->bindex >= 0) {
    size_t k = strlen(pre);
    snprintf(pre + k, sizeof pre - k, " blob %d", cx->bindex);
  }
  diag_error(cx->dg, (SrcLoc){cx->path, 0, 0}, "%s%s%s", pre,
             pre[0] ? ": " : "", msg);
}

/* Read a varint at *pos, not reading at or past `end`.  On success stores
 * the value, advances *pos and returns true; otherwise reports "what" as
 * truncated or malformed at the varint's offset and returns false. */
bool cm_varint(Cx *cx, size_t *pos, size_t end, uint64_t *out,
               const char *what) {
  size_t p = *pos;
  uint64_t v = 0;
  for (int i = 0; i < 10; i++) {
    if (p >= end) {
      cm_error(cx, "truncated %s at byte %zu", what, *pos);
      return false;
    }
    uint8_t b = cx->buf[p++];
    if (i == 9 && b > 1) {
      cm_error(cx, "malformed %s (more than 64 bits) at byte %zu", what,
               *pos);
      return false;
    }
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *pos = p;
      *out = v;
      return true;
    }
  }
  cm_error(cx, "malformed %s (more than 10 bytes) at byte %zu", what, *pos);
  return false;
}

/* Little-endian fixed-width load of `k` (4 or 8) bytes at p (in bounds). */
static uint64_t rd_fixed(const uint8_t *p, int k) {
  uint64_t v = 0;
  for (int i = k - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* Read a tag at *pos (< end): field number and wire type.  Rejects field
 * number 0, numbers above 2^29-1 and wire types 6/7. */
static bool rd_tag(Cx *cx, size_t *pos, size_t end, uint32_t *num, int *wt) {
  size_t at = *pos;
  uint64_t t;
  if (!cm_varint(cx, pos, end, &t, "field tag")) return false;
  *wt = (int)(t & 7);
  uint64_t fn = t >> 3;
  if (fn == 0 || fn > 0x1fffffff) {
    cm_error(cx, "invalid field number %" PRIu64 " at byte %zu (not a Caffe "
             "model?)", fn, at);
    return false;
  }
  if (*wt > 5) {
    cm_error(cx, "invalid wire type %d at byte %zu (not a Caffe model?)", *wt,
             at);
    return false;
  }
  *num = (uint32_t)fn;
  return true;
}

/* Skip the payload of a field with wire type wt (not a group) at *pos. */
static bool skip_payload(Cx *cx, size_t *pos, size_t end, int wt,
                         uint32_t num) {
  uint64_t v;
  switch (wt) {
  case WT_VARINT:
    return cm_varint(cx, pos, end, &v, "varint");
  case WT_I64:
  case WT_I32: {
    size_t k = wt == WT_I64 ? 8 : 4;
    if (end - *pos < k) {
      cm_error(cx, "truncated %zu-byte field %" PRIu32 " at byte %zu", k, num,
               *pos);
      return false;
    }
    *pos += k;
    return true;
  }
  case WT_LEN: {
    size_t at = *pos;
    if (!cm_varint(cx, pos, end, &v, "length")) return false;
    if (v > end - *pos) {
      cm_error(cx, "field %" PRIu32 " at byte %zu declares %" PRIu64
               " bytes but only %zu remain in the enclosing message",
               num, at, v, end - *pos);
      return false;
    }
    *pos += (size_t)v;
    return true;
  }
  default:
    cm_error(cx, "unexpected wire type %d at byte %zu", wt, *pos);
    return false;
  }
}

/* Skip a group whose start tag (field `num`) has just been read: consume
 * fields up to and including the matching end-group tag. */
static bool skip_group(Cx *cx, size_t *pos, size_t end, uint32_t num) {
  uint32_t stack[CM_MAX_GROUP_DEPTH];
  int depth = 0;
  stack[depth++] = num;
  while (depth > 0) {
    if (*pos >= end) {
      cm_error(cx, "truncated group (field %" PRIu32 ") at byte %zu",
               stack[depth - 1], *pos);
      return false;
    }
    size_t at = *pos;
    uint32_t fn;
    int wt;
    if (!rd_tag(cx, pos, end, &fn, &wt)) return false;
    if (wt == WT_SGROUP) {
      if (depth == CM_MAX_GROUP_DEPTH) {
        cm_error(cx, "groups nested too deeply at byte %zu", at);
        return false;
      }
      stack[depth++] = fn;
    } else if (wt == WT_EGROUP) {
      if (fn != stack[depth - 1]) {
        cm_error(cx, "mismatched end of group %" PRIu32 " at byte %zu", fn,
                 at);
        return false;
      }
      depth--;
    } else if (!skip_payload(cx, pos, end, wt, fn)) {
      return false;
    }
  }
  return true;
}

/* Read the next field in [*pos, end) into *f, skipping its payload (for
 * WT_LEN the payload range is recorded; groups are skipped whole).  Returns
 * false after reporting an error. */
bool cm_next_field(Cx *cx, size_t *pos, size_t end, Field *f) {
  f->tag = *pos;
  f->v = 0;
  f->off = f->len = 0;
  if (!rd_tag(cx, pos, end, &f->num, &f->wt)) return false;
  switch (f->wt) {
  case WT_VARINT:
    return cm_varint(cx, pos, end, &f->v, "varint");
  case WT_I64:
  case WT_I32: {
    size_t k = f->wt == WT_I64 ? 8 : 4;
    if (end - *pos < k) {
      cm_error(cx, "truncated %zu-byte field %" PRIu32 " at byte %zu", k,
               f->num, *pos);
      return false;
    }
    f->v = rd_fixed(cx->buf + *pos, (int)k);
    *pos += k;
    return true;
  }
  case WT_LEN: {
    size_t at = *pos;
    uint64_t v;
    if (!cm_varint(cx, pos, end, &v, "length")) return false;
    if (v > end - *pos) {
      cm_error(cx, "field %" PRIu32 " at byte %zu declares %" PRIu64
               " bytes but only %zu remain in the enclosing message",
               f->num, at, v, end - *pos);
      return false;
    }
    f->off = *pos;
    f->len = (size_t)v;
    *pos += (size_t)v;
    return true;
  }
  case WT_SGROUP:
    return skip_group(cx, pos, end, f->num);
  default: /* WT_EGROUP with no open group */
    cm_error(cx, "unexpected end-of-group tag (field %" PRIu32 ") at byte %zu",
             f->num, f->tag);
    return false;
  }
}

/* Require field f to have wire type wt (one of two accepted, wt2 may be
 * -1); `what` names the field in the message. */
bool cm_want_wt(Cx *cx, const Field *f, int wt, int wt2,
                const char *what) {
  if (f->wt == wt || f->wt == wt2) return true;
  cm_error(cx, "%s (field %" PRIu32 ") has wire type %d at byte %zu", what,
           f->num, f->wt, f->tag);
  return false;
}

/* Drop the pages of the mapping that lie wholly before `upto`. */
void cm_release_upto(Cx *cx, size_t upto) {
  if (!cx->release) return;
  size_t lim = upto - upto % cx->page;
  if (lim <= cx->released) return;
  /* Best effort: failure only costs memory. */
  (void)madvise((void *)(uintptr_t)(cx->buf + cx->released),
                lim - cx->released, MADV_DONTNEED);
  cx->released = lim;
}
