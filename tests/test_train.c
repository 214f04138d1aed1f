/* test_train.c - the training-net rewrite (compiler/train.c): Caffe's
 * NetState rules (phase, min/max level, stage/not_stage, include against
 * exclude), data layers to an Input (--input_shape, DummyData, MemoryData,
 * the located error without a shape), losses in their deploy form, label
 * pruning, and the --input_shape parser. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "train.h"

static Arena ar;
static Diag dg;
static char errbuf[8192];
static char path[64];

/* Writes text to a temp prototxt and loads it with --input_shape shape
 * (NULL: none); diagnostics go to errbuf. */
static Net *load(const char *text, const char *shape) {
  snprintf(path, sizeof path, "/tmp/chai_tr_%d.prototxt", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  memset(errbuf, 0, sizeof errbuf);
  FILE *errf = fmemopen(errbuf, sizeof errbuf - 1, "w");
  diag_init(&dg, errf);
  tr_input_shape = (TrShape){0};
  if (shape) ck_assert_int_eq(tr_parse_shape(shape, &tr_input_shape, &dg), 0);
  Net *n = ld_load(path, NULL, &ar, &dg);
  fclose(errf);
  unlink(path);
  tr_input_shape = (TrShape){0};
  return n;
}

static void teardown(void) { ar_free(&ar); }

static bool has_layer(const Net *n, const char *name) { return ld_find_layer(n, name) != NULL; }

#define IN "layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 1 dim: 2 } } }\n"
#define R(name, rules) "layer { name: '" name "' type: 'ReLU' bottom: 'x' top: '" name "' " rules " }\n"

START_TEST(state_rules) {
  Net *n = load("state { level: 2 stage: 'a' stage: 'b' }\n" IN
                R("p_test", "include { phase: TEST }")
                R("p_train", "include { phase: TRAIN }")
                R("lvl_ok", "include { min_level: 2 max_level: 2 }")
                R("lvl_low", "include { min_level: 3 }")
                R("lvl_high", "include { max_level: 1 }")
                R("st_ab", "include { stage: 'a' stage: 'b' }")
                R("st_c", "include { stage: 'a' stage: 'c' }")
                R("not_a", "include { not_stage: 'a' }")
                R("not_c", "include { not_stage: 'c' }")
                R("any_of", "include { stage: 'c' } include { stage: 'b' }")
                R("ex_train", "exclude { phase: TRAIN }")
                R("ex_a", "exclude { stage: 'a' }")
                R("ex_lvl", "exclude { min_level: 5 }")
                R("both_phase", "include { phase: TEST stage: 'c' }"),
                NULL);
  ck_assert_msg(n != NULL, "%s", errbuf);
  const char *kept[] = {"p_test", "lvl_ok", "st_ab", "not_c", "any_of", "ex_train", "ex_lvl"};
  const char *gone[] = {"p_train", "lvl_low", "lvl_high", "st_c", "not_a", "ex_a", "both_phase"};
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
    ck_assert_msg(has_layer(n, kept[i]), "%s dropped", kept[i]);
  for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
    ck_assert_msg(!has_layer(n, gone[i]), "%s kept", gone[i]);
}
END_TEST

START_TEST(rule_function) {
  Caffe__NetState st = CAFFE__NET_STATE__INIT;
  Caffe__NetStateRule r = CAFFE__NET_STATE_RULE__INIT;
  ck_assert(tr_rule_met(NULL, &r)); /* an empty rule always holds */
  r.has_phase = true;
  r.phase = CAFFE__PHASE__TRAIN;
  ck_assert(!tr_rule_met(&st, &r));
  r.phase = CAFFE__PHASE__TEST;
  ck_assert(tr_rule_met(&st, &r));
  r.has_min_level = true;
  r.min_level = 1;
  ck_assert(!tr_rule_met(NULL, &r)); /* default level 0 */
  st.level = 1;
  ck_assert(tr_rule_met(&st, &r));
}
END_TEST

START_TEST(include_and_exclude_is_an_error) {
  Net *n = load(IN R("r", "include { phase: TEST } exclude { stage: 'x' }"), NULL);
  ck_assert_ptr_null(n);
  ck_assert_ptr_nonnull(strstr(errbuf, "either include rules or exclude rules"));
}
END_TEST

#define DATA(type, extra)                                                              \
  "layer { name: 'd' type: '" type "' top: 'data' top: 'label' " extra " }\n"         \
  "layer { name: 'ip' type: 'InnerProduct' bottom: 'data' top: 'ip' "                 \
  "inner_product_param { num_output: 3 } }\n"                                         \
  "layer { name: 'acc' type: 'Accuracy' bottom: 'ip' bottom: 'label' top: 'acc' }\n" \
  "layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'ip' bottom: 'label' top: 'loss' "  \
  "softmax_param { axis: 1 } loss_weight: 1 }\n"

START_TEST(data_to_input) {
  Net *n = load(DATA("Data", "data_param { batch_size: 64 }"), "2,1,4,4");
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert(n->from_train);
  ck_assert_int_eq(n->ninput, 1);
  ck_assert_str_eq(n->inputs[0]->name, "data");
  ck_assert_int_eq(n->inputs[0]->shape.d[0], 2);
  ck_assert_int_eq(n->inputs[0]->shape.d[3], 4);
  ck_assert_int_eq(n->nlayer, 3); /* d, ip, loss */
  const Layer *l = ld_find_layer(n, "loss");
  ck_assert_int_eq(l->kind, LK_SOFTMAX);
  ck_assert_int_eq(l->nbottom, 1);
  ck_assert_int_eq(n->noutput, 1);
  ck_assert_str_eq(n->outputs[0]->name, "loss");
  ck_assert_ptr_nonnull(strstr(errbuf, "'acc' (Accuracy): dropped"));
  /* the batch of the converted data layer follows ld_set_batch */
  ck_assert_int_eq(ld_set_batch(n, 5), 0);
  ck_assert_int_eq(n->outputs[0]->shape.d[0], 5);
}
END_TEST

START_TEST(shape_from_the_layer) {
  Net *n = load(DATA("DummyData", "dummy_data_param { shape { dim: 3 dim: 1 dim: 2 dim: 2 } }"), NULL);
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_int_eq(n->inputs[0]->shape.d[0], 3);
  n = load(DATA("DummyData", "dummy_data_param { num: 2 channels: 1 height: 5 width: 5 }"), NULL);
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_int_eq(n->inputs[0]->shape.d[2], 5);
  n = load(DATA("MemoryData", "memory_data_param { batch_size: 4 channels: 1 height: 3 width: 3 }"),
           NULL);
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_int_eq(n->inputs[0]->shape.d[0], 4);
  /* --input_shape wins over the layer's own */
  n = load(DATA("MemoryData", "memory_data_param { batch_size: 4 channels: 1 height: 3 width: 3 }"),
           "1,1,3,3");
  ck_assert_int_eq(n->inputs[0]->shape.d[0], 1);
}
END_TEST

START_TEST(no_shape_is_a_located_error) {
  Net *n = load(IN "\n" DATA("ImageData", ""), NULL);
  ck_assert_ptr_null(n);
  ck_assert_ptr_nonnull(strstr(errbuf, ":3:1: error: layer 'd' (ImageData): "));
  ck_assert_ptr_nonnull(strstr(errbuf, "--input_shape"));
  ck_assert_ptr_null(strstr(errbuf, "note:")); /* no notes after the error */
}
END_TEST

START_TEST(labels_pruned) {
  /* a layer reading the label, and a branch only a dropped layer reads */
  Net *n = load("layer { name: 'd' type: 'HDF5Data' top: 'data' top: 'label' }\n"
                "layer { name: 'lab2' type: 'Power' bottom: 'label' top: 'lab2' }\n"
                "layer { name: 'ip' type: 'InnerProduct' bottom: 'data' top: 'ip' "
                "inner_product_param { num_output: 3 } }\n"
                "layer { name: 'side' type: 'Sigmoid' bottom: 'ip' top: 'side' }\n"
                "layer { name: 'eu' type: 'EuclideanLoss' bottom: 'side' bottom: 'lab2' top: 'l1' }\n"
                "layer { name: 'sl' type: 'SigmoidCrossEntropyLoss' bottom: 'ip' bottom: 'label' "
                "top: 'l2' }\n"
                "layer { name: 'sil' type: 'Silence' bottom: 'ip' }\n",
                "1,4");
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert(!has_layer(n, "lab2") && !has_layer(n, "side") && !has_layer(n, "eu"));
  ck_assert(!has_layer(n, "sil"));
  ck_assert_int_eq(ld_find_layer(n, "sl")->kind, LK_SIGMOID);
  ck_assert_int_eq(n->noutput, 1);
  ck_assert_ptr_nonnull(strstr(errbuf, "'side' (Sigmoid): dropped (only dropped layers read it)"));
  ck_assert_ptr_nonnull(strstr(errbuf, "'lab2' (Power): dropped (it reads the label blob 'label')"));
  /* SoftmaxWithLoss with its optional probabilities top */
  n = load(IN "layer { name: 'l' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'x' top: 'loss' "
           "top: 'prob' }\n", NULL);
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_int_eq(n->noutput, 1);
  ck_assert_str_eq(n->outputs[0]->name, "prob");
}
END_TEST

START_TEST(v1_training_file) {
  Net *n = load("layers { name: 'd' type: DATA top: 'data' top: 'label' include { phase: TEST } }\n"
                "layers { name: 'd' type: DATA top: 'data' top: 'label' include { phase: TRAIN } }\n"
                "layers { name: 'ip' type: INNER_PRODUCT bottom: 'data' top: 'ip' "
                "inner_product_param { num_output: 3 } }\n"
                "layers { name: 'acc' type: ACCURACY bottom: 'ip' bottom: 'label' top: 'a' }\n"
                "layers { name: 'loss' type: SOFTMAX_LOSS bottom: 'ip' bottom: 'label' top: 'l' }\n",
                "1,5");
  ck_assert_msg(n != NULL, "%s", errbuf);
  ck_assert_int_eq(n->nlayer, 3);
  ck_assert_int_eq(n->layers[0]->kind, LK_INPUT);
  ck_assert_int_eq(n->layers[2]->kind, LK_SOFTMAX);
  Caffe__NetParameter *np = tr_deploy_param(n);
  ck_assert_int_eq((int)np->n_layer, 3);
  ck_assert_str_eq(np->layer[1]->type, "InnerProduct");
  ck_assert_str_eq(np->layer[2]->type, "Softmax");
  ck_assert_int_eq((int)np->layer[0]->input_param->shape[0]->dim[1], 5);
}
END_TEST

START_TEST(unused_input_shape) {
  Net *n = load(IN R("r", ""), "1,2");
  ck_assert_ptr_nonnull(n);
  ck_assert(!n->from_train);
  ck_assert_ptr_nonnull(strstr(errbuf, "note: --input_shape is not used: the net has no data layer"));
}
END_TEST

START_TEST(parse_shape) {
  TrShape s;
  Diag d;
  FILE *f = fopen("/dev/null", "w");
  diag_init(&d, f);
  ck_assert_int_eq(tr_parse_shape("1,3,224,224", &s, &d), 0);
  ck_assert_int_eq(s.nd, 4);
  ck_assert_int_eq(s.d[3], 224);
  const char *bad[] = {"", "1,", ",1", "1,,2", "0,3", "-1", "1,x", "1 ,2", "1,2,3,4,5,6,7,8,9",
                       "99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(tr_parse_shape(bad[i], &s, &d) == -1, "'%s' accepted", bad[i]);
  ck_assert_int_eq(d.nerrors, (int)(sizeof bad / sizeof *bad));
  fclose(f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("train");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, state_rules);
  tcase_add_test(tc, rule_function);
  tcase_add_test(tc, include_and_exclude_is_an_error);
  tcase_add_test(tc, data_to_input);
  tcase_add_test(tc, shape_from_the_layer);
  tcase_add_test(tc, no_shape_is_a_located_error);
  tcase_add_test(tc, labels_pruned);
  tcase_add_test(tc, v1_training_file);
  tcase_add_test(tc, unused_input_shape);
  tcase_add_test(tc, parse_shape);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
