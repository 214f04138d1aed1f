/* region.c - Region (YOLOv2): decodes darknet's region head into one row
 * per cell and anchor, as OpenCV's dnn Region layer does (its darknet
 * importer's Permute + Region pair).  The Caffe YOLOv2 forks each wrote
 * their own Region layer (in-place activations only, channels-last copies,
 * box lists); chaicc follows OpenCV's, the one reference that gives boxes.
 * Runs in float (rt_region_f32), in fixed-point programs too, between a
 * dequantization and the float output.  No learned blobs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../emit_kind.h"
#include "../ir.h"
#include "caffe.pb-c.h"

/* Reads the anchor pairs: `biases` numbers, or the fork's `anchors` string
 * ("1.08,1.19, 3.42,4.41", darknet cfg style); exactly num pairs. */
static int read_biases(Layer *l, Net *n, const Caffe__RegionParameter *rp,
                       rt_region_param *p) {
  const char *field = rp && rp->n_biases ? "biases" : "anchors";
  int nb = 0;
  if (rp && rp->n_biases) {
    for (size_t i = 0; i < rp->n_biases && nb < 2 * RT_MAXLIST; i++)
      p->biases[nb++] = rp->biases[i];
    if (rp->n_biases > 2 * RT_MAXLIST) nb = 2 * RT_MAXLIST + 1;
  } else if (rp && rp->anchors) {
    const char *s = rp->anchors;
    while (*s && nb <= 2 * RT_MAXLIST) {
      while (*s == ',' || *s == ' ' || *s == '\t') s++;
      if (!*s) break;
      char *e;
      float v = strtof(s, &e);
      if (e == s) {
        ir_error_at(n, ir_loc(n, rp, "anchors", l), l,
                    "anchors must be numbers separated by commas, got '%s'", rp->anchors);
        return -1;
      }
      if (nb < 2 * RT_MAXLIST) p->biases[nb] = v;
      nb++;
      s = e;
    }
  }
  if (nb != 2 * p->num) {
    ir_error_at(n, ir_loc(n, rp, field, l), l,
                "region_param needs %d anchor values (a width and a height for each of "
                "num = %d anchors, in biases or anchors), got %d",
                2 * p->num, p->num, nb);
    return -1;
  }
  for (int i = 0; i < nb; i++)
    if (!(p->biases[i] > 0)) {
      ir_error_at(n, ir_loc(n, rp, field, l), l, "anchor sizes must be positive, got %g",
                  p->biases[i]);
      return -1;
    }
  p->nbias = nb;
  return 0;
}

/* Parses region_param with OpenCV's rules: coords 4, classes >= 1, num
 * anchors (num, else boxes_of_each_grid, default 5), class scores by
 * softmax (the default, YOLOv2) or logistic, thresh (0.2) and
 * nms_threshold (0.4, >= 0; 0 turns NMS off). */
int lk_region_setup(Layer *l, Net *n) {
  const Caffe__RegionParameter *rp = l->lp->region_param;
  rt_region_param *p = &l->p.region;
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  uint32_t classes = rp && rp->has_classes ? rp->classes : 20;
  uint32_t coords = rp && rp->has_coords ? rp->coords : 4;
  uint32_t num = rp && rp->has_num ? rp->num
                 : rp && rp->has_boxes_of_each_grid ? rp->boxes_of_each_grid : 5;
  if (coords != 4) {
    ir_error_at(n, ir_loc(n, rp, "coords", l), l, "coords must be 4, got %u", coords);
    return -1;
  }
  if (classes < 1 || classes > 100000) {
    ir_error_at(n, ir_loc(n, rp, "classes", l), l, "classes must be 1 to 100000, got %u",
                classes);
    return -1;
  }
  if (num < 1 || num > RT_MAXLIST) {
    ir_error_at(n, ir_loc(n, rp, rp && rp->has_num ? "num" : "boxes_of_each_grid", l), l,
                "needs 1 to %d anchors, got %u", RT_MAXLIST, num);
    return -1;
  }
  p->classes = (int)classes;
  p->coords = 4;
  p->num = (int)num;
  bool sm = rp && rp->has_softmax && rp->softmax, lg = rp && rp->has_logistic && rp->logistic;
  if (sm && lg) {
    ir_error_at(n, ir_loc(n, rp, "logistic", l), l, "softmax and logistic are exclusive");
    return -1;
  }
  if (!sm && !lg && rp && rp->has_softmax) {
    ir_error_at(n, ir_loc(n, rp, "softmax", l), l,
                "class scores need softmax or logistic (softmax: false without logistic: true)");
    return -1;
  }
  p->softmax = !lg;
  p->thresh = rp && rp->has_thresh ? rp->thresh : 0.2f;
  p->nms_threshold = rp && rp->has_nms_threshold ? rp->nms_threshold : 0.4f;
  if (!(p->nms_threshold >= 0)) {
    ir_error_at(n, ir_loc(n, rp, "nms_threshold", l), l,
                "nms_threshold must be non-negative, got %g", p->nms_threshold);
    return -1;
  }
  return read_biases(l, n, rp, p);
}

/* Bottom N x num*(5+classes) x H x W; top (N*H*W*num) x (5+classes). */
int lk_region_shape(Layer *l, Net *n) {
  const rt_region_param *p = &l->p.region;
  const rt_shape *b = &l->bottom[0]->shape;
  int64_t cs = p->coords + 1 + p->classes;
  if (b->nd != 4 || rt_shape_dim4(b, 1) != p->num * cs) {
    ir_error(n, l, "bottom must be N x %lld x H x W (num %d x (coords + 1 + classes %d)), "
             "got %d axes with %d channels",
             (long long)(p->num * cs), p->num, p->classes, b->nd, rt_shape_dim4(b, 1));
    return -1;
  }
  int64_t d[2] = {(int64_t)rt_shape_dim4(b, 0) * rt_shape_dim4(b, 2) * rt_shape_dim4(b, 3) * p->num,
                  cs};
  return ir_set_shape(n, l, &l->top[0]->shape, 2, d);
}

const LayerOps lk_region_ops = {
    .setup = lk_region_setup,
    .shape = lk_region_shape,
};
