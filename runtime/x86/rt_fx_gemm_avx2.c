/* x86/rt_fx_gemm_avx2.c - the GEMM tiles of rt_fx_gemm_sse2.c with AVX2. */
#include <string.h>

#include "rt_fx_x86.h"

#if FX_AVX2
/* gm_tile with AVX2: 16 positions (two 256-bit vpmaddwd) per weight pair. */
FX_TARGET_AVX2 static inline __attribute__((always_inline)) void
gm_tile_avx2(int nt, int32_t *acc, const int16_t *const *wr,
             const int16_t *panel, int k0, int k1, int K) {
  int npair = (k1 - k0) / 2, nq = (k1 - k0 + 1) / 2;
  for (int pp = 0; pp < GM_PB; pp += 16) {
    __m256i a[4][2];
    for (int t = 0; t < nt; t++) {
      a[t][0] = _mm256_loadu_si256((const __m256i *)(acc + t * GM_PB + pp));
      a[t][1] = _mm256_loadu_si256((const __m256i *)(acc + t * GM_PB + pp + 8));
    }
    const int16_t *xp = panel + pp * 2;
    for (int q = 0; q < nq; q++, xp += GM_PB * 2) {
      __m256i x0 = _mm256_loadu_si256((const __m256i *)xp);
      __m256i x1 = _mm256_loadu_si256((const __m256i *)(xp + 16));
      int k = k0 + 2 * q;
      for (int t = 0; t < nt; t++) {
        int32_t wp;
        if (q < npair) memcpy(&wp, wr[t] + k, sizeof wp);
        else wp = gm_pair(wr[t], k, K);
        __m256i wv = _mm256_set1_epi32(wp);
        a[t][0] = _mm256_add_epi32(a[t][0], _mm256_madd_epi16(x0, wv));
        a[t][1] = _mm256_add_epi32(a[t][1], _mm256_madd_epi16(x1, wv));
      }
    }
    for (int t = 0; t < nt; t++) {
      _mm256_storeu_si256((__m256i *)(acc + t * GM_PB + pp), a[t][0]);
      _mm256_storeu_si256((__m256i *)(acc + t * GM_PB + pp + 8), a[t][1]);
    }
  }
}
FX_TARGET_AVX2 void fx_gm_tile4_avx2(int32_t *acc, const int16_t *const *wr,
                                     const int16_t *panel, int k0, int k1, int K) {
  gm_tile_avx2(4, acc, wr, panel, k0, k1, K);
}
FX_TARGET_AVX2 void fx_gm_tile1_avx2(int32_t *acc, const int16_t *const *wr,
                                     const int16_t *panel, int k0, int k1, int K) {
  gm_tile_avx2(1, acc, wr, panel, k0, k1, K);
}
#endif
