/* priorbox.c - PriorBox (SSD): default boxes for one feature map. */
#include <math.h>
#include <stdint.h>

#include "../ir.h"
#include "caffe.pb-c.h"

/* Reads the sizes and aspect ratios: min_size (required, > 0), max_size
 * (none, or one per min_size and larger), aspect ratios expanded as Caffe
 * does (1 first; each new ratio, and its inverse when flip). */
static int read_sizes(Layer *l, Net *n, const Caffe__PriorBoxParameter *pb,
                      rt_priorbox_param *p) {
  if (pb->n_min_size == 0 || pb->n_min_size > RT_MAXLIST) {
    ir_error_at(n, ir_loc(n, pb, "min_size", l), l,
                "needs 1 to %d min_size values, got %zu", RT_MAXLIST,
                pb->n_min_size);
    return -1;
  }
  p->nmin = (int)pb->n_min_size;
  for (int i = 0; i < p->nmin; i++) {
    if (!(pb->min_size[i] > 0)) {
      ir_error_at(n, ir_loc(n, pb, "min_size", l), l,
                  "min_size must be positive, got %g", pb->min_size[i]);
      return -1;
    }
    p->min_size[i] = pb->min_size[i];
  }
  if (pb->n_max_size && pb->n_max_size != pb->n_min_size) {
    ir_error_at(n, ir_loc(n, pb, "max_size", l), l,
                "has %zu max_size values; it needs one per min_size (%zu)",
                pb->n_max_size, pb->n_min_size);
    return -1;
  }
  p->nmax = (int)pb->n_max_size;
  for (int i = 0; i < p->nmax; i++) {
    if (!(pb->max_size[i] > pb->min_size[i])) {
      ir_error_at(n, ir_loc(n, pb, "max_size", l), l,
                  "max_size %g must be greater than min_size %g",
                  pb->max_size[i], pb->min_size[i]);
      return -1;
    }
    p->max_size[i] = pb->max_size[i];
  }
  bool flip = pb->has_flip ? pb->flip : true;
  p->nar = 1;
  p->aspect[0] = 1.f;
  for (size_t i = 0; i < pb->n_aspect_ratio; i++) {
    float ar = pb->aspect_ratio[i];
    bool seen = false;
    for (int j = 0; j < p->nar; j++)
      if (fabs(ar - p->aspect[j]) < 1e-6) seen = true;
    if (seen) continue;
    if (!(ar > 0)) {
      ir_error_at(n, ir_loc(n, pb, "aspect_ratio", l), l,
                  "aspect_ratio must be positive, got %g", ar);
      return -1;
    }
    if (p->nar + (flip ? 2 : 1) > 2 * RT_MAXLIST + 1) {
      ir_error_at(n, ir_loc(n, pb, "aspect_ratio", l), l,
                  "too many aspect ratios (at most %d distinct)", RT_MAXLIST);
      return -1;
    }
    p->aspect[p->nar++] = ar;
    if (flip) p->aspect[p->nar++] = (float)(1. / ar);
  }
  return 0;
}

/* Reads variance, img_size / img_h / img_w, step / step_h / step_w and
 * offset with Caffe's checks (0 image size or step = derive at run time). */
static int read_geometry(Layer *l, Net *n, const Caffe__PriorBoxParameter *pb,
                         rt_priorbox_param *p) {
  if (pb->n_variance > 1 && pb->n_variance != 4) {
    ir_error_at(n, ir_loc(n, pb, "variance", l), l,
                "needs 1 or 4 variance values, got %zu", pb->n_variance);
    return -1;
  }
  p->nvar = pb->n_variance ? (int)pb->n_variance : 1;
  p->variance[0] = 0.1f;
  for (size_t i = 0; i < pb->n_variance; i++) {
    if (!(pb->variance[i] > 0)) {
      ir_error_at(n, ir_loc(n, pb, "variance", l), l,
                  "variance must be positive, got %g", pb->variance[i]);
      return -1;
    }
    p->variance[i] = pb->variance[i];
  }
  if (pb->has_img_h || pb->has_img_w) {
    if (pb->has_img_size || pb->img_h == 0 || pb->img_w == 0 ||
        pb->img_h > INT32_MAX || pb->img_w > INT32_MAX) {
      ir_error_at(n, ir_loc(n, pb, pb->has_img_h ? "img_h" : "img_w", l), l,
                  "give either img_size or both img_h and img_w, all positive");
      return -1;
    }
    p->img_h = (int)pb->img_h;
    p->img_w = (int)pb->img_w;
  } else if (pb->has_img_size) {
    if (pb->img_size == 0 || pb->img_size > INT32_MAX) {
      ir_error_at(n, ir_loc(n, pb, "img_size", l), l,
                  "img_size must be positive");
      return -1;
    }
    p->img_h = p->img_w = (int)pb->img_size;
  }
  if (pb->has_step_h || pb->has_step_w) {
    if (pb->has_step || !(pb->step_h > 0) || !(pb->step_w > 0)) {
      ir_error_at(n, ir_loc(n, pb, pb->has_step_h ? "step_h" : "step_w", l), l,
                  "give either step or both step_h and step_w, all positive");
      return -1;
    }
    p->step_h = pb->step_h;
    p->step_w = pb->step_w;
  } else if (pb->has_step) {
    if (!(pb->step > 0)) {
      ir_error_at(n, ir_loc(n, pb, "step", l), l, "step must be positive");
      return -1;
    }
    p->step_h = p->step_w = pb->step;
  }
  p->offset = pb->has_offset ? pb->offset : 0.5f;
  p->clip = pb->has_clip ? pb->clip : false;
  return 0;
}

int lk_priorbox_setup(Layer *l, Net *n) {
  const Caffe__PriorBoxParameter *pb = l->lp->prior_box_param;
  rt_priorbox_param *p = &l->p.priorbox;
  if (l->nbottom != 2 || l->ntop != 1) {
    ir_error(n, l, "takes 2 bottoms (feature map, image) and 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  if (!pb) {
    ir_error(n, l, "missing prior_box_param (min_size is required)");
    return -1;
  }
  return read_sizes(l, n, pb, p) || read_geometry(l, n, pb, p) ? -1 : 0;
}

/* Top: 1 x 2 x (H * W * num_priors * 4) for the feature map's H x W. */
int lk_priorbox_shape(Layer *l, Net *n) {
  const rt_priorbox_param *p = &l->p.priorbox;
  const rt_shape *fm = &l->bottom[0]->shape;
  int64_t np = (int64_t)p->nar * p->nmin + p->nmax;
  int64_t dim = (int64_t)rt_shape_dim4(fm, 2) * rt_shape_dim4(fm, 3) * np * 4;
  if (dim <= 0) {
    ir_error(n, l, "the feature map has no positions");
    return -1;
  }
  int64_t d[3] = {1, 2, dim};
  return ir_set_shape(n, l, &l->top[0]->shape, 3, d);
}

const LayerOps lk_priorbox_ops = {.setup = lk_priorbox_setup, .shape = lk_priorbox_shape};
