/* fuzz_caffemodel.c - the binary caffemodel reader (cm_load_mem).  Besides
 * "no crash": a NULL result comes with at least one error, and every blob
 * of a loaded model has count == product of its dims and data for them. */
#include <stdlib.h>

#include "arena.h"
#include "caffemodel.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Arena ar = {0};
  Diag dg = fz_diag();
  CmModel *m = cm_load_mem(data, size, "in.caffemodel", &ar, &dg);
  if (!m && dg.nerrors == 0) abort();
  if (m) {
    volatile float sink = 0;
    for (int i = 0; i < m->nlayer; i++) {
      const CmLayer *l = &m->layer[i];
      if (!l->name || !l->type) abort();
      for (int b = 0; b < l->nblob; b++) {
        const CmBlob *bl = &l->blob[b];
        if (bl->nd < 0 || bl->nd > CM_MAX_DIMS) abort();
        int64_t c = 1;
        for (int k = 0; k < bl->nd; k++) c *= bl->dim[k];
        if (c != bl->count) abort();
        if (bl->count > 0) sink += bl->data[0] + bl->data[bl->count - 1];
      }
    }
    (void)sink;
    (void)cm_find(m, "conv1");
  }
  cm_free(m);
  ar_free(&ar);
  return 0;
}
