/* test_loader.c - the loader: input declarations, phase rules, V1 files,
 * in-place layers as SSA versions, outputs, batch reshaping, and the
 * located diagnostics of semantic errors (all reported, not just the
 * first). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

static Arena ar;
static Diag dg;
static char errbuf[8192];
static FILE *errf;
static char path[64];

/* Writes text to a temp prototxt and loads it; diagnostics go to errbuf. */
static Net *load_text(const char *text) {
  snprintf(path, sizeof path, "/tmp/chai_ld_%d.prototxt", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  memset(errbuf, 0, sizeof errbuf);
  errf = fmemopen(errbuf, sizeof errbuf - 1, "w");
  diag_init(&dg, errf);
  Net *n = ld_load(path, NULL, &ar, &dg);
  fclose(errf);
  unlink(path);
  return n;
}

static void teardown(void) { ar_free(&ar); }

START_TEST(legacy_input_dim) {
  Net *n = load_text("input: 'a' input_dim: 2 input_dim: 3 input_dim: 4 input_dim: 5\n"
                     "layer { name: 'r' type: 'ReLU' bottom: 'a' top: 'b' }\n");
  ck_assert_ptr_nonnull(n);
  ck_assert_int_eq(n->ninput, 1);
  ck_assert_int_eq(n->inputs[0]->shape.nd, 4);
  ck_assert_int_eq(n->inputs[0]->shape.d[0], 2);
  ck_assert_int_eq(n->inputs[0]->shape.d[3], 5);
  ck_assert_int_eq(n->noutput, 1);
  ck_assert_str_eq(n->outputs[0]->name, "b");
}
END_TEST

START_TEST(legacy_input_shape_and_input_layer) {
  Net *n = load_text("input: 'a' input_shape { dim: 1 dim: 7 }\n"
                     "layer { name: 'in2' type: 'Input' top: 'c' input_param { shape { dim: 1 dim: 7 } } }\n"
                     "layer { name: 'e' type: 'Eltwise' bottom: 'a' bottom: 'c' top: 'd' }\n");
  ck_assert_ptr_nonnull(n);
  ck_assert_int_eq(n->ninput, 2);
  ck_assert_int_eq(n->outputs[0]->shape.d[1], 7);
}
END_TEST

START_TEST(phase_rules) {
  Net *n = load_text(
      "input: 'a' input_shape { dim: 1 dim: 3 }\n"
      "layer { name: 'train_only' type: 'Frobnicate' bottom: 'a' top: 'x' include { phase: TRAIN } }\n"
      "layer { name: 'not_test' type: 'Frobnicate' bottom: 'a' top: 'y' exclude { phase: TEST } }\n"
      "layer { name: 'test_only' type: 'ReLU' bottom: 'a' top: 'z' include { phase: TEST } }\n"
      "layer { name: 'staged' type: 'Frobnicate' bottom: 'a' top: 'w' include { stage: 'deploy' } }\n");
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_int_eq(n->nlayer, 1);
  ck_assert_str_eq(n->layers[0]->name, "test_only");
}
END_TEST

START_TEST(in_place_versions) {
  Net *n = load_text("input: 'a' input_shape { dim: 1 dim: 3 dim: 4 dim: 4 }\n"
                     "layer { name: 'r1' type: 'ReLU' bottom: 'a' top: 'b' }\n"
                     "layer { name: 'r2' type: 'ReLU' bottom: 'b' top: 'b' }\n"
                     "layer { name: 's' type: 'Split' bottom: 'b' top: 'c' top: 'd' }\n"
                     "layer { name: 'e' type: 'Eltwise' bottom: 'c' bottom: 'b' top: 'f' }\n");
  ck_assert_msg(n != NULL, "%s", errbuf);
  Layer *r2 = ld_find_layer(n, "r2"), *e = ld_find_layer(n, "e");
  ck_assert_int_eq(r2->bottom[0]->version, 0);
  ck_assert_int_eq(r2->top[0]->version, 1);
  /* readers after the in-place layer see its output */
  ck_assert_ptr_eq(e->bottom[1], r2->top[0]);
  ck_assert_int_eq(r2->top[0]->nconsumers, 2);
  /* split's second top is unused: an output, as in Caffe */
  ck_assert_int_eq(n->noutput, 2);
}
END_TEST

START_TEST(v1_file) {
  Net *n = load_text("name: 'v1' input: 'data' input_dim: 1 input_dim: 1 input_dim: 8 input_dim: 8\n"
                     "layers { name: 'c' type: CONVOLUTION bottom: 'data' top: 'c'\n"
                     "  convolution_param { num_output: 2 kernel_size: 3 } }\n"
                     "layers { name: 'r' type: RELU bottom: 'c' top: 'c' }\n"
                     "layers { name: 'p' type: POOLING bottom: 'c' top: 'p'\n"
                     "  pooling_param { pool: AVE kernel_size: 3 stride: 2 } }\n");
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_str_eq(n->layers[0]->type, "CONVOLUTION");
  ck_assert_int_eq(n->layers[0]->kind, LK_CONV);
  ck_assert_int_eq(n->layers[2]->kind, LK_POOL);
  /* 6x6 -> ceil((6-3)/2)+1 = 3 */
  ck_assert_int_eq(n->outputs[0]->shape.d[2], 3);
}
END_TEST

START_TEST(batch_reshape) {
  Net *n = load_text("input: 'a' input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n"
                     "layer { name: 'f' type: 'Flatten' bottom: 'a' top: 'b' }\n");
  ck_assert_ptr_nonnull(n);
  ck_assert_int_eq(ld_set_batch(n, 5), 0);
  ck_assert_int_eq(n->outputs[0]->shape.d[0], 5);
  ck_assert_int_eq(n->outputs[0]->shape.d[1], 192);
}
END_TEST

START_TEST(all_errors_reported) {
  Net *n = load_text("input: 'a' input_shape { dim: 1 dim: 3 }\n"
                     "layer { name: 'x' type: 'Nope' bottom: 'a' top: 'b' }\n"
                     "layer { name: 'y' type: 'ReLU' bottom: 'missing' top: 'c' }\n"
                     "layer { name: 'z' type: 'Concat' bottom: 'a' top: 'd' top: 'd' }\n");
  ck_assert_ptr_null(n);
  ck_assert_int_ge(dg.nerrors, 3);
  ck_assert_msg(strstr(errbuf, ":2:19: error: layer 'x': unknown layer type 'Nope'") != NULL, "%s", errbuf);
  ck_assert_msg(strstr(errbuf, ":3:32: error: layer 'y' (ReLU): bottom 'missing' is not produced") != NULL, "%s", errbuf);
  ck_assert_msg(strstr(errbuf, "top 'd' is listed twice") != NULL, "%s", errbuf);
}
END_TEST

START_TEST(no_input) {
  Net *n = load_text("layer { name: 'r' type: 'ReLU' bottom: 'a' top: 'b' }\n");
  ck_assert_ptr_null(n);
  ck_assert_msg(strstr(errbuf, "bottom 'a' is not produced") != NULL, "%s", errbuf);
}
END_TEST

START_TEST(mixed_formats) {
  Net *n = load_text("input: 'a' input_shape { dim: 1 }\n"
                     "layer { name: 'r' type: 'ReLU' bottom: 'a' top: 'b' }\n"
                     "layers { name: 's' type: RELU bottom: 'b' top: 'c' }\n");
  ck_assert_ptr_null(n);
  ck_assert_msg(strstr(errbuf, "mixes `layer` and V1 `layers`") != NULL, "%s", errbuf);
}
END_TEST

START_TEST(input_dim_count) {
  Net *n = load_text("input: 'a' input_dim: 1 input_dim: 2\n");
  ck_assert_ptr_null(n);
  ck_assert_msg(strstr(errbuf, "1 inputs need 4 input_dim values, got 2") != NULL, "%s", errbuf);
}
END_TEST

START_TEST(too_many_bottoms) {
  char text[8192];
  int k = snprintf(text, sizeof text, "input: 'a' input_shape { dim: 1 dim: 2 }\n"
                                      "layer { name: 'c' type: 'Concat' top: 'b'");
  for (int i = 0; i < IR_MAX_IO + 1; i++) k += snprintf(text + k, sizeof text - (size_t)k, " bottom: 'a'");
  snprintf(text + k, sizeof text - (size_t)k, " }\n");
  Net *n = load_text(text);
  ck_assert_ptr_null(n);
  ck_assert_msg(strstr(errbuf, "layer 'c' (Concat): has 65 bottoms and 1 tops; at most 64 of each are supported") != NULL,
                "%s", errbuf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("loader");
  TCase *tc = tcase_create("loader");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, legacy_input_dim);
  tcase_add_test(tc, legacy_input_shape_and_input_layer);
  tcase_add_test(tc, phase_rules);
  tcase_add_test(tc, in_place_versions);
  tcase_add_test(tc, v1_file);
  tcase_add_test(tc, batch_reshape);
  tcase_add_test(tc, all_errors_reported);
  tcase_add_test(tc, no_input);
  tcase_add_test(tc, mixed_formats);
  tcase_add_test(tc, input_dim_count);
  tcase_add_test(tc, too_many_bottoms);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
