/* test_pfield.c - the parameter-struct field table (compiler/pfield.c, from
 * runtime/rt_params.def) and its C initializer writer: every struct is in
 * the table, its fields cover the struct in declaration order, and the
 * initializers have the exact text the emitters bake into generated code
 * (count rules for arrays, float literals that read back to the same bits). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_layers.h"
#include "pfield.h"

static const char *joined(Arena *ar, const char *ptype, const void *p) {
  const PfStruct *s = pf_find(ptype);
  ck_assert_ptr_nonnull(s);
  PfInit f;
  ck_assert_int_eq(pf_init(ar, s, p, &f), 0);
  return pf_brace(ar, &f);
}

START_TEST(table_covers_structs) {
  static const char *const all[] = {
      "rt_conv_param", "rt_ip_param", "rt_pool_param", "rt_relu_param", "rt_prelu_param",
      "rt_bn_param", "rt_scale_param", "rt_eltwise_param", "rt_concat_param", "rt_slice_param",
      "rt_crop_param", "rt_softmax_param", "rt_power_param", "rt_lrn_param", "rt_none_param",
      "rt_permute_param", "rt_normalize_param", "rt_priorbox_param", "rt_detout_param",
      "rt_argmax_param"};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    const PfStruct *s = pf_find(all[i]);
    ck_assert_msg(s != NULL, "%s missing", all[i]);
    /* fields in declaration order, each after the previous one, inside the struct */
    size_t end = 0;
    for (int k = 0; k < s->nfield; k++) {
      const PfField *f = &s->field[k];
      ck_assert_msg(f->off >= end, "%s.%s out of order", s->name, f->name);
      size_t el = f->type == PF_BOOL ? sizeof(bool) : sizeof(int);
      end = f->off + el * (size_t)(f->len ? f->len : 1);
      ck_assert_msg(end <= s->size, "%s.%s past the end", s->name, f->name);
    }
  }
  ck_assert_ptr_null(pf_find("rt_nonexistent_param"));
  ck_assert_int_eq((int)pf_find("rt_conv_param")->size, (int)sizeof(rt_conv_param));
}
END_TEST

START_TEST(initializers) {
  Arena ar = {0};
  rt_conv_param c = {.num_output = 16, .group = 2, .kh = 3, .kw = 1, .sh = 1, .sw = 2,
                     .ph = 1, .pw = 0, .dh = 1, .dw = 1, .bias_term = true, .axis = 1};
  ck_assert_str_eq(joined(&ar, "rt_conv_param", &c),
                   "{.num_output = 16, .group = 2, .kh = 3, .kw = 1, .sh = 1, .sw = 2, .ph = 1, "
                   ".pw = 0, .dh = 1, .dw = 1, .bias_term = true, .axis = 1}");
  /* counted arrays: at least `min` entries */
  rt_eltwise_param e = {.op = RT_ELT_SUM, .ncoeff = 0, .coeff = {0}};
  ck_assert_str_eq(joined(&ar, "rt_eltwise_param", &e), "{.op = 1, .ncoeff = 0, .coeff = {0.0f}}");
  e.ncoeff = 2, e.coeff[0] = 0.5f, e.coeff[1] = -1;
  ck_assert_str_eq(joined(&ar, "rt_eltwise_param", &e),
                   "{.op = 1, .ncoeff = 2, .coeff = {0.5f, -1.0f}}");
  /* min 0: left out when empty; fixed arrays in full */
  rt_priorbox_param pb = {.nmin = 1, .min_size = {51.2f}, .variance = {0.1f, 0.1f, 0.2f, 0.2f},
                          .offset = 0.5f};
  ck_assert_str_eq(joined(&ar, "rt_priorbox_param", &pb),
                   "{.nmin = 1, .nmax = 0, .nar = 0, .nvar = 0, .min_size = {51.2000008f}, "
                   ".variance = {0.100000001f, 0.100000001f, 0.200000003f, 0.200000003f}, "
                   ".clip = false, .img_h = 0, .img_w = 0, .step_h = 0.0f, .step_w = 0.0f, "
                   ".offset = 0.5f}");
  rt_crop_param cr = {.axis = 2, .offset = {0, 0, 3, 4}};
  ck_assert_str_eq(joined(&ar, "rt_crop_param", &cr),
                   "{.axis = 2, .offset = {0, 0, 3, 4, 0, 0, 0, 0}}");
  rt_none_param none = {0};
  ck_assert_str_eq(joined(&ar, "rt_none_param", &none), "{.unused = 0}");
  /* a struct with a field no initializer can write */
  rt_input_param in = {0};
  PfInit f;
  ck_assert_int_eq(pf_init(&ar, pf_find("rt_input_param"), &in, &f), -1);
  ar_free(&ar);
}
END_TEST

START_TEST(float_literals) {
  char b[48];
  ck_assert_str_eq(pf_float(1.0f, b, sizeof b), "1.0f");
  ck_assert_str_eq(pf_float(-0.0f, b, sizeof b), "-0.0f");
  ck_assert_str_eq(pf_float(1e-10f, b, sizeof b), "1.00000001e-10f");
  ck_assert_str_eq(pf_float(NAN, b, sizeof b), "NAN");
  ck_assert_str_eq(pf_float(-INFINITY, b, sizeof b), "-INFINITY");
  /* every literal reads back to the same bits */
  uint32_t seed = 7;
  for (int i = 0; i < 10000; i++) {
    seed = seed * 1664525u + 1013904223u;
    float v;
    memcpy(&v, &seed, sizeof v);
    if (!isfinite(v)) continue;
    pf_float(v, b, sizeof b);
    b[strlen(b) - 1] = 0; /* drop the f suffix */
    float r = strtof(b, NULL);
    ck_assert_msg(memcmp(&r, &v, sizeof v) == 0, "%s does not read back", b);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("pfield");
  TCase *tc = tcase_create("pfield");
  tcase_add_test(tc, table_covers_structs);
  tcase_add_test(tc, initializers);
  tcase_add_test(tc, float_literals);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
