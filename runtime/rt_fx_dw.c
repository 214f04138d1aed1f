/* rt_fx_dw.c - depthwise Convolution, portable: the plans (which kernels
 * a layer's geometry allows) and the flat-band and row kernels.  The SIMD
 * kernels are in x86/rt_fx_dw_*.c and arm/rt_fx_dw_neon.c; rt_fx_cpu.c
 * picks one per channel. */
#include "rt_fx_dw.h"

bool fx_dwp_plan(const conv_geo *cg, dwp_geo *d) {
  const rt_conv_param *g = cg->g;
  int s = g->sw, kh = g->kh, kw = g->kw;
  if (cg->cpg != 1 || g->dw != 1 || g->dh != 1 || g->sh != s || (s != 1 && s != 2) ||
      kh > DWP_KH || kw > 16 || cg->OW < 1 || cg->OH < 1)
    return false;
  int64_t span = (int64_t)(cg->OW - 1) * s + kw; /* padded columns read */
  int64_t Wq = (span + s - 1) / s;
  if (Wq > DWP_OUT) return false;
  int npair = (kw + 1) / 2;
  for (int R = (int)(DWP_OUT / Wq < cg->OH ? DWP_OUT / Wq : cg->OH); R >= 1; R--) {
    int64_t n = R * Wq, nv = s == 1 ? (n + 31) / 32 : (n + 15) / 16;
    int64_t rows = ((int64_t)(R - 1) * s + kh + s - 1) / s; /* per plane */
    /* last load: 32 codes from 32 * (nv - 1) + (kh - 1) / s * Wp + 2 * npair - 1 */
    int64_t last = 32 * nv + (int64_t)((kh - 1) / s) * Wq * s + 2 * npair + 31;
    int64_t plen = (rows * Wq * s > last ? rows * Wq * s : last);
    plen = (plen + 31) & ~(int64_t)31;
    if (s * plen <= DWP_IN && 32 * nv <= DWP_OUT + 32) {
      d->s = s, d->Wq = (int)Wq, d->Wp = (int)(Wq * s), d->R = R, d->plen = (int)plen;
      return true;
    }
  }
  return false;
}

bool fx_dw_ok(const conv_geo *cg) {
  const rt_conv_param *g = cg->g;
  int64_t need = (int64_t)(cg->OW - 1) * g->sw + (int64_t)(g->kw - 1) * g->dw + 1;
  return cg->cpg == 1 && cg->OW <= DW_OW && need + g->sw <= DW_ROW;
}

bool fx_dwm_ok(const conv_geo *cg) {
  const rt_conv_param *g = cg->g;
  if (cg->cpg != 1 || g->dw != 1 || g->dh != 1 || (g->sw != 1 && g->sw != 2) ||
      g->kh > DWM_KH || g->kw > 16 || cg->OW > DW_OW)
    return false;
  int nv = g->sw == 1 ? (cg->OW + 31) / 32 : (cg->OW + 15) / 16;
  return 32 * nv + g->kw + 18 <= DWM_ROW; /* the AVX-512 loads, the longer */
}

void fx_dwf_conv(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d, int o,
                 const int16_t *xc, int16_t *yo, int lvl) {
  dwf_body(p, cg, d, o, xc, yo, lvl);
}

void fx_dw_conv(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d, int o,
                const int16_t *xc, int16_t *yo, int lvl) {
  (void)d;
  dw_body(p, cg, o, xc, yo, lvl);
}
