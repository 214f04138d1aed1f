/* rt_npy.c - .npy reader/writer; see rt_npy.h for the contract. */
#include "rt_npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPY_MAX_HEADER (1u << 20) /* refuse absurd headers */

/* Formats "<path>: <message>" into err (if any); always returns -1. */
static int npy_fail(char *err, size_t errlen, const char *path,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int npy_fail(char *err, size_t errlen, const char *path,
                    const char *fmt, ...) {
  if (err && errlen) {
    int n = snprintf(err, errlen, "%s: ", path ? path : "(null)");
    if (n < 0) n = 0;
    if ((size_t)n < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return -1;
}

/* Element kinds understood by the reader. */
typedef enum { K_F4, K_F8, K_I1, K_U1, K_I2, K_U2, K_I4, K_I8 } NpyKind;

typedef struct {
  const char *descr;
  NpyKind kind;
  size_t size;
} NpyType;

static const NpyType npy_types[] = {
    {"<f4", K_F4, 4}, {"<f8", K_F8, 8}, {"|i1", K_I1, 1}, {"|u1", K_U1, 1},
    {"<i2", K_I2, 2}, {"<u2", K_U2, 2}, {"<i4", K_I4, 4}, {"<i8", K_I8, 8},
};

/* Looks up a descr; one-byte types also accept '<', '>' and '=' as the
 * byte-order mark since it is meaningless for them. */
static const NpyType *npy_type(const char *d) {
  for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
    const NpyType *t = &npy_types[i];
    if (strcmp(d, t->descr) == 0) return t;
    if (t->size == 1 && strlen(d) == 3 && strchr("<>=|", d[0]) &&
        strcmp(d + 1, t->descr + 1) == 0)
      return t;
  }
  return NULL;
}

/* ---- header dict parser ---------------------------------------------- */

typedef struct {
  const char *p, *end;
} Cur;

static void cur_ws(Cur *c) {
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

/* Parses a '...' or "..." literal (no escapes) into out[outlen]. */
static int cur_str(Cur *c, char *out, size_t outlen) {
  cur_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= outlen) return -1;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end) return -1;
  c->p++;
  out[n] = 0;
  return 0;
}

static int cur_eat(Cur *c, char ch) {
  cur_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* Parses a Python tuple of non-negative ints: "()", "(3,)", "(1, 2, )". */
static int cur_shape(Cur *c, int *ndim, int64_t shape[RT_NPY_MAXDIM],
                     const char **why) {
  *why = "malformed 'shape'";
  if (!cur_eat(c, '(')) return -1;
  int n = 0;
  for (;;) {
    if (cur_eat(c, ')')) break;
    cur_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      if (v > (INT64_MAX - 9) / 10) {
        *why = "shape dimension too large";
        return -1;
      }
      v = v * 10 + (*c->p++ - '0');
    }
    if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++; /* py2 */
    if (n >= RT_NPY_MAXDIM) {
      *why = "more than 8 dimensions";
      return -1;
    }
    shape[n++] = v;
    if (cur_eat(c, ',')) continue;
    if (cur_eat(c, ')')) break;
    return -1;
  }
  *ndim = n;
  return 0;
}

/* Parses the header dict.  Keys may appear in any order, with any
 * whitespace and an optional trailing comma; all three are required and
 * unknown keys are rejected (as numpy does).  descr gets the dtype. */
static int npy_parse_header(const char *text, size_t len, char descr[32],
                            int *fortran, int *ndim,
                            int64_t shape[RT_NPY_MAXDIM], const char **why) {
  Cur c = {text, text + len};
  int have_d = 0, have_f = 0, have_s = 0;
  *why = "header is not a dict";
  if (!cur_eat(&c, '{')) return -1;
  for (;;) {
    if (cur_eat(&c, '}')) break;
    char key[32];
    *why = "malformed header dict";
    if (cur_str(&c, key, sizeof key) || !cur_eat(&c, ':')) return -1;
    if (strcmp(key, "descr") == 0 && !have_d) {
      *why = "malformed 'descr' (structured dtypes unsupported)";
      if (cur_str(&c, descr, 32)) return -1;
      have_d = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !have_f) {
      cur_ws(&c);
      size_t left = (size_t)(c.end - c.p);
      if (left >= 4 && memcmp(c.p, "True", 4) == 0) {
        *fortran = 1;
        c.p += 4;
      } else if (left >= 5 && memcmp(c.p, "False", 5) == 0) {
        *fortran = 0;
        c.p += 5;
      } else {
        *why = "malformed 'fortran_order'";
        return -1;
      }
      have_f = 1;
    } else if (strcmp(key, "shape") == 0 && !have_s) {
      if (cur_shape(&c, ndim, shape, why)) return -1;
      have_s = 1;
    } else {
      *why = "unexpected or repeated key in header";
      return -1;
    }
    if (cur_eat(&c, ',')) continue;
    *why = "malformed header dict";
    if (cur_eat(&c, '}')) break;
    return -1;
  }
  *why = "header lacks 'descr', 'fortran_order' or 'shape'";
  if (!have_d || !have_f || !have_s) return -1;
  cur_ws(&c);
  *why = "junk after header dict";
  if (c.p != c.end) return -1;
  return 0;
}

/* ---- reader ------------------------------------------------------------ */

static uint64_t le_get(const unsigned char *b, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | b[i];
  return v;
}

/* Converts one little-endian element of kind k at b to float. */
static float npy_elem(NpyKind k, const unsigned char *b) {
  switch (k) {
  case K_F4: {
    uint32_t u = (uint32_t)le_get(b, 4);
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
  case K_F8: {
    uint64_t u = le_get(b, 8);
    double d;
    memcpy(&d, &u, 8);
    return (float)d;
  }
  case K_I1: return (float)(int8_t)b[0];
  case K_U1: return (float)b[0];
  case K_I2: return (float)(int16_t)(uint16_t)le_get(b, 2);
  case K_U2: return (float)(uint16_t)le_get(b, 2);
  case K_I4: return (float)(int32_t)(uint32_t)le_get(b, 4);
  case K_I8: return (float)(int64_t)le_get(b, 8);
  }
  return 0.0f;
}

int rt_npy_read(const char *path, float **data, int *ndim,
                int64_t shape[RT_NPY_MAXDIM], char *err, size_t errlen) {
  *data = NULL;
  *ndim = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return npy_fail(err, errlen, path, "%s", strerror(errno));
  unsigned char pre[12];
  char *hdr = NULL;
  unsigned char *raw = NULL;
  int rc = -1;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    npy_fail(err, errlen, path, "not a .npy file (bad magic)");
    goto out;
  }
  int major = pre[6];
  size_t hlen, off;
  if (major == 1) {
    hlen = (size_t)le_get(pre + 8, 2);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (fread(pre + 10, 1, 2, f) != 2) {
      npy_fail(err, errlen, path, "truncated header");
      goto out;
    }
    hlen = (size_t)le_get(pre + 8, 4);
    off = 12;
  } else {
    npy_fail(err, errlen, path, "unsupported .npy version %d.%d", major,
             pre[7]);
    goto out;
  }
  if (hlen > NPY_MAX_HEADER) {
    npy_fail(err, errlen, path, "header too large (%zu bytes)", hlen);
    goto out;
  }
  hdr = malloc(hlen + 1);
  if (!hdr) {
    npy_fail(err, errlen, path, "out of memory");
    goto out;
  }
  if (fread(hdr, 1, hlen, f) != hlen) {
    npy_fail(err, errlen, path, "truncated header");
    goto out;
  }
  hdr[hlen] = 0;
  char descr[32] = "";
  int fortran = 0, nd = 0;
  int64_t shp[RT_NPY_MAXDIM];
  const char *why = "";
  if (npy_parse_header(hdr, hlen, descr, &fortran, &nd, shp, &why)) {
    npy_fail(err, errlen, path, "bad header: %s", why);
    goto out;
  }
  const NpyType *t = npy_type(descr);
  if (!t) {
    npy_fail(err, errlen, path, "unsupported dtype '%s'", descr);
    goto out;
  }
  if (fortran) {
    npy_fail(err, errlen, path, "fortran_order True is not supported");
    goto out;
  }
  uint64_t count = 1;
  for (int i = 0; i < nd; i++) {
    if (shp[i] != 0 && count > (uint64_t)(SIZE_MAX / 8) / (uint64_t)shp[i]) {
      npy_fail(err, errlen, path, "shape too large");
      goto out;
    }
    count *= (uint64_t)shp[i];
  }
  size_t nbytes = (size_t)count * t->size;
  if (fseek(f, 0, SEEK_END) != 0) {
    npy_fail(err, errlen, path, "cannot seek: %s", strerror(errno));
    goto out;
  }
  long fsize = ftell(f);
  if (fsize < 0 || fseek(f, (long)(off + hlen), SEEK_SET) != 0) {
    npy_fail(err, errlen, path, "cannot determine file size");
    goto out;
  }
  uint64_t have = (uint64_t)fsize - (uint64_t)(off + hlen);
  if (have != nbytes) {
    npy_fail(err, errlen, path,
             "%s: header says %zu data bytes, file has %llu",
             have < nbytes ? "truncated" : "trailing bytes", nbytes,
             (unsigned long long)have);
    goto out;
  }
  raw = malloc(nbytes ? nbytes : 1);
  float *out = malloc(count ? (size_t)count * sizeof(float) : 1);
  if (!raw || !out) {
    free(out);
    npy_fail(err, errlen, path, "out of memory (%zu bytes)", nbytes);
    goto out;
  }
  if (fread(raw, 1, nbytes, f) != nbytes) {
    free(out);
    npy_fail(err, errlen, path, "read error");
    goto out;
  }
  for (uint64_t i = 0; i < count; i++)
    out[i] = npy_elem(t->kind, raw + i * t->size);
  *data = out;
  *ndim = nd;
  for (int i = 0; i < nd; i++) shape[i] = shp[i];
  rc = 0;
out:
  free(raw);
  free(hdr);
  fclose(f);
  return rc;
}

/* ---- writer ------------------------------------------------------------ */

/* Encodes element i of host-typed data as little-endian bytes into b. */
static void npy_put(const NpyType *t, const void *data, size_t i,
                    unsigned char *b) {
  uint64_t u = 0;
  switch (t->kind) {
  case K_F4: {
    uint32_t x;
    memcpy(&x, (const float *)data + i, 4);
    u = x;
    break;
  }
  case K_I1: u = (uint8_t)((const int8_t *)data)[i]; break;
  case K_U1: u = ((const uint8_t *)data)[i]; break;
  case K_I2: u = (uint16_t)((const int16_t *)data)[i]; break;
  case K_I4: u = (uint32_t)((const int32_t *)data)[i]; break;
  default: break;
  }
  for (size_t k = 0; k < t->size; k++) b[k] = (unsigned char)(u >> (8 * k));
}

int rt_npy_write(const char *path, const char *descr, const void *data,
                 int ndim, const int64_t *shape, char *err, size_t errlen) {
  const NpyType *t = descr ? npy_type(descr) : NULL;
  if (!t || t->kind == K_F8 || t->kind == K_I8 || t->kind == K_U2)
    return npy_fail(err, errlen, path, "unsupported dtype '%s' for writing",
                    descr ? descr : "(null)");
  if (ndim < 0 || ndim > RT_NPY_MAXDIM)
    return npy_fail(err, errlen, path, "bad rank %d", ndim);
  /* Header text as numpy 1.x's repr() of the dict. */
  char dict[400];
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   t->descr);
  uint64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return npy_fail(err, errlen, path, "negative dimension");
    if (shape[i] && count > (uint64_t)(SIZE_MAX / 8) / (uint64_t)shape[i])
      return npy_fail(err, errlen, path, "shape too large");
    count *= (uint64_t)shape[i];
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld",
                  i ? ", " : "", (long long)shape[i]);
  }
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }",
                ndim == 1 ? "," : "");
  size_t total = 10 + (size_t)n + 1; /* magic+len, dict, '\n' */
  size_t pad = (64 - total % 64) % 64;
  size_t hlen = (size_t)n + pad + 1;
  unsigned char head[10 + 512];
  memcpy(head, "\x93NUMPY\x01\x00", 8);
  head[8] = (unsigned char)(hlen & 0xff);
  head[9] = (unsigned char)(hlen >> 8);
  memcpy(head + 10, dict, (size_t)n);
  memset(head + 10 + n, ' ', pad);
  head[10 + hlen - 1] = '\n';

  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
      sizeof tmp)
    return npy_fail(err, errlen, path, "path too long");
  FILE *f = fopen(tmp, "wb");
  if (!f) return npy_fail(err, errlen, tmp, "%s", strerror(errno));
  int ok = fwrite(head, 1, 10 + hlen, f) == 10 + hlen;
  unsigned char buf[4096];
  size_t fill = 0;
  for (uint64_t i = 0; ok && i < count; i++) {
    npy_put(t, data, (size_t)i, buf + fill);
    fill += t->size;
    if (fill + 8 > sizeof buf) {
      ok = fwrite(buf, 1, fill, f) == fill;
      fill = 0;
    }
  }
  if (ok && fill) ok = fwrite(buf, 1, fill, f) == fill;
  int e = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  if (!ok) {
    remove(tmp);
    return npy_fail(err, errlen, path, "write failed: %s", strerror(e));
  }
  if (rename(tmp, path) != 0) {
    e = errno;
    remove(tmp);
    return npy_fail(err, errlen, path, "rename failed: %s", strerror(e));
  }
  return 0;
}
