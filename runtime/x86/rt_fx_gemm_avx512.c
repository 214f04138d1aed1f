/* x86/rt_fx_gemm_avx512.c - the integer GEMM with AVX-512 VNNI: the
 * vpdpwssd tiles of gm_run, and fx_gm_blocks, which runs a whole group
 * with the output stage in registers (int16 pairs here, the int8 tiles of
 * rt_fx_gemm_vnni.c) and stores the codes by masked permutes. */
#include <string.h>

#include "rt_fx_x86.h"

#if FX_AVX2
/* gm_tile with AVX-512 VNNI: vpdpwssd adds both products of a weight pair
 * to an int32 lane (no saturation; every partial sum is within the fits32
 * bound), 16 positions per instruction. */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
gm_tile_512(int nt, int32_t *acc, const int16_t *const *wr, const int16_t *panel,
            int k0, int k1, int K) {
  int npair = (k1 - k0) / 2, nq = (k1 - k0 + 1) / 2;
  __m512i a[4][2];
  for (int t = 0; t < nt; t++) {
    a[t][0] = _mm512_loadu_si512((const void *)(acc + t * GM_PB));
    a[t][1] = _mm512_loadu_si512((const void *)(acc + t * GM_PB + 16));
  }
  const int16_t *xp = panel;
  for (int q = 0; q < nq; q++, xp += GM_PB * 2) {
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 32));
    int k = k0 + 2 * q;
    for (int t = 0; t < nt; t++) {
      int32_t wp;
      if (q < npair) memcpy(&wp, wr[t] + k, sizeof wp);
      else wp = gm_pair(wr[t], k, K);
      __m512i wv = _mm512_set1_epi32(wp);
      a[t][0] = _mm512_dpwssd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpwssd_epi32(a[t][1], x1, wv);
    }
  }
  for (int t = 0; t < nt; t++) {
    _mm512_storeu_si512((void *)(acc + t * GM_PB), a[t][0]);
    _mm512_storeu_si512((void *)(acc + t * GM_PB + 16), a[t][1]);
  }
}
FX_TARGET_AVX512 void fx_gm_tile4_512(int32_t *acc, const int16_t *const *wr,
                                      const int16_t *panel, int k0, int k1, int K) {
  gm_tile_512(4, acc, wr, panel, k0, k1, K);
}
FX_TARGET_AVX512 void fx_gm_tile1_512(int32_t *acc, const int16_t *const *wr,
                                      const int16_t *panel, int k0, int k1, int K) {
  gm_tile_512(1, acc, wr, panel, k0, k1, K);
}

/* gm_tile_512 over the whole K (k0 = 0, k1 = K) with the output stage in
 * registers: accumulators start at the bias, the results of the nt
 * channels o.. go as codes to res[t][0, GM_PB) (outq_512_ok for each). */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
gm_fused_512(int nt, int16_t *res, const gm_ctx *x, const void *pv, int o) {
  const rt_fx_conv_param *p = x->p;
  const conv_geo *cg = x->cg;
  int K = cg->cpg * cg->g->kh * cg->g->kw, npair = K / 2;
  const int16_t *w0 = p->w + (int64_t)o * K; /* row t at w0 + t*K */
  __m512i a[8][2];
  for (int t = 0; t < nt; t++)
    a[t][0] = a[t][1] = _mm512_set1_epi32(p->bias ? (int32_t)p->bias[o + t] : 0);
  const int16_t *xp = pv;
  for (int q = 0; q < npair; q++, xp += GM_PB * 2) {
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 32));
    for (int t = 0; t < nt; t++) {
      int32_t wp;
      memcpy(&wp, w0 + (int64_t)t * K + 2 * q, sizeof wp);
      __m512i wv = _mm512_set1_epi32(wp);
      a[t][0] = _mm512_dpwssd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpwssd_epi32(a[t][1], x1, wv);
    }
  }
  if (K & 1) { /* the last row pairs with 0 */
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 32));
    for (int t = 0; t < nt; t++) {
      __m512i wv = _mm512_set1_epi32(gm_pair(w0 + (int64_t)t * K, K - 1, K));
      a[t][0] = _mm512_dpwssd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpwssd_epi32(a[t][1], x1, wv);
    }
  }
  for (int t = 0; t < nt; t++) {
    const oq512 k = oq_make(&p->q, o + t);
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB), oq_apply(&k, a[t][0]));
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB + 16), oq_apply(&k, a[t][1]));
  }
}

GM_FTILES(fx_gm_fused, gm_fused_512)

/* gw_pack with AVX-512: each pair of rows interleaved by two permutes. */
FX_TARGET_AVX512 static void gw_pack_512(int16_t *panel, const gm_ctx *x, int k0, int k1,
                                         int q0) {
  static const int16_t zeros[GM_PB];
  for (int k = k0; k < k1; k += 2) {
    const int16_t *r[2];
    for (int h = 0; h < 2; h++) r[h] = k + h < k1 ? x->band + x->roff[k + h] + q0 : zeros;
    zip16_512(panel + (int64_t)((k - k0) >> 1) * GM_PB * 2,
              _mm512_loadu_si512((const void *)r[0]), _mm512_loadu_si512((const void *)r[1]));
  }
}

/* Where the codes of a block go, the same for every channel: run i takes
 * codes [at, at + nv) to yn + o*OH*OW + off. */
typedef struct gp_runs {
  int n;
  int at[GM_PB], nv[GM_PB];
  int64_t off[GM_PB];
} gp_runs;

static void gp_plan(const gm_ctx *x, int p0, int np, gp_runs *g) {
  const conv_geo *cg = x->cg;
  g->n = 0;
  if (!x->wide) {
    g->at[0] = 0, g->nv[0] = np, g->off[0] = p0, g->n = 1;
    return;
  }
  int oy = p0 / x->WP, ox = p0 % x->WP;
  for (int q = p0; q < p0 + np;) {
    int n = x->WP - ox < p0 + np - q ? x->WP - ox : p0 + np - q;
    if (ox < cg->OW) {
      int k = g->n++;
      g->at[k] = q - p0;
      g->nv[k] = cg->OW - ox < n ? cg->OW - ox : n;
      g->off[k] = (int64_t)(x->r0 + oy) * cg->OW + ox;
    }
    q += n, ox = 0, oy++;
  }
}

/* Stores the GM_PB codes r of channel o by the runs g (AVX-512: each run
 * shifted down by a permute, then one masked store). */
FX_TARGET_AVX512 static void gm_place_512(const gm_ctx *x, int o, const int16_t *r,
                                          const gp_runs *g) {
  int16_t *yo = x->yn + (int64_t)o * x->cg->OH * x->cg->OW;
  __m512i v = _mm512_loadu_si512((const void *)r);
  const __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                        17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  for (int i = 0; i < g->n; i++) {
    __m512i sv = g->at[i] ? _mm512_permutexvar_epi16(
                                _mm512_add_epi16(iota, _mm512_set1_epi16((short)g->at[i])), v)
                          : v;
    _mm512_mask_storeu_epi16(yo + g->off[i], (__mmask32)(0xFFFFFFFFu >> (32 - g->nv[i])), sv);
  }
}

/* gm_run with the output stage in registers (AVX-512; the whole K in one
 * panel, outq_512_ok for every channel), positions [pa, pb): per block of GM_PB positions, one
 * packing (bytes for the int8 path, i8), then tiles of 8, 4, 2 and 1
 * channels whose codes go straight to the output. */
FX_TARGET_AVX512 void fx_gm_blocks(const gm_ctx *x, int pa, int pb, int o0, bool i8) {
  static gm_ftile *const f16[4] = {fx_gm_fused8, fx_gm_fused4, fx_gm_fused2, fx_gm_fused1};
  static gm_ftile *const f8[4] = {fx_gi_tile8, fx_gi_tile4, fx_gi_tile2, fx_gi_tile1};
  static const int width[4] = {8, 4, 2, 1};
  gm_ftile *const *tile = i8 ? f8 : f16;
  const conv_geo *cg = x->cg;
  int K = cg->cpg * cg->g->kh * cg->g->kw, opg = cg->opg;
  _Alignas(64) int16_t panel[GM_KB * GM_PB]; /* int16 pairs, or K4 x GM_PB bytes */
  _Alignas(64) int16_t res[8 * GM_PB];
  for (int p0 = pa; p0 < pb; p0 += GM_PB) {
    int np = pb - p0 < GM_PB ? pb - p0 : GM_PB;
    gp_runs runs;
    gp_plan(x, p0, np, &runs);
    if (i8)
      fx_gi_pack((uint8_t *)panel, x, K, x->K4, p0);
    else if (x->wide)
      gw_pack_512(panel, x, 0, K, p0);
    else
      fx_gm_pack(panel, x->xg, cg, 0, K, p0, np);
    for (int t = 0, s = 0; t < opg; t += width[s]) {
      while (t + width[s] > opg) s++;
      tile[s](res, x, panel, o0 + t);
      for (int u = 0; u < width[s]; u++) gm_place_512(x, o0 + t + u, res + u * GM_PB, &runs);
    }
  }
}

/* gather for s == 2 with AVX-512: the even codes of two vectors. */
FX_TARGET_AVX512 int fx_gather2_512(int16_t *d, const int16_t *x, int n) {
  const __m512i ev = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                      30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  int j = 0;
  for (; j + 32 < n; j += 32) { /* reads x[2j .. 2j + 63], all below 2(n-1) */
    __m512i a = _mm512_loadu_si512((const void *)(x + 2 * j));
    __m512i b = _mm512_loadu_si512((const void *)(x + 2 * j + 32));
    _mm512_storeu_si512((void *)(d + j), _mm512_permutex2var_epi16(a, ev, b));
  }
  return j;
}
#endif
