/* x86/rt_fx_gemm_vnni.c - the int8 path of the integer GEMM (AVX-512 VNNI
 * vpdpbusd).  When every input code of the group and every weight code of
 * its channels is in [-128, 127] (8-bit formats), a block's im2col rows
 * are packed as unsigned bytes u = x + 128, four rows per 32-bit lane
 * (panel[k/4][pos][k%4]), and vpdpbusd adds four products u * w per lane.
 * sum u*w = sum x*w + 128 * sum w, so each accumulator starts at
 * bias - 128 * sum_k w (acc0).  The additions wrap modulo 2^32, and the
 * true sum fits int32 (fits32), so the result is exact.  K is padded to
 * K4 (a multiple of 4) with zero weights. */
#include <string.h>

#include "rt_fx_x86.h"

#if FX_AVX2
/* True when the n codes at x are all in [-128, 127]. */
FX_TARGET_AVX512 static bool codes8(const int16_t *x, int64_t n) {
  __m512i lo = _mm512_set1_epi16(INT16_MAX), hi = _mm512_set1_epi16(INT16_MIN);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512i v = _mm512_loadu_si512((const void *)(x + i));
    lo = _mm512_min_epi16(lo, v);
    hi = _mm512_max_epi16(hi, v);
  }
  if (_mm512_cmplt_epi16_mask(lo, _mm512_set1_epi16(-128)) ||
      _mm512_cmpgt_epi16_mask(hi, _mm512_set1_epi16(127)))
    return false;
  for (; i < n; i++)
    if (x[i] < -128 || x[i] > 127) return false;
  return true;
}

/* True (w8, acc0, K4 set: the layer's own copy from rt_fx_conv_pack8, or
 * one made in buf8/buf0 for channels [o0, o0 + opg)) when the group takes
 * the int8 path. */
bool fx_gi_prepare(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg, int o0,
                   int ra, int rb, int8_t *buf8, int32_t *buf0, const int8_t **w8,
                   const int32_t **acc0, int *K4p, int lvl) {
  const rt_conv_param *g = cg->g;
  int K = cg->cpg * g->kh * g->kw, K4 = (K + 3) & ~3, opg = cg->opg;
  if (lvl < 2 || K > GM_KB) return false;
  for (int o = o0; o < o0 + opg; o++)
    if (!outq_512_ok(&p->q, o)) return false;
  /* input rows [iy0, iy1) of output rows [ra, rb) (no dilation here) */
  int iy0 = ra * g->sh - g->ph, iy1 = (rb - 1) * g->sh - g->ph + g->kh;
  if (iy0 < 0) iy0 = 0;
  if (iy1 > cg->H) iy1 = cg->H;
  for (int c = 0; c < cg->cpg && iy1 > iy0; c++)
    if (!codes8(xg + ((int64_t)c * cg->H + iy0) * cg->W, (int64_t)(iy1 - iy0) * cg->W))
      return false;
  *K4p = K4;
  if (p->w8 && p->acc0) {
    *w8 = p->w8 + (int64_t)o0 * K4;
    *acc0 = p->acc0 + o0;
    return true;
  }
  if (opg > GI_OPG || (int64_t)opg * K4 > GI_W8) return false;
  if (fx_pack8(p, o0, opg, K, K4, buf8, buf0)) return false;
  *w8 = buf8;
  *acc0 = buf0;
  return true;
}

/* Packs rows [0, K4) of positions [q0, q0 + GM_PB) of the band as bytes
 * x + 128, four rows per lane (rows past K read zeros: any value, their
 * weights are 0). */
FX_TARGET_AVX512 void fx_gi_pack(uint8_t *panel, const gm_ctx *x, int K, int K4, int q0) {
  static const int16_t zeros[GM_PB];
  const __m512i off = _mm512_set1_epi16(128);
  for (int k = 0; k < K4; k += 4) {
    __m512i v[4];
    for (int h = 0; h < 4; h++) {
      const int16_t *r = k + h < K ? x->band + x->roff[k + h] + q0 : zeros;
      v[h] = _mm512_add_epi16(_mm512_loadu_si512((const void *)r), off);
    }
    /* 16-bit lanes (row k, row k+1) and (row k+2, row k+3) as byte pairs */
    __m512i ab = _mm512_or_si512(v[0], _mm512_slli_epi16(v[1], 8));
    __m512i cd = _mm512_or_si512(v[2], _mm512_slli_epi16(v[3], 8));
    zip16_512(panel + (int64_t)k * GM_PB, ab, cd);
  }
}

/* nt channels o.. x GM_PB positions over the whole K4 with vpdpbusd; the
 * codes go to res[t][0, GM_PB). */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
gi_tile_512(int nt, int16_t *res, const gm_ctx *x, const void *pv, int o) {
  const uint8_t *panel = pv;
  __m512i a[8][2];
  for (int t = 0; t < nt; t++) a[t][0] = a[t][1] = _mm512_set1_epi32(x->acc0[o + t - x->o0i]);
  const uint8_t *xp = panel;
  const int8_t *wb = x->w8 + (int64_t)(o - x->o0i) * x->K4;
  for (int q = 0; q < x->K4; q += 4, xp += GM_PB * 4) {
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 64));
    for (int t = 0; t < nt; t++) {
      int32_t wq;
      memcpy(&wq, wb + (int64_t)t * x->K4 + q, sizeof wq);
      __m512i wv = _mm512_set1_epi32(wq);
      a[t][0] = _mm512_dpbusd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpbusd_epi32(a[t][1], x1, wv);
    }
  }
  for (int t = 0; t < nt; t++) {
    const oq512 k = oq_make(&x->p->q, o + t);
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB), oq_apply(&k, a[t][0]));
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB + 16), oq_apply(&k, a[t][1]));
  }
}
GM_FTILES(fx_gi_tile, gi_tile_512)
#endif
