/* arm/rt_fx_sdot_neon.c - the GEMM tile of arm/rt_fx_gemm_neon.c with the
 * AArch64 dot-product instructions (SDOT, Armv8.2 DotProd: Cortex-A55,
 * A76 and later; not Cortex-A53), taken when the CPU reports it
 * (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) unless the environment sets
 * CHAI_NO_SDOT (to a non-empty value other than 0): then the SMLAL tile
 * runs, as on a CPU without it.  Codes and weights must fit int8; each
 * SDOT lane adds four int8 x int8 products to an int32 accumulator, so
 * the sums are the SMLAL tile's (every partial sum within the fits32
 * bound). */
#include <stdlib.h>

#include "rt_fx_arm.h"

#if FX_NEON && defined(__aarch64__)
#include <sys/auxv.h>

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20) /* Linux arch/arm64 uapi hwcap.h */
#endif

bool fx_neon_dot_ok(void) {
  /* 0 = not asked yet, 1 = no, 2 = yes; every thread computes the same */
  static int state;
  int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
  if (!s) {
    const char *e = getenv("CHAI_NO_SDOT");
    bool off = e && *e && !(e[0] == '0' && !e[1]);
    s = !off && (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) ? 2 : 1;
    __atomic_store_n(&state, s, __ATOMIC_RELAXED);
  }
  return s == 2;
}

/* Rows k, k+1, k+2, k+3 (int16 codes that fit int8, at xb + ro[i]) of 8
 * positions as two vectors of 4 positions x 4 bytes (row order). */
#define DOT_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))
DOT_TARGET static inline __attribute__((always_inline)) void
rows4(const int16_t *xb, const int32_t *ro, int8x16_t *x0, int8x16_t *x1) {
  int8x8_t r0 = vmovn_s16(vld1q_s16(xb + ro[0])), r1 = vmovn_s16(vld1q_s16(xb + ro[1]));
  int8x8_t r2 = vmovn_s16(vld1q_s16(xb + ro[2])), r3 = vmovn_s16(vld1q_s16(xb + ro[3]));
  int8x8x2_t a = vzip_s8(r0, r1), b = vzip_s8(r2, r3);
  int16x4x2_t lo = vzip_s16(vreinterpret_s16_s8(a.val[0]), vreinterpret_s16_s8(b.val[0]));
  int16x4x2_t hi = vzip_s16(vreinterpret_s16_s8(a.val[1]), vreinterpret_s16_s8(b.val[1]));
  *x0 = vreinterpretq_s8_s16(vcombine_s16(lo.val[0], lo.val[1]));
  *x1 = vreinterpretq_s8_s16(vcombine_s16(hi.val[0], hi.val[1]));
}

DOT_TARGET void fx_neon_tile_dot(int32_t *acc, const int16_t *xb, const int32_t *roff,
                                 const int8_t *w8, int n4) {
  int32x4_t a[8][2];
  for (int r = 0; r < 8; r++) a[r][0] = vld1q_s32(acc + 8 * r), a[r][1] = vld1q_s32(acc + 8 * r + 4);
  for (int k = 0; k < n4; k++) {
    int8x16_t x0, x1;
    rows4(xb, roff + 4 * k, &x0, &x1);
    int8x16_t w0 = vld1q_s8(w8 + 32 * k), w1 = vld1q_s8(w8 + 32 * k + 16);
#define DOT_STEP(r, w, l)                          \
  a[r][0] = vdotq_laneq_s32(a[r][0], x0, w, l); \
  a[r][1] = vdotq_laneq_s32(a[r][1], x1, w, l);
    DOT_STEP(0, w0, 0) DOT_STEP(1, w0, 1) DOT_STEP(2, w0, 2) DOT_STEP(3, w0, 3)
    DOT_STEP(4, w1, 0) DOT_STEP(5, w1, 1) DOT_STEP(6, w1, 2) DOT_STEP(7, w1, 3)
#undef DOT_STEP
  }
  for (int r = 0; r < 8; r++) vst1q_s32(acc + 8 * r, a[r][0]), vst1q_s32(acc + 8 * r + 4, a[r][1]);
}
#endif
