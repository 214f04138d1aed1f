/* test_kernels_data.c - unit tests for the element-wise and data-movement
 * kernels (runtime/rt_elementwise.c, runtime/rt_data.c) and the shape rules
 * of their layer kinds (compiler/layers/{relu,...,argmax}.c).
 *
 * Expected values were worked out by hand or with a separate numpy script;
 * none comes from the code under test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caffe.pb-c.h"
#include "ir.h"
#include "rt_layers.h"
#include "rt_par.h"

#define EPS 1e-6f

static void expect_arr(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= EPS * (1.0f + fabsf(want[i])),
                  "element %d: got %g, want %g", i, got[i], want[i]);
}

static rt_tensor ten(int nd, const int *d, float *data) {
  rt_tensor t;
  t.s = rt_shape_make(nd, d);
  t.d = data;
  return t;
}

/* One bottom, one top, optional weights. */
static rt_args args1(const rt_tensor *b, rt_tensor *t, const rt_tensor *w, int nw) {
  rt_args a = {1, 1, nw, b, t, w, NULL, 0};
  return a;
}

/* ---------------- element-wise kernels ---------------- */

START_TEST(relu_plain_and_leaky) {
  float x[4] = {-2, -0.5f, 0, 3}, y[4];
  int d[1] = {4};
  rt_tensor b = ten(1, d, x), t = ten(1, d, y);
  rt_args a = args1(&b, &t, NULL, 0);
  rt_relu_param p = {0.0f};
  rt_relu_f32(&p, &a);
  expect_arr(y, (float[]){0, 0, 0, 3}, 4);
  p.negative_slope = 0.1f;
  t.d = x; /* in place */
  rt_relu_f32(&p, &a);
  expect_arr(x, (float[]){-0.2f, -0.05f, 0, 3}, 4);
}
END_TEST

START_TEST(prelu_per_channel_and_shared) {
  /* N=2, C=2, trailing 1x2 */
  float x[8] = {-1, 2, -1, 2, -4, 4, -2, -6}, y[8];
  float w[2] = {0.5f, 0.25f};
  int d[4] = {2, 2, 1, 2}, wd[1] = {2};
  rt_tensor b = ten(4, d, x), t = ten(4, d, y), wt = ten(1, wd, w);
  rt_args a = args1(&b, &t, &wt, 1);
  rt_prelu_param p = {false};
  rt_prelu_f32(&p, &a);
  expect_arr(y, (float[]){-0.5f, 2, -0.25f, 2, -2, 4, -0.5f, -1.5f}, 8);
  p.channel_shared = true;
  rt_prelu_f32(&p, &a);
  expect_arr(y, (float[]){-0.5f, 2, -0.5f, 2, -2, 4, -1, -3}, 8);
}
END_TEST

START_TEST(sigmoid_tanh_power) {
  float x[3] = {0, 1, -2}, y[3];
  int d[1] = {3};
  rt_tensor b = ten(1, d, x), t = ten(1, d, y);
  rt_args a = args1(&b, &t, NULL, 0);
  rt_none_param np = {0};
  rt_sigmoid_f32(&np, &a);
  expect_arr(y, (float[]){0.5f, 0.73105858f, 0.11920292f}, 3);
  rt_tanh_f32(&np, &a);
  expect_arr(y, (float[]){0.0f, 0.76159416f, -0.96402758f}, 3);
  float x2[3] = {0, 2, 6};
  b.d = x2;
  rt_power_param pp = {1.5f, 0.5f, 1.0f}; /* (1 + x/2)^1.5 */
  rt_power_f32(&pp, &a);
  expect_arr(y, (float[]){1.0f, 2.82842712f, 8.0f}, 3);
  pp = (rt_power_param){2.0f, 2.0f, 1.0f};
  rt_power_f32(&pp, &a);
  expect_arr(y, (float[]){1, 25, 169}, 3);
  pp = (rt_power_param){1.0f, -1.0f, 3.0f};
  rt_power_f32(&pp, &a);
  expect_arr(y, (float[]){3, 1, -3}, 3);
}
END_TEST

START_TEST(absval_values_and_shape) {
  float x[4] = {-2.0f, -0.0f, 0.0f, 3.5f}, y[4];
  int d[1] = {4};
  rt_tensor b = ten(1, d, x), t = ten(1, d, y);
  rt_args a = args1(&b, &t, NULL, 0);
  rt_none_param np = {0};
  rt_absval_f32(&np, &a);
  expect_arr(y, (float[]){2.0f, 0.0f, 0.0f, 3.5f}, 4);
  ck_assert(!signbit(y[1]));
  rt_absval_f32(&np, &(rt_args){.nb = 1, .nt = 1, .b = &b, .t = &b}); /* in place */
  expect_arr(x, (float[]){2.0f, 0.0f, 0.0f, 3.5f}, 4);
  ck_assert_int_eq(lk_from_type("AbsVal"), LK_ABSVAL);
  ck_assert_int_eq(lk_from_v1(35), LK_ABSVAL);
}
END_TEST

START_TEST(batchnorm_factor_and_zero_factor) {
  /* N=2, C=2, 1 spatial; mean sums {2,4}, var sums {2,8}, factor 2 */
  float x[4] = {3, 3, 1, 0}, y[4];
  float m[2] = {2, 4}, v[2] = {2, 8}, f[1] = {2};
  int d[2] = {2, 2}, cd[1] = {2}, od[1] = {1};
  rt_tensor b = ten(2, d, x), t = ten(2, d, y);
  rt_tensor w[3] = {ten(1, cd, m), ten(1, cd, v), ten(1, od, f)};
  rt_args a = args1(&b, &t, w, 3);
  rt_bn_param p = {0.0f};
  rt_bn_f32(&p, &a);
  expect_arr(y, (float[]){2.0f, 0.5f, 0.0f, -1.0f}, 4);
  f[0] = 0; /* mean and variance become 0: y = x / sqrt(eps) */
  p.eps = 0.25f;
  rt_bn_f32(&p, &a);
  expect_arr(y, (float[]){6, 6, 2, 0}, 4);
}
END_TEST

START_TEST(scale_blob_bias_and_two_bottoms) {
  /* 1x2x3: scale over axis 1 with bias */
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
  float s[2] = {2, -1}, bi[2] = {1, 0.5f};
  int d[3] = {1, 2, 3}, sd[1] = {2};
  rt_tensor b = ten(3, d, x), t = ten(3, d, y);
  rt_tensor w[2] = {ten(1, sd, s), ten(1, sd, bi)};
  rt_args a = args1(&b, &t, w, 2);
  rt_scale_param p = {1, 1, true};
  rt_scale_f32(&p, &a);
  expect_arr(y, (float[]){3, 5, 7, -3.5f, -4.5f, -5.5f}, 6);
  /* scale over the last axis (axis 2), no bias */
  float s3[3] = {1, 0, -1};
  int s3d[1] = {3};
  w[0] = ten(1, s3d, s3);
  p = (rt_scale_param){2, 1, false};
  rt_scale_f32(&p, &a);
  expect_arr(y, (float[]){1, 0, -3, 4, 0, -6}, 6);
  /* two bottoms: scale from b[1] (shape 2x3: axis 1, 2 axes), bias w[0] */
  float s23[6] = {1, 2, 3, 0, 0, 1}, b23[6] = {0, 0, 0, 1, 1, 1};
  int d23[2] = {2, 3};
  rt_tensor bb[2] = {b, ten(2, d23, s23)};
  w[0] = ten(2, d23, b23);
  rt_args a2 = {2, 1, 1, bb, &t, w, NULL, 0};
  p = (rt_scale_param){1, 2, true};
  rt_scale_f32(&p, &a2);
  expect_arr(y, (float[]){1, 4, 9, 1, 1, 7}, 6);
  /* Bias from one blob */
  w[0] = ten(1, sd, bi);
  p = (rt_scale_param){1, 1, false};
  rt_bias_f32(&p, &a);
  expect_arr(y, (float[]){2, 3, 4, 4.5f, 5.5f, 6.5f}, 6);
}
END_TEST

START_TEST(eltwise_ops) {
  float x0[3] = {1, -2, 3}, x1[3] = {4, 5, -6}, x2[3] = {0.5f, 10, 1}, y[3];
  int d[1] = {3};
  rt_tensor b[3] = {ten(1, d, x0), ten(1, d, x1), ten(1, d, x2)};
  rt_tensor t = ten(1, d, y);
  rt_args a = {3, 1, 0, b, &t, NULL, NULL, 0};
  rt_eltwise_param p = {RT_ELT_SUM, 0, {0}};
  rt_eltwise_f32(&p, &a);
  expect_arr(y, (float[]){5.5f, 13, -2}, 3);
  p.ncoeff = 3;
  p.coeff[0] = 1;
  p.coeff[1] = -1;
  p.coeff[2] = 2;
  rt_eltwise_f32(&p, &a);
  expect_arr(y, (float[]){-2, 13, 11}, 3);
  p = (rt_eltwise_param){RT_ELT_PROD, 0, {0}};
  rt_eltwise_f32(&p, &a);
  expect_arr(y, (float[]){2, -100, -18}, 3);
  p.op = RT_ELT_MAX;
  rt_eltwise_f32(&p, &a);
  expect_arr(y, (float[]){4, 10, 3}, 3);
  /* in place into bottom 0, two bottoms */
  a.nb = 2;
  t.d = x0;
  p.op = RT_ELT_SUM;
  rt_eltwise_f32(&p, &a);
  expect_arr(x0, (float[]){5, 3, -3}, 3);
}
END_TEST

/* ---------------- data-movement kernels ---------------- */

START_TEST(concat_slice_axis1_batch2) {
  /* a: 2x1x2, b: 2x2x2 -> 2x3x2 */
  float xa[4] = {1, 2, 3, 4}, xb[8] = {10, 11, 12, 13, 14, 15, 16, 17}, y[12];
  int da[3] = {2, 1, 2}, db[3] = {2, 2, 2}, dt[3] = {2, 3, 2};
  rt_tensor b[2] = {ten(3, da, xa), ten(3, db, xb)};
  rt_tensor t = ten(3, dt, y);
  rt_args a = {2, 1, 0, b, &t, NULL, NULL, 0};
  rt_concat_param cp = {1};
  rt_concat_f32(&cp, &a);
  float want[12] = {1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17};
  expect_arr(y, want, 12);
  /* slice it back into 2x1x2 and 2x2x2 */
  float ya[4], yb[8];
  rt_tensor tops[2] = {ten(3, da, ya), ten(3, db, yb)};
  rt_tensor bot = t;
  rt_args s = {1, 2, 0, &bot, tops, NULL, NULL, 0};
  rt_slice_param sp = {1, 1, {1}};
  rt_slice_f32(&sp, &s);
  expect_arr(ya, xa, 4);
  expect_arr(yb, xb, 8);
  /* split and copy */
  float c1[4], c2[4];
  rt_tensor st[2] = {ten(3, da, c1), ten(3, da, c2)};
  rt_args sa = {1, 2, 0, &b[0], st, NULL, NULL, 0};
  rt_split_f32(NULL, &sa);
  expect_arr(c1, xa, 4);
  expect_arr(c2, xa, 4);
  memset(c1, 0, sizeof c1);
  rt_args ca = {1, 1, 0, &b[0], st, NULL, NULL, 0};
  rt_dropout_f32(NULL, &ca);
  expect_arr(c1, xa, 4);
}
END_TEST

START_TEST(crop_offsets) {
  /* bottom 1x2x3x4 values 0..23; crop to 1x2x2x2 at offsets (h 1, w 2) */
  float x[24], y[8];
  for (int i = 0; i < 24; i++) x[i] = (float)i;
  int db[4] = {1, 2, 3, 4}, dt[4] = {1, 2, 2, 2};
  rt_tensor b = ten(4, db, x), t = ten(4, dt, y);
  rt_args a = args1(&b, &t, NULL, 0);
  rt_crop_param p = {2, {0, 0, 1, 2}};
  rt_crop_f32(&p, &a);
  expect_arr(y, (float[]){6, 7, 10, 11, 18, 19, 22, 23}, 8);
  /* crop from axis 1 with a channel offset */
  int dt2[4] = {1, 1, 1, 3};
  float y2[3];
  t = ten(4, dt2, y2);
  rt_crop_param p2 = {1, {0, 1, 2, 1}};
  rt_crop_f32(&p2, &a);
  expect_arr(y2, (float[]){21, 22, 23}, 3);
}
END_TEST

START_TEST(softmax_inner_and_rows) {
  /* 1x3x2 over axis 1: column 0 = {1,2,3}, column 1 = {0,0,1000} */
  float x[6] = {1, 0, 2, 0, 3, 1000}, y[6];
  int d[3] = {1, 3, 2};
  rt_tensor b = ten(3, d, x), t = ten(3, d, y);
  rt_args a = args1(&b, &t, NULL, 0);
  rt_softmax_param p = {1};
  float ws[16];
  ck_assert_uint_eq(rt_softmax_ws(&p, &a), 4 * sizeof(float));
  a.ws = ws;
  a.wsz = sizeof ws;
  rt_softmax_f32(&p, &a);
  expect_arr(y, (float[]){0.09003057f, 0, 0.24472847f, 0, 0.66524096f, 1}, 6);
  /* 2x4 rows over axis 1 (inner 1, no scratch), in place */
  float r[8] = {-1, 0, 1, 2, 2, 1, 0, -1};
  int d2[2] = {2, 4};
  rt_tensor b2 = ten(2, d2, r), t2 = ten(2, d2, r);
  rt_args a2 = args1(&b2, &t2, NULL, 0);
  ck_assert_uint_eq(rt_softmax_ws(&p, &a2), 0);
  rt_softmax_f32(&p, &a2);
  expect_arr(r, (float[]){0.0320586f, 0.08714432f, 0.23688282f, 0.64391426f,
                          0.64391426f, 0.23688282f, 0.08714432f, 0.0320586f},
             8);
}
END_TEST

/* A detector's scores: 1 x 2100 x 3 over axis 2 (inner 1), 6300 values,
 * so the rows go to the pool in units of 64 (the last one 52 rows): the
 * bytes of 2 and 3 threads are the serial ones, and each row is a
 * softmax (sums to 1, largest input largest output). */
START_TEST(softmax_threads) {
  enum { R = 2100, C = 3, E = R * C };
  static float x[E], one[E], par[E];
  for (int i = 0; i < E; i++) x[i] = (float)((i * 37 % 101) - 50) / 7.0f;
  int d[3] = {1, R, C};
  rt_tensor b = ten(3, d, x), t1 = ten(3, d, one), tp = ten(3, d, par);
  rt_args a1 = args1(&b, &t1, NULL, 0), ap = args1(&b, &tp, NULL, 0);
  rt_softmax_param p = {2};
  rt_softmax_f32(&p, &a1);
  for (int r = 0; r < R; r++) {
    const float *y = one + r * C, *xr = x + r * C;
    ck_assert_float_eq_tol(y[0] + y[1] + y[2], 1.0f, 1e-6f);
    int xm = 0, ym = 0;
    for (int k = 1; k < C; k++) xm = xr[k] > xr[xm] ? k : xm, ym = y[k] > y[ym] ? k : ym;
    ck_assert_int_eq(xm, ym);
  }
  for (int nt = 2; nt <= 3; nt++) {
    rt_par_pool *pool = rt_par_open(nt, 0);
    ck_assert_ptr_nonnull(pool);
    rt_par_use(pool);
    memset(par, 0, sizeof par);
    rt_par_stats_reset();
    rt_softmax_f32(&p, &ap);
    int64_t chunks[4], ns[4];
    int np = rt_par_stats(chunks, ns, 4);
    rt_par_use(NULL);
    rt_par_close(pool);
    ck_assert_int_eq(np, nt);
    ck_assert_int_ge(chunks[0] + chunks[1] + (nt > 2 ? chunks[2] : 0), nt); /* it was split */
    ck_assert_msg(memcmp(one, par, sizeof one) == 0, "%d threads: not the serial bytes", nt);
  }
}
END_TEST

START_TEST(argmax_no_axis_and_axis) {
  /* N=2 items of 4 values; ties: the larger index ranks first (Caffe's
   * std::greater on (value, index) pairs) */
  float x[8] = {1, 3, 3, 2, 5, -1, 0, 5}, y[8];
  int d[2] = {2, 4}, dt[3] = {2, 2, 2};
  rt_tensor b = ten(2, d, x), t = ten(3, dt, y);
  rt_args a = args1(&b, &t, NULL, 0);
  rt_argmax_param p = {true, false, 2, 0};
  char ws[64];
  ck_assert_uint_le(rt_argmax_ws(&p, &a), sizeof ws);
  a.ws = ws;
  a.wsz = sizeof ws;
  rt_argmax_f32(&p, &a);
  expect_arr(y, (float[]){2, 1, 3, 3, 3, 0, 5, 5}, 8);
  p = (rt_argmax_param){false, false, 1, 0};
  rt_argmax_f32(&p, &a);
  expect_arr(y, (float[]){2, 3}, 2);
  /* axis 0 of the 2x4 blob: per column, top 1 */
  p = (rt_argmax_param){false, true, 1, 0};
  rt_argmax_f32(&p, &a);
  expect_arr(y, (float[]){1, 0, 0, 1}, 4);
  p.out_max_val = true;
  rt_argmax_f32(&p, &a);
  expect_arr(y, (float[]){5, 3, 3, 5}, 4);
}
END_TEST

/* ---------------- shape rules ---------------- */

typedef struct Fix {
  Arena ar;
  Diag dg;
  Net n;
  char *msg;
  size_t msglen;
  FILE *out;
  Caffe__LayerParameter lp;
  Layer l;
  Blob bot[4], top[4];
  Blob *bp[4], *tp[4];
} Fix;

/* A layer of `type` with nb bottoms of the given shapes and nt tops. */
static Fix *fix_new(const char *type, int nb, const rt_shape *bs, int nt) {
  Fix *f = calloc(1, sizeof *f);
  f->out = open_memstream(&f->msg, &f->msglen);
  diag_init(&f->dg, f->out);
  f->n.ar = &f->ar;
  f->n.dg = &f->dg;
  f->n.file = "net.prototxt";
  caffe__layer_parameter__init(&f->lp);
  f->l.name = "L";
  f->l.type = type;
  f->l.kind = lk_from_type(type);
  f->l.loc = (SrcLoc){"net.prototxt", 7, 3};
  f->l.lp = &f->lp;
  f->l.nbottom = nb;
  f->l.ntop = nt;
  for (int i = 0; i < 4; i++) {
    f->bp[i] = &f->bot[i];
    f->tp[i] = &f->top[i];
    f->bot[i].name = "b";
    f->top[i].name = "t";
  }
  for (int i = 0; i < nb; i++) f->bot[i].shape = bs[i];
  f->l.bottom = f->bp;
  f->l.top = f->tp;
  return f;
}

/* Runs setup + shape; returns their status. */
static int fix_run(Fix *f) {
  const LayerKindInfo *k = &lk_info[f->l.kind];
  int r = k->ops->setup(&f->l, &f->n);
  if (r == 0) r = k->ops->shape(&f->l, &f->n);
  fflush(f->out);
  return r;
}

static void fix_free(Fix *f) {
  fclose(f->out);
  free(f->msg);
  ar_free(&f->ar);
  free(f);
}

static void expect_shape(const rt_shape *s, int nd, const int *d) {
  char a[64], b[64];
  rt_shape w = rt_shape_make(nd, d);
  ck_assert_msg(rt_shape_eq(s, &w), "shape %s, want %s", rt_shape_str(s, a, 64),
                rt_shape_str(&w, b, 64));
}

START_TEST(shape_reshape) {
  rt_shape in = rt_shape_make(3, (int[]){2, 3, 4});
  Fix *f = fix_new("Reshape", 1, &in, 1);
  Caffe__ReshapeParameter rp = CAFFE__RESHAPE_PARAMETER__INIT;
  Caffe__BlobShape bs = CAFFE__BLOB_SHAPE__INIT;
  int64_t dims[2] = {0, -1};
  bs.n_dim = 2;
  bs.dim = dims;
  rp.shape = &bs;
  f->lp.reshape_param = &rp;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 2, (int[]){2, 12});
  /* axis 1, num_axes 1: replace the 3 by 3x1 */
  int64_t d2[2] = {-1, 1};
  bs.dim = d2;
  rp.has_axis = 1;
  rp.axis = 1;
  rp.has_num_axes = 1;
  rp.num_axes = 1;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 4, (int[]){2, 3, 1, 4});
  /* axis -1 means after the last axis */
  rp.axis = -1;
  rp.num_axes = 0;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 5, (int[]){2, 3, 4, 1, 1});
  /* counts that do not match */
  int64_t d3[2] = {5, 5};
  bs.dim = d3;
  rp.has_axis = rp.has_num_axes = 0;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "net.prototxt:7:3: error: layer 'L' (Reshape): top count 25 "
                           "does not match bottom count 24 (shape 2x3x4)\n");
  fix_free(f);
  f = fix_new("Reshape", 1, &in, 1);
  int64_t d4[2] = {-1, -1};
  bs.dim = d4;
  f->lp.reshape_param = &rp;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "only one shape dim can be -1"));
  fix_free(f);
}
END_TEST

START_TEST(shape_flatten_argmax_softmax) {
  rt_shape in = rt_shape_make(4, (int[]){2, 3, 4, 5});
  Fix *f = fix_new("Flatten", 1, &in, 1);
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 2, (int[]){2, 60});
  Caffe__FlattenParameter fp = CAFFE__FLATTEN_PARAMETER__INIT;
  fp.has_axis = 1;
  fp.axis = 1;
  fp.has_end_axis = 1;
  fp.end_axis = 2;
  f->lp.flatten_param = &fp;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 3, (int[]){2, 12, 5});
  fix_free(f);

  f = fix_new("ArgMax", 1, &in, 1);
  Caffe__ArgMaxParameter ap = CAFFE__ARG_MAX_PARAMETER__INIT;
  ap.has_top_k = 1;
  ap.top_k = 3;
  ap.has_out_max_val = 1;
  ap.out_max_val = 1;
  f->lp.argmax_param = &ap;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 4, (int[]){2, 2, 3, 1});
  ap.has_axis = 1;
  ap.axis = -3;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 4, (int[]){2, 3, 4, 5});
  ck_assert_int_eq(f->l.p.argmax.axis, 1);
  ap.top_k = 4;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "top_k 4 is larger than axis 1 size 3"));
  fix_free(f);

  rt_shape in2 = rt_shape_make(2, (int[]){7, 10});
  f = fix_new("ArgMax", 1, &in2, 1);
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 3, (int[]){7, 1, 1});
  fix_free(f);

  f = fix_new("Softmax", 1, &in, 1);
  Caffe__SoftmaxParameter sp = CAFFE__SOFTMAX_PARAMETER__INIT;
  sp.has_axis = 1;
  sp.axis = -2;
  f->lp.softmax_param = &sp;
  ck_assert_int_eq(fix_run(f), 0);
  ck_assert_int_eq(f->l.p.softmax.axis, 2);
  sp.axis = 4;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "axis 4 is out of range for a bottom with 4 axes"));
  fix_free(f);
}
END_TEST

START_TEST(shape_eltwise_concat_slice) {
  rt_shape s[3] = {rt_shape4(1, 2, 3, 3), rt_shape4(1, 2, 3, 3), rt_shape4(1, 4, 3, 3)};
  Fix *f = fix_new("Eltwise", 3, s, 1);
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "net.prototxt:7:3: error: layer 'L' (Eltwise): bottom 2 ('b') "
                           "has shape 1x4x3x3 but bottom 0 ('b') has 1x2x3x3\n");
  fix_free(f);
  f = fix_new("Eltwise", 2, s, 1);
  Caffe__EltwiseParameter ep = CAFFE__ELTWISE_PARAMETER__INIT;
  float co[3] = {1, 2, 3};
  ep.n_coeff = 3;
  ep.coeff = co;
  f->lp.eltwise_param = &ep;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "has 3 coeff values for 2 bottoms"));
  ep.n_coeff = 2;
  ck_assert_int_eq(fix_run(f), 0);
  ck_assert_int_eq(f->l.p.eltwise.ncoeff, 2);
  fix_free(f);

  f = fix_new("Concat", 3, s, 1);
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 4, (int[]){1, 8, 3, 3});
  Caffe__ConcatParameter cp = CAFFE__CONCAT_PARAMETER__INIT;
  cp.has_axis = 1;
  cp.axis = -1;
  f->lp.concat_param = &cp;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "bottom 2 ('b') has shape 1x4x3x3, incompatible"));
  fix_free(f);

  rt_shape in = rt_shape4(2, 5, 1, 1);
  f = fix_new("Slice", 1, &in, 3);
  Caffe__SliceParameter sp = CAFFE__SLICE_PARAMETER__INIT;
  uint32_t pts[2] = {1, 3};
  sp.n_slice_point = 2;
  sp.slice_point = pts;
  f->lp.slice_param = &sp;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 4, (int[]){2, 1, 1, 1});
  expect_shape(&f->top[1].shape, 4, (int[]){2, 2, 1, 1});
  expect_shape(&f->top[2].shape, 4, (int[]){2, 2, 1, 1});
  pts[1] = 1;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "slice_point 1 (index 1) must be greater than 1"));
  sp.n_slice_point = 0;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "size 5 does not divide into 3 equal slices"));
  fix_free(f);
}
END_TEST

START_TEST(shape_crop_scale_bn_prelu) {
  rt_shape s[2] = {rt_shape4(1, 3, 10, 10), rt_shape4(1, 3, 4, 5)};
  Fix *f = fix_new("Crop", 2, s, 1);
  Caffe__CropParameter cp = CAFFE__CROP_PARAMETER__INIT;
  uint32_t off[2] = {2, 5};
  cp.n_offset = 2;
  cp.offset = off;
  f->lp.crop_param = &cp;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->top[0].shape, 4, (int[]){1, 3, 4, 5});
  ck_assert_int_eq(f->l.p.crop.offset[2], 2);
  ck_assert_int_eq(f->l.p.crop.offset[3], 5);
  off[1] = 6;
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "crop of size 5 at offset 6 on axis 3 exceeds"));
  fix_free(f);

  f = fix_new("Scale", 1, s, 1);
  Caffe__ScaleParameter sp = CAFFE__SCALE_PARAMETER__INIT;
  sp.has_bias_term = 1;
  sp.bias_term = 1;
  sp.has_axis = 1;
  sp.axis = -2;
  sp.has_num_axes = 1;
  sp.num_axes = -1;
  f->lp.scale_param = &sp;
  ck_assert_int_eq(fix_run(f), 0);
  ck_assert_int_eq(f->l.nweight, 2);
  expect_shape(&f->l.weight[0].expect, 2, (int[]){10, 10});
  expect_shape(&f->l.weight[1].expect, 2, (int[]){10, 10});
  ck_assert_int_eq(f->l.p.scale.axis, 2);
  ck_assert_int_eq(f->l.p.scale.num_axes, 2);
  fix_free(f);

  rt_shape s2[2] = {rt_shape4(2, 3, 4, 5), rt_shape_make(2, (int[]){3, 5})};
  f = fix_new("Scale", 2, s2, 1);
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_ptr_nonnull(strstr(f->msg, "bottom[1] shape 3x5 does not match bottom[0] shape 2x3x4x5 from axis 1"));
  fix_free(f);

  f = fix_new("BatchNorm", 1, s, 1);
  ck_assert_int_eq(fix_run(f), 0);
  ck_assert_int_eq(f->l.nweight, 3);
  expect_shape(&f->l.weight[1].expect, 1, (int[]){3});
  expect_shape(&f->l.weight[2].expect, 1, (int[]){1});
  ck_assert(fabsf(f->l.p.bn.eps - 1e-5f) < 1e-12f);
  fix_free(f);

  f = fix_new("PReLU", 1, s, 1);
  Caffe__PReLUParameter pp = CAFFE__PRE_LUPARAMETER__INIT;
  f->lp.prelu_param = &pp;
  ck_assert_int_eq(fix_run(f), 0);
  expect_shape(&f->l.weight[0].expect, 1, (int[]){3});
  pp.has_channel_shared = 1;
  pp.channel_shared = 1;
  ck_assert_int_eq(fix_run(f), 0);
  ck_assert_int_eq(f->l.weight[0].expect.nd, 0);
  fix_free(f);

  f = fix_new("ReLU", 2, s, 1);
  ck_assert_int_eq(fix_run(f), -1);
  ck_assert_str_eq(f->msg, "net.prototxt:7:3: error: layer 'L' (ReLU): takes 1 bottom "
                           "and 1 top, got 2 and 1\n");
  fix_free(f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("kernels_data");
  TCase *k = tcase_create("kernels");
  tcase_add_test(k, relu_plain_and_leaky);
  tcase_add_test(k, prelu_per_channel_and_shared);
  tcase_add_test(k, sigmoid_tanh_power);
  tcase_add_test(k, absval_values_and_shape);
  tcase_add_test(k, batchnorm_factor_and_zero_factor);
  tcase_add_test(k, scale_blob_bias_and_two_bottoms);
  tcase_add_test(k, eltwise_ops);
  tcase_add_test(k, concat_slice_axis1_batch2);
  tcase_add_test(k, crop_offsets);
  tcase_add_test(k, softmax_inner_and_rows);
  tcase_add_test(k, softmax_threads);
  tcase_add_test(k, argmax_no_axis_and_axis);
  suite_add_tcase(s, k);
  TCase *sh = tcase_create("shapes");
  tcase_add_test(sh, shape_reshape);
  tcase_add_test(sh, shape_flatten_argmax_softmax);
  tcase_add_test(sh, shape_eltwise_concat_slice);
  tcase_add_test(sh, shape_crop_scale_bn_prelu);
  suite_add_tcase(s, sh);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
