/* arm/rt_ip_neon.c - the float InnerProduct on ARM NEON (contracts in
 * arm/rt_conv_arm.h): the block of the generated C and the transposed
 * rows of the runtime's rt_ip_f32 (the float InnerProduct of 8-bit
 * programs).  A block is 32 outputs in 8 vector
 * accumulators (named, so that GCC keeps them in registers on ARMv7
 * too); per 4 k one load of 4 inputs, then per k 8 weight vectors each
 * multiplied by a lane of it (FMLA by element / VMLA by scalar); the last
 * K % 4 k take the input by broadcast (lane 0 of a splat). */
#include <stddef.h>
#include <string.h>

#include "rt_conv_arm.h"

#if defined(__GNUC__) && defined(__ARM_NEON) && (defined(__aarch64__) || defined(__arm__))
#include <arm_neon.h>

#if defined(__aarch64__)
#if defined(CHAI_STRICT_FP)
#define MAC_LANE(a, w, xv, l) vaddq_f32((a), vmulq_laneq_f32((w), (xv), (l)))
#else
#define MAC_LANE(a, w, xv, l) vfmaq_laneq_f32((a), (w), (xv), (l))
#endif
#else
#define MAC_LANE(a, w, xv, l) \
  ((l) < 2 ? vmlaq_lane_f32((a), (w), vget_low_f32(xv), (l) & 1) \
           : vmlaq_lane_f32((a), (w), vget_high_f32(xv), (l) & 1))
#endif

/* LD(p): the 4 floats at p, p advanced past them.  ARMv7 by inline
 * VLD1 with post-increment: GCC 12 gives each vld1q_f32 of an unrolled
 * loop its own address addition (VLD1 has no offset form), 31 ADD per
 * 32 VMLA. */
#if defined(__aarch64__)
#define LD(p) (p += 4, vld1q_f32(p - 4))
#else
static inline __attribute__((always_inline)) float32x4_t ld_post(const float **p) {
  float32x4_t v;
  __asm__("vld1.32 {%e0-%f0}, [%1]!" : "=w"(v), "+r"(*p) : : "memory");
  return v;
}
#define LD(p) ld_post(&p)
#endif

/* One k: the next 32 weights at p times lane l of xv; p then moves to
 * the next k's row (ldw floats after this one's). */
#define STEP(l)                                 \
  do {                                          \
    a0 = MAC_LANE(a0, LD(p), xv, l);            \
    a1 = MAC_LANE(a1, LD(p), xv, l);            \
    a2 = MAC_LANE(a2, LD(p), xv, l);            \
    a3 = MAC_LANE(a3, LD(p), xv, l);            \
    a4 = MAC_LANE(a4, LD(p), xv, l);            \
    a5 = MAC_LANE(a5, LD(p), xv, l);            \
    a6 = MAC_LANE(a6, LD(p), xv, l);            \
    a7 = MAC_LANE(a7, LD(p), xv, l);            \
    p += ldw - 32;                              \
  } while (0)

void rt_ip_blk32_f32(float *acc, const float *x, const float *w, int K, int ldw) {
  float32x4_t a0 = vld1q_f32(acc), a1 = vld1q_f32(acc + 4), a2 = vld1q_f32(acc + 8);
  float32x4_t a3 = vld1q_f32(acc + 12), a4 = vld1q_f32(acc + 16), a5 = vld1q_f32(acc + 20);
  float32x4_t a6 = vld1q_f32(acc + 24), a7 = vld1q_f32(acc + 28);
  const float *p = w;
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    const float32x4_t xv = vld1q_f32(x + k);
    STEP(0);
    STEP(1);
    STEP(2);
    STEP(3);
  }
  for (; k < K; k++) {
    const float32x4_t xv = vdupq_n_f32(x[k]);
    STEP(0);
  }
  vst1q_f32(acc, a0), vst1q_f32(acc + 4, a1), vst1q_f32(acc + 8, a2);
  vst1q_f32(acc + 12, a3), vst1q_f32(acc + 16, a4), vst1q_f32(acc + 20, a5);
  vst1q_f32(acc + 24, a6), vst1q_f32(acc + 28, a7);
}

int rt_ip_row_t_f32(const float *x, const float *w, const float *bias, float *y, int nout,
                    int K) {
  int j = 0;
  for (; j + 32 <= nout; j += 32) {
    float acc[32] = {0};
    rt_ip_blk32_f32(acc, x, w + j, K, nout);
    if (bias)
      for (int t = 0; t < 32; t++) y[j + t] = acc[t] + bias[j + t];
    else
      memcpy(y + j, acc, sizeof acc);
  }
  return j;
}
#endif
