/* interp.c - Interp (PSPNet / DeepLab v2 fork, interp_param { height
 * width zoom_factor shrink_factor pad_beg pad_end }): bilinear resizing
 * with aligned corners, as the fork's caffe_cpu_interp2 (rt_interp_f32).
 *
 * Fixed point: none.  The weights of the blend are fractions of the
 * window/top size ratio computed in float, and an integer version would
 * round differently from the float layer it replaces; like Sigmoid, the
 * kind carries no precision_param, so the quantized program runs it in
 * float between its neighbours' formats (simulator, generated C and the
 * CPU part of --target all call the same rt_interp_f32). */
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_interp_setup(Layer *l, Net *n) {
  const Caffe__InterpParameter *ip = l->lp->interp_param;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  if (!ip) {
    ir_error(n, l, "missing interp_param (zoom_factor, shrink_factor, or height and width)");
    return -1;
  }
  if (ip->pad_beg > 0 || ip->pad_end > 0) {
    ir_error_at(n, ir_loc(n, ip, ip->pad_beg > 0 ? "pad_beg" : "pad_end", l), l,
                "only non-positive pad_beg/pad_end (cropping) are supported, as in the fork");
    return -1;
  }
  if ((ip->has_zoom_factor && ip->zoom_factor < 1) ||
      (ip->has_shrink_factor && ip->shrink_factor < 1)) {
    ir_error_at(n, ir_loc(n, ip, ip->has_zoom_factor && ip->zoom_factor < 1 ? "zoom_factor"
                                                                            : "shrink_factor", l),
                l, "zoom_factor and shrink_factor must be positive");
    return -1;
  }
  bool hw = ip->has_height && ip->has_width;
  if (!ip->has_zoom_factor && !ip->has_shrink_factor && !hw) {
    ir_error_at(n, ir_loc(n, ip, NULL, l), l,
                "interp_param needs zoom_factor, shrink_factor, or height and width");
    return -1;
  }
  l->p.interp.pad_beg = ip->pad_beg;
  l->p.interp.pad_end = ip->pad_end;
  return 0;
}

/* The fork's output size, in its order of precedence: shrink only, zoom
 * only, height and width, shrink then zoom (h_eff = H + pad_beg +
 * pad_end; zoom z: (h - 1) z + 1; shrink s: (h - 1) / s + 1). */
int lk_interp_shape(Layer *l, Net *n) {
  const Caffe__InterpParameter *ip = l->lp->interp_param;
  const rt_shape *b = &l->bottom[0]->shape;
  if (b->nd != 4) {
    ir_error(n, l, "expects a 4-D NCHW bottom, got %d axes", b->nd);
    return -1;
  }
  int64_t he = (int64_t)b->d[2] + ip->pad_beg + ip->pad_end;
  int64_t we = (int64_t)b->d[3] + ip->pad_beg + ip->pad_end;
  if (he <= 0 || we <= 0) {
    ir_error_at(n, ir_loc(n, ip, "pad_beg", l), l, "pad_beg and pad_end crop the whole %dx%d input",
                b->d[2], b->d[3]);
    return -1;
  }
  int64_t oh, ow;
  bool z = ip->has_zoom_factor, s = ip->has_shrink_factor;
  if (s && !z) {
    oh = (he - 1) / ip->shrink_factor + 1, ow = (we - 1) / ip->shrink_factor + 1;
  } else if (z && !s) {
    oh = he + (he - 1) * (ip->zoom_factor - 1), ow = we + (we - 1) * (ip->zoom_factor - 1);
  } else if (ip->has_height && ip->has_width) {
    oh = ip->height, ow = ip->width;
  } else {
    oh = (he - 1) / ip->shrink_factor + 1, ow = (we - 1) / ip->shrink_factor + 1;
    oh = oh + (oh - 1) * (ip->zoom_factor - 1), ow = ow + (ow - 1) * (ip->zoom_factor - 1);
  }
  if (oh <= 0 || ow <= 0) {
    ir_error_at(n, ir_loc(n, ip, "height", l), l, "output size %lldx%lld must be positive",
                (long long)oh, (long long)ow);
    return -1;
  }
  int64_t d[4] = {b->d[0], b->d[1], oh, ow};
  return ir_set_shape(n, l, &l->top[0]->shape, 4, d);
}

const LayerOps lk_interp_ops = {.setup = lk_interp_setup, .shape = lk_interp_shape};
