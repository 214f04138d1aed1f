/* tf_locs.c - the text-format reader's location table (see tf_locs.h). */
#include <stdint.h>

#include "tf_locs.h"

/* ---------------------------------------------------------------------
 * Location table: open addressing on (message pointer, field id); id 0 is
 * the message itself (protobuf field numbers start at 1).
 */

const TfUnknown *tf_unknown(const TfLocs *locs) {
  return locs ? locs->unk : NULL;
}

static size_t loc_hash(const void *m, unsigned id) {
  uint64_t h = (uint64_t)(uintptr_t)m * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t)id * 0xC2B2AE3D27D4EB4Full;
  return (size_t)(h ^ (h >> 31));
}

static LocEnt *loc_slot(LocEnt *tab, size_t cap, const void *m, unsigned id) {
  size_t i = loc_hash(m, id) & (cap - 1);
  while (tab[i].m && !(tab[i].m == m && tab[i].id == id))
    i = (i + 1) & (cap - 1);
  return &tab[i];
}

/* Records (or overwrites) the location of (m, id). */
void loc_put(TfLocs *l, const void *m, unsigned id, int line, int col) {
  if (2 * (l->n + 1) > l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 256;
    LocEnt *tab = ar_array(l->ar, cap, sizeof(LocEnt));
    for (size_t i = 0; i < l->cap; i++)
      if (l->tab[i].m)
        *loc_slot(tab, cap, l->tab[i].m, l->tab[i].id) = l->tab[i];
    l->tab = tab;
    l->cap = cap;
  }
  LocEnt *e = loc_slot(l->tab, l->cap, m, id);
  if (!e->m) {
    e->m = m;
    e->id = id;
    l->n++;
  }
  e->line = line;
  e->col = col;
}

const LocEnt *loc_get(const TfLocs *l, const void *m, unsigned id) {
  if (!l->cap) return NULL;
  const LocEnt *e = loc_slot(l->tab, l->cap, m, id);
  return e->m ? e : NULL;
}

SrcLoc tf_loc_msg(const TfLocs *locs, const ProtobufCMessage *m) {
  if (!locs) return SRCLOC_NONE;
  const LocEnt *e = loc_get(locs, m, 0);
  return (SrcLoc){locs->file, e ? e->line : 0, e ? e->col : 0};
}

SrcLoc tf_loc_field(const TfLocs *locs, const ProtobufCMessage *m,
                    unsigned field_id) {
  if (!locs) return SRCLOC_NONE;
  const LocEnt *e = field_id ? loc_get(locs, m, field_id) : NULL;
  if (e) return (SrcLoc){locs->file, e->line, e->col};
  return tf_loc_msg(locs, m);
}
