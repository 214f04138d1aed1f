/* arm/rt_conv_neon.c - the float convolution tile on ARM NEON (contract
 * in arm/rt_conv_arm.h).  A micro-kernel is R channels x 8 positions
 * (R <= 8 on AArch64: 16 accumulators of its 32 registers; R <= 4 on
 * ARMv7: 8 of 16).  It loads 4 consecutive k of each channel's weights as
 * one vector and multiplies the two input vectors of each k by a lane of
 * it (FMLA by element / VMLA by scalar), so a k costs 2 loads and 2R
 * multiply-accumulates; the last K % 4 k take the weight by broadcast. */
#include <stddef.h>

#include "rt_conv_arm.h"

#if defined(__GNUC__) && defined(__ARM_NEON) && (defined(__aarch64__) || defined(__arm__))
#include <arm_neon.h>

#if defined(__aarch64__)
#define RMAX 8
#if defined(CHAI_STRICT_FP)
#define MAC_LANE(a, x, wv, l) vaddq_f32((a), vmulq_laneq_f32((x), (wv), (l)))
#define MAC_N(a, x, s) vaddq_f32((a), vmulq_n_f32((x), (s)))
#else
#define MAC_LANE(a, x, wv, l) vfmaq_laneq_f32((a), (x), (wv), (l))
#define MAC_N(a, x, s) vfmaq_f32((a), (x), vdupq_n_f32(s))
#endif
#else
#define RMAX 4
#define MAC_LANE(a, x, wv, l) \
  ((l) < 2 ? vmlaq_lane_f32((a), (x), vget_low_f32(wv), (l) & 1) \
           : vmlaq_lane_f32((a), (x), vget_high_f32(wv), (l) & 1))
#define MAC_N(a, x, s) vmlaq_n_f32((a), (x), (s))
#endif

/* One k (lane l of the weight vectors wv) for R channels. */
#define STEP(l)                                                   \
  do {                                                            \
    const float *xp = xs + koff[k + (l)];                         \
    const float32x4_t x0 = vld1q_f32(xp), x1 = vld1q_f32(xp + 4); \
    for (int r = 0; r < R; r++) {                                 \
      a[r][0] = MAC_LANE(a[r][0], x0, wv[r], l);                  \
      a[r][1] = MAC_LANE(a[r][1], x1, wv[r], l);                  \
    }                                                             \
  } while (0)

/* The R x 8 block at acc (rows ldc apart) of channels w (rows K apart),
 * positions xs + koff[k]; R is a constant after inlining, so a and wv
 * live in registers. */
static inline __attribute__((always_inline)) void block(float *acc, int ldc, const float *w,
                                                        int K, const float *xs,
                                                        const int32_t *koff,
                                                        const float *bias, const int R) {
  float32x4_t a[RMAX][2], wv[RMAX];
  for (int r = 0; r < R; r++) a[r][0] = a[r][1] = vdupq_n_f32(bias ? bias[r] : 0.0f);
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    for (int r = 0; r < R; r++) wv[r] = vld1q_f32(w + (ptrdiff_t)r * K + k);
    STEP(0);
    STEP(1);
    STEP(2);
    STEP(3);
  }
  for (; k < K; k++) {
    const float *xp = xs + koff[k];
    const float32x4_t x0 = vld1q_f32(xp), x1 = vld1q_f32(xp + 4);
    for (int r = 0; r < R; r++) {
      const float s = w[(ptrdiff_t)r * K + k];
      a[r][0] = MAC_N(a[r][0], x0, s);
      a[r][1] = MAC_N(a[r][1], x1, s);
    }
  }
  for (int r = 0; r < R; r++) {
    vst1q_f32(acc + (ptrdiff_t)r * ldc, a[r][0]);
    vst1q_f32(acc + (ptrdiff_t)r * ldc + 4, a[r][1]);
  }
}

#define BLOCK(R) block(acc + (ptrdiff_t)r0 * ldc + j, ldc, w + (ptrdiff_t)r0 * K, K, xs + j, koff, bias ? bias + r0 : NULL, R)

void rt_conv_tile_f32(float *acc, int ldc, const float *w, int K, const float *xs,
                      const int32_t *koff, const float *bias, int mr, int nr) {
  for (int r0 = 0; r0 < mr; r0 += RMAX) {
    const int R = mr - r0 < RMAX ? mr - r0 : RMAX;
    for (int j = 0; j + 8 <= nr; j += 8) {
      switch (R) {
      case 1: BLOCK(1); break;
      case 2: BLOCK(2); break;
      case 3: BLOCK(3); break;
#if RMAX == 8
      case 4: BLOCK(4); break;
      case 5: BLOCK(5); break;
      case 6: BLOCK(6); break;
      case 7: BLOCK(7); break;
      default: BLOCK(8); break;
#else
      default: BLOCK(4); break;
#endif
      }
    }
  }
}
#endif
