/* x86/rt_fx_dw_avx512.c - depthwise Convolution with AVX-512 VNNI: the
 * tap-pair row kernel (vpdpwssd, 32 codes per load) and the flat-band
 * kernel, both with the output stage in registers where it applies. */
#include <string.h>

#include "rt_fx_x86.h"

#if FX_AVX2
/* dwm_conv_512's body: NP > 0 fixes the number of tap pairs (unrolled). */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
dwm_body_512(int NP, const rt_fx_conv_param *p, const conv_geo *cg, int o,
             const int16_t *xc, int16_t *yo, int lvl) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OW = cg->OW, kh = g->kh, kw = g->kw, sw = g->sw;
  int nv = sw == 1 ? (OW + 31) / 32 : (OW + 15) / 16;
  int len = 32 * nv + kw + 18; /* every load stays below len */
  int npair = NP > 0 ? NP : (kw + 1) / 2;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  const __m512i bias = _mm512_set1_epi32(p->bias ? (int32_t)p->bias[o] : 0);
  bool regs = outq_512_ok(&p->q, o); /* output stage from registers */
  const oq512 oq = oq_make(&p->q, o);
  int32_t wp[DWM_KH][8];
  dw_pairs(wo, kh, kw, wp);
  /* padded input rows in a ring: row iy in slot iy % nb (nb = kh + sh
   * slots, so the rows of one output row never evict each other) */
  _Alignas(64) int16_t rows[DWM_KH + 2][DWM_ROW];
  int tag[DWM_KH + 2], nb = kh + g->sh;
  for (int k = 0; k < nb; k++) tag[k] = -1;
  _Alignas(64) int32_t acc[DW_OW + 64];
  int j0 = g->pw < len ? g->pw : len, j1 = g->pw + W < len ? g->pw + W : len;
  for (int oy = 0; oy < cg->OH; oy++) {
    const int16_t *rp[DWM_KH];
    int vky[DWM_KH], nk = 0;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * g->sh - g->ph + ky;
      if (iy < 0 || iy >= H) continue;
      int16_t *r = rows[iy % nb];
      if (tag[iy % nb] != iy) {
        tag[iy % nb] = iy;
        memset(r, 0, (size_t)j0 * sizeof *r);
        if (j1 > j0)
          memcpy(r + j0, xc + (int64_t)iy * W + (j0 - g->pw), (size_t)(j1 - j0) * sizeof *r);
        memset(r + (j1 > j0 ? j1 : j0), 0, (size_t)(len - (j1 > j0 ? j1 : j0)) * sizeof *r);
      }
      rp[nk] = r;
      vky[nk++] = ky;
    }
    int16_t *yr = yo + (int64_t)oy * OW;
    for (int v = 0; v < nv; v++) {
      __m512i e = bias, od = bias;
      for (int q = 0; q < nk; q++) {
        const int16_t *r = rp[q] + 32 * v;
        const int32_t *w = wp[vky[q]];
        for (int t = 0; t < npair; t++) {
          __m512i wv = _mm512_set1_epi32(w[t]);
          e = _mm512_dpwssd_epi32(e, _mm512_loadu_si512((const void *)(r + 2 * t)), wv);
          if (sw == 1)
            od = _mm512_dpwssd_epi32(od, _mm512_loadu_si512((const void *)(r + 2 * t + 1)), wv);
        }
      }
      __m512i a0 = e, a1 = od;
      int at = 16 * v, na = 1; /* a0 (and a1) hold outputs at, at + 16 */
      if (sw == 1) { /* lanes e0 o0 e1 o1 ...: two-source permutes */
        const __m512i i0 = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        const __m512i i1 = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
        a0 = _mm512_permutex2var_epi32(e, i0, od);
        a1 = _mm512_permutex2var_epi32(e, i1, od);
        at = 32 * v, na = 2;
      }
      for (int h = 0; h < na; h++) {
        __m512i av = h ? a1 : a0;
        int base = at + 16 * h;
        if (!regs) {
          _mm512_store_si512((void *)(acc + base), av);
        } else if (base + 16 <= OW) {
          _mm256_storeu_si256((__m256i *)(yr + base), oq_apply(&oq, av));
        } else if (base < OW) {
          int16_t t16[16];
          _mm256_storeu_si256((__m256i *)t16, oq_apply(&oq, av));
          memcpy(yr + base, t16, (size_t)(OW - base) * sizeof *t16);
        }
      }
    }
    if (!regs) fx_outq32(lvl, &p->q, o, acc, yr, OW);
  }
}


/* dwm_conv with AVX-512 VNNI (32 codes per load; kw 3 and 5 unrolled). */
FX_TARGET_AVX512 void fx_dwm_conv_512(const rt_fx_conv_param *p, const conv_geo *cg,
                                      const dwp_geo *d, int o, const int16_t *xc, int16_t *yo,
                                      int lvl) {
  (void)d;
  switch (cg->g->kw) {
  case 3: dwm_body_512(2, p, cg, o, xc, yo, lvl); break;
  case 5: dwm_body_512(3, p, cg, o, xc, yo, lvl); break;
  default: dwm_body_512(0, p, cg, o, xc, yo, lvl); break;
  }
}

/* y[0..n) = x[0..n) for int16 codes, inline (the rows here are short:
 * a libc call per row costs more than the copy). */
FX_TARGET_AVX512 static inline void cpy16_512(int16_t *y, const int16_t *x, int n) {
  int j = 0;
  for (; j + 32 <= n; j += 32)
    _mm512_storeu_si512((void *)(y + j), _mm512_loadu_si512((const void *)(x + j)));
  if (j < n) {
    __mmask32 m = (__mmask32)((UINT64_C(1) << (n - j)) - 1);
    _mm512_mask_storeu_epi16(y + j, m, _mm512_maskz_loadu_epi16(m, x + j));
  }
}

/* Flat bands with AVX-512 (see dwp_plan): taps in pairs as in
 * dwm_conv_512 (stride 1: even and odd outputs from loads one code apart;
 * stride 2: one load gives 16 outputs), the output stage in registers. */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
dwp_body_512(int KH, int NP, int S, const rt_fx_conv_param *p, const conv_geo *cg,
             const dwp_geo *d, int o, const int16_t *xc, int16_t *yo) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW, kw = g->kw;
  int kh = KH > 0 ? KH : g->kh, npair = NP > 0 ? NP : (kw + 1) / 2, s = S;
  int Wp = d->Wp, Wq = d->Wq, plen = d->plen;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  const __m512i bias = _mm512_set1_epi32(p->bias ? (int32_t)p->bias[o] : 0);
  const oq512 oq = oq_make(&p->q, o);
  int32_t wp[DWM_KH][8];
  dw_pairs(wo, kh, kw, wp);
  _Alignas(64) int16_t pl[DWP_IN];
  _Alignas(64) int16_t out[DWP_OUT + 32];
  /* copy columns [0, nc) of an input row to padded columns pw.. */
  int nc = W < Wp - g->pw ? W : Wp - g->pw;
  if (nc < 0) nc = 0;
  int c0 = g->pw < Wp ? g->pw : Wp;
  for (int oy0 = 0; oy0 < OH; oy0 += d->R) {
    int R = OH - oy0 < d->R ? OH - oy0 : d->R;
    int64_t n = (int64_t)R * Wq;
    int nv = (int)(s == 1 ? (n + 31) / 32 : (n + 15) / 16);
    for (int j = 0; j < s * plen; j += 32) /* plen is a multiple of 32 */
      _mm512_store_si512((void *)(pl + j), _mm512_setzero_si512());
    for (int f = 0; f < s && nc > 0; f++) {
      int rows = ((R - 1) * s + kh - f + s - 1) / s; /* rows of plane f read */
      for (int r = 0; r < rows; r++) {
        int iy = (oy0 + r) * s + f - g->ph;
        if (iy >= 0 && iy < H)
          cpy16_512(pl + (int64_t)f * plen + (int64_t)r * Wp + c0, xc + (int64_t)iy * W, nc);
      }
    }
    for (int v = 0; v < nv; v++) {
      __m512i e = bias, od = bias;
      for (int ky = 0; ky < kh; ky++) {
        const int16_t *r = pl + (int64_t)(ky % s) * plen + (ky / s) * Wp + 32 * v;
        for (int t = 0; t < npair; t++) {
          __m512i wv = _mm512_set1_epi32(wp[ky][t]);
          e = _mm512_dpwssd_epi32(e, _mm512_loadu_si512((const void *)(r + 2 * t)), wv);
          if (s == 1)
            od = _mm512_dpwssd_epi32(od, _mm512_loadu_si512((const void *)(r + 2 * t + 1)), wv);
        }
      }
      if (s == 1) { /* lanes e0 o0 e1 o1 ... */
        const __m512i i0 = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        const __m512i i1 = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
        _mm256_store_si256((__m256i *)(out + 32 * v),
                           oq_apply(&oq, _mm512_permutex2var_epi32(e, i0, od)));
        _mm256_store_si256((__m256i *)(out + 32 * v + 16),
                           oq_apply(&oq, _mm512_permutex2var_epi32(e, i1, od)));
      } else {
        _mm256_store_si256((__m256i *)(out + 16 * v), oq_apply(&oq, e));
      }
    }
    for (int i = 0; i < R; i++) cpy16_512(yo + (int64_t)(oy0 + i) * OW, out + (int64_t)i * Wq, OW);
  }
}

/* Depthwise channel o by flat bands (dwp_plan gave d). */
FX_TARGET_AVX512 void fx_dwp_conv_512(const rt_fx_conv_param *p, const conv_geo *cg,
                                      const dwp_geo *d, int o, const int16_t *xc, int16_t *yo,
                                      int lvl) {
  (void)lvl;
  int k3 = cg->g->kh == 3 && cg->g->kw == 3;
  if (k3 && d->s == 1) dwp_body_512(3, 2, 1, p, cg, d, o, xc, yo);
  else if (k3) dwp_body_512(3, 2, 2, p, cg, d, o, xc, yo);
  else if (d->s == 1) dwp_body_512(0, 0, 1, p, cg, d, o, xc, yo);
  else dwp_body_512(0, 0, 2, p, cg, d, o, xc, yo);
}
#endif
