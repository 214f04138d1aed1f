/* x86/rt_fx_dw_avx2.c - depthwise Convolution with AVX2: the portable
 * flat-band and row bodies (rt_fx_dw.h) built for AVX2, and the tap-pair
 * kernel (vpmaddwd). */
#include "rt_fx_x86.h"

#if FX_AVX2
FX_TARGET_AVX2 void fx_dwf_conv_avx2(const rt_fx_conv_param *p, const conv_geo *cg,
                                     const dwp_geo *d, int o, const int16_t *xc, int16_t *yo,
                                     int lvl) {
  dwf_body(p, cg, d, o, xc, yo, lvl);
}

FX_TARGET_AVX2 void fx_dw_conv_avx2(const rt_fx_conv_param *p, const conv_geo *cg,
                                    const dwp_geo *d, int o, const int16_t *xc, int16_t *yo,
                                    int lvl) {
  (void)d;
  dw_body(p, cg, o, xc, yo, lvl);
}

/* ---- Depthwise rows with vpmaddwd (AVX2) ----
 * Stride 1 or 2, no dilation, kh <= DWM_KH, fits32.  Each input row a tap
 * row reads is copied with its zero padding (and zeros past its end) into
 * rows[ky]; taps are taken in pairs (kx, kx+1), weight pair (w0, w1) in
 * one int32 lane (w1 = 0 past kw), so one vpmaddwd of 16 consecutive row
 * codes gives 8 pair sums row[j]*w0 + row[j+1]*w1 at even j:
 *   stride 2: lane m of the load at 16v + kx is output 8v + m;
 *   stride 1: the load at 16v + kx gives the even outputs 16v + 2m, the
 *   load at 16v + kx + 1 the odd ones, interleaved before the output stage.
 * Pair sums and every partial sum are within the fits32 bound. */

FX_TARGET_AVX2 void fx_dwm_conv_avx2(const rt_fx_conv_param *p, const conv_geo *cg,
                                     const dwp_geo *d, int o, const int16_t *xc, int16_t *yo,
                                     int lvl) {
  (void)d;
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OW = cg->OW, kh = g->kh, kw = g->kw, sw = g->sw;
  int nv = sw == 1 ? (OW + 15) / 16 : (OW + 7) / 8;
  int len = 16 * nv + kw + 18; /* every load stays below len */
  int npair = (kw + 1) / 2;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  const __m256i bias = _mm256_set1_epi32(p->bias ? (int32_t)p->bias[o] : 0);
  int32_t wp[DWM_KH][8];
  dw_pairs(wo, kh, kw, wp);
  _Alignas(32) int16_t rows[DWM_KH][DWM_ROW];
  _Alignas(32) int32_t acc[DW_OW + 32];
  int j0 = g->pw < len ? g->pw : len, j1 = g->pw + W < len ? g->pw + W : len;
  for (int oy = 0; oy < cg->OH; oy++) {
    int vky[DWM_KH], nk = 0;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * g->sh - g->ph + ky;
      if (iy < 0 || iy >= H) continue;
      int16_t *r = rows[nk];
      memset(r, 0, (size_t)len * sizeof *r);
      if (j1 > j0)
        memcpy(r + j0, xc + (int64_t)iy * W + (j0 - g->pw), (size_t)(j1 - j0) * sizeof *r);
      vky[nk++] = ky;
    }
    for (int v = 0; v < nv; v++) {
      __m256i e = bias, od = bias;
      for (int q = 0; q < nk; q++) {
        const int16_t *r = rows[q] + 16 * v;
        const int32_t *w = wp[vky[q]];
        for (int t = 0; t < npair; t++) {
          __m256i wv = _mm256_set1_epi32(w[t]);
          e = _mm256_add_epi32(e, _mm256_madd_epi16(
                                      _mm256_loadu_si256((const __m256i *)(r + 2 * t)), wv));
          if (sw == 1)
            od = _mm256_add_epi32(od, _mm256_madd_epi16(
                                          _mm256_loadu_si256((const __m256i *)(r + 2 * t + 1)), wv));
        }
      }
      if (sw == 2) {
        _mm256_store_si256((__m256i *)(acc + 8 * v), e);
      } else {
        __m256i lo = _mm256_unpacklo_epi32(e, od), hi = _mm256_unpackhi_epi32(e, od);
        _mm256_store_si256((__m256i *)(acc + 16 * v), _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_store_si256((__m256i *)(acc + 16 * v + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
      }
    }
    fx_outq32(lvl, &p->q, o, acc, yo + (int64_t)oy * OW, OW);
  }
}
#endif
