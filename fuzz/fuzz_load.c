/* fuzz_load.c - the whole load path: ld_load (text reader, V1 conversion,
 * phase rules, IR building, every kind's setup and shape inference, weight
 * binding, CHai precision_param) and, when that succeeds, ld_set_batch.
 *
 * Input: a prototxt, optionally followed by the line FZ_SPLIT and a binary
 * caffemodel for it.  Besides "no crash": ld_load returns NULL exactly when
 * it reported an error. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fuzz_util.h"
#include "loader.h"

#define FZ_SPLIT "\n#@@caffemodel@@\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t ptlen = size;
  const uint8_t *w = NULL;
  size_t wlen = 0;
  const size_t sl = sizeof FZ_SPLIT - 1;
  for (size_t i = 0; i + sl <= size; i++)
    if (data[i] == '\n' && memcmp(data + i, FZ_SPLIT, sl) == 0) {
      ptlen = i;
      w = data + i + sl;
      wlen = size - i - sl;
      break;
    }
  const char *pt = fz_file(0, data, ptlen);
  const char *wp = w ? fz_file(1, w, wlen) : NULL;
  Arena ar = {0};
  Diag dg = fz_diag();
  Net *n = ld_load(pt, wp, &ar, &dg);
  if ((n == NULL) != (dg.nerrors > 0)) abort();
  if (n) {
    (void)ld_set_batch(n, 2);
    (void)ld_set_batch(n, 1);
  }
  ld_cleanup();
  ar_free(&ar);
  return 0;
}
