/* cropcenter.c - CropCenter (waifu2x-caffe, crop_center_param {
 * crop_size: one per axis }): axis k loses crop_size[k] elements at each
 * end.  Pure data movement: codes pass unchanged in fixed point
 * (rt_fx_cropcenter); it runs on the CPU (no hardware kernel). */
#include "../emit_fx.h"
#include "../qsim.h"
#include "caffe.pb-c.h"
#include "resample.h"

int lk_cropcenter_setup(Layer *l, Net *n) {
  const Caffe__CropCenterParameter *cp = l->lp->crop_center_param;
  rt_cropcenter_param *p = &l->p.cropcenter;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  size_t nc = cp ? cp->n_crop_size : 0;
  if (nc < 1 || nc > RT_MAXDIM) {
    ir_error_at(n, ir_loc(n, cp, "crop_size", l), l,
                "crop_size needs one value per bottom axis (got %zu)", nc);
    return -1;
  }
  p->ncrop = (int)nc;
  for (size_t i = 0; i < nc; i++) {
    if (cp->crop_size[i] > (1u << 30)) {
      ir_error_at(n, ir_loc(n, cp, "crop_size", l), l, "crop_size %u is out of range",
                  cp->crop_size[i]);
      return -1;
    }
    p->crop[i] = (int)cp->crop_size[i];
  }
  return 0;
}

/* As the fork: one crop per axis, and 2 crop + 1 <= the axis. */
int lk_cropcenter_shape(Layer *l, Net *n) {
  const rt_cropcenter_param *p = &l->p.cropcenter;
  const Caffe__CropCenterParameter *cp = l->lp->crop_center_param;
  const rt_shape *b = &l->bottom[0]->shape;
  if (p->ncrop != b->nd) {
    ir_error_at(n, ir_loc(n, cp, "crop_size", l), l,
                "crop_size has %d values for a bottom of %d axes", p->ncrop, b->nd);
    return -1;
  }
  int64_t d[RT_MAXDIM];
  for (int k = 0; k < b->nd; k++) {
    if (2 * (int64_t)p->crop[k] + 1 > b->d[k]) {
      ir_error_at(n, ir_loc(n, cp, "crop_size", l), l,
                  "crop_size %d leaves nothing of axis %d (size %d)", p->crop[k], k, b->d[k]);
      return -1;
    }
    d[k] = b->d[k] - 2 * (int64_t)p->crop[k];
  }
  return ir_set_shape(n, l, &l->top[0]->shape, b->nd, d);
}

static int cropcenter_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  return qs_prep_pass(l, k, rt_fx_cropcenter);
}

static void cropcenter_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_cropcenter_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_cropcenter", "rt_cropcenter_param");
  ef_call_field(c, "ncrop", "%d", p->ncrop);
  ef_call_field(c, "crop", "%s", ef_call_list(c, RT_MAXDIM, eu_g32, p->crop));
}

static const char *cropcenter_hls_fn(EhFn *f, const Layer *l, const void *param) {
  rt_gather g;
  rt_cropcenter_gather(param, &l->bottom[0]->shape, &g);
  return rs_gather_hls(f, l, &g);
}

const LayerOps lk_cropcenter_ops = {
    .setup = lk_cropcenter_setup,
    .shape = lk_cropcenter_shape,
    .fx_prepare = cropcenter_fx,
    .fx_call = cropcenter_fx_call,
    .hls_fn = cropcenter_hls_fn,
};
