/* rt_fx_dw.h - internal header of the depthwise Convolution kernels (one
 * input channel per group, int32-exact layers): their geometry, the two
 * portable bodies (compiled by rt_fx_dw.c, and for AVX2 by
 * x86/rt_fx_dw_avx2.c) and the kernel type the dispatch chooses from. */
#ifndef RT_FX_DW_H
#define RT_FX_DW_H

#include <string.h>

#include "rt_fx_mac.h"

/* ---- Depthwise rows (one input channel per group) ----
 * Output channel o of an int32-exact layer (fits32), row by row: each
 * input row a tap reads is copied with its zero padding into a buffer, so
 * the tap loops need no bounds (and vectorize). */
#define DW_OW 2048   /* widest output row */
#define DW_ROW 8192  /* widest padded input row */

/* ---- Depthwise on flattened padded planes ----
 * A vector per output row wastes most lanes and most of the time on row
 * set-up when rows are short (15 x 20 or 8 x 10 planes).  The flat-band
 * kernels instead copy a band of rows, zero padding included, into s
 * planes (s = sh = sw, 1 or 2; plane f holds the padded rows f, f + s,
 * ...) of pitch Wp = s * Wq, and compute the band as one flat run of
 * outputs g = i * Wq + ox (ox < Wq, only ox < OW kept): tap (ky, kx) of
 * output g reads plane ky % s at s * g + (ky / s) * Wp + kx, since
 * s * g = i * Wp + s * ox.  A lane with ox >= OW reads past its row but
 * inside the planes and is dropped; a lane with ox < OW reads only its own
 * padded row, so its sum is the reference's (fits32 bounds every partial
 * sum).  dwp_conv_512 (AVX-512, output stage in registers) takes the taps
 * in pairs; dwf_conv (portable, and its AVX2 build) one pass per tap. */
#define DWP_KH 11    /* tallest kernel */
#define DWP_IN 16384 /* codes of all the planes of one band */
#define DWP_OUT 8192 /* outputs of one band (int16) */

typedef struct dwp_geo {
  int s, Wp, Wq, R; /* stride, plane pitch, outputs per flat row, band rows */
  int plen;         /* codes per plane, loads included */
} dwp_geo;
#define DWM_KH DWP_KH  /* tallest kernel of the tap-pair kernels */
#define DWM_ROW 4096   /* codes per row buffer of the tap-pair kernels */

/* One depthwise kernel: output channel o (plane yo) from its input plane
 * xc; d is the flat-band geometry (fx_dwp_plan; unused by the row
 * kernels), lvl the SIMD level. */
typedef void fx_dw_fn(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d, int o,
                      const int16_t *xc, int16_t *yo, int lvl);

/* The band geometry of a depthwise layer (room for dwp_conv_512's
 * 32-code loads included), false when the flat bands do not apply. */
bool fx_dwp_plan(const conv_geo *cg, dwp_geo *d);
/* True when the row kernels (dw_body) handle the layer. */
bool fx_dw_ok(const conv_geo *cg);
/* True when the tap-pair kernels (x86/rt_fx_dw_*.c) handle the layer. */
bool fx_dwm_ok(const conv_geo *cg);
fx_dw_fn fx_dwf_conv; /* flat bands, portable */
fx_dw_fn fx_dw_conv;  /* rows, portable */

/* The taps of one channel's kh x kw weights wo in pairs: wp[ky][t] is
 * gm_pair of row ky at 2t (w[ky][2t+1] = 0 past kw), t < (kw + 1) / 2 <= 8. */
static inline void dw_pairs(const int16_t *wo, int kh, int kw, int32_t wp[][8]) {
  for (int ky = 0; ky < kh; ky++)
    for (int t = 0; t < (kw + 1) / 2 && t < 8; t++) wp[ky][t] = gm_pair(wo + ky * kw, 2 * t, kw);
}

/* Depthwise channel o by flat bands (dwp_plan gave d), portable: one
 * int32 accumulator per flat output, each tap one pass over the band (a
 * unit-stride or stride-2 loop that compilers vectorize: SSE2, AVX2,
 * NEON), then outq32 over the band and the rows copied out. */
static inline __attribute__((always_inline)) void
dwf_body(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d, int o,
         const int16_t *xc, int16_t *yo, int lvl) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW, kh = g->kh, kw = g->kw;
  int s = d->s, Wp = d->Wp, Wq = d->Wq, plen = d->plen;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  int32_t b = p->bias ? (int32_t)p->bias[o] : 0;
  int16_t pl[DWP_IN];
  int32_t acc[DWP_OUT];
  int16_t out[DWP_OUT];
  int nc = W < Wp - g->pw ? W : Wp - g->pw;
  if (nc < 0) nc = 0;
  int c0 = g->pw < Wp ? g->pw : Wp;
  for (int oy0 = 0; oy0 < OH; oy0 += d->R) {
    int R = OH - oy0 < d->R ? OH - oy0 : d->R, n = R * Wq;
    memset(pl, 0, (size_t)s * plen * sizeof *pl);
    for (int f = 0; f < s && nc > 0; f++) {
      int rows = ((R - 1) * s + kh - f + s - 1) / s; /* rows of plane f read */
      for (int r = 0; r < rows; r++) {
        int iy = (oy0 + r) * s + f - g->ph;
        if (iy >= 0 && iy < H)
          memcpy(pl + (int64_t)f * plen + (int64_t)r * Wp + c0, xc + (int64_t)iy * W,
                 (size_t)nc * sizeof *pl);
      }
    }
    for (int i = 0; i < n; i++) acc[i] = b;
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++) {
        int32_t w = wo[ky * kw + kx];
        if (w == 0) continue;
        const int16_t *r = pl + (int64_t)(ky % s) * plen + (ky / s) * Wp + kx;
        if (s == 1)
          for (int i = 0; i < n; i++) acc[i] += w * r[i];
        else
          for (int i = 0; i < n; i++) acc[i] += w * r[2 * i];
      }
    fx_outq32(lvl, &p->q, o, acc, out, n);
    for (int i = 0; i < R; i++)
      memcpy(yo + (int64_t)(oy0 + i) * OW, out + (int64_t)i * Wq, (size_t)OW * sizeof *yo);
  }
}

/* Depthwise channel o row by row: each input row a tap reads is copied
 * with its zero padding into a buffer, then one pass per tap. */
static inline __attribute__((always_inline)) void
dw_body(const rt_fx_conv_param *p, const conv_geo *cg, int o,
        const int16_t *xc, int16_t *yo, int lvl) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OW = cg->OW, kh = g->kh, kw = g->kw, sw = g->sw;
  int need = (OW - 1) * sw + (kw - 1) * g->dw + 1;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  int32_t b = p->bias ? (int32_t)p->bias[o] : 0;
  int32_t acc[DW_OW];
  int16_t row[DW_ROW], phs[DW_ROW];
  for (int oy = 0; oy < cg->OH; oy++) {
    for (int i = 0; i < OW; i++) acc[i] = b;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * g->sh - g->ph + ky * g->dh;
      if (iy < 0 || iy >= H) continue;
      const int16_t *xr = xc + (int64_t)iy * W;
      /* row[j] = input column j - pw, 0 outside */
      int j0 = g->pw < need ? g->pw : need, j1 = g->pw + W < need ? g->pw + W : need;
      memset(row, 0, (size_t)need * sizeof *row);
      if (j1 > j0) memcpy(row + j0, xr + (j0 - g->pw), (size_t)(j1 - j0) * sizeof *row);
      const int16_t *ph = row;
      int plen = (need + sw - 1) / sw;
      if (sw > 1) { /* phase f at phs + f * plen: phs[f * plen + m] = row[m * sw + f] */
        for (int f = 0; f < sw; f++)
          for (int m = 0; m * sw + f < need; m++) phs[f * plen + m] = row[m * sw + f];
        ph = phs;
      }
      for (int kx = 0; kx < kw; kx++) {
        int32_t w = wo[ky * kw + kx];
        if (w == 0) continue;
        int t = kx * g->dw; /* reads row[i * sw + t] = phase t % sw, index i + t / sw */
        const int16_t *r = ph + (t % sw) * plen + t / sw;
        for (int i = 0; i < OW; i++) acc[i] += w * r[i];
      }
    }
    fx_outq32(lvl, &p->q, o, acc, yo + (int64_t)oy * OW, OW);
  }
}

#endif
