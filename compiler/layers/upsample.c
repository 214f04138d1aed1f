/* upsample.c - Upsample in the two forms the forks give it:
 *   - darknet2caffe (YOLOv3): one bottom, upsample_param { scale },
 *     nearest neighbour, top = bottom x scale in H and W;
 *   - caffe-segnet (SegNet / ENet): bottom 1 is the argmax mask of a MAX
 *     Pooling (its second top); each value goes to the position its mask
 *     gives in a zeroed top of upsample_h x upsample_w, or of H scale_h -
 *     pad_out_h x W scale_w - pad_out_w (scale sets both, default 2).
 * Fixed point: nearest neighbour moves codes (rt_fx_upsample, the runtime
 * gather), with a hardware kernel (hls/gather) placed in HW by default.
 * In a fixed-point program unpooling runs in float (its mask holds
 * positions, which stay float). */
#include <stdint.h>

#include "../emit_fx.h"
#include "../partition.h"
#include "../qsim.h"
#include "../quant.h"
#include "caffe.pb-c.h"
#include "resample.h"

/* Reads upsample_param by form (see the top comment). */
int lk_upsample_setup(Layer *l, Net *n) {
  const Caffe__UpsampleParameter *up = l->lp->upsample_param;
  rt_upsample_param *p = &l->p.upsample;
  if (l->nbottom < 1 || l->nbottom > 2 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom (nearest) or 2 (values and pooling mask) and 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  bool has_hw = up && (up->has_scale_h || up->has_scale_w);
  if (l->nbottom == 1) {
    if (has_hw || (up && (up->has_upsample_h || up->has_upsample_w))) {
      ir_error_at(n, ir_loc(n, up, NULL, l), l,
                  "scale_h/scale_w and upsample_h/upsample_w belong to the unpooling form "
                  "(2 bottoms); nearest neighbour takes scale");
      return -1;
    }
    int s = up && up->has_scale ? up->scale : 1;
    if (s < 1 || s > 4096) {
      ir_error_at(n, ir_loc(n, up, "scale", l), l, "scale %d must be in 1..4096", s);
      return -1;
    }
    p->scale_h = p->scale_w = s;
    return 0;
  }
  if (up && up->has_upsample_h != up->has_upsample_w) {
    ir_error_at(n, ir_loc(n, up, NULL, l), l, "upsample_h and upsample_w go together");
    return -1;
  }
  if (up && up->has_upsample_h) {
    if (up->upsample_h < 2 || up->upsample_w < 2 || up->upsample_h > (1u << 20) ||
        up->upsample_w > (1u << 20)) {
      ir_error_at(n, ir_loc(n, up, "upsample_h", l), l,
                  "upsample_h x upsample_w %u x %u must be in 2..2^20", up->upsample_h,
                  up->upsample_w);
      return -1;
    }
    p->out_h = (int)up->upsample_h, p->out_w = (int)up->upsample_w;
    p->scale_h = p->scale_w = 0;
    return 0;
  }
  if (has_hw && (up->has_scale || up->has_scale_h != up->has_scale_w)) {
    ir_error_at(n, ir_loc(n, up, NULL, l), l,
                "give upsample_h and upsample_w, or scale, or scale_h and scale_w");
    return -1;
  }
  int sh = has_hw ? (int)up->scale_h : up && up->has_scale ? up->scale : 2;
  int sw = has_hw ? (int)up->scale_w : sh;
  if (sh < 2 || sw < 2 || sh > 4096 || sw > 4096) {
    ir_error_at(n, ir_loc(n, up, has_hw ? "scale_h" : "scale", l), l,
                "scale %d x %d must be in 2..4096 for unpooling", sh, sw);
    return -1;
  }
  if ((up && up->pad_out_h && sh != 2) || (up && up->pad_out_w && sw != 2)) {
    ir_error_at(n, ir_loc(n, up, "pad_out_h", l), l, "pad_out_h/pad_out_w need scale 2");
    return -1;
  }
  p->scale_h = sh, p->scale_w = sw;
  p->pad_out_h = up && up->pad_out_h, p->pad_out_w = up && up->pad_out_w;
  return 0;
}

int lk_upsample_shape(Layer *l, Net *n) {
  rt_upsample_param *p = &l->p.upsample;
  const rt_shape *b = &l->bottom[0]->shape;
  if (b->nd != 4) {
    ir_error(n, l, "expects a 4-D NCHW bottom, got %d axes", b->nd);
    return -1;
  }
  int64_t d[4] = {b->d[0], b->d[1], 0, 0};
  if (l->nbottom == 1) {
    d[2] = (int64_t)b->d[2] * p->scale_h, d[3] = (int64_t)b->d[3] * p->scale_w;
    return ir_set_shape(n, l, &l->top[0]->shape, 4, d);
  }
  const rt_shape *m = &l->bottom[1]->shape;
  bool same = m->nd == 4;
  for (int k = 0; same && k < 4; k++) same = m->d[k] == b->d[k];
  if (!same) {
    char x[96], y[96];
    ir_error(n, l, "the mask '%s' %s must have the shape of bottom '%s' %s", l->bottom[1]->name,
             rt_shape_str(m, y, sizeof y), l->bottom[0]->name, rt_shape_str(b, x, sizeof x));
    return -1;
  }
  if (p->scale_h > 0) { /* the scale rule (else upsample_h x upsample_w) */
    d[2] = (int64_t)b->d[2] * p->scale_h - p->pad_out_h;
    d[3] = (int64_t)b->d[3] * p->scale_w - p->pad_out_w;
  } else {
    d[2] = p->out_h, d[3] = p->out_w;
  }
  if (ir_set_shape(n, l, &l->top[0]->shape, 4, d)) return -1;
  p->out_h = (int)d[2], p->out_w = (int)d[3];
  return 0;
}

/* ---- the gather kinds' shared HLS parts (resample.h) ---- */

const char *rs_gather_hls(EhFn *f, const Layer *l, const rt_gather *g) {
  LhHost *h = eh_fn_begin(f, l, 1);
  lh_set_ints(h, "dims", g->dims, g->nd);
  lh_set_ints(h, "strides", g->st, g->nd);
  lh_set_int(h, "off", g->off);
  lh_set_int(h, "II", f->k->ii);
  lh_set_int(h, "LANES", 1);
  return eh_fn_render(f, "hls/gather");
}

void rs_gather_knobs(const Layer *l, HlKnobs *k) {
  (void)l;
  k->ip = k->op = 1;
}

void rs_gather_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  e->cycles = k->ii * rt_shape_count(&l->top[0]->shape);
  e->dsp = 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static int upsample_fx(Net *n, Layer *l, QsKernel *k) {
  (void)n;
  /* unpooling runs in float: its mask bottom holds positions (float, see
   * pool_index_tops), the values go through a dequantize and a quantize,
   * which returns the same codes when the formats agree */
  if (l->nbottom != 1) return 1;
  return qs_prep_pass(l, k, rt_fx_upsample);
}

static bool upsample_hw_limits(const Layer *l, char *why, size_t n) {
  if (l->nbottom != 1) return pt_fail(why, n, "unpooling with a mask (the hardware kernel is nearest neighbour)");
  return pt_fmaps_below(l, PT_MAX_FMAPS, why, n);
}

static void upsample_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_upsample_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_upsample", "rt_upsample_param");
  ef_call_field(c, "scale_h", "%d", p->scale_h), ef_call_field(c, "scale_w", "%d", p->scale_w);
  ef_call_field(c, "pad_out_h", "%d", p->pad_out_h);
  ef_call_field(c, "pad_out_w", "%d", p->pad_out_w);
  ef_call_field(c, "out_h", "%d", p->out_h), ef_call_field(c, "out_w", "%d", p->out_w);
}

static const char *upsample_hls_fn(EhFn *f, const Layer *l, const void *param) {
  rt_gather g;
  /* unpooling never gets here: upsample_fx reports it */
  if (rt_upsample_gather(param, &l->bottom[0]->shape, &g)) return NULL;
  return rs_gather_hls(f, l, &g);
}

const LayerOps lk_upsample_ops = {
    .setup = lk_upsample_setup,
    .shape = lk_upsample_shape,
    .fx_prepare = upsample_fx,
    .hw_limits = upsample_hw_limits,
    .hls_knobs = rs_gather_knobs,
    .hls_estimate = rs_gather_estimate,
    .fx_call = upsample_fx_call,
    .hls_fn = upsample_hls_fn,
};
