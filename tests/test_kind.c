/* test_kind.c - the kind registry (layers.def flags, lk_info[].ops): the
 * sets the stages derive from it are exactly the ones they used before the
 * table existed (for the kinds of that time), and every slot a flag
 * requires is filled. */
#include <check.h>
#include <stdlib.h>

#include "hls.h"
#include "ir.h"
#include "kind_sets.h"
#include "partition.h"
#include "passes.h"
#include "quant.h"

/* Bit set over kinds of those kinds having all of `flags`. */
static unsigned long long with(unsigned flags) {
  unsigned long long s = 0;
  for (int k = 0; k < LK_NKINDS; k++)
    if (lk_is((LayerKind)k, flags)) s |= (1ull << k) & PINNED;
  return s;
}

START_TEST(t_flag_sets) {
  ck_assert(LK_NKINDS < 64);
  ck_assert_uint_eq(with(LKF_SOURCE), B(INPUT));
  ck_assert_uint_eq(with(LKF_COPY), B(FLATTEN) | B(RESHAPE) | B(DROPOUT) | B(SPLIT));
  ck_assert_uint_eq(with(LKF_IDENTITY), B(DROPOUT) | B(SPLIT));
  ck_assert_uint_eq(with(LKF_ELEMWISE), B(RELU) | B(PRELU) | B(BN) | B(SCALE) | B(BIAS) |
                                            B(ELTWISE) | B(POWER) | B(SIGMOID) | B(TANH));
  ck_assert_uint_eq(with(LKF_MAC), B(CONV) | B(DECONV) | B(IP));
  ck_assert_uint_eq(with(LKF_AFFINE), B(BN) | B(SCALE));
  ck_assert_uint_eq(with(LKF_RELU_FUSE),
                    B(CONV) | B(DECONV) | B(IP) | B(ELTWISE) | B(SCALE) | B(BN));
  ck_assert_uint_eq(with(LKF_PLUGIN), B(CUSTOM));
  /* every identity kind is a copy kind */
  ck_assert_uint_eq(with(LKF_IDENTITY) & ~with(LKF_COPY), 0);
}
END_TEST

START_TEST(t_quant_sets) {
  unsigned long long both = 0, xil = 0, wb = 0, wx = 0;
  for (int k = 0; k < LK_NKINDS; k++) {
    if (qt_kind_has_precision((LayerKind)k, QM_DFIXED)) both |= (1ull << k) & PINNED;
    if (qt_kind_has_precision((LayerKind)k, QM_XILINX)) xil |= (1ull << k) & PINNED;
    if (qt_kind_needs_params((LayerKind)k, QM_DFIXED)) wb |= (1ull << k) & PINNED;
    if (qt_kind_needs_params((LayerKind)k, QM_XILINX)) wx |= (1ull << k) & PINNED;
  }
  unsigned long long q = B(CONV) | B(BN) | B(SCALE) | B(POOL) | B(ELTWISE) | B(PERMUTE);
  ck_assert_uint_eq(both, q);
  ck_assert_uint_eq(xil, q | B(RELU) | B(DECONV) | B(CONCAT) | B(NORMALIZE) | B(INPUT));
  ck_assert_uint_eq(wb, B(CONV));
  ck_assert_uint_eq(wx, B(CONV) | B(DECONV));
}
END_TEST

START_TEST(t_hw_one_place) {
  unsigned long long hw = 0, place = 0, hls = 0;
  for (int k = 0; k < LK_NKINDS; k++) {
    if (lk_has_hw(k)) hw |= (1ull << k) & PINNED;
    if (lk_info[k].place == PL_HW) place |= (1ull << k) & PINNED;
    if (hl_kind_ok((LayerKind)k)) hls |= (1ull << k) & PINNED;
    ck_assert(pt_has_hw((LayerKind)k) == lk_has_hw(k));
  }
  ck_assert_uint_eq(hw, B(CONV) | B(DECONV) | B(POOL) | B(RELU) | B(BN) | B(SCALE) |
                            B(ELTWISE) | B(CONCAT));
  ck_assert_uint_eq(place & ~hw, 0); /* a HW row has a hardware kernel */
  ck_assert_uint_eq(hls, hw);
  ck_assert(!lk_has_hw(-1) && !lk_has_hw(LK_NKINDS));
}
END_TEST

START_TEST(t_required_slots) {
  for (int k = 0; k < LK_NKINDS; k++) {
    const LayerKindInfo *ki = &lk_info[k];
    ck_assert_int_eq(ki->kind, k);
    ck_assert_ptr_nonnull(ki->ops);
    ck_assert_ptr_nonnull(ki->ops->setup);
    ck_assert_ptr_nonnull(ki->ops->shape);
    ck_assert_uint_gt(ki->psize, 0);
    if (ki->flags & LKF_MAC) {
      ck_assert_ptr_nonnull(ki->ops->mac);
      ck_assert_ptr_nonnull(ki->ops->fold_weights);
      ck_assert_ptr_nonnull(ki->ops->macs);
      ck_assert_ptr_nonnull(ki->ops->fx_prepare);
    }
    if (ki->flags & LKF_AFFINE) {
      ck_assert_ptr_nonnull(ki->ops->affine_channels);
      ck_assert_ptr_nonnull(ki->ops->affine);
      ck_assert_ptr_nonnull(ki->ops->fold_factor);
    }
    if (!ki->ops->hw_limits) { /* HLS slots only for hardware kinds */
      ck_assert_ptr_null(ki->ops->hls_knobs);
      ck_assert_ptr_null(ki->ops->hls_estimate);
      ck_assert_ptr_null(ki->ops->hls_wbytes);
    }
  }
  /* integer kernels: the kinds qsim prepared before the table */
  unsigned long long fx = 0;
  for (int k = 0; k < LK_NKINDS; k++)
    if (lk_info[k].ops->fx_prepare) fx |= (1ull << k) & PINNED;
  ck_assert_uint_eq(fx, B(CONV) | B(DECONV) | B(IP) | B(POOL) | B(RELU) | B(BN) | B(SCALE) |
                            B(ELTWISE) | B(CONCAT) | B(PERMUTE) | B(FLATTEN) | B(RESHAPE) |
                            B(DROPOUT));
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kind");
  TCase *tc = tcase_create("registry");
  tcase_add_test(tc, t_flag_sets);
  tcase_add_test(tc, t_quant_sets);
  tcase_add_test(tc, t_hw_one_place);
  tcase_add_test(tc, t_required_slots);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
