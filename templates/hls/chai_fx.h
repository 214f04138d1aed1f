/* chai_fx.h - the HLS kernel library's scalar rules of the fixed-point
 * contract (docs/fixed-point.md): rounding shift, saturation and
 * requantization as inline integer functions, bit for bit the runtime's
 * rt_fx_rshift / rt_fx_requant (tests/test_hls_fx.c checks it).  Written by
 * hand; chaicc copies it into each HLS project's hls/chai_fx.h after the
 * provenance header, without this comment (everything up to its end). */
#ifndef CHAI_FX_H
#define CHAI_FX_H

#include <stdint.h>

/* Rounding arithmetic right shift, half away from zero, 0 <= sh <= 62. */
static inline int64_t fx_rshift(int64_t x, int sh) {
  if (sh <= 0) return x;
  return (x + ((int64_t)1 << (sh - 1)) - (x < 0 ? 1 : 0)) >> sh;
}

/* Saturation to [lo, hi]. */
static inline int32_t fx_sat(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* clamp(RHA(acc * M * 2^-sh)) for |acc| <= 2^31: the product fits 64 bits. */
static inline int32_t fx_requant32(int64_t acc, int32_t M, int sh, int32_t lo, int32_t hi) {
  return fx_sat(fx_rshift(acc * M, sh), lo, hi);
}

/* The same for any int64 accumulator: |acc| * |M| formed exactly as a
 * 96-bit (hi, lo) pair from 32-bit halves, rounded half up by 2^-sh, the
 * magnitude saturated at 2^62. */
static inline int32_t fx_requant64(int64_t acc, int32_t M, int sh, int32_t lo, int32_t hi) {
  const int64_t lim = (int64_t)1 << 31;
  int64_t r;
  if (acc >= -lim && acc <= lim) {
    r = fx_rshift(acc * M, sh);
  } else {
    uint64_t a = acc < 0 ? 0 - (uint64_t)acc : (uint64_t)acc;
    uint64_t m = M < 0 ? 0 - (uint64_t)(int64_t)M : (uint64_t)M;
    uint64_t al = a & 0xffffffffu, ah = a >> 32;
    uint64_t t1 = al * m, t2 = ah * m;
    uint64_t plo = t1 + (t2 << 32);
    uint64_t phi = (t2 >> 32) + (plo < t1 ? 1u : 0u);
    if (sh > 0) {
      uint64_t h = (uint64_t)1 << (sh - 1);
      uint64_t lo2 = plo + h;
      phi += lo2 < plo ? 1u : 0u;
      plo = (lo2 >> sh) | (phi << (64 - sh));
      phi >>= sh;
    }
    r = (phi || plo > ((uint64_t)1 << 62)) ? ((int64_t)1 << 62) : (int64_t)plo;
    if ((acc < 0) != (M < 0)) r = -r;
  }
  return fx_sat(r, lo, hi);
}

#endif
