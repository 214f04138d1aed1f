/* test_fidelity.c - the output fidelity metrics (compiler/fidelity.h):
 * cosine, SQNR and max abs error on hand-computed tensors, and the
 * matching of detection rows (IoU, label, score rule, greedy order). */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "fidelity.h"

START_TEST(tensor_metrics) {
  const float r[4] = {1, 2, 3, 4}, x[4] = {1, 2, 3, 5};
  FdAcc a;
  fd_init(&a);
  fd_add(&a, r, x, 4);
  /* dot 34, |r|^2 30, |x|^2 39, error energy 1 */
  ck_assert_double_eq_tol(fd_cosine(&a), 34 / sqrt(30.0 * 39.0), 1e-12);
  ck_assert_double_eq_tol(fd_sqnr(&a), 10 * log10(30.0), 1e-12);
  ck_assert_double_eq(a.max_abs, 1);
  ck_assert_double_eq(a.ref_max, 4);
  ck_assert_int_eq(a.n, 4);
  ck_assert_double_eq_tol(a.min_cos, fd_cosine(&a), 1e-15);
  /* equal tensors: cosine 1, SQNR infinite */
  fd_init(&a);
  fd_add(&a, r, r, 4);
  ck_assert_double_eq_tol(fd_cosine(&a), 1, 1e-15);
  ck_assert(isinf(fd_sqnr(&a)) && fd_sqnr(&a) > 0);
  ck_assert_double_eq(a.max_abs, 0);
  /* twice the reference: same direction, error as large as the signal */
  const float x2[4] = {2, 4, 6, 8};
  fd_init(&a);
  fd_add(&a, r, x2, 4);
  ck_assert_double_eq_tol(fd_cosine(&a), 1, 1e-12);
  ck_assert_double_eq_tol(fd_sqnr(&a), 0, 1e-12);
  ck_assert_double_eq(a.max_abs, 4);
}
END_TEST

START_TEST(tensor_edges) {
  const float z[3] = {0, 0, 0}, v[3] = {0, 1, 0};
  FdAcc a;
  fd_init(&a);
  fd_add(&a, z, z, 3);
  ck_assert_double_eq(fd_cosine(&a), 1);
  ck_assert(isinf(fd_sqnr(&a)) && fd_sqnr(&a) > 0);
  fd_init(&a);
  fd_add(&a, z, v, 3);
  ck_assert_double_eq(fd_cosine(&a), 0);
  ck_assert(isinf(fd_sqnr(&a)) && fd_sqnr(&a) < 0);
  const float n[3] = {0, NAN, 0};
  fd_init(&a);
  fd_add(&a, v, n, 3);
  ck_assert(isinf(a.max_abs));
  /* two runs: sums over both, min_cos per run */
  const float r[2] = {1, 2}, m[2] = {-1, -2};
  fd_init(&a);
  fd_add(&a, r, r, 2);
  fd_add(&a, r, m, 2);
  ck_assert_int_eq(a.nrun, 2);
  ck_assert_int_eq(a.n, 4);
  ck_assert_double_eq_tol(a.min_cos, -1, 1e-12);
  ck_assert_double_eq_tol(fd_cosine(&a), 0, 1e-12); /* 5 - 5 over 10 */
}
END_TEST

/* A detection row. */
static void row(float *d, float img, float lab, float sc, float x0, float y0, float x1, float y1) {
  d[0] = img, d[1] = lab, d[2] = sc, d[3] = x0, d[4] = y0, d[5] = x1, d[6] = y1;
}

START_TEST(iou) {
  float a[7], b[7];
  row(a, 0, 1, 1, 0, 0, 2, 2);
  row(b, 0, 1, 1, 1, 1, 3, 3);
  ck_assert_double_eq_tol(fd_iou(a, b), 1.0 / 7.0, 1e-12);
  ck_assert_double_eq_tol(fd_iou(a, a), 1, 1e-12);
  row(b, 0, 1, 1, 2, 2, 3, 3); /* touching corners */
  ck_assert_double_eq(fd_iou(a, b), 0);
  row(b, 0, 1, 1, 5, 5, 5, 5); /* empty boxes */
  ck_assert_double_eq(fd_iou(b, b), 0);
}
END_TEST

START_TEST(boxes_exact_and_labels) {
  float r[3 * 7], x[3 * 7];
  row(r, 0, 1, 0.9f, 0.1f, 0.1f, 0.5f, 0.5f);
  row(r + 7, 0, 2, 0.8f, 0.5f, 0.5f, 0.9f, 0.9f);
  row(r + 14, -1, -1, -1, -1, -1, -1, -1); /* no-detection row */
  row(x, 0, 2, 0.85f, 0.5f, 0.5f, 0.9f, 0.9f);
  row(x + 7, 0, 1, 0.88f, 0.1f, 0.1f, 0.5f, 0.52f);
  row(x + 14, 0, 0, 0, 0, 0, 0, 0); /* zero padding */
  FdBoxes b;
  fd_boxes_init(&b, 0.5, 0);
  fd_boxes_add(&b, r, 3, x, 3);
  ck_assert_int_eq(b.nref, 2);
  ck_assert_int_eq(b.nx, 2);
  ck_assert_int_eq(b.matched, 2);
  ck_assert(fd_boxes_exact(&b));
  ck_assert_double_eq_tol(b.worst_iou, 0.16 / (0.16 + 0.008), 1e-6);
  /* the same box under another label does not match */
  x[1] = 1;
  fd_boxes_init(&b, 0.5, 0);
  fd_boxes_add(&b, r, 3, x, 3);
  ck_assert_int_eq(b.matched, 1);
  ck_assert_double_eq_tol(fd_recall(&b), 0.5, 1e-12);
  ck_assert_double_eq_tol(fd_precision(&b), 0.5, 1e-12);
  ck_assert(!fd_boxes_exact(&b));
  /* another image does not match either */
  x[1] = 2, x[0] = 1;
  fd_boxes_init(&b, 0.5, 0);
  fd_boxes_add(&b, r, 3, x, 3);
  ck_assert_int_eq(b.matched, 1);
}
END_TEST

START_TEST(boxes_rules) {
  float r[2 * 7], x[2 * 7];
  /* one reference box; two candidates: the higher score takes it even
   * with the smaller IoU, the other is a false positive */
  row(r, 0, 1, 0.9f, 0, 0, 1, 1);
  row(x, 0, 1, 0.6f, 0, 0, 1, 1);
  row(x + 7, 0, 1, 0.7f, 0, 0, 1, 0.8f);
  FdBoxes b;
  fd_boxes_init(&b, 0.5, 0);
  fd_boxes_add(&b, r, 1, x, 2);
  ck_assert_int_eq(b.matched, 1);
  ck_assert_double_eq_tol(b.worst_iou, 0.8, 1e-6);
  ck_assert_double_eq_tol(fd_recall(&b), 1, 1e-12);
  ck_assert_double_eq_tol(fd_precision(&b), 0.5, 1e-12);
  /* IoU threshold: 0.8 < 0.9 leaves the higher-score box unmatched, and
   * the lower-score one (IoU 1) then takes the reference */
  fd_boxes_init(&b, 0.9, 0);
  fd_boxes_add(&b, r, 1, x, 2);
  ck_assert_int_eq(b.matched, 1);
  ck_assert_double_eq_tol(b.worst_iou, 1, 1e-6);
  /* score rule: with score >= 0.65 only the 0.7 box counts, IoU 0.8 < 0.9 */
  fd_boxes_init(&b, 0.9, 0.65);
  fd_boxes_add(&b, r, 1, x, 2);
  ck_assert_int_eq(b.nx, 1);
  ck_assert_int_eq(b.matched, 0);
  ck_assert_double_eq(fd_recall(&b), 0);
  ck_assert_double_eq(fd_precision(&b), 0);
  /* two reference boxes, one candidate overlapping both: the larger IoU */
  row(r + 7, 0, 1, 0.5f, 0, 0.1f, 1, 0.9f);
  row(x, 0, 1, 0.6f, 0, 0.1f, 1, 0.85f);
  fd_boxes_init(&b, 0.5, 0);
  fd_boxes_add(&b, r, 2, x, 1);
  ck_assert_int_eq(b.matched, 1);
  ck_assert_double_eq_tol(b.worst_iou, 0.75 / 0.8, 1e-6);
  /* empty tables: recall and precision 1, exact; sums over runs */
  fd_boxes_init(&b, 0.5, 0);
  fd_boxes_add(&b, r, 0, x, 0);
  ck_assert(fd_boxes_exact(&b));
  ck_assert_double_eq(fd_recall(&b), 1);
  fd_boxes_add(&b, r, 1, r, 1);
  fd_boxes_add(&b, r, 1, r, 1);
  ck_assert_int_eq(b.nref, 2);
  ck_assert_int_eq(b.matched, 2);
}
END_TEST

int main(void) {
  Suite *s = suite_create("fidelity");
  TCase *tc = tcase_create("fidelity");
  tcase_add_test(tc, tensor_metrics);
  tcase_add_test(tc, tensor_edges);
  tcase_add_test(tc, iou);
  tcase_add_test(tc, boxes_exact_and_labels);
  tcase_add_test(tc, boxes_rules);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
