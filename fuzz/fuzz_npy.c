/* fuzz_npy.c - the .npy reader (rt_npy_read).  Besides "no crash": on
 * success the shape is in range and data holds product(shape) floats; on
 * failure data is NULL and the message is non-empty. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "rt_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_file(0, data, size);
  float *d = (float *)1;
  int nd = -1;
  int64_t shape[RT_NPY_MAXDIM];
  char err[256] = "";
  if (rt_npy_read(path, &d, &nd, shape, err, sizeof err) == 0) {
    if (nd < 0 || nd > RT_NPY_MAXDIM) abort();
    int64_t c = 1;
    for (int i = 0; i < nd; i++) {
      if (shape[i] < 0) abort();
      c *= shape[i];
    }
    volatile float sink = 0;
    if (c > 0) sink += d[0] + d[c - 1];
    (void)sink;
    free(d);
  } else {
    if (d != NULL || err[0] == 0) abort();
  }
  return 0;
}
