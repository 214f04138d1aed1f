/* rt_yolo.c - float kernels of the YOLO detection heads: YOLOv2's Region
 * (as OpenCV's dnn Region layer computes it) and MobileNet-YOLO's
 * Yolov3DetectionOutput and YoloDetectionOutput (its YOLOv2 head).
 *
 * Both decode darknet's head layout: the bottom has num anchors x
 * (4 box + 1 objectness + classes) channels, anchor-major, over an H x W
 * grid.  Sorting and non-maximum suppression are DetectionOutput's
 * (rt_det.h), so equal scores keep the order in which the boxes were
 * generated and every build gives the same rows.  No kernel allocates: the
 * scratch comes from rt_args.ws (the rt_*_ws sizes).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rt_det.h"
#include "rt_layers.h"

static float yolo_sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

static size_t yolo_align(size_t n) { return (n + 15) & ~(size_t)15; }

/* Corner form [xmin, ymin, xmax, ymax] of a center-size box. */
static void yolo_corners(float *o, float cx, float cy, float w, float h) {
  o[0] = cx - w / 2;
  o[1] = cy - h / 2;
  o[2] = cx + w / 2;
  o[3] = cy + h / 2;
}

/* ---- Region ------------------------------------------------------------ */

/* Scratch for one image's NMS: corner boxes, candidates and sort buffer. */
size_t rt_region_ws(const void *pv, const rt_args *a) {
  const rt_region_param *p = pv;
  size_t cells = (size_t)rt_shape_dim4(&a->b[0].s, 2) * rt_shape_dim4(&a->b[0].s, 3) * p->num;
  return yolo_align(cells * 4 * sizeof(float)) + 2 * yolo_align(cells * sizeof(rt_det_item));
}

/* Class scores of one box: softmax or logistic of the raw values at src
 * (stride apart), written to o[0..classes). */
static void region_classes(const rt_region_param *p, const float *src, int64_t stride,
                           float *o) {
  if (!p->softmax) {
    for (int j = 0; j < p->classes; j++) o[j] = yolo_sigmoid(src[j * stride]);
    return;
  }
  float big = src[0], sum = 0;
  for (int j = 1; j < p->classes; j++)
    if (src[j * stride] > big) big = src[j * stride];
  for (int j = 0; j < p->classes; j++) {
    o[j] = expf(src[j * stride] - big);
    sum += o[j];
  }
  for (int j = 0; j < p->classes; j++) o[j] /= sum;
}

/* OpenCV's per-class NMS over the rows of one image: for each class, the
 * rows scoring above thresh, by descending score, keep their score when
 * their box overlaps no kept box by more than nms_threshold; the others
 * get 0. */
static void region_nms(const rt_region_param *p, float *rows, int total, const rt_args *a) {
  const int cs = p->coords + 1 + p->classes;
  char *ws = a->ws;
  float *boxes = (float *)ws;
  ws += yolo_align((size_t)total * 4 * sizeof(float));
  rt_det_item *items = (rt_det_item *)ws;
  ws += yolo_align((size_t)total * sizeof(rt_det_item));
  rt_det_item *tmp = (rt_det_item *)ws;
  for (int i = 0; i < total; i++) {
    const float *r = rows + (int64_t)i * cs;
    yolo_corners(boxes + (int64_t)i * 4, r[0], r[1], r[2], r[3]);
  }
  for (int j = 0; j < p->classes; j++) {
    int m = 0;
    for (int i = 0; i < total; i++) {
      float *s = rows + (int64_t)i * cs + 5 + j;
      if (*s > p->thresh) items[m++] = (rt_det_item){*s, j, i};
      *s = 0.f;
    }
    rt_det_sort_score(items, tmp, m);
    int kept = rt_det_nms(items, m, boxes, p->nms_threshold, 1.f);
    for (int k = 0; k < kept; k++) rows[(int64_t)items[k].idx * cs + 5 + j] = items[k].score;
  }
}

/* Region: for each image, cell (y, x) and anchor k, the output row
 * (y * W + x) * num + k holds [(x + sig(tx)) / W, (y + sig(ty)) / H,
 * exp(tw) * bias_w / W, exp(th) * bias_h / H, sig(to), then per class
 * sig(to) * p_class when above thresh, else 0], p by softmax or logistic;
 * then the per-class NMS when nms_threshold > 0. */
void rt_region_f32(const void *pv, const rt_args *a) {
  const rt_region_param *p = pv;
  const int num = rt_shape_dim4(&a->b[0].s, 0), h = rt_shape_dim4(&a->b[0].s, 2),
            w = rt_shape_dim4(&a->b[0].s, 3);
  const int cs = p->coords + 1 + p->classes;
  const int64_t hw = (int64_t)h * w, total = hw * p->num;
  for (int n = 0; n < num; n++) {
    const float *in = a->b[0].d + (int64_t)n * p->num * cs * hw;
    float *rows = a->t[0].d + (int64_t)n * total * cs;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int k = 0; k < p->num; k++) {
          const float *src = in + (int64_t)k * cs * hw + (int64_t)y * w + x;
          float *r = rows + (((int64_t)y * w + x) * p->num + k) * cs;
          float obj = yolo_sigmoid(src[4 * hw]);
          r[0] = (x + yolo_sigmoid(src[0])) / w;
          r[1] = (y + yolo_sigmoid(src[hw])) / h;
          r[2] = expf(src[2 * hw]) * p->biases[2 * k] / w;
          r[3] = expf(src[3 * hw]) * p->biases[2 * k + 1] / h;
          r[4] = obj;
          region_classes(p, src + 5 * hw, hw, r + 5);
          for (int j = 0; j < p->classes; j++) {
            float prob = obj * r[5 + j];
            r[5 + j] = prob > p->thresh ? prob : 0.f;
          }
        }
    if (p->nms_threshold > 0) region_nms(p, rows, (int)total, a);
  }
}

/* ---- Yolov3DetectionOutput -------------------------------------------- */

/* Boxes per image over all scales (heads) of num_box anchors per cell. */
static int64_t heads_boxes(int num_box, const rt_args *a) {
  int64_t t = 0;
  for (int s = 0; s < a->nb; s++)
    t += (int64_t)rt_shape_dim4(&a->b[s].s, 2) * rt_shape_dim4(&a->b[s].s, 3) * num_box;
  return t;
}

/* Scratch for one image: corner boxes, candidates (one per box and class)
 * and the sort buffer. */
size_t rt_yolov3det_ws(const void *pv, const rt_args *a) {
  const rt_yolov3det_param *p = pv;
  size_t boxes = (size_t)heads_boxes(p->num_box, a);
  size_t items = boxes * (size_t)p->num_classes;
  return yolo_align(boxes * 4 * sizeof(float)) + 2 * yolo_align(items * sizeof(rt_det_item));
}

/* Decodes scale s of image n: every box into boxes[base ...], and every
 * (box, class) whose score sig(class) * sig(objectness) is above
 * confidence_threshold into items[m ...].  Returns the new m. */
static int yolov3_scale(const rt_yolov3det_param *p, const rt_tensor *b, int n, int s,
                        int64_t base, float *boxes, rt_det_item *items, int m) {
  const int h = rt_shape_dim4(&b->s, 2), w = rt_shape_dim4(&b->s, 3);
  const int len = 5 + p->num_classes;
  const int64_t hw = (int64_t)h * w;
  const float *in = b->d + (int64_t)n * p->num_box * len * hw;
  const float sc = (float)p->anchors_scale[s];
  for (int64_t cell = 0; cell < hw; cell++) {
    const int y = (int)(cell / w), x = (int)(cell % w);
    for (int k = 0; k < p->num_box; k++) {
      const float *src = in + (int64_t)k * len * hw + cell;
      const int an = p->mask[s * p->groups + k];
      const int64_t idx = base + cell * p->num_box + k;
      float cx = (x + yolo_sigmoid(src[0])) / w, cy = (y + yolo_sigmoid(src[hw])) / h;
      float bw = expf(src[2 * hw]) * p->biases[2 * an] / (w * sc);
      float bh = expf(src[3 * hw]) * p->biases[2 * an + 1] / (h * sc);
      yolo_corners(boxes + idx * 4, cx, cy, bw, bh);
      float obj = yolo_sigmoid(src[4 * hw]);
      for (int c = 0; c < p->num_classes; c++) {
        float score = yolo_sigmoid(src[(5 + c) * hw]) * obj;
        if (score > p->confidence_threshold) items[m++] = (rt_det_item){score, c, (int)idx};
      }
    }
  }
  return m;
}

/* Per image: decode every scale (scale, cell, anchor, class order), sort
 * the candidates by descending score (ties keep that order), class-agnostic
 * greedy NMS at nms_threshold, and write the kept ones as rows [image,
 * class + 1, score, xmin, ymin, xmax, ymax] (unclipped).  With no
 * detection in any image, one row [i, -1, ...] per image, as
 * DetectionOutput.  Sets a->t[0].s.d[2] to the row count and zeroes the
 * rest of the preallocated rows. */
void rt_yolov3det_f32(const void *pv, const rt_args *a) {
  const rt_yolov3det_param *p = pv;
  const int num = rt_shape_dim4(&a->b[0].s, 0);
  const int64_t nbox = heads_boxes(p->num_box, a);
  rt_tensor *top = &a->t[0];
  const int cap = p->max_rows > 0 ? p->max_rows : top->s.d[2];
  float *out = top->d;
  char *ws = a->ws;
  float *boxes = (float *)ws;
  ws += yolo_align((size_t)nbox * 4 * sizeof(float));
  rt_det_item *items = (rt_det_item *)ws;
  ws += yolo_align((size_t)nbox * p->num_classes * sizeof(rt_det_item));
  rt_det_item *tmp = (rt_det_item *)ws;

  int rows = 0;
  for (int n = 0; n < num; n++) {
    int m = 0;
    int64_t base = 0;
    for (int s = 0; s < a->nb; s++) {
      m = yolov3_scale(p, &a->b[s], n, s, base, boxes, items, m);
      base += (int64_t)rt_shape_dim4(&a->b[s].s, 2) * rt_shape_dim4(&a->b[s].s, 3) * p->num_box;
    }
    rt_det_sort_score(items, tmp, m);
    int kept = rt_det_nms(items, m, boxes, p->nms_threshold, 1.f);
    for (int j = 0; j < kept && rows < cap; j++, rows++) {
      const float *b = boxes + (int64_t)items[j].idx * 4;
      float *r = out + (int64_t)rows * 7;
      r[0] = (float)n;
      r[1] = (float)(items[j].label + 1);
      r[2] = items[j].score;
      memcpy(r + 3, b, 4 * sizeof(float));
    }
  }
  top->s.d[2] = rt_det_finish(out, rows, cap, num);
}

/* ---- YoloDetectionOutput (MobileNet-YOLO's YOLOv2 head) and the
 * caffe-yolov2 forks' DetectionOutput (rt_yolodet_param.form) ---------- */

/* Scratch for one image: NMS boxes, center-size boxes, one candidate per
 * box, sort buffer. */
size_t rt_yolodet_ws(const void *pv, const rt_args *a) {
  size_t boxes = (size_t)heads_boxes(((const rt_yolodet_param *)pv)->num_box, a);
  return 2 * yolo_align(boxes * 4 * sizeof(float)) + 2 * yolo_align(boxes * sizeof(rt_det_item));
}

static float yolo_clip01(float v) { return v < 0.f ? 0.f : v > 1.f ? 1.f : v; }

/* Decodes head b of image n: every box, center-size into raw[base ...]
 * and corner form into boxes[base ...] (clipped to [0, 1] in the
 * caffe-yolov2 form, whose NMS overlaps clipped boxes), and, when its score
 * objectness * (best softmax class probability) is at least
 * confidence_threshold, a candidate into items[m ...] labelled with that
 * class (the first one on ties).  Returns the new m. */
static int yolodet_head(const rt_yolodet_param *p, const rt_tensor *b, int n, int64_t base,
                        float *boxes, float *raw, rt_det_item *items, int m) {
  const int h = rt_shape_dim4(&b->s, 2), w = rt_shape_dim4(&b->s, 3);
  const int len = 5 + p->num_classes;
  const int64_t hw = (int64_t)h * w;
  const float *in = b->d + (int64_t)n * p->num_box * len * hw;
  for (int64_t cell = 0; cell < hw; cell++) {
    const int y = (int)(cell / w), x = (int)(cell % w);
    for (int k = 0; k < p->num_box; k++) {
      const float *src = in + (int64_t)k * len * hw + cell;
      const int64_t idx = base + cell * p->num_box + k;
      float *r = raw + idx * 4, *c = boxes + idx * 4;
      r[0] = (x + yolo_sigmoid(src[0])) / w;
      r[1] = (y + yolo_sigmoid(src[hw])) / h;
      r[2] = expf(src[2 * hw]) * p->biases[2 * k] / w;
      r[3] = expf(src[3 * hw]) * p->biases[2 * k + 1] / h;
      yolo_corners(c, r[0], r[1], r[2], r[3]);
      if (p->form == RT_YOLODET_YOLOV2)
        for (int i = 0; i < 4; i++) c[i] = yolo_clip01(c[i]);
      const float *cls = src + 5 * hw;
      int best = 0;
      for (int j = 1; j < p->num_classes; j++)
        if (cls[j * hw] > cls[best * hw]) best = j;
      float sum = 0;
      for (int j = 0; j < p->num_classes; j++) sum += expf(cls[j * hw] - cls[best * hw]);
      float score = yolo_sigmoid(src[4 * hw]) * (1.f / sum);
      if (score >= p->confidence_threshold) items[m++] = (rt_det_item){score, best, (int)idx};
    }
  }
  return m;
}

/* Per image: decode every head (head, cell, anchor order); in MobileNet-
 * YOLO's form sort by descending score (ties keep that order), in the
 * caffe-yolov2 form keep that order; class-agnostic greedy NMS at
 * nms_threshold; rows [image, class + 1, score, xmin, ymin, xmax, ymax]
 * (unclipped) or, caffe-yolov2, [image, class, score, x, y, w, h];
 * rt_det_finish ends the table as Yolov3DetectionOutput's. */
void rt_yolodet_f32(const void *pv, const rt_args *a) {
  const rt_yolodet_param *p = pv;
  const int num = rt_shape_dim4(&a->b[0].s, 0);
  const int64_t nbox = heads_boxes(p->num_box, a);
  const bool v2 = p->form == RT_YOLODET_YOLOV2;
  rt_tensor *top = &a->t[0];
  const int cap = p->max_rows > 0 ? p->max_rows : top->s.d[2];
  float *out = top->d;
  char *ws = a->ws;
  float *boxes = (float *)ws;
  ws += yolo_align((size_t)nbox * 4 * sizeof(float));
  float *raw = (float *)ws;
  ws += yolo_align((size_t)nbox * 4 * sizeof(float));
  rt_det_item *items = (rt_det_item *)ws;
  ws += yolo_align((size_t)nbox * sizeof(rt_det_item));
  rt_det_item *tmp = (rt_det_item *)ws;

  int rows = 0;
  for (int n = 0; n < num; n++) {
    int m = 0;
    int64_t base = 0;
    for (int s = 0; s < a->nb; s++) {
      m = yolodet_head(p, &a->b[s], n, base, boxes, raw, items, m);
      base += (int64_t)rt_shape_dim4(&a->b[s].s, 2) * rt_shape_dim4(&a->b[s].s, 3) * p->num_box;
    }
    if (!v2) rt_det_sort_score(items, tmp, m);
    int kept = rt_det_nms(items, m, boxes, p->nms_threshold, 1.f);
    for (int j = 0; j < kept && rows < cap; j++, rows++) {
      float *r = out + (int64_t)rows * 7;
      r[0] = (float)n;
      r[1] = (float)(items[j].label + (v2 ? 0 : 1));
      r[2] = items[j].score;
      memcpy(r + 3, (v2 ? raw : boxes) + (int64_t)items[j].idx * 4, 4 * sizeof(float));
    }
  }
  top->s.d[2] = rt_det_finish(out, rows, cap, num);
}
