/* arm/rt_fx_arm.h - internal header of the ARM NEON paths of the
 * fixed-point multiply-accumulate kernels (arm/rt_fx_*_neon.c): the
 * output stage in registers, and the entry points that the dispatch
 * (rt_fx_cpu.c) and the output stage (rt_fx_out.c) call.  Compiled for
 * AArch64 (Advanced SIMD is part of the base ISA) and for 32-bit ARM with
 * NEON (-mfpu=neon); on other targets (FX_NEON == 0) this header declares
 * nothing and the arm files are empty.  Every path gives the integers of
 * the portable code (integer arithmetic, the fits32 bound). */
#ifndef RT_FX_ARM_H
#define RT_FX_ARM_H

#include "../rt_fx_dw.h"

#if defined(__GNUC__) && defined(__ARM_NEON) && (defined(__aarch64__) || defined(__arm__))
#define FX_NEON 1
#include <arm_neon.h>
#else
#define FX_NEON 0
#endif

#if FX_NEON
/* ---- Output stage in registers (arm/rt_fx_out_neon.c) ----
 * outq1 of one channel for 4 int32 accumulators at a time: rt_fx_requant's
 * direct branch (|acc| <= 2^31, so acc * M is exact in int64), rounded
 * half away from zero as rsh: (x - (x < 0) + 2^(sh-1)) >> sh is SRSHL of
 * x + (x >> 63) by -sh; saturated to int32, clamped to [qmin, qmax]
 * (within int16, so the narrowing is exact), negative accumulators set to
 * 0 (RELU) or requantized with (Mn, shn) (LEAKY).  When every shift used
 * is > 0 (pos, the usual case), x + (x >> 63) is one SSRA / VSRA. */
typedef struct oqn {
  int relu;
  bool pos;            /* sh > 0, and shn > 0 for LEAKY */
  int32x2_t M, Mn;
  int64x2_t s, sn;     /* -sh, -shn (0 when the shift is <= 0) */
  int64x2_t neg, negn; /* all ones when the shift is > 0 */
  int32x4_t lo, hi;
} oqn;

/* True when oqn handles channel c: shifts <= 63, codes within int16. */
static inline bool oqn_ok(const rt_fx_outq *q, int c) {
  return q->sh[c] <= 63 && (q->relu != RT_FX_LEAKY || q->shn[c] <= 63) &&
         q->qmin >= INT16_MIN && q->qmax <= INT16_MAX && q->qmin <= q->qmax;
}

static inline oqn oqn_make(const rt_fx_outq *q, int c) {
  oqn k;
  int sh = q->sh[c], shn = q->relu == RT_FX_LEAKY ? q->shn[c] : 0;
  k.relu = q->relu;
  k.pos = sh > 0 && (q->relu != RT_FX_LEAKY || shn > 0);
  k.M = vdup_n_s32(q->M[c]);
  k.Mn = vdup_n_s32(q->relu == RT_FX_LEAKY ? q->Mn[c] : 0);
  k.s = vdupq_n_s64(sh > 0 ? -sh : 0);
  k.sn = vdupq_n_s64(shn > 0 ? -shn : 0);
  k.neg = vdupq_n_s64(sh > 0 ? -1 : 0);
  k.negn = vdupq_n_s64(shn > 0 ? -1 : 0);
  k.lo = vdupq_n_s32(q->qmin), k.hi = vdupq_n_s32(q->qmax);
  return k;
}

/* rsh(v * M, sh) saturated to int32, for 4 lanes; pos: the shift is > 0
 * (neg all ones), as a constant of the caller. */
static inline __attribute__((always_inline)) int32x4_t oqn_rq(int32x4_t v, int32x2_t M,
                                                              int64x2_t s, int64x2_t neg,
                                                              bool pos) {
  int64x2_t a = vmull_s32(vget_low_s32(v), M);
  int64x2_t b = vmull_s32(vget_high_s32(v), M);
  if (pos) {
    a = vsraq_n_s64(a, a, 63);
    b = vsraq_n_s64(b, b, 63);
  } else {
    a = vaddq_s64(a, vandq_s64(vshrq_n_s64(a, 63), neg));
    b = vaddq_s64(b, vandq_s64(vshrq_n_s64(b, 63), neg));
  }
  return vcombine_s32(vqmovn_s64(vrshlq_s64(a, s)), vqmovn_s64(vrshlq_s64(b, s)));
}

/* The codes of 4 accumulators of the channel; pos is k->pos, passed as a
 * constant so that the caller's branch on it selects an inlined copy. */
static inline __attribute__((always_inline)) int16x4_t oqn_apply_p(const oqn *k, int32x4_t v,
                                                                   bool pos) {
  int32x4_t r = vminq_s32(vmaxq_s32(oqn_rq(v, k->M, k->s, k->neg, pos), k->lo), k->hi);
  if (k->relu != RT_FX_RELU_NONE) {
    uint32x4_t neg = vcltq_s32(v, vdupq_n_s32(0));
    if (k->relu == RT_FX_RELU)
      r = vbicq_s32(r, vreinterpretq_s32_u32(neg));
    else
      r = vbslq_s32(neg,
                    vminq_s32(vmaxq_s32(oqn_rq(v, k->Mn, k->sn, k->negn, pos), k->lo), k->hi),
                    r);
  }
  return vmovn_s32(r);
}

/* The 8 codes of 8 accumulators of the channel at acc. */
static inline __attribute__((always_inline)) int16x8_t oqn_apply8(const oqn *k,
                                                                  const int32_t *acc) {
  int32x4_t v0 = vld1q_s32(acc), v1 = vld1q_s32(acc + 4);
  if (k->pos) return vcombine_s16(oqn_apply_p(k, v0, true), oqn_apply_p(k, v1, true));
  return vcombine_s16(oqn_apply_p(k, v0, false), oqn_apply_p(k, v1, false));
}

/* fx_outq32 with NEON when oqn_ok; returns how many were done (a multiple
 * of 8, the rest is the caller's). */
int64_t fx_outq32_neon(const rt_fx_outq *q, int c, const int32_t *acc, int16_t *y, int64_t n);

/* ---- Eltwise (arm/rt_fx_elem_neon.c) ---- */
/* rt_fx_eltwise's SUM of two inputs, y = clamp(rsh(x0 * M0 + x1 * M1, sh)),
 * 8 codes at a time (1 <= sh <= 63, codes within int16); returns how many
 * were done (0 when the parameters are outside that range). */
int64_t fx_elt_sum2_neon(const int16_t *x0, const int16_t *x1, int16_t *y, int64_t cnt,
                         int32_t M0, int32_t M1, int sh, int32_t qmin, int32_t qmax);
/* rt_fx_relu's map, 8 codes at a time (y may be x): x >= 0 gives
 * clamp(rsh(x * M, sh)), x < 0 clamp(rsh(x * Mn, shn)) (shifts <= 63, a
 * shift <= 0 is none, codes within int16); returns how many were done
 * (0 outside that range). */
int64_t fx_relu_neon(const int16_t *x, int16_t *y, int64_t n, int32_t M, int sh, int32_t Mn,
                     int shn, int32_t qmin, int32_t qmax);

#if defined(__aarch64__)
/* ---- The dot-product tile (arm/rt_fx_sdot_neon.c, AArch64) ---- */
/* True when the CPU has SDOT (HWCAP_ASIMDDP) and CHAI_NO_SDOT is unset. */
bool fx_neon_dot_ok(void);
/* acc[r][0..8) (r < 8, in/out) += sum over k < 4 * n4 of w8[k / 4][r][k % 4]
 * times the code at xb + roff[k] + j (codes within int8). */
void fx_neon_tile_dot(int32_t *acc, const int16_t *xb, const int32_t *roff, const int8_t *w8,
                      int n4);
#endif

/* ---- Depthwise (arm/rt_fx_dw_neon.c) ---- */
/* True when fx_neon_dw_conv handles the layer: one input channel per
 * group, stride 1 or 2 (the same both ways), no dilation, kh <= DWM_KH,
 * kw <= 16, OW <= DW_OW, a band's padded rows within its buffer. */
bool fx_neon_dw_ok(const conv_geo *cg);
fx_dw_fn fx_neon_dw_conv; /* SMLAL / VMLAL.S16 rows, 4 output rows a band */

/* ---- InnerProduct (arm/rt_fx_ip_neon.c) ---- */
/* fx_ip_fn (rt_fx_cpu.h): 8 outputs (ARMv7: 4) at a time share each
 * load of 8 input codes (SMLAL / VMLAL.S16 into int32; SMULL + SADALP into int64 when
 * wide). */
void fx_neon_ip_dot(const int16_t *x, const int16_t *w, int64_t K, int n, bool wide,
                    int64_t *acc);

/* ---- Convolution as an integer GEMM (arm/rt_fx_gemm_neon.c) ---- */
/* One group of an int32-exact Convolution: output channels [o0, o0 + opg),
 * output rows [ra, rb) of image yn from the group's input planes xg
 * (fx_gemm_fn). */
void fx_neon_gm_conv(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg, int o0,
                     int ra, int rb, int16_t *yn, int lvl);
#endif

#endif
