/* rt_fx_out.c - the output stage shared by Convolution, Deconvolution and
 * InnerProduct (accumulators -> codes, rt_fixed.h's rt_fx_outq) and the
 * |x| and sum |w| scans that decide between int32 and int64
 * accumulators.  Portable C (SSE2 inline where the compiler has it); the
 * AVX2 / AVX-512 variants are in x86/rt_fx_out_*.c, taken at level lvl,
 * the NEON one (ARM) in arm/rt_fx_out_neon.c. */
#include <string.h>

#include "rt_fx_mac.h"
#include "x86/rt_fx_x86.h"
#include "arm/rt_fx_arm.h"

void fx_outq32(int lvl, const rt_fx_outq *q, int c, const int32_t *acc, int16_t *y,
               int64_t n) {
#if FX_AVX2
  if (n > 0 && lvl >= 1) {
    bool w512 = lvl >= 2;
    int64_t done = n < 16            ? 0
                   : w512 ? fx_outq32_512(q, c, acc, y, n)
                          : fx_outq32_avx2(q, c, acc, y, n);
    acc += done, y += done, n -= done;
    if (n > 0 && n < 16) { /* the tail through a padded copy */
      int32_t ta[16] = {0};
      int16_t ty[16];
      memcpy(ta, acc, (size_t)n * sizeof *ta);
      if ((w512 ? fx_outq32_512(q, c, ta, ty, 16) : fx_outq32_avx2(q, c, ta, ty, 16)) == 16) {
        memcpy(y, ty, (size_t)n * sizeof *y);
        return;
      }
    }
  }
#else
  (void)lvl;
#endif
#if FX_NEON
  {
    int64_t done = fx_outq32_neon(q, c, acc, y, n);
    acc += done, y += done, n -= done;
  }
#endif
  /* Branch-free (the sign of acc is data: a branch on it mispredicts
   * about half the time on ReLU layers), one loop per relu kind, so that
   * compilers can vectorize it (NEON: smull, sshl).  rsh with sh > 0 is
   * (x + 2^(sh-1) + (x >> 63)) >> sh; with sh <= 0 it is x. */
  int relu = q->relu;
  int64_t lo = q->qmin, hi = q->qmax;
  int64_t M = q->M[c], rnd = q->sh[c] > 0 ? INT64_C(1) << (q->sh[c] - 1) : 0;
  int64_t neg = q->sh[c] > 0 ? -1 : 0;
  int sh = q->sh[c] > 0 ? q->sh[c] : 0;
  if (relu == RT_FX_LEAKY) {
    int64_t Mn = q->Mn[c], rndn = q->shn[c] > 0 ? INT64_C(1) << (q->shn[c] - 1) : 0;
    int64_t negn = q->shn[c] > 0 ? -1 : 0;
    int shn = q->shn[c] > 0 ? q->shn[c] : 0;
    for (int64_t i = 0; i < n; i++) {
      int64_t v = acc[i], x = v * M, xn = v * Mn;
      int64_t r = (x + rnd + ((x >> 63) & neg)) >> sh;
      int64_t rn = (xn + rndn + ((xn >> 63) & negn)) >> shn;
      r = v < 0 ? rn : r;
      y[i] = (int16_t)(r < lo ? lo : r > hi ? hi : r);
    }
    return;
  }
  int64_t keep = relu == RT_FX_RELU ? 0 : -1; /* mask of negative lanes */
  for (int64_t i = 0; i < n; i++) {
    int64_t v = acc[i], x = v * M;
    int64_t r = (x + rnd + ((x >> 63) & neg)) >> sh;
    r &= v < 0 ? keep : -1;
    y[i] = (int16_t)(r < lo ? lo : r > hi ? hi : r);
  }
}

void fx_outq64(const rt_fx_outq *q, int c, const int64_t *acc, int16_t *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = outq1(q, c, acc[i]);
}

int64_t fx_maxabs(int lvl, const int16_t *x, int64_t n) {
#if FX_AVX2
  if (lvl >= 1) return fx_maxabs_avx2(x, n);
#else
  (void)lvl;
#endif
  int32_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    int32_t v = x[i] < 0 ? -(int32_t)x[i] : x[i];
    if (v > m) m = v;
  }
  return m;
}

int64_t fx_sumabs(int lvl, const int16_t *w, int64_t n, int64_t ws) {
  int64_t s = 0, k = 0;
#if FX_AVX2
  if (ws == 1 && lvl >= 1) k = fx_sumabs_avx2(w, n, &s);
#else
  (void)lvl;
#endif
#if defined(__SSE2__)
  if (ws == 1) {
    /* madd(w, sign(w)) = |w0| + |w1| <= 2^16 per lane step; flushed to
     * int64 every 2^14 steps */
    const __m128i z = _mm_setzero_si128();
    while (k + 8 <= n) {
      __m128i acc = z;
      for (int it = 0; it < (1 << 14) && k + 8 <= n; it++, k += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(w + k));
        __m128i sg = _mm_sub_epi16(_mm_cmpgt_epi16(z, v), _mm_cmpgt_epi16(v, z));
        acc = _mm_add_epi32(acc, _mm_madd_epi16(v, sg));
      }
      int32_t l[4];
      memcpy(l, &acc, sizeof l);
      s += (int64_t)l[0] + l[1] + l[2] + l[3];
    }
  }
#endif
  for (; k < n; k++) {
    int32_t v = w[k * ws];
    s += v < 0 ? -v : v;
  }
  return s;
}
