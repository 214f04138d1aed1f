/* reorg.c - Reorg (YOLOv2 Caffe ports, reorg_param { stride reverse }):
 * darknet's reorg_cpu element order (runtime rt_reorg_gather).  Forward:
 * C x H x W -> C s^2 x H/s x W/s; reverse: C x H x W -> C/s^2 x H s x W s.
 * Pure data movement: codes pass unchanged in fixed point (rt_fx_reorg);
 * it runs on the CPU (no hardware kernel). */
#include "../emit_fx.h"
#include "../qsim.h"
#include "caffe.pb-c.h"
#include "resample.h"

int lk_reorg_setup(Layer *l, Net *n) {
  const Caffe__ReorgParameter *rp = l->lp->reorg_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  if (!rp || !rp->has_stride || rp->stride < 1 || rp->stride > 4096) {
    ir_error_at(n, ir_loc(n, rp, "stride", l), l, "reorg_param needs a stride in 1..4096");
    return -1;
  }
  l->p.reorg.stride = (int)rp->stride;
  l->p.reorg.reverse = rp->reverse;
  return 0;
}

/* The ports' checks (both directions): C divisible by stride^2, H and W
 * by stride. */
int lk_reorg_shape(Layer *l, Net *n) {
  const rt_reorg_param *p = &l->p.reorg;
  const rt_shape *b = &l->bottom[0]->shape;
  int64_t s = p->stride;
  if (b->nd != 4) {
    ir_error(n, l, "expects a 4-D NCHW bottom, got %d axes", b->nd);
    return -1;
  }
  bool ok = b->d[1] % (s * s) == 0 && b->d[2] % s == 0 && b->d[3] % s == 0;
  if (!ok) {
    char x[96];
    ir_error_at(n, ir_loc(n, l->lp->reorg_param, "stride", l), l,
                "stride %d does not divide bottom %s (channels by stride^2, height and width by stride)", p->stride,
                rt_shape_str(b, x, sizeof x));
    return -1;
  }
  int64_t d[4] = {b->d[0], b->d[1] * s * s, b->d[2] / s, b->d[3] / s};
  if (p->reverse) d[1] = b->d[1] / (s * s), d[2] = b->d[2] * s, d[3] = b->d[3] * s;
  return ir_set_shape(n, l, &l->top[0]->shape, 4, d);
}

static int reorg_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_reorg);
}

static void reorg_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_reorg_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_reorg", "rt_reorg_param");
  ef_call_field(c, "stride", "%d", p->stride);
  ef_call_field(c, "reverse", "%s", p->reverse ? "true" : "false");
}

static const char *reorg_hls_fn(EhFn *f, const Layer *l, const void *param) {
  rt_gather g;
  rt_reorg_gather(param, &l->bottom[0]->shape, &g);
  return rs_gather_hls(f, l, &g);
}

const LayerOps lk_reorg_ops = {
    .setup = lk_reorg_setup,
    .shape = lk_reorg_shape,
    .fx_prepare = reorg_fx,
    .fx_call = reorg_fx_call,
    .hls_fn = reorg_hls_fn,
};
