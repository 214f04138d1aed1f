/* detout.c - DetectionOutput (SSD): box decoding, per-class NMS and the
 * final top-k.  Saving results to files and visualization only have side
 * effects in Caffe; save_output_param, visualize, visualize_threshold and
 * save_file are accepted and ignored. */
#include <float.h>
#include <stdint.h>

#include "../emit_kind.h"
#include "../ir.h"
#include "caffe.pb-c.h"

/* caffe-yolov2's DetectionOutput: defined in yolodet.c. */
int lk_yolodet_setup_fork(Layer *l, Net *n);

int lk_detout_setup(Layer *l, Net *n) {
  const Caffe__DetectionOutputParameter *dp = l->lp->detection_output_param;
  rt_detout_param *p = &l->p.detout;
  if (dp && (dp->n_biases || dp->has_side || dp->has_num_box || dp->has_coords ||
             dp->has_nms_threshold || dp->label_map_file)) {
    l->kind = LK_YOLODET; /* caffe-yolov2's YOLOv2 head under this type name */
    return lk_yolodet_setup_fork(l, n);
  }
  if (l->nbottom < 3 || l->nbottom > 4 || l->ntop != 1) {
    ir_error(n, l, "takes 3 bottoms (loc, conf, prior; a 4th image bottom is "
             "ignored) and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  if (!dp || !dp->has_num_classes || dp->num_classes == 0 ||
      dp->num_classes > INT32_MAX) {
    ir_error_at(n, ir_loc(n, dp, "num_classes", l), l,
                "detection_output_param.num_classes must be given and positive");
    return -1;
  }
  p->num_classes = (int)dp->num_classes;
  p->share_location = dp->has_share_location ? dp->share_location : true;
  p->background_label_id = dp->has_background_label_id ? dp->background_label_id : 0;
  p->code_type = dp->has_code_type ? (int)dp->code_type : RT_CODE_CORNER;
  if (p->code_type < RT_CODE_CORNER || p->code_type > RT_CODE_CORNER_SIZE) {
    ir_error_at(n, ir_loc(n, dp, "code_type", l), l, "unknown code_type %d",
                p->code_type);
    return -1;
  }
  p->variance_encoded_in_target =
      dp->has_variance_encoded_in_target ? dp->variance_encoded_in_target : false;
  p->keep_top_k = dp->has_keep_top_k ? dp->keep_top_k : -1;
  p->confidence_threshold =
      dp->has_confidence_threshold ? dp->confidence_threshold : -FLT_MAX;
  const Caffe__NonMaximumSuppressionParameter *nms = dp->nms_param;
  p->nms_threshold = nms && nms->has_nms_threshold ? nms->nms_threshold : 0.3f;
  p->eta = nms && nms->has_eta ? nms->eta : 1.f;
  p->top_k = nms && nms->has_top_k ? nms->top_k : -1;
  if (!(p->nms_threshold >= 0)) {
    ir_error_at(n, ir_loc(n, nms, "nms_threshold", l), l,
                "nms_threshold must be non-negative, got %g", p->nms_threshold);
    return -1;
  }
  if (!(p->eta > 0 && p->eta <= 1)) {
    ir_error_at(n, ir_loc(n, nms, "eta", l), l,
                "eta must be in (0, 1], got %g", p->eta);
    return -1;
  }
  if (p->top_k < -1) p->top_k = -1;
  if (p->keep_top_k < -1) p->keep_top_k = -1;
  return 0;
}

/* Checks loc (N x P*4*loc_classes), conf (N x P*num_classes) and prior
 * (1 x 2 x P*4) against each other, and sizes the top for the worst case:
 * 1 x 1 x rows x 7 with rows = N * min(keep_top_k, classes * min(top_k, P))
 * (at least N, for the "no detection" rows).  The kernel sets the real
 * row count at run time. */
int lk_detout_shape(Layer *l, Net *n) {
  rt_detout_param *p = &l->p.detout;
  const rt_shape *loc = &l->bottom[0]->shape, *conf = &l->bottom[1]->shape,
                 *prior = &l->bottom[2]->shape;
  int64_t num = rt_shape_dim4(loc, 0);
  int64_t np = rt_shape_dim4(prior, 2) / 4;
  int64_t nlc = p->share_location ? 1 : p->num_classes;
  if (prior->nd < 3 || rt_shape_dim4(prior, 1) != 2 || np <= 0 ||
      rt_shape_dim4(prior, 2) % 4) {
    ir_error(n, l, "prior bottom must be 1 x 2 x (num_priors * 4), got %d axes "
             "of %d x %d x %d", prior->nd, rt_shape_dim4(prior, 0),
             rt_shape_dim4(prior, 1), rt_shape_dim4(prior, 2));
    return -1;
  }
  if (rt_shape_dim4(conf, 0) != num) {
    ir_error(n, l, "loc and conf bottoms have different batch sizes %lld and %d",
             (long long)num, rt_shape_dim4(conf, 0));
    return -1;
  }
  if (rt_shape_count_range(loc, 1, loc->nd) != np * nlc * 4) {
    ir_error(n, l, "loc bottom has %lld values per image; %lld priors x %lld "
             "location classes x 4 need %lld",
             (long long)rt_shape_count_range(loc, 1, loc->nd), (long long)np,
             (long long)nlc, (long long)(np * nlc * 4));
    return -1;
  }
  if (rt_shape_count_range(conf, 1, conf->nd) != np * p->num_classes) {
    ir_error(n, l, "conf bottom has %lld values per image; %lld priors x %d "
             "classes need %lld",
             (long long)rt_shape_count_range(conf, 1, conf->nd), (long long)np,
             p->num_classes, (long long)(np * p->num_classes));
    return -1;
  }
  int64_t fg = p->num_classes;
  if (p->background_label_id >= 0 && p->background_label_id < p->num_classes) fg--;
  int64_t per_class = p->top_k > -1 && p->top_k < np ? p->top_k : np;
  int64_t per_image = fg * per_class;
  if (p->keep_top_k > -1 && p->keep_top_k < per_image) per_image = p->keep_top_k;
  int64_t rows = num * per_image;
  if (rows < num) rows = num;
  if (rows > INT32_MAX / 7) {
    ir_error(n, l, "worst-case output of %lld detections is too large",
             (long long)rows);
    return -1;
  }
  p->max_rows = (int)rows;
  int64_t d[4] = {1, 1, rows, 7};
  return ir_set_shape(n, l, &l->top[0]->shape, 4, d);
}

/* ---- float C emitter (emit_kind.h) ---- */

/* The kernel reports the rows it wrote; the program marks the rest of
 * top 0's worst-case rows. */
static void detout_emit_c_ref(EcLayer *c, const Layer *l, EcRef *r) {
  (void)c;
  r->max_rows = l->top[0]->shape.d[2];
}

const LayerOps lk_detout_ops = {
    .setup = lk_detout_setup,
    .shape = lk_detout_shape,
    .emit_c_ref = detout_emit_c_ref,
};
