/* x86/rt_fx_pack_sse2.c - the generic im2col packing of the integer GEMM
 * (SSE2): output positions of a block gathered from the group's input
 * planes, two im2col rows interleaved per pmaddwd pair. */
#include <string.h>

#include "rt_fx_x86.h"

#if defined(__SSE2__)
/* A run of output positions of a panel within one output row. */
typedef struct gm_seg {
  int pp, oy, ox, n; /* panel index, output row and column, length */
} gm_seg;

/* im2col row (c, ky, kx) of the panel's positions into r[0, GM_PB) (0 for
 * padding and positions past the segments); xc is input plane c. */
static void gm_row(int16_t *r, const int16_t *xc, const conv_geo *cg, int ky,
                   int kx, const gm_seg *sg, int nseg) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, x0, x1;
  int offx = kx * g->dw - g->pw;
  span(cg->OW, W, g->sw, offx, &x0, &x1);
  memset(r, 0, GM_PB * sizeof *r);
  for (int i = 0; i < nseg; i++) {
    const gm_seg *e = &sg[i];
    int iy = e->oy * g->sh - g->ph + ky * g->dh;
    if (iy < 0 || iy >= H) continue;
    int lo = x0 > e->ox ? x0 : e->ox, hi = x1 < e->ox + e->n ? x1 : e->ox + e->n;
    if (lo >= hi) continue;
    const int16_t *row = xc + (int64_t)iy * W + offx;
    int16_t *d = r + e->pp - e->ox;
    if (g->sw == 1)
      memcpy(d + lo, row + lo, (size_t)(hi - lo) * sizeof *d);
    else
      for (int j = lo; j < hi; j++) d[j] = row[(int64_t)j * g->sw];
  }
}

/* Packs rows [k0, k1) for positions [p0, p0 + np) of the group input xg;
 * missing entries (padding, odd tail, positions >= np) are 0.  Each pair
 * of im2col rows is gathered into two row buffers, then interleaved. */
void fx_gm_pack(int16_t *panel, const int16_t *xg, const conv_geo *cg, int k0, int k1, int p0,
                int np) {
  const rt_conv_param *g = cg->g;
  int OW = cg->OW, nseg = 0;
  int64_t hw = (int64_t)cg->H * cg->W;
  gm_seg sg[GM_PB];
  for (int pp = 0; pp < np;) {
    int pos = p0 + pp, oy = pos / OW, ox = pos % OW;
    int n = OW - ox < np - pp ? OW - ox : np - pp;
    sg[nseg++] = (gm_seg){pp, oy, ox, n};
    pp += n;
  }
  _Alignas(16) int16_t r[2][GM_PB];
  int khw = g->kh * g->kw;
  int c = k0 / khw, ky = k0 % khw / g->kw, kx = k0 % g->kw;
  for (int k = k0; k < k1; k += 2) {
    for (int h = 0; h < 2; h++) {
      if (k + h < k1)
        gm_row(r[h], xg + c * hw, cg, ky, kx, sg, nseg);
      else
        memset(r[h], 0, sizeof r[h]);
      if (++kx == g->kw) {
        kx = 0;
        if (++ky == g->kh) ky = 0, c++;
      }
    }
    int16_t *dst = panel + (int64_t)((k - k0) >> 1) * GM_PB * 2;
    for (int j = 0; j < GM_PB; j += 8) {
      __m128i a = _mm_load_si128((const __m128i *)(r[0] + j));
      __m128i b = _mm_load_si128((const __m128i *)(r[1] + j));
      _mm_storeu_si128((__m128i *)(dst + 2 * j), _mm_unpacklo_epi16(a, b));
      _mm_storeu_si128((__m128i *)(dst + 2 * j + 8), _mm_unpackhi_epi16(a, b));
    }
  }
}

#endif
