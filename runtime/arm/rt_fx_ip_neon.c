/* arm/rt_fx_ip_neon.c - the dot products of the fixed-point InnerProduct
 * (rt_fx_ip.c, weights N x K) with NEON (AArch64, ARMv7 NEON): up to
 * FX_IP_R outputs of one input row at a time, so that each load of 8
 * input codes serves 8 weight rows (AArch64, 16 accumulators) or 4
 * (ARMv7, 8 of its 16 Q registers).  int32: SMLAL / SMLAL2 (ARMv7:
 * VMLAL.S16), two accumulators per output; int64 (wide): SMULL / SMULL2
 * then SADALP (ARMv7: VMULL.S16, VPADAL.S32), exact for any codes.  The
 * sums are integers, so their order does not matter: the results are
 * the portable loop's. */
#include "rt_fx_arm.h"
#include "../rt_fx_cpu.h"

#if FX_NEON
/* Sum of the 4 lanes. */
static inline int32_t hsum32(int32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_s32(v);
#else
  int32x2_t s = vadd_s32(vget_low_s32(v), vget_high_s32(v));
  return vget_lane_s32(vpadd_s32(s, s), 0);
#endif
}

static inline int64_t hsum64(int64x2_t v) {
  return vgetq_lane_s64(v, 0) + vgetq_lane_s64(v, 1);
}

/* acc += x[0..8) * w[0..8) as two int32x4 (lo: codes 0-3, hi: 4-7). */
static inline __attribute__((always_inline)) void mla8(int32x4_t *lo, int32x4_t *hi,
                                                       int16x8_t x, const int16_t *w) {
  int16x8_t v = vld1q_s16(w);
#if defined(__aarch64__)
  *lo = vmlal_s16(*lo, vget_low_s16(x), vget_low_s16(v));
  *hi = vmlal_high_s16(*hi, x, v);
#else
  *lo = vmlal_s16(*lo, vget_low_s16(x), vget_low_s16(v));
  *hi = vmlal_s16(*hi, vget_high_s16(x), vget_high_s16(v));
#endif
}

/* int32 dot products of 4 weight rows (w, stride K); tail k scalar. */
static void dot4_32(const int16_t *x, const int16_t *w, int64_t K, int64_t *acc) {
  const int16_t *w0 = w, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  int32x4_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    int16x8_t xv = vld1q_s16(x + k);
    mla8(&a0, &b0, xv, w0 + k);
    mla8(&a1, &b1, xv, w1 + k);
    mla8(&a2, &b2, xv, w2 + k);
    mla8(&a3, &b3, xv, w3 + k);
  }
  int32_t s0 = hsum32(vaddq_s32(a0, b0)), s1 = hsum32(vaddq_s32(a1, b1));
  int32_t s2 = hsum32(vaddq_s32(a2, b2)), s3 = hsum32(vaddq_s32(a3, b3));
  for (; k < K; k++) {
    int32_t xk = x[k];
    s0 += xk * w0[k], s1 += xk * w1[k], s2 += xk * w2[k], s3 += xk * w3[k];
  }
  acc[0] = s0, acc[1] = s1, acc[2] = s2, acc[3] = s3;
}

#if defined(__aarch64__)
/* dot4_32 for 8 weight rows (16 of the 32 vector registers). */
static void dot8_32(const int16_t *x, const int16_t *w, int64_t K, int64_t *acc) {
  const int16_t *w0 = w, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
  const int16_t *w4 = w3 + K, *w5 = w4 + K, *w6 = w5 + K, *w7 = w6 + K;
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  int32x4_t b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    int16x8_t xv = vld1q_s16(x + k);
    mla8(&a0, &b0, xv, w0 + k);
    mla8(&a1, &b1, xv, w1 + k);
    mla8(&a2, &b2, xv, w2 + k);
    mla8(&a3, &b3, xv, w3 + k);
    mla8(&a4, &b4, xv, w4 + k);
    mla8(&a5, &b5, xv, w5 + k);
    mla8(&a6, &b6, xv, w6 + k);
    mla8(&a7, &b7, xv, w7 + k);
  }
  int32_t s[8] = {hsum32(vaddq_s32(a0, b0)), hsum32(vaddq_s32(a1, b1)),
                  hsum32(vaddq_s32(a2, b2)), hsum32(vaddq_s32(a3, b3)),
                  hsum32(vaddq_s32(a4, b4)), hsum32(vaddq_s32(a5, b5)),
                  hsum32(vaddq_s32(a6, b6)), hsum32(vaddq_s32(a7, b7))};
  for (; k < K; k++) {
    int32_t xk = x[k];
    for (int r = 0; r < 8; r++) s[r] += xk * w[r * K + k];
  }
  for (int r = 0; r < 8; r++) acc[r] = s[r];
}
#endif

/* int32 dot product of one weight row. */
static int32_t dot1_32(const int16_t *x, const int16_t *w, int64_t K) {
  int32x4_t a = vdupq_n_s32(0), b = a;
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) mla8(&a, &b, vld1q_s16(x + k), w + k);
  int32_t s = hsum32(vaddq_s32(a, b));
  for (; k < K; k++) s += (int32_t)x[k] * w[k];
  return s;
}

/* int64 dot product of one weight row: each product (|.| <= 2^30) in an
 * int32 lane, pairs added into int64 lanes. */
static int64_t dot1_64(const int16_t *x, const int16_t *w, int64_t K) {
  int64x2_t a = vdupq_n_s64(0), b = a;
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    int16x8_t xv = vld1q_s16(x + k), wv = vld1q_s16(w + k);
    a = vpadalq_s32(a, vmull_s16(vget_low_s16(xv), vget_low_s16(wv)));
#if defined(__aarch64__)
    b = vpadalq_s32(b, vmull_high_s16(xv, wv));
#else
    b = vpadalq_s32(b, vmull_s16(vget_high_s16(xv), vget_high_s16(wv)));
#endif
  }
  int64_t s = hsum64(vaddq_s64(a, b));
  for (; k < K; k++) s += (int32_t)x[k] * w[k];
  return s;
}

void fx_neon_ip_dot(const int16_t *x, const int16_t *w, int64_t K, int n, bool wide,
                    int64_t *acc) {
  int i = 0;
  if (wide) {
    for (; i < n; i++) acc[i] = dot1_64(x, w + i * K, K);
    return;
  }
#if defined(__aarch64__)
  if (n == 8) {
    dot8_32(x, w, K, acc);
    return;
  }
#endif
  for (; i + 4 <= n; i += 4) dot4_32(x, w + i * K, K, acc + i);
  for (; i < n; i++) acc[i] = dot1_32(x, w + i * K, K);
}
#endif
