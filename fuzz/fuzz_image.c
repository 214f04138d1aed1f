/* fuzz_image.c - the image decoders (rt_image_load: JPEG, PNG, PGM/PPM by
 * magic) and, for every image that decodes, the preprocessing (resize, gray
 * and colour conversion) to a small 3x7x9 and 1x4x4 input. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "rt_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_file(0, data, size);
  rt_image img;
  char err[256] = "";
  if (rt_image_load(path, &img, err, sizeof err) != 0) {
    if (img.px || img.w || img.h || err[0] == 0) abort();
    return 0;
  }
  if (img.w <= 0 || img.h <= 0 || (img.c != 1 && img.c != 3) || !img.px) abort();
  volatile uint8_t sink = img.px[(size_t)img.w * (size_t)img.h * (size_t)img.c - 1];
  (void)sink;
  float out[3 * 7 * 9];
  rt_preproc p;
  rt_preproc_defaults(&p);
  p.h = 7;
  p.w = 9;
  if (rt_preproc_apply(&p, &img, out, err, sizeof err)) abort();
  p.c = 1;
  p.h = p.w = 4;
  p.nswap = 0;
  p.nmean = 1;
  p.resize_mode = RT_RESIZE_FLOAT;
  if (rt_preproc_apply(&p, &img, out, err, sizeof err)) abort();
  rt_image_free(&img);
  return 0;
}
