/* test_kernels_ssd.c - the SSD layers: Permute, Normalize, PriorBox and
 * DetectionOutput kernels (runtime/rt_ssd.c) against values computed
 * independently (numpy or by hand), and their compiler hooks
 * (compiler/layers/{permute,normalize,priorbox,detout}.c): parameter
 * parsing, Caffe's checks with their messages, and shape inference. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compiler/ir.h"
#include "../runtime/rt_layers.h"
#include "caffe.pb-c.h"

#define TOL 1e-5f

static void expect_vec(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= TOL * (1 + fabsf(want[i])),
                  "element %d: got %.8g, want %.8g", i, got[i], want[i]);
}

static rt_tensor tens(rt_shape s, float *d) { return (rt_tensor){s, d}; }

/* ---- Permute ---- */

static void run_permute(int nd, const int *dims, int norder, const int *order,
                        const float *want) {
  float in[64], out[64];
  rt_shape s = rt_shape_make(nd, dims);
  int64_t n = rt_shape_count(&s);
  for (int i = 0; i < n; i++) in[i] = (float)i;
  rt_permute_param p = {.norder = norder};
  for (int i = 0; i < norder; i++) p.order[i] = order[i];
  rt_tensor b = tens(s, in), t = tens(s, out); /* top shape unused */
  rt_args a = {.nb = 1, .nt = 1, .b = &b, .t = &t};
  rt_permute_f32(&p, &a);
  expect_vec(out, want, (int)n);
}

START_TEST(permute_3d) {
  static const int d[3] = {2, 3, 4};
  static const float w201[24] = {0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21,
                                 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23};
  run_permute(3, d, 3, (const int[]){2, 0, 1}, w201);
  /* partial order {1}: completed to {1, 0, 2} as Caffe does */
  static const float w102[24] = {0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7,
                                 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23};
  run_permute(3, d, 1, (const int[]){1}, w102);
  float id[24];
  for (int i = 0; i < 24; i++) id[i] = (float)i;
  run_permute(3, d, 0, NULL, id);
}
END_TEST

START_TEST(permute_nchw_to_nhwc_batch2) {
  static const int d[4] = {2, 2, 2, 3};
  static const float w[24] = {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11,
                              12, 18, 13, 19, 14, 20, 15, 21, 16, 22, 17, 23};
  run_permute(4, d, 4, (const int[]){0, 2, 3, 1}, w);
}
END_TEST

/* ---- Normalize ---- */

static const float norm_x[24] = {1, -2, 3, 0.5f, 2, 2, -1, 1, 0, 1, 4, -3,
                                 -1, 0.5f, 2, 2, 3, -1, 1, 0, 2, 2, -2, 1};

START_TEST(normalize_per_position_channel_scale) {
  static const float want[24] = {
      0.89442719f, -1.33333333f, 1.17669681f, 0.31234752f, 0.44721360f,
      0.33333333f, -0.09805807f, 0.15617376f, 0.0f, -0.33333333f,
      -0.78446454f, 0.93704257f, -0.53452248f, 0.43643578f, 1.33333333f,
      1.78885438f, 0.40089186f, -0.21821789f, 0.16666667f, 0.0f,
      -0.53452248f, -0.87287156f, 0.66666667f, -0.44721360f};
  float out[24], scale[3] = {2, 0.5f, -1};
  rt_tensor b = tens(rt_shape4(2, 3, 2, 2), (float *)norm_x);
  rt_tensor t = tens(b.s, out), w = tens(rt_shape_make(1, (int[]){3}), scale);
  rt_args a = {.nb = 1, .nt = 1, .nw = 1, .b = &b, .t = &t, .w = &w};
  rt_normalize_param p = {.across_spatial = false, .channel_shared = false, .eps = 1e-10f};
  rt_normalize_f32(&p, &a);
  expect_vec(out, want, 24);
  /* in place gives the same */
  float io[24];
  memcpy(io, norm_x, sizeof io);
  b.d = io;
  t.d = io;
  rt_normalize_f32(&p, &a);
  expect_vec(io, want, 24);
}
END_TEST

START_TEST(normalize_across_spatial_shared) {
  static const float want[24] = {
      0.42320737f, -0.84641474f, 1.26962211f, 0.21160368f, 0.84641474f,
      0.84641474f, -0.42320737f, 0.42320737f, 0.0f, 0.42320737f,
      1.69282948f, -1.26962211f, -0.52026598f, 0.26013299f, 1.04053196f,
      1.04053196f, 1.56079795f, -0.52026598f, 0.52026598f, 0.0f,
      1.04053196f, 1.04053196f, -1.04053196f, 0.52026598f};
  float out[24], scale[1] = {3};
  rt_tensor b = tens(rt_shape4(2, 3, 2, 2), (float *)norm_x);
  rt_tensor t = tens(b.s, out), w = tens(rt_shape_make(0, NULL), scale);
  rt_args a = {.nb = 1, .nt = 1, .nw = 1, .b = &b, .t = &t, .w = &w};
  rt_normalize_param p = {.across_spatial = true, .channel_shared = true, .eps = 1e-10f};
  rt_normalize_f32(&p, &a);
  expect_vec(out, want, 24);
}
END_TEST

START_TEST(normalize_eps_inside_sqrt) {
  /* all-zero position: y = 0 / sqrt(0 + eps) = 0; x = 3 with eps 16:
   * 3 / sqrt(9 + 16) = 0.6 (eps is added before the square root). */
  float x[2] = {0, 3}, out[2], scale[1] = {1};
  rt_tensor b = tens(rt_shape_make(2, (int[]){2, 1}), x);
  rt_tensor t = tens(b.s, out), w = tens(rt_shape_make(0, NULL), scale);
  rt_args a = {.nb = 1, .nt = 1, .nw = 1, .b = &b, .t = &t, .w = &w};
  rt_normalize_param p = {.across_spatial = false, .channel_shared = true, .eps = 16};
  rt_normalize_f32(&p, &a);
  expect_vec(out, (const float[]){0, 0.6f}, 2);
}
END_TEST

/* ---- PriorBox ---- */

START_TEST(priorbox_min_max_flip) {
  /* feature 1 x 2, image 8 x 10 (from bottom 1): step 5 x 8, min_size 2.7
   * kept fractional (as OpenCV; the first SSD release truncated it to 2),
   * max 4, aspect 2 with flip.  The aspect-ratio boxes are sized from
   * min_size, not sqrt(min*max).  Values from the formulas in double. */
  static const float want[32] = {
      0.11500000f, 0.33125000f, 0.38500000f, 0.66875000f, 0.08568323f, 0.29460404f,
      0.41431677f, 0.70539596f, 0.05908117f, 0.38067573f, 0.44091883f, 0.61932427f,
      0.15454058f, 0.26135146f, 0.34545942f, 0.73864854f, 0.61500000f, 0.33125000f,
      0.88500000f, 0.66875000f, 0.58568323f, 0.29460404f, 0.91431677f, 0.70539596f,
      0.55908117f, 0.38067573f, 0.94091883f, 0.61932427f, 0.65454058f, 0.26135146f,
      0.84545942f, 0.73864854f};
  float fm[2] = {0}, img[80] = {0}, out[64];
  rt_tensor b[2] = {tens(rt_shape4(1, 1, 1, 2), fm), tens(rt_shape4(1, 1, 8, 10), img)};
  rt_tensor t = tens(rt_shape_make(3, (int[]){1, 2, 32}), out);
  rt_args a = {.nb = 2, .nt = 1, .b = b, .t = &t};
  rt_priorbox_param p = {.nmin = 1, .nmax = 1, .nar = 3, .nvar = 4,
                         .min_size = {2.7f}, .max_size = {4},
                         .aspect = {1, 2, 0.5f}, .variance = {0.1f, 0.2f, 0.3f, 0.4f},
                         .offset = 0.5f};
  rt_priorbox_f32(&p, &a);
  expect_vec(out, want, 32);
  for (int i = 0; i < 32; i++)
    ck_assert_float_eq(out[32 + i], p.variance[i % 4]);
}
END_TEST

START_TEST(priorbox_clip_fixed_image_step) {
  /* img 8 x 10 given (bottom 1 is 100 x 100), step 4: center (2, 2),
   * box 8 x 8 -> (-0.2, -0.25, 0.6, 0.75) clipped to (0, 0, 0.6, 0.75). */
  float fm[1] = {0}, img[1] = {0}, out[8];
  rt_tensor b[2] = {tens(rt_shape4(1, 1, 1, 1), fm), tens(rt_shape4(1, 1, 100, 100), img)};
  rt_tensor t = tens(rt_shape_make(3, (int[]){1, 2, 4}), out);
  rt_args a = {.nb = 2, .nt = 1, .b = b, .t = &t};
  rt_priorbox_param p = {.nmin = 1, .nar = 1, .nvar = 1, .min_size = {8},
                         .aspect = {1}, .variance = {0.1f}, .clip = true,
                         .img_h = 8, .img_w = 10, .step_h = 4, .step_w = 4,
                         .offset = 0.5f};
  rt_priorbox_f32(&p, &a);
  expect_vec(out, (const float[]){0, 0, 0.6f, 0.75f, 0.1f, 0.1f, 0.1f, 0.1f}, 8);
}
END_TEST

/* ---- DetectionOutput ---- */

typedef struct DetCase {
  rt_detout_param p;
  int num, np;
  const float *loc, *conf, *prior;
  float out[16 * 7];
  void *ws;
} DetCase;

/* Runs the kernel with a top of `cap` rows; returns the row count. */
static int run_detout(DetCase *c, int cap) {
  int nlc = c->p.share_location ? 1 : c->p.num_classes;
  rt_tensor b[3] = {
      tens(rt_shape_make(2, (int[]){c->num, c->np * nlc * 4}), (float *)c->loc),
      tens(rt_shape_make(2, (int[]){c->num, c->np * c->p.num_classes}), (float *)c->conf),
      tens(rt_shape_make(3, (int[]){1, 2, c->np * 4}), (float *)c->prior)};
  for (int i = 0; i < 16 * 7; i++) c->out[i] = 99;
  rt_tensor t = tens(rt_shape4(1, 1, cap, 7), c->out);
  rt_args a = {.nb = 3, .nt = 1, .b = b, .t = &t};
  a.wsz = rt_detout_ws(&c->p, &a);
  c->ws = malloc(a.wsz);
  a.ws = c->ws;
  rt_detout_f32(&c->p, &a);
  free(c->ws);
  ck_assert_int_eq(t.s.d[2] <= cap, 1);
  for (int i = t.s.d[2] * 7; i < cap * 7; i++) ck_assert_float_eq(c->out[i], 0);
  return t.s.d[2];
}

/* Three priors; 0 and 1 overlap with IoU 0.16 / 0.34 = 0.47. */
static const float prior3[24] = {0, 0, 0.5f, 0.5f, 0.1f, 0.1f, 0.6f, 0.6f,
                                 0.5f, 0.5f, 1, 1,
                                 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f,
                                 0.1f, 0.1f, 0.1f, 0.1f};

static rt_detout_param det_default(void) {
  return (rt_detout_param){.num_classes = 2, .share_location = true,
                           .background_label_id = 0, .nms_threshold = 0.45f,
                           .eta = 1, .top_k = -1, .keep_top_k = -1,
                           .confidence_threshold = 0.01f,
                           .code_type = RT_CODE_CORNER};
}

START_TEST(detout_nms_corner_batch2) {
  /* image 0: class 1 scores 0.9, 0.8, 0.7: prior 1 is suppressed by 0.
   * image 1: all class-1 scores below threshold: no rows for it. */
  static const float loc[2 * 12] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, -1, -1};
  static const float conf[2 * 6] = {0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f,
                                    1, 0.005f, 1, 0, 1, 0.01f};
  DetCase c = {.p = det_default(), .num = 2, .np = 3, .loc = loc, .conf = conf,
               .prior = prior3};
  int rows = run_detout(&c, 8);
  ck_assert_int_eq(rows, 2);
  /* CORNER: box = prior + 0.1 * loc */
  expect_vec(c.out, (const float[]){0, 1, 0.9f, 0, 0, 0.5f, 0.5f,
                                    0, 1, 0.7f, 0.6f, 0.6f, 0.9f, 0.9f}, 14);
  /* a threshold above 0.47 keeps all three, best first */
  c.p.nms_threshold = 0.5f;
  ck_assert_int_eq(run_detout(&c, 8), 3);
  ck_assert_float_eq(c.out[2], 0.9f);
  ck_assert_float_eq(c.out[9], 0.8f);
  ck_assert_float_eq(c.out[16], 0.7f);
  /* top_k 1: only the best candidate per class enters NMS */
  c.p.top_k = 1;
  ck_assert_int_eq(run_detout(&c, 8), 1);
}
END_TEST

START_TEST(detout_no_detection_rows) {
  static const float loc[2 * 12] = {0};
  static const float conf[2 * 6] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
  DetCase c = {.p = det_default(), .num = 2, .np = 3, .loc = loc, .conf = conf,
               .prior = prior3};
  ck_assert_int_eq(run_detout(&c, 4), 2);
  expect_vec(c.out, (const float[]){0, -1, -1, -1, -1, -1, -1,
                                    1, -1, -1, -1, -1, -1, -1}, 14);
}
END_TEST

START_TEST(detout_keep_top_k_label_order) {
  /* 3 classes, background 0, share_location, no overlap suppression
   * (threshold 1).  Scores: class 1: 0.5 0.9 0.1; class 2: 0.8 0.2 0.6.
   * keep_top_k 3 keeps 0.9 (c1), 0.8 (c2), 0.6 (c2); rows by label, then
   * by score. */
  static const float loc[12] = {0};
  static const float conf[9] = {0, 0.5f, 0.8f, 0, 0.9f, 0.2f, 0, 0.1f, 0.6f};
  DetCase c = {.p = det_default(), .num = 1, .np = 3, .loc = loc, .conf = conf,
               .prior = prior3};
  c.p.num_classes = 3;
  c.p.nms_threshold = 1;
  c.p.keep_top_k = 3;
  ck_assert_int_eq(run_detout(&c, 6), 3);
  const float want[3][3] = {{1, 0.9f, 0.1f}, {2, 0.8f, 0}, {2, 0.6f, 0.5f}};
  for (int r = 0; r < 3; r++) {
    ck_assert_float_eq(c.out[r * 7 + 1], want[r][0]);
    ck_assert_float_eq(c.out[r * 7 + 2], want[r][1]);
    ck_assert_float_eq(c.out[r * 7 + 3], want[r][2]); /* xmin of the prior */
  }
  /* without keep_top_k: all 6 scores are above 0.01 */
  c.p.keep_top_k = -1;
  ck_assert_int_eq(run_detout(&c, 8), 6);
  ck_assert_float_eq(c.out[2], 0.9f);  /* label 1 first, by score */
  ck_assert_float_eq(c.out[9], 0.5f);
  ck_assert_float_eq(c.out[16], 0.1f);
  ck_assert_float_eq(c.out[23], 0.8f); /* then label 2 */
}
END_TEST

START_TEST(detout_decode_center_and_corner_size) {
  /* prior (0.2, 0.2, 0.6, 0.4): w 0.4, h 0.2, center (0.4, 0.3);
   * variance 0.1 0.1 0.2 0.2.  CENTER_SIZE with loc (1, -1, 0, 5 ln 2):
   * center (0.44, 0.28), size 0.4 x 0.4 -> (0.24, 0.08, 0.64, 0.48). */
  static const float prior[8] = {0.2f, 0.2f, 0.6f, 0.4f, 0.1f, 0.1f, 0.2f, 0.2f};
  float loc[4] = {1, -1, 0, 5 * 0.69314718f};
  static const float conf[2] = {0, 1};
  DetCase c = {.p = det_default(), .num = 1, .np = 1, .loc = loc, .conf = conf,
               .prior = prior};
  c.p.code_type = RT_CODE_CENTER_SIZE;
  ck_assert_int_eq(run_detout(&c, 1), 1);
  expect_vec(c.out + 3, (const float[]){0.24f, 0.08f, 0.64f, 0.48f}, 4);
  /* variance_encoded_in_target: loc used as is: center (0.8, 0.1),
   * w 0.4, h 0.2 * 2^5 = 6.4 */
  c.p.variance_encoded_in_target = true;
  loc[0] = 1;
  loc[1] = -1;
  loc[2] = 0;
  loc[3] = 5 * 0.69314718f;
  run_detout(&c, 1);
  expect_vec(c.out + 3, (const float[]){0.6f, -3.1f, 1.0f, 3.3f}, 4);
  /* CORNER_SIZE with loc (1, 1, -1, -1), variance 0.1 0.1 0.2 0.2:
   * (0.2 + 0.04, 0.2 + 0.02, 0.6 - 0.08, 0.4 - 0.04) */
  c.p.variance_encoded_in_target = false;
  c.p.code_type = RT_CODE_CORNER_SIZE;
  loc[0] = 1;
  loc[1] = 1;
  loc[2] = -1;
  loc[3] = -1;
  run_detout(&c, 1);
  expect_vec(c.out + 3, (const float[]){0.24f, 0.22f, 0.52f, 0.36f}, 4);
}
END_TEST

START_TEST(detout_per_class_location) {
  /* share_location false: loc has one box per class (background's is
   * skipped); class 1 uses offsets +1, class 2 offsets -1 (CORNER, var 0.1). */
  static const float prior[8] = {0.2f, 0.2f, 0.6f, 0.6f, 0.1f, 0.1f, 0.1f, 0.1f};
  static const float loc[12] = {9, 9, 9, 9, 1, 1, 1, 1, -1, -1, -1, -1};
  static const float conf[3] = {0.1f, 0.3f, 0.6f};
  DetCase c = {.p = det_default(), .num = 1, .np = 1, .loc = loc, .conf = conf,
               .prior = prior};
  c.p.num_classes = 3;
  c.p.share_location = false;
  ck_assert_int_eq(run_detout(&c, 2), 2);
  expect_vec(c.out, (const float[]){0, 1, 0.3f, 0.3f, 0.3f, 0.7f, 0.7f,
                                    0, 2, 0.6f, 0.1f, 0.1f, 0.5f, 0.5f}, 14);
}
END_TEST

START_TEST(detout_adaptive_eta) {
  /* eta 0.5 with nms 0.6: after the first kept box the threshold drops to
   * 0.3, so the second box (IoU 0.47 with the first) is suppressed although
   * 0.47 <= 0.6. */
  static const float loc[12] = {0};
  static const float conf[6] = {0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f};
  DetCase c = {.p = det_default(), .num = 1, .np = 3, .loc = loc, .conf = conf,
               .prior = prior3};
  c.p.nms_threshold = 0.6f;
  ck_assert_int_eq(run_detout(&c, 4), 3);
  c.p.eta = 0.5f;
  ck_assert_int_eq(run_detout(&c, 4), 2);
}
END_TEST

/* ---- compiler hooks ---- */

typedef struct Fix {
  Arena ar;
  Diag dg;
  char *msg;
  size_t msglen;
  FILE *f;
  Net n;
  Layer l;
  Blob blobs[5], *bot[4], *top[1];
  Caffe__LayerParameter lp;
} Fix;

static Fix *fix_new(const char *type, int nb, const rt_shape *bshapes) {
  Fix *x = calloc(1, sizeof *x);
  x->f = open_memstream(&x->msg, &x->msglen);
  diag_init(&x->dg, x->f);
  x->n.ar = &x->ar;
  x->n.dg = &x->dg;
  x->n.file = "t.prototxt";
  caffe__layer_parameter__init(&x->lp);
  x->l.name = "L";
  x->l.type = type;
  x->l.loc = (SrcLoc){"t.prototxt", 3, 1};
  x->l.lp = &x->lp;
  x->l.nbottom = nb;
  x->l.ntop = 1;
  for (int i = 0; i < nb; i++) {
    x->blobs[i].shape = bshapes[i];
    x->bot[i] = &x->blobs[i];
  }
  x->top[0] = &x->blobs[4];
  x->l.bottom = x->bot;
  x->l.top = x->top;
  return x;
}

static const char *fix_msg(Fix *x) {
  fflush(x->f);
  return x->msg ? x->msg : "";
}

static void fix_free(Fix *x) {
  fclose(x->f);
  free(x->msg);
  ar_free(&x->ar);
  free(x);
}

#define ASSERT_MSG(x, text) \
  ck_assert_msg(strstr(fix_msg(x), text), "message '%s' lacks '%s'", fix_msg(x), text)

START_TEST(hook_permute) {
  rt_shape s = rt_shape4(2, 3, 4, 5);
  Fix *x = fix_new("Permute", 1, &s);
  Caffe__PermuteParameter pp = CAFFE__PERMUTE_PARAMETER__INIT;
  uint32_t ord[2] = {0, 2};
  pp.n_order = 2;
  pp.order = ord;
  x->lp.permute_param = &pp;
  ck_assert_int_eq(lk_permute_setup(&x->l, &x->n), 0);
  ck_assert_int_eq(lk_permute_shape(&x->l, &x->n), 0);
  rt_shape want = rt_shape4(2, 4, 3, 5);
  ck_assert(rt_shape_eq(&x->top[0]->shape, &want));
  ck_assert_int_eq(x->l.p.permute.norder, 4);
  ck_assert_int_eq(x->l.p.permute.order[2], 1);
  ck_assert_int_eq(x->l.p.permute.order[3], 3);
  /* duplicates and out-of-range axes */
  ord[1] = 0;
  ck_assert_int_eq(lk_permute_setup(&x->l, &x->n), 0);
  ck_assert_int_eq(lk_permute_shape(&x->l, &x->n), -1);
  ASSERT_MSG(x, "t.prototxt:3:1: error: layer 'L' (Permute): order 0 is given twice");
  ord[1] = 4;
  ck_assert_int_eq(lk_permute_setup(&x->l, &x->n), 0);
  ck_assert_int_eq(lk_permute_shape(&x->l, &x->n), -1);
  ASSERT_MSG(x, "order 4 should be less than the bottom's 4 axes");
  fix_free(x);
}
END_TEST

START_TEST(hook_normalize) {
  rt_shape s = rt_shape4(1, 8, 3, 3);
  Fix *x = fix_new("Normalize", 1, &s);
  ck_assert_int_eq(lk_normalize_setup(&x->l, &x->n), 0); /* no norm_param */
  ck_assert(x->l.p.normalize.across_spatial && x->l.p.normalize.channel_shared);
  ck_assert_float_eq(x->l.p.normalize.eps, 1e-10f);
  ck_assert_int_eq(lk_normalize_shape(&x->l, &x->n), 0);
  ck_assert_int_eq(x->l.nweight, 1);
  ck_assert_int_eq(x->l.weight[0].expect.nd, 0);
  ck_assert(rt_shape_eq(&x->top[0]->shape, &s));
  Caffe__NormalizeParameter np = CAFFE__NORMALIZE_PARAMETER__INIT;
  np.has_channel_shared = 1;
  np.channel_shared = 0;
  np.has_across_spatial = 1;
  np.across_spatial = 0;
  x->lp.norm_param = &np;
  ck_assert_int_eq(lk_normalize_setup(&x->l, &x->n), 0);
  ck_assert_int_eq(lk_normalize_shape(&x->l, &x->n), 0);
  ck_assert_int_eq(x->l.weight[0].expect.nd, 1);
  ck_assert_int_eq(x->l.weight[0].expect.d[0], 8);
  x->blobs[0].shape = rt_shape_make(1, (int[]){8});
  ck_assert_int_eq(lk_normalize_shape(&x->l, &x->n), -1);
  ASSERT_MSG(x, "expects a bottom with 2 to 4 axes (N x C x H x W), got 1");
  fix_free(x);
}
END_TEST

START_TEST(hook_priorbox) {
  rt_shape s[2] = {rt_shape4(1, 16, 3, 4), rt_shape4(1, 3, 24, 32)};
  Fix *x = fix_new("PriorBox", 2, s);
  ck_assert_int_eq(lk_priorbox_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "missing prior_box_param");
  Caffe__PriorBoxParameter pb = CAFFE__PRIOR_BOX_PARAMETER__INIT;
  float mn[1] = {4}, mx[1] = {8}, ar[3] = {2, 2.0000001f, 3}, var[2] = {0.1f, 0.2f};
  pb.n_min_size = 1;
  pb.min_size = mn;
  pb.n_max_size = 1;
  pb.max_size = mx;
  pb.n_aspect_ratio = 3;
  pb.aspect_ratio = ar;
  x->lp.prior_box_param = &pb;
  ck_assert_int_eq(lk_priorbox_setup(&x->l, &x->n), 0);
  const rt_priorbox_param *p = &x->l.p.priorbox;
  ck_assert_int_eq(p->nar, 5); /* 1, 2, 1/2, 3, 1/3 */
  ck_assert_float_eq_tol(p->aspect[4], 1.f / 3, 1e-7f);
  ck_assert_int_eq(p->nvar, 1);
  ck_assert_float_eq(p->variance[0], 0.1f);
  ck_assert_float_eq(p->offset, 0.5f);
  ck_assert_int_eq(lk_priorbox_shape(&x->l, &x->n), 0);
  rt_shape want = rt_shape_make(3, (int[]){1, 2, 3 * 4 * 6 * 4});
  ck_assert(rt_shape_eq(&x->top[0]->shape, &want));
  /* Caffe's checks */
  pb.n_variance = 2;
  pb.variance = var;
  ck_assert_int_eq(lk_priorbox_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "needs 1 or 4 variance values, got 2");
  pb.n_variance = 0;
  mx[0] = 4;
  ck_assert_int_eq(lk_priorbox_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "max_size 4 must be greater than min_size 4");
  mx[0] = 8;
  pb.has_img_h = 1;
  pb.img_h = 10;
  ck_assert_int_eq(lk_priorbox_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "give either img_size or both img_h and img_w, all positive");
  pb.has_img_h = 0;
  pb.has_step = 1;
  pb.step = 8;
  pb.has_step_w = 1;
  pb.step_w = 8;
  ck_assert_int_eq(lk_priorbox_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "give either step or both step_h and step_w, all positive");
  fix_free(x);
}
END_TEST

START_TEST(hook_detout) {
  /* 10 priors, 3 classes */
  rt_shape s[3] = {rt_shape_make(2, (int[]){2, 40}), rt_shape_make(2, (int[]){2, 30}),
                   rt_shape_make(3, (int[]){1, 2, 40})};
  Fix *x = fix_new("DetectionOutput", 3, s);
  Caffe__DetectionOutputParameter dp = CAFFE__DETECTION_OUTPUT_PARAMETER__INIT;
  Caffe__NonMaximumSuppressionParameter nms = CAFFE__NON_MAXIMUM_SUPPRESSION_PARAMETER__INIT;
  x->lp.detection_output_param = &dp;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "num_classes must be given and positive");
  dp.has_num_classes = 1;
  dp.num_classes = 3;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), 0);
  const rt_detout_param *p = &x->l.p.detout;
  ck_assert_float_eq(p->nms_threshold, 0.3f);
  ck_assert_int_eq(p->top_k, -1);
  ck_assert_int_eq(p->keep_top_k, -1);
  ck_assert_int_eq(p->code_type, RT_CODE_CORNER);
  ck_assert(p->confidence_threshold < -1e30f);
  ck_assert_int_eq(lk_detout_shape(&x->l, &x->n), 0);
  rt_shape want = rt_shape4(1, 1, 2 * 2 * 10, 7); /* N x 2 classes x P */
  ck_assert(rt_shape_eq(&x->top[0]->shape, &want));
  ck_assert_int_eq(p->max_rows, 40);
  /* top_k and keep_top_k bound the worst case */
  nms.has_top_k = 1;
  nms.top_k = 4;
  dp.nms_param = &nms;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), 0);
  ck_assert_int_eq(lk_detout_shape(&x->l, &x->n), 0);
  ck_assert_int_eq(x->top[0]->shape.d[2], 2 * 2 * 4);
  dp.has_keep_top_k = 1;
  dp.keep_top_k = 5;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), 0);
  ck_assert_int_eq(lk_detout_shape(&x->l, &x->n), 0);
  ck_assert_int_eq(x->top[0]->shape.d[2], 2 * 5);
  /* bad eta, mismatched bottoms */
  nms.has_eta = 1;
  nms.eta = 1.5f;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "eta must be in (0, 1], got 1.5");
  nms.eta = 1;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), 0);
  x->blobs[1].shape = rt_shape_make(2, (int[]){2, 20});
  ck_assert_int_eq(lk_detout_shape(&x->l, &x->n), -1);
  ASSERT_MSG(x, "conf bottom has 20 values per image; 10 priors x 3 classes need 30");
  x->l.nbottom = 2;
  ck_assert_int_eq(lk_detout_setup(&x->l, &x->n), -1);
  ASSERT_MSG(x, "got 2 and 1");
  fix_free(x);
}
END_TEST

static Suite *ssd_suite(void) {
  Suite *s = suite_create("ssd");
  TCase *k = tcase_create("kernels");
  tcase_add_test(k, permute_3d);
  tcase_add_test(k, permute_nchw_to_nhwc_batch2);
  tcase_add_test(k, normalize_per_position_channel_scale);
  tcase_add_test(k, normalize_across_spatial_shared);
  tcase_add_test(k, normalize_eps_inside_sqrt);
  tcase_add_test(k, priorbox_min_max_flip);
  tcase_add_test(k, priorbox_clip_fixed_image_step);
  tcase_add_test(k, detout_nms_corner_batch2);
  tcase_add_test(k, detout_no_detection_rows);
  tcase_add_test(k, detout_keep_top_k_label_order);
  tcase_add_test(k, detout_decode_center_and_corner_size);
  tcase_add_test(k, detout_per_class_location);
  tcase_add_test(k, detout_adaptive_eta);
  suite_add_tcase(s, k);
  TCase *h = tcase_create("hooks");
  tcase_add_test(h, hook_permute);
  tcase_add_test(h, hook_normalize);
  tcase_add_test(h, hook_priorbox);
  tcase_add_test(h, hook_detout);
  suite_add_tcase(s, h);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ssd_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
