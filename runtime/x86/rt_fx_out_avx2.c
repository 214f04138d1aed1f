/* x86/rt_fx_out_avx2.c - the output stage and the |x| / sum |w| scans of
 * rt_fx_out.c with AVX2. */
#include <string.h>

#include "rt_fx_x86.h"

#if FX_AVX2
/* fx_outq32 for 8 accumulators at a time when relu != LEAKY and
 * 32 <= sh <= 63: the 64-bit products acc * M plus the rounding term are
 * exact, and (x >> sh) == (x >> 32) >> (sh - 32) (both floor), the first
 * shift being the high int32 half of x.  Returns how many were done. */
FX_TARGET_AVX2 int64_t fx_outq32_avx2(const rt_fx_outq *q, int c, const int32_t *acc,
                                      int16_t *y, int64_t n) {
  int sh = q->sh[c];
  if (q->relu == RT_FX_LEAKY || sh < 32 || sh > 63 || q->qmin < INT16_MIN ||
      q->qmax > INT16_MAX)
    return 0;
  const __m256i M = _mm256_set1_epi64x(q->M[c]);
  const __m256i rnd = _mm256_set1_epi64x(INT64_C(1) << (sh - 1));
  const __m128i s2 = _mm_cvtsi32_si128(sh - 32);
  const __m256i lo = _mm256_set1_epi32(q->qmin), hi = _mm256_set1_epi32(q->qmax);
  const __m256i zero = _mm256_setzero_si256();
  const bool relu = q->relu == RT_FX_RELU;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i r[2];
    for (int h = 0; h < 2; h++) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(acc + i + 8 * h));
      __m256i pe = _mm256_mul_epi32(v, M);
      __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(v, 32), M);
      /* + 2^(sh-1) - (x < 0) */
      pe = _mm256_add_epi64(_mm256_add_epi64(pe, rnd), _mm256_cmpgt_epi64(zero, pe));
      po = _mm256_add_epi64(_mm256_add_epi64(po, rnd), _mm256_cmpgt_epi64(zero, po));
      __m256i x = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
      x = _mm256_sra_epi32(x, s2);
      if (relu) x = _mm256_andnot_si256(_mm256_cmpgt_epi32(zero, v), x);
      r[h] = _mm256_min_epi32(_mm256_max_epi32(x, lo), hi);
    }
    __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(r[0], r[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)(y + i), p);
  }
  return i;
}

/* maxabs with AVX2 (|-32768| is 0x8000 as an unsigned lane). */
FX_TARGET_AVX2 int64_t fx_maxabs_avx2(const int16_t *x, int64_t n) {
  __m256i m = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    m = _mm256_max_epu16(m, _mm256_abs_epi16(_mm256_loadu_si256((const __m256i *)(x + i))));
  uint16_t l[16];
  memcpy(l, &m, sizeof l);
  int32_t r = 0;
  for (int k = 0; k < 16; k++) r = l[k] > r ? l[k] : r;
  for (; i < n; i++) {
    int32_t v = x[i] < 0 ? -(int32_t)x[i] : x[i];
    if (v > r) r = v;
  }
  return r;
}

/* sumabs for ws == 1 with AVX2: |w| (0x8000 for -32768, read unsigned)
 * summed in pairs by vpmaddwd against 1 (unsigned pairs <= 2^16, so the
 * words are zero-extended first), int32 lanes flushed every 2^14 steps.
 * Returns how many were summed into *s. */
FX_TARGET_AVX2 int64_t fx_sumabs_avx2(const int16_t *w, int64_t n, int64_t *s) {
  const __m256i one = _mm256_set1_epi16(1), z = _mm256_setzero_si256();
  int64_t k = 0;
  while (k + 16 <= n) {
    __m256i acc = z;
    for (int it = 0; it < (1 << 14) && k + 16 <= n; it++, k += 16) {
      __m256i a = _mm256_abs_epi16(_mm256_loadu_si256((const __m256i *)(w + k)));
      /* 0..32768 as unsigned: split into the low 15 bits and the top bit */
      __m256i top = _mm256_srli_epi16(a, 15), low = _mm256_and_si256(a, _mm256_set1_epi16(0x7FFF));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(low, one));
      acc = _mm256_add_epi32(acc, _mm256_slli_epi32(_mm256_madd_epi16(top, one), 15));
    }
    int32_t l[8];
    memcpy(l, &acc, sizeof l);
    for (int i = 0; i < 8; i++) *s += l[i];
  }
  return k;
}
#endif
