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

/* The ReLU map over [0, n - n % 8) with the output stage k (LEAKY: the
 * sign selects (M, sh) or (Mn, shn)) on the widened codes. */
static inline __attribute__((always_inline)) int64_t relu_run(const oqn *k, const int16_t *x,
                                                              int16_t *y, int64_t n, bool pos) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int16x8_t a = vld1q_s16(x + i);
    vst1q_s16(y + i, vcombine_s16(oqn_apply_p(k, vmovl_s16(vget_low_s16(a)), pos),
                                  oqn_apply_p(k, vmovl_s16(vget_high_s16(a)), pos)));
  }
  return i;
}

int64_t fx_relu_neon(const int16_t *x, int16_t *y, int64_t n, int32_t M, int sh, int32_t Mn,
                     int shn, int32_t qmin, int32_t qmax) {
  if (sh > 63 || shn > 63 || qmin < INT16_MIN || qmax > INT16_MAX || qmin > qmax) return 0;
  oqn k;
  k.relu = RT_FX_LEAKY;
  k.pos = sh > 0 && shn > 0;
  k.M = vdup_n_s32(M), k.Mn = vdup_n_s32(Mn);
  k.s = vdupq_n_s64(sh > 0 ? -sh : 0), k.sn = vdupq_n_s64(shn > 0 ? -shn : 0);
  k.neg = vdupq_n_s64(sh > 0 ? -1 : 0), k.negn = vdupq_n_s64(shn > 0 ? -1 : 0);
  k.lo = vdupq_n_s32(qmin), k.hi = vdupq_n_s32(qmax);
  return k.pos ? relu_run(&k, x, y, n, true) : relu_run(&k, x, y, n, false);
}
#endif
