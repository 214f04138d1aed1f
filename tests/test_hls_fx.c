/* test_hls_fx.c - the HLS kernel library (templates/hls/chai_fx.h, copied
 * into every HLS project) against the runtime's fixed-point rules, bit for
 * bit: fx_rshift = rt_fx_rshift, fx_requant64 = rt_fx_requant for every
 * int64 accumulator, fx_requant32 = rt_fx_requant where its contract holds
 * (|acc| <= 2^31), over edge values and a million random draws; and the
 * DSP48E2 packing (fx_mul2 / fx_lo18 / fx_hi18) gives both plain products
 * for every a, w0, w1 in [-128, 127]. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "../templates/hls/chai_fx.h"
#include "rt_fixed.h"

static uint64_t rs = 88172645463325252ull;
static uint64_t next(void) { /* xorshift64 */
  rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
  return rs;
}
/* A random int64 of random magnitude (2^0 .. 2^bits). */
static int64_t mag(int bits) {
  int b = (int)(next() % (unsigned)(bits + 1));
  int64_t v = b >= 63 ? (int64_t)(next() >> 1) : (int64_t)(next() & (((uint64_t)1 << b) - 1));
  return next() & 1 ? -v : v;
}

START_TEST(rshift) {
  static const int64_t edge[] = {0, 1, -1, 2, -2, 3, -3, 5, -5, 1ll << 40, -(1ll << 40),
                                 (1ll << 62), -(1ll << 62)};
  for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
    for (int sh = 0; sh <= 62; sh++)
      ck_assert_int_eq(fx_rshift(edge[i], sh), rt_fx_rshift(edge[i], sh));
  for (int i = 0; i < 1000000; i++) {
    int64_t x = mag(62);
    int sh = (int)(next() % 63);
    ck_assert_int_eq(fx_rshift(x, sh), rt_fx_rshift(x, sh));
  }
}
END_TEST

START_TEST(requant) {
  static const int32_t qr[][2] = {{-128, 127}, {-32, 31}, {0, 255}, {-32768, 32767}};
  static const int64_t edge[] = {0, 1, -1, 1ll << 31, -(1ll << 31), (1ll << 31) + 1,
                                 -(1ll << 31) - 1, INT64_MAX, INT64_MIN + 1, 1ll << 62};
  static const int32_t em[] = {0, 1, -1, 1 << 30, -(1 << 30), INT32_MAX, -INT32_MAX};
  for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
    for (size_t m = 0; m < sizeof em / sizeof *em; m++)
      for (int sh = 0; sh <= 62; sh += 2) {
        int32_t lo = qr[sh % 4][0], hi = qr[sh % 4][1];
        ck_assert_int_eq(fx_requant64(edge[i], em[m], sh, lo, hi),
                         rt_fx_requant(edge[i], em[m], sh, lo, hi));
      }
  for (int i = 0; i < 1000000; i++) {
    int32_t M = (int32_t)mag(31);
    int sh = (int)(next() % 63);
    int32_t lo = qr[i % 4][0], hi = qr[i % 4][1];
    int64_t acc = mag(62);
    ck_assert_int_eq(fx_requant64(acc, M, sh, lo, hi), rt_fx_requant(acc, M, sh, lo, hi));
    int64_t a32 = mag(31); /* fx_requant32's contract: |acc| <= 2^31 */
    ck_assert_int_eq(fx_requant32(a32, M, sh, lo, hi), rt_fx_requant(a32, M, sh, lo, hi));
  }
}
END_TEST

/* Every triple of 8-bit codes: the packed product splits into exactly the
 * two plain products (16.7 M cases). */
START_TEST(mul2) {
  long bad = 0;
  for (int a = -128; a <= 127; a++)
    for (int w0 = -128; w0 <= 127; w0++)
      for (int w1 = -128; w1 <= 127; w1++) {
        int64_t p = fx_mul2(a, w0, w1);
        bad += fx_lo18(p) != a * w0 || fx_hi18(p) != a * w1;
      }
  ck_assert_int_eq(bad, 0);
  /* and the packing is not the identity: a case where p differs from a plain product */
  ck_assert(fx_mul2(-3, 5, -7) == 21 * 262144LL - 15);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hls_fx");
  TCase *tc = tcase_create("scalar rules");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, rshift);
  tcase_add_test(tc, requant);
  tcase_add_test(tc, mul2);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int nf = srunner_ntests_failed(r);
  srunner_free(r);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
