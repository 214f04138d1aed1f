/* rt_idx.c - IDX loader; see rt_idx.h. */
#include "rt_idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAX_BYTES ((uint64_t)1 << 30)

/* Reads exactly n bytes; 0 on success. */
static int idx_read(gzFile g, void *buf, size_t n) {
  unsigned char *p = buf;
  while (n) {
    unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
    int got = gzread(g, p, chunk);
    if (got <= 0) return -1;
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

int rt_idx_load(const char *path_gz, uint8_t **data, int *ndim,
                int32_t dims[RT_IDX_MAXDIM], char *err, size_t errlen) {
  *data = NULL;
  *ndim = 0;
  const char *why = NULL;
  uint8_t *buf = NULL;
  gzFile g = gzopen(path_gz, "rb");
  if (!g) {
    if (err && errlen)
      snprintf(err, errlen, "%s: %s", path_gz,
               errno ? strerror(errno) : "cannot open");
    return -1;
  }
  unsigned char hd[4 + 4 * RT_IDX_MAXDIM];
  int32_t d[RT_IDX_MAXDIM];
  uint64_t total = 1;
  int nd = 0;
  if (idx_read(g, hd, 4) || hd[0] || hd[1]) {
    why = "not an IDX file";
    goto out;
  }
  if (hd[2] != 0x08) {
    why = "unsupported IDX element type (only unsigned byte, 0x08)";
    goto out;
  }
  nd = hd[3];
  if (nd < 1 || nd > RT_IDX_MAXDIM) {
    why = "IDX rank must be 1..4";
    goto out;
  }
  if (idx_read(g, hd + 4, 4 * (size_t)nd)) {
    why = "truncated IDX header";
    goto out;
  }
  for (int i = 0; i < nd; i++) {
    const unsigned char *b = hd + 4 + 4 * i;
    uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                 (uint32_t)b[2] << 8 | b[3];
    if (v == 0 || v > INT32_MAX || (total *= v) > IDX_MAX_BYTES) {
      why = "bad or too large IDX dimensions";
      goto out;
    }
    d[i] = (int32_t)v;
  }
  buf = malloc((size_t)total);
  if (!buf) {
    why = "out of memory";
    goto out;
  }
  if (idx_read(g, buf, (size_t)total)) {
    why = "truncated IDX data (or corrupt gzip stream)";
    goto out;
  }
out:
  gzclose(g);
  if (why) {
    free(buf);
    if (err && errlen) snprintf(err, errlen, "%s: %s", path_gz, why);
    return -1;
  }
  *data = buf;
  *ndim = nd;
  for (int i = 0; i < nd; i++) dims[i] = d[i];
  return 0;
}
