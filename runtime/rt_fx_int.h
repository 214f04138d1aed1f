/* rt_fx_int.h - internal helpers shared by the fixed-point kernel files
 * (rt_fx_*.c, x86/rt_fx_*.c); not part of the runtime API.
 *
 * SIMD paths on x86-64 with GCC/Clang: functions compiled with
 * target("avx2") or FX_TARGET_AVX512 (AVX-512 F/BW/VL + VNNI) run only
 * when the CPU has the extension and rt_fx_simd allows it; every path
 * gives the same integers as the scalar code. */
#ifndef RT_FX_INT_H
#define RT_FX_INT_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#define FX_AVX2 1
#include <immintrin.h>
#define FX_TARGET_AVX2 __attribute__((target("avx2")))
#define FX_TARGET_AVX512 \
  __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define FX_AVX2 0
#endif

#include "rt_fixed.h"

/* The SIMD level in use (rt_fx_simd_level, rt_fixed.h). */
static inline bool use_avx2(void) { return FX_AVX2 && rt_fx_simd_level() >= 1; }
static inline bool use_avx512(void) { return FX_AVX2 && rt_fx_simd_level() >= 2; }

#define D4(t, i) rt_shape_dim4(&(t)->s, (i))
#define IDENT(M, sh) ((M) == RT_FX_ONE_M && (sh) == RT_FX_ONE_SH)

static inline int16_t sat16(int64_t v, int32_t lo, int32_t hi) {
  return (int16_t)(v < lo ? lo : v > hi ? hi : v);
}

/* rt_fx_rshift, inlined. */
static inline int64_t rsh(int64_t x, int sh) {
  return sh <= 0 ? x : (x + (INT64_C(1) << (sh - 1)) - (x < 0)) >> sh;
}

/* rt_fx_requant for |v| <= 2^31 (codes, products of two codes): its
 * direct branch, inlined. */
static inline int32_t rq16(int64_t v, int32_t M, int sh, int32_t qmin,
                           int32_t qmax) {
  int64_t r = rsh(v * M, sh);
  return (int32_t)(r < qmin ? qmin : r > qmax ? qmax : r);
}

#endif
