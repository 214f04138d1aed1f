/* arm/rt_ip_neon.c - the float InnerProduct block of the generated C on
 * ARM NEON (contract in arm/rt_conv_arm.h): 32 outputs in 8 vector
 * accumulators (named, so that GCC keeps them in registers on ARMv7
 * too); per 4 k one load of 4 inputs, then per k 8 weight vectors each
 * multiplied by a lane of it (FMLA by element / VMLA by scalar); the last
 * K % 4 k take the input by broadcast. */
#include <stddef.h>

#include "rt_conv_arm.h"

#if defined(__GNUC__) && defined(__ARM_NEON) && (defined(__aarch64__) || defined(__arm__))
#include <arm_neon.h>

#if defined(__aarch64__)
#if defined(CHAI_STRICT_FP)
#define MAC_LANE(a, w, xv, l) vaddq_f32((a), vmulq_laneq_f32((w), (xv), (l)))
#define MAC_N(a, w, s) vaddq_f32((a), vmulq_n_f32((w), (s)))
#else
#define MAC_LANE(a, w, xv, l) vfmaq_laneq_f32((a), (w), (xv), (l))
#define MAC_N(a, w, s) vfmaq_f32((a), (w), vdupq_n_f32(s))
#endif
#else
#define MAC_LANE(a, w, xv, l) \
  ((l) < 2 ? vmlaq_lane_f32((a), (w), vget_low_f32(xv), (l) & 1) \
           : vmlaq_lane_f32((a), (w), vget_high_f32(xv), (l) & 1))
#define MAC_N(a, w, s) vmlaq_n_f32((a), (w), (s))
#endif

/* One k: the 32 weights at wk times lane l of xv. */
#define STEP(wk, l)                                         \
  do {                                                      \
    const float *p = (wk);                                  \
    a0 = MAC_LANE(a0, vld1q_f32(p), xv, l);                 \
    a1 = MAC_LANE(a1, vld1q_f32(p + 4), xv, l);             \
    a2 = MAC_LANE(a2, vld1q_f32(p + 8), xv, l);             \
    a3 = MAC_LANE(a3, vld1q_f32(p + 12), xv, l);            \
    a4 = MAC_LANE(a4, vld1q_f32(p + 16), xv, l);            \
    a5 = MAC_LANE(a5, vld1q_f32(p + 20), xv, l);            \
    a6 = MAC_LANE(a6, vld1q_f32(p + 24), xv, l);            \
    a7 = MAC_LANE(a7, vld1q_f32(p + 28), xv, l);            \
  } while (0)

void rt_ip_blk32_f32(float *acc, const float *x, const float *w, int K) {
  float32x4_t a0 = vld1q_f32(acc), a1 = vld1q_f32(acc + 4), a2 = vld1q_f32(acc + 8);
  float32x4_t a3 = vld1q_f32(acc + 12), a4 = vld1q_f32(acc + 16), a5 = vld1q_f32(acc + 20);
  float32x4_t a6 = vld1q_f32(acc + 24), a7 = vld1q_f32(acc + 28);
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    const float32x4_t xv = vld1q_f32(x + k);
    const float *wk = w + (ptrdiff_t)k * 32;
    STEP(wk, 0);
    STEP(wk + 32, 1);
    STEP(wk + 64, 2);
    STEP(wk + 96, 3);
  }
  for (; k < K; k++) {
    const float *p = w + (ptrdiff_t)k * 32;
    const float s = x[k];
    a0 = MAC_N(a0, vld1q_f32(p), s);
    a1 = MAC_N(a1, vld1q_f32(p + 4), s);
    a2 = MAC_N(a2, vld1q_f32(p + 8), s);
    a3 = MAC_N(a3, vld1q_f32(p + 12), s);
    a4 = MAC_N(a4, vld1q_f32(p + 16), s);
    a5 = MAC_N(a5, vld1q_f32(p + 20), s);
    a6 = MAC_N(a6, vld1q_f32(p + 24), s);
    a7 = MAC_N(a7, vld1q_f32(p + 28), s);
  }
  vst1q_f32(acc, a0), vst1q_f32(acc + 4, a1), vst1q_f32(acc + 8, a2);
  vst1q_f32(acc + 12, a3), vst1q_f32(acc + 16, a4), vst1q_f32(acc + 20, a5);
  vst1q_f32(acc + 24, a6), vst1q_f32(acc + 28, a7);
}
#endif
