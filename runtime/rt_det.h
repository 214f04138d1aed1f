/* rt_det.h - the detection helpers the detector heads share (rt_ssd.c
 * defines them for DetectionOutput; rt_yolo.c's YOLO heads use them too):
 * a stable sort by descending score and greedy non-maximum suppression on
 * [xmin, ymin, xmax, ymax] boxes.  Runtime-internal: not a kernel API. */
#ifndef RT_DET_H
#define RT_DET_H

/* A candidate detection: its score, class label and box index. */
typedef struct rt_det_item {
  float score;
  int label, idx;
} rt_det_item;

/* Stable sort of v[0..n) by descending score (equal scores keep their
 * order), with tmp[0..n) as scratch; no allocation. */
void rt_det_sort_score(rt_det_item *v, rt_det_item *tmp, int n);

/* Caffe's JaccardOverlap of two normalized boxes (0 when disjoint). */
float rt_det_iou(const float *a, const float *b);

/* Greedy NMS over cand[0..m), already sorted by descending score: an item
 * is kept when its box (boxes + 4 * idx) overlaps every kept one by at
 * most thr; with eta < 1 the threshold shrinks by eta after each kept item
 * while above 0.5 (Caffe's adaptive NMS).  The kept items are moved to the
 * front in order; returns their count. */
int rt_det_nms(rt_det_item *cand, int m, const float *boxes, float thr, float eta);

/* Ends a detection table out[cap][7] holding `rows` rows: with no rows,
 * one row [image, -1 x 6] per image of the batch (num), as Caffe writes;
 * the unused rows are zeroed.  Returns the final row count (top dim 2). */
int rt_det_finish(float *out, int rows, int cap, int num);

#endif
