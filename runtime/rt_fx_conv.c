/* rt_fx_conv.c - fixed-point Convolution, Deconvolution and InnerProduct
 * kernels of the contract (the multiply-accumulate layers).
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
 * integers; docs/fixed-point.md section 13 says why):
 *   gm_blocks (AVX-512)   GEMM on packed im2col blocks with the output stage
 *                         in registers: int8 bytes + vpdpbusd (gi_*) when
 *                         the codes fit 8 bits, else int16 pairs + vpdpwssd;
 *   gm_run                the same GEMM with int32 accumulator blocks
 *                         (SSE2 / AVX2 / AVX-512 tiles);
 *   gw_conv               feeds both from zero-padded, phase-split row
 *                         bands (equal strides, no dilation), else gm_pack
 *                         gathers the im2col rows;
 *   dwm_conv*, dw_conv    depthwise rows (tap pairs, vpmaddwd / vpdpwssd);
 *   conv_rows, conv_px    the general per-channel loops (int64 when needed). */
#include <stdlib.h>
#include <string.h>

#include "rt_fx_int.h"

int rt_fx_simd = -1;

/* The resolved level and the rt_fx_simd it came from, in one int so that
 * threads resolving it at once (the compiler's calibration workers) each
 * read a consistent pair: (asked + 2) << 8 | level, 0 = not yet. */
static int simd_state;

int rt_fx_simd_level(void) {
  int asked = rt_fx_simd, st = __atomic_load_n(&simd_state, __ATOMIC_RELAXED);
  if (st && (st >> 8) - 2 == asked) return st & 0xFF;
  int best = 0;
#if FX_AVX2
  if (__builtin_cpu_supports("avx2")) best = 1;
  if (best && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
    best = 2;
#endif
  int level = asked < 0 || asked > best ? best : asked;
  __atomic_store_n(&simd_state, (asked + 2) << 8 | level, __ATOMIC_RELAXED);
  return level;
}

#define FX_BLK 4096 /* int32 accumulators per block (half as many int64) */

static int pack8(const rt_fx_conv_param *p, int o0, int n, int64_t K, int64_t K4,
                 int8_t *w8, int32_t *acc0);


/* The output stage of conv/deconv/ip for channel c. */
static inline int16_t outq1(const rt_fx_outq *q, int c, int64_t acc) {
  if (acc < 0 && q->relu != RT_FX_RELU_NONE) {
    if (q->relu == RT_FX_RELU) return 0;
    return (int16_t)rt_fx_requant(acc, q->Mn[c], q->shn[c], q->qmin, q->qmax);
  }
  return (int16_t)rt_fx_requant(acc, q->M[c], q->sh[c], q->qmin, q->qmax);
}

/* outq1 over n int32 accumulators of channel c.  Identical to it because
 * rt_fx_requant computes rshift(acc * M, sh) directly when |acc| <= 2^31. */
#if FX_AVX2
/* outq32 for 8 accumulators at a time when relu != LEAKY and
 * 32 <= sh <= 63: the 64-bit products acc * M plus the rounding term are
 * exact, and (x >> sh) == (x >> 32) >> (sh - 32) (both floor), the first
 * shift being the high int32 half of x.  Returns how many were done. */
FX_TARGET_AVX2 static int64_t outq32_avx2(const rt_fx_outq *q, int c,
                                          const int32_t *acc, int16_t *y,
                                          int64_t n) {
  int sh = q->sh[c];
  if (q->relu == RT_FX_LEAKY || sh < 32 || sh > 63 || q->qmin < INT16_MIN ||
      q->qmax > INT16_MAX)
    return 0;
  const __m256i M = _mm256_set1_epi64x(q->M[c]);
  const __m256i rnd = _mm256_set1_epi64x(INT64_C(1) << (sh - 1));
  const __m128i s2 = _mm_cvtsi32_si128(sh - 32);
  const __m256i lo = _mm256_set1_epi32(q->qmin), hi = _mm256_set1_epi32(q->qmax);
  const __m256i zero = _mm256_setzero_si256();
  const bool relu = q->relu == RT_FX_RELU;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i r[2];
    for (int h = 0; h < 2; h++) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(acc + i + 8 * h));
      __m256i pe = _mm256_mul_epi32(v, M);
      __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(v, 32), M);
      /* + 2^(sh-1) - (x < 0) */
      pe = _mm256_add_epi64(_mm256_add_epi64(pe, rnd), _mm256_cmpgt_epi64(zero, pe));
      po = _mm256_add_epi64(_mm256_add_epi64(po, rnd), _mm256_cmpgt_epi64(zero, po));
      __m256i x = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
      x = _mm256_sra_epi32(x, s2);
      if (relu) x = _mm256_andnot_si256(_mm256_cmpgt_epi32(zero, v), x);
      r[h] = _mm256_min_epi32(_mm256_max_epi32(x, lo), hi);
    }
    __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(r[0], r[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)(y + i), p);
  }
  return i;
}
#endif

#if FX_AVX2
/* outq32 with AVX-512, 16 accumulators per step, any relu kind and any
 * 0 <= sh <= 63 (|M| < 2^31): each lane is rt_fx_requant's direct branch,
 * rsh(acc * M, sh) in 64 bits (|product| < 2^62, plus 2^(sh-1) - (x < 0)
 * via the sign shift), clamped to [qmin, qmax] in 64 bits, then narrowed;
 * LEAKY computes both multipliers and keeps the one of the lane's sign. */
FX_TARGET_AVX512 static inline __m512i rq64_512(__m512i v, __m512i M, int sh,
                                               __m512i lo, __m512i hi) {
  __m512i pe = _mm512_mul_epi32(v, M);
  __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(v, 32), M);
  if (sh > 0) {
    const __m512i rnd = _mm512_set1_epi64(INT64_C(1) << (sh - 1));
    const __m128i s = _mm_cvtsi32_si128(sh);
    pe = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(pe, rnd), _mm512_srai_epi64(pe, 63)), s);
    po = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(po, rnd), _mm512_srai_epi64(po, 63)), s);
  }
  pe = _mm512_min_epi64(_mm512_max_epi64(pe, lo), hi);
  po = _mm512_min_epi64(_mm512_max_epi64(po, lo), hi);
  return _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
}

/* True when the AVX-512 output stage (oq_make, oq_apply) handles
 * channel c. */
static inline bool outq_512_ok(const rt_fx_outq *q, int c) {
  int sh = q->sh[c], shn = q->relu == RT_FX_LEAKY ? q->shn[c] : 0;
  return sh >= 0 && sh <= 63 && shn >= 0 && shn <= 63 && q->qmin >= INT16_MIN &&
         q->qmax <= INT16_MAX && q->qmin <= q->qmax;
}

/* The output stage of one channel (outq_512_ok) with its constants in
 * registers: oq_make once per channel, then oq_apply per 16 accumulators
 * (the constants are not reloaded from the param after each store). */
typedef struct oq512 {
  bool fast; /* ReLU, sh >= 32, M > 0, qmin <= 0 <= qmax */
  int relu, sh, shn;
  __m512i M, Mn, rnd, lo, hi, qmax;
  __m128i s32;
} oq512;

FX_TARGET_AVX512 static inline __attribute__((always_inline)) oq512
oq_make(const rt_fx_outq *q, int c) {
  oq512 k;
  k.relu = q->relu;
  k.sh = q->sh[c];
  k.shn = q->relu == RT_FX_LEAKY ? q->shn[c] : 0;
  k.fast = q->relu == RT_FX_RELU && k.sh >= 32 && q->M[c] > 0 && q->qmin <= 0 && q->qmax >= 0;
  k.M = _mm512_set1_epi64(q->M[c]);
  k.Mn = _mm512_set1_epi64(q->relu == RT_FX_LEAKY ? q->Mn[c] : 0);
  k.rnd = _mm512_set1_epi64(k.sh > 0 ? INT64_C(1) << (k.sh - 1) : 0);
  k.lo = _mm512_set1_epi64(q->qmin), k.hi = _mm512_set1_epi64(q->qmax);
  k.qmax = _mm512_set1_epi32(q->qmax);
  k.s32 = _mm_cvtsi32_si128(k.sh - 32);
  return k;
}

FX_TARGET_AVX512 static inline __attribute__((always_inline)) __m256i
oq_apply(const oq512 *k, __m512i v) {
  if (k->fast) {
    /* lanes with acc < 0 become 0; for the others acc * M >= 0, so the
     * rounding term is 2^(sh-1) and x >> sh is the high half shifted by
     * sh - 32 (both floors), at most 2^30: int32 arithmetic suffices */
    __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(v, k->M), k->rnd);
    __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(v, 32), k->M), k->rnd);
    __m512i x = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 32), po);
    x = _mm512_sra_epi32(x, k->s32);
    x = _mm512_maskz_mov_epi32(_mm512_cmpge_epi32_mask(v, _mm512_setzero_si512()), x);
    return _mm512_cvtsepi32_epi16(_mm512_min_epi32(x, k->qmax));
  }
  __m512i x = rq64_512(v, k->M, k->sh, k->lo, k->hi);
  if (k->relu == RT_FX_RELU)
    x = _mm512_maskz_mov_epi32(_mm512_cmpge_epi32_mask(v, _mm512_setzero_si512()), x);
  else if (k->relu == RT_FX_LEAKY)
    x = _mm512_mask_mov_epi32(x, _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512()),
                              rq64_512(v, k->Mn, k->shn, k->lo, k->hi));
  return _mm512_cvtsepi32_epi16(x);
}

FX_TARGET_AVX512 static int64_t outq32_512(const rt_fx_outq *q, int c,
                                           const int32_t *acc, int16_t *y,
                                           int64_t n) {
  if (!outq_512_ok(q, c)) return 0;
  const oq512 k = oq_make(q, c);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256((__m256i *)(y + i),
                        oq_apply(&k, _mm512_loadu_si512((const void *)(acc + i))));
  return i;
}
#endif

static void outq32(const rt_fx_outq *q, int c, const int32_t *acc, int16_t *y,
                   int64_t n) {
#if FX_AVX2
  if (n > 0 && use_avx2()) {
    bool w512 = use_avx512();
    int64_t done = n < 16 ? 0 : w512 ? outq32_512(q, c, acc, y, n) : outq32_avx2(q, c, acc, y, n);
    acc += done, y += done, n -= done;
    if (n > 0 && n < 16) { /* the tail through a padded copy */
      int32_t ta[16] = {0};
      int16_t ty[16];
      memcpy(ta, acc, (size_t)n * sizeof *ta);
      if ((w512 ? outq32_512(q, c, ta, ty, 16) : outq32_avx2(q, c, ta, ty, 16)) == 16) {
        memcpy(y, ty, (size_t)n * sizeof *y);
        return;
      }
    }
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

static void outq64(const rt_fx_outq *q, int c, const int64_t *acc, int16_t *y,
                   int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = outq1(q, c, acc[i]);
}

#if FX_AVX2
/* maxabs with AVX2 (|-32768| is 0x8000 as an unsigned lane). */
FX_TARGET_AVX2 static int64_t maxabs_avx2(const int16_t *x, int64_t n) {
  __m256i m = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    m = _mm256_max_epu16(m, _mm256_abs_epi16(_mm256_loadu_si256((const __m256i *)(x + i))));
  uint16_t l[16];
  memcpy(l, &m, sizeof l);
  int32_t r = 0;
  for (int k = 0; k < 16; k++) r = l[k] > r ? l[k] : r;
  for (; i < n; i++) {
    int32_t v = x[i] < 0 ? -(int32_t)x[i] : x[i];
    if (v > r) r = v;
  }
  return r;
}
#endif

/* Largest |x| over n codes. */
static int64_t maxabs(const int16_t *x, int64_t n) {
#if FX_AVX2
  if (use_avx2()) return maxabs_avx2(x, n);
#endif
  int32_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    int32_t v = x[i] < 0 ? -(int32_t)x[i] : x[i];
    if (v > m) m = v;
  }
  return m;
}

#if FX_AVX2
/* sumabs for ws == 1 with AVX2: |w| (0x8000 for -32768, read unsigned)
 * summed in pairs by vpmaddwd against 1 (unsigned pairs <= 2^16, so the
 * words are zero-extended first), int32 lanes flushed every 2^14 steps.
 * Returns how many were summed into *s. */
FX_TARGET_AVX2 static int64_t sumabs_avx2(const int16_t *w, int64_t n, int64_t *s) {
  const __m256i one = _mm256_set1_epi16(1), z = _mm256_setzero_si256();
  int64_t k = 0;
  while (k + 16 <= n) {
    __m256i acc = z;
    for (int it = 0; it < (1 << 14) && k + 16 <= n; it++, k += 16) {
      __m256i a = _mm256_abs_epi16(_mm256_loadu_si256((const __m256i *)(w + k)));
      /* 0..32768 as unsigned: split into the low 15 bits and the top bit */
      __m256i top = _mm256_srli_epi16(a, 15), low = _mm256_and_si256(a, _mm256_set1_epi16(0x7FFF));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(low, one));
      acc = _mm256_add_epi32(acc, _mm256_slli_epi32(_mm256_madd_epi16(top, one), 15));
    }
    int32_t l[8];
    memcpy(l, &acc, sizeof l);
    for (int i = 0; i < 8; i++) *s += l[i];
  }
  return k;
}
#endif

/* sum |w[k*ws]| over k in [0, n). */
static int64_t sumabs(const int16_t *w, int64_t n, int64_t ws) {
  int64_t s = 0, k = 0;
#if FX_AVX2
  if (ws == 1 && use_avx2()) k = sumabs_avx2(w, n, &s);
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

/* True when every partial sum of bias + sum of n products x*w (|x| <= xmax,
 * weights w[k*ws]) fits in int32. */
static bool fits32s(int64_t xmax, int64_t s, int64_t bias) {
  if (bias < -INT32_MAX || bias > INT32_MAX) return false;
  if (xmax && s > INT32_MAX / xmax) return false;
  return s * xmax + (bias < 0 ? -bias : bias) <= INT32_MAX;
}
static bool fits32(int64_t xmax, const int16_t *w, int64_t n, int64_t ws,
                   int64_t bias) {
  return fits32s(xmax, sumabs(w, n, ws), bias);
}

/* Convolution channel o fits int32: for any int16 input (no need to look
 * at it), else for the image's max |x| (*xmax, computed once on demand
 * from the image's nx codes at x; -1 = not yet). */
static bool conv_fits32(const rt_fx_conv_param *p, int o, int64_t ksz,
                        const int16_t *x, int64_t nx, int64_t *xmax) {
  int64_t s = p->wabs ? p->wabs[o] : sumabs(p->w + o * ksz, ksz, 1);
  int64_t b = p->bias ? p->bias[o] : 0;
  if (fits32s(-(int64_t)INT16_MIN, s, b)) return true;
  if (*xmax < 0) *xmax = maxabs(x, nx);
  return fits32s(*xmax, s, b);
}

/* Sets [*lo, *hi) to the positions o in [0, nout) for which o*s + off is in
 * [0, nin).  s > 0. */
static void span(int nout, int nin, int s, int off, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int lim = nin - 1 - off;
  int b = lim < 0 ? 0 : lim / s + 1;
  if (b > nout) b = nout;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* ---- multiply-accumulate over rows ----
 * For r in [0, nr), i in [0, n):
 *   o[r*os + i*so] += sum_{k<nc} w[k] * x[k][r*xs + i*s]
 * nc is 1..4 (unused w[k] are 0 and x[k] == x[0]). */
typedef struct mac_job {
  const int16_t *x[4];
  int16_t w[4];
  int nc, nr, n, s, so;
  int64_t os, xs;
} mac_job;

static void mac32(int32_t *restrict o, const mac_job *j) {
  const int16_t *x0 = j->x[0], *x1 = j->x[1], *x2 = j->x[2], *x3 = j->x[3];
  int32_t w0 = j->w[0], w1 = j->w[1], w2 = j->w[2], w3 = j->w[3];
  bool four = j->nc > 2;
  int n = j->n, s = j->s;
  for (int r = 0; r < j->nr; r++, o += j->os) {
    int64_t xo = r * j->xs;
    int i = 0;
#if defined(__SSE2__)
    if (s == 1 && j->so == 1) {
      __m128i wa = _mm_set_epi16(j->w[1], j->w[0], j->w[1], j->w[0], j->w[1],
                                 j->w[0], j->w[1], j->w[0]);
      __m128i wb = _mm_set_epi16(j->w[3], j->w[2], j->w[3], j->w[2], j->w[3],
                                 j->w[2], j->w[3], j->w[2]);
      for (; i + 8 <= n; i += 8) {
        __m128i a = _mm_loadu_si128((const __m128i *)(x0 + xo + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(x1 + xo + i));
        __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi16(a, b), wa);
        __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi16(a, b), wa);
        if (four) {
          __m128i c = _mm_loadu_si128((const __m128i *)(x2 + xo + i));
          __m128i d = _mm_loadu_si128((const __m128i *)(x3 + xo + i));
          lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(c, d), wb));
          hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(c, d), wb));
        }
        __m128i *op = (__m128i *)(o + i);
        _mm_storeu_si128(op, _mm_add_epi32(_mm_loadu_si128(op), lo));
        _mm_storeu_si128(op + 1, _mm_add_epi32(_mm_loadu_si128(op + 1), hi));
      }
      if (i + 4 <= n) { /* half a step */
        __m128i a = _mm_loadl_epi64((const __m128i *)(x0 + xo + i));
        __m128i b = _mm_loadl_epi64((const __m128i *)(x1 + xo + i));
        __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi16(a, b), wa);
        if (four) {
          __m128i c = _mm_loadl_epi64((const __m128i *)(x2 + xo + i));
          __m128i d = _mm_loadl_epi64((const __m128i *)(x3 + xo + i));
          lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(c, d), wb));
        }
        __m128i *op = (__m128i *)(o + i);
        _mm_storeu_si128(op, _mm_add_epi32(_mm_loadu_si128(op), lo));
        i += 4;
      }
    }
#endif
    for (; i < n; i++) {
      int64_t e = xo + (int64_t)i * s;
      int32_t v = w0 * x0[e] + w1 * x1[e];
      if (four) v += w2 * x2[e] + w3 * x3[e];
      o[(int64_t)i * j->so] += v;
    }
  }
}

static void mac64(int64_t *restrict o, const mac_job *j) {
  for (int r = 0; r < j->nr; r++, o += j->os) {
    int64_t xo = r * j->xs;
    for (int i = 0; i < j->n; i++) {
      int64_t e = xo + (int64_t)i * j->s, v = 0;
      for (int k = 0; k < j->nc; k++) v += (int32_t)j->w[k] * j->x[k][e];
      o[(int64_t)i * j->so] += v;
    }
  }
}

/* The accumulator block: int32 or int64 view. */
typedef union fx_blk {
  int32_t a32[FX_BLK];
  int64_t a64[FX_BLK / 2];
} fx_blk;

static void blk_fill(fx_blk *b, bool wide, int64_t n, int64_t v) {
  if (wide)
    for (int64_t i = 0; i < n; i++) b->a64[i] = v;
  else
    for (int64_t i = 0; i < n; i++) b->a32[i] = (int32_t)v;
}

static void blk_mac(fx_blk *b, bool wide, int64_t at, const mac_job *j) {
  if (wide)
    mac64(b->a64 + at, j);
  else
    mac32(b->a32 + at, j);
}

static void blk_out(const fx_blk *b, bool wide, const rt_fx_outq *q, int c,
                    int16_t *y, int64_t n) {
  if (wide)
    outq64(q, c, b->a64, y, n);
  else
    outq32(q, c, b->a32, y, n);
}

/* ---- Convolution ---- */

/* Geometry of one convolution call. */
typedef struct conv_geo {
  const rt_conv_param *g;
  int cpg, opg, H, W, OH, OW;
} conv_geo;

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
  blk_fill(b, wide, (int64_t)(r1 - r0) * OW, p->bias ? p->bias[o] : 0);
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
        blk_mac(b, wide, at, &j);
        for (int k = 0; k < 4; k++) j.x[k] -= xoff;
      }
    }
  }
}

#if defined(__SSE2__)
/* ---- Convolution as a packed integer GEMM (SSE2) ----
 * Used when every output channel of the layer passes fits32 and a group
 * has at least 4 output channels.  For a block of GM_PB output positions,
 * the im2col rows k = (c, ky, kx) (padding 0) are packed in pairs,
 * panel[k/2][pos][k%2], so that one pmaddwd multiplies 4 positions by the
 * weight pair (w[o][k], w[o][k+1]); a tile of 4 channels x 8 positions of
 * int32 accumulators runs over the panel's whole k range.  Every partial
 * sum is within the fits32 bound, so the int32 result is the exact sum. */
#define GM_PB 32   /* positions per panel */
#define GM_KB 1024 /* k per panel (even) */
#define GM_OB 128  /* output channels per accumulator block */

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
static void gm_pack(int16_t *panel, const int16_t *xg, const conv_geo *cg,
                    int k0, int k1, int p0, int np) {
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

/* The weight pair (w[k], w[k+1]) as one int32 lane; w[k+1] = 0 past the
 * row (k + 1 == K). */
static inline int32_t gm_pair(const int16_t *w, int k, int K) {
  uint16_t lo = (uint16_t)w[k], hi = k + 1 < K ? (uint16_t)w[k + 1] : 0;
  return (int32_t)((uint32_t)lo | (uint32_t)hi << 16);
}

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
typedef void gm_tile_fn(int32_t *acc, const int16_t *const *wr,
                        const int16_t *panel, int k0, int k1, int K);
static void gm_tile4(int32_t *acc, const int16_t *const *wr,
                     const int16_t *panel, int k0, int k1, int K) {
  gm_tile(4, acc, wr, panel, k0, k1, K);
}
static void gm_tile1(int32_t *acc, const int16_t *const *wr,
                     const int16_t *panel, int k0, int k1, int K) {
  gm_tile(1, acc, wr, panel, k0, k1, K);
}

#if FX_AVX2
/* gm_tile with AVX2: 16 positions (two 256-bit vpmaddwd) per weight pair. */
FX_TARGET_AVX2 static inline __attribute__((always_inline)) void
gm_tile_avx2(int nt, int32_t *acc, const int16_t *const *wr,
             const int16_t *panel, int k0, int k1, int K) {
  int npair = (k1 - k0) / 2, nq = (k1 - k0 + 1) / 2;
  for (int pp = 0; pp < GM_PB; pp += 16) {
    __m256i a[4][2];
    for (int t = 0; t < nt; t++) {
      a[t][0] = _mm256_loadu_si256((const __m256i *)(acc + t * GM_PB + pp));
      a[t][1] = _mm256_loadu_si256((const __m256i *)(acc + t * GM_PB + pp + 8));
    }
    const int16_t *xp = panel + pp * 2;
    for (int q = 0; q < nq; q++, xp += GM_PB * 2) {
      __m256i x0 = _mm256_loadu_si256((const __m256i *)xp);
      __m256i x1 = _mm256_loadu_si256((const __m256i *)(xp + 16));
      int k = k0 + 2 * q;
      for (int t = 0; t < nt; t++) {
        int32_t wp;
        if (q < npair) memcpy(&wp, wr[t] + k, sizeof wp);
        else wp = gm_pair(wr[t], k, K);
        __m256i wv = _mm256_set1_epi32(wp);
        a[t][0] = _mm256_add_epi32(a[t][0], _mm256_madd_epi16(x0, wv));
        a[t][1] = _mm256_add_epi32(a[t][1], _mm256_madd_epi16(x1, wv));
      }
    }
    for (int t = 0; t < nt; t++) {
      _mm256_storeu_si256((__m256i *)(acc + t * GM_PB + pp), a[t][0]);
      _mm256_storeu_si256((__m256i *)(acc + t * GM_PB + pp + 8), a[t][1]);
    }
  }
}
FX_TARGET_AVX2 static void gm_tile4_avx2(int32_t *acc, const int16_t *const *wr,
                                         const int16_t *panel, int k0, int k1,
                                         int K) {
  gm_tile_avx2(4, acc, wr, panel, k0, k1, K);
}
FX_TARGET_AVX2 static void gm_tile1_avx2(int32_t *acc, const int16_t *const *wr,
                                         const int16_t *panel, int k0, int k1,
                                         int K) {
  gm_tile_avx2(1, acc, wr, panel, k0, k1, K);
}
#endif

#if FX_AVX2
/* gm_tile with AVX-512 VNNI: vpdpwssd adds both products of a weight pair
 * to an int32 lane (no saturation; every partial sum is within the fits32
 * bound), 16 positions per instruction. */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
gm_tile_512(int nt, int32_t *acc, const int16_t *const *wr, const int16_t *panel,
            int k0, int k1, int K) {
  int npair = (k1 - k0) / 2, nq = (k1 - k0 + 1) / 2;
  __m512i a[4][2];
  for (int t = 0; t < nt; t++) {
    a[t][0] = _mm512_loadu_si512((const void *)(acc + t * GM_PB));
    a[t][1] = _mm512_loadu_si512((const void *)(acc + t * GM_PB + 16));
  }
  const int16_t *xp = panel;
  for (int q = 0; q < nq; q++, xp += GM_PB * 2) {
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 32));
    int k = k0 + 2 * q;
    for (int t = 0; t < nt; t++) {
      int32_t wp;
      if (q < npair) memcpy(&wp, wr[t] + k, sizeof wp);
      else wp = gm_pair(wr[t], k, K);
      __m512i wv = _mm512_set1_epi32(wp);
      a[t][0] = _mm512_dpwssd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpwssd_epi32(a[t][1], x1, wv);
    }
  }
  for (int t = 0; t < nt; t++) {
    _mm512_storeu_si512((void *)(acc + t * GM_PB), a[t][0]);
    _mm512_storeu_si512((void *)(acc + t * GM_PB + 16), a[t][1]);
  }
}
FX_TARGET_AVX512 static void gm_tile4_512(int32_t *acc, const int16_t *const *wr,
                                          const int16_t *panel, int k0, int k1,
                                          int K) {
  gm_tile_512(4, acc, wr, panel, k0, k1, K);
}
FX_TARGET_AVX512 static void gm_tile1_512(int32_t *acc, const int16_t *const *wr,
                                          const int16_t *panel, int k0, int k1,
                                          int K) {
  gm_tile_512(1, acc, wr, panel, k0, k1, K);
}

#endif

/* How gm_run gets the im2col rows of a block of GM_PB positions and where
 * it writes the results.  Generic (gm_conv): positions are output
 * positions p = oy*OW + ox, rows gathered from the group's input planes.
 * Wide (gw_conv, equal strides s, no dilation): positions are
 * q = oy*WP + ox over a band of output rows starting at r0, read from a
 * zero-padded (and, for s > 1, phase-split) copy of the input with WP
 * columns per row and `plane` codes per channel phase, so im2col row
 * (c, ky, kx) is one contiguous run (see gw_conv); columns ox >= OW are
 * computed and dropped. */
typedef struct gm_ctx {
  const rt_fx_conv_param *p;
  const conv_geo *cg;
  const int16_t *xg; /* generic: the group's first input plane */
  const int16_t *band; /* wide */
  int64_t plane;
  int WP, r0;
  int16_t *yn; /* the image's output */
  bool wide;
  /* int8 path (gm_run_i8): weights as int8, K padded to K4, and each
   * channel's accumulator start bias - 128 * sum_k w (NULL: not used) */
  const int8_t *w8;
  const int32_t *acc0;
  int K4, o0i; /* o0i: the group's first channel (index 0 of w8, acc0) */
  const int32_t *roff; /* wide: band offset of im2col row k (position 0) */
} gm_ctx;

#if FX_AVX2
/* gm_tile_512 over the whole K (k0 = 0, k1 = K) with the output stage in
 * registers: accumulators start at the bias, the results of the nt
 * channels o.. go as codes to res[t][0, GM_PB) (outq_512_ok for each). */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
gm_fused_512(int nt, int16_t *res, const gm_ctx *x, const void *pv, int o) {
  const rt_fx_conv_param *p = x->p;
  const conv_geo *cg = x->cg;
  int K = cg->cpg * cg->g->kh * cg->g->kw, npair = K / 2;
  const int16_t *w0 = p->w + (int64_t)o * K; /* row t at w0 + t*K */
  __m512i a[8][2];
  for (int t = 0; t < nt; t++)
    a[t][0] = a[t][1] = _mm512_set1_epi32(p->bias ? (int32_t)p->bias[o + t] : 0);
  const int16_t *xp = pv;
  for (int q = 0; q < npair; q++, xp += GM_PB * 2) {
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 32));
    for (int t = 0; t < nt; t++) {
      int32_t wp;
      memcpy(&wp, w0 + (int64_t)t * K + 2 * q, sizeof wp);
      __m512i wv = _mm512_set1_epi32(wp);
      a[t][0] = _mm512_dpwssd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpwssd_epi32(a[t][1], x1, wv);
    }
  }
  if (K & 1) { /* the last row pairs with 0 */
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 32));
    for (int t = 0; t < nt; t++) {
      __m512i wv = _mm512_set1_epi32(gm_pair(w0 + (int64_t)t * K, K - 1, K));
      a[t][0] = _mm512_dpwssd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpwssd_epi32(a[t][1], x1, wv);
    }
  }
  for (int t = 0; t < nt; t++) {
    const oq512 k = oq_make(&p->q, o + t);
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB), oq_apply(&k, a[t][0]));
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB + 16), oq_apply(&k, a[t][1]));
  }
}

/* A tile of channels o.. over one packed block, codes to res (gm_blocks).
 * GM_FTILES makes name8, name4, name2 and name1: body with the number of
 * channels fixed, so that its loops unroll. */
typedef void gm_ftile(int16_t *res, const gm_ctx *x, const void *panel, int o);
#define GM_FTILES(name, body)                                                           \
  FX_TARGET_AVX512 static void name##8(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(8, r, x, pv, o);                                                               \
  }                                                                                     \
  FX_TARGET_AVX512 static void name##4(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(4, r, x, pv, o);                                                               \
  }                                                                                     \
  FX_TARGET_AVX512 static void name##2(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(2, r, x, pv, o);                                                               \
  }                                                                                     \
  FX_TARGET_AVX512 static void name##1(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(1, r, x, pv, o);                                                               \
  }
GM_FTILES(gm_fused, gm_fused_512)
#endif

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

#if FX_AVX2
/* Stores the 16-bit lanes of a and b interleaved (a0 b0 a1 b1 ...), 128
 * bytes at dst: the pair packing of gw_pack_512 and gi_pack. */
FX_TARGET_AVX512 static inline void zip16_512(void *dst, __m512i a, __m512i b) {
  const __m512i lo = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8,
                                      39, 7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
  const __m512i hi = _mm512_set_epi16(63, 31, 62, 30, 61, 29, 60, 28, 59, 27, 58, 26, 57, 25, 56, 24,
                                      55, 23, 54, 22, 53, 21, 52, 20, 51, 19, 50, 18, 49, 17, 48, 16);
  _mm512_storeu_si512(dst, _mm512_permutex2var_epi16(a, lo, b));
  _mm512_storeu_si512((char *)dst + 64, _mm512_permutex2var_epi16(a, hi, b));
}

/* gw_pack with AVX-512: each pair of rows interleaved by two permutes. */
FX_TARGET_AVX512 static void gw_pack_512(int16_t *panel, const gm_ctx *x, int k0, int k1,
                                         int q0) {
  static const int16_t zeros[GM_PB];
  for (int k = k0; k < k1; k += 2) {
    const int16_t *r[2];
    for (int h = 0; h < 2; h++) r[h] = k + h < k1 ? x->band + x->roff[k + h] + q0 : zeros;
    zip16_512(panel + (int64_t)((k - k0) >> 1) * GM_PB * 2,
              _mm512_loadu_si512((const void *)r[0]), _mm512_loadu_si512((const void *)r[1]));
  }
}
#endif

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

#if FX_AVX2
/* Where the codes of a block go, the same for every channel: run i takes
 * codes [at, at + nv) to yn + o*OH*OW + off. */
typedef struct gp_runs {
  int n;
  int at[GM_PB], nv[GM_PB];
  int64_t off[GM_PB];
} gp_runs;

static void gp_plan(const gm_ctx *x, int p0, int np, gp_runs *g) {
  const conv_geo *cg = x->cg;
  g->n = 0;
  if (!x->wide) {
    g->at[0] = 0, g->nv[0] = np, g->off[0] = p0, g->n = 1;
    return;
  }
  int oy = p0 / x->WP, ox = p0 % x->WP;
  for (int q = p0; q < p0 + np;) {
    int n = x->WP - ox < p0 + np - q ? x->WP - ox : p0 + np - q;
    if (ox < cg->OW) {
      int k = g->n++;
      g->at[k] = q - p0;
      g->nv[k] = cg->OW - ox < n ? cg->OW - ox : n;
      g->off[k] = (int64_t)(x->r0 + oy) * cg->OW + ox;
    }
    q += n, ox = 0, oy++;
  }
}

/* Stores the GM_PB codes r of channel o by the runs g (AVX-512: each run
 * shifted down by a permute, then one masked store). */
FX_TARGET_AVX512 static void gm_place_512(const gm_ctx *x, int o, const int16_t *r,
                                          const gp_runs *g) {
  int16_t *yo = x->yn + (int64_t)o * x->cg->OH * x->cg->OW;
  __m512i v = _mm512_loadu_si512((const void *)r);
  const __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                        17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  for (int i = 0; i < g->n; i++) {
    __m512i sv = g->at[i] ? _mm512_permutexvar_epi16(
                                _mm512_add_epi16(iota, _mm512_set1_epi16((short)g->at[i])), v)
                          : v;
    _mm512_mask_storeu_epi16(yo + g->off[i], (__mmask32)(0xFFFFFFFFu >> (32 - g->nv[i])), sv);
  }
}
#endif

/* The output stage of channel o for positions [p0, p0 + np) of a block. */
static void gm_out(const gm_ctx *x, int o, const int32_t *acc, int p0, int np) {
  const conv_geo *cg = x->cg;
  if (!x->wide) {
    outq32(&x->p->q, o, acc, x->yn + o * (int64_t)cg->OH * cg->OW + p0, np);
    return;
  }
  int16_t r[GM_PB]; /* the whole block at once (full vectors) */
  outq32(&x->p->q, o, acc, r, GM_PB);
  gm_place(x, o, r, p0, np);
}



#if FX_AVX2
/* ---- The int8 path (AVX-512 VNNI vpdpbusd) ----
 * When every input code of the group and every weight code of its
 * channels is in [-128, 127] (8-bit formats), a block's im2col rows are
 * packed as unsigned bytes u = x + 128, four rows per 32-bit lane
 * (panel[k/4][pos][k%4]), and vpdpbusd adds four products u * w per lane.
 * sum u*w = sum x*w + 128 * sum w, so each accumulator starts at
 * bias - 128 * sum_k w (acc0).  The additions wrap modulo 2^32, and the
 * true sum fits int32 (fits32), so the result is exact.  K is padded to
 * K4 (a multiple of 4) with zero weights. */
#define GI_W8 65536 /* bytes of int8 weights */
#define GI_OPG 2048 /* channels */

/* True when the n codes at x are all in [-128, 127]. */
FX_TARGET_AVX512 static bool codes8(const int16_t *x, int64_t n) {
  __m512i lo = _mm512_set1_epi16(INT16_MAX), hi = _mm512_set1_epi16(INT16_MIN);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512i v = _mm512_loadu_si512((const void *)(x + i));
    lo = _mm512_min_epi16(lo, v);
    hi = _mm512_max_epi16(hi, v);
  }
  if (_mm512_cmplt_epi16_mask(lo, _mm512_set1_epi16(-128)) ||
      _mm512_cmpgt_epi16_mask(hi, _mm512_set1_epi16(127)))
    return false;
  for (; i < n; i++)
    if (x[i] < -128 || x[i] > 127) return false;
  return true;
}

/* True (w8, acc0, K4 set: the layer's own copy from rt_fx_conv_pack8, or
 * one made in buf8/buf0 for channels [o0, o0 + opg)) when the group takes
 * the int8 path. */
static bool gi_prepare(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg,
                       int o0, int8_t *buf8, int32_t *buf0, const int8_t **w8,
                       const int32_t **acc0, int *K4p) {
  const rt_conv_param *g = cg->g;
  int K = cg->cpg * g->kh * g->kw, K4 = (K + 3) & ~3, opg = cg->opg;
  if (!use_avx512() || K > GM_KB) return false;
  for (int o = o0; o < o0 + opg; o++)
    if (!outq_512_ok(&p->q, o)) return false;
  if (!codes8(xg, (int64_t)cg->cpg * cg->H * cg->W)) return false;
  *K4p = K4;
  if (p->w8 && p->acc0) {
    *w8 = p->w8 + (int64_t)o0 * K4;
    *acc0 = p->acc0 + o0;
    return true;
  }
  if (opg > GI_OPG || (int64_t)opg * K4 > GI_W8) return false;
  if (pack8(p, o0, opg, K, K4, buf8, buf0)) return false;
  *w8 = buf8;
  *acc0 = buf0;
  return true;
}

/* Packs rows [0, K4) of positions [q0, q0 + GM_PB) of the band as bytes
 * x + 128, four rows per lane (rows past K read zeros: any value, their
 * weights are 0). */
FX_TARGET_AVX512 static void gi_pack(uint8_t *panel, const gm_ctx *x, int K, int K4, int q0) {
  static const int16_t zeros[GM_PB];
  const __m512i off = _mm512_set1_epi16(128);
  for (int k = 0; k < K4; k += 4) {
    __m512i v[4];
    for (int h = 0; h < 4; h++) {
      const int16_t *r = k + h < K ? x->band + x->roff[k + h] + q0 : zeros;
      v[h] = _mm512_add_epi16(_mm512_loadu_si512((const void *)r), off);
    }
    /* 16-bit lanes (row k, row k+1) and (row k+2, row k+3) as byte pairs */
    __m512i ab = _mm512_or_si512(v[0], _mm512_slli_epi16(v[1], 8));
    __m512i cd = _mm512_or_si512(v[2], _mm512_slli_epi16(v[3], 8));
    zip16_512(panel + (int64_t)k * GM_PB, ab, cd);
  }
}

/* nt channels o.. x GM_PB positions over the whole K4 with vpdpbusd; the
 * codes go to res[t][0, GM_PB). */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
gi_tile_512(int nt, int16_t *res, const gm_ctx *x, const void *pv, int o) {
  const uint8_t *panel = pv;
  __m512i a[8][2];
  for (int t = 0; t < nt; t++) a[t][0] = a[t][1] = _mm512_set1_epi32(x->acc0[o + t - x->o0i]);
  const uint8_t *xp = panel;
  const int8_t *wb = x->w8 + (int64_t)(o - x->o0i) * x->K4;
  for (int q = 0; q < x->K4; q += 4, xp += GM_PB * 4) {
    __m512i x0 = _mm512_loadu_si512((const void *)xp);
    __m512i x1 = _mm512_loadu_si512((const void *)(xp + 64));
    for (int t = 0; t < nt; t++) {
      int32_t wq;
      memcpy(&wq, wb + (int64_t)t * x->K4 + q, sizeof wq);
      __m512i wv = _mm512_set1_epi32(wq);
      a[t][0] = _mm512_dpbusd_epi32(a[t][0], x0, wv);
      a[t][1] = _mm512_dpbusd_epi32(a[t][1], x1, wv);
    }
  }
  for (int t = 0; t < nt; t++) {
    const oq512 k = oq_make(&x->p->q, o + t);
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB), oq_apply(&k, a[t][0]));
    _mm256_storeu_si256((__m256i *)(res + t * GM_PB + 16), oq_apply(&k, a[t][1]));
  }
}
GM_FTILES(gi_tile, gi_tile_512)

#endif

#if FX_AVX2
/* gm_run with the output stage in registers (AVX-512; the whole K in one
 * panel, outq_512_ok for every channel): per block of GM_PB positions, one
 * packing (bytes for the int8 path, i8), then tiles of 8, 4, 2 and 1
 * channels whose codes go straight to the output. */
FX_TARGET_AVX512 static void gm_blocks(const gm_ctx *x, int P, int o0, bool i8) {
  static gm_ftile *const f16[4] = {gm_fused8, gm_fused4, gm_fused2, gm_fused1};
  static gm_ftile *const f8[4] = {gi_tile8, gi_tile4, gi_tile2, gi_tile1};
  static const int width[4] = {8, 4, 2, 1};
  gm_ftile *const *tile = i8 ? f8 : f16;
  const conv_geo *cg = x->cg;
  int K = cg->cpg * cg->g->kh * cg->g->kw, opg = cg->opg;
  _Alignas(64) int16_t panel[GM_KB * GM_PB]; /* int16 pairs, or K4 x GM_PB bytes */
  _Alignas(64) int16_t res[8 * GM_PB];
  for (int p0 = 0; p0 < P; p0 += GM_PB) {
    int np = P - p0 < GM_PB ? P - p0 : GM_PB;
    gp_runs runs;
    gp_plan(x, p0, np, &runs);
    if (i8)
      gi_pack((uint8_t *)panel, x, K, x->K4, p0);
    else if (x->wide)
      gw_pack_512(panel, x, 0, K, p0);
    else
      gm_pack(panel, x->xg, cg, 0, K, p0, np);
    for (int t = 0, s = 0; t < opg; t += width[s]) {
      while (t + width[s] > opg) s++;
      tile[s](res, x, panel, o0 + t);
      for (int u = 0; u < width[s]; u++) gm_place_512(x, o0 + t + u, res + u * GM_PB, &runs);
    }
  }
}
#endif

/* Output channels [o0, o0 + opg) for positions [0, P) (see gm_ctx). */
static void gm_run(const gm_ctx *x, int P, int o0) {
  gm_tile_fn *tile4 = gm_tile4, *tile1 = gm_tile1;
#if FX_AVX2
  if (use_avx512()) tile4 = gm_tile4_512, tile1 = gm_tile1_512;
  else if (use_avx2()) tile4 = gm_tile4_avx2, tile1 = gm_tile1_avx2;
#endif
  const rt_fx_conv_param *p = x->p;
  const conv_geo *cg = x->cg;
  const rt_conv_param *g = cg->g;
  int K = cg->cpg * g->kh * g->kw, opg = cg->opg;
#if FX_AVX2
  if (x->w8) {
    gm_blocks(x, P, o0, true);
    return;
  }
  if (use_avx512() && K <= GM_KB) {
    bool ok = true;
    for (int o = o0; o < o0 + opg && ok; o++) ok = outq_512_ok(&p->q, o);
    if (ok) {
      gm_blocks(x, P, o0, false);
      return;
    }
  }
#endif
  _Alignas(64) int16_t panel[GM_KB * GM_PB];
  _Alignas(64) int32_t acc[GM_OB * GM_PB];
  for (int p0 = 0; p0 < P; p0 += GM_PB) {
    int np = P - p0 < GM_PB ? P - p0 : GM_PB;
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
          else gm_pack(panel, x->xg, cg, k0, k1, p0, np);
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

#if FX_AVX2
/* gather for s == 2 with AVX-512: the even codes of two vectors. */
FX_TARGET_AVX512 static int gather2_512(int16_t *d, const int16_t *x, int n) {
  const __m512i ev = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                      30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  int j = 0;
  for (; j + 32 < n; j += 32) { /* reads x[2j .. 2j + 63], all below 2(n-1) */
    __m512i a = _mm512_loadu_si512((const void *)(x + 2 * j));
    __m512i b = _mm512_loadu_si512((const void *)(x + 2 * j + 32));
    _mm512_storeu_si512((void *)(d + j), _mm512_permutex2var_epi16(a, ev, b));
  }
  return j;
}
#endif

/* d[j] = x[j*s] for j in [0, n). */
static void gather(int16_t *d, const int16_t *x, int n, int s) {
  int j = 0;
#if FX_AVX2
  if (s == 2 && use_avx512()) j = gather2_512(d, x, n);
#endif
  for (; j < n; j++) d[j] = x[(int64_t)j * s];
}

/* One group on the wide path: bands of R output rows.  With stride s the
 * band holds the s x s phases of the zero-padded input (phase (py, px),
 * row r, column j = padded (r*s + py, j*s + px)), so tap (ky, kx) of
 * output (oy, ox) is phase (ky % s, kx % s) at (oy + ky/s, ox + kx/s). */
static void gw_conv(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg,
                    int o0, int16_t *yn, int R) {
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
  if (!gi_prepare(p, cg, xg, o0, w8b, acc0b, &w8, &acc0, &K4)) w8 = NULL, acc0 = NULL;
#endif
  for (int r0 = 0; r0 < cg->OH; r0 += R) {
    int nr = cg->OH - r0 < R ? cg->OH - r0 : R, nrow = nr + (g->kh - 1) / s;
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
            gather(d + jlo, xr + (int64_t)jlo * s + off, jhi - jlo, s);
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
    gm_ctx x = {p, cg, NULL, band, plane, WQ, r0, yn, true, w8, acc0, K4, o0, roff};
    gm_run(&x, nr * WQ, o0);
  }
}

/* One group: output channels [o0, o0 + opg) of image yn from the group's
 * input planes xg. */
static void gm_conv(const rt_fx_conv_param *p, const conv_geo *cg,
                    const int16_t *xg, int o0, int16_t *yn) {
  int R = gw_rows(cg);
  if (R > 0) {
    gw_conv(p, cg, xg, o0, yn, R);
    return;
  }
  gm_ctx x = {p, cg, xg, NULL, 0, 0, 0, yn, false, NULL, NULL, 0, o0, NULL};
  gm_run(&x, cg->OH * cg->OW, o0);
}
#endif

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

/* The band geometry of a depthwise layer (room for dwp_conv_512's
 * 32-code loads included), false when the flat bands do not apply. */
static bool dwp_plan(const conv_geo *cg, dwp_geo *d) {
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

/* Depthwise channel o by flat bands (dwp_plan gave d), portable: one
 * int32 accumulator per flat output, each tap one pass over the band (a
 * unit-stride or stride-2 loop that compilers vectorize: SSE2, AVX2,
 * NEON), then outq32 over the band and the rows copied out. */
static inline __attribute__((always_inline)) void
dwf_body(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d, int o,
         const int16_t *xc, int16_t *yo) {
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
    outq32(&p->q, o, acc, out, n);
    for (int i = 0; i < R; i++)
      memcpy(yo + (int64_t)(oy0 + i) * OW, out + (int64_t)i * Wq, (size_t)OW * sizeof *yo);
  }
}

static void dwf_conv(const rt_fx_conv_param *p, const conv_geo *cg, const dwp_geo *d,
                     int o, const int16_t *xc, int16_t *yo) {
  dwf_body(p, cg, d, o, xc, yo);
}

#if FX_AVX2
FX_TARGET_AVX2 static void dwf_conv_avx2(const rt_fx_conv_param *p, const conv_geo *cg,
                                         const dwp_geo *d, int o, const int16_t *xc,
                                         int16_t *yo) {
  dwf_body(p, cg, d, o, xc, yo);
}
#endif

/* True when dw_conv handles the layer's rows. */
static bool dw_ok(const conv_geo *cg) {
  const rt_conv_param *g = cg->g;
  int64_t need = (int64_t)(cg->OW - 1) * g->sw + (int64_t)(g->kw - 1) * g->dw + 1;
  return cg->cpg == 1 && cg->OW <= DW_OW && need + g->sw <= DW_ROW;
}

static inline __attribute__((always_inline)) void
dw_body(const rt_fx_conv_param *p, const conv_geo *cg, int o,
        const int16_t *xc, int16_t *yo) {
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
    outq32(&p->q, o, acc, yo + (int64_t)oy * OW, OW);
  }
}

static void dw_conv(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                    const int16_t *xc, int16_t *yo) {
  dw_body(p, cg, o, xc, yo);
}

#if FX_AVX2
FX_TARGET_AVX2 static void dw_conv_avx2(const rt_fx_conv_param *p,
                                        const conv_geo *cg, int o,
                                        const int16_t *xc, int16_t *yo) {
  dw_body(p, cg, o, xc, yo);
}
#endif

#if FX_AVX2
/* ---- Depthwise rows with vpmaddwd (AVX2) ----
 * Stride 1 or 2, no dilation, kh <= DWM_KH, fits32.  Each input row a tap
 * row reads is copied with its zero padding (and zeros past its end) into
 * rows[ky]; taps are taken in pairs (kx, kx+1), weight pair (w0, w1) in
 * one int32 lane (w1 = 0 past kw), so one vpmaddwd of 16 consecutive row
 * codes gives 8 pair sums row[j]*w0 + row[j+1]*w1 at even j:
 *   stride 2: lane m of the load at 16v + kx is output 8v + m;
 *   stride 1: the load at 16v + kx gives the even outputs 16v + 2m, the
 *   load at 16v + kx + 1 the odd ones, interleaved before the output stage.
 * Pair sums and every partial sum are within the fits32 bound. */
#define DWM_KH DWP_KH

/* The taps of one channel's kh x kw weights wo in pairs: wp[ky][t] is
 * gm_pair of row ky at 2t (w[ky][2t+1] = 0 past kw), t < (kw + 1) / 2 <= 8. */
static void dw_pairs(const int16_t *wo, int kh, int kw, int32_t wp[][8]) {
  for (int ky = 0; ky < kh; ky++)
    for (int t = 0; t < (kw + 1) / 2 && t < 8; t++) wp[ky][t] = gm_pair(wo + ky * kw, 2 * t, kw);
}
#define DWM_ROW 4096 /* codes per row buffer */

static bool dwm_ok(const conv_geo *cg) {
  const rt_conv_param *g = cg->g;
  if (cg->cpg != 1 || g->dw != 1 || g->dh != 1 || (g->sw != 1 && g->sw != 2) ||
      g->kh > DWM_KH || g->kw > 16 || cg->OW > DW_OW)
    return false;
  int nv = g->sw == 1 ? (cg->OW + 31) / 32 : (cg->OW + 15) / 16;
  return 32 * nv + g->kw + 18 <= DWM_ROW; /* the AVX-512 loads, the longer */
}

FX_TARGET_AVX2 static void dwm_conv(const rt_fx_conv_param *p, const conv_geo *cg,
                                    int o, const int16_t *xc, int16_t *yo) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OW = cg->OW, kh = g->kh, kw = g->kw, sw = g->sw;
  int nv = sw == 1 ? (OW + 15) / 16 : (OW + 7) / 8;
  int len = 16 * nv + kw + 18; /* every load stays below len */
  int npair = (kw + 1) / 2;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  const __m256i bias = _mm256_set1_epi32(p->bias ? (int32_t)p->bias[o] : 0);
  int32_t wp[DWM_KH][8];
  dw_pairs(wo, kh, kw, wp);
  _Alignas(32) int16_t rows[DWM_KH][DWM_ROW];
  _Alignas(32) int32_t acc[DW_OW + 32];
  int j0 = g->pw < len ? g->pw : len, j1 = g->pw + W < len ? g->pw + W : len;
  for (int oy = 0; oy < cg->OH; oy++) {
    int vky[DWM_KH], nk = 0;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * g->sh - g->ph + ky;
      if (iy < 0 || iy >= H) continue;
      int16_t *r = rows[nk];
      memset(r, 0, (size_t)len * sizeof *r);
      if (j1 > j0)
        memcpy(r + j0, xc + (int64_t)iy * W + (j0 - g->pw), (size_t)(j1 - j0) * sizeof *r);
      vky[nk++] = ky;
    }
    for (int v = 0; v < nv; v++) {
      __m256i e = bias, od = bias;
      for (int q = 0; q < nk; q++) {
        const int16_t *r = rows[q] + 16 * v;
        const int32_t *w = wp[vky[q]];
        for (int t = 0; t < npair; t++) {
          __m256i wv = _mm256_set1_epi32(w[t]);
          e = _mm256_add_epi32(e, _mm256_madd_epi16(
                                      _mm256_loadu_si256((const __m256i *)(r + 2 * t)), wv));
          if (sw == 1)
            od = _mm256_add_epi32(od, _mm256_madd_epi16(
                                          _mm256_loadu_si256((const __m256i *)(r + 2 * t + 1)), wv));
        }
      }
      if (sw == 2) {
        _mm256_store_si256((__m256i *)(acc + 8 * v), e);
      } else {
        __m256i lo = _mm256_unpacklo_epi32(e, od), hi = _mm256_unpackhi_epi32(e, od);
        _mm256_store_si256((__m256i *)(acc + 16 * v), _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_store_si256((__m256i *)(acc + 16 * v + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
      }
    }
    outq32(&p->q, o, acc, yo + (int64_t)oy * OW, OW);
  }
}
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
dwm_body_512(int NP, const rt_fx_conv_param *p, const conv_geo *cg, int o,
             const int16_t *xc, int16_t *yo) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OW = cg->OW, kh = g->kh, kw = g->kw, sw = g->sw;
  int nv = sw == 1 ? (OW + 31) / 32 : (OW + 15) / 16;
  int len = 32 * nv + kw + 18; /* every load stays below len */
  int npair = NP > 0 ? NP : (kw + 1) / 2;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  const __m512i bias = _mm512_set1_epi32(p->bias ? (int32_t)p->bias[o] : 0);
  bool regs = outq_512_ok(&p->q, o); /* output stage from registers */
  const oq512 oq = oq_make(&p->q, o);
  int32_t wp[DWM_KH][8];
  dw_pairs(wo, kh, kw, wp);
  /* padded input rows in a ring: row iy in slot iy % nb (nb = kh + sh
   * slots, so the rows of one output row never evict each other) */
  _Alignas(64) int16_t rows[DWM_KH + 2][DWM_ROW];
  int tag[DWM_KH + 2], nb = kh + g->sh;
  for (int k = 0; k < nb; k++) tag[k] = -1;
  _Alignas(64) int32_t acc[DW_OW + 64];
  int j0 = g->pw < len ? g->pw : len, j1 = g->pw + W < len ? g->pw + W : len;
  for (int oy = 0; oy < cg->OH; oy++) {
    const int16_t *rp[DWM_KH];
    int vky[DWM_KH], nk = 0;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * g->sh - g->ph + ky;
      if (iy < 0 || iy >= H) continue;
      int16_t *r = rows[iy % nb];
      if (tag[iy % nb] != iy) {
        tag[iy % nb] = iy;
        memset(r, 0, (size_t)j0 * sizeof *r);
        if (j1 > j0)
          memcpy(r + j0, xc + (int64_t)iy * W + (j0 - g->pw), (size_t)(j1 - j0) * sizeof *r);
        memset(r + (j1 > j0 ? j1 : j0), 0, (size_t)(len - (j1 > j0 ? j1 : j0)) * sizeof *r);
      }
      rp[nk] = r;
      vky[nk++] = ky;
    }
    int16_t *yr = yo + (int64_t)oy * OW;
    for (int v = 0; v < nv; v++) {
      __m512i e = bias, od = bias;
      for (int q = 0; q < nk; q++) {
        const int16_t *r = rp[q] + 32 * v;
        const int32_t *w = wp[vky[q]];
        for (int t = 0; t < npair; t++) {
          __m512i wv = _mm512_set1_epi32(w[t]);
          e = _mm512_dpwssd_epi32(e, _mm512_loadu_si512((const void *)(r + 2 * t)), wv);
          if (sw == 1)
            od = _mm512_dpwssd_epi32(od, _mm512_loadu_si512((const void *)(r + 2 * t + 1)), wv);
        }
      }
      __m512i a0 = e, a1 = od;
      int at = 16 * v, na = 1; /* a0 (and a1) hold outputs at, at + 16 */
      if (sw == 1) { /* lanes e0 o0 e1 o1 ...: two-source permutes */
        const __m512i i0 = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        const __m512i i1 = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
        a0 = _mm512_permutex2var_epi32(e, i0, od);
        a1 = _mm512_permutex2var_epi32(e, i1, od);
        at = 32 * v, na = 2;
      }
      for (int h = 0; h < na; h++) {
        __m512i av = h ? a1 : a0;
        int base = at + 16 * h;
        if (!regs) {
          _mm512_store_si512((void *)(acc + base), av);
        } else if (base + 16 <= OW) {
          _mm256_storeu_si256((__m256i *)(yr + base), oq_apply(&oq, av));
        } else if (base < OW) {
          int16_t t16[16];
          _mm256_storeu_si256((__m256i *)t16, oq_apply(&oq, av));
          memcpy(yr + base, t16, (size_t)(OW - base) * sizeof *t16);
        }
      }
    }
    if (!regs) outq32(&p->q, o, acc, yr, OW);
  }
}

/* dwm_conv with AVX-512 VNNI (32 codes per load; kw 3 and 5 unrolled). */
FX_TARGET_AVX512 static void dwm_conv_512(const rt_fx_conv_param *p, const conv_geo *cg,
                                          int o, const int16_t *xc, int16_t *yo) {
  switch (cg->g->kw) {
  case 3: dwm_body_512(2, p, cg, o, xc, yo); break;
  case 5: dwm_body_512(3, p, cg, o, xc, yo); break;
  default: dwm_body_512(0, p, cg, o, xc, yo); break;
  }
}

/* y[0..n) = x[0..n) for int16 codes, inline (the rows here are short:
 * a libc call per row costs more than the copy). */
FX_TARGET_AVX512 static inline void cpy16_512(int16_t *y, const int16_t *x, int n) {
  int j = 0;
  for (; j + 32 <= n; j += 32)
    _mm512_storeu_si512((void *)(y + j), _mm512_loadu_si512((const void *)(x + j)));
  if (j < n) {
    __mmask32 m = (__mmask32)((UINT64_C(1) << (n - j)) - 1);
    _mm512_mask_storeu_epi16(y + j, m, _mm512_maskz_loadu_epi16(m, x + j));
  }
}

/* Flat bands with AVX-512 (see dwp_plan): taps in pairs as in
 * dwm_conv_512 (stride 1: even and odd outputs from loads one code apart;
 * stride 2: one load gives 16 outputs), the output stage in registers. */
FX_TARGET_AVX512 static inline __attribute__((always_inline)) void
dwp_body_512(int KH, int NP, int S, const rt_fx_conv_param *p, const conv_geo *cg,
             const dwp_geo *d, int o, const int16_t *xc, int16_t *yo) {
  const rt_conv_param *g = cg->g;
  int H = cg->H, W = cg->W, OH = cg->OH, OW = cg->OW, kw = g->kw;
  int kh = KH > 0 ? KH : g->kh, npair = NP > 0 ? NP : (kw + 1) / 2, s = S;
  int Wp = d->Wp, Wq = d->Wq, plen = d->plen;
  const int16_t *wo = p->w + (int64_t)o * kh * kw;
  const __m512i bias = _mm512_set1_epi32(p->bias ? (int32_t)p->bias[o] : 0);
  const oq512 oq = oq_make(&p->q, o);
  int32_t wp[DWM_KH][8];
  dw_pairs(wo, kh, kw, wp);
  _Alignas(64) int16_t pl[DWP_IN];
  _Alignas(64) int16_t out[DWP_OUT + 32];
  /* copy columns [0, nc) of an input row to padded columns pw.. */
  int nc = W < Wp - g->pw ? W : Wp - g->pw;
  if (nc < 0) nc = 0;
  int c0 = g->pw < Wp ? g->pw : Wp;
  for (int oy0 = 0; oy0 < OH; oy0 += d->R) {
    int R = OH - oy0 < d->R ? OH - oy0 : d->R;
    int64_t n = (int64_t)R * Wq;
    int nv = (int)(s == 1 ? (n + 31) / 32 : (n + 15) / 16);
    for (int j = 0; j < s * plen; j += 32) /* plen is a multiple of 32 */
      _mm512_store_si512((void *)(pl + j), _mm512_setzero_si512());
    for (int f = 0; f < s && nc > 0; f++) {
      int rows = ((R - 1) * s + kh - f + s - 1) / s; /* rows of plane f read */
      for (int r = 0; r < rows; r++) {
        int iy = (oy0 + r) * s + f - g->ph;
        if (iy >= 0 && iy < H)
          cpy16_512(pl + (int64_t)f * plen + (int64_t)r * Wp + c0, xc + (int64_t)iy * W, nc);
      }
    }
    for (int v = 0; v < nv; v++) {
      __m512i e = bias, od = bias;
      for (int ky = 0; ky < kh; ky++) {
        const int16_t *r = pl + (int64_t)(ky % s) * plen + (ky / s) * Wp + 32 * v;
        for (int t = 0; t < npair; t++) {
          __m512i wv = _mm512_set1_epi32(wp[ky][t]);
          e = _mm512_dpwssd_epi32(e, _mm512_loadu_si512((const void *)(r + 2 * t)), wv);
          if (s == 1)
            od = _mm512_dpwssd_epi32(od, _mm512_loadu_si512((const void *)(r + 2 * t + 1)), wv);
        }
      }
      if (s == 1) { /* lanes e0 o0 e1 o1 ... */
        const __m512i i0 = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        const __m512i i1 = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
        _mm256_store_si256((__m256i *)(out + 32 * v),
                           oq_apply(&oq, _mm512_permutex2var_epi32(e, i0, od)));
        _mm256_store_si256((__m256i *)(out + 32 * v + 16),
                           oq_apply(&oq, _mm512_permutex2var_epi32(e, i1, od)));
      } else {
        _mm256_store_si256((__m256i *)(out + 16 * v), oq_apply(&oq, e));
      }
    }
    for (int i = 0; i < R; i++) cpy16_512(yo + (int64_t)(oy0 + i) * OW, out + (int64_t)i * Wq, OW);
  }
}

/* Depthwise channel o by flat bands (dwp_plan gave d). */
FX_TARGET_AVX512 static void dwp_conv_512(const rt_fx_conv_param *p, const conv_geo *cg,
                                          const dwp_geo *d, int o, const int16_t *xc,
                                          int16_t *yo) {
  int k3 = cg->g->kh == 3 && cg->g->kw == 3;
  if (k3 && d->s == 1) dwp_body_512(3, 2, 1, p, cg, d, o, xc, yo);
  else if (k3) dwp_body_512(3, 2, 2, p, cg, d, o, xc, yo);
  else if (d->s == 1) dwp_body_512(0, 0, 1, p, cg, d, o, xc, yo);
  else dwp_body_512(0, 0, 2, p, cg, d, o, xc, yo);
}
#endif

/* Convolution: b[0] N x C x H x W -> t[0] N x O x OH x OW.  Padding reads
 * code 0. */
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
  bool flat = dwp_plan(&cg, &dg);
  fx_blk blk;
  for (int n = 0; n < N; n++) {
    const int16_t *xn = b->d + (int64_t)n * C * hw;
    int64_t xmax = -1;
#if defined(__SSE2__)
    if (opg >= 4 && ohw > 0) {
      bool all32 = true;
      for (int o = 0; o < O && all32; o++)
        all32 = conv_fits32(p, o, ksz, xn, (int64_t)C * hw, &xmax);
      if (all32) {
        for (int gi = 0; gi < G; gi++)
          gm_conv(p, &cg, b->d + ((int64_t)n * C + (int64_t)gi * cpg) * hw, gi * opg,
                  t->d + (int64_t)n * O * ohw);
        continue;
      }
    }
#endif
    for (int o = 0; o < O; o++) {
      const int16_t *xg =
          b->d + ((int64_t)n * C + (int64_t)(o / opg) * cpg) * hw;
      int16_t *yo = t->d + ((int64_t)n * O + o) * ohw;
      bool wide = !conv_fits32(p, o, ksz, xn, (int64_t)C * hw, &xmax);
      if (!wide && OW > 0 && dw_ok(&cg)) {
#if FX_AVX2
        if (flat && use_avx512() && outq_512_ok(&p->q, o)) {
          dwp_conv_512(p, &cg, &dg, o, xg, yo);
          continue;
        }
        /* AVX2: the tap pairs of dwm_conv win on long rows (OW 80 and
         * 160 measured), the flat bands on shorter ones (OW 40 and less) */
        if (flat && use_avx2() && (OW < 64 || !dwm_ok(&cg))) {
          dwf_conv_avx2(p, &cg, &dg, o, xg, yo);
          continue;
        }
        if (use_avx512() && dwm_ok(&cg)) {
          dwm_conv_512(p, &cg, o, xg, yo);
          continue;
        }
        if (use_avx2() && dwm_ok(&cg)) {
          dwm_conv(p, &cg, o, xg, yo);
          continue;
        }
        if (use_avx2()) {
          dw_conv_avx2(p, &cg, o, xg, yo);
          continue;
        }
#endif
        if (flat) {
          dwf_conv(p, &cg, &dg, o, xg, yo);
          continue;
        }
        dw_conv(p, &cg, o, xg, yo);
        continue;
      }
      int rows = OW > 0 ? (wide ? FX_BLK / 2 : FX_BLK) / OW : 0;
      if (rows < 1) {
        conv_px(p, &cg, o, xg, yo);
        continue;
      }
      for (int r0 = 0; r0 < OH; r0 += rows) {
        int r1 = OH - r0 < rows ? OH : r0 + rows;
        conv_rows(p, &cg, o, xg, &blk, wide, r0, r1);
        blk_out(&blk, wide, &p->q, o, yo + (int64_t)r0 * OW,
                (int64_t)(r1 - r0) * OW);
      }
    }
  }
}

/* rt_fx_conv_pack8 for channels [o0, o0 + n) into w8[0..], acc0[0..]
 * (K codes per channel, K4 bytes per row); -1 when a code needs more
 * than 8 bits. */
static int pack8(const rt_fx_conv_param *p, int o0, int n, int64_t K, int64_t K4,
                 int8_t *w8, int32_t *acc0) {
  for (int o = 0; o < n; o++) {
    const int16_t *w = p->w + (int64_t)(o0 + o) * K;
    uint32_t sum = 0;
    for (int64_t k = 0; k < K4; k++) {
      int v = k < K ? w[k] : 0;
      if (v < -128 || v > 127) return -1;
      w8[(int64_t)o * K4 + k] = (int8_t)v;
      sum += (uint32_t)v;
    }
    /* modulo 2^32 (well defined through uint64_t) */
    uint32_t b = p->bias ? (uint32_t)(uint64_t)p->bias[o0 + o] : 0;
    acc0[o] = (int32_t)(b - 128u * sum);
  }
  return 0;
}

int64_t rt_fx_conv_k4(const rt_fx_conv_param *p) {
  int G = p->g.group > 0 ? p->g.group : 1;
  return ((int64_t)(p->cin / G) * p->g.kh * p->g.kw + 3) & ~(int64_t)3;
}

void rt_fx_conv_wabs(const rt_fx_conv_param *p, int64_t *wabs) {
  int G = p->g.group > 0 ? p->g.group : 1;
  int64_t K = (int64_t)(p->cin / G) * p->g.kh * p->g.kw;
  for (int o = 0; o < p->g.num_output; o++) wabs[o] = sumabs(p->w + o * K, K, 1);
}

int rt_fx_conv_pack8(const rt_fx_conv_param *p, int8_t *w8, int32_t *acc0) {
  int G = p->g.group > 0 ? p->g.group : 1;
  int64_t K = (int64_t)(p->cin / G) * p->g.kh * p->g.kw;
  return pack8(p, 0, p->g.num_output, K, rt_fx_conv_k4(p), w8, acc0);
}

/* ---- Deconvolution ---- */

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
  blk_fill(b, wide, (int64_t)(r1 - r0) * OW, p->bias ? p->bias[o] : 0);
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
        blk_mac(b, wide, at, &j);
        for (int k = 0; k < 4; k++) j.x[k] -= xoff;
      }
    }
  }
}

/* Largest |bias| + max|x| * sum|w| check for deconvolution channel o,
 * whose weights are C x O/g x kh x kw. */
static bool deconv_fits32(const rt_fx_conv_param *p, const conv_geo *cg, int o,
                          int64_t xmax) {
  int64_t khw = (int64_t)p->g.kh * p->g.kw, s = 0;
  int gi = o / cg->opg, ol = o % cg->opg;
  int64_t bias = p->bias ? p->bias[o] : 0;
  for (int icg = 0; icg < cg->cpg; icg++)
    s += sumabs(p->w + (((int64_t)gi * cg->cpg + icg) * cg->opg + ol) * khw,
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
  fx_blk blk;
  for (int n = 0; n < N; n++) {
    int64_t xmax = maxabs(b->d + (int64_t)n * C * hw, (int64_t)C * hw);
    for (int o = 0; o < O; o++) {
      const int16_t *xg =
          b->d + ((int64_t)n * C + (int64_t)(o / opg) * cpg) * hw;
      int16_t *yo = t->d + ((int64_t)n * O + o) * ohw;
      bool wide = !deconv_fits32(p, &cg, o, xmax);
      int rows = OW > 0 ? (wide ? FX_BLK / 2 : FX_BLK) / OW : 0;
      if (rows < 1) {
        deconv_px(p, &cg, o, xg, yo);
        continue;
      }
      for (int r0 = 0; r0 < OH; r0 += rows) {
        int r1 = OH - r0 < rows ? OH : r0 + rows;
        deconv_rows(p, &cg, o, xg, &blk, wide, r0, r1);
        blk_out(&blk, wide, &p->q, o, yo + (int64_t)r0 * OW,
                (int64_t)(r1 - r0) * OW);
      }
    }
  }
}

/* ---- InnerProduct ---- */

/* bias + sum_k x[k] * w[k]; int32 partial sums when !wide. */
static int64_t dot(const int16_t *x, const int16_t *w, int64_t K, int64_t bias,
                   bool wide) {
  if (wide) {
    int64_t acc = bias;
    for (int64_t k = 0; k < K; k++) acc += (int32_t)x[k] * w[k];
    return acc;
  }
  int32_t acc = (int32_t)bias;
  int64_t k = 0;
#if defined(__SSE2__)
  __m128i s = _mm_setzero_si128();
  for (; k + 8 <= K; k += 8)
    s = _mm_add_epi32(s, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(x + k)),
                                        _mm_loadu_si128((const __m128i *)(w + k))));
  int32_t l[4];
  memcpy(l, &s, sizeof l);
  acc += (l[0] + l[1]) + (l[2] + l[3]);
#endif
  for (; k < K; k++) acc += (int32_t)x[k] * w[k];
  return acc;
}

/* InnerProduct: b[0] read as M x K (K = count from axis) -> t[0] M x N. */
void rt_fx_ip(const void *param, const rt_fx_args *a) {
  const rt_fx_ip_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  int64_t K = p->K, Nn = p->g.num_output;
  int64_t Mo = K ? rt_shape_count(&b->s) / K : 0;
  int64_t xmax = maxabs(b->d, Mo * K);
  fx_blk blk;
  for (int64_t m = 0; m < Mo; m++) {
    const int16_t *x = b->d + m * K;
    int16_t *y = a->t[0].d + m * Nn;
    if (!p->g.transpose) {
      for (int64_t o = 0; o < Nn; o++) {
        int64_t bias = p->bias ? p->bias[o] : 0;
        bool wide = !fits32(xmax, p->w + o * K, K, 1, bias);
        y[o] = outq1(&p->q, (int)o, dot(x, p->w + o * K, K, bias, wide));
      }
      continue;
    }
    /* transposed (K x N): blocks of outputs, acc[o] += x[k] * w[k][o] */
    for (int64_t o0 = 0; o0 < Nn; o0 += FX_BLK / 2) {
      int n = Nn - o0 < FX_BLK / 2 ? (int)(Nn - o0) : FX_BLK / 2;
      bool wide = false;
      for (int i = 0; i < n && !wide; i++)
        wide = !fits32(xmax, p->w + o0 + i, K, Nn,
                       p->bias ? p->bias[o0 + i] : 0);
      for (int i = 0; i < n; i++) {
        int64_t v = p->bias ? p->bias[o0 + i] : 0;
        if (wide)
          blk.a64[i] = v;
        else
          blk.a32[i] = (int32_t)v;
      }
      for (int64_t k = 0; k < K; k += 4) {
        mac_job j;
        j.nc = K - k < 4 ? (int)(K - k) : 4;
        j.nr = 1, j.n = n, j.s = 1, j.so = 1, j.os = 0, j.xs = 0;
        bool any = false;
        for (int c = 0; c < 4; c++) {
          int64_t kk = c < j.nc ? k + c : k;
          j.x[c] = p->w + kk * Nn + o0;
          j.w[c] = c < j.nc ? x[kk] : 0;
          any |= j.w[c] != 0;
        }
        if (any) blk_mac(&blk, wide, 0, &j);
      }
      for (int i = 0; i < n; i++) {
        int c = (int)(o0 + i);
        if (wide)
          y[c] = outq1(&p->q, c, blk.a64[i]);
        else
          outq32(&p->q, c, &blk.a32[i], &y[c], 1);
      }
    }
  }
}
