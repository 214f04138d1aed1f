/* arm/rt_fx_dw_neon.c - depthwise Convolution with NEON (AArch64 and
 * ARMv7): int16 codes times int16 weights into int32 lanes by SMLAL /
 * SMLAL2 by element (VMLAL.S16 by scalar on ARMv7), DWN_R output rows of
 * 8 columns at a time, the output stage in registers.
 *
 * A band of DWN_R output rows reads (DWN_R - 1) * s + kh input rows;
 * each row of the plane is copied once per band into a row of pitch len
 * whose padding columns (and the columns past the row) stay zero, rows
 * above and below the plane read a zero row.  Output column block v (8
 * outputs) reads, for tap kx of a row, the 8 codes at 8 v + kx (stride 1, one load) or the even codes of
 * the 16 at 16 v + kx (stride 2: LD2 splits even and odd codes, so one
 * load serves taps kx and kx + 1).  Each loaded vector is multiplied
 * into every band row whose tap row it is, so the kernel's fixed sizes
 * (3x3, 5x5; other sizes take the generic body) unroll into straight
 * SMLALs with the taps in registers.  Lanes past OW and rows past OH
 * read zeros or codes of their own padded rows and are not stored; a kept
 * lane sums exactly the reference's products (fits32 bounds every
 * partial sum), so the codes are the portable kernels'.  The output
 * stage: dwn_oq below where it applies, else fx_outq32 (the NEON oqn of
 * rt_fx_arm.h, then the scalar outq1). */
#include "rt_fx_arm.h"

#if FX_NEON
#define DWN_R 4       /* output rows per band */
#define DWN_BUF 16384 /* codes of one band's padded input rows */

/* Row pitch of the band buffer: every load of column block v < nv stays
 * below it (stride 2: 16 codes from 16 (nv - 1) + kx, kx < kw). */
static int dwn_len(const conv_geo *cg) {
  int s = cg->g->sw, nv = (cg->OW + 7) / 8;
  return (8 * s * nv + cg->g->kw + 7) & ~7;
}

bool fx_neon_dw_ok(const conv_geo *cg) {
  const rt_conv_param *g = cg->g;
  int s = g->sw;
  if (cg->cpg != 1 || g->dw != 1 || g->dh != 1 || g->sh != s || (s != 1 && s != 2) ||
      g->kh < 1 || g->kw < 1 || g->kh > DWM_KH || g->kw > 16 || cg->OW < 1 || cg->OW > DW_OW ||
      cg->OH < 1)
    return false;
  return (int64_t)((DWN_R - 1) * s + g->kh + 1) * dwn_len(cg) <= DWN_BUF; /* + zero row */
}

/* acc += x * w over 8 lanes (lo: lanes 0-3, hi: 4-7). */
static inline __attribute__((always_inline)) void dwn_mla(int32x4_t *lo, int32x4_t *hi,
                                                          int16x8_t x, int16_t w) {
  *lo = vmlal_n_s16(*lo, vget_low_s16(x), w);
#if defined(__aarch64__)
  *hi = vmlal_high_n_s16(*hi, x, w);
#else
  *hi = vmlal_n_s16(*hi, vget_high_s16(x), w);
#endif
}

#if defined(__aarch64__)
#define DWN_LANES 0
#else
/* ARMv7: VMLAL.S16 by scalar takes its scalar from D0-D7, so the taps
 * of a fixed kernel size are kept 4 to a register (wv[t / 4], lane t % 4;
 * a switch on the lane, folded once the tap loops are unrolled) rather
 * than one per register, which would not fit and be reloaded. */
#define DWN_LANES 1
static inline __attribute__((always_inline)) void dwn_mla_lane(int32x4_t *lo, int32x4_t *hi,
                                                               int16x8_t x, const int16x4_t *wv,
                                                               int t) {
  int16x4_t w = wv[t >> 2], a = vget_low_s16(x), b = vget_high_s16(x);
  switch (t & 3) {
  case 0: *lo = vmlal_lane_s16(*lo, a, w, 0), *hi = vmlal_lane_s16(*hi, b, w, 0); break;
  case 1: *lo = vmlal_lane_s16(*lo, a, w, 1), *hi = vmlal_lane_s16(*hi, b, w, 1); break;
  case 2: *lo = vmlal_lane_s16(*lo, a, w, 2), *hi = vmlal_lane_s16(*hi, b, w, 2); break;
  default: *lo = vmlal_lane_s16(*lo, a, w, 3), *hi = vmlal_lane_s16(*hi, b, w, 3); break;
  }
}
#endif

/* The output stage of the common case: shift sh in [1, 63], no LEAKY, and
 * for RELU M >= 0 and qmin <= 0 <= qmax, so that a negative accumulator
 * requantizes to a code <= 0 and RELU is the lower bound max(qmin, 0).
 * rsh(x, sh) is SRSHL by -sh of x + (x >> 63) (one SSRA); the int16
 * saturation before the clamp is exact as [lo, hi] is within int16. */
typedef struct dwn_oq {
  int32x2_t M;
  int64x2_t s;
  int16x8_t lo, hi;
} dwn_oq;

static bool dwn_oq_ok(const rt_fx_outq *q, int c) {
  if (q->sh[c] < 1 || q->sh[c] > 63 || q->relu == RT_FX_LEAKY || q->qmin < INT16_MIN ||
      q->qmax > INT16_MAX || q->qmin > q->qmax)
    return false;
  return q->relu == RT_FX_RELU_NONE || (q->M[c] >= 0 && q->qmin <= 0 && q->qmax >= 0);
}

static dwn_oq dwn_oq_make(const rt_fx_outq *q, int c) {
  dwn_oq k;
  k.M = vdup_n_s32(q->M[c]);
  k.s = vdupq_n_s64(-q->sh[c]);
  k.lo = vdupq_n_s16((int16_t)(q->relu == RT_FX_RELU && q->qmin < 0 ? 0 : q->qmin));
  k.hi = vdupq_n_s16((int16_t)q->qmax);
  return k;
}

static inline __attribute__((always_inline)) int32x2_t dwn_rq2(int64x2_t a, int64x2_t s) {
  a = vsraq_n_s64(a, a, 63);
  return vqmovn_s64(vrshlq_s64(a, s));
}

/* The 8 codes of accumulators (lo, hi). */
static inline __attribute__((always_inline)) int16x8_t dwn_oq_apply(const dwn_oq *k, int32x4_t lo,
                                                                    int32x4_t hi) {
#if defined(__aarch64__)
  int32x4_t a = vcombine_s32(dwn_rq2(vmull_s32(vget_low_s32(lo), k->M), k->s),
                             dwn_rq2(vmull_high_s32(lo, vcombine_s32(k->M, k->M)), k->s));
  int32x4_t b = vcombine_s32(dwn_rq2(vmull_s32(vget_low_s32(hi), k->M), k->s),
                             dwn_rq2(vmull_high_s32(hi, vcombine_s32(k->M, k->M)), k->s));
#else
  int32x4_t a = vcombine_s32(dwn_rq2(vmull_s32(vget_low_s32(lo), k->M), k->s),
                             dwn_rq2(vmull_s32(vget_high_s32(lo), k->M), k->s));
  int32x4_t b = vcombine_s32(dwn_rq2(vmull_s32(vget_low_s32(hi), k->M), k->s),
                             dwn_rq2(vmull_s32(vget_high_s32(hi), k->M), k->s));
#endif
  int16x8_t c = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
  return vminq_s16(vmaxq_s16(c, k->lo), k->hi);
}

/* Output row y (n codes) of channel o from its accumulators a (room for
 * a whole last block of 8): with dwn_oq k, else (k NULL) fx_outq32. */
static void dwn_out(const rt_fx_conv_param *p, const dwn_oq *k, int o, const int32_t *a,
                    int16_t *y, int n, int lvl) {
  if (!k) {
    fx_outq32(lvl, &p->q, o, a, y, n);
    return;
  }
  const dwn_oq kk = *k; /* in registers: the stores to y could alias *k */
  int i = 0;
  for (; i + 8 <= n; i += 8) vst1q_s16(y + i, dwn_oq_apply(&kk, vld1q_s32(a + i), vld1q_s32(a + i + 4)));
  if (i < n) {
    int16_t t[8];
    vst1q_s16(t, dwn_oq_apply(&kk, vld1q_s32(a + i), vld1q_s32(a + i + 4)));
    for (int j = 0; i + j < n; j++) y[i + j] = t[j];
  }
}

/* Depthwise channel o (fx_neon_dw_ok), kh x kw taps at stride s; the
 * wrappers below pass constants so that the tap loops unroll.  The band
 * buffer's padding columns are zeroed once (each row copy writes only
 * the W columns of its plane row); rows outside the plane point at a
 * zero row.  The accumulators of a band go to acc, then the output stage
 * runs row by row (so the tap loop keeps only taps and sums in
 * registers). */
static inline __attribute__((always_inline)) void
dwn_body(const rt_fx_conv_param *p, const conv_geo *cg, int o, const int16_t *xc, int16_t *yo,
         int lvl, const int kh, const int kw, const int s) {
  const rt_conv_param *g = cg->g;
  const int H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW, nv = (OW + 7) / 8;
  const int len = dwn_len(cg), nr = (DWN_R - 1) * s + kh;
  const int j0 = g->pw < len ? g->pw : len, j1 = g->pw + W < len ? g->pw + W : len;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  int16_t wt[DWM_KH * 16] = {0};
  for (int i = 0; i < kh * kw; i++) wt[i] = wo[i];
#if DWN_LANES
  const bool lanes = __builtin_constant_p(kh) && __builtin_constant_p(kw);
  int16x4_t wv[DWM_KH * 4];
  for (int i = 0; lanes && i < (kh * kw + 3) / 4; i++) wv[i] = vld1_s16(wt + 4 * i);
#endif
  const int32x4_t bias = vdupq_n_s32(p->bias ? (int32_t)p->bias[o] : 0);
  const dwn_oq k = dwn_oq_make(&p->q, o);
  const dwn_oq *kp = dwn_oq_ok(&p->q, o) ? &k : NULL;
  int16_t buf[DWN_BUF];
  int32_t acc[DWN_R][DW_OW + 8];
  const int16_t *rp[(DWN_R - 1) * 2 + DWM_KH];
  memset(buf, 0, (size_t)(nr + 1) * len * sizeof *buf); /* row nr: the zero row */
  for (int oy0 = 0; oy0 < OH; oy0 += DWN_R) {
    for (int q = 0; q < nr; q++) {
      int iy = oy0 * s - g->ph + q;
      rp[q] = buf + (int64_t)(iy >= 0 && iy < H ? q : nr) * len;
      if (iy >= 0 && iy < H && j1 > j0)
        memcpy(buf + (int64_t)q * len + j0, xc + (int64_t)iy * W + (j0 - g->pw),
               (size_t)(j1 - j0) * sizeof *buf);
    }
    for (int v = 0; v < nv; v++) {
      int32x4_t lo[DWN_R], hi[DWN_R];
#pragma GCC unroll 4
      for (int r = 0; r < DWN_R; r++) lo[r] = hi[r] = bias;
#pragma GCC unroll 32
      for (int q = 0; q < nr; q++) {
        const int16_t *x = rp[q] + 8 * s * v;
#pragma GCC unroll 16
        for (int kx = 0; kx < kw; kx += s) {
          int16x8x2_t xv;
          if (s == 1) xv.val[0] = vld1q_s16(x + kx), xv.val[1] = xv.val[0];
          else xv = vld2q_s16(x + kx);
#pragma GCC unroll 4
          for (int r = 0; r < DWN_R; r++) {
            int ky = q - r * s;
            if (ky < 0 || ky >= kh) continue;
#if DWN_LANES
            if (lanes) {
              dwn_mla_lane(&lo[r], &hi[r], xv.val[0], wv, ky * kw + kx);
              if (s == 2 && kx + 1 < kw) dwn_mla_lane(&lo[r], &hi[r], xv.val[1], wv, ky * kw + kx + 1);
              continue;
            }
#endif
            dwn_mla(&lo[r], &hi[r], xv.val[0], wt[ky * kw + kx]);
            if (s == 2 && kx + 1 < kw) dwn_mla(&lo[r], &hi[r], xv.val[1], wt[ky * kw + kx + 1]);
          }
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < DWN_R; r++)
        vst1q_s32(acc[r] + 8 * v, lo[r]), vst1q_s32(acc[r] + 8 * v + 4, hi[r]);
    }
    for (int r = 0; r < DWN_R && oy0 + r < OH; r++)
      dwn_out(p, kp, o, acc[r], yo + (int64_t)(oy0 + r) * OW, OW, lvl);
  }
}

static void dwn_3x3s1(const rt_fx_conv_param *p, const conv_geo *cg, int o, const int16_t *xc,
                      int16_t *yo, int lvl) {
  dwn_body(p, cg, o, xc, yo, lvl, 3, 3, 1);
}
static void dwn_3x3s2(const rt_fx_conv_param *p, const conv_geo *cg, int o, const int16_t *xc,
                      int16_t *yo, int lvl) {
  dwn_body(p, cg, o, xc, yo, lvl, 3, 3, 2);
}
static void dwn_5x5s1(const rt_fx_conv_param *p, const conv_geo *cg, int o, const int16_t *xc,
                      int16_t *yo, int lvl) {
  dwn_body(p, cg, o, xc, yo, lvl, 5, 5, 1);
}
static void dwn_5x5s2(const rt_fx_conv_param *p, const conv_geo *cg, int o, const int16_t *xc,
                      int16_t *yo, int lvl) {
  dwn_body(p, cg, o, xc, yo, lvl, 5, 5, 2);
}
static void dwn_any(const rt_fx_conv_param *p, const conv_geo *cg, int o, const int16_t *xc,
                    int16_t *yo, int lvl) {
  if (cg->g->sw == 1) dwn_body(p, cg, o, xc, yo, lvl, cg->g->kh, cg->g->kw, 1);
  else dwn_body(p, cg, o, xc, yo, lvl, cg->g->kh, cg->g->kw, 2);
}

void fx_neon_dw_conv(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d, int o,
                     const int16_t *xc, int16_t *yo, int lvl) {
  (void)d;
  const rt_conv_param *g = cg->g;
  int s = g->sw;
  if (g->kh == 3 && g->kw == 3) (s == 1 ? dwn_3x3s1 : dwn_3x3s2)(p, cg, o, xc, yo, lvl);
  else if (g->kh == 5 && g->kw == 5) (s == 1 ? dwn_5x5s1 : dwn_5x5s2)(p, cg, o, xc, yo, lvl);
  else dwn_any(p, cg, o, xc, yo, lvl);
}
#endif
