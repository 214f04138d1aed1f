/* rt_fx_ip.c - the fixed-point InnerProduct kernel of the contract
 * (rt_fixed.h): one dot product per output (SSE2 pmaddwd in int32 when
 * the operands' bound allows; on ARM the NEON dot products of fx_ip_pick,
 * FX_IP_R outputs at a time), or, for transposed weights, blocks of
 * outputs accumulated row by row (rt_fx_mac.c). */
#include <string.h>

#include "rt_fx_cpu.h"
#include "rt_par.h"

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

/* The units of rt_fx_ip for the worker pool (rt_par.h): (row m, output o)
 * dot products, or (row m, block of FX_BLK / 2 outputs) for transposed
 * weights.  Integer results: any split gives the same codes. */
typedef struct ip_job {
  const rt_fx_ip_param *p;
  const int16_t *x;
  int16_t *y;
  int64_t K, Nn, nu, xmax; /* nu: units per row */
  int lvl;
  fx_ip_fn *dot; /* fx_ip_pick's, NULL: dot() */
} ip_job;

/* sum |w| over output o's weights: p->wabs[o] when present. */
static int64_t ip_wabs(const rt_fx_ip_param *p, int lvl, int64_t o) {
  if (p->wabs) return p->wabs[o];
  if (p->g.transpose) return fx_sumabs(lvl, p->w + o, p->K, p->g.num_output);
  return fx_sumabs(lvl, p->w + o * p->K, p->K, 1);
}

void rt_fx_ip_wabs(const rt_fx_ip_param *p, int64_t *wabs) {
  int lvl = rt_fx_simd_level();
  const rt_fx_ip_param q = {.g = p->g, .K = p->K, .w = p->w}; /* wabs NULL */
  for (int64_t o = 0; o < p->g.num_output; o++) wabs[o] = ip_wabs(&q, lvl, o);
}

/* Units [u, u + n) of one row m (n <= FX_IP_R, plain weights) through
 * the target's dot products: int64 for the whole block when one of its
 * outputs needs it. */
static void ip_blk(const ip_job *j, int64_t m, int64_t o, int n) {
  const rt_fx_ip_param *p = j->p;
  int64_t K = j->K, acc[FX_IP_R], b[FX_IP_R];
  bool wide = false;
  for (int i = 0; i < n; i++) {
    b[i] = p->bias ? p->bias[o + i] : 0;
    wide |= !fits32s(j->xmax, ip_wabs(p, j->lvl, o + i), b[i]);
  }
  j->dot(j->x + m * K, p->w + o * K, K, n, wide, acc);
  int16_t *y = j->y + m * j->Nn;
  for (int i = 0; i < n; i++) y[o + i] = outq1(&p->q, (int)(o + i), b[i] + acc[i]);
}

static void ip_part(void *ctx, int64_t lo, int64_t hi, void *ws) {
  const ip_job *j = ctx;
  const rt_fx_ip_param *p = j->p;
  int64_t K = j->K, Nn = j->Nn, xmax = j->xmax;
  int lvl = j->lvl;
  fx_blk blk;
  (void)ws;
  for (int64_t u = lo; u < hi; u++) {
    int64_t m = u / j->nu, i0 = u % j->nu;
    const int16_t *x = j->x + m * K;
    int16_t *y = j->y + m * Nn;
    if (!p->g.transpose && j->dot) {
      int64_t n = Nn - i0 < hi - u ? Nn - i0 : hi - u;
      if (n > FX_IP_R) n = FX_IP_R;
      ip_blk(j, m, i0, (int)n);
      u += n - 1;
      continue;
    }
    if (!p->g.transpose) {
      int64_t o = i0, bias = p->bias ? p->bias[o] : 0;
      bool wide = !fits32s(xmax, ip_wabs(p, lvl, o), bias);
      y[o] = outq1(&p->q, (int)o, dot(x, p->w + o * K, K, bias, wide));
      continue;
    }
    /* transposed (K x N): blocks of outputs, acc[o] += x[k] * w[k][o] */
    int64_t o0 = i0 * (FX_BLK / 2);
    int n = Nn - o0 < FX_BLK / 2 ? (int)(Nn - o0) : FX_BLK / 2;
    bool wide = false;
    for (int i = 0; i < n && !wide; i++)
      wide = !fits32s(xmax, ip_wabs(p, lvl, o0 + i), p->bias ? p->bias[o0 + i] : 0);
    for (int i = 0; i < n; i++) {
      int64_t v = p->bias ? p->bias[o0 + i] : 0;
      if (wide)
        blk.a64[i] = v;
      else
        blk.a32[i] = (int32_t)v;
    }
    for (int64_t k = 0; k < K; k += 4) {
      mac_job mj;
      mj.nc = K - k < 4 ? (int)(K - k) : 4;
      mj.nr = 1, mj.n = n, mj.s = 1, mj.so = 1, mj.os = 0, mj.xs = 0;
      bool any = false;
      for (int c = 0; c < 4; c++) {
        int64_t kk = c < mj.nc ? k + c : k;
        mj.x[c] = p->w + kk * Nn + o0;
        mj.w[c] = c < mj.nc ? x[kk] : 0;
        any |= mj.w[c] != 0;
      }
      if (any) fx_blk_mac(&blk, wide, 0, &mj);
    }
    for (int i = 0; i < n; i++) {
      int c = (int)(o0 + i);
      if (wide)
        y[c] = outq1(&p->q, c, blk.a64[i]);
      else
        fx_outq32(lvl, &p->q, c, &blk.a32[i], &y[c], 1);
    }
  }
}

/* InnerProduct: b[0] read as M x K (K = count from axis) -> t[0] M x N;
 * the units go to the worker pool when the layer has work enough. */
void rt_fx_ip(const void *param, const rt_fx_args *a) {
  const rt_fx_ip_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  int64_t K = p->K, Nn = p->g.num_output;
  int64_t Mo = K ? rt_shape_count(&b->s) / K : 0;
  int lvl = rt_fx_simd_level();
  int64_t nu = p->g.transpose ? (Nn + FX_BLK / 2 - 1) / (FX_BLK / 2) : Nn;
  ip_job j = {p, b->d, a->t[0].d, K, Nn, nu, fx_maxabs(lvl, b->d, Mo * K), lvl, fx_ip_pick()};
  if (Mo * Nn * K >= RT_PAR_MACS)
    rt_par_for(Mo * nu, ip_part, &j, NULL);
  else
    ip_part(&j, 0, Mo * nu, NULL);
}
