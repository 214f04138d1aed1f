/* rt_fx_resample.c - fixed-point kernels of the pure data-movement kinds
 * of rt_resample.c (nearest Upsample, ShuffleChannel, CropCenter, Reorg):
 * codes move unchanged, along the same gather as the float kernels. */
#include "rt_fixed.h"
#include "rt_layers.h"

void rt_fx_upsample(const void *p, const rt_fx_args *a) {
  rt_gather g;
  if (rt_upsample_gather(p, &a->b[0].s, &g)) return; /* unpooling: no integer kernel */
  rt_gather_i16(&g, a->b[0].d, a->t[0].d);
}

void rt_fx_shuffle(const void *p, const rt_fx_args *a) {
  rt_gather g;
  rt_shuffle_gather(p, &a->b[0].s, &g);
  rt_gather_i16(&g, a->b[0].d, a->t[0].d);
}

void rt_fx_cropcenter(const void *p, const rt_fx_args *a) {
  rt_gather g;
  rt_cropcenter_gather(p, &a->b[0].s, &g);
  rt_gather_i16(&g, a->b[0].d, a->t[0].d);
}

void rt_fx_reorg(const void *p, const rt_fx_args *a) {
  rt_gather g;
  rt_reorg_gather(p, &a->b[0].s, &g);
  rt_gather_i16(&g, a->b[0].d, a->t[0].d);
}
