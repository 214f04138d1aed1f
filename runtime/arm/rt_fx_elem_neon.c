/* arm/rt_fx_elem_neon.c - the Eltwise SUM of two inputs and the ReLU
 * map of rt_fx_elem.c with NEON (AArch64, ARMv7 NEON). */
#include "rt_fx_arm.h"

#if FX_NEON
/* x0 * M0 + x1 * M1 (int64, exact: |x| <= 2^15, |M| < 2^31) for 4 lanes,
 * then rsh by sh (SRSHL of v + (v >> 63)), saturated to int32. */
static inline __attribute__((always_inline)) int32x4_t sum2(int16x4_t a, int16x4_t b,
                                                            int32x2_t M0, int32x2_t M1,
                                                            int64x2_t s) {
  int32x4_t a32 = vmovl_s16(a), b32 = vmovl_s16(b);
  int64x2_t lo = vmlal_s32(vmull_s32(vget_low_s32(a32), M0), vget_low_s32(b32), M1);
  int64x2_t hi = vmlal_s32(vmull_s32(vget_high_s32(a32), M0), vget_high_s32(b32), M1);
  lo = vaddq_s64(lo, vshrq_n_s64(lo, 63));
  hi = vaddq_s64(hi, vshrq_n_s64(hi, 63));
  return vcombine_s32(vqmovn_s64(vrshlq_s64(lo, s)), vqmovn_s64(vrshlq_s64(hi, s)));
}

int64_t fx_elt_sum2_neon(const int16_t *x0, const int16_t *x1, int16_t *y, int64_t cnt,
                         int32_t M0, int32_t M1, int sh, int32_t qmin, int32_t qmax) {
  if (sh < 1 || sh > 63 || qmin < INT16_MIN || qmax > INT16_MAX || qmin > qmax) return 0;
  const int32x2_t m0 = vdup_n_s32(M0), m1 = vdup_n_s32(M1);
  const int64x2_t s = vdupq_n_s64(-sh);
  const int32x4_t lo = vdupq_n_s32(qmin), hi = vdupq_n_s32(qmax);
  int64_t j = 0;
  for (; j + 8 <= cnt; j += 8) {
    int16x8_t a = vld1q_s16(x0 + j), b = vld1q_s16(x1 + j);
    int32x4_t r0 = sum2(vget_low_s16(a), vget_low_s16(b), m0, m1, s);
    int32x4_t r1 = sum2(vget_high_s16(a), vget_high_s16(b), m0, m1, s);
    r0 = vminq_s32(vmaxq_s32(r0, lo), hi);
    r1 = vminq_s32(vmaxq_s32(r1, lo), hi);
    vst1q_s16(y + j, vcombine_s16(vmovn_s32(r0), vmovn_s32(r1)));
  }
  return j;
}

/* The codes of 4 lanes v of one half (M, sh) of the ReLU map: the output
 * stage of rt_fx_arm.h (oqn_rq) on the widened codes. */
static inline __attribute__((always_inline)) int32x4_t relu_half(int32x4_t v, int32x2_t M,
                                                                 int64x2_t s, int64x2_t neg,
                                                                 int32x4_t lo, int32x4_t hi) {
  return vminq_s32(vmaxq_s32(oqn_rq(v, M, s, neg), lo), hi);
}

int64_t fx_relu_neon(const int16_t *x, int16_t *y, int64_t n, int32_t M, int sh, int32_t Mn,
                     int shn, int32_t qmin, int32_t qmax) {
  if (sh > 63 || shn > 63 || qmin < INT16_MIN || qmax > INT16_MAX || qmin > qmax) return 0;
  const int32x2_t mp = vdup_n_s32(M), mn = vdup_n_s32(Mn);
  const int64x2_t sp = vdupq_n_s64(sh > 0 ? -sh : 0), sn = vdupq_n_s64(shn > 0 ? -shn : 0);
  const int64x2_t np = vdupq_n_s64(sh > 0 ? -1 : 0), nn = vdupq_n_s64(shn > 0 ? -1 : 0);
  const int32x4_t lo = vdupq_n_s32(qmin), hi = vdupq_n_s32(qmax), zero = vdupq_n_s32(0);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int16x8_t a = vld1q_s16(x + i);
    int32x4_t v[2] = {vmovl_s16(vget_low_s16(a)), vmovl_s16(vget_high_s16(a))};
    int16x4_t r[2];
    for (int h = 0; h < 2; h++) {
      int32x4_t p = relu_half(v[h], mp, sp, np, lo, hi);
      int32x4_t q = relu_half(v[h], mn, sn, nn, lo, hi);
      r[h] = vmovn_s32(vbslq_s32(vcltq_s32(v[h], zero), q, p));
    }
    vst1q_s16(y + i, vcombine_s16(r[0], r[1]));
  }
  return i;
}
#endif
