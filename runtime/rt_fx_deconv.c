/* rt_fx_deconv.c - the fixed-point Deconvolution kernel of the contract
 * (rt_fixed.h): scatter form over blocks of output rows, int32
 * accumulators when the operands' bound allows (rt_fx_mac.c), int64
 * otherwise, and the reference gather loop for rows wider than a block. */
#include "rt_fx_mac.h"


/* Output rows [r0, r1) of deconvolution channel o into the block, scatter
 * form: input (iy, ix) reaches output (iy*sh - ph + ky*dh,
 * ix*sw - pw + kx*dw) through tap (ky, kx); up to four input channels of
 * the group per mac.  xg: the group's first input plane. */
static void deconv_rows(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                        const int16_t *xg, fx_blk *b, bool wide, int r0,
                        int r1) {
  const rt_conv_param *g = cg->g;
  int kh = g->kh, kw = g->kw, W = cg->W, OW = cg->OW;
  int64_t hw = (int64_t)cg->H * W, khw = (int64_t)kh * kw;
  int gi = o / cg->opg, ol = o % cg->opg;
  fx_blk_fill(b, wide, (int64_t)(r1 - r0) * OW, p->bias ? p->bias[o] : 0);
  for (int icg = 0; icg < cg->cpg; icg += 4) {
    int nc = cg->cpg - icg < 4 ? cg->cpg - icg : 4;
    const int16_t *wk[4];
    mac_job j;
    j.nc = nc;
    j.s = 1;
    j.so = g->sw;
    for (int k = 0; k < 4; k++) {
      int ick = icg + (k < nc ? k : 0);
      int64_t ic = (int64_t)gi * cg->cpg + ick;
      wk[k] = p->w + (ic * cg->opg + ol) * khw;
      j.x[k] = xg + ick * hw;
    }
    for (int ky = 0; ky < kh; ky++) {
      int offy = ky * g->dh - g->ph - r0, y0, y1; /* block row = iy*sh + offy */
      span(cg->H, r1 - r0, g->sh, offy, &y0, &y1);
      if (y0 >= y1) continue;
      for (int kx = 0; kx < kw; kx++) {
        bool any = false;
        for (int k = 0; k < 4; k++) {
          j.w[k] = k < nc ? wk[k][ky * kw + kx] : 0;
          any |= j.w[k] != 0;
        }
        if (!any) continue;
        int offx = kx * g->dw - g->pw, x0, x1;
        span(W, OW, g->sw, offx, &x0, &x1);
        if (x0 >= x1) continue;
        int64_t xoff = (int64_t)y0 * W + x0;
        int64_t at = (int64_t)(y0 * g->sh + offy) * OW + (int64_t)x0 * g->sw + offx;
        j.nr = y1 - y0;
        j.n = x1 - x0;
        j.xs = W;
        j.os = (int64_t)g->sh * OW;
        for (int k = 0; k < 4; k++) j.x[k] += xoff;
        fx_blk_mac(b, wide, at, &j);
        for (int k = 0; k < 4; k++) j.x[k] -= xoff;
      }
    }
  }
}

/* Largest |bias| + max|x| * sum|w| check for deconvolution channel o,
 * whose weights are C x O/g x kh x kw. */
static bool deconv_fits32(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                          int64_t xmax, int lvl) {
  int64_t khw = (int64_t)p->g.kh * p->g.kw, s = 0;
  int gi = o / cg->opg, ol = o % cg->opg;
  int64_t bias = p->bias ? p->bias[o] : 0;
  for (int icg = 0; icg < cg->cpg; icg++)
    s += fx_sumabs(lvl, p->w + (((int64_t)gi * cg->cpg + icg) * cg->opg + ol) * khw,
                khw, 1);
  if (bias < -INT32_MAX || bias > INT32_MAX) return false;
  if (xmax && s > INT32_MAX / xmax) return false;
  return s * xmax + (bias < 0 ? -bias : bias) <= INT32_MAX;
}

/* The reference gather loop for one output plane (rows wider than a
 * block). */
static void deconv_px(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                      const int16_t *xg, int16_t *yo) {
  const rt_conv_param *g = cg->g;
  int kh = g->kh, kw = g->kw, H = cg->H, W = cg->W;
  int64_t hw = (int64_t)H * W;
  int gi = o / cg->opg, ol = o % cg->opg;
  int64_t bias = p->bias ? p->bias[o] : 0;
  for (int oy = 0; oy < cg->OH; oy++)
    for (int ox = 0; ox < cg->OW; ox++) {
      int64_t acc = bias;
      for (int ky = 0; ky < kh; ky++) {
        int ty = oy + g->ph - ky * g->dh;
        if (ty < 0 || ty % g->sh) continue;
        int iy = ty / g->sh;
        if (iy >= H) continue;
        for (int kx = 0; kx < kw; kx++) {
          int tx = ox + g->pw - kx * g->dw;
          if (tx < 0 || tx % g->sw) continue;
          int ix = tx / g->sw;
          if (ix >= W) continue;
          for (int icl = 0; icl < cg->cpg; icl++) {
            int64_t ic = (int64_t)gi * cg->cpg + icl;
            int16_t x = xg[icl * hw + (int64_t)iy * W + ix];
            int16_t w = p->w[((ic * cg->opg + ol) * kh + ky) * kw + kx];
            acc += (int32_t)x * w;
          }
        }
      }
      yo[(int64_t)oy * cg->OW + ox] = outq1(&p->q, o, acc);
    }
}

/* Deconvolution: b[0] N x C x H x W -> t[0] N x O x OH x OW, weights
 * C x O/g x kh x kw; equal to the gather form of docs/fixed-point.md. */
void rt_fx_deconv(const void *param, const rt_fx_args *a) {
  const rt_fx_conv_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1), H = D4(b, 2), W = D4(b, 3);
  int O = D4(t, 1), OH = D4(t, 2), OW = D4(t, 3);
  const rt_conv_param *g = &p->g;
  int G = g->group, cpg = C / G, opg = O / G;
  int64_t hw = (int64_t)H * W, ohw = (int64_t)OH * OW;
  conv_geo cg = {g, cpg, opg, H, W, OH, OW};
  int lvl = rt_fx_simd_level();
  fx_blk blk;
  for (int n = 0; n < N; n++) {
    int64_t xmax = fx_maxabs(lvl, b->d + (int64_t)n * C * hw, (int64_t)C * hw);
    for (int o = 0; o < O; o++) {
      const int16_t *xg =
          b->d + ((int64_t)n * C + (int64_t)(o / opg) * cpg) * hw;
      int16_t *yo = t->d + ((int64_t)n * O + o) * ohw;
      bool wide = !deconv_fits32(p, &cg, o, xmax, lvl);
      int rows = OW > 0 ? (wide ? FX_BLK / 2 : FX_BLK) / OW : 0;
      if (rows < 1) {
        deconv_px(p, &cg, o, xg, yo);
        continue;
      }
      for (int r0 = 0; r0 < OH; r0 += rows) {
        int r1 = OH - r0 < rows ? OH : r0 + rows;
        deconv_rows(p, &cg, o, xg, &blk, wide, r0, r1);
        fx_blk_out(lvl, &blk, wide, &p->q, o, yo + (int64_t)r0 * OW,
                   (int64_t)(r1 - r0) * OW);
      }
    }
  }
}
