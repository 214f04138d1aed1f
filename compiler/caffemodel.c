/* caffemodel.c - streaming reader for binary .caffemodel files (see
 * caffemodel.h).
 *
 * The reader walks the protobuf wire format by hand (cm_wire.c).  Every
 * read is bounds checked against the end of the enclosing message using
 * offsets (never pointers past the buffer), so any byte sequence either
 * loads or yields a diagnostic.  Messages that hold blobs are walked
 * twice: a header pass that only touches tags and lengths (to learn names,
 * shapes and counts before anything is allocated), then a copy pass.  The copy pass moves forward
 * monotonically, which lets cm_load drop the pages behind it with
 * madvise(MADV_DONTNEED).
 */
#define _DEFAULT_SOURCE /* madvise, MADV_* */
#include "caffemodel.h"
#include "cm_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include("caffe.pb-c.h")
#include "caffe.pb-c.h"
#define CM_HAVE_PBC 1
#endif
#endif

/* Float and double data are memcpy'ed straight from the file, which stores
 * them little-endian IEEE-754. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "caffemodel.c assumes a little-endian host");
#endif
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8,
               "caffemodel.c assumes 32-bit float and 64-bit double");

/* Bytes of blob data copied between releases of the consumed mapping
 * (a multiple of 8 so float and double runs split on value boundaries). */
#define CM_CHUNK ((size_t)4 << 20)

/* ------------------------------------------------------------------------
 * Blobs
 * ---------------------------------------------------------------------- */

/* Append the dims of a BlobShape message at [off, off+len) to b (field 1,
 * packed or not).  Fails on more than CM_MAX_DIMS dims or negative dims. */
static bool decode_shape(Cx *cx, CmBlob *b, size_t off, size_t len) {
  size_t pos = off, end = off + len;
  while (pos < end) {
    Field f;
    if (!cm_next_field(cx, &pos, end, &f)) return false;
    if (f.num != 1) continue;
    if (!cm_want_wt(cx, &f, WT_LEN, WT_VARINT, "shape dim")) return false;
    size_t p = f.off, pe = f.off + f.len;
    bool single = f.wt == WT_VARINT;
    while (single || p < pe) {
      uint64_t v = f.v;
      size_t at = single ? f.tag : p;
      if (!single && !cm_varint(cx, &p, pe, &v, "shape dim")) return false;
      if (b->nd == CM_MAX_DIMS) {
        cm_error(cx, "shape has more than %d dims at byte %zu", CM_MAX_DIMS,
                 at);
        return false;
      }
      if (v > (uint64_t)INT64_MAX) {
        cm_error(cx, "negative shape dim at byte %zu", at);
        return false;
      }
      b->dim[b->nd++] = (int64_t)v;
      if (single) break;
    }
  }
  return true;
}

/* Format the dims of b as "64x3x3x3" ("()" for a scalar). */
static void shape_str(const CmBlob *b, char *s, size_t n) {
  size_t k = 0;
  s[0] = 0;
  if (b->nd == 0) snprintf(s, n, "()");
  for (int i = 0; i < b->nd && k < n; i++) {
    int w = snprintf(s + k, n - k, "%s%" PRId64, i ? "x" : "", b->dim[i]);
    if (w < 0) break;
    k += (size_t)w;
  }
}

/* Storage types of NVIDIA Caffe's BlobProto.raw_data (its enum caffe.Type;
 * proto2 makes an absent raw_data_type DOUBLE, the enum's first value). */
enum { RAW_DOUBLE = 0, RAW_FLOAT = 1, RAW_FLOAT16 = 2 };

static const char *raw_type_name(uint64_t t) {
  static const char *names[] = {"DOUBLE", "FLOAT", "FLOAT16", "INT", "UINT",
                                "BOOL"};
  return t < sizeof names / sizeof *names ? names[t] : "unknown";
}

/* IEEE-754 binary16 bits to float, exactly (every half value, subnormals
 * included, is a float).  Returns false for inf and NaN. */
static bool half_to_float(uint16_t h, float *out) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f,
           m = h & 0x3ff;
  if (e == 0x1f) return false;
  if (e == 0) { /* zero or subnormal: m * 2^-24, exact in float */
    float v = (float)m * 0x1p-24f;
    *out = sign ? -v : v;
    return true;
  }
  uint32_t bits = sign | ((e - 15 + 127) << 23) | (m << 13);
  memcpy(out, &bits, 4);
  return true;
}

/* Convert `nval` raw_data values of type `rt` starting at byte `src` into
 * dst, releasing consumed pages.  An fp16 inf/NaN is an error naming the
 * value's index and byte offset. */
static bool copy_raw(Cx *cx, float *dst, size_t src, size_t nval,
                     uint64_t rt) {
  size_t es = rt == RAW_FLOAT16 ? 2 : rt == RAW_FLOAT ? 4 : 8;
  const uint8_t *p = cx->buf + src;
  for (size_t i = 0; i < nval; i++, p += es) {
    if (rt == RAW_FLOAT16) {
      uint16_t h = (uint16_t)(p[0] | p[1] << 8);
      if (!half_to_float(h, &dst[i])) {
        cm_error(cx, "raw_data value %zu is %s (FLOAT16 0x%04x at byte %zu); "
                 "weights must be finite", i, (h & 0x3ff) ? "NaN" : "inf",
                 (unsigned)h, src + i * es);
        return false;
      }
    } else if (rt == RAW_FLOAT) {
      memcpy(&dst[i], p, 4);
    } else {
      double d;
      memcpy(&d, p, 8);
      dst[i] = (float)d; /* rounds as a C cast does */
    }
    if ((i + 1) % (CM_CHUNK / 8) == 0) cm_release_upto(cx, src + (i + 1) * es);
  }
  cm_release_upto(cx, src + nval * es);
  return true;
}

/* Decode the BlobProto at [off, off+len) into b: shape, then the data
 * copied into a fresh malloc'ed array from, in order of preference (as
 * NVIDIA Caffe and BVLC Caffe read them): raw_data (field 12, typed by
 * raw_data_type, field 10: FLOAT16, FLOAT or DOUBLE), double_data (8), data
 * (5).  The declared element count must equal the number of values stored. */
static bool decode_blob(Cx *cx, CmBlob *b, size_t off, size_t len) {
  size_t pos = off, end = off + len;
  bool has_shape = false, has_legacy = false, has_raw = false;
  int64_t legacy[4] = {0, 0, 0, 0};
  uint64_t nfloat = 0, ndouble = 0, raw_type = RAW_DOUBLE;
  Field raw = {0};
  size_t raw_type_at = 0;
  memset(b, 0, sizeof *b);

  /* Pass 1: shape and value counts. */
  while (pos < end) {
    Field f;
    if (!cm_next_field(cx, &pos, end, &f)) return false;
    switch (f.num) {
    case 7:
      if (!cm_want_wt(cx, &f, WT_LEN, -1, "shape")) return false;
      has_shape = true;
      if (!decode_shape(cx, b, f.off, f.len)) return false;
      break;
    case 1: case 2: case 3: case 4:
      if (!cm_want_wt(cx, &f, WT_VARINT, -1, "legacy dim")) return false;
      has_legacy = true;
      /* int32 field: the low 32 bits, sign-extended. */
      legacy[f.num - 1] = (int32_t)(uint32_t)(f.v & 0xffffffffu);
      break;
    case 5:
      if (!cm_want_wt(cx, &f, WT_LEN, WT_I32, "data")) return false;
      if (f.wt == WT_I32) {
        nfloat++;
      } else if (f.len % 4) {
        cm_error(cx, "packed float data of %zu bytes (not a multiple of 4) "
                 "at byte %zu", f.len, f.tag);
        return false;
      } else {
        nfloat += f.len / 4;
      }
      break;
    case 8:
      if (!cm_want_wt(cx, &f, WT_LEN, WT_I64, "double_data")) return false;
      if (f.wt == WT_I64) {
        ndouble++;
      } else if (f.len % 8) {
        cm_error(cx, "packed double data of %zu bytes (not a multiple of 8) "
                 "at byte %zu", f.len, f.tag);
        return false;
      } else {
        ndouble += f.len / 8;
      }
      break;
    case 10:
      if (!cm_want_wt(cx, &f, WT_VARINT, -1, "raw_data_type")) return false;
      raw_type = f.v;
      raw_type_at = f.tag;
      break;
    case 12: /* optional bytes: the last occurrence wins */
      if (!cm_want_wt(cx, &f, WT_LEN, -1, "raw_data")) return false;
      raw = f;
      has_raw = true;
      break;
    default:
      break;
    }
  }

  if (!has_shape && has_legacy) {
    b->legacy = true;
    b->nd = 4;
    for (int i = 0; i < 4; i++) {
      if (legacy[i] < 0) {
        cm_error(cx, "negative legacy dimension %" PRId64, legacy[i]);
        return false;
      }
      b->dim[i] = legacy[i];
    }
  }
  char sh[200];
  int64_t decl = 1;
  for (int i = 0; i < b->nd; i++) {
    if (__builtin_mul_overflow(decl, b->dim[i], &decl)) {
      shape_str(b, sh, sizeof sh);
      cm_error(cx, "shape %s has more than 2^63 values", sh);
      return false;
    }
  }
  bool use_double = !has_raw && ndouble > 0;
  uint64_t have = use_double ? ndouble : nfloat;
  if (has_raw) {
    if (raw_type > RAW_FLOAT16) {
      cm_error(cx, "raw_data_type %s (%" PRIu64 ") at byte %zu is not a "
               "weight type (expected FLOAT16, FLOAT or DOUBLE)",
               raw_type_name(raw_type), raw_type, raw_type_at);
      return false;
    }
    size_t es = raw_type == RAW_FLOAT16 ? 2 : raw_type == RAW_FLOAT ? 4 : 8;
    if (raw.len % es) {
      cm_error(cx, "raw_data of %zu bytes at byte %zu is not a whole number "
               "of %s values (%zu bytes each)", raw.len, raw.tag,
               raw_type_name(raw_type), es);
      return false;
    }
    have = raw.len / es;
  }
  if ((uint64_t)decl != have) {
    shape_str(b, sh, sizeof sh);
    if (has_raw)
      cm_error(cx, "shape %s declares %" PRId64 " values but raw_data holds %"
               PRIu64 " %s values", sh, decl, have, raw_type_name(raw_type));
    else
      cm_error(cx, "shape %s declares %" PRId64 " values but the file holds %"
               PRIu64, sh, decl, have);
    return false;
  }
  b->count = decl;
  if (decl == 0) return true;

  /* have <= file size / 2, so the byte count cannot overflow. */
  b->data = malloc((size_t)have * sizeof(float));
  if (!b->data) {
    cm_error(cx, "out of memory for %" PRIu64 " values", have);
    return false;
  }
  if (has_raw) {
    if (!copy_raw(cx, b->data, raw.off, (size_t)have, raw_type)) return false;
    cm_release_upto(cx, end);
    return true;
  }

  /* Pass 2: copy.  Headers were validated by pass 1. */
  size_t k = 0;
  pos = off;
  while (pos < end) {
    Field f;
    if (!cm_next_field(cx, &pos, end, &f)) return false;
    if (!use_double && f.num == 5) {
      if (f.wt == WT_I32) {
        uint32_t u = (uint32_t)f.v;
        memcpy(&b->data[k++], &u, 4);
      } else {
        /* In chunks, dropping the source pages as we go, so a huge blob
         * never has both its copy and its mapped source resident. */
        for (size_t done = 0; done < f.len; done += CM_CHUNK) {
          size_t nb = f.len - done < CM_CHUNK ? f.len - done : CM_CHUNK;
          memcpy(&b->data[k], cx->buf + f.off + done, nb);
          k += nb / 4;
          cm_release_upto(cx, f.off + done + nb);
        }
      }
    } else if (use_double && f.num == 8) {
      if (f.wt == WT_I64) {
        double d;
        memcpy(&d, &f.v, 8);
        b->data[k++] = (float)d;
      } else {
        for (size_t i = 0; i < f.len; i += 8) {
          double d;
          memcpy(&d, cx->buf + f.off + i, 8);
          b->data[k++] = (float)d;
          if ((i + 8) % CM_CHUNK == 0) cm_release_upto(cx, f.off + i + 8);
        }
        cm_release_upto(cx, f.off + f.len);
      }
    }
  }
  cm_release_upto(cx, end);
  return true;
}

/* ------------------------------------------------------------------------
 * Layers
 * ---------------------------------------------------------------------- */

/* Field numbers of one layer message flavour. */
typedef struct LayerSpec {
  uint32_t name, type, blobs;
  bool type_enum; /* V1: varint enum; else string */
  uint32_t v0;    /* field wrapping a V0 layer, 0 if none */
} LayerSpec;

static const LayerSpec spec_new = {1, 2, 7, false, 0};
static const LayerSpec spec_v1 = {4, 5, 6, true, 1};
static const LayerSpec spec_v0 = {1, 2, 50, false, 0};

/* The name of V1 layer type `v`, or the number as text. */
static const char *v1_type_name(Arena *ar, uint64_t v) {
#ifdef CM_HAVE_PBC
  if (v <= INT_MAX) {
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
        &caffe__v1_layer_parameter__layer_type__descriptor, (int)v);
    if (ev) return ev->name;
  }
#endif
  return ar_printf(ar, "%" PRId64, (int64_t)v);
}

/* Decode the layer message at [off, off+len) with field numbers `sp` into
 * L (whose offset/index are set by the caller). */
static bool decode_layer(Cx *cx, CmLayer *L, const LayerSpec *sp, size_t off,
                         size_t len) {
  size_t pos = off, end = off + len;
  bool has_name = false, has_type = false, has_v0 = false;
  Field type = {0}, v0 = {0};
  uint64_t nblob = 0;

  /* Pass 1: name, type, blob count (headers only). */
  while (pos < end) {
    Field f;
    if (!cm_next_field(cx, &pos, end, &f)) return false;
    if (f.num == sp->name) {
      if (!cm_want_wt(cx, &f, WT_LEN, -1, "layer name")) return false;
      has_name = true;
      cx->lname = ar_strndup(cx->ar, (const char *)cx->buf + f.off, f.len);
    } else if (f.num == sp->type) {
      if (!cm_want_wt(cx, &f, sp->type_enum ? WT_VARINT : WT_LEN, -1,
                      "layer type"))
        return false;
      type = f;
      has_type = true;
    } else if (f.num == sp->blobs) {
      if (!cm_want_wt(cx, &f, WT_LEN, -1, "blob")) return false;
      nblob++;
    } else if (sp->v0 && f.num == sp->v0) {
      if (!cm_want_wt(cx, &f, WT_LEN, -1, "V0 layer")) return false;
      v0 = f;
      has_v0 = true;
    }
  }
  if (nblob > INT_MAX) {
    cm_error(cx, "too many blobs");
    return false;
  }
  /* A V1 layer that only wraps a V0 layer: read the V0 layer instead. */
  if (has_v0 && !has_name && nblob == 0)
    return decode_layer(cx, L, &spec_v0, v0.off, v0.len);

  L->name = has_name ? cx->lname : "";
  if (!has_name) cx->lname = NULL;
  L->v1_type = -1;
  L->type = "";
  if (has_type && sp->type_enum) {
    L->v1_type = type.v <= INT_MAX ? (int)type.v : INT_MAX;
    L->type = v1_type_name(cx->ar, type.v);
  } else if (has_type) {
    L->type = ar_strndup(cx->ar, (const char *)cx->buf + type.off, type.len);
  }
  L->nblob = (int)nblob;
  L->blob = nblob ? ar_array(cx->ar, (size_t)nblob, sizeof(CmBlob)) : NULL;

  /* Pass 2: blobs, in order. */
  int bi = 0;
  pos = off;
  while (pos < end) {
    Field f;
    if (!cm_next_field(cx, &pos, end, &f)) return false;
    if (f.num != sp->blobs) continue;
    cx->bindex = bi;
    if (!decode_blob(cx, &L->blob[bi], f.off, f.len)) return false;
    cx->bindex = -1;
    bi++;
  }
  return true;
}

/* ------------------------------------------------------------------------
 * NetParameter
 * ---------------------------------------------------------------------- */

/* Whether top-level field f (of a file with no layers) is one of
 * NetParameter's own fields with its wire type: name 1, input 3,
 * input_dim 4, force_backward 5, state 6, debug_info 7, input_shape 8, and
 * NVIDIA Caffe's default_*_type/math 11-14 (varint enums). */
static bool net_field_ok(const Field *f) {
  switch (f->num) {
  case 1: case 3: case 6: case 8: return f->wt == WT_LEN;
  case 4: return f->wt == WT_LEN || f->wt == WT_VARINT;
  case 5: case 7: case 11: case 12: case 13: case 14:
    return f->wt == WT_VARINT;
  default: return false;
  }
}

/* Whether buf[0, n) starts like protobuf text format: blank or `#`
 * comment lines, then an identifier of two or more characters followed by
 * `:` or `{`.  No binary NetParameter starts so: its first tag byte may be
 * a letter, but the byte after it is a varint value or a length. */
static bool looks_like_text(const uint8_t *b, size_t n) {
  size_t i = 0;
  for (;;) {
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' ||
                     b[i] == '\n'))
      i++;
    if (i < n && b[i] == '#') {
      while (i < n && b[i] != '\n') i++;
      continue;
    }
    break;
  }
  size_t k = i;
  while (k < n && (b[k] == '_' || (b[k] >= 'a' && b[k] <= 'z') ||
                   (b[k] >= 'A' && b[k] <= 'Z') || (k > i && b[k] >= '0' &&
                                                     b[k] <= '9')))
    k++;
  if (k - i < 2) return false;
  while (k < n && (b[k] == ' ' || b[k] == '\t')) k++;
  return k < n && (b[k] == ':' || b[k] == '{');
}

/* Decode a whole NetParameter held in buf[0, n).  A file with no layers
 * (empty, or only the net's name: what Caffe writes for a net without
 * learned blobs) is a model with no layers, as long as every field in it
 * is a NetParameter field; anything else is reported as not a caffemodel. */
static CmModel *decode_net(Cx *cx) {
  size_t pos = 0;
  uint64_t nlayer = 0;
  Field stray = {0};
  bool has_stray = false;
  if (looks_like_text(cx->buf, cx->n)) {
    cm_error(cx, "this is a text file (a prototxt?), not a binary Caffe "
             "model (a serialized NetParameter)");
    return NULL;
  }
  /* Pass 1: count layers. */
  while (pos < cx->n) {
    Field f;
    if (!cm_next_field(cx, &pos, cx->n, &f)) return NULL;
    if (f.num == 100 || f.num == 2) {
      if (!cm_want_wt(cx, &f, WT_LEN, -1, f.num == 100 ? "layer" : "layers"))
        return NULL;
      nlayer++;
    } else if (!has_stray && !net_field_ok(&f)) {
      stray = f;
      has_stray = true;
    }
  }
  if (nlayer == 0 && has_stray) {
    cm_error(cx, "no layers found, and field %" PRIu32 " (wire type %d) at "
             "byte %zu is not a NetParameter field (not a binary Caffe "
             "model?)", stray.num, stray.wt, stray.tag);
    return NULL;
  }
  if (nlayer > INT_MAX) {
    cm_error(cx, "too many layers");
    return NULL;
  }
  CmModel *m = ar_alloc(cx->ar, sizeof *m);
  m->path = cx->path ? ar_strdup(cx->ar, cx->path) : NULL;
  m->nbytes = (int64_t)cx->n;
  m->layer = nlayer ? ar_array(cx->ar, (size_t)nlayer, sizeof(CmLayer)) : NULL;

  /* Pass 2: decode layers in file order. */
  pos = 0;
  while (pos < cx->n) {
    Field f;
    if (!cm_next_field(cx, &pos, cx->n, &f)) break;
    if (f.num != 100 && f.num != 2) continue;
    CmLayer *L = &m->layer[m->nlayer];
    L->offset = f.tag;
    cx->lindex = m->nlayer;
    cx->lname = NULL;
    cx->bindex = -1;
    m->nlayer++; /* counted now so cm_free sees partial blobs */
    if (!decode_layer(cx, L, f.num == 100 ? &spec_new : &spec_v1, f.off,
                      f.len)) {
      cm_free(m);
      return NULL;
    }
  }
  cx->lindex = -1;
  cx->lname = NULL;
  return m;
}

CmModel *cm_load_mem(const void *buf, size_t n, const char *path, Arena *ar,
                     Diag *dg) {
  Cx cx = {.buf = buf, .n = n, .path = path, .dg = dg, .ar = ar,
           .release = false, .page = 4096, .lindex = -1, .bindex = -1};
  return decode_net(&cx);
}

CmModel *cm_load(const char *path, Arena *ar, Diag *dg) {
  SrcLoc loc = {path, 0, 0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    diag_error(dg, loc, "cannot open: %s", strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    diag_error(dg, loc, "cannot stat: %s", strerror(errno));
    close(fd);
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    diag_error(dg, loc, "not a regular file");
    close(fd);
    return NULL;
  }
  if (st.st_size == 0) { /* an empty NetParameter: a net with no weights */
    close(fd);
    return cm_load_mem("", 0, path, ar, dg);
  }
  if ((uint64_t)st.st_size > SIZE_MAX) {
    close(fd);
    diag_error(dg, loc, "file too large to map");
    return NULL;
  }
  size_t n = (size_t)st.st_size;
  void *map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
  int merr = errno;
  close(fd);
  if (map == MAP_FAILED) {
    diag_error(dg, loc, "cannot map: %s", strerror(merr));
    return NULL;
  }
  (void)madvise(map, n, MADV_SEQUENTIAL);
  long pg = sysconf(_SC_PAGESIZE);
  Cx cx = {.buf = map, .n = n, .path = path, .dg = dg, .ar = ar,
           .release = true, .page = pg > 0 ? (size_t)pg : 4096,
           .lindex = -1, .bindex = -1};
  CmModel *m = decode_net(&cx);
  munmap(map, n);
  return m;
}

const CmLayer *cm_find(const CmModel *m, const char *name) {
  if (!m || !name) return NULL;
  for (int i = 0; i < m->nlayer; i++)
    if (strcmp(m->layer[i].name, name) == 0) return &m->layer[i];
  return NULL;
}

void cm_free(CmModel *m) {
  if (!m) return;
  for (int i = 0; i < m->nlayer; i++) {
    CmLayer *L = &m->layer[i];
    for (int j = 0; j < L->nblob && L->blob; j++) {
      free(L->blob[j].data);
      L->blob[j].data = NULL;
    }
  }
}
