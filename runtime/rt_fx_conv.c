/* rt_fx_conv.c - the fixed-point Convolution kernel of the contract and
 * the int8 / sum |w| weight copies prepared for it.
 * Integer arithmetic only; each kernel states its formula in rt_fixed.h and
 * docs/fixed-point.md.
 *
 * Convolution, Deconvolution and InnerProduct accumulate a block of output
 * positions at once (one row span per kernel tap, as in rt_conv.c), in
 * int32 when a bound computed from the actual operands,
 * max|x| * sum|w_c| + |bias_c|, fits in int32 (then every partial sum
 * fits, whatever the summation order, and the result equals the int64
 * reference), in int64 otherwise.  Integer addition being exact, the order
 * of the terms does not matter; padding contributes 0 and zero weights are
 * skipped.  With SSE2 the int32 inner loops pair two taps per pmaddwd (the
 * pair sum is bounded too, so it cannot wrap).
 *
 * The paths of rt_fx_conv, fastest first (each gives the reference's
 * integers; docs/fixed-point.md section 13 says why; rt_fx_cpu.c picks
 * the SIMD variant):
 *   gm_blocks (AVX-512)   GEMM on packed im2col blocks with the output stage
 *                         in registers: int8 bytes + vpdpbusd (gi_*) when
 *                         the codes fit 8 bits, else int16 pairs + vpdpwssd;
 *   gm_run                the same GEMM with int32 accumulator blocks
 *                         (SSE2 / AVX2 / AVX-512 tiles; x86/rt_fx_gemm_*.c);
 *   gw_conv               feeds both from zero-padded, phase-split row
 *                         bands (equal strides, no dilation), else gm_pack
 *                         gathers the im2col rows;
 *   dwm_conv*, dw_conv    depthwise rows (tap pairs, vpmaddwd / vpdpwssd;
 *                         rt_fx_dw.c, x86/rt_fx_dw_*.c);
 *   conv_rows, conv_px    the general per-channel loops (int64 when needed),
 *                         here. */
#include <stdlib.h>
#include <string.h>

#include "rt_fx_cpu.h"
#include "rt_par.h"

/* Convolution channel o fits int32: for any int16 input (no need to look
 * at it), else for the image's max |x| (*xmax, computed once on demand
 * from the image's nx codes at x; -1 = not yet). */
static bool conv_fits32(const rt_fx_conv_param *p, int o, int64_t ksz,
                        const int16_t *x, int64_t nx, int64_t *xmax, int lvl) {
  int64_t s = p->wabs ? p->wabs[o] : fx_sumabs(lvl, p->w + o * ksz, ksz, 1);
  int64_t b = p->bias ? p->bias[o] : 0;
  if (fits32s(-(int64_t)INT16_MIN, s, b)) return true;
  if (*xmax < 0) *xmax = fx_maxabs(lvl, x, nx);
  return fits32s(*xmax, s, b);
}

/* The reference per-pixel loop (used when an output row exceeds a block):
 * output plane yo of channel o from the cpg input planes at xg. */
static void conv_px(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                    const int16_t *xg, int16_t *yo) {
  const rt_conv_param *g = cg->g;
  int kh = g->kh, kw = g->kw, H = cg->H, W = cg->W;
  int64_t hw = (int64_t)H * W;
  const int16_t *wo = p->w + (int64_t)o * cg->cpg * kh * kw;
  int64_t bias = p->bias ? p->bias[o] : 0;
  for (int oy = 0; oy < cg->OH; oy++) {
    int iy0 = oy * g->sh - g->ph, ky0, ky1;
    span(kh, H, g->dh, iy0, &ky0, &ky1);
    for (int ox = 0; ox < cg->OW; ox++) {
      int ix0 = ox * g->sw - g->pw, kx0, kx1;
      span(kw, W, g->dw, ix0, &kx0, &kx1);
      int64_t acc = bias;
      for (int ic = 0; ic < cg->cpg; ic++) {
        const int16_t *xc = xg + ic * hw;
        const int16_t *wc = wo + (int64_t)ic * kh * kw;
        for (int ky = ky0; ky < ky1; ky++) {
          const int16_t *row = xc + (int64_t)(iy0 + ky * g->dh) * W + ix0;
          const int16_t *wr = wc + ky * kw;
          for (int kx = kx0; kx < kx1; kx++)
            acc += (int32_t)row[kx * g->dw] * wr[kx];
        }
      }
      yo[(int64_t)oy * cg->OW + ox] = outq1(&p->q, o, acc);
    }
  }
}

/* Output rows [r0, r1) of channel o into the block: bias, then for each
 * group of up to four input channels and each tap (ky, kx) one mac over
 * the rows and columns whose input lies inside the image. */
static void conv_rows(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                      const int16_t *xg, fx_blk *b, bool wide, int r0,
                      int r1) {
  const rt_conv_param *g = cg->g;
  int kh = g->kh, kw = g->kw, W = cg->W, OW = cg->OW;
  int64_t hw = (int64_t)cg->H * W;
  const int16_t *wo = p->w + (int64_t)o * cg->cpg * kh * kw;
  fx_blk_fill(b, wide, (int64_t)(r1 - r0) * OW, p->bias ? p->bias[o] : 0);
  for (int ic = 0; ic < cg->cpg; ic += 4) {
    int nc = cg->cpg - ic < 4 ? cg->cpg - ic : 4;
    const int16_t *wc = wo + (int64_t)ic * kh * kw;
    mac_job j;
    j.nc = nc;
    j.s = g->sw;
    j.so = 1;
    for (int k = 0; k < 4; k++) j.x[k] = xg + (ic + (k < nc ? k : 0)) * hw;
    for (int ky = 0; ky < kh; ky++) {
      int offy = ky * g->dh - g->ph, y0, y1;
      span(cg->OH, cg->H, g->sh, offy, &y0, &y1);
      if (y0 < r0) y0 = r0;
      if (y1 > r1) y1 = r1;
      if (y0 >= y1) continue;
      for (int kx = 0; kx < kw; kx++) {
        bool any = false;
        for (int k = 0; k < 4; k++) {
          j.w[k] = k < nc ? wc[(int64_t)k * kh * kw + ky * kw + kx] : 0;
          any |= j.w[k] != 0;
        }
        if (!any) continue;
        int offx = kx * g->dw - g->pw, x0, x1;
        span(OW, W, g->sw, offx, &x0, &x1);
        if (x0 >= x1) continue;
        /* input offset of output (y0, x0) */
        int64_t xoff = (int64_t)(y0 * g->sh + offy) * W + (int64_t)x0 * g->sw + offx;
        int64_t at = (int64_t)(y0 - r0) * OW + x0;
        j.xs = (int64_t)g->sh * W;
        j.os = OW;
        if (g->sw == 1 && x0 == 0 && x1 == OW && j.xs == OW) {
          j.nr = 1; /* whole rows, contiguous in and out */
          j.n = (y1 - y0) * OW;
        } else {
          j.nr = y1 - y0;
          j.n = x1 - x0;
        }
        for (int k = 0; k < 4; k++) j.x[k] += xoff;
        fx_blk_mac(b, wide, at, &j);
        for (int k = 0; k < 4; k++) j.x[k] -= xoff;
      }
    }
  }
}

/* One image of rt_fx_conv as units for the worker pool (rt_par.h): the
 * GEMM's (group, row chunk, channel chunk) triples, or the output
 * channels of the per-channel paths.  Integer results: any split gives
 * the same codes. */
typedef struct conv_job {
  const rt_fx_conv_param *p;
  const conv_geo *cg;
  const dwp_geo *dg;
  bool flat;
  const int16_t *xn; /* the image's input */
  int16_t *yn;       /* its output */
  int64_t ksz, nx, xmax;
  int lvl;
  fx_gemm_fn *gemm;
  int chunk, nchunk; /* GEMM: channels per unit, channel chunks per group */
  int rows, nrows;   /* GEMM: output rows per unit, row chunks per group;
                        per-channel paths: output rows per unit, row chunks */
} conv_job;

/* GEMM units [lo, hi): unit u = (gi * nrows + r) * nchunk + c computes
 * output rows [r * rows, r * rows + m) of channels gi * opg + [c * chunk,
 * c * chunk + n) (fx_gemm_fn takes cg->opg channels from o0).  A row
 * chunk builds only its own input band, a channel chunk packs only its
 * own weights. */
static void gemm_part(void *ctx, int64_t lo, int64_t hi, void *ws) {
  const conv_job *j = ctx;
  const conv_geo *cg = j->cg;
  (void)ws;
  for (int64_t u = lo; u < hi; u++) {
    int c = (int)(u % j->nchunk), r = (int)(u / j->nchunk % j->nrows);
    int gi = (int)(u / j->nchunk / j->nrows), o0 = c * j->chunk, ra = r * j->rows;
    int rb = cg->OH - ra < j->rows ? cg->OH : ra + j->rows;
    conv_geo part = *cg;
    part.opg = cg->opg - o0 < j->chunk ? cg->opg - o0 : j->chunk;
    j->gemm(j->p, &part, j->xn + (int64_t)gi * cg->cpg * cg->H * cg->W, gi * cg->opg + o0, ra, rb,
            j->yn, j->lvl);
  }
}

/* How the GEMM of one image is cut for T threads (j->chunk, nchunk,
 * rows, nrows): whole groups when there are T of them, else each group
 * in about T / G parts, by output rows when every part keeps at least
 * GEMM_PART positions (each part then builds only its own input band),
 * else by channel chunks of a multiple of 8. */
#define GEMM_PART 128
static void gemm_plan(conv_job *j, int G, int T) {
  const conv_geo *cg = j->cg;
  int per = G >= T ? 1 : (T + G - 1) / G;
  j->chunk = cg->opg, j->rows = cg->OH;
  if (per > 1 && (int64_t)cg->OH * cg->OW >= (int64_t)per * GEMM_PART && cg->OH >= per) {
    j->rows = (cg->OH + per - 1) / per;
  } else if (per > 1) {
    j->chunk = (cg->opg + per - 1) / per;
    j->chunk = (j->chunk + 7) / 8 * 8;
  }
  j->nchunk = (cg->opg + j->chunk - 1) / j->chunk;
  j->nrows = (cg->OH + j->rows - 1) / j->rows;
}

/* Output rows [ra, rb) of depthwise channel o as a convolution of its
 * own: the input starts at the first row they read (the rows above it
 * become the top padding, or none), so every depthwise kernel computes
 * just those rows with the same taps, hence the same codes. */
static void dw_rows(const conv_job *j, int o, const int16_t *xc, int16_t *yo, int ra, int rb) {
  const conv_geo *cg = j->cg;
  if (ra == 0 && rb == cg->OH) {
    fx_dw_pick(cg, j->flat, &j->p->q, o, j->lvl)(j->p, cg, j->dg, o, xc, yo, j->lvl);
    return;
  }
  rt_conv_param g = *cg->g;
  int off = ra * g.sh - g.ph;
  if (off < 0) off = 0;
  g.ph = off - (ra * g.sh - g.ph); /* rows of padding left above */
  conv_geo sub = {&g, cg->cpg, cg->opg, cg->H - off, cg->W, rb - ra, cg->OW};
  dwp_geo dg = {0};
  bool flat = fx_dwp_plan(&sub, &dg);
  fx_dw_pick(&sub, flat, &j->p->q, o, j->lvl)(j->p, &sub, &dg, o, xc + (int64_t)off * cg->W,
                                            yo + (int64_t)ra * cg->OW, j->lvl);
}

/* Units [lo, hi) of the per-channel paths (depthwise, rows, pixels):
 * unit u is output rows [r rows, (r + 1) rows) (r = u / O) of channel
 * o = u % O, so with one row chunk per thread each thread keeps the same
 * rows of every channel, as the GEMM's row split does: what a layer
 * reads was mostly written by the same CPU.  The input's max |x| is
 * found here when a channel needs it. */
static void chan_part(void *ctx, int64_t lo, int64_t hi, void *ws) {
  const conv_job *j = ctx;
  const rt_fx_conv_param *p = j->p;
  const conv_geo *cg = j->cg;
  int OH = cg->OH, OW = cg->OW, lvl = j->lvl, O = cg->opg * j->p->g.group;
  int64_t hw = (int64_t)cg->H * cg->W, ohw = (int64_t)OH * OW, xmax = j->xmax;
  fx_blk blk;
  (void)ws;
  for (int64_t u = lo; u < hi; u++) {
    int o = (int)(u % O), ra = (int)(u / O) * j->rows;
    int rb = OH - ra < j->rows ? OH : ra + j->rows;
    const int16_t *xg = j->xn + (int64_t)(o / cg->opg) * cg->cpg * hw;
    int16_t *yo = j->yn + (int64_t)o * ohw;
    bool wide = !conv_fits32(p, o, j->ksz, j->xn, j->nx, &xmax, lvl);
    if (!wide && OW > 0 && fx_dw_ok(cg)) {
      dw_rows(j, o, xg, yo, ra, rb);
      continue;
    }
    int rows = OW > 0 ? (wide ? FX_BLK / 2 : FX_BLK) / OW : 0;
    if (rows < 1) { /* whole planes only: the first row chunk's unit */
      if (ra == 0) conv_px(p, cg, o, xg, yo);
      continue;
    }
    for (int r0 = ra; r0 < rb; r0 += rows) {
      int r1 = rb - r0 < rows ? rb : r0 + rows;
      conv_rows(p, cg, o, xg, &blk, wide, r0, r1);
      fx_blk_out(lvl, &blk, wide, &p->q, o, yo + (int64_t)r0 * OW, (int64_t)(r1 - r0) * OW);
    }
  }
}

/* Convolution: b[0] N x C x H x W -> t[0] N x O x OH x OW.  Padding reads
 * code 0.  Each image's channels go to the worker pool when the layer
 * has work enough (RT_PAR_MACS). */
void rt_fx_conv(const void *param, const rt_fx_args *a) {
  const rt_fx_conv_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1), H = D4(b, 2), W = D4(b, 3);
  int O = D4(t, 1), OH = D4(t, 2), OW = D4(t, 3);
  const rt_conv_param *g = &p->g;
  int G = g->group, cpg = C / G, opg = O / G;
  int64_t hw = (int64_t)H * W, ohw = (int64_t)OH * OW;
  int64_t ksz = (int64_t)cpg * g->kh * g->kw;
  conv_geo cg = {g, cpg, opg, H, W, OH, OW};
  dwp_geo dg = {0}; /* the flat depthwise bands, when they apply */
  bool flat = fx_dwp_plan(&cg, &dg);
  int lvl = rt_fx_simd_level();
  int T = (int64_t)O * ohw * ksz >= RT_PAR_MACS ? rt_par_threads() : 1;
  conv_job j = {p, &cg, &dg, flat, NULL, NULL, ksz, (int64_t)C * hw, -1, lvl, fx_gemm_pick(),
                0, 0, 0, 0};
  for (int n = 0; n < N; n++) {
    j.xn = b->d + (int64_t)n * C * hw;
    j.yn = t->d + (int64_t)n * O * ohw;
    j.xmax = -1;
    if (j.gemm && opg >= 4 && ohw > 0) {
      bool all32 = true;
      for (int o = 0; o < O && all32; o++)
        all32 = conv_fits32(p, o, ksz, j.xn, j.nx, &j.xmax, lvl);
      if (all32) {
        gemm_plan(&j, G, T);
        int64_t units = (int64_t)G * j.nrows * j.nchunk;
        if (T > 1) rt_par_for(units, gemm_part, &j, NULL);
        else gemm_part(&j, 0, units, NULL);
        continue;
      }
    }
    /* depthwise: one row chunk per thread when each keeps a few rows */
    j.rows = T > 1 && cpg == 1 ? (int)rt_par_row_chunk(OH) : OH;
    j.nrows = j.rows > 0 ? (OH + j.rows - 1) / j.rows : 1;
    if (T > 1) rt_par_for((int64_t)j.nrows * O, chan_part, &j, NULL);
    else chan_part(&j, 0, O, NULL);
  }
}

int64_t rt_fx_conv_k4(const rt_fx_conv_param *p) {
  int G = p->g.group > 0 ? p->g.group : 1;
  return ((int64_t)(p->cin / G) * p->g.kh * p->g.kw + 3) & ~(int64_t)3;
}

void rt_fx_conv_wabs(const rt_fx_conv_param *p, int64_t *wabs) {
  int G = p->g.group > 0 ? p->g.group : 1;
  int64_t K = (int64_t)(p->cin / G) * p->g.kh * p->g.kw;
  int lvl = rt_fx_simd_level();
  for (int o = 0; o < p->g.num_output; o++) wabs[o] = fx_sumabs(lvl, p->w + o * K, K, 1);
}

int rt_fx_conv_pack8(const rt_fx_conv_param *p, int8_t *w8, int32_t *acc0) {
  int G = p->g.group > 0 ? p->g.group : 1;
  int64_t K = (int64_t)(p->cin / G) * p->g.kh * p->g.kw;
  return fx_pack8(p, 0, p->g.num_output, K, rt_fx_conv_k4(p), w8, acc0);
}
