/* x86/rt_fx_gemm_sse2.c - Convolution as a packed integer GEMM (SSE2, the
 * x86-64 baseline), used when every output channel of the layer passes
 * the int32 bound and a group has at least 4 output channels.  For a
 * block of GM_PB output positions, the im2col rows k = (c, ky, kx)
 * (padding 0) are packed in pairs, panel[k/2][pos][k%2], so that one
 * pmaddwd multiplies 4 positions by the weight pair (w[o][k], w[o][k+1]);
 * a tile of 4 channels x 8 positions of int32 accumulators runs over the
 * panel's whole k range.  Every partial sum is within the fits32 bound,
 * so the int32 result is the exact sum.
 *
 * gw_conv feeds the GEMM from zero-padded, phase-split row bands (equal
 * strides, no dilation), else fx_gm_pack gathers the im2col rows.  At
 * SIMD level 1 and 2 gm_run takes the AVX2 / AVX-512 tiles
 * (rt_fx_gemm_avx2.c, rt_fx_gemm_avx512.c), and at level 2 the blocks
 * with the output stage in registers, int8 + vpdpbusd when the codes fit
 * 8 bits (rt_fx_gemm_vnni.c). */
#include <string.h>

#include "rt_fx_x86.h"

#if defined(__SSE2__)
/* acc[t][0, GM_PB) += the nt (<= 4) weight rows wr[t] (row length K, from
 * k0) times the panel of rows [k0, k1). */
static inline __attribute__((always_inline)) void
gm_tile(int nt, int32_t *acc, const int16_t *const *wr, const int16_t *panel,
        int k0, int k1, int K) {
  int npair = (k1 - k0) / 2, nq = (k1 - k0 + 1) / 2;
  for (int pp = 0; pp < GM_PB; pp += 8) {
    __m128i a[4][2];
    for (int t = 0; t < nt; t++) {
      a[t][0] = _mm_loadu_si128((const __m128i *)(acc + t * GM_PB + pp));
      a[t][1] = _mm_loadu_si128((const __m128i *)(acc + t * GM_PB + pp + 4));
    }
    const int16_t *xp = panel + pp * 2;
    for (int q = 0; q < nq; q++, xp += GM_PB * 2) {
      __m128i x0 = _mm_loadu_si128((const __m128i *)xp);
      __m128i x1 = _mm_loadu_si128((const __m128i *)(xp + 8));
      int k = k0 + 2 * q;
      for (int t = 0; t < nt; t++) {
        int32_t wp;
        if (q < npair) memcpy(&wp, wr[t] + k, sizeof wp);
        else wp = gm_pair(wr[t], k, K);
        __m128i wv = _mm_set1_epi32(wp);
        a[t][0] = _mm_add_epi32(a[t][0], _mm_madd_epi16(x0, wv));
        a[t][1] = _mm_add_epi32(a[t][1], _mm_madd_epi16(x1, wv));
      }
    }
    for (int t = 0; t < nt; t++) {
      _mm_storeu_si128((__m128i *)(acc + t * GM_PB + pp), a[t][0]);
      _mm_storeu_si128((__m128i *)(acc + t * GM_PB + pp + 4), a[t][1]);
    }
  }
}

/* gm_tile for 4 and for 1 weight rows (constant nt: unrolled). */
static void gm_tile4(int32_t *acc, const int16_t *const *wr,
                     const int16_t *panel, int k0, int k1, int K) {
  gm_tile(4, acc, wr, panel, k0, k1, K);
}
static void gm_tile1(int32_t *acc, const int16_t *const *wr,
                     const int16_t *panel, int k0, int k1, int K) {
  gm_tile(1, acc, wr, panel, k0, k1, K);
}

/* Wide rows: packs im2col rows [k0, k1) of positions [q0, q0 + GM_PB) in
 * pairs (panel[k/2][pos][k%2]); an odd last row pairs with zeros. */
static void gw_pack(int16_t *panel, const gm_ctx *x, int k0, int k1, int q0) {
  static const int16_t zeros[GM_PB];
  for (int k = k0; k < k1; k += 2) {
    const int16_t *r[2];
    for (int h = 0; h < 2; h++) r[h] = k + h < k1 ? x->band + x->roff[k + h] + q0 : zeros;
    int16_t *dst = panel + (int64_t)((k - k0) >> 1) * GM_PB * 2;
    for (int j = 0; j < GM_PB; j += 8) {
      __m128i a = _mm_loadu_si128((const __m128i *)(r[0] + j));
      __m128i b = _mm_loadu_si128((const __m128i *)(r[1] + j));
      _mm_storeu_si128((__m128i *)(dst + 2 * j), _mm_unpacklo_epi16(a, b));
      _mm_storeu_si128((__m128i *)(dst + 2 * j + 8), _mm_unpackhi_epi16(a, b));
    }
  }
}

/* Stores the codes r of channel o for positions [p0, p0 + np) of a block. */
static void gm_place(const gm_ctx *x, int o, const int16_t *r, int p0, int np) {
  const conv_geo *cg = x->cg;
  int64_t P = (int64_t)cg->OH * cg->OW;
  if (!x->wide) {
    if (np == GM_PB)
      memcpy(x->yn + o * P + p0, r, GM_PB * sizeof *r);
    else
      memcpy(x->yn + o * P + p0, r, (size_t)np * sizeof *r);
    return;
  }
  for (int q = p0; q < p0 + np;) { /* runs of valid columns */
    int oy = q / x->WP, ox = q % x->WP;
    int n = x->WP - ox < p0 + np - q ? x->WP - ox : p0 + np - q;
    if (ox < cg->OW) {
      int nv = cg->OW - ox < n ? cg->OW - ox : n;
      int16_t *d = x->yn + o * P + (int64_t)(x->r0 + oy) * cg->OW + ox;
      if (nv == GM_PB) /* a whole block: a fixed-size copy */
        memcpy(d, r, GM_PB * sizeof *r);
      else
        memcpy(d, r + (q - p0), (size_t)nv * sizeof *r);
    }
    q += n;
  }
}

/* The output stage of channel o for positions [p0, p0 + np) of a block. */
static void gm_out(const gm_ctx *x, int o, const int32_t *acc, int p0, int np) {
  const conv_geo *cg = x->cg;
  if (!x->wide) {
    fx_outq32(x->lvl, &x->p->q, o, acc, x->yn + o * (int64_t)cg->OH * cg->OW + p0, np);
    return;
  }
  int16_t r[GM_PB]; /* the whole block at once (full vectors) */
  fx_outq32(x->lvl, &x->p->q, o, acc, r, GM_PB);
  gm_place(x, o, r, p0, np);
}

/* Output channels [o0, o0 + opg) for positions [pa, pb) (see gm_ctx). */
static void gm_run(const gm_ctx *x, int pa, int pb, int o0) {
  gm_tile_fn *tile4 = gm_tile4, *tile1 = gm_tile1;
#if FX_AVX2
  if (x->lvl >= 2) tile4 = fx_gm_tile4_512, tile1 = fx_gm_tile1_512;
  else if (x->lvl >= 1) tile4 = fx_gm_tile4_avx2, tile1 = fx_gm_tile1_avx2;
#endif
  const rt_fx_conv_param *p = x->p;
  const conv_geo *cg = x->cg;
  const rt_conv_param *g = cg->g;
  int K = cg->cpg * g->kh * g->kw, opg = cg->opg;
#if FX_AVX2
  if (x->w8) {
    fx_gm_blocks(x, pa, pb, o0, true);
    return;
  }
  if (x->lvl >= 2 && K <= GM_KB) {
    bool ok = true;
    for (int o = o0; o < o0 + opg && ok; o++) ok = outq_512_ok(&p->q, o);
    if (ok) {
      fx_gm_blocks(x, pa, pb, o0, false);
      return;
    }
  }
#endif
  _Alignas(64) int16_t panel[GM_KB * GM_PB];
  _Alignas(64) int32_t acc[GM_OB * GM_PB];
  for (int p0 = pa; p0 < pb; p0 += GM_PB) {
    int np = pb - p0 < GM_PB ? pb - p0 : GM_PB;
    for (int ob = 0; ob < opg; ob += GM_OB) {
      int nob = opg - ob < GM_OB ? opg - ob : GM_OB;
      for (int t = 0; t < nob; t++) {
        int32_t b = p->bias ? (int32_t)p->bias[o0 + ob + t] : 0;
        for (int i = 0; i < GM_PB; i++) acc[t * GM_PB + i] = b;
      }
      for (int k0 = 0; k0 < K; k0 += GM_KB) {
        int k1 = K - k0 < GM_KB ? K : k0 + GM_KB;
        if (ob == 0 || K > GM_KB) {
          if (x->wide) gw_pack(panel, x, k0, k1, p0);
          else fx_gm_pack(panel, x->xg, cg, k0, k1, p0, np);
        }
        int t = 0;
        for (; t + 4 <= nob; t += 4) {
          const int16_t *wr[4];
          for (int u = 0; u < 4; u++) wr[u] = p->w + (int64_t)(o0 + ob + t + u) * K;
          tile4(acc + t * GM_PB, wr, panel, k0, k1, K);
        }
        for (; t < nob; t++) {
          const int16_t *wr[1] = {p->w + (int64_t)(o0 + ob + t) * K};
          tile1(acc + t * GM_PB, wr, panel, k0, k1, K);
        }
      }
      for (int t = 0; t < nob; t++) gm_out(x, o0 + ob + t, acc + t * GM_PB, p0, np);
    }
  }
}

/* Band buffer of the wide path (codes), im2col rows it can serve. */
#define GW_BAND 65536
#define GW_ROFF 8192

/* Codes of slack after each band plane: the junk positions of a block
 * read up to (kw - 1) / s + GM_PB - 1 codes past a plane's rows. */
static int64_t gw_slack(const rt_conv_param *g) { return GM_PB + 8 + g->kw; }

/* Output rows per band for an undilated group with equal strides (0: the
 * layer does not fit the band buffer, use the generic packing). */
static int gw_rows(const conv_geo *cg) {
  const rt_conv_param *g = cg->g;
  int s = g->sh;
  if (s < 1 || s > 4 || g->sw != s || g->dh != 1 || g->dw != 1) return 0;
  int64_t WP = (int64_t)cg->W + 2 * g->pw, HP = (int64_t)cg->H + 2 * g->ph;
  int64_t WQ = (WP + s - 1) / s;
  if ((WP - g->kw) / s + 1 != cg->OW || (HP - g->kh) / s + 1 != cg->OH) return 0;
  if ((int64_t)cg->cpg * g->kh * g->kw > GW_ROFF) return 0;
  int64_t planes = (int64_t)cg->cpg * s * s;
  int64_t fixed = planes * (((g->kh - 1) / s) * WQ + gw_slack(g));
  int64_t per = planes * WQ; /* codes per output row of a band */
  if (per <= 0 || fixed >= GW_BAND) return 0;
  int64_t rows = (GW_BAND - fixed) / per;
  if (rows < 1) return 0;
  return rows > cg->OH ? cg->OH : (int)rows;
}

/* d[j] = x[j*s] for j in [0, n). */
static void gather(int16_t *d, const int16_t *x, int n, int s, int lvl) {
  int j = 0;
#if FX_AVX2
  if (s == 2 && lvl >= 2) j = fx_gather2_512(d, x, n);
#endif
  for (; j < n; j++) d[j] = x[(int64_t)j * s];
}

/* Output rows [ra, rb) of one group on the wide path: bands of R rows.  With stride s the
 * band holds the s x s phases of the zero-padded input (phase (py, px),
 * row r, column j = padded (r*s + py, j*s + px)), so tap (ky, kx) of
 * output (oy, ox) is phase (ky % s, kx % s) at (oy + ky/s, ox + kx/s). */
static void gw_conv(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg,
                    int o0, int ra, int rb, int16_t *yn, int R, int lvl) {
  const rt_conv_param *g = cg->g;
  int W = cg->W, H = cg->H, s = g->sh, WP = W + 2 * g->pw, WQ = (WP + s - 1) / s;
  int64_t slack = gw_slack(g);
  _Alignas(64) int16_t band[GW_BAND];
  int32_t roff[GW_ROFF];
  const int8_t *w8 = NULL;
  const int32_t *acc0 = NULL;
  int K4 = 0;
#if FX_AVX2
  _Alignas(64) int8_t w8b[GI_W8];
  int32_t acc0b[GI_OPG];
  if (!fx_gi_prepare(p, cg, xg, o0, ra, rb, w8b, acc0b, &w8, &acc0, &K4, lvl)) w8 = NULL, acc0 = NULL;
#endif
  for (int r0 = ra; r0 < rb; r0 += R) {
    int nr = rb - r0 < R ? rb - r0 : R, nrow = nr + (g->kh - 1) / s;
    int64_t plane = (int64_t)nrow * WQ + slack;
    for (int c = 0; c < cg->cpg; c++) {
      const int16_t *xc = xg + (int64_t)c * H * W;
      for (int py = 0; py < s; py++)
        for (int px = 0; px < s; px++) {
          int16_t *d = band + ((int64_t)(c * s + py) * s + px) * plane;
          if (s == 1 && g->pw == 0) { /* WQ == W: the rows in range are one run */
            int lo, hi;
            span(nrow, H, 1, r0 - g->ph, &lo, &hi);
            memset(d, 0, (size_t)lo * WQ * sizeof *d);
            if (hi > lo)
              memcpy(d + (int64_t)lo * WQ, xc + (int64_t)(r0 + lo - g->ph) * W,
                     (size_t)(hi - lo) * WQ * sizeof *d);
            memset(d + (int64_t)hi * WQ, 0, (size_t)((nrow - hi) * WQ + slack) * sizeof *d);
            continue;
          }
          for (int r = 0; r < nrow; r++, d += WQ) {
            int iy = (r0 + r) * s + py - g->ph;
            if (iy < 0 || iy >= H) {
              memset(d, 0, (size_t)WQ * sizeof *d);
              continue;
            }
            const int16_t *xr = xc + (int64_t)iy * W;
            if (s == 1) {
              memset(d, 0, (size_t)g->pw * sizeof *d);
              memcpy(d + g->pw, xr, (size_t)W * sizeof *d);
              memset(d + g->pw + W, 0, (size_t)(WQ - g->pw - W) * sizeof *d);
              continue;
            }
            /* columns j with 0 <= j*s + px - pw < W, zeros around */
            int off = px - g->pw, jlo = off >= 0 ? 0 : (-off + s - 1) / s;
            int jhi = W - 1 - off < 0 ? 0 : (W - 1 - off) / s + 1;
            if (jhi > WQ) jhi = WQ;
            if (jlo > jhi) jlo = jhi;
            memset(d, 0, (size_t)jlo * sizeof *d);
            gather(d + jlo, xr + (int64_t)jlo * s + off, jhi - jlo, s, lvl);
            memset(d + jhi, 0, (size_t)(WQ - jhi) * sizeof *d);
          }
          memset(d, 0, (size_t)slack * sizeof *d);
        }
    }
    int K = cg->cpg * g->kh * g->kw;
    for (int k = 0, c = 0, ky = 0, kx = 0; k < K; k++) {
      roff[k] = (int32_t)(((int64_t)(c * s + ky % s) * s + kx % s) * plane +
                          (int64_t)(ky / s) * WQ + kx / s);
      if (++kx == g->kw) {
        kx = 0;
        if (++ky == g->kh) ky = 0, c++;
      }
    }
    gm_ctx x = {p, cg, NULL, band, plane, WQ, r0, yn, true, w8, acc0, K4, o0, roff, lvl};
    gm_run(&x, 0, nr * WQ, o0);
  }
}

void fx_gm_conv(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg, int o0,
                int ra, int rb, int16_t *yn, int lvl) {
  int R = gw_rows(cg);
  if (R > 0) {
    gw_conv(p, cg, xg, o0, ra, rb, yn, R, lvl);
    return;
  }
  gm_ctx x = {p, cg, xg, NULL, 0, 0, 0, yn, false, NULL, NULL, 0, o0, NULL, lvl};
  gm_run(&x, ra * cg->OW, rb * cg->OW, o0);
}
#endif
