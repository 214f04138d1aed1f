/* test_hls_engine.c - the shared engine's group bundling (hls_engine.c
 * hl_engine_bundle, docs/hls.md "Grouped and depthwise layers"): the
 * bundle is a divisor of G, has the fewest MAC loop iterations per
 * (pixel, tap) of all divisors, the smallest of the tied ones, and is 1
 * for dense layers and single lanes. */
#include <check.h>
#include <stdlib.h>

#include "hls.h"

/* The MAC loop iterations per (pixel, tap) of G groups of ICG x OCG
 * bundled k at a time on IP x OP lanes. */
static int64_t cost(int64_t G, int64_t ICG, int64_t OCG, int ip, int op, int64_t k) {
  return G / k * hl_cdiv(k * ICG, ip) * hl_cdiv(k * OCG, op);
}

START_TEST(t_cases) {
  ck_assert_int_eq(hl_engine_bundle(1, 64, 128, 16, 32), 1);    /* dense */
  ck_assert_int_eq(hl_engine_bundle(32, 1, 1, 16, 16), 16);     /* depthwise: one per lane */
  ck_assert_int_eq(hl_engine_bundle(32, 1, 1, 32, 32), 32);
  ck_assert_int_eq(hl_engine_bundle(32, 1, 1, 1, 1), 1);        /* one lane: nothing to gain */
  ck_assert_int_eq(hl_engine_bundle(3, 2, 2, 8, 8), 3);         /* 3 x (2 x 2) in one 8 x 8 block */
  ck_assert_int_eq(hl_engine_bundle(6, 1, 1, 4, 4), 3);         /* divisors only: 6 would need 2 x 2 blocks */
  ck_assert_int_eq(hl_engine_bundle(8, 1, 1, 8, 4), 4);         /* 4 and 8 tie (2 iterations): the smaller */
  ck_assert_int_eq(hl_engine_bundle(2, 16, 16, 16, 16), 1);     /* groups already fill the lanes */
  ck_assert_int_eq(hl_engine_bundle(4, 1, 2, 8, 5), 2);         /* OCG 2 on 5 output lanes */
}
END_TEST

START_TEST(t_exhaustive) {
  static const int lanes[] = {1, 2, 3, 4, 5, 8, 16, 32};
  for (int64_t G = 1; G <= 48; G++)
    for (int64_t icg = 1; icg <= 6; icg++)
      for (int64_t ocg = 1; ocg <= 6; ocg++)
        for (size_t a = 0; a < sizeof lanes / sizeof *lanes; a++)
          for (size_t b = 0; b < sizeof lanes / sizeof *lanes; b++) {
            int ip = lanes[a], op = lanes[b];
            int64_t k = hl_engine_bundle(G, icg, ocg, ip, op), c = cost(G, icg, ocg, ip, op, k);
            ck_assert(k >= 1 && G % k == 0);
            for (int64_t j = 1; j <= G; j++) {
              if (G % j) continue;
              int64_t cj = cost(G, icg, ocg, ip, op, j);
              ck_assert(cj >= c);
              if (cj == c) ck_assert(j >= k);
            }
          }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("hls_engine");
  TCase *tc = tcase_create("bundle");
  tcase_add_test(tc, t_cases);
  tcase_add_test(tc, t_exhaustive);
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
