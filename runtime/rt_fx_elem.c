/* rt_fx_elem.c - fixed-point element-wise kernels of the contract in
 * rt_fixed.h and docs/fixed-point.md: ReLU, per-channel affine, Eltwise,
 * Concat, Permute and the plain copy. */
#include <stdlib.h>
#include <string.h>

#include "arm/rt_fx_arm.h" /* fx_elt_sum2_neon, fx_relu_neon */
#include "rt_fx_int.h"
#include "rt_par.h"


/* How one half of a requantization clamp(RHA(x * M * 2^-sh)) of a code
 * (|x| <= 2^15) is computed: RQ_ZERO (M == 0: the constant 0), RQ_IDENT
 * (an exact multiplier of one: x), RQ_MUL (the AVX2 product path: for
 * 16 <= sh <= 62 every |RHA(x * M * 2^-sh)| < 2^31) or RQ_OTHER. */
enum { RQ_ZERO, RQ_IDENT, RQ_MUL, RQ_OTHER };

static int rq_kind(int32_t M, int sh) {
  if (M == 0) return RQ_ZERO;
  if ((sh == 0 && M == 1) || (sh >= 1 && sh <= 30 && M == INT32_C(1) << sh))
    return RQ_IDENT;
  return sh >= 16 && sh <= 62 ? RQ_MUL : RQ_OTHER;
}

/* 1 when the vector clamps give clamp(v, qmin, qmax) exactly for int16 v:
 * an ordered range of codes. */
static bool q16(int32_t qmin, int32_t qmax) {
  return qmin >= INT16_MIN && qmin <= qmax && qmax <= INT16_MAX;
}

/* y = clamp(relu ? max(x, 0) : x, qmin, qmax) for a q16 range; y may be x.
 * max(max(x, 0), qmin) is max(x, max(qmin, 0)). */
static void clamp_codes(const int16_t *x, int16_t *y, int64_t n, bool relu,
                        int32_t qmin, int32_t qmax) {
  int16_t lo = (int16_t)(relu && qmin < 0 ? 0 : qmin), hi = (int16_t)qmax;
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128i l = _mm_set1_epi16(lo), h = _mm_set1_epi16(hi);
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(x + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(x + i + 8));
    _mm_storeu_si128((__m128i *)(y + i), _mm_min_epi16(_mm_max_epi16(a, l), h));
    _mm_storeu_si128((__m128i *)(y + i + 8), _mm_min_epi16(_mm_max_epi16(b, l), h));
  }
#endif
  for (; i < n; i++) {
    int16_t v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}

#if FX_AVX2
/* RHA(a * M * 2^-sh) of 8 int32 lanes for an RQ_MUL half: M and rnd =
 * 2^(sh-1) in every 64-bit lane, s = sh (sh <= 32: the low half of the
 * logical shift) or sh - 32 (the high half shifted arithmetically). */
FX_TARGET_AVX2 static inline __m256i mulsh8(__m256i a, __m256i M, __m256i rnd,
                                            __m128i s, int sh) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i e = _mm256_mul_epi32(a, M);
  __m256i o = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), M);
  /* + 2^(sh-1) - (x < 0) */
  e = _mm256_add_epi64(_mm256_add_epi64(e, rnd), _mm256_cmpgt_epi64(zero, e));
  o = _mm256_add_epi64(_mm256_add_epi64(o, rnd), _mm256_cmpgt_epi64(zero, o));
  if (sh <= 32)
    return _mm256_blend_epi32(_mm256_srl_epi64(e, s),
                              _mm256_slli_epi64(_mm256_srl_epi64(o, s), 32), 0xAA);
  return _mm256_sra_epi32(_mm256_blend_epi32(_mm256_srli_epi64(e, 32), o, 0xAA), s);
}

/* One half (kind k, M, sh) of 8 codes a. */
FX_TARGET_AVX2 static inline __m256i half8(__m256i a, int k, __m256i M,
                                           __m256i rnd, __m128i s, int sh) {
  return k == RQ_ZERO ? _mm256_setzero_si256() : k == RQ_IDENT ? a
                                                 : mulsh8(a, M, rnd, s, sh);
}

/* rq_codes with AVX2, 16 codes at a time, for halves of kinds kp, kn other
 * than RQ_OTHER and a q16 range.  Returns how many were done. */
FX_TARGET_AVX2 static int64_t rq_codes_avx2(const rt_fx_relu_param *p, int kp,
                                            int kn, const int16_t *x,
                                            int16_t *y, int64_t n) {
  int shp = p->sh, shn = p->shn;
  bool one = kp == kn && p->M == p->Mn && shp == shn; /* no select */
  const __m256i Mp = _mm256_set1_epi64x(p->M), Mn = _mm256_set1_epi64x(p->Mn);
  const __m256i rp = _mm256_set1_epi64x(kp == RQ_MUL ? INT64_C(1) << (shp - 1) : 0);
  const __m256i rn = _mm256_set1_epi64x(kn == RQ_MUL ? INT64_C(1) << (shn - 1) : 0);
  const __m128i sp = _mm_cvtsi32_si128(shp <= 32 ? shp : shp - 32);
  const __m128i sn = _mm_cvtsi32_si128(shn <= 32 ? shn : shn - 32);
  const __m256i lo = _mm256_set1_epi32(p->qmin), hi = _mm256_set1_epi32(p->qmax);
  const __m256i zero = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i r[2];
    for (int h = 0; h < 2; h++) {
      __m256i a = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(x + i + 8 * h)));
      __m256i v = half8(a, kp, Mp, rp, sp, shp);
      if (!one)
        v = _mm256_blendv_epi8(v, half8(a, kn, Mn, rn, sn, shn),
                               _mm256_cmpgt_epi32(zero, a));
      r[h] = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
    }
    __m256i q = _mm256_permute4x64_epi64(_mm256_packs_epi32(r[0], r[1]), 0xD8);
    _mm256_storeu_si256((__m256i *)(y + i), q);
  }
  return i;
}
#endif

/* The ReLU map of n codes (y may be x): x >= 0 requantized with (M, sh),
 * x < 0 with (Mn, shn).  Also the plain requantization (M == Mn, sh ==
 * shn) of Pooling and Concat. */
static void rq_codes(const rt_fx_relu_param *p, const int16_t *x, int16_t *y,
                     int64_t n) {
  int kp = rq_kind(p->M, p->sh), kn = rq_kind(p->Mn, p->shn);
  bool q = q16(p->qmin, p->qmax);
  if (q && kp == RQ_IDENT && (kn == RQ_ZERO || kn == RQ_IDENT)) {
    clamp_codes(x, y, n, kn == RQ_ZERO, p->qmin, p->qmax);
    return;
  }
  int64_t i = 0;
#if FX_AVX2
  if (q && kp != RQ_OTHER && kn != RQ_OTHER && n >= 16 && use_avx2())
    i = rq_codes_avx2(p, kp, kn, x, y, n);
#elif FX_NEON
  i = fx_relu_neon(x, y, n, p->M, p->sh, p->Mn, p->shn, p->qmin, p->qmax);
#endif
  for (; i < n; i++)
    y[i] = (int16_t)(x[i] >= 0 ? rq16(x[i], p->M, p->sh, p->qmin, p->qmax)
                               : rq16(x[i], p->Mn, p->shn, p->qmin, p->qmax));
}

/* rq_codes over a span of elements (rt_par_elems: the spans of a split
 * give the same codes as one call). */
typedef struct rq_job {
  const rt_fx_relu_param *p;
  const int16_t *x;
  int16_t *y;
} rq_job;

static void rq_span(void *ctx, int64_t e0, int64_t e1) {
  const rq_job *j = ctx;
  rq_codes(j->p, j->x + e0, j->y + e0, e1 - e0);
}

/* Splits an element-wise kernel over s by spans of the flat tensor
 * (rt_par_elems): one boundary between two threads' parts, where a cut by
 * rows of each plane has one per plane, and each costs time
 * (docs/performance.md, "Where the two threads' parts meet"). */
static void par_shape(const rt_shape *s, rt_par_span_fn *fn, void *ctx) {
  rt_par_elems(rt_shape_count(s), fn, ctx);
}

void rt_fx_relu(const void *param, const rt_fx_args *a) {
  rq_job j = {param, a->b[0].d, a->t[0].d};
  par_shape(&a->b[0].s, rq_span, &j);
}

/* rt_fx_requant_codes over n elements, or, with rows > 0, over nplane
 * planes of rows x width split by rows (rt_par_rows). */
static void requant(const int16_t *x, int16_t *y, int64_t n, int64_t nplane, int64_t rows,
                    int64_t width, int32_t M, int sh, int32_t qmin, int32_t qmax) {
  /* a ReLU with the same multiplier on both signs */
  const rt_fx_relu_param p = {.M = M, .Mn = M, .sh = (int8_t)sh, .shn = (int8_t)sh,
                              .qmin = qmin, .qmax = qmax};
  if (sh < 0 || sh > 62) { /* outside rt_fx_relu_param's shift range */
    for (int64_t i = 0; i < n; i++) y[i] = (int16_t)rq16(x[i], M, sh, qmin, qmax);
    return;
  }
  rq_job j = {&p, x, y};
  if (rows > 0) rt_par_rows(nplane, rows, width, rq_span, &j);
  else rt_par_elems(n, rq_span, &j);
}

void rt_fx_requant_codes(const int16_t *x, int16_t *y, int64_t n, int32_t M,
                         int sh, int32_t qmin, int32_t qmax) {
  requant(x, y, n, 1, 0, 0, M, sh, qmin, qmax);
}

void rt_fx_requant_rows(const int16_t *x, int16_t *y, int64_t nplane, int64_t rows,
                        int64_t width, int32_t M, int sh, int32_t qmin, int32_t qmax) {
  requant(x, y, nplane * rows * width, nplane, rows, width, M, sh, qmin, qmax);
}

void rt_fx_affine(const void *param, const rt_fx_args *a) {
  const rt_fx_affine_param *p = param;
  const rt_shape *s = &a->b[0].s;
  int64_t outer = rt_shape_count_range(s, 0, p->axis);
  int64_t C = p->axis < s->nd ? s->d[p->axis] : 1;
  int64_t inner = rt_shape_count_range(s, p->axis + 1, s->nd);
  if (p->nch == 1) {
    inner *= C;
    C = 1;
  }
  const int16_t *x = a->b[0].d;
  int16_t *y = a->t[0].d;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t c = 0; c < C; c++) {
      int64_t M = p->M[c], B = p->B[c];
      int sh = p->sh[c];
      for (int64_t i = 0; i < inner; i++, x++, y++)
        *y = sat16(rsh(*x * M + B, sh), p->qmin, p->qmax);
    }
}

#if FX_AVX2
/* The SUM of two inputs with AVX2, 8 codes at a time, when every
 * rsh(x0 * M0 + x1 * M1, sh) fits in int32 (checked by the caller): then
 * it is the low half of the logical 64-bit shift (sh <= 32) or the high
 * half shifted arithmetically by sh - 32.  Returns how many were done. */
FX_TARGET_AVX2 static int64_t elt_sum2_avx2(const int16_t *x0, const int16_t *x1,
                                            int16_t *y, int64_t cnt,
                                            const rt_fx_eltwise_param *p) {
  int sh = p->shift;
  const __m256i M0 = _mm256_set1_epi64x(p->M[0]), M1 = _mm256_set1_epi64x(p->M[1]);
  const __m256i rnd = _mm256_set1_epi64x(INT64_C(1) << (sh - 1));
  const __m128i s = _mm_cvtsi32_si128(sh <= 32 ? sh : sh - 32);
  const __m256i lo = _mm256_set1_epi32(p->qmin), hi = _mm256_set1_epi32(p->qmax);
  const __m256i zero = _mm256_setzero_si256();
  int64_t j = 0;
  for (; j + 8 <= cnt; j += 8) {
    __m256i a = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(x0 + j)));
    __m256i b = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(x1 + j)));
    __m256i e = _mm256_add_epi64(_mm256_mul_epi32(a, M0), _mm256_mul_epi32(b, M1));
    __m256i o = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), M0),
                                 _mm256_mul_epi32(_mm256_srli_epi64(b, 32), M1));
    e = _mm256_add_epi64(_mm256_add_epi64(e, rnd), _mm256_cmpgt_epi64(zero, e));
    o = _mm256_add_epi64(_mm256_add_epi64(o, rnd), _mm256_cmpgt_epi64(zero, o));
    __m256i x;
    if (sh <= 32) {
      x = _mm256_blend_epi32(_mm256_srl_epi64(e, s),
                             _mm256_slli_epi64(_mm256_srl_epi64(o, s), 32), 0xAA);
    } else {
      x = _mm256_blend_epi32(_mm256_srli_epi64(e, 32), o, 0xAA);
      x = _mm256_sra_epi32(x, s);
    }
    x = _mm256_min_epi32(_mm256_max_epi32(x, lo), hi);
    __m256i q = _mm256_permute4x64_epi64(_mm256_packs_epi32(x, x), 0x08);
    _mm_storeu_si128((__m128i *)(y + j), _mm256_castsi256_si128(q));
  }
  return j;
}
#endif

/* Eltwise over a span of elements (rt_par_elems). */
typedef struct elt_job {
  const rt_fx_eltwise_param *p;
  const rt_fx_args *a;
  int n;
  bool avx; /* elt_sum2_avx2 applies */
} elt_job;

static void elt_span(void *ctx, int64_t e0, int64_t cnt) {
  const elt_job *J = ctx;
  const rt_fx_eltwise_param *p = J->p;
  const rt_fx_args *a = J->a;
  int n = J->n;
  int16_t *y = a->t[0].d;
  int64_t j0 = e0;
#if FX_AVX2
  if (J->avx) j0 += elt_sum2_avx2(a->b[0].d + e0, a->b[1].d + e0, y + e0, cnt - e0, p);
#elif FX_NEON
  if (p->op == RT_ELT_SUM && n == 2)
    j0 += fx_elt_sum2_neon(a->b[0].d + e0, a->b[1].d + e0, y + e0, cnt - e0, p->M[0], p->M[1],
                           p->shift, p->qmin, p->qmax);
#endif
  for (int64_t j = j0; j < cnt; j++) {
    int64_t v;
    if (p->op == RT_ELT_SUM) {
      int64_t acc = 0;
      for (int i = 0; i < n; i++) acc += (int64_t)a->b[i].d[j] * p->M[i];
      v = rsh(acc, p->shift);
    } else if (p->op == RT_ELT_PROD) {
      if (n == 1) {
        v = rq16(a->b[0].d[j], p->M[0], p->sh[0], p->qmin, p->qmax);
      } else {
        v = rq16((int64_t)a->b[0].d[j] * a->b[1].d[j], p->M[1],
                          p->sh[1], p->qmin, p->qmax);
        for (int i = 2; i < n; i++)
          v = rq16(v * a->b[i].d[j], p->M[i], p->sh[i], p->qmin,
                            p->qmax);
      }
    } else {
      v = INT32_MIN;
      for (int i = 0; i < n; i++) {
        int32_t r = rq16(a->b[i].d[j], p->M[i], p->sh[i], p->qmin,
                                  p->qmax);
        if (r > v) v = r;
      }
    }
    y[j] = sat16(v, p->qmin, p->qmax);
  }
  if (p->post) rq_codes(p->post, y + e0, y + e0, cnt - e0); /* the fused output stage */
}

void rt_fx_eltwise(const void *param, const rt_fx_args *a) {
  const rt_fx_eltwise_param *p = param;
  elt_job j = {p, a, p->n < a->nb ? p->n : a->nb, false};
#if FX_AVX2
  if (p->op == RT_ELT_SUM && j.n == 2 && p->shift >= 1 && p->shift <= 63 &&
      p->qmin >= INT16_MIN && p->qmax <= INT16_MAX && use_avx2()) {
    /* |sum| <= 2^15 (|M0| + |M1|) + 2^(sh-1) < 2^62; the shifted value
     * fits in int32 when that bound is below 2^(30 + sh) */
    int64_t bound = (INT64_C(1) << 15) * (llabs(p->M[0]) + llabs(p->M[1])) +
                    (INT64_C(1) << (p->shift - 1));
    j.avx = p->shift >= 32 || bound < INT64_C(1) << (30 + p->shift);
  }
#endif
  par_shape(&a->t[0].s, elt_span, &j);
}

void rt_fx_concat(const void *param, const rt_fx_args *a) {
  const rt_fx_concat_param *p = param;
  const rt_shape *ts = &a->t[0].s;
  int64_t outer = rt_shape_count_range(ts, 0, p->axis);
  int64_t T = rt_shape_count_range(ts, p->axis, ts->nd);
  int64_t off = 0;
  for (int i = 0; i < a->nb && i < p->n; i++) {
    const rt_fx_tensor *b = &a->b[i];
    int64_t in = rt_shape_count_range(&b->s, p->axis, b->s.nd);
    bool id = IDENT(p->M[i], p->sh[i]);
    rt_fx_relu_param rq = {p->M[i], p->M[i], p->sh[i], p->sh[i], p->qmin, p->qmax};
    for (int64_t o = 0; o < outer; o++) {
      const int16_t *x = b->d + o * in;
      int16_t *y = a->t[0].d + o * T + off;
      if (id && p->qmin <= INT16_MIN && p->qmax >= INT16_MAX)
        memmove(y, x, (size_t)in * sizeof *y); /* nothing to clamp */
      else
        rq_codes(&rq, x, y, in);
    }
    off += in;
  }
}

/* Permute: t[0] dim k is b[0] dim order[k]; codes copied unchanged. */
void rt_fx_permute(const void *param, const rt_fx_args *a) {
  const rt_permute_param *p = param;
  const rt_shape *bs = &a->b[0].s;
  int nd = bs->nd;
  int64_t st[RT_MAXDIM], ost[RT_MAXDIM], idx[RT_MAXDIM], dim[RT_MAXDIM];
  int64_t s = 1;
  for (int k = nd - 1; k >= 0; k--) {
    st[k] = s;
    s *= bs->d[k];
  }
  for (int k = 0; k < nd; k++) {
    int src = k < p->norder ? p->order[k] : k;
    ost[k] = st[src];
    dim[k] = bs->d[src];
    idx[k] = 0;
  }
  int64_t cnt = rt_shape_count(bs), src = 0;
  const int16_t *x = a->b[0].d;
  int16_t *y = a->t[0].d;
  for (int64_t j = 0; j < cnt; j++) {
    y[j] = x[src];
    for (int k = nd - 1; k >= 0; k--) {
      src += ost[k];
      if (++idx[k] < dim[k]) break;
      src -= ost[k] * dim[k];
      idx[k] = 0;
    }
  }
}

void rt_fx_copy(const void *param, const rt_fx_args *a) {
  (void)param;
  int64_t n = rt_shape_count(&a->b[0].s);
  if (a->t[0].d != a->b[0].d && n > 0)
    memcpy(a->t[0].d, a->b[0].d, (size_t)n * sizeof(int16_t));
}
