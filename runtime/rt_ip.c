/* rt_ip.c - InnerProduct float kernel (Caffe semantics).
 *
 * Every output keeps the reference order: s = 0; s += x[i] * w[i] for
 * increasing i (a float multiply, then a float add: no FMA), then
 * y = s + bias (+ 0.0f without bias, as before).  The AVX2 path vectorizes
 * across outputs (each lane one output's sequential sum), so its results are
 * bit-identical to the scalar loops. */
#include "rt_layers.h"

#include "rt_fx_int.h" /* FX_AVX2, FX_TARGET_AVX2, use_avx2 (rt_fx_simd) */
#include "arm/rt_conv_arm.h"

/* ARM NEON: the transposed rows (the float InnerProduct of 8-bit
 * programs) by rt_ip_row_t_f32 where the generated C uses NEON float too
 * (CHAI_NEON_F32's rule, templates/c/net.lua): AArch64, and ARMv7 unless
 * CHAI_STRICT_FP.  Its roundings are those GCC gives ip_row_t under the
 * project's ARM flags (one multiply-accumulate per k: FMLA, FMUL + FADD
 * under CHAI_STRICT_FP, VMLA.F32 on ARMv7). */
#if defined(RT_CONV_NEON) && (defined(__aarch64__) || !defined(CHAI_STRICT_FP))
#define IP_NEON 1
#else
#define IP_NEON 0
#endif

/* One row: y[n] = bias[n] + sum_k x[k] * W[n][k], W N x K row-major, for
 * outputs j0..nout-1; four outputs per pass so the loads of x are shared. */
static void ip_row(const float *restrict x, const float *restrict w,
                   const float *bias, float *restrict y, int j0, int nout,
                   int64_t k) {
  int j = j0;
  for (; j + 4 <= nout; j += 4) {
    const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t i = 0; i < k; i++) {
      float xi = x[i];
      s0 += xi * w0[i];
      s1 += xi * w1[i];
      s2 += xi * w2[i];
      s3 += xi * w3[i];
    }
    y[j] = s0 + (bias ? bias[j] : 0.0f);
    y[j + 1] = s1 + (bias ? bias[j + 1] : 0.0f);
    y[j + 2] = s2 + (bias ? bias[j + 2] : 0.0f);
    y[j + 3] = s3 + (bias ? bias[j + 3] : 0.0f);
  }
  for (; j < nout; j++) {
    const float *wj = w + j * k;
    float s = 0;
    for (int64_t i = 0; i < k; i++) s += x[i] * wj[i];
    y[j] = s + (bias ? bias[j] : 0.0f);
  }
}

/* Transposed weights (K x N): y[j] = sum_i x[i] * W[i][j] (+ bias[j]) for
 * outputs j0..nout-1, each output's sum in increasing i. */
static void ip_row_t(const float *restrict x, const float *restrict w,
                     const float *bias, float *restrict y, int j0, int nout,
                     int64_t k) {
  for (int j = j0; j < nout; j++) y[j] = 0.0f;
  for (int64_t i = 0; i < k; i++) {
    const float *wi = w + i * nout;
    float xi = x[i];
    for (int j = j0; j < nout; j++) y[j] += xi * wi[j];
  }
  if (bias)
    for (int j = j0; j < nout; j++) y[j] += bias[j];
}

#if FX_AVX2
/* Outputs j..j+8G-1 of one row (W N x K): lane l of acc[g] holds output
 * j+8g+l.  Per 4 k, the weights of rows (r, r+4) are loaded into the two
 * halves of a register and transposed 4x4 within the halves, giving one
 * register of 8 outputs per k; the lanes then add x[i] * w in order. */
FX_TARGET_AVX2 static inline void ip_blk_avx2(const float *x, const float *w,
                                              const float *bias, float *y,
                                              int j, int64_t k, int G) {
  __m256 acc[4];
  for (int g = 0; g < G; g++) acc[g] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    __m256 x0 = _mm256_set1_ps(x[i]), x1 = _mm256_set1_ps(x[i + 1]);
    __m256 x2 = _mm256_set1_ps(x[i + 2]), x3 = _mm256_set1_ps(x[i + 3]);
    for (int g = 0; g < G; g++) {
      const float *p = w + (int64_t)(j + 8 * g) * k + i;
      __m256 a[4];
      for (int r = 0; r < 4; r++)
        a[r] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p + r * k)),
                                    _mm_loadu_ps(p + (r + 4) * k), 1);
      __m256d t0 = _mm256_castps_pd(_mm256_unpacklo_ps(a[0], a[1]));
      __m256d t1 = _mm256_castps_pd(_mm256_unpackhi_ps(a[0], a[1]));
      __m256d t2 = _mm256_castps_pd(_mm256_unpacklo_ps(a[2], a[3]));
      __m256d t3 = _mm256_castps_pd(_mm256_unpackhi_ps(a[2], a[3]));
      __m256 s = acc[g];
      s = _mm256_add_ps(s, _mm256_mul_ps(x0, _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t2))));
      s = _mm256_add_ps(s, _mm256_mul_ps(x1, _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t2))));
      s = _mm256_add_ps(s, _mm256_mul_ps(x2, _mm256_castpd_ps(_mm256_unpacklo_pd(t1, t3))));
      s = _mm256_add_ps(s, _mm256_mul_ps(x3, _mm256_castpd_ps(_mm256_unpackhi_pd(t1, t3))));
      acc[g] = s;
    }
  }
  for (; i < k; i++) {
    __m256 xi = _mm256_set1_ps(x[i]);
    for (int g = 0; g < G; g++) {
      const float *p = w + (int64_t)(j + 8 * g) * k + i;
      __m256 v = _mm256_setr_ps(p[0], p[k], p[2 * k], p[3 * k], p[4 * k],
                                p[5 * k], p[6 * k], p[7 * k]);
      acc[g] = _mm256_add_ps(acc[g], _mm256_mul_ps(xi, v));
    }
  }
  for (int g = 0; g < G; g++) {
    __m256 b = bias ? _mm256_loadu_ps(bias + j + 8 * g) : _mm256_setzero_ps();
    _mm256_storeu_ps(y + j + 8 * g, _mm256_add_ps(acc[g], b));
  }
}

/* Transposes rows r..r+7 (stride k), columns i..i+kc-1 of W into
 * dst[c * 32 + l] = W[r + l][i + c]. */
FX_TARGET_AVX2 static inline void ip_pack8_avx2(const float *p, int64_t k,
                                                int kc, float *dst) {
  int c = 0;
  for (; c + 4 <= kc; c += 4) {
    __m256 a[4];
    for (int r = 0; r < 4; r++)
      a[r] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p + r * k + c)),
                                  _mm_loadu_ps(p + (r + 4) * k + c), 1);
    __m256d t0 = _mm256_castps_pd(_mm256_unpacklo_ps(a[0], a[1]));
    __m256d t1 = _mm256_castps_pd(_mm256_unpackhi_ps(a[0], a[1]));
    __m256d t2 = _mm256_castps_pd(_mm256_unpacklo_ps(a[2], a[3]));
    __m256d t3 = _mm256_castps_pd(_mm256_unpackhi_ps(a[2], a[3]));
    _mm256_store_ps(dst + c * 32, _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t2)));
    _mm256_store_ps(dst + (c + 1) * 32, _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t2)));
    _mm256_store_ps(dst + (c + 2) * 32, _mm256_castpd_ps(_mm256_unpacklo_pd(t1, t3)));
    _mm256_store_ps(dst + (c + 3) * 32, _mm256_castpd_ps(_mm256_unpackhi_pd(t1, t3)));
  }
  for (; c < kc; c++)
    for (int l = 0; l < 8; l++) dst[c * 32 + l] = p[l * k + c];
}

#define IP_KC 128 /* k per packed chunk: 32 outputs x 128 floats = 16 KB */

/* Outputs j..j+31 of one row: each chunk of IP_KC k of their weights is
 * transposed into buf (8 rows at a time, few concurrent streams), then the
 * four registers of 8 lanes continue their sums over the chunk in order. */
FX_TARGET_AVX2 static void ip_blk32_avx2(const float *x, const float *w,
                                         const float *bias, float *y, int j,
                                         int64_t k) {
  _Alignas(32) float buf[IP_KC * 32];
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t i0 = 0; i0 < k; i0 += IP_KC) {
    int kc = k - i0 < IP_KC ? (int)(k - i0) : IP_KC;
    for (int g = 0; g < 4; g++)
      ip_pack8_avx2(w + (int64_t)(j + 8 * g) * k + i0, k, kc, buf + 8 * g);
    const float *xc = x + i0;
    for (int c = 0; c < kc; c++) {
      __m256 xi = _mm256_set1_ps(xc[c]);
      const float *q = buf + c * 32;
      a0 = _mm256_add_ps(a0, _mm256_mul_ps(xi, _mm256_load_ps(q)));
      a1 = _mm256_add_ps(a1, _mm256_mul_ps(xi, _mm256_load_ps(q + 8)));
      a2 = _mm256_add_ps(a2, _mm256_mul_ps(xi, _mm256_load_ps(q + 16)));
      a3 = _mm256_add_ps(a3, _mm256_mul_ps(xi, _mm256_load_ps(q + 24)));
    }
  }
  __m256 acc[4] = {a0, a1, a2, a3};
  for (int g = 0; g < 4; g++) {
    __m256 b = bias ? _mm256_loadu_ps(bias + j + 8 * g) : _mm256_setzero_ps();
    _mm256_storeu_ps(y + j + 8 * g, _mm256_add_ps(acc[g], b));
  }
}

/* Whether 32 rows of k floats crowd an L1 set (48 KB, 64 sets of 64 B
 * lines): more than 8 row starts in one set make the 32 concurrent row
 * streams of ip_blk_avx2 evict each other (k a multiple of 256, say). */
static bool ip_aliased(int64_t k) {
  int n[64] = {0}, most = 0;
  for (int64_t r = 0; r < 32; r++) {
    int s = (int)(((r * k * 4) >> 6) & 63);
    if (++n[s] > most) most = n[s];
  }
  return most > 8;
}

/* Outputs j..j+3 of one row with 128-bit vectors, as ip_blk_avx2: the
 * 4 x 4 weights of each 4 k transposed, lane l adding x[i] * W[j+l][i] in
 * order, then + bias (+ 0.0f without one, as the scalar loop). */
FX_TARGET_AVX2 static void ip_blk4_avx2(const float *x, const float *w, const float *bias,
                                        float *y, int j, int64_t k) {
  __m128 acc = _mm_setzero_ps();
  const float *p = w + (int64_t)j * k;
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    __m128 r0 = _mm_loadu_ps(p + i), r1 = _mm_loadu_ps(p + k + i);
    __m128 r2 = _mm_loadu_ps(p + 2 * k + i), r3 = _mm_loadu_ps(p + 3 * k + i);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3); /* r0 = column i, ... */
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(x[i]), r0));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(x[i + 1]), r1));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(x[i + 2]), r2));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(x[i + 3]), r3));
  }
  for (; i < k; i++)
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(x[i]),
                                     _mm_setr_ps(p[i], p[k + i], p[2 * k + i], p[3 * k + i])));
  __m128 b = bias ? _mm_loadu_ps(bias + j) : _mm_setzero_ps();
  _mm_storeu_ps(y + j, _mm_add_ps(acc, b));
}

/* One row, W N x K: blocks of 32 outputs (packed when ip_aliased), then of
 * 8 and of 4, then the scalar loop for the last N % 4. */
FX_TARGET_AVX2 static void ip_row_avx2(const float *x, const float *w,
                                       const float *bias, float *y, int nout,
                                       int64_t k) {
  int j = 0;
  bool pack = ip_aliased(k);
  for (; j + 32 <= nout; j += 32)
    if (pack)
      ip_blk32_avx2(x, w, bias, y, j, k);
    else
      ip_blk_avx2(x, w, bias, y, j, k, 4);
  for (; j + 8 <= nout; j += 8) ip_blk_avx2(x, w, bias, y, j, k, 1);
  for (; j + 4 <= nout; j += 4) ip_blk4_avx2(x, w, bias, y, j, k);
  ip_row(x, w, bias, y, j, nout, k);
}

/* Transposed weights: outputs j..j+8G-1 in registers over all i; only the
 * first `last` lanes (1..8) of group G-1 are loaded and stored (maskload
 * reads nothing for the other lanes), so a row's tail runs in the same
 * block as its last full groups. */
FX_TARGET_AVX2 static inline __attribute__((always_inline)) void
ip_blk_t_avx2(const float *x, const float *w, const float *bias, float *y, int j,
              int nout, int64_t k, int G, int last) {
  __m256 acc[8];
  const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(last),
                                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int g = 0; g < G; g++) acc[g] = _mm256_setzero_ps();
  for (int64_t i = 0; i < k; i++) {
    __m256 xi = _mm256_set1_ps(x[i]);
    const float *p = w + i * nout + j;
    for (int g = 0; g < G - 1; g++)
      acc[g] = _mm256_add_ps(acc[g], _mm256_mul_ps(xi, _mm256_loadu_ps(p + 8 * g)));
    __m256 wl = last == 8 ? _mm256_loadu_ps(p + 8 * (G - 1))
                          : _mm256_maskload_ps(p + 8 * (G - 1), m);
    acc[G - 1] = _mm256_add_ps(acc[G - 1], _mm256_mul_ps(xi, wl));
  }
  for (int g = 0; g < G; g++) {
    __m256 s = acc[g];
    bool part = g == G - 1 && last < 8;
    if (bias)
      s = _mm256_add_ps(s, part ? _mm256_maskload_ps(bias + j + 8 * g, m)
                                : _mm256_loadu_ps(bias + j + 8 * g));
    else
      s = _mm256_add_ps(s, _mm256_setzero_ps());
    if (part) _mm256_maskstore_ps(y + j + 8 * g, m, s);
    else _mm256_storeu_ps(y + j + 8 * g, s);
  }
}

FX_TARGET_AVX2 static void ip_row_t_avx2(const float *x, const float *w,
                                         const float *bias, float *y, int nout,
                                         int64_t k) {
  int j = 0;
  /* 64 outputs: eight independent add chains hide the add latency */
  for (; j + 64 <= nout; j += 64) ip_blk_t_avx2(x, w, bias, y, j, nout, k, 8, 8);
  int rem = nout - j, G = (rem + 7) / 8, last = rem - 8 * (G - 1);
  switch (G) { /* the rest in one block, its last group masked */
  case 1: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 1, last); break;
  case 2: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 2, last); break;
  case 3: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 3, last); break;
  case 4: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 4, last); break;
  case 5: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 5, last); break;
  case 6: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 6, last); break;
  case 7: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 7, last); break;
  case 8: ip_blk_t_avx2(x, w, bias, y, j, nout, k, 8, last); break;
  default: break;
  }
}
#endif

/* InnerProduct.  b[0] is read as M x K with M = count(0, axis) and
 * K = count(axis, end); w[0] is N x K (K x N when transpose), w[1] N;
 * t[0] holds M x N. */
void rt_ip_f32(const void *param, const rt_args *a) {
  const rt_ip_param *p = param;
  const rt_tensor *b = &a->b[0];
  int axis = rt_axis(&b->s, p->axis);
  if (axis < 0) axis = 0;
  int64_t m = rt_shape_count_range(&b->s, 0, axis);
  int64_t k = rt_shape_count_range(&b->s, axis, b->s.nd);
  int nout = p->num_output;
  const float *w = a->w[0].d;
  const float *bias = p->bias_term && a->nw > 1 ? a->w[1].d : NULL;
  for (int64_t r = 0; r < m; r++) {
    const float *x = b->d + r * k;
    float *y = a->t[0].d + r * nout;
#if FX_AVX2
    if (use_avx2()) {
      if (p->transpose)
        ip_row_t_avx2(x, w, bias, y, nout, k);
      else
        ip_row_avx2(x, w, bias, y, nout, k);
      continue;
    }
#endif
#if IP_NEON
    if (p->transpose && k <= INT32_MAX) {
      ip_row_t(x, w, bias, y, rt_ip_row_t_f32(x, w, bias, y, nout, (int)k), nout, k);
      continue;
    }
#endif
    if (p->transpose)
      ip_row_t(x, w, bias, y, 0, nout, k);
    else
      ip_row(x, w, bias, y, 0, nout, k);
  }
}
