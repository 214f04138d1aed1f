/* rt_fx_mac.c - the accumulator blocks of the row-span kernels (conv_rows,
 * deconv_rows, transposed InnerProduct): multiply-accumulate of up to four
 * input rows at once in int32 (SSE2 pmaddwd pairs where available) or
 * int64, and the int8 copy of a Convolution's weights (fx_pack8). */
#include <string.h>

#include "rt_fx_mac.h"

/* mac_job into int32 accumulators (the caller proved they cannot wrap). */
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

void fx_blk_fill(fx_blk *b, bool wide, int64_t n, int64_t v) {
  if (wide)
    for (int64_t i = 0; i < n; i++) b->a64[i] = v;
  else
    for (int64_t i = 0; i < n; i++) b->a32[i] = (int32_t)v;
}

void fx_blk_mac(fx_blk *b, bool wide, int64_t at, const mac_job *j) {
  if (wide)
    mac64(b->a64 + at, j);
  else
    mac32(b->a32 + at, j);
}

void fx_blk_out(int lvl, const fx_blk *b, bool wide, const rt_fx_outq *q, int c,
                int16_t *y, int64_t n) {
  if (wide)
    fx_outq64(q, c, b->a64, y, n);
  else
    fx_outq32(lvl, q, c, b->a32, y, n);
}

/* The int8 copy of a Convolution's weights (see rt_fx_mac.h). */
int fx_pack8(const rt_fx_conv_param *p, int o0, int n, int64_t K, int64_t K4, int8_t *w8,
             int32_t *acc0) {
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
