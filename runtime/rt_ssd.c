/* rt_ssd.c - float kernels of the SSD detector layers (weiliu89/caffe's
 * "ssd" branch): Permute, Normalize, PriorBox and DetectionOutput.
 *
 * Semantics follow the SSD branch's CPU code; see each kernel's comment.
 * No kernel allocates: DetectionOutput takes its scratch from rt_args.ws
 * (rt_detout_ws bytes) and sorts with its own stable merge sort.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rt_det.h"
#include "rt_layers.h"

/* ---- Permute ----------------------------------------------------------- */

/* t[0] = b[0] with its axes reordered: output axis i is input axis
 * order[i].  An order shorter than the rank is completed with the missing
 * axes in increasing order (Caffe's rule; the compiler already expands it). */
void rt_permute_f32(const void *pv, const rt_args *a) {
  const rt_permute_param *p = pv;
  const rt_tensor *in = &a->b[0];
  rt_tensor *out = &a->t[0];
  int nd = in->s.nd;
  int64_t total = rt_shape_count(&in->s);
  if (total <= 0) return;
  if (nd == 0) {
    out->d[0] = in->d[0];
    return;
  }
  int order[RT_MAXDIM];
  bool used[RT_MAXDIM] = {false};
  int k = 0;
  for (int i = 0; i < p->norder && i < nd; i++) {
    order[k++] = p->order[i];
    used[p->order[i]] = true;
  }
  for (int i = 0; i < nd; i++)
    if (!used[i]) order[k++] = i;

  int64_t istr[RT_MAXDIM], pstr[RT_MAXDIM];
  int odim[RT_MAXDIM], idx[RT_MAXDIM];
  istr[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; i--) istr[i] = istr[i + 1] * in->s.d[i + 1];
  for (int i = 0; i < nd; i++) {
    pstr[i] = istr[order[i]];
    odim[i] = in->s.d[order[i]];
    idx[i] = 0;
  }
  const int inner = odim[nd - 1];
  const int64_t st = pstr[nd - 1];
  int64_t off = 0;
  for (int64_t o = 0; o < total; o += inner) {
    const float *src = in->d + off;
    float *dst = out->d + o;
    if (st == 1) {
      memcpy(dst, src, (size_t)inner * sizeof(float));
    } else {
      for (int j = 0; j < inner; j++) dst[j] = src[(int64_t)j * st];
    }
    for (int d = nd - 2; d >= 0; d--) {
      off += pstr[d];
      if (++idx[d] < odim[d]) break;
      off -= pstr[d] * odim[d];
      idx[d] = 0;
    }
  }
}

/* ---- Normalize --------------------------------------------------------- */

#define NORM_TILE 256

/* L2 normalization of b[0] read as legacy N x C x H x W (missing trailing
 * dims = 1), then a scale from w[0] (one value, or one per channel).
 * across_spatial: per image, y = x / sqrt(sum_{c,h,w} x^2 + eps);
 * otherwise per position, y = x / sqrt(sum_c x^2 + eps).  Safe in place. */
void rt_normalize_f32(const void *pv, const rt_args *a) {
  const rt_normalize_param *p = pv;
  const rt_tensor *in = &a->b[0];
  float *y = a->t[0].d;
  const float *scale = a->w[0].d;
  const int num = rt_shape_dim4(&in->s, 0);
  const int ch = rt_shape_dim4(&in->s, 1);
  const int64_t sp = (int64_t)rt_shape_dim4(&in->s, 2) * rt_shape_dim4(&in->s, 3);
  const int64_t dim = (int64_t)ch * sp;
  for (int n = 0; n < num; n++) {
    const float *x = in->d + (int64_t)n * dim;
    float *yo = y + (int64_t)n * dim;
    if (p->across_spatial) {
      double sum = 0;
      for (int64_t i = 0; i < dim; i++) sum += (double)x[i] * x[i];
      float norm = sqrtf((float)sum + p->eps);
      float inv = (float)(1.0 / norm);
      for (int c = 0; c < ch; c++) {
        float s = scale[p->channel_shared ? 0 : c];
        const float *xc = x + (int64_t)c * sp;
        float *yc = yo + (int64_t)c * sp;
        for (int64_t i = 0; i < sp; i++) yc[i] = xc[i] * inv * s;
      }
      continue;
    }
    float acc[NORM_TILE];
    for (int64_t s0 = 0; s0 < sp; s0 += NORM_TILE) {
      const int m = (int)(sp - s0 < NORM_TILE ? sp - s0 : NORM_TILE);
      for (int j = 0; j < m; j++) acc[j] = p->eps;
      for (int c = 0; c < ch; c++) {
        const float *xc = x + (int64_t)c * sp + s0;
        for (int j = 0; j < m; j++) acc[j] += xc[j] * xc[j];
      }
      for (int j = 0; j < m; j++) acc[j] = sqrtf(acc[j]);
      for (int c = 0; c < ch; c++) {
        const float s = scale[p->channel_shared ? 0 : c];
        const float *xc = x + (int64_t)c * sp + s0;
        float *yc = yo + (int64_t)c * sp + s0;
        for (int j = 0; j < m; j++) yc[j] = xc[j] / acc[j] * s;
      }
    }
  }
}

/* ---- PriorBox ---------------------------------------------------------- */

/* Writes one box (center, size in pixels) normalized by the image size. */
static float *prior_put(float *o, float cx, float cy, float bw, float bh,
                        int img_w, int img_h) {
  o[0] = (float)((cx - bw / 2.) / img_w);
  o[1] = (float)((cy - bh / 2.) / img_h);
  o[2] = (float)((cx + bw / 2.) / img_w);
  o[3] = (float)((cy + bh / 2.) / img_h);
  return o + 4;
}

/* Prior boxes for the feature map b[0] over the image b[1] (or the fixed
 * img_h/img_w).  Per location (row-major), per min_size: the min box, the
 * sqrt(min*max) box when max sizes are given, then one box per aspect
 * ratio other than 1.  Sizes stay fractional (min_size: 51.2 gives boxes
 * of 51.2 pixels, as OpenCV and later SSD Caffe do; the first SSD release
 * truncated them to integers).  t[0] = 1 x 2 x (H*W*num_priors*4): boxes, then variances. */
void rt_priorbox_f32(const void *pv, const rt_args *a) {
  const rt_priorbox_param *p = pv;
  const int lh = rt_shape_dim4(&a->b[0].s, 2), lw = rt_shape_dim4(&a->b[0].s, 3);
  int img_h = p->img_h, img_w = p->img_w;
  if (img_h == 0 || img_w == 0) {
    img_h = rt_shape_dim4(&a->b[1].s, 2);
    img_w = rt_shape_dim4(&a->b[1].s, 3);
  }
  float step_h = p->step_h, step_w = p->step_w;
  if (step_h == 0 || step_w == 0) {
    step_w = (float)img_w / lw;
    step_h = (float)img_h / lh;
  }
  const int np = p->nar * p->nmin + p->nmax;
  const int64_t dim = (int64_t)lh * lw * np * 4;
  float *o = a->t[0].d;
  for (int h = 0; h < lh; h++) {
    for (int w = 0; w < lw; w++) {
      const float cx = (w + p->offset) * step_w;
      const float cy = (h + p->offset) * step_h;
      for (int s = 0; s < p->nmin; s++) {
        const float mn = p->min_size[s];
        o = prior_put(o, cx, cy, mn, mn, img_w, img_h);
        double big = 0;
        if (p->nmax > 0) {
          const float mx = p->max_size[s];
          big = sqrt((double)mn * mx);
          o = prior_put(o, cx, cy, (float)big, (float)big, img_w, img_h);
        }
        for (int r = 0; r < p->nar; r++) {
          const float ar = p->aspect[r];
          if (fabs(ar - 1.) < 1e-6) continue;
          /* SSD sizes the aspect-ratio boxes from min_size, with or
           * without max_size (prior_box_layer.cpp; OpenCV agrees) */
          o = prior_put(o, cx, cy, (float)(mn * sqrt(ar)),
                        (float)(mn / sqrt(ar)), img_w, img_h);
        }
      }
    }
  }
  float *box = a->t[0].d;
  if (p->clip)
    for (int64_t d = 0; d < dim; d++)
      box[d] = box[d] < 0.f ? 0.f : box[d] > 1.f ? 1.f : box[d];
  float *var = box + dim;
  for (int64_t d = 0; d < dim; d++)
    var[d] = p->nvar == 4 ? p->variance[d & 3] : p->nvar == 1 ? p->variance[0] : 0.1f;
}

/* ---- DetectionOutput --------------------------------------------------- */

typedef rt_det_item det_item;

typedef int (*det_before_fn)(const det_item *x, const det_item *y);

static int by_score(const det_item *x, const det_item *y) {
  return x->score > y->score;
}
static int by_label(const det_item *x, const det_item *y) {
  return x->label < y->label;
}

/* Stable bottom-up merge sort of v[0..n) with tmp[0..n): an item moves
 * before an earlier one only when before(later, earlier). */
static void det_sort(det_item *v, det_item *tmp, int n, det_before_fn before) {
  det_item *src = v, *dst = tmp;
  for (int w = 1; w < n; w *= 2) {
    for (int lo = 0; lo < n; lo += 2 * w) {
      int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = before(&src[j], &src[i]) ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    det_item *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
}

void rt_det_sort_score(rt_det_item *v, rt_det_item *tmp, int n) {
  det_sort(v, tmp, n, by_score);
}

/* Caffe's BBoxSize for normalized boxes: 0 for an inverted box. */
static float box_size(const float *b) {
  if (b[2] < b[0] || b[3] < b[1]) return 0.f;
  return (b[2] - b[0]) * (b[3] - b[1]);
}

/* Caffe's JaccardOverlap on normalized [xmin, ymin, xmax, ymax] boxes. */
float rt_det_iou(const float *a, const float *b) {
  if (b[0] > a[2] || b[2] < a[0] || b[1] > a[3] || b[3] < a[1]) return 0.f;
  float iw = fminf(a[2], b[2]) - fmaxf(a[0], b[0]);
  float ih = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
  if (!(iw > 0 && ih > 0)) return 0.f;
  float inter = iw * ih;
  return inter / (box_size(a) + box_size(b) - inter);
}

int rt_det_finish(float *out, int rows, int cap, int num) {
  if (rows == 0) {
    for (int n = 0; n < num && rows < cap; n++, rows++) {
      float *r = out + (int64_t)rows * 7;
      r[0] = (float)n;
      for (int k = 1; k < 7; k++) r[k] = -1.f;
    }
  }
  if (cap > rows) memset(out + (int64_t)rows * 7, 0, (size_t)(cap - rows) * 7 * sizeof(float));
  return rows;
}

int rt_det_nms(rt_det_item *cand, int m, const float *boxes, float thr, float eta) {
  int kept = 0;
  for (int j = 0; j < m; j++) {
    det_item it = cand[j];
    bool keep = true;
    for (int q = 0; q < kept && keep; q++)
      keep = rt_det_iou(boxes + (int64_t)it.idx * 4, boxes + (int64_t)cand[q].idx * 4) <= thr;
    if (keep) {
      cand[kept++] = it;
      if (eta < 1 && thr > 0.5f) thr *= eta;
    }
  }
  return kept;
}

/* Decodes one loc prediction l against prior pb with variance v. */
static void box_decode(const rt_detout_param *p, const float *pb,
                       const float *v, const float *l, float *o) {
  static const float one[4] = {1, 1, 1, 1};
  if (p->variance_encoded_in_target) v = one;
  if (p->code_type == RT_CODE_CENTER_SIZE) {
    float pw = pb[2] - pb[0], ph = pb[3] - pb[1];
    float pcx = (pb[0] + pb[2]) * 0.5f, pcy = (pb[1] + pb[3]) * 0.5f;
    float cx = v[0] * l[0] * pw + pcx, cy = v[1] * l[1] * ph + pcy;
    float w = expf(v[2] * l[2]) * pw, h = expf(v[3] * l[3]) * ph;
    o[0] = cx - w * 0.5f;
    o[1] = cy - h * 0.5f;
    o[2] = cx + w * 0.5f;
    o[3] = cy + h * 0.5f;
  } else if (p->code_type == RT_CODE_CORNER_SIZE) {
    float pw = pb[2] - pb[0], ph = pb[3] - pb[1];
    o[0] = pb[0] + v[0] * l[0] * pw;
    o[1] = pb[1] + v[1] * l[1] * ph;
    o[2] = pb[2] + v[2] * l[2] * pw;
    o[3] = pb[3] + v[3] * l[3] * ph;
  } else { /* CORNER */
    for (int k = 0; k < 4; k++) o[k] = pb[k] + v[k] * l[k];
  }
}

/* Priors P = prior.height() / 4 as in Caffe (prior is 1 x 2 x P*4). */
static int det_priors(const rt_args *a) {
  return rt_shape_dim4(&a->b[2].s, 2) / 4;
}

static size_t det_align(size_t n) { return (n + 15) & ~(size_t)15; }

/* Scratch: decoded boxes of one image, then two item arrays (candidates /
 * kept detections and the merge sort's buffer) of num_classes * P each. */
size_t rt_detout_ws(const void *pv, const rt_args *a) {
  const rt_detout_param *p = pv;
  size_t np = (size_t)det_priors(a);
  size_t nlc = p->share_location ? 1 : (size_t)p->num_classes;
  size_t items = (size_t)p->num_classes * np;
  return det_align(np * nlc * 4 * sizeof(float)) + 2 * det_align(items * sizeof(det_item));
}

/* Per image: decode the boxes, keep each non-background class's scores
 * above confidence_threshold (the top_k best), greedy NMS (adaptive with
 * eta < 1), then the keep_top_k best over all classes.  Rows are written
 * image by image, label ascending, by descending score within a label (ties
 * keep prior order).  With no detection at all, one row [i, -1, ...] per
 * image, as Caffe.  Sets a->t[0].s.d[2] to the row count and zeroes the
 * rest of the top's preallocated rows. */
void rt_detout_f32(const void *pv, const rt_args *a) {
  const rt_detout_param *p = pv;
  const int num = rt_shape_dim4(&a->b[0].s, 0);
  const int np = det_priors(a);
  const int ncls = p->num_classes;
  const int nlc = p->share_location ? 1 : ncls;
  const float *loc = a->b[0].d, *conf = a->b[1].d, *prior = a->b[2].d;
  const float *pvar = prior + (int64_t)np * 4;
  rt_tensor *top = &a->t[0];
  const int cap = p->max_rows > 0 ? p->max_rows : top->s.d[2];
  float *out = top->d;

  char *ws = a->ws;
  float *boxes = (float *)ws;
  ws += det_align((size_t)np * nlc * 4 * sizeof(float));
  det_item *items = (det_item *)ws;
  ws += det_align((size_t)ncls * np * sizeof(det_item));
  det_item *tmp = (det_item *)ws;
  const float thr = p->confidence_threshold;

  int rows = 0;
  for (int n = 0; n < num; n++) {
    const float *ln = loc + (int64_t)n * np * nlc * 4;
    const float *cn = conf + (int64_t)n * np * ncls;
    for (int lc = 0; lc < nlc; lc++) {
      if (!p->share_location && lc == p->background_label_id) continue;
      for (int i = 0; i < np; i++)
        box_decode(p, prior + (int64_t)i * 4, pvar + (int64_t)i * 4,
                   ln + ((int64_t)i * nlc + lc) * 4,
                   boxes + ((int64_t)lc * np + i) * 4);
    }
    int ndet = 0;
    for (int c = 0; c < ncls; c++) {
      if (c == p->background_label_id) continue;
      const float *bc = boxes + (int64_t)(p->share_location ? 0 : c) * np * 4;
      det_item *cand = items + ndet;
      int m = 0;
      for (int i = 0; i < np; i++) {
        float s = cn[(int64_t)i * ncls + c];
        if (s > thr) cand[m++] = (det_item){s, c, i};
      }
      det_sort(cand, tmp, m, by_score);
      if (p->top_k > -1 && p->top_k < m) m = p->top_k;
      ndet += rt_det_nms(cand, m, bc, p->nms_threshold, p->eta);
    }
    if (p->keep_top_k > -1 && ndet > p->keep_top_k) {
      det_sort(items, tmp, ndet, by_score);
      ndet = p->keep_top_k;
      det_sort(items, tmp, ndet, by_label);
    }
    for (int j = 0; j < ndet && rows < cap; j++, rows++) {
      const det_item *it = &items[j];
      const float *b = boxes + ((int64_t)(p->share_location ? 0 : it->label) * np + it->idx) * 4;
      float *r = out + (int64_t)rows * 7;
      r[0] = (float)n;
      r[1] = (float)it->label;
      r[2] = it->score;
      r[3] = b[0];
      r[4] = b[1];
      r[5] = b[2];
      r[6] = b[3];
    }
  }
  top->s.d[2] = rt_det_finish(out, rows, cap, num);
}
