/* yolov3det.c - Yolov3DetectionOutput (eric612/MobileNet-YOLO): the
 * YOLOv3 head over several scales, giving DetectionOutput's rows
 * [image, label, score, xmin, ymin, xmax, ymax].  Runs in float
 * (rt_yolov3det_f32), in fixed-point programs too, on the dequantized
 * heads.  No learned blobs.
 *
 * Differences from the fork, on purpose: images of a batch are decoded and
 * suppressed separately (the fork writes image id 0 for all and suppresses
 * across the batch); equal scores keep their generation order (the fork's
 * std::sort leaves it unspecified); a box survives NMS when its overlap is
 * at most nms_threshold (the fork drops it at equality). */
#include <stdint.h>

#include "../emit_kind.h"
#include "../ir.h"
#include "yolo.h"
#include "caffe.pb-c.h"

/* Copies the repeated fields (biases, anchors_scale, mask) with the
 * fork's consistency rules: one bottom per mask group (mask_group_num),
 * mask size / mask_group_num >= num_box entries per scale, each mask entry
 * naming a bias pair, one anchors_scale per bottom. */
static int read_anchors(Layer *l, Net *n, const Caffe__Yolov3DetectionOutputParameter *dp,
                        rt_yolov3det_param *p) {
  size_t nb = dp ? dp->n_biases : 0, nm = dp ? dp->n_mask : 0, ns = dp ? dp->n_anchors_scale : 0;
  uint32_t groups = dp && dp->has_mask_group_num ? dp->mask_group_num : 2;
  if (nb == 0 || nb % 2 || nb > 2 * RT_MAXLIST) {
    ir_error_at(n, ir_loc(n, dp, "biases", l), l,
                "needs 1 to %d anchor (width, height) pairs in biases, got %zu values",
                RT_MAXLIST, nb);
    return -1;
  }
  if (groups != (uint32_t)l->nbottom) {
    ir_error_at(n, ir_loc(n, dp, "mask_group_num", l), l,
                "mask_group_num %u must equal the number of bottoms (%d)", groups, l->nbottom);
    return -1;
  }
  if (nm > RT_MAXLIST || nm / groups < (size_t)p->num_box) {
    ir_error_at(n, ir_loc(n, dp, "mask", l), l,
                "needs num_box (%d) mask entries per bottom, at most %d in all, got %zu",
                p->num_box, RT_MAXLIST, nm);
    return -1;
  }
  if (ns < (size_t)l->nbottom || ns > RT_MAXLIST) {
    ir_error_at(n, ir_loc(n, dp, "anchors_scale", l), l,
                "needs one anchors_scale per bottom (%d), got %zu", l->nbottom, ns);
    return -1;
  }
  p->nbias = (int)nb;
  for (size_t i = 0; i < nb; i++) {
    if (!(dp->biases[i] > 0)) {
      ir_error_at(n, ir_loc(n, dp, "biases", l), l, "anchor sizes must be positive, got %g",
                  dp->biases[i]);
      return -1;
    }
    p->biases[i] = dp->biases[i];
  }
  p->nmask = (int)nm;
  p->groups = (int)(nm / groups);
  for (size_t i = 0; i < nm; i++) {
    if (dp->mask[i] >= nb / 2) {
      ir_error_at(n, ir_loc(n, dp, "mask", l), l,
                  "mask entry %u names no anchor (%zu pairs in biases)", dp->mask[i], nb / 2);
      return -1;
    }
    p->mask[i] = (int)dp->mask[i];
  }
  p->nscale = (int)ns;
  for (size_t i = 0; i < ns; i++) {
    if (dp->anchors_scale[i] == 0 || dp->anchors_scale[i] > 65536) {
      ir_error_at(n, ir_loc(n, dp, "anchors_scale", l), l,
                  "anchors_scale must be 1 to 65536, got %u", dp->anchors_scale[i]);
      return -1;
    }
    p->anchors_scale[i] = (int)dp->anchors_scale[i];
  }
  return 0;
}

/* Parses yolov3_detection_output_param with the fork's defaults
 * (num_classes 20, num_box 3, confidence_threshold 0.01, nms_threshold
 * 0.45, mask_group_num 2). */
int lk_yolov3det_setup(Layer *l, Net *n) {
  const Caffe__Yolov3DetectionOutputParameter *dp = l->lp->yolov3_detection_output_param;
  rt_yolov3det_param *p = &l->p.yolov3det;
  if (l->nbottom < 1 || l->nbottom > RT_MAXLIST || l->ntop != 1) {
    ir_error(n, l, "takes 1 to %d bottoms (one per scale) and 1 top, got %d and %d",
             RT_MAXLIST, l->nbottom, l->ntop);
    return -1;
  }
  uint32_t nc = dp && dp->has_num_classes ? dp->num_classes : 20;
  uint32_t nbox = dp && dp->has_num_box ? dp->num_box : 3;
  if (lk_yolo_check_counts(l, n, dp, nc, nbox)) return -1;
  p->num_classes = (int)nc;
  p->num_box = (int)nbox;
  p->confidence_threshold = dp && dp->has_confidence_threshold ? dp->confidence_threshold : 0.01f;
  p->nms_threshold = dp && dp->has_nms_threshold ? dp->nms_threshold : 0.45f;
  if (!(p->nms_threshold >= 0)) {
    ir_error_at(n, ir_loc(n, dp, "nms_threshold", l), l,
                "nms_threshold must be non-negative, got %g", p->nms_threshold);
    return -1;
  }
  return read_anchors(l, n, dp, p);
}

/* The head's shape rule: lk_yolo_heads_shape (yolo.h). */
int lk_yolov3det_shape(Layer *l, Net *n) {
  rt_yolov3det_param *p = &l->p.yolov3det;
  return lk_yolo_heads_shape(l, n, p->num_box, p->num_classes, p->num_classes, &p->max_rows);
}

int lk_yolo_check_counts(Layer *l, Net *n, const void *dp, uint32_t nc, uint32_t nbox) {
  if (nc < 1 || nc > 100000) {
    ir_error_at(n, ir_loc(n, dp, "num_classes", l), l, "num_classes must be 1 to 100000, got %u",
                nc);
    return -1;
  }
  if (nbox < 1 || nbox > RT_MAXLIST) {
    ir_error_at(n, ir_loc(n, dp, "num_box", l), l, "num_box must be 1 to %d, got %u",
                RT_MAXLIST, nbox);
    return -1;
  }
  return 0;
}

int lk_yolo_heads_shape(Layer *l, Net *n, int num_box, int num_classes, int per_box,
                        int *max_rows) {
  int64_t len = 5 + num_classes, num = rt_shape_dim4(&l->bottom[0]->shape, 0), boxes = 0;
  for (int s = 0; s < l->nbottom; s++) {
    const rt_shape *b = &l->bottom[s]->shape;
    if (b->nd != 4 || rt_shape_dim4(b, 1) != num_box * len || rt_shape_dim4(b, 0) != num) {
      ir_error(n, l, "bottom %d must be %lld x %lld x H x W (num_box %d x (5 + num_classes "
               "%d)), got %d axes of %d x %d",
               s, (long long)num, (long long)(num_box * len), num_box, num_classes, b->nd,
               rt_shape_dim4(b, 0), rt_shape_dim4(b, 1));
      return -1;
    }
    boxes += (int64_t)rt_shape_dim4(b, 2) * rt_shape_dim4(b, 3) * num_box;
  }
  int64_t rows = num * boxes * per_box;
  if (rows < num) rows = num;
  if (rows > INT32_MAX / 7) {
    ir_error(n, l, "worst-case output of %lld detections is too large", (long long)rows);
    return -1;
  }
  *max_rows = (int)rows;
  int64_t d[4] = {1, 1, rows, 7};
  return ir_set_shape(n, l, &l->top[0]->shape, 4, d);
}

/* The kernel reports the rows it wrote; the program marks the rest of
 * top 0's worst-case rows (as DetectionOutput's). */
static void yolov3det_emit_c_ref(EcLayer *c, const Layer *l, EcRef *r) {
  (void)c;
  r->max_rows = l->top[0]->shape.d[2];
}

const LayerOps lk_yolov3det_ops = {
    .setup = lk_yolov3det_setup,
    .shape = lk_yolov3det_shape,
    .emit_c_ref = yolov3det_emit_c_ref,
};
