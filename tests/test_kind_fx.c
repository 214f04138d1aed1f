/* test_kind_fx.c - the fixed-point emitters' slots of the kind registry
 * (LayerOps.fx_call, LayerOps.hls_fn): the kinds with an emission are the
 * ones the emitters' switches covered before the slots existed, every
 * kind with an integer kernel has both, every hardware kind has an HLS
 * function, and the kinds sharing an emission point at the one shared
 * function of emit_fx.c / emit_hls.c. */
#include <check.h>
#include <stdlib.h>

#include "emit_fx.h"
#include "emit_hls.h"
#include "ir.h"
#include "kind_sets.h"
#include "pfield.h"


START_TEST(t_emitter_sets) {
  unsigned long long call = 0, hls = 0, fx = 0;
  ck_assert(LK_NKINDS < 64);
  for (int k = 0; k < LK_NKINDS; k++) {
    const LayerOps *o = lk_info[k].ops;
    if (o->fx_call) call |= (1ull << k) & PINNED;
    if (o->hls_fn) hls |= (1ull << k) & PINNED;
    if (o->fx_prepare) fx |= (1ull << k) & PINNED;
    if (lk_has_hw(k)) ck_assert_ptr_nonnull(o->hls_fn);
  }
  unsigned long long before = B(CONV) | B(DECONV) | B(IP) | B(POOL) | B(RELU) | B(BN) |
                              B(SCALE) | B(ELTWISE) | B(CONCAT) | B(PERMUTE) | B(FLATTEN) |
                              B(RESHAPE) | B(DROPOUT);
  ck_assert_uint_eq(call, before);
  ck_assert_uint_eq(hls, before & ~B(IP)); /* InnerProduct: C only */
  ck_assert_uint_eq(call & ~fx, 0);          /* a call needs a prepared kernel */
}
END_TEST

START_TEST(t_shared_emissions) {
  ck_assert(lk_info[LK_RELU].ops->fx_call == ef_requant_call);
  ck_assert(lk_info[LK_RELU].ops->hls_fn == eh_requant_fn);
  static const LayerKind aff[] = {LK_BN, LK_SCALE}, cp[] = {LK_FLATTEN, LK_RESHAPE, LK_DROPOUT};
  for (size_t i = 0; i < sizeof aff / sizeof *aff; i++) {
    ck_assert(lk_info[aff[i]].ops->fx_call == ef_affine_call);
    ck_assert(lk_info[aff[i]].ops->hls_fn == eh_affine_fn);
  }
  for (size_t i = 0; i < sizeof cp / sizeof *cp; i++) {
    ck_assert(lk_info[cp[i]].ops->fx_call == ef_copy_call);
    ck_assert(lk_info[cp[i]].ops->hls_fn == eh_copy_fn);
  }
}
END_TEST

/* Every kind, new ones included, through every emitter: the float C
 * program can write it (its own template, or the reference kernel with a
 * parameter struct pfield can bake; inputs are not layers of the program),
 * a kind with an integer kernel has the fixed-point C call and only such a
 * kind has one, and a hardware kind has its HLS function. */
START_TEST(t_every_kind_emittable) {
  Arena ar = {0};
  for (int k = 0; k < LK_NKINDS; k++) {
    const LayerKindInfo *ki = &lk_info[k];
    const LayerOps *o = ki->ops;
    if (!o->emit_c && !(ki->flags & LKF_SOURCE)) {
      const PfStruct *ps = pf_find(ki->ptype);
      ck_assert_msg(ps != NULL, "%s: ptype %s has no field table", ki->caffe_type, ki->ptype);
      void *zero = ar_alloc(&ar, ps->size);
      PfInit f;
      ck_assert_msg(pf_init(&ar, ps, zero, &f) == 0, "%s: the float C program cannot write %s",
                    ki->caffe_type, ki->ptype);
    }
    ck_assert_msg(!o->fx_prepare == !o->fx_call, "%s: integer kernel without its C call",
                  ki->caffe_type);
    if (lk_has_hw(k))
      ck_assert_msg(o->hls_fn != NULL, "%s: hardware kind without HLS function", ki->caffe_type);
    if (ki->place == PL_HW)
      ck_assert_msg(lk_has_hw(k), "%s: HW row without hardware kernel", ki->caffe_type);
  }
  ar_free(&ar);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kind_fx");
  TCase *tc = tcase_create("emitters");
  tcase_add_test(tc, t_emitter_sets);
  tcase_add_test(tc, t_shared_emissions);
  tcase_add_test(tc, t_every_kind_emittable);
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
