/* rt_fx_quant.c - the boundary kernels of the fixed-point contract:
 * float -> codes (rt_fx_quantize) and codes -> float (rt_fx_dequantize),
 * scalar, SSE2, AVX2 and AVX-512 paths giving the same results (the SIMD
 * level from rt_fx_cpu.c). */
#include <stdint.h>
#include <string.h>

#include "rt_fx_int.h"
#include "rt_par.h"

/* rt_fx_quantize1's result for v = (double)x / scale, lo <= hi:
 * NaN -> 0; clamp(RHA(v)) == RHA(clamp(v)) as lo, hi are integers and RHA
 * is monotone, and clamping first keeps v in int32 range so the truncation
 * t and the fraction v - t are exact.  No libm call. */
static inline int32_t quant_v(double v, double lo, double hi) {
  if (v != v) v = 0;
  v = v < lo ? lo : v > hi ? hi : v;
  int32_t t = (int32_t)v;
  double d = v - (double)t;
  return t + (d >= 0.5) - (d <= -0.5);
}

#if defined(__SSE2__) && defined(__x86_64__)
/* quant_v on two doubles (SSE2, no branches): NaN -> +0, clamp, truncate,
 * +-1 where |v - t| >= 0.5; the two codes in the low int32 lanes. */
static inline __m128i quant2_sse2(__m128d v, __m128d lo, __m128d hi) {
  const __m128d half = _mm_set1_pd(0.5), mhalf = _mm_set1_pd(-0.5);
  const __m128d one = _mm_set1_pd(1.0);
  v = _mm_and_pd(v, _mm_cmpord_pd(v, v));
  v = _mm_min_pd(_mm_max_pd(v, lo), hi);
  __m128d t = _mm_cvtepi32_pd(_mm_cvttpd_epi32(v));
  __m128d d = _mm_sub_pd(v, t);
  t = _mm_add_pd(t, _mm_and_pd(_mm_cmpge_pd(d, half), one));
  t = _mm_sub_pd(t, _mm_and_pd(_mm_cmple_pd(d, mhalf), one));
  return _mm_cvttpd_epi32(t);
}

/* rt_fx_quantize, four floats per step; lo, hi within int16. */
static void quant_sse2(const float *x, int16_t *y, int64_t n, double scale,
                       int32_t lo, int32_t hi) {
  __m128d s = _mm_set1_pd(scale), vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 f = _mm_loadu_ps(x + i);
    __m128i a = quant2_sse2(_mm_div_pd(_mm_cvtps_pd(f), s), vlo, vhi);
    __m128i b = quant2_sse2(_mm_div_pd(_mm_cvtps_pd(_mm_movehl_ps(f, f)), s), vlo, vhi);
    __m128i q = _mm_unpacklo_epi64(a, b);
    _mm_storel_epi64((__m128i *)(y + i), _mm_packs_epi32(q, q));
  }
  for (; i < n; i++) y[i] = (int16_t)quant_v((double)x[i] / scale, lo, hi);
}
#endif

#if FX_AVX2
/* quant_v on four floats: the same IEEE division, NaN -> +0, clamp,
 * truncate, +-1 where |v - t| >= 0.5 (all in double: exact). */
FX_TARGET_AVX2 static inline __m128i quant4_avx2(const float *x, __m256d s,
                                                 __m256d lo, __m256d hi) {
  const __m256d half = _mm256_set1_pd(0.5), mhalf = _mm256_set1_pd(-0.5);
  const __m256d one = _mm256_set1_pd(1.0);
  __m256d v = _mm256_div_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), s);
  v = _mm256_and_pd(v, _mm256_cmp_pd(v, v, _CMP_ORD_Q));
  v = _mm256_min_pd(_mm256_max_pd(v, lo), hi);
  __m256d t = _mm256_round_pd(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256d d = _mm256_sub_pd(v, t);
  t = _mm256_add_pd(t, _mm256_and_pd(_mm256_cmp_pd(d, half, _CMP_GE_OQ), one));
  t = _mm256_sub_pd(t, _mm256_and_pd(_mm256_cmp_pd(d, mhalf, _CMP_LE_OQ), one));
  return _mm256_cvttpd_epi32(t);
}

/* rt_fx_quantize, eight floats per step; lo, hi within int16. */
FX_TARGET_AVX2 static void quant_avx2(const float *x, int16_t *y, int64_t n,
                                      double scale, int32_t lo, int32_t hi) {
  __m256d s = _mm256_set1_pd(scale);
  __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i a = quant4_avx2(x + i, s, vlo, vhi);
    __m128i b = quant4_avx2(x + i + 4, s, vlo, vhi);
    _mm_storeu_si128((__m128i *)(y + i), _mm_packs_epi32(a, b));
  }
  for (; i < n; i++) y[i] = (int16_t)quant_v((double)x[i] / scale, lo, hi);
}

/* rt_fx_quantize with AVX-512 and no division on the common path: with
 * r = fl(1/scale), y = fl(x * r) and the IEEE quotient fl(x / scale) are
 * both within 2^-53 (|d1| + |d2| + |d3|) |x / scale| < 2^-50 |y| of
 * x / scale (scale and 1/scale normal), so when y is finite, below 2^52,
 * and farther than 2^-50 |y| from every half-integer, no tie point lies
 * between y and the quotient: RHA(y) == RHA(fl(x / scale)).  Eight values
 * failing that test (NaN, inf, near-ties) take the division path. */
FX_TARGET_AVX512 static void quant_512(const float *x, int16_t *y, int64_t n, double scale,
                                       int32_t lo, int32_t hi) {
  const __m512d r = _mm512_set1_pd(1.0 / scale), half = _mm512_set1_pd(0.5);
  const __m512d eps = _mm512_set1_pd(0x1p-50), big = _mm512_set1_pd(0x1p52);
  const __m512d vlo = _mm512_set1_pd(lo), vhi = _mm512_set1_pd(hi), one = _mm512_set1_pd(1.0);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d q = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), r);
    __m512d a = _mm512_abs_pd(q);
    __m512d fl = _mm512_roundscale_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512d f = _mm512_sub_pd(a, fl); /* exact, in [0, 1) */
    __mmask8 ok = _mm512_cmp_pd_mask(a, big, _CMP_LT_OQ) &
                  _mm512_cmp_pd_mask(_mm512_abs_pd(_mm512_sub_pd(f, half)),
                                     _mm512_mul_pd(a, eps), _CMP_GT_OQ);
    if (ok != 0xFF) {
      for (int k = 0; k < 8; k++) y[i + k] = (int16_t)quant_v((double)x[i + k] / scale, lo, hi);
      continue;
    }
    __m512d t = _mm512_mask_add_pd(fl, _mm512_cmp_pd_mask(f, half, _CMP_GT_OQ), fl, one);
    t = _mm512_mask_sub_pd(t, _mm512_cmp_pd_mask(q, _mm512_setzero_pd(), _CMP_LT_OQ),
                           _mm512_setzero_pd(), t); /* the sign back */
    t = _mm512_min_pd(_mm512_max_pd(t, vlo), vhi);
    _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtsepi32_epi16(_mm512_cvttpd_epi32(t)));
  }
  for (; i < n; i++) y[i] = (int16_t)quant_v((double)x[i] / scale, lo, hi);
}

/* rt_fx_dequantize, eight codes per step: (float)((double)q * scale). */
FX_TARGET_AVX2 static void dequant_avx2(const int16_t *x, float *y, int64_t n,
                                        double scale) {
  __m256d s = _mm256_set1_pd(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i q = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(x + i)));
    __m256d a = _mm256_cvtepi32_pd(_mm256_castsi256_si128(q));
    __m256d b = _mm256_cvtepi32_pd(_mm256_extracti128_si256(q, 1));
    _mm_storeu_ps(y + i, _mm256_cvtpd_ps(_mm256_mul_pd(a, s)));
    _mm_storeu_ps(y + i + 4, _mm256_cvtpd_ps(_mm256_mul_pd(b, s)));
  }
  for (; i < n; i++) y[i] = (float)((double)x[i] * scale);
}
#endif

/* rt_fx_quantize / rt_fx_dequantize over a span of elements
 * (rt_par_elems: the spans of a split give the same codes and floats as
 * one call: every path computes each element alone). */
typedef struct quant_job {
  const rt_fx_quant_param *p;
  const void *x;
  void *y;
} quant_job;

static void quantize_run(const rt_fx_quant_param *p, const float *x, int16_t *y, int64_t n) {
  int32_t lo = p->qmin, hi = p->qmax;
  if (lo > hi || lo < INT16_MIN || hi > INT16_MAX) { /* not from prepare */
    for (int64_t i = 0; i < n; i++)
      y[i] = (int16_t)rt_fx_quantize1((double)x[i], p->scale, lo, hi);
    return;
  }
#if FX_AVX2
  if (use_avx512() && p->scale > 0x1p-1020 && p->scale < 0x1p1020) {
    quant_512(x, y, n, p->scale, lo, hi);
    return;
  }
  if (use_avx2()) {
    quant_avx2(x, y, n, p->scale, lo, hi);
    return;
  }
#endif
#if defined(__SSE2__) && defined(__x86_64__)
  quant_sse2(x, y, n, p->scale, lo, hi);
#else
  for (int64_t i = 0; i < n; i++)
    y[i] = (int16_t)quant_v((double)x[i] / p->scale, lo, hi);
#endif
}

static void quantize_span(void *ctx, int64_t e0, int64_t e1) {
  const quant_job *j = ctx;
  quantize_run(j->p, (const float *)j->x + e0, (int16_t *)j->y + e0, e1 - e0);
}

void rt_fx_quantize(const rt_fx_quant_param *p, const float *x, int16_t *y, int64_t n) {
  quant_job j = {p, x, y};
  rt_par_elems(n, quantize_span, &j);
}

static void dequantize_run(const rt_fx_quant_param *p, const int16_t *x, float *y, int64_t n) {
#if FX_AVX2
  if (use_avx2()) {
    dequant_avx2(x, y, n, p->scale);
    return;
  }
#endif
  for (int64_t i = 0; i < n; i++) y[i] = (float)((double)x[i] * p->scale);
}

static void dequantize_span(void *ctx, int64_t e0, int64_t e1) {
  const quant_job *j = ctx;
  dequantize_run(j->p, (const int16_t *)j->x + e0, (float *)j->y + e0, e1 - e0);
}

void rt_fx_dequantize(const rt_fx_quant_param *p, const int16_t *x, float *y, int64_t n) {
  quant_job j = {p, x, y};
  rt_par_elems(n, dequantize_span, &j);
}
