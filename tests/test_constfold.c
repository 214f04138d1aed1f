/* test_constfold.c - constant tensors (compiler/constfold.h): which blobs
 * are constant (PriorBox, and data movement of constant blobs only), that
 * cf_eval computes what the float interpreter computes, that the buffer
 * plan keeps them out of the arena, and that a precision_param on a
 * constant layer is ignored with a warning. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "constfold.h"
#include "interp.h"
#include "loader.h"
#include "passes.h"

/* data -> pool; pb1(pool, data), pb2(data, data) -> priors (Concat) ->
 * perm (Permute) -> flat (Flatten); mix = Concat(pool, pool) is not
 * constant; pb1 read by a Concat with a precision_param. */
static const char *NET =
    "name: \"cf\"\n"
    "layer { name: \"data\" type: \"Input\" top: \"data\"\n"
    "  input_param { shape { dim: 1 dim: 2 dim: 8 dim: 6 } } }\n"
    "layer { name: \"pool\" type: \"Pooling\" bottom: \"data\" top: \"pool\"\n"
    "  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n"
    "layer { name: \"pb1\" type: \"PriorBox\" bottom: \"pool\" bottom: \"data\" top: \"pb1\"\n"
    "  prior_box_param { min_size: 3 max_size: 5 aspect_ratio: 2 flip: true clip: true\n"
    "    variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 } }\n"
    "layer { name: \"pb2\" type: \"PriorBox\" bottom: \"data\" bottom: \"data\" top: \"pb2\"\n"
    "  prior_box_param { min_size: 2 variance: 0.1 } }\n"
    "layer { name: \"priors\" type: \"Concat\" bottom: \"pb1\" bottom: \"pb2\" top: \"priors\"\n"
    "  concat_param { axis: 2 }\n"
    "  precision_param { quant_type: \"Xilinx\" bw_layer_in: 8 bw_layer_out: 8\n"
    "    th_layer_in: 0.2 th_layer_out: 0.2 } }\n"
    "layer { name: \"perm\" type: \"Permute\" bottom: \"priors\" top: \"perm\"\n"
    "  permute_param { order: 0 order: 2 order: 1 } }\n"
    "layer { name: \"flat\" type: \"Flatten\" bottom: \"perm\" top: \"flat\" }\n"
    "layer { name: \"mix\" type: \"Concat\" bottom: \"pool\" bottom: \"pool\" top: \"mix\" }\n";

static Net *load(Arena *ar, Diag *dg, FILE *msgs) {
  char path[] = "/tmp/test_constfold_XXXXXX";
  int fd = mkstemp(path);
  ck_assert(fd >= 0);
  ck_assert(write(fd, NET, strlen(NET)) == (ssize_t)strlen(NET));
  close(fd);
  diag_init(dg, msgs);
  Net *n = ld_load(path, NULL, ar, dg);
  unlink(path);
  ck_assert_msg(n != NULL, "the test net does not load");
  return n;
}

static Blob *blob(Net *n, const char *name) {
  Blob *b = NULL;
  for (int i = 0; i < n->nblob; i++)
    if (!strcmp(n->blobs[i]->name, name)) b = n->blobs[i];
  ck_assert_msg(b != NULL, "no blob %s", name);
  return b;
}

START_TEST(marks) {
  Arena ar = {0};
  Diag dg;
  Net *n = load(&ar, &dg, stderr);
  bool *c = cf_mark(n, &ar);
  const char *yes[] = {"pb1", "pb2", "priors", "perm", "flat"};
  const char *no[] = {"data", "pool", "mix"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    ck_assert_msg(c[blob(n, yes[i])->id], "%s should be constant", yes[i]);
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    ck_assert_msg(!c[blob(n, no[i])->id], "%s should not be constant", no[i]);
  ck_assert(cf_any(n, c));
  /* the precision_param of the constant Concat was dropped */
  ck_assert(blob(n, "priors")->producer->q == NULL);
  ck_assert_int_eq(dg.nerrors, 0);
  ck_assert_int_ge(dg.nwarnings, 1);
  ar_free(&ar);
}
END_TEST

START_TEST(values_and_plan) {
  Arena ar = {0};
  Diag dg;
  Net *n = load(&ar, &dg, stderr);
  bool *c = cf_mark(n, &ar);
  float **v = cf_eval(n, c, &ar);
  Interp in;
  ck_assert_int_eq(in_init(&in, n), 0);
  float *x = calloc((size_t)rt_shape_count(&n->inputs[0]->shape), sizeof(float));
  for (int64_t i = 0; i < rt_shape_count(&n->inputs[0]->shape); i++) x[i] = (float)(i % 7) - 3;
  in_set_input(&in, 0, x);
  in_run(&in);
  for (int i = 0; i < n->nblob; i++) {
    if (!c[i]) {
      ck_assert(v[i] == NULL);
      continue;
    }
    int64_t cnt = rt_shape_count(&n->blobs[i]->shape);
    ck_assert_int_gt(cnt, 0);
    ck_assert_msg(memcmp(v[i], in_blob(&in, n->blobs[i]), (size_t)cnt * sizeof(float)) == 0,
                  "%s differs from the interpreter", n->blobs[i]->name);
  }
  /* the plan: constant blobs are not in the arena, except an output */
  PsPlan p;
  ps_plan(n, &p);
  ck_assert_int_eq(p.where[blob(n, "priors")->id], PS_CONST);
  ck_assert_int_eq(p.where[blob(n, "flat")->id], PS_OUTPUT);
  ck_assert_int_eq(p.where[blob(n, "mix")->id], PS_OUTPUT);
  ck_assert(p.cfold[blob(n, "pb1")->producer->id]);
  ck_assert(p.cfold[blob(n, "flat")->producer->id]);
  ck_assert(!p.cfold[blob(n, "mix")->producer->id]);
  ck_assert(!p.cfold[blob(n, "pool")->producer->id]);
  free(x);
  in_free(&in);
  ar_free(&ar);
}
END_TEST

int main(void) {
  Suite *s = suite_create("constfold");
  TCase *tc = tcase_create("constfold");
  tcase_add_test(tc, marks);
  tcase_add_test(tc, values_and_plan);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
