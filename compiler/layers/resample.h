/* resample.h - what the data-movement kinds of issue 13 (upsample.c,
 * shuffle.c, cropcenter.c, reorg.c) share: their fixed-point C call and
 * HLS function are the one strided gather of runtime/rt_layers.h. */
#ifndef CHAI_LAYERS_RESAMPLE_H
#define CHAI_LAYERS_RESAMPLE_H

#include "../emit_hls.h"
#include "../hls.h"
#include "../ir.h"

/* hls/gather for layer l moving codes along g (one lane, pipelined). */
const char *rs_gather_hls(EhFn *f, const Layer *l, const rt_gather *g);
/* One lane per cycle: the knobs and estimate of a hardware gather. */
void rs_gather_knobs(const Layer *l, HlKnobs *k);
void rs_gather_estimate(const Layer *l, const HlKnobs *k, HlEst *e);

#endif
