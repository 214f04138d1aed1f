/* test_kernels_resample.c - unit tests for the issue 13 resample kernels
 * (runtime/rt_resample.c, rt_fx_resample.c): small cases with expected
 * values worked out by hand from the forks' definitions (docs/layers.md),
 * plus the fixed-point kernels moving exactly the codes the float kernels
 * move, and the registry's type strings. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "ir.h"
#include "rt_fixed.h"
#include "rt_layers.h"

static void expect_arr(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++)
    ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i])),
                  "element %d: got %g, want %g", i, got[i], want[i]);
}

static rt_tensor ten(int n, int c, int h, int w, float *d) {
  int dims[4] = {n, c, h, w};
  return (rt_tensor){rt_shape_make(4, dims), d};
}

/* Runs the float kernel fn and the integer kernel fx on x = 0, 1, 2, ...
 * and checks the integer top equals the float top. */
static void run_both(rt_kernel_fn fn, rt_fx_kernel_fn fx, const void *p, rt_tensor b,
                     rt_tensor t) {
  int64_t nb = rt_shape_count(&b.s), nt = rt_shape_count(&t.s);
  for (int64_t i = 0; i < nb; i++) b.d[i] = (float)i;
  rt_args a = {1, 1, 0, &b, &t, NULL, NULL, 0};
  fn(p, &a);
  int16_t xb[256], xt[256];
  ck_assert(nb <= 256 && nt <= 256);
  for (int64_t i = 0; i < nb; i++) xb[i] = (int16_t)i;
  rt_fx_tensor fb = {b.s, xb}, ft = {t.s, xt};
  rt_fx_args fa = {1, 1, &fb, &ft};
  fx(p, &fa);
  for (int64_t i = 0; i < nt; i++) ck_assert_int_eq(xt[i], (int)t.d[i]);
}

START_TEST(upsample_nearest) {
  float x[6], y[24];
  rt_upsample_param p = {.scale_h = 2, .scale_w = 2};
  run_both(rt_upsample_f32, rt_fx_upsample, &p, ten(1, 1, 2, 3, x), ten(1, 1, 4, 6, y));
  expect_arr(y, (float[]){0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2,
                          3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5}, 24);
}
END_TEST

START_TEST(upsample_unpool) {
  /* 1 x 2 x 1 x 2 values, mask positions in 2 x 3 planes; 9 is outside
   * the plane and skipped */
  float x[4] = {1, 2, 3, 4}, m[4] = {5, 0, 9, 2}, y[12];
  rt_upsample_param p = {.out_h = 2, .out_w = 3};
  rt_tensor b[2] = {ten(1, 2, 1, 2, x), ten(1, 2, 1, 2, m)}, t = ten(1, 2, 2, 3, y);
  memset(y, 0x7f, sizeof y);
  rt_upsample_f32(&p, &(rt_args){2, 1, 0, b, &t, NULL, NULL, 0});
  expect_arr(y, (float[]){2, 0, 0, 0, 0, 1, 0, 0, 4, 0, 0, 0}, 12);
}
END_TEST

START_TEST(shuffle_channels) {
  /* C = 6, group 2: top channel j*2 + i = bottom channel i*3 + j */
  float x[12], y[12];
  rt_shuffle_param p = {.group = 2};
  run_both(rt_shuffle_f32, rt_fx_shuffle, &p, ten(1, 6, 1, 2, x), ten(1, 6, 1, 2, y));
  expect_arr(y, (float[]){0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11}, 12);
}
END_TEST

START_TEST(cropcenter_axes) {
  float x[2 * 4 * 5], y[2 * 2 * 1];
  rt_cropcenter_param p = {.ncrop = 4, .crop = {0, 0, 1, 2}};
  run_both(rt_cropcenter_f32, rt_fx_cropcenter, &p, ten(1, 2, 4, 5, x), ten(1, 2, 2, 1, y));
  /* rows 1..2, column 2 of each 4 x 5 plane */
  expect_arr(y, (float[]){7, 12, 27, 32}, 4);
}
END_TEST

START_TEST(reorg_darknet_order) {
  /* w = h = 2, c = 4, s = 2, out_c = 1: top flat (k, j, i) reads bottom
   * flat (j*2 + k/2) * 4 + i*2 + k%2 (darknet's reorg_cpu, forward 0) */
  float x[16], y[16];
  rt_reorg_param p = {.stride = 2};
  run_both(rt_reorg_f32, rt_fx_reorg, &p, ten(1, 4, 2, 2, x), ten(1, 16, 1, 1, y));
  expect_arr(y, (float[]){0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15}, 16);
  /* reverse on a 4 x 2 x 2 bottom gives 1 x 4 x 4 */
  p.reverse = true;
  float u[16], v[16];
  for (int i = 0; i < 16; i++) u[i] = (float)i;
  rt_tensor bu = ten(1, 4, 2, 2, u), tv = ten(1, 1, 4, 4, v);
  rt_reorg_f32(&p, &(rt_args){1, 1, 0, &bu, &tv, NULL, NULL, 0});
  /* top flat (c2, h2, w2) over (1, 4, 4) = bottom flat i + 2*(j + 2*k) with
   * h2 = 2j + oy, w2 = 2i + ox, k = oy*2 + ox */
  expect_arr(v, (float[]){0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15}, 16);
}
END_TEST

START_TEST(interp_align_corners) {
  /* 1 x 1 x 2 x 2 -> 3 x 3 (zoom 2): corners kept, midpoints averaged */
  float x[4] = {0, 2, 4, 6}, y[9];
  rt_interp_param p = {0};
  rt_tensor b = ten(1, 1, 2, 2, x), t = ten(1, 1, 3, 3, y);
  rt_interp_f32(&p, &(rt_args){1, 1, 0, &b, &t, NULL, NULL, 0});
  expect_arr(y, (float[]){0, 1, 2, 2, 3, 4, 4, 5, 6}, 9);
  /* pad_beg = pad_end = -1 crops a 4 x 4 bottom to its 2 x 2 centre; a
   * 1 x 1 top reads the window's first element */
  float x4[16], y1[1];
  for (int i = 0; i < 16; i++) x4[i] = (float)i;
  rt_interp_param pc = {.pad_beg = -1, .pad_end = -1};
  b = ten(1, 1, 4, 4, x4), t = ten(1, 1, 1, 1, y1);
  rt_interp_f32(&pc, &(rt_args){1, 1, 0, &b, &t, NULL, NULL, 0});
  expect_arr(y1, (float[]){5}, 1);
}
END_TEST

START_TEST(registry_rows) {
  ck_assert_int_eq(lk_from_type("Upsample"), LK_UPSAMPLE);
  ck_assert_int_eq(lk_from_type("ShuffleChannel"), LK_SHUFFLE);
  ck_assert_int_eq(lk_from_type("CropCenter"), LK_CROPCENTER);
  ck_assert_int_eq(lk_from_type("Reorg"), LK_REORG);
  ck_assert_int_eq(lk_from_type("Interp"), LK_INTERP);
  ck_assert(lk_has_hw(LK_UPSAMPLE) && lk_has_hw(LK_SHUFFLE));
  ck_assert(!lk_has_hw(LK_CROPCENTER) && !lk_has_hw(LK_REORG) && !lk_has_hw(LK_INTERP));
}
END_TEST

int main(void) {
  Suite *s = suite_create("kernels_resample");
  TCase *k = tcase_create("kernels");
  tcase_add_test(k, upsample_nearest);
  tcase_add_test(k, upsample_unpool);
  tcase_add_test(k, shuffle_channels);
  tcase_add_test(k, cropcenter_axes);
  tcase_add_test(k, reorg_darknet_order);
  tcase_add_test(k, interp_align_corners);
  tcase_add_test(k, registry_rows);
  suite_add_tcase(s, k);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? 1 : 0;
}
