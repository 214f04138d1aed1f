/* ir.c - the layer registry table and IR helpers (see ir.h). */
#include "ir.h"

#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "textfmt.h"

const LayerKindInfo lk_info[LK_NKINDS] = {
#define LAYER(id, ty, v1, file, ptype, member, ws, place, flags)                      \
  [LK_##id] = {LK_##id, ty, v1, #file, &lk_##file##_ops, (flags), sizeof(ptype), \
               rt_##file##_f32, ws, PL_##place, #ptype},
#define ALIAS(ty, id)
#include "layers.def"
#undef LAYER
#undef ALIAS
};

/* The ptype/member columns agree with the Layer.p union. */
#define LAYER(id, ty, v1, file, ptype, member, ws, place, flags)                     \
  _Static_assert(_Generic(((Layer *)0)->p.member, ptype: 1, default: 0),          \
                 "layers.def: Layer.p." #member " of " #id " is not " #ptype);
#define ALIAS(ty, id)
#include "layers.def"
#undef LAYER
#undef ALIAS

static const struct {
  const char *type;
  LayerKind kind;
} aliases[] = {
#define LAYER(id, ty, v1, file, ptype, member, ws, place, flags)
#define ALIAS(ty, id) {ty, LK_##id},
#include "layers.def"
#undef LAYER
#undef ALIAS
};

int lk_from_type(const char *type) {
  for (int k = 0; k < LK_NKINDS; k++)
    if (strcmp(lk_info[k].caffe_type, type) == 0) return k;
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(aliases[i].type, type) == 0) return (int)aliases[i].kind;
  return -1;
}

int lk_from_v1(int v1) {
  for (int k = 0; k < LK_NKINDS; k++)
    if (lk_info[k].v1_type == v1 && v1 >= 0) return k;
  return -1;
}

bool lk_is(LayerKind k, unsigned flags) {
  return (lk_info[k].flags & flags) == flags;
}

const LayerOps *lk_ops(const Layer *l) { return lk_info[l->kind].ops; }

int ir_layer_ids(const Net *n) {
  int nid = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (n->layers[i]->id >= nid) nid = n->layers[i]->id + 1;
  return nid;
}

bool ir_blob_is_index(const Blob *b) {
  const Layer *l = b->producer;
  if (!l || !lk_ops(l)->index_tops) return false;
  unsigned idx = lk_ops(l)->index_tops(l);
  for (int t = 0; t < l->ntop && t < 32; t++)
    if (l->top[t] == b) return idx >> t & 1u;
  return false;
}

bool lk_has_hw(int k) { return k >= 0 && k < LK_NKINDS && lk_info[k].ops->hw_limits; }

void ir_declare_weights(Layer *l, Net *n, int count, const char *const *roles) {
  l->nweight = count;
  l->weight = ar_array(n->ar, (size_t)(count ? count : 1), sizeof(Weight));
  for (int i = 0; i < count; i++) l->weight[i].role = roles[i];
}

SrcLoc ir_loc(const Net *n, const void *msg, const char *field, const Layer *l) {
  SrcLoc fallback = l ? l->loc : (SrcLoc){n->file, 0, 0};
  if (!msg || !n->locs) return fallback;
  const ProtobufCMessage *m = msg;
  SrcLoc loc;
  if (field) {
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    if (!fd) return fallback;
    loc = tf_loc_field(n->locs, m, fd->id);
  } else {
    loc = tf_loc_msg(n->locs, m);
  }
  return loc.line > 0 ? loc : fallback;
}

static void verr(Net *n, SrcLoc loc, const Layer *l, const char *fmt,
                 va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  if (l)
    diag_error(n->dg, loc, "layer '%s' (%s): %s", l->name, l->type, buf);
  else
    diag_error(n->dg, loc, "%s", buf);
}

void ir_error(Net *n, const Layer *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(n, l ? l->loc : (SrcLoc){n->file, 0, 0}, l, fmt, ap);
  va_end(ap);
}

void ir_error_at(Net *n, SrcLoc loc, const Layer *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(n, loc, l, fmt, ap);
  va_end(ap);
}

int ir_set_shape(Net *n, Layer *l, rt_shape *dst, int nd, const int64_t *dims) {
  if (nd < 0 || nd > RT_MAXDIM) {
    ir_error(n, l, "blob has %d axes; at most %d are supported", nd, RT_MAXDIM);
    return -1;
  }
  int64_t count = 1;
  for (int i = 0; i < nd; i++) {
    if (dims[i] < 0) {
      ir_error(n, l, "computed a negative size %lld for axis %d",
               (long long)dims[i], i);
      return -1;
    }
    if (dims[i] > INT32_MAX || (dims[i] && count > INT32_MAX / dims[i])) {
      ir_error(n, l, "blob size overflows: axis %d is %lld, more than %d elements in all",
               i, (long long)dims[i], INT32_MAX);
      return -1;
    }
    count *= dims[i];
  }
  dst->nd = nd;
  for (int i = 0; i < RT_MAXDIM; i++) dst->d[i] = i < nd ? (int)dims[i] : 0;
  return 0;
}
