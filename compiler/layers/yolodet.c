/* yolodet.c - YoloDetectionOutput (eric612/MobileNet-YOLO): the YOLOv2
 * head of its MobileNet-YOLO v2 nets, giving DetectionOutput's rows
 * [image, label, score, xmin, ymin, xmax, ymax].  Runs in float
 * (rt_yolodet_f32, runtime/rt_yolo.c), in fixed-point programs too, on
 * the dequantized heads.  No learned blobs.
 *
 * The fork's Forward_cpu (src/caffe/layers/yolo_detection_output_layer.cpp):
 * per cell and anchor k, box ((x + sig tx) / W, (y + sig ty) / H,
 * exp(tw) * biases[2k] / W, exp(th) * biases[2k+1] / H), objectness
 * sig(to), the class with the largest softmax probability p, score
 * sig(to) * p kept when >= confidence_threshold; a second bottom is
 * decoded the same way with the same anchors; all sorted by descending
 * score, class-agnostic greedy NMS, rows with label class + 1, unclipped
 * corners.  Differences, on purpose and as Yolov3DetectionOutput's
 * (yolov3det.c): images of a batch are decoded and suppressed separately,
 * equal scores keep their generation order, a box survives NMS when its
 * overlap is at most nms_threshold (the fork drops it at equality), and a
 * non-square grid uses H for y (the fork takes the width for both).
 *
 * The same kernel runs the caffe-yolov2 forks' DetectionOutput (form
 * RT_YOLODET_YOLOV2, lk_yolodet_setup_fork below). */
#include <stdbool.h>
#include <stdint.h>

#include "../emit_kind.h"
#include "../ir.h"
#include "yolo.h"
#include "caffe.pb-c.h"

/* The fields both forms share, from either message. */
typedef struct YdFields {
  const void *msg; /* for locations; NULL when the layer has no block */
  bool has_nc, has_nbox, has_coords, has_conf, has_nms, has_side;
  uint32_t nc, nbox, coords, side;
  float conf, nms;
  size_t nb;
  const float *biases;
} YdFields;

/* Checks the fields and fills l->p.yolodet with the fork's defaults
 * (num_classes 20, num_box 5, coords 4, confidence_threshold 0.01,
 * nms_threshold 0.45, side 13). */
static int yd_setup(Layer *l, Net *n, const YdFields *f, int form) {
  rt_yolodet_param *p = &l->p.yolodet;
  const void *dp = f->msg;
  int maxb = form == RT_YOLODET_MNYOLO ? 2 : 1;
  if (l->nbottom < 1 || l->nbottom > maxb || l->ntop != 1) {
    ir_error(n, l, "takes %s and 1 top, got %d and %d",
             maxb == 2 ? "1 or 2 bottoms (heads)" : "1 bottom (the head)", l->nbottom, l->ntop);
    return -1;
  }
  uint32_t nc = f->has_nc ? f->nc : 20, nbox = f->has_nbox ? f->nbox : 5;
  if (lk_yolo_check_counts(l, n, dp, nc, nbox)) return -1;
  if (f->has_coords && f->coords != 4) {
    ir_error_at(n, ir_loc(n, dp, "coords", l), l,
                "coords must be 4 (the fork decodes x, y, w, h), got %u", f->coords);
    return -1;
  }
  p->form = form;
  p->num_classes = (int)nc;
  p->num_box = (int)nbox;
  p->side = f->has_side ? (int)f->side : 13;
  p->confidence_threshold = f->has_conf ? f->conf : 0.01f;
  p->nms_threshold = f->has_nms ? f->nms : 0.45f;
  if (!(p->nms_threshold >= 0)) {
    ir_error_at(n, ir_loc(n, dp, "nms_threshold", l), l,
                "nms_threshold must be non-negative, got %g", p->nms_threshold);
    return -1;
  }
  if (f->nb != 2 * (size_t)nbox) {
    ir_error_at(n, ir_loc(n, dp, "biases", l), l,
                "needs num_box (%u) anchor (width, height) pairs in biases, got %zu values",
                nbox, f->nb);
    return -1;
  }
  p->nbias = (int)f->nb;
  for (size_t i = 0; i < f->nb; i++) {
    if (!(f->biases[i] > 0)) {
      ir_error_at(n, ir_loc(n, dp, "biases", l), l, "anchor sizes must be positive, got %g",
                  f->biases[i]);
      return -1;
    }
    p->biases[i] = f->biases[i];
  }
  return 0;
}

/* yolo_detection_output_param (MobileNet-YOLO; side is not used: the grid
 * is the bottom's). */
int lk_yolodet_setup(Layer *l, Net *n) {
  const Caffe__YoloDetectionOutputParameter *dp = l->lp->yolo_detection_output_param;
  YdFields f = {0};
  if (dp)
    f = (YdFields){dp, dp->has_num_classes, dp->has_num_box, dp->has_coords,
                   dp->has_confidence_threshold, dp->has_nms_threshold, false,
                   dp->num_classes, dp->num_box, dp->coords, 0, dp->confidence_threshold,
                   dp->nms_threshold, dp->n_biases, dp->biases};
  return yd_setup(l, n, &f, RT_YOLODET_MNYOLO);
}

/* A DetectionOutput whose detection_output_param has the caffe-yolov2
 * fields (detout.c hands it over): gklz1982/caffe-yolov2's
 * src/caffe/layers/detection_output_layer.cpp, with the helpers of that
 * lineage's include/caffe/util/bbox_util.hpp.  One bottom whose grid must
 * be side x side (the fork indexes it by side); per cell and anchor the
 * box and best softmax class as MobileNet-YOLO's; candidates with score
 * >= confidence_threshold in generation order (no sort); NMS in that
 * order on the boxes clipped to [0, 1] (JaccardOverlap); rows [image,
 * class (from 0), score, x, y, w, h] center-size, unclipped.  Differences,
 * on purpose: per image (the fork keeps the last image's rows), a box
 * survives at overlap == nms_threshold (the fork drops it). */
int lk_yolodet_setup_fork(Layer *l, Net *n) {
  const Caffe__DetectionOutputParameter *dp = l->lp->detection_output_param;
  YdFields f = {dp, dp->has_num_classes, dp->has_num_box, dp->has_coords,
                dp->has_confidence_threshold, dp->has_nms_threshold, dp->has_side,
                dp->num_classes, dp->num_box, dp->coords, dp->side, dp->confidence_threshold,
                dp->nms_threshold, dp->n_biases, dp->biases};
  return yd_setup(l, n, &f, RT_YOLODET_YOLOV2);
}

/* The head's shape rule: lk_yolo_heads_shape (yolo.h), after the fork's
 * side x side check. */
int lk_yolodet_shape(Layer *l, Net *n) {
  rt_yolodet_param *p = &l->p.yolodet;
  for (int s = 0; s < l->nbottom && p->form == RT_YOLODET_YOLOV2; s++) {
    const rt_shape *b = &l->bottom[s]->shape;
    if (rt_shape_dim4(b, 2) != p->side || rt_shape_dim4(b, 3) != p->side) {
      ir_error(n, l, "the head is %d x %d; this fork's DetectionOutput reads a side x side "
               "grid (side %d)", rt_shape_dim4(b, 2), rt_shape_dim4(b, 3), p->side);
      return -1;
    }
  }
  return lk_yolo_heads_shape(l, n, p->num_box, p->num_classes, 1, &p->max_rows);
}

/* The kernel reports the rows it wrote; the program marks the rest of
 * top 0's worst-case rows (as DetectionOutput's). */
static void yolodet_emit_c_ref(EcLayer *c, const Layer *l, EcRef *r) {
  (void)c;
  r->max_rows = l->top[0]->shape.d[2];
}

const LayerOps lk_yolodet_ops = {
    .setup = lk_yolodet_setup,
    .shape = lk_yolodet_shape,
    .emit_c_ref = yolodet_emit_c_ref,
};
