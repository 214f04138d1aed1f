/* arm/rt_fx_gemm_neon.c - Convolution as an integer GEMM with NEON
 * (AArch64: SMLAL/SMLAL2 by element; ARMv7: VMLAL.S16 by scalar), used
 * when every output channel of the layer passes the int32 bound and a
 * group has at least 4 output channels (rt_fx_conv.c, through
 * fx_gemm_pick).
 *
 * A tile is GN_MR output channels x GN_NR = 8 output positions of int32
 * accumulators held in registers over the whole k range: per k, one load
 * of the 8 positions' im2col codes (int16), one load of the GN_MR
 * channels' weights (packed per channel block, wp[k][r]), and 2 GN_MR
 * widening multiply-accumulates of 4 lanes.  Every partial sum is within
 * the fits32 bound, so the int32 result is the exact sum, whatever the
 * order.  The output stage runs on the tile in registers (oqn_apply8).
 *
 * The im2col rows come from a zero-padded, phase-split band of input
 * rows when the strides are equal and there is no dilation (gn_band: row
 * k of output (oy, ox) is band[roff[k] + oy * WQ + ox], contiguous in ox,
 * so a tile of 8 columns of one output row is one 8-code load per k),
 * else from a panel gathered per tile (gn_panel).  On ARMv7, band rows of
 * 3 or 5 taps at stride 1 take a row tile (gn_tile_r3, gn_tile_r5: one
 * 16-code load per kernel row, the taps by VEXT).
 *
 * On AArch64 CPUs with SDOT (arm/rt_fx_sdot_neon.c), when the group's
 * codes and a block's weights fit int8, the tile takes its k in fours by
 * SDOT (the last K % 4 by SMLAL). */
#include <string.h>

#include "rt_fx_arm.h"

#if FX_NEON
#if defined(__aarch64__)
#define GN_MR 8 /* channels per tile: 16 accumulators of 32 registers */
#else
#define GN_MR 4 /* channels per tile: 8 accumulators of 16 quad registers */
#endif
#define GN_NR 8       /* positions per tile */
#define GN_KMAX 4608  /* k per packed weight block (512 x 3 x 3) */
#define GN_BAND 65536 /* codes of the band buffer */
#define GN_ROFF 8192  /* k of the band feeder (its row offsets) */

#if defined(__aarch64__)
/* acc[r][0..8) (in/out, r < GN_MR) += sum over k < n of wp[k][r] times
 * the 8 codes at xb + roff[k]. */
static inline __attribute__((always_inline)) void gn_tile(int32_t *acc, const int16_t *xb,
                                                         const int32_t *roff,
                                                         const int16_t *wp, int n) {
  int32x4_t a[GN_MR][2];
  for (int r = 0; r < GN_MR; r++) a[r][0] = vld1q_s32(acc + 8 * r), a[r][1] = vld1q_s32(acc + 8 * r + 4);
  for (int k = 0; k < n; k++) {
    int16x8_t x = vld1q_s16(xb + roff[k]);
    int16x8_t w = vld1q_s16(wp + GN_MR * k);
#define GN_STEP(r)                                                \
  a[r][0] = vmlal_laneq_s16(a[r][0], vget_low_s16(x), w, r); \
  a[r][1] = vmlal_high_laneq_s16(a[r][1], x, w, r);
    GN_STEP(0) GN_STEP(1) GN_STEP(2) GN_STEP(3) GN_STEP(4) GN_STEP(5) GN_STEP(6) GN_STEP(7)
#undef GN_STEP
  }
  for (int r = 0; r < GN_MR; r++) vst1q_s32(acc + 8 * r, a[r][0]), vst1q_s32(acc + 8 * r + 4, a[r][1]);
}
#else
/* The ARMv7 tiles: GN_MR = 4 channels x 8 positions in 8 accumulators
 * (a: positions 0-3, b: 4-7) that are named variables, not an array:
 * with an array a[4][2], GCC 12 (-mcpu=cortex-a9 -mfpu=neon, Thumb-2)
 * kept a stack copy of it and stored all 16 D registers after every k
 * (16 VSTR beside the 8 VMLAL: 31 instructions per 32 MACs). */
#define GN7_LOAD(acc)                                                    \
  int32x4_t a0 = vld1q_s32(acc), b0 = vld1q_s32(acc + 4);               \
  int32x4_t a1 = vld1q_s32(acc + 8), b1 = vld1q_s32(acc + 12);          \
  int32x4_t a2 = vld1q_s32(acc + 16), b2 = vld1q_s32(acc + 20);         \
  int32x4_t a3 = vld1q_s32(acc + 24), b3 = vld1q_s32(acc + 28);
#define GN7_STORE(acc)                                                                \
  vst1q_s32(acc, a0), vst1q_s32(acc + 4, b0), vst1q_s32(acc + 8, a1), vst1q_s32(acc + 12, b1); \
  vst1q_s32(acc + 16, a2), vst1q_s32(acc + 20, b2), vst1q_s32(acc + 24, a3), vst1q_s32(acc + 28, b3);
/* acc += the 8 codes x times the 4 weights w (one k). */
#define GN7_STEP(x, w)                                                                             \
  a0 = vmlal_lane_s16(a0, vget_low_s16(x), w, 0), b0 = vmlal_lane_s16(b0, vget_high_s16(x), w, 0); \
  a1 = vmlal_lane_s16(a1, vget_low_s16(x), w, 1), b1 = vmlal_lane_s16(b1, vget_high_s16(x), w, 1); \
  a2 = vmlal_lane_s16(a2, vget_low_s16(x), w, 2), b2 = vmlal_lane_s16(b2, vget_high_s16(x), w, 2); \
  a3 = vmlal_lane_s16(a3, vget_low_s16(x), w, 3), b3 = vmlal_lane_s16(b3, vget_high_s16(x), w, 3);

/* As the AArch64 gn_tile, k unrolled by 4 (one 8-lane weight load feeds
 * two k). */
static inline __attribute__((always_inline)) void gn_tile(int32_t *acc, const int16_t *xb,
                                                         const int32_t *roff,
                                                         const int16_t *wp, int n) {
  GN7_LOAD(acc)
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    int16x8_t w0 = vld1q_s16(wp + GN_MR * k), w1 = vld1q_s16(wp + GN_MR * k + 8);
    int16x8_t x0 = vld1q_s16(xb + roff[k]), x1 = vld1q_s16(xb + roff[k + 1]);
    GN7_STEP(x0, vget_low_s16(w0))
    GN7_STEP(x1, vget_high_s16(w0))
    int16x8_t x2 = vld1q_s16(xb + roff[k + 2]), x3 = vld1q_s16(xb + roff[k + 3]);
    GN7_STEP(x2, vget_low_s16(w1))
    GN7_STEP(x3, vget_high_s16(w1))
  }
  for (; k < n; k++) {
    int16x4_t w = vld1_s16(wp + GN_MR * k);
    int16x8_t x0 = vld1q_s16(xb + roff[k]);
    GN7_STEP(x0, w)
  }
  GN7_STORE(acc)
}

/* Row j's 8 codes at tap kx of the two loads x0, x1 (kx = 1 .. 7). */
#define GN7_X(kx) vextq_s16(x0, x1, kx)

/* The tile over n kernel rows of 3 (gn_tile_r3) or 5 (gn_tile_r5) taps at
 * stride 1: row j's taps read the 8 codes at xb + roff[3 j] + kx (roff[5 j]
 * + kx), so one load of 16 codes there gives all of them (VEXT by kx),
 * instead of a row offset, an address and a load per tap.  The load
 * reads up to 15 codes past the row offset: gn_band's plane slack (16 +
 * kw codes) covers it, and the lanes past 8 + kw - 1 are not used.
 * Not inlined, and without GCC's loop prefetching (which unrolled the
 * row loop by 2 and then moved accumulators between registers): so GCC
 * 12 keeps the loop's pointers and the 8 accumulators in registers and
 * the weights in D0-D7 (where VMLAL by scalar wants them); 36
 * instructions per row of 3 taps (96 MACs), 56 per row of 5 (160). */
#if defined(__clang__)
#define GN7_ROWS __attribute__((noinline))
#else
#define GN7_ROWS __attribute__((noinline, optimize("no-prefetch-loop-arrays")))
#endif

static GN7_ROWS void gn_tile_r3(int32_t *acc, const int16_t *xb, const int32_t *roff,
                                const int16_t *wp, int n) {
  GN7_LOAD(acc)
  for (const int32_t *end = roff + 3 * n; roff < end; roff += 3, wp += 3 * GN_MR) {
    const int16_t *p = xb + *roff;
    int16x8_t x0 = vld1q_s16(p), x1 = vld1q_s16(p + 8);
    int16x8_t w01 = vld1q_s16(wp);
    int16x4_t w2 = vld1_s16(wp + 8);
    GN7_STEP(x0, vget_low_s16(w01))
    GN7_STEP(GN7_X(1), vget_high_s16(w01))
    GN7_STEP(GN7_X(2), w2)
  }
  GN7_STORE(acc)
}

static GN7_ROWS void gn_tile_r5(int32_t *acc, const int16_t *xb, const int32_t *roff,
                                const int16_t *wp, int n) {
  GN7_LOAD(acc)
  for (const int32_t *end = roff + 5 * n; roff < end; roff += 5, wp += 5 * GN_MR) {
    const int16_t *p = xb + *roff;
    int16x8_t x0 = vld1q_s16(p), x1 = vld1q_s16(p + 8);
    int16x8_t w01 = vld1q_s16(wp), w23 = vld1q_s16(wp + 8);
    int16x4_t w4 = vld1_s16(wp + 16);
    GN7_STEP(x0, vget_low_s16(w01))
    GN7_STEP(GN7_X(1), vget_high_s16(w01))
    GN7_STEP(GN7_X(2), vget_low_s16(w23))
    GN7_STEP(GN7_X(3), vget_high_s16(w23))
    GN7_STEP(GN7_X(4), w4)
  }
  GN7_STORE(acc)
}
#undef GN7_X
#undef GN7_ROWS
#undef GN7_LOAD
#undef GN7_STORE
#undef GN7_STEP
#endif

/* Packs weights [k0, k0 + n) of channels [o, o + nch) (rows of K) as
 * wp[k][r], zeros for r >= nch (ARMv7, full blocks: by VST4). */
static void gn_pack_w(int16_t *wp, const int16_t *w, int64_t K, int o, int nch, int k0, int n) {
#if !defined(__aarch64__)
  if (nch == GN_MR) { /* 4 rows of 4 k, interleaved by VST4 */
    const int16_t *w0 = w + (int64_t)o * K + k0;
    int k = 0;
    for (; k + 4 <= n; k += 4) {
      int16x4x4_t v = {{vld1_s16(w0 + k), vld1_s16(w0 + K + k), vld1_s16(w0 + 2 * K + k),
                        vld1_s16(w0 + 3 * K + k)}};
      vst4_s16(wp + GN_MR * k, v);
    }
    for (; k < n; k++)
      for (int r = 0; r < GN_MR; r++) wp[GN_MR * k + r] = w0[r * K + k];
    return;
  }
#endif
  for (int r = 0; r < GN_MR; r++) {
    const int16_t *wr = w + (int64_t)(o + r) * K + k0;
    for (int k = 0; k < n; k++) wp[GN_MR * k + r] = r < nch ? wr[k] : 0;
  }
}

/* The per-layer state of one group. */
typedef struct gn_ctx {
  const rt_fx_conv_param *p;
  const conv_geo *cg;
  int K, o0, lvl;
  int ra, rb;     /* the output rows to compute */
  int16_t *yn;
  int16_t *wp;    /* packed weights of the current channel block */
  int o, nch;     /* the current channel block */
  bool packed;    /* wp holds the whole K of the block (K <= GN_KMAX) */
  bool dot;       /* SDOT applies to the group (CPU, int8 codes) */
  bool dot8;      /* ... and w8 holds the block's int8 weights */
  int8_t *w8;     /* [k / 4][r][k % 4] */
  int ok[GN_MR];  /* oqn_ok per channel of the block */
  oqn k[GN_MR];
} gn_ctx;

/* Starts channel block [o, o + nch): packs its weights when K fits and
 * prepares its output stages. */
static void gn_block(gn_ctx *x, int o, int nch) {
  x->o = o, x->nch = nch;
  x->packed = x->K <= GN_KMAX;
  if (x->packed) gn_pack_w(x->wp, x->p->w, x->K, o, nch, 0, x->K);
  x->dot8 = false;
#if defined(__aarch64__)
  if (x->dot && x->packed) {
    int n4 = x->K / 4 * 4;
    x->dot8 = true;
    for (int k = 0; k < n4 && x->dot8; k++)
      for (int r = 0; r < GN_MR; r++) {
        int16_t v = x->wp[GN_MR * k + r];
        if (v < -128 || v > 127) {
          x->dot8 = false;
          break;
        }
        x->w8[(k / 4 * GN_MR + r) * 4 + k % 4] = (int8_t)v;
      }
  }
#endif
  for (int r = 0; r < nch; r++) {
    x->ok[r] = oqn_ok(&x->p->q, o + r);
    if (x->ok[r]) x->k[r] = oqn_make(&x->p->q, o + r);
  }
}

/* Sets the accumulators of a tile of the block to the channels' bias. */
static void gn_init(const gn_ctx *x, int32_t *acc) {
  for (int r = 0; r < GN_MR; r++) {
    int32_t b = r < x->nch && x->p->bias ? (int32_t)x->p->bias[x->o + r] : 0;
    for (int j = 0; j < GN_NR; j++) acc[8 * r + j] = b;
  }
}

/* Output stage of the tile: codes of channel r for nv positions at
 * dst + r * P. */
static void gn_out(const gn_ctx *x, const int32_t *acc, int16_t *dst, int64_t P, int nv) {
  for (int r = 0; r < x->nch; r++) {
    int16_t t[GN_NR];
    int16_t *d = nv == GN_NR ? dst + r * P : t;
    if (x->ok[r])
      vst1q_s16(d, oqn_apply8(&x->k[r], acc + 8 * r));
    else
      fx_outq32(x->lvl, &x->p->q, x->o + r, acc + 8 * r, d, GN_NR);
    if (d == t) memcpy(dst + r * P, t, (size_t)nv * sizeof *t);
  }
}

/* The tile's whole k range from rows xb + roff[k] (k in [0, K)); kw > 0
 * when roff[k] = roff[k - k % kw] + k % kw (stride-1 band rows of kw
 * taps, with the plane slack of gn_band). */
static void gn_run(const gn_ctx *x, int32_t *acc, const int16_t *xb, const int32_t *roff,
                   int kw) {
  if (x->packed) {
    int k4 = 0;
#if !defined(__aarch64__)
    if (kw == 3) {
      gn_tile_r3(acc, xb, roff, x->wp, x->K / 3);
      return;
    }
    if (kw == 5) {
      gn_tile_r5(acc, xb, roff, x->wp, x->K / 5);
      return;
    }
#else
    (void)kw;
#endif
#if defined(__aarch64__)
    if (x->dot8) {
      k4 = x->K / 4 * 4;
      fx_neon_tile_dot(acc, xb, roff, x->w8, k4 / 4);
    }
#endif
    gn_tile(acc, xb, roff + k4, x->wp + GN_MR * k4, x->K - k4);
    return;
  }
  for (int k0 = 0; k0 < x->K; k0 += GN_KMAX) {
    int n = x->K - k0 < GN_KMAX ? x->K - k0 : GN_KMAX;
    gn_pack_w(x->wp, x->p->w, x->K, x->o, x->nch, k0, n);
    gn_tile(acc, xb, roff + k0, x->wp, n);
  }
}

/* ---- Band feeder (equal strides s, no dilation) ---- */

/* Output rows per band (0: the layer does not fit, use the panels). */
static int gn_band_rows(const conv_geo *cg, int64_t *plane0) {
  const rt_conv_param *g = cg->g;
  int s = g->sh;
  if (s < 1 || s > 4 || g->sw != s || g->dh != 1 || g->dw != 1) return 0;
  int64_t WP = (int64_t)cg->W + 2 * g->pw, HP = (int64_t)cg->H + 2 * g->ph;
  int64_t WQ = (WP + s - 1) / s, slack = 16 + g->kw;
  if ((WP - g->kw) / s + 1 != cg->OW || (HP - g->kh) / s + 1 != cg->OH) return 0;
  int64_t planes = (int64_t)cg->cpg * s * s;
  int64_t fixed = planes * (((g->kh - 1) / s) * WQ + slack), per = planes * WQ;
  if (per <= 0 || fixed >= GN_BAND || (int64_t)cg->cpg * g->kh * g->kw > GN_ROFF) return 0;
  int64_t rows = (GN_BAND - fixed) / per;
  if (rows < 1) return 0;
  *plane0 = slack;
  return rows > cg->OH ? cg->OH : (int)rows;
}

/* Fills the band of output rows [r0, r0 + nr): phase (py, px) of
 * channel c at band + ((c * s + py) * s + px) * plane holds, at row r and
 * column j, the padded input (r0 + r) * s + py, j * s + px (0 outside). */
static void gn_fill(const conv_geo *cg, const int16_t *xg, int16_t *band, int64_t plane, int r0,
                    int nrow, int WQ) {
  const rt_conv_param *g = cg->g;
  int s = g->sh, H = cg->H, W = cg->W;
  for (int c = 0; c < cg->cpg; c++) {
    const int16_t *xc = xg + (int64_t)c * H * W;
    for (int py = 0; py < s; py++)
      for (int px = 0; px < s; px++) {
        int16_t *d = band + ((int64_t)(c * s + py) * s + px) * plane;
        memset(d, 0, (size_t)plane * sizeof *d);
        int off = px - g->pw, jlo = off >= 0 ? 0 : (-off + s - 1) / s;
        int jhi = W - 1 - off < 0 ? 0 : (W - 1 - off) / s + 1;
        if (jhi > WQ) jhi = WQ;
        if (jlo > jhi) jlo = jhi;
        for (int r = 0; r < nrow; r++, d += WQ) {
          int iy = (r0 + r) * s + py - g->ph;
          if (iy < 0 || iy >= H) continue;
          const int16_t *xr = xc + (int64_t)iy * W + off;
          if (s == 1) {
            memcpy(d + jlo, xr + jlo, (size_t)(jhi - jlo) * sizeof *d);
            continue;
          }
          int j = jlo;
          if (s == 2)
            for (; j + 8 <= jhi; j += 8) vst1q_s16(d + j, vld2q_s16(xr + 2 * j).val[0]);
          for (; j < jhi; j++) d[j] = xr[(int64_t)j * s];
        }
      }
  }
}

static void gn_band(gn_ctx *x, const int16_t *xg, int R, int64_t slack) {
  const conv_geo *cg = x->cg;
  const rt_conv_param *g = cg->g;
  int s = g->sh, WQ = (cg->W + 2 * g->pw + s - 1) / s, OW = cg->OW;
  int64_t P = (int64_t)cg->OH * OW;
  _Alignas(16) int16_t band[GN_BAND];
  int32_t roff[GN_ROFF];
  _Alignas(16) int32_t acc[GN_MR * GN_NR];
  for (int r0 = x->ra; r0 < x->rb; r0 += R) {
    int nr = x->rb - r0 < R ? x->rb - r0 : R, nrow = nr + (g->kh - 1) / s;
    int64_t plane = (int64_t)nrow * WQ + slack;
    gn_fill(cg, xg, band, plane, r0, nrow, WQ);
    for (int k = 0, c = 0, ky = 0, kx = 0; k < x->K; k++) {
      roff[k] = (int32_t)(((int64_t)(c * s + ky % s) * s + kx % s) * plane + (ky / s) * WQ + kx / s);
      if (++kx == g->kw) {
        kx = 0;
        if (++ky == g->kh) ky = 0, c++;
      }
    }
    for (int ob = 0; ob < cg->opg; ob += GN_MR) {
      gn_block(x, x->o0 + ob, cg->opg - ob < GN_MR ? cg->opg - ob : GN_MR);
      int16_t *yb = x->yn + (int64_t)x->o * P;
      for (int oy = 0; oy < nr; oy++)
        for (int ox = 0; ox < OW; ox += GN_NR) {
          gn_init(x, acc);
          gn_run(x, acc, band + (int64_t)oy * WQ + ox, roff, s == 1 ? g->kw : 0);
          gn_out(x, acc, yb + (int64_t)(r0 + oy) * OW + ox, P, OW - ox < GN_NR ? OW - ox : GN_NR);
        }
    }
  }
}

/* ---- Panel feeder (any geometry) ---- */

/* The im2col codes of positions [p0, p0 + 8) for rows [k0, k0 + n):
 * panel[(k - k0) * 8 + j], 0 for padding and positions >= P. */
static void gn_gather(const conv_geo *cg, const int16_t *xg, int16_t *panel, int64_t p0, int k0,
                      int n) {
  const rt_conv_param *g = cg->g;
  int64_t P = (int64_t)cg->OH * cg->OW, hw = (int64_t)cg->H * cg->W;
  int iy0[GN_NR], ix0[GN_NR];
  for (int j = 0; j < GN_NR; j++) {
    int64_t pos = p0 + j;
    iy0[j] = pos < P ? (int)(pos / cg->OW) * g->sh - g->ph : -(1 << 30);
    ix0[j] = pos < P ? (int)(pos % cg->OW) * g->sw - g->pw : 0;
  }
  int khw = g->kh * g->kw, c = k0 / khw, ky = k0 % khw / g->kw, kx = k0 % g->kw;
  for (int k = 0; k < n; k++) {
    const int16_t *xc = xg + c * hw;
    for (int j = 0; j < GN_NR; j++) {
      int iy = iy0[j] + ky * g->dh, ix = ix0[j] + kx * g->dw;
      panel[8 * k + j] = iy >= 0 && iy < cg->H && ix >= 0 && ix < cg->W ? xc[(int64_t)iy * cg->W + ix] : 0;
    }
    if (++kx == g->kw) {
      kx = 0;
      if (++ky == g->kh) ky = 0, c++;
    }
  }
}

static void gn_panel(gn_ctx *x, const int16_t *xg) {
  const conv_geo *cg = x->cg;
  int64_t P = (int64_t)cg->OH * cg->OW, pa = (int64_t)x->ra * cg->OW, pb = (int64_t)x->rb * cg->OW;
  _Alignas(16) int16_t panel[GN_KMAX * GN_NR];
  int32_t roff[GN_KMAX];
  _Alignas(16) int32_t acc[GN_MR * GN_NR];
  for (int k = 0; k < GN_KMAX; k++) roff[k] = 8 * k;
  for (int ob = 0; ob < cg->opg; ob += GN_MR) {
    gn_block(x, x->o0 + ob, cg->opg - ob < GN_MR ? cg->opg - ob : GN_MR);
    for (int64_t p0 = pa; p0 < pb; p0 += GN_NR) {
      gn_init(x, acc);
      if (x->packed) { /* the whole K in one panel */
        gn_gather(cg, xg, panel, p0, 0, x->K);
        gn_run(x, acc, panel, roff, 0);
        gn_out(x, acc, x->yn + (int64_t)x->o * P + p0, P, pb - p0 < GN_NR ? (int)(pb - p0) : GN_NR);
        continue;
      }
      for (int k0 = 0; k0 < x->K; k0 += GN_KMAX) {
        int n = x->K - k0 < GN_KMAX ? x->K - k0 : GN_KMAX;
        gn_gather(cg, xg, panel, p0, k0, n);
        gn_pack_w(x->wp, x->p->w, x->K, x->o, x->nch, k0, n);
        gn_tile(acc, panel, roff, x->wp, n);
      }
      gn_out(x, acc, x->yn + (int64_t)x->o * P + p0, P, pb - p0 < GN_NR ? (int)(pb - p0) : GN_NR);
    }
  }
}

void fx_neon_gm_conv(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg, int o0,
                     int ra, int rb, int16_t *yn, int lvl) {
  _Alignas(16) int16_t wp[GN_KMAX * GN_MR];
  gn_ctx x = {.p = p, .cg = cg, .o0 = o0, .ra = ra, .rb = rb, .lvl = lvl, .yn = yn, .wp = wp};
  x.K = cg->cpg * cg->g->kh * cg->g->kw;
#if defined(__aarch64__)
  _Alignas(16) int8_t w8[GN_KMAX * GN_MR];
  x.w8 = w8;
  if (x.K >= 4 && fx_neon_dot_ok()) { /* the group's codes within int8? */
    int64_t n = (int64_t)cg->cpg * cg->H * cg->W;
    int16_t lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
      lo = xg[i] < lo ? xg[i] : lo;
      hi = xg[i] > hi ? xg[i] : hi;
    }
    x.dot = lo >= -128 && hi <= 127;
  }
#endif
  int64_t slack = 0;
  int R = gn_band_rows(cg, &slack);
  if (R > 0)
    gn_band(&x, xg, R, slack);
  else
    gn_panel(&x, xg);
}
#endif
