/* arm/rt_pool_neon.c - MAX pooling of the generated C on ARM NEON
 * (contract in arm/rt_conv_arm.h).  The outputs whose window lies inside
 * the input take 4 at a time: per window element, in the window's order,
 * m = x > m ? x : m on 4 lanes (VCGT + VBSL: the scalar comparison, so
 * NaN and signed zeros come out as in the portable loop), the 4 inputs
 * loaded contiguously (stride 1) or de-interleaved (stride 2, LD2/VLD2).
 * The other outputs, and other strides, run the portable loop. */
#include <float.h>
#include <stddef.h>

#include "rt_conv_arm.h"

#ifdef RT_CONV_NEON
#include <arm_neon.h>

/* The output (oh, ow) of plane x by the portable loop (Caffe's window
 * clipped to the input). */
static float max1(const float *x, const rt_pool_dims *d, int oh, int ow) {
  int h0 = oh * d->SH - d->PH, w0 = ow * d->SW - d->PW;
  int h1 = h0 + d->KH < d->H ? h0 + d->KH : d->H, w1 = w0 + d->KW < d->W ? w0 + d->KW : d->W;
  if (h0 < 0) h0 = 0;
  if (w0 < 0) w0 = 0;
  float m = -FLT_MAX;
  for (int ih = h0; ih < h1; ih++)
    for (int iw = w0; iw < w1; iw++)
      if (x[ih * d->W + iw] > m) m = x[ih * d->W + iw];
  return m;
}

/* 4 inputs from p with stride s (1 or 2). */
static inline float32x4_t load4(const float *p, int s) {
  return s == 1 ? vld1q_f32(p) : vld2q_f32(p).val[0];
}

void rt_pool_max_f32(const float *x, float *y, int nc, const rt_pool_dims *d) {
  const int S = d->SW;
  /* columns [lo, hi) of full windows whose 4-wide vector loads stay inside
   * the row: iw = ow * S - PW + kw >= 0, and the last load's end
   * (ow + 3) * S - PW + KW - 1 + (S - 1) < W */
  int lo = (d->PW + S - 1) / S, hi = lo;
  if (S == 1 || S == 2)
    while (hi + 4 <= d->OW && (hi + 3) * S - d->PW + d->KW - 1 + (S - 1) < d->W) hi += 4;
  for (int p = 0; p < nc; p++) {
    const float *xp = x + (ptrdiff_t)p * d->H * d->W;
    float *yp = y + (ptrdiff_t)p * d->OH * d->OW;
    for (int oh = 0; oh < d->OH; oh++) {
      const int h0 = oh * d->SH - d->PH;
      const bool rows = h0 >= 0 && h0 + d->KH <= d->H;
      int ow = 0;
      if (rows && hi > lo) {
        for (; ow < lo; ow++) yp[oh * d->OW + ow] = max1(xp, d, oh, ow);
        for (; ow < hi; ow += 4) {
          float32x4_t m = vdupq_n_f32(-FLT_MAX);
          for (int kh = 0; kh < d->KH; kh++) {
            const float *r = xp + (ptrdiff_t)(h0 + kh) * d->W + ow * S - d->PW;
            for (int kw = 0; kw < d->KW; kw++) {
              const float32x4_t v = load4(r + kw, S);
              m = vbslq_f32(vcgtq_f32(v, m), v, m);
            }
          }
          vst1q_f32(yp + oh * d->OW + ow, m);
        }
      }
      for (; ow < d->OW; ow++) yp[oh * d->OW + ow] = max1(xp, d, oh, ow);
    }
  }
}
#endif
