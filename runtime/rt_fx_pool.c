/* rt_fx_pool.c - fixed-point Pooling (MAX / AVE) of the contract in
 * rt_fixed.h and docs/fixed-point.md.
 *
 * Every path first writes the pooled value v of each window (the window
 * max, or RHA(sum / n)) into the output - |v| <= 2^15, so it is a code -
 * and then requantizes the whole output in place with rt_fx_relu, whose
 * two halves are given the same (M, sh): clamp(RHA(v * M * 2^-sh)), the
 * plain clamp for the identity.  The row paths work on one output row at
 * a time: the vertical max / sum of the window's input rows (clipped to
 * the image) into a padded row buffer, then the horizontal window of every
 * output over that buffer; the loops are plain integer loops the compiler
 * vectorizes (and compiles again for AVX2). */
#include <string.h>

#include "rt_fx_int.h"

/* Row buffer length (elements) of the row paths; wider planes take the
 * general loop. */
#define POOL_BUF 2048

/* The row bodies are inlined into a plain and an AVX2 copy. */
#if defined(__GNUC__)
#define POOL_INLINE static inline __attribute__((always_inline))
#else
#define POOL_INLINE static inline
#endif

/* Pooling geometry of one plane, with the window rules resolved. */
typedef struct pgeom {
  int H, W, OH, OW, kh, kw, sh, sw, ph, pw;
  int oxa, oxb; /* outputs whose clipped window has columns: [oxa, oxb) */
} pgeom;

/* RHA(s / n) for n > 0: exact integer division, ties away from zero. */
static inline int64_t rdiv(int64_t s, int64_t n) {
  return s >= 0 ? (s + n / 2) / n : -((-s + n / 2) / n);
}

/* The reference loop: v of every window of one plane into y. */
static void pool_plane_ref(const pgeom *g, bool ave, const int16_t *x,
                           int16_t *y) {
  int H = g->H, W = g->W;
  for (int oy = 0; oy < g->OH; oy++)
    for (int ox = 0; ox < g->OW; ox++) {
      int y0 = oy * g->sh - g->ph, x0 = ox * g->sw - g->pw;
      int y1 = y0 + g->kh, x1 = x0 + g->kw;
      int64_t v;
      if (ave) {
        if (y1 > H + g->ph) y1 = H + g->ph;
        if (x1 > W + g->pw) x1 = W + g->pw;
        int64_t cnt = (int64_t)(y1 - y0) * (x1 - x0);
        if (y0 < 0) y0 = 0;
        if (x0 < 0) x0 = 0;
        if (y1 > H) y1 = H;
        if (x1 > W) x1 = W;
        int64_t s = 0;
        for (int iy = y0; iy < y1; iy++)
          for (int ix = x0; ix < x1; ix++) s += x[(int64_t)iy * W + ix];
        v = cnt > 0 ? rdiv(s, cnt) : 0;
      } else {
        if (y0 < 0) y0 = 0;
        if (x0 < 0) x0 = 0;
        if (y1 > H) y1 = H;
        if (x1 > W) x1 = W;
        int32_t m = INT16_MIN;
        for (int iy = y0; iy < y1; iy++)
          for (int ix = x0; ix < x1; ix++)
            if (x[(int64_t)iy * W + ix] > m) m = x[(int64_t)iy * W + ix];
        v = y0 < y1 && x0 < x1 ? m : 0;
      }
      y[(int64_t)oy * g->OW + ox] = (int16_t)v; /* |v| <= 2^15 */
    }
}

/* The stride-2 samples of a row: y[i] = s[2i] for i < n (s holds 2n). */
POOL_INLINE void evens(const int16_t *s, int16_t *y, int n) {
  int i = 0;
#if defined(__SSE2__)
  for (; i + 8 <= n; i += 8) {
    __m128i a = _mm_loadu_si128((const __m128i *)(s + 2 * i));
    __m128i b = _mm_loadu_si128((const __m128i *)(s + 2 * i + 8));
    a = _mm_srai_epi32(_mm_slli_epi32(a, 16), 16);
    b = _mm_srai_epi32(_mm_slli_epi32(b, 16), 16);
    _mm_storeu_si128((__m128i *)(y + i), _mm_packs_epi32(a, b));
  }
#endif
  for (; i < n; i++) y[i] = s[2 * i];
}

/* MAX over one plane by rows.  pv is the padded row: pv[pw + j] holds the
 * vertical max of input column j, the rest INT16_MIN (a padded position
 * never wins over a column of the clipped window, which has one).  hs[j]
 * is the max of pv[j .. j + kw - 1]; output ox takes hs[ox * sw]. */
POOL_INLINE void max_plane_body(const pgeom *g, const int16_t *restrict x,
                                int16_t *restrict y) {
  int16_t pv[POOL_BUF], hs[POOL_BUF];
  int W = g->W, OW = g->OW, kw = g->kw, sw = g->sw;
  int nh = OW * sw, np = nh + kw - 1; /* hs and pv positions used */
  int16_t *restrict m = pv + g->pw;
  for (int j = 0; j < np; j++) pv[j] = INT16_MIN;
  for (int oy = 0; oy < g->OH; oy++) {
    int y0 = oy * g->sh - g->ph, y1 = y0 + g->kh;
    if (y0 < 0) y0 = 0;
    if (y1 > g->H) y1 = g->H;
    int16_t *yr = y + (int64_t)oy * OW;
    if (y0 >= y1) { /* no rows: every window is empty */
      memset(yr, 0, (size_t)OW * sizeof *yr);
      continue;
    }
    const int16_t *restrict r = x + (int64_t)y0 * W;
    for (int j = 0; j < W; j++) m[j] = r[j];
    for (int iy = y0 + 1; iy < y1; iy++) {
      r = x + (int64_t)iy * W;
      for (int j = 0; j < W; j++) m[j] = r[j] > m[j] ? r[j] : m[j];
    }
    for (int j = 0; j < nh; j++) hs[j] = pv[j];
    for (int k = 1; k < kw; k++)
      for (int j = 0; j < nh; j++) hs[j] = pv[j + k] > hs[j] ? pv[j + k] : hs[j];
    if (sw == 1)
      memcpy(yr, hs, (size_t)OW * sizeof *yr);
    else if (sw == 2)
      evens(hs, yr, OW);
    else
      for (int ox = 0; ox < OW; ox++) yr[ox] = hs[ox * sw];
    for (int ox = 0; ox < g->oxa; ox++) yr[ox] = 0;
    for (int ox = g->oxb; ox < OW; ox++) yr[ox] = 0;
  }
}

/* AVE over one plane by rows, with int32 sums (kh * kw <= 65535 keeps every
 * sum and sum + n / 2 below 2^31): ps[pw + j] is the sum of input column j
 * over the clipped rows, zero elsewhere; hs[j] the sum of ps[j .. j+kw-1].
 * The divisor n is Caffe's padded count, rows (ch) times columns (cw[ox]).
 * RHA(s / n) = sign(s) floor(a / n) with a = |s| + n / 2, and for a < 2^31,
 * n < 2^22 the quotient in double is exact enough: a / n is an integer
 * (exact) or at least 1/n below the next one, far above its rounding error
 * a / n 2^-53 < 2^-22; truncation gives floor(a / n). */
POOL_INLINE void ave_plane_body(const pgeom *g, const int16_t *restrict x,
                                int16_t *restrict y) {
  int32_t ps[POOL_BUF], hs[POOL_BUF], cw[POOL_BUF];
  int H = g->H, W = g->W, OW = g->OW, kw = g->kw, sw = g->sw, pw = g->pw;
  int nh = OW * sw, np = nh + kw - 1;
  int32_t *restrict m = ps + pw;
  for (int j = 0; j < np; j++) ps[j] = 0;
  for (int ox = 0; ox < OW; ox++) { /* -POOL_BUF < cw <= kw */
    int x0 = ox * sw - pw, x1 = x0 + kw;
    cw[ox] = (x1 < W + pw ? x1 : W + pw) - x0;
  }
  for (int oy = 0; oy < g->OH; oy++) {
    int y0 = oy * g->sh - g->ph, y1 = y0 + g->kh;
    int32_t ch = (y1 < H + g->ph ? y1 : H + g->ph) - y0;
    if (y0 < 0) y0 = 0;
    if (y1 > H) y1 = H;
    int16_t *yr = y + (int64_t)oy * OW;
    if (y0 >= y1) { /* no rows: every sum is 0 */
      memset(yr, 0, (size_t)OW * sizeof *yr);
      continue;
    }
    /* 1 <= ch <= kh */
    const int16_t *restrict r = x + (int64_t)y0 * W;
    for (int j = 0; j < W; j++) m[j] = r[j];
    for (int iy = y0 + 1; iy < y1; iy++) {
      r = x + (int64_t)iy * W;
      for (int j = 0; j < W; j++) m[j] += r[j];
    }
    for (int j = 0; j < nh; j++) hs[j] = ps[j];
    for (int k = 1; k < kw; k++)
      for (int j = 0; j < nh; j++) hs[j] += ps[j + k];
    if (sw > 1)
      for (int ox = 0; ox < OW; ox++) hs[ox] = hs[ox * sw];
    /* cw <= 0 (n <= 0) only when the window has no columns: s == 0 */
    for (int ox = 0; ox < OW; ox++) {
      int32_t s = hs[ox], n = ch * cw[ox];
      n = n > 0 ? n : 1;
      int32_t a = (s < 0 ? -s : s) + n / 2;
      int32_t q = (int32_t)((double)a / (double)n);
      yr[ox] = (int16_t)(s < 0 ? -q : q);
    }
  }
}

static void max_plane(const pgeom *g, const int16_t *x, int16_t *y) {
  max_plane_body(g, x, y);
}

static void ave_plane(const pgeom *g, const int16_t *x, int16_t *y) {
  ave_plane_body(g, x, y);
}

#if FX_AVX2
FX_TARGET_AVX2 static void max_plane_avx2(const pgeom *g, const int16_t *x,
                                          int16_t *y) {
  max_plane_body(g, x, y);
}

FX_TARGET_AVX2 static void ave_plane_avx2(const pgeom *g, const int16_t *x,
                                          int16_t *y) {
  ave_plane_body(g, x, y);
}
#endif

/* 1 when the row paths take this geometry: sane windows, the padded row
 * within POOL_BUF, and (AVE) int32 window sums. */
#if FX_AVX2
/* MAX 2x2, stride 2, no padding, with AVX-512: per output row the
 * vertical max of the two input rows (one when the last row is alone),
 * 32 columns at a time (missing columns read INT16_MIN, so a clipped
 * window keeps its one column), then the max of each even/odd pair. */
FX_TARGET_AVX512 static void max2_plane_512(const pgeom *g, const int16_t *x, int16_t *y) {
  const __m512i ev = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                      30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i od = _mm512_add_epi16(ev, _mm512_set1_epi16(1));
  const __m512i lo = _mm512_set1_epi16(INT16_MIN);
  int W = g->W, OW = g->OW;
  for (int oy = 0; oy < g->OH; oy++) {
    const int16_t *r0 = x + (int64_t)2 * oy * W;
    bool two = 2 * oy + 1 < g->H;
    int16_t *yr = y + (int64_t)oy * OW;
    for (int c0 = 0, o0 = 0; o0 < OW; c0 += 64, o0 += 32) {
      __m512i v[2];
      for (int h = 0; h < 2; h++) { /* columns c0 + 32h .. + 31 */
        int c = c0 + 32 * h, n = W - c < 32 ? (W - c > 0 ? W - c : 0) : 32;
        __mmask32 m = n ? (__mmask32)(0xFFFFFFFFu >> (32 - n)) : 0;
        v[h] = _mm512_mask_loadu_epi16(lo, m, r0 + c);
        if (two) v[h] = _mm512_max_epi16(v[h], _mm512_mask_loadu_epi16(lo, m, r0 + W + c));
      }
      __m512i r = _mm512_max_epi16(_mm512_permutex2var_epi16(v[0], ev, v[1]),
                                   _mm512_permutex2var_epi16(v[0], od, v[1]));
      int n = OW - o0 < 32 ? OW - o0 : 32;
      _mm512_mask_storeu_epi16(yr + o0, (__mmask32)(0xFFFFFFFFu >> (32 - n)), r);
    }
  }
}
#endif

static bool rows_ok(const pgeom *g, bool ave) {
  if (g->kh < 1 || g->kw < 1 || g->sh < 1 || g->sw < 1 || g->ph < 0 ||
      g->pw < 0 || g->H < 1 || g->W < 1 || g->OH < 1 || g->OW < 1)
    return false;
  int64_t np = (int64_t)g->OW * g->sw + g->kw - 1;
  if (np > POOL_BUF || (int64_t)g->pw + g->W > POOL_BUF) return false;
  return !ave || (int64_t)g->kh * g->kw <= 65535;
}

/* Pooling (MAX / AVE) with Caffe's window rules, per N*C plane. */
void rt_fx_pool(const void *param, const rt_fx_args *a) {
  const rt_fx_pool_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1);
  pgeom g = {D4(b, 2), D4(b, 3), D4(t, 2), D4(t, 3), p->g.kh, p->g.kw,
             p->g.sh, p->g.sw, p->g.ph, p->g.pw, 0, 0};
  if (p->g.global) {
    g.kh = g.H, g.kw = g.W, g.sh = g.sw = 1, g.ph = g.pw = 0;
  }
  bool ave = p->g.method == RT_POOL_AVE, rows = rows_ok(&g, ave);
  if (rows) { /* the window of ox has columns iff x0 < W and x0 + kw > 0 */
    g.oxa = g.OW, g.oxb = 0;
    for (int ox = 0; ox < g.OW; ox++) {
      int x0 = ox * g.sw - g.pw;
      if (x0 < g.W && x0 + g.kw > 0) {
        if (g.oxa > ox) g.oxa = ox;
        g.oxb = ox + 1;
      }
    }
  }
  void (*plane)(const pgeom *, const int16_t *, int16_t *) =
      ave ? ave_plane : max_plane;
#if FX_AVX2
  if (use_avx2()) plane = ave ? ave_plane_avx2 : max_plane_avx2;
  if (use_avx512() && !ave && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 &&
      g.pw == 0 && 2 * g.OW <= g.W + 1 && 2 * g.OH <= g.H + 1 && g.W > 0 && g.H > 0)
    plane = max2_plane_512, rows = true;
#endif
  int64_t hw = (int64_t)g.H * g.W, ohw = (int64_t)g.OH * g.OW;
  for (int64_t i = 0; i < (int64_t)N * C; i++) {
    const int16_t *x = b->d + i * hw;
    int16_t *y = t->d + i * ohw;
    if (rows)
      plane(&g, x, y);
    else
      pool_plane_ref(&g, ave, x, y);
  }
  /* y = clamp(RHA(v * M * 2^-sh)) on both signs of v */
  rt_fx_relu_param rq = {p->M, p->M, p->sh, p->sh, p->qmin, p->qmax};
  rt_fx_tensor v = {rt_shape4(N, C, g.OH, g.OW), t->d};
  rt_fx_args ra = {1, 1, &v, &v};
  rt_fx_relu(&rq, &ra);
}
