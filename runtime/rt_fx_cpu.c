/* rt_fx_cpu.c - the dispatch of the fixed-point kernels: the SIMD level
 * of this CPU (rt_fx_simd, rt_fx_simd_level: x86-64 CPUID through
 * __builtin_cpu_supports; 0 elsewhere) and, for the multiply-accumulate
 * kernels, the choice among the portable paths (rt_fx_dw.c), the x86
 * ones (x86/rt_fx_*.c) and the ARM NEON ones (arm/rt_fx_*.c).  The kernels ask for the level once per call and
 * pass it down; nothing below this file asks for it, so calls point one
 * way: kernels -> dispatch -> paths -> output stage (rt_fx_out.c). */
#include "rt_fx_cpu.h"
#include "x86/rt_fx_x86.h"
#include "arm/rt_fx_arm.h"

int rt_fx_simd = -1;

/* The resolved level and the rt_fx_simd it came from, in one int so that
 * threads resolving it at once (the compiler's calibration workers) each
 * read a consistent pair: (asked + 2) << 8 | level, 0 = not yet. */
static int simd_state;

int rt_fx_simd_level(void) {
  int asked = rt_fx_simd, st = __atomic_load_n(&simd_state, __ATOMIC_RELAXED);
  if (st && (st >> 8) - 2 == asked) return st & 0xFF;
  int best = 0;
#if FX_AVX2
  if (__builtin_cpu_supports("avx2")) best = 1;
  if (best && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
    best = 2;
#endif
  int level = asked < 0 || asked > best ? best : asked;
  __atomic_store_n(&simd_state, (asked + 2) << 8 | level, __ATOMIC_RELAXED);
  return level;
}

fx_gemm_fn *fx_gemm_pick(void) {
#if defined(__SSE2__)
  return fx_gm_conv;
#elif FX_NEON
  return fx_neon_gm_conv;
#else
  return NULL;
#endif
}

fx_ip_fn *fx_ip_pick(void) {
#if FX_NEON
  return fx_neon_ip_dot;
#else
  return NULL;
#endif
}

fx_dw_fn *fx_dw_pick(const conv_geo *cg, bool flat, const rt_fx_outq *q, int o, int lvl) {
#if FX_AVX2
  if (flat && lvl >= 2 && outq_512_ok(q, o)) return fx_dwp_conv_512;
  /* AVX2: the tap pairs of dwm_conv win on long rows (OW 80 and 160
   * measured), the flat bands on shorter ones (OW 40 and less) */
  if (flat && lvl >= 1 && (cg->OW < 64 || !fx_dwm_ok(cg))) return fx_dwf_conv_avx2;
  if (lvl >= 2 && fx_dwm_ok(cg)) return fx_dwm_conv_512;
  if (lvl >= 1 && fx_dwm_ok(cg)) return fx_dwm_conv_avx2;
  if (lvl >= 1) return fx_dw_conv_avx2;
#elif FX_NEON
  (void)q, (void)o, (void)lvl;
  if (fx_neon_dw_ok(cg)) return fx_neon_dw_conv;
#else
  (void)cg, (void)q, (void)o, (void)lvl;
#endif
  return flat ? fx_dwf_conv : fx_dw_conv;
}
