/* shuffle.c - ShuffleChannel (ShuffleNet v1/v2 Caffe ports,
 * shuffle_channel_param { group }): the channels, read as a group x
 * (C / group) matrix, are transposed.  Pure data movement: codes pass
 * unchanged in fixed point (rt_fx_shuffle), with a hardware kernel
 * (hls/gather) placed in HW by default. */
#include "../emit_fx.h"
#include "../partition.h"
#include "../qsim.h"
#include "caffe.pb-c.h"
#include "resample.h"

int lk_shuffle_setup(Layer *l, Net *n) {
  const Caffe__ShuffleChannelParameter *sp = l->lp->shuffle_channel_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  uint32_t g = sp ? sp->group : 1;
  if (g < 1 || g > (1u << 20)) {
    ir_error_at(n, ir_loc(n, sp, "group", l), l, "group %u must be in 1..2^20", g);
    return -1;
  }
  l->p.shuffle.group = (int)g;
  return 0;
}

/* The top has the bottom's shape; C must divide into the groups. */
int lk_shuffle_shape(Layer *l, Net *n) {
  const rt_shape *b = &l->bottom[0]->shape;
  int c = b->nd > 1 ? b->d[1] : 1;
  if (b->nd < 2 || c % l->p.shuffle.group) {
    ir_error_at(n, ir_loc(n, l->lp->shuffle_channel_param, "group", l), l,
                "%d channels do not split into %d groups", c, l->p.shuffle.group);
    return -1;
  }
  l->top[0]->shape = *b;
  return 0;
}

static int shuffle_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_shuffle);
}

static bool shuffle_hw_limits(const Layer *l, char *why, size_t n) {
  return pt_fmaps_below(l, PT_MAX_FMAPS, why, n);
}

static void shuffle_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_shuffle_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_shuffle", "rt_shuffle_param");
  ef_call_field(c, "group", "%d", p->group);
}

static const char *shuffle_hls_fn(EhFn *f, const Layer *l, const void *param) {
  rt_gather g;
  rt_shuffle_gather(param, &l->bottom[0]->shape, &g);
  return rs_gather_hls(f, l, &g);
}

const LayerOps lk_shuffle_ops = {
    .setup = lk_shuffle_setup,
    .shape = lk_shuffle_shape,
    .fx_prepare = shuffle_fx,
    .hw_limits = shuffle_hw_limits,
    .hls_knobs = rs_gather_knobs,
    .hls_estimate = rs_gather_estimate,
    .fx_call = shuffle_fx_call,
    .hls_fn = shuffle_hls_fn,
};
