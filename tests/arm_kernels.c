/* arm_kernels.c - the runtime's fixed-point Convolution (GEMM, depthwise
 * and general paths), InnerProduct and Eltwise SUM against a direct per-output
 * reference (int64 sums, rt_fx_requant), bit for bit, on random layers
 * (and the standalone ReLU map against rt_fx_requant, the InnerProduct
 * dot products of fx_ip_pick against int64 sums):
 * groups, depthwise, stride 1 to 3, padding, dilation, 8- and 12-bit
 * codes, ReLU / leaky / none output stages, channel counts that do not
 * fill a tile.  Built and run by tests/arm_kernels.sh for AArch64 and
 * ARMv7 NEON under qemu-user (where it checks runtime/arm/), and also
 * for the host; on ARM also the float tile rt_conv_tile_f32 (arm/rt_conv_neon.c,
 * see f32_case for its reference and tolerance), the float InnerProduct
 * block rt_ip_blk32_f32 (arm/rt_ip_neon.c) and rt_pool_max_f32.  Prints one line per
 * failing case; exit status 1 on any. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <float.h>
#include <math.h>

#include "arm/rt_conv_arm.h"
#include "arm/rt_fx_arm.h"
#include "rt_fixed.h"
#include "rt_fx_cpu.h"

static uint64_t seed = 0x9E3779B97F4A7C15u;
static uint32_t rnd(void) {
  seed = seed * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(seed >> 33);
}
/* Uniform in [lo, hi]. */
static int uni(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

static int16_t ref_outq1(const rt_fx_outq *q, int c, int64_t acc) {
  if (acc < 0 && q->relu != RT_FX_RELU_NONE) {
    if (q->relu == RT_FX_RELU) return 0;
    return (int16_t)rt_fx_requant(acc, q->Mn[c], q->shn[c], q->qmin, q->qmax);
  }
  return (int16_t)rt_fx_requant(acc, q->M[c], q->sh[c], q->qmin, q->qmax);
}

#define MAXO 96
static int32_t Mv[MAXO], Mnv[MAXO];
static int8_t shv[MAXO], shnv[MAXO];
static int64_t biasv[MAXO];

/* A random output stage for O channels with accumulators of about 2^ab
 * (one channel in 16 with a shift <= 0, which is none). */
static void rand_outq(rt_fx_outq *q, int O, int ab, int bits) {
  for (int c = 0; c < O; c++) {
    Mv[c] = uni(1 << 14, (1 << 15) - 1) * (uni(0, 9) ? 1 : -1);
    shv[c] = (int8_t)(15 + ab - bits + uni(0, 2));
    if (!uni(0, 15)) Mv[c] = uni(-3, 3), shv[c] = (int8_t)uni(-2, 0); /* no shift */
    Mnv[c] = Mv[c] / uni(2, 10);
    shnv[c] = shv[c];
  }
  q->M = Mv, q->sh = shv, q->Mn = Mnv, q->shn = shnv;
  q->relu = uni(0, 2);
  q->qmin = -(1 << (bits - 1)), q->qmax = (1 << (bits - 1)) - 1;
}

/* M x K as a shape (rows, count from axis 1). */
static rt_shape shape2(int m, int k) {
  rt_shape s = {2, {m, k}};
  return s;
}

static int16_t xb[1 << 18], wb[1 << 18], yb[1 << 18], rb[1 << 18];

/* One random Convolution; returns 1 when rt_fx_conv differs. */
static int conv_case(int id) {
  int dw = uni(0, 3) == 0;
  int G = dw ? 0 : (uni(0, 3) == 0 ? uni(2, 3) : 1);
  int cpg = dw ? 1 : uni(1, 12), opg = dw ? 1 : uni(1, 3) == 1 ? uni(1, 3) : uni(4, 20);
  if (dw) G = uni(1, 24);
  int C = cpg * G, O = opg * G;
  if (O > MAXO) return 0;
  rt_fx_conv_param p;
  memset(&p, 0, sizeof p);
  rt_conv_param *g = &p.g;
  g->num_output = O, g->group = G, g->axis = 1, g->bias_term = true;
  g->kh = uni(1, 5), g->kw = uni(1, 5);
  g->sh = uni(1, 3), g->sw = uni(0, 3) ? g->sh : uni(1, 3);
  g->dh = uni(0, 5) ? 1 : 2, g->dw = g->dh;
  g->ph = uni(0, g->kh / 2 + 1), g->pw = uni(0, g->kw / 2 + 1);
  int H = uni(1, 24), W = uni(1, 40), N = uni(1, 2);
  if (H + 2 * g->ph < g->dh * (g->kh - 1) + 1 || W + 2 * g->pw < g->dw * (g->kw - 1) + 1) return 0;
  int OH = (H + 2 * g->ph - (g->dh * (g->kh - 1) + 1)) / g->sh + 1;
  int OW = (W + 2 * g->pw - (g->dw * (g->kw - 1) + 1)) / g->sw + 1;
  if (OH < 1 || OW < 1) return 0;
  int bits = uni(0, 3) ? 8 : 12, K = cpg * g->kh * g->kw;
  int64_t nx = (int64_t)N * C * H * W, nw = (int64_t)O * K, ny = (int64_t)N * O * OH * OW;
  if (nx > (1 << 18) || nw > (1 << 18) || ny > (1 << 18)) return 0;
  int lim = 1 << (bits - 1);
  for (int64_t i = 0; i < nx; i++) xb[i] = (int16_t)(uni(0, 4) ? uni(-lim, lim - 1) : 0);
  for (int64_t i = 0; i < nw; i++) wb[i] = (int16_t)uni(-lim, lim - 1);
  for (int o = 0; o < O; o++) biasv[o] = uni(-lim * lim, lim * lim);
  p.cin = C, p.w = wb, p.bias = uni(0, 4) ? biasv : NULL;
  int ab = 2 * (bits - 1) + 2;
  while ((1 << (ab - 2 * (bits - 1))) < K) ab++;
  rand_outq(&p.q, O, ab - 2, bits);
  rt_fx_tensor b = {rt_shape4(N, C, H, W), xb};
  rt_fx_tensor t = {rt_shape4(N, O, OH, OW), yb};
  rt_fx_args a = {1, 1, &b, &t};
  rt_fx_conv(&p, &a);
  int64_t hw = (int64_t)H * W;
  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
          int64_t acc = p.bias ? p.bias[o] : 0;
          for (int c = 0; c < cpg; c++)
            for (int ky = 0; ky < g->kh; ky++)
              for (int kx = 0; kx < g->kw; kx++) {
                int iy = oy * g->sh - g->ph + ky * g->dh, ix = ox * g->sw - g->pw + kx * g->dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                int ci = (o / opg) * cpg + c;
                acc += (int64_t)xb[((int64_t)n * C + ci) * hw + (int64_t)iy * W + ix] *
                       wb[(((int64_t)o * cpg + c) * g->kh + ky) * g->kw + kx];
              }
          rb[(((int64_t)n * O + o) * OH + oy) * OW + ox] = ref_outq1(&p.q, o, acc);
        }
  for (int64_t i = 0; i < ny; i++)
    if (yb[i] != rb[i]) {
      printf("FAIL conv case %d: N%d C%d H%d W%d O%d G%d k%dx%d s%d,%d p%d,%d d%d relu%d bits%d: "
             "output %lld is %d, reference %d\n",
             id, N, C, H, W, O, G, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, g->dh, p.q.relu,
             bits, (long long)i, yb[i], rb[i]);
      return 1;
    }
  return 0;
}

/* One random depthwise channel through the kernel the dispatch picks
 * (fx_dw_pick; on ARM fx_neon_dw_conv wherever fx_neon_dw_ok, checked),
 * against the portable row kernel fx_dw_conv and a direct int64
 * reference, bit for bit: kernels 3x3, 5x5 and random 1..11 x 1..16
 * (1xN, Nx1, even), stride 1 or 2, padding up to the kernel, odd widths,
 * 8-bit or int16-range codes (weights scaled so that the channel fits
 * int32, as chan_part requires), output stages with sh <= 0 too; then
 * the output rows [ra, rb) through the sub-geometry dw_rows
 * (rt_fx_conv.c) builds, which must give the same rows.  Returns 1 when
 * an output differs. */
static int dw_neon; /* cases that ran fx_neon_dw_conv */
static int dw_case(int id) {
  rt_fx_conv_param p;
  memset(&p, 0, sizeof p);
  rt_conv_param *g = &p.g;
  int shape = uni(0, 3);
  g->kh = shape == 0 ? 3 : shape == 1 ? 5 : uni(1, 11);
  g->kw = shape == 0 ? 3 : shape == 1 ? 5 : uni(0, 1) ? uni(1, 16) : g->kh;
  g->sh = g->sw = uni(1, 2), g->dh = g->dw = 1;
  g->ph = uni(0, g->kh), g->pw = uni(0, g->kw);
  g->num_output = 1, g->group = 1, g->axis = 1, g->bias_term = true;
  int H = uni(1, 40), W = uni(1, uni(0, 3) ? 45 : 300);
  if (H + 2 * g->ph < g->kh || W + 2 * g->pw < g->kw) return 0;
  int OH = (H + 2 * g->ph - g->kh) / g->sh + 1, OW = (W + 2 * g->pw - g->kw) / g->sw + 1;
  int K = g->kh * g->kw, wide = uni(0, 2) == 0, lim = wide ? 32768 : 128;
  int wl = wide ? (int)(((INT64_C(1) << 31) - (1 << 22)) / ((int64_t)lim * K)) : 128;
  if (wl > 32767) wl = 32767;
  for (int i = 0; i < H * W; i++) xb[i] = (int16_t)(uni(0, 4) ? uni(-lim, lim - 1) : 0);
  for (int i = 0; i < K; i++) wb[i] = (int16_t)(uni(0, 7) ? uni(-wl, wl - 1) : 0);
  biasv[0] = uni(-(1 << 20), 1 << 20);
  p.cin = 1, p.w = wb, p.bias = uni(0, 4) ? biasv : NULL;
  int bits = wide ? 16 : 8, ab = 2 * (bits - 1) + 2;
  while ((1 << (ab - 2 * (bits - 1))) < K) ab++;
  rand_outq(&p.q, 1, ab - 2, bits);
  if (uni(0, 5) == 0) shv[0] = (int8_t)uni(-2, 0), shnv[0] = shv[0];
  conv_geo cg = {g, 1, 1, H, W, OH, OW};
  if (!fx_dw_ok(&cg)) return 0;
  dwp_geo dg = {0};
  bool flat = fx_dwp_plan(&cg, &dg);
  int lvl = rt_fx_simd_level();
  fx_dw_fn *fn = fx_dw_pick(&cg, flat, &p.q, 0, lvl);
#if FX_NEON
  if (fx_neon_dw_ok(&cg) != (fn == fx_neon_dw_conv)) {
    printf("FAIL dw case %d: k%dx%d s%d OW%d: fx_neon_dw_ok is %d but not picked\n", id, g->kh,
           g->kw, g->sw, OW, fx_neon_dw_ok(&cg));
    return 1;
  }
  dw_neon += fn == fx_neon_dw_conv;
#endif
  int16_t *y = yb, *yp = yb + (1 << 17);
  fn(&p, &cg, &dg, 0, xb, y, lvl);
  fx_dw_conv(&p, &cg, &dg, 0, xb, yp, lvl);
  for (int oy = 0; oy < OH; oy++)
    for (int ox = 0; ox < OW; ox++) {
      int64_t acc = p.bias ? p.bias[0] : 0;
      for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++) {
          int iy = oy * g->sh - g->ph + ky, ix = ox * g->sw - g->pw + kx;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W)
            acc += (int64_t)xb[iy * W + ix] * wb[ky * g->kw + kx];
        }
      int i = oy * OW + ox;
      int16_t r = ref_outq1(&p.q, 0, acc);
      if (y[i] != r || yp[i] != r) {
        printf("FAIL dw case %d: H%d W%d k%dx%d s%d p%d,%d relu%d sh%d bits%d: (%d, %d) is %d, "
               "portable %d, reference %d\n",
               id, H, W, g->kh, g->kw, g->sw, g->ph, g->pw, p.q.relu, shv[0], bits, oy, ox, y[i],
               yp[i], r);
        return 1;
      }
    }
  /* rows [ra, rb) as dw_rows cuts them */
  int ra = uni(0, OH - 1), rb2 = uni(ra + 1, OH);
  rt_conv_param gs = *g;
  int off = ra * g->sh - g->ph;
  if (off < 0) off = 0;
  gs.ph = off - (ra * g->sh - g->ph);
  conv_geo sub = {&gs, 1, 1, H - off, W, rb2 - ra, OW};
  dwp_geo ds = {0};
  bool sflat = fx_dwp_plan(&sub, &ds);
  int16_t *ys = rb;
  fx_dw_pick(&sub, sflat, &p.q, 0, lvl)(&p, &sub, &ds, 0, xb + (int64_t)off * W, ys, lvl);
  for (int i = 0; i < (rb2 - ra) * OW; i++)
    if (ys[i] != y[ra * OW + i]) {
      printf("FAIL dw case %d: H%d W%d k%dx%d s%d p%d,%d: rows %d..%d, output %d is %d, whole "
             "plane %d\n",
             id, H, W, g->kh, g->kw, g->sw, g->ph, g->pw, ra, rb2, i, ys[i], y[ra * OW + i]);
      return 1;
    }
  return 0;
}

/* One random InnerProduct; returns 1 when rt_fx_ip differs.  Plain
 * weights (N x K) go through fx_ip_pick's dot products (on ARM the NEON
 * ones: blocks of 8 or 4 outputs, the N % 4 rest, K % 8 tails); 16-bit
 * codes make int64 ("wide") accumulators necessary, with int32 rows of
 * small weights in the same blocks; the per-output sum |w| (wabs) is
 * given half the time, computed here. */
static int ip_case(int id) {
  static int64_t wabsv[MAXO];
  int M = uni(1, 3), K = uni(1, 600), Nn = uni(1, MAXO);
  int bits = uni(0, 5) ? 8 : uni(0, 1) ? 12 : 16;
  int lim = 1 << (bits - 1);
  rt_fx_ip_param p;
  memset(&p, 0, sizeof p);
  p.g.num_output = Nn, p.g.axis = 1, p.g.bias_term = true, p.g.transpose = uni(0, 3) == 0;
  p.K = K;
  for (int i = 0; i < M * K; i++) xb[i] = (int16_t)uni(-lim, lim - 1);
  for (int o = 0; o < Nn; o++) {
    int wl = bits == 16 && uni(0, 1) ? 2 : lim; /* some int32 rows among int64 ones */
    wabsv[o] = 0;
    for (int k = 0; k < K; k++) {
      int v = uni(-wl, wl - 1);
      wb[p.g.transpose ? k * Nn + o : o * K + k] = (int16_t)v;
      wabsv[o] += v < 0 ? -v : v;
    }
  }
  for (int o = 0; o < Nn; o++) biasv[o] = (int64_t)uni(-lim, lim) * uni(-lim, lim);
  p.w = wb, p.bias = biasv;
  p.wabs = uni(0, 1) ? wabsv : NULL;
  int ab = 2 * (bits - 1);
  while ((1 << (ab - 2 * (bits - 1))) < K) ab++;
  rand_outq(&p.q, Nn, ab, bits);
  rt_fx_tensor b = {shape2(M, K), xb};
  rt_fx_tensor t = {shape2(M, Nn), yb};
  rt_fx_args a = {1, 1, &b, &t};
  rt_fx_ip(&p, &a);
  for (int m = 0; m < M; m++)
    for (int o = 0; o < Nn; o++) {
      int64_t acc = biasv[o];
      for (int k = 0; k < K; k++)
        acc += (int64_t)xb[m * K + k] * (p.g.transpose ? wb[k * Nn + o] : wb[o * K + k]);
      int16_t r = ref_outq1(&p.q, o, acc);
      if (yb[m * Nn + o] != r) {
        printf("FAIL ip case %d: M%d K%d N%d transpose%d relu%d bits%d wabs%d: output %d,%d "
               "is %d, reference %d\n",
               id, M, K, Nn, p.g.transpose, p.q.relu, bits, p.wabs != NULL, m, o,
               yb[m * Nn + o], r);
        return 1;
      }
    }
  return 0;
}

/* One random call of fx_ip_pick's dot products (on ARM the NEON ones)
 * against int64 sums: n = 1..FX_IP_R rows, K with every remainder mod 8,
 * int32 (codes whose sums cannot wrap) and wide (int16 extremes,
 * -32768 * -32768 included, sums beyond int32).  Returns 1 on a
 * difference. */
static int ip_dot_case(int id) {
  fx_ip_fn *dot = fx_ip_pick();
  if (!dot) return 0;
  int n = uni(1, FX_IP_R), K = uni(1, 300);
  bool wide = uni(0, 1);
  int lim = wide ? 32768 : 128;
  for (int k = 0; k < K; k++) xb[k] = (int16_t)(uni(0, 3) ? uni(-lim, lim - 1) : -lim);
  for (int i = 0; i < n * K; i++) wb[i] = (int16_t)(uni(0, 3) ? uni(-lim, lim - 1) : -lim);
  int64_t acc[FX_IP_R];
  dot(xb, wb, K, n, wide, acc);
  for (int i = 0; i < n; i++) {
    int64_t r = 0;
    for (int k = 0; k < K; k++) r += (int64_t)xb[k] * wb[i * K + k];
    if (acc[i] != r) {
      printf("FAIL ip dot case %d: n%d K%d wide%d: row %d is %lld, reference %lld\n", id, n,
             K, wide, i, (long long)acc[i], (long long)r);
      return 1;
    }
  }
  return 0;
}

/* One random Eltwise SUM of two inputs; returns 1 when rt_fx_eltwise
 * differs from clamp(rsh(x0 * M0 + x1 * M1, shift)). */
static int elt_case(int id) {
  int cnt = uni(1, 3000);
  rt_fx_eltwise_param p;
  memset(&p, 0, sizeof p);
  p.op = RT_ELT_SUM, p.n = 2, p.shift = uni(1, 40);
  p.M[0] = (int32_t)(rnd() >> 1) * (uni(0, 1) ? 1 : -1), p.M[1] = (int32_t)(rnd() >> 1);
  p.qmin = -128, p.qmax = uni(0, 1) ? 127 : 32767;
  for (int i = 0; i < 2 * cnt; i++) xb[i] = (int16_t)uni(-32768, 32767);
  rt_fx_tensor b[2] = {{shape2(1, cnt), xb}, {shape2(1, cnt), xb + cnt}};
  rt_fx_tensor t = {shape2(1, cnt), yb};
  rt_fx_args a = {2, 1, b, &t};
  rt_fx_eltwise(&p, &a);
  for (int j = 0; j < cnt; j++) {
    int64_t v = rt_fx_rshift((int64_t)xb[j] * p.M[0] + (int64_t)xb[cnt + j] * p.M[1], p.shift);
    int16_t r = (int16_t)(v < p.qmin ? p.qmin : v > p.qmax ? p.qmax : v);
    if (yb[j] != r) {
      printf("FAIL eltwise case %d: shift %d M %d %d: output %d is %d, reference %d\n", id,
             p.shift, p.M[0], p.M[1], j, yb[j], r);
      return 1;
    }
  }
  return 0;
}

/* One random standalone ReLU map (rt_fx_relu: arm/rt_fx_elem_neon.c on
 * ARM): x >= 0 requantized with (M, sh), x < 0 with (Mn, shn), shifts
 * from -2 (none) to 63, Mn 0 (ReLU) or not (leaky), in place or not;
 * returns 1 when an output differs from rt_fx_requant. */
static int relu_case(int id) {
  int n = uni(1, 3000);
  rt_fx_relu_param p;
  p.M = (int32_t)(rnd() >> uni(1, 31)) * (uni(0, 5) ? 1 : -1);
  p.Mn = uni(0, 2) ? (int32_t)(rnd() >> uni(1, 31)) * (uni(0, 1) ? 1 : -1) : 0;
  p.sh = (int8_t)uni(-2, 63), p.shn = uni(0, 1) ? p.sh : (int8_t)uni(-2, 63);
  p.qmin = uni(0, 3) ? -128 : uni(-32768, 0), p.qmax = uni(0, 1) ? 127 : uni(p.qmin, 32767);
  for (int i = 0; i < n; i++) xb[i] = (int16_t)uni(-32768, 32767);
  int16_t *y = uni(0, 1) ? xb + 3000 : yb;
  if (y != yb) memcpy(y, xb, (size_t)n * sizeof *y);
  rt_fx_tensor b = {shape2(1, n), y != yb ? y : xb}, t = {shape2(1, n), y};
  rt_fx_args a = {1, 1, &b, &t};
  rt_fx_relu(&p, &a);
  for (int j = 0; j < n; j++) {
    int16_t r = (int16_t)(xb[j] >= 0 ? rt_fx_requant(xb[j], p.M, p.sh, p.qmin, p.qmax)
                                     : rt_fx_requant(xb[j], p.Mn, p.shn, p.qmin, p.qmax));
    if (y[j] != r) {
      printf("FAIL relu case %d: M %d sh %d Mn %d shn %d: output %d (x %d) is %d, reference %d\n",
             id, p.M, p.sh, p.Mn, p.shn, j, xb[j], y[j], r);
      return 1;
    }
  }
  return 0;
}

#ifdef RT_CONV_NEON
/* One random float tile of rt_conv_tile_f32 (arm/rt_conv_neon.c): mr
 * channels x nr positions, K in 1..300 (K % 4 tails), rows of X at random
 * offsets, with or without bias.  The reference adds the products in k
 * order as the kernel must: fmaf on AArch64, fmaf's rounded product and
 * sum under CHAI_STRICT_FP, both bit for bit; on ARMv7 (VMLA.F32: rounded
 * product and sum, denormals flushed) within 1e-6 of the sum of |terms|.
 * Returns 1 when an output is outside. */
static float fx[4096], fw[16 * 300], fb[16], facc[16 * 40];
static int32_t fkoff[300];
static double f32_worst;
static float frand(void) { return (float)((int)(rnd() % 2001u) - 1000) / 997.0f; }
static int f32_case(int id) {
  const int K = uni(1, 300), mr = uni(1, 12), nr = 8 * uni(1, 4), ldc = nr + uni(0, 3);
  const bool hasb = uni(0, 1);
  for (int i = 0; i < 4096; i++) fx[i] = frand();
  for (int i = 0; i < mr * K; i++) fw[i] = frand();
  for (int i = 0; i < mr; i++) fb[i] = frand();
  for (int k = 0; k < K; k++) fkoff[k] = uni(0, 4096 - nr);
  rt_conv_tile_f32(facc, ldc, fw, K, fx, fkoff, hasb ? fb : NULL, mr, nr);
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) {
      float ref = hasb ? fb[r] : 0.0f;
      double mag = fabs(ref);
      for (int k = 0; k < K; k++) {
        const float w = fw[r * K + k], x = fx[fkoff[k] + j];
#if defined(__aarch64__) && !defined(CHAI_STRICT_FP)
        ref = fmaf(w, x, ref);
#else
        const float prod = w * x;
        ref = ref + prod;
#endif
        mag += fabs((double)w * x);
      }
      const double d = fabs((double)facc[r * ldc + j] - ref);
#if defined(__aarch64__)
      const double tol = 0.0;
#else
      const double tol = 1e-6 * mag;
#endif
      if (d / (mag > 0 ? mag : 1) > f32_worst) f32_worst = d / (mag > 0 ? mag : 1);
      if (d > tol) {
        printf("FAIL float tile case %d: K %d mr %d nr %d: (%d, %d) is %.9g, reference %.9g\n", id, K,
               mr, nr, r, j, facc[r * ldc + j], ref);
        return 1;
      }
    }
  return 0;
}

/* One random float InnerProduct block of rt_ip_blk32_f32
 * (arm/rt_ip_neon.c): 32 outputs, K in 1..300 (K % 4 tails), weight rows
 * 32 to 100 floats apart, acc set to a random bias or 0; or the rows of
 * rt_ip_row_t_f32 (nout 32..100, sums from 0, then + bias); the reference and tolerance of f32_case (fmaf in k
 * order on AArch64, rounded product and sum under CHAI_STRICT_FP, both
 * bit for bit; ARMv7 within 1e-6 of the sum of |terms|).  Returns 1 when
 * an output is outside. */
static float fwi[300 * 100], fai[100], f0i[100];
static int ip_f32_case(int id) {
  const int K = uni(1, 300);
  const bool hasb = uni(0, 1), rows = uni(0, 1);
  /* the block (ldw 32 as the generated C, or more) or rt_ip_row_t_f32
   * (ldw = nout: the 32-output blocks it returns, then + bias) */
  const int ldw = rows ? uni(32, 100) : uni(0, 1) ? 32 : uni(32, 100);
  int nj = 32;
  for (int k = 0; k < K; k++) fx[k] = frand();
  for (int i = 0; i < K * ldw; i++) fwi[i] = frand();
  for (int j = 0; j < ldw; j++) f0i[j] = hasb ? frand() : 0.0f;
  if (rows) {
    nj = rt_ip_row_t_f32(fx, fwi, hasb ? f0i : NULL, fai, ldw, K);
    if (nj != ldw / 32 * 32) {
      printf("FAIL float ip rows case %d: nout %d, %d outputs done\n", id, ldw, nj);
      return 1;
    }
  } else {
    memcpy(fai, f0i, sizeof fai);
    rt_ip_blk32_f32(fai, fx, fwi, K, ldw);
  }
  for (int j = 0; j < nj; j++) {
    float ref = rows ? 0.0f : f0i[j];
    double mag = fabs(f0i[j]);
    for (int k = 0; k < K; k++) {
      const float w = fwi[k * ldw + j], x = fx[k];
#if defined(__aarch64__) && !defined(CHAI_STRICT_FP)
      ref = fmaf(x, w, ref);
#else
      const float prod = x * w;
      ref = ref + prod;
#endif
      mag += fabs((double)w * x);
    }
    if (rows && hasb) ref = ref + f0i[j];
    const double d = fabs((double)fai[j] - ref);
#if defined(__aarch64__)
    const double tol = 0.0;
#else
    const double tol = 1e-6 * mag;
#endif
    if (d / (mag > 0 ? mag : 1) > f32_worst) f32_worst = d / (mag > 0 ? mag : 1);
    if (d > tol) {
      printf("FAIL float ip case %d: K %d ldw %d rows %d bias %d: output %d is %.9g, reference "
             "%.9g\n", id, K, ldw, rows, hasb, j, fai[j], ref);
      return 1;
    }
  }
  return 0;
}

/* One random MAX pooling of rt_pool_max_f32 (arm/rt_pool_neon.c): window
 * 1..4, stride 1..3, padding below the window, inputs with ties and
 * signed zeros; returns 1 when an output differs (bit for bit) from the
 * portable loop of templates/c/pool.lua. */
static float py[4096];
static int pool_case(int id) {
  rt_pool_dims d;
  d.KH = uni(1, 4), d.KW = uni(1, 4), d.SH = uni(1, 3), d.SW = uni(1, 3);
  d.PH = uni(0, d.KH - 1), d.PW = uni(0, d.KW - 1);
  d.H = uni(d.KH, 24), d.W = uni(d.KW, 40);
  d.OH = (d.H + 2 * d.PH - d.KH + d.SH - 1) / d.SH + 1, d.OW = (d.W + 2 * d.PW - d.KW + d.SW - 1) / d.SW + 1;
  if ((d.OH - 1) * d.SH >= d.H + d.PH) d.OH--;
  if ((d.OW - 1) * d.SW >= d.W + d.PW) d.OW--;
  const int nc = uni(1, 3);
  for (int i = 0; i < nc * d.H * d.W; i++) fx[i] = uni(0, 7) ? (float)uni(-4, 4) * 0.5f : -0.0f;
  rt_pool_max_f32(fx, py, nc, &d);
  for (int p = 0; p < nc; p++)
    for (int oh = 0; oh < d.OH; oh++)
      for (int ow = 0; ow < d.OW; ow++) {
        int h0 = oh * d.SH - d.PH, w0 = ow * d.SW - d.PW;
        int h1 = h0 + d.KH < d.H ? h0 + d.KH : d.H, w1 = w0 + d.KW < d.W ? w0 + d.KW : d.W;
        if (h0 < 0) h0 = 0;
        if (w0 < 0) w0 = 0;
        float m = -FLT_MAX;
        for (int ih = h0; ih < h1; ih++)
          for (int iw = w0; iw < w1; iw++)
            if (fx[(p * d.H + ih) * d.W + iw] > m) m = fx[(p * d.H + ih) * d.W + iw];
        const float got = py[(p * d.OH + oh) * d.OW + ow];
        if (memcmp(&got, &m, sizeof m)) {
          printf("FAIL max pool case %d: %dx%d k %dx%d s %dx%d p %dx%d: (%d, %d, %d) is %g, reference %g\n",
                 id, d.H, d.W, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, p, oh, ow, got, m);
          return 1;
        }
      }
  return 0;
}
#endif

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 400, bad = 0;
  for (int i = 0; i < n; i++) bad += conv_case(i);
  for (int i = 0; i < 2 * n; i++) bad += dw_case(i);
  for (int i = 0; i < n / 2; i++) bad += ip_case(i);
  for (int i = 0; i < n; i++) bad += ip_dot_case(i);
#if FX_NEON
  if (fx_ip_pick() != fx_neon_ip_dot) {
    printf("FAIL: fx_ip_pick is not the NEON InnerProduct on this target\n");
    bad++;
  }
#endif
  for (int i = 0; i < n / 2; i++) bad += elt_case(i);
  for (int i = 0; i < n / 2; i++) bad += relu_case(i);
#ifdef RT_CONV_NEON
  for (int i = 0; i < n / 2; i++) bad += f32_case(i);
  for (int i = 0; i < n / 2; i++) bad += ip_f32_case(i);
  for (int i = 0; i < n / 2; i++) bad += pool_case(i);
  printf("float tile and InnerProduct block: %d + %d cases, worst |error| / sum |terms| %.3g; "
         "max pool: %d cases; ",
         n / 2, n / 2, f32_worst, n / 2);
#endif
  printf("%s: %d conv, %d depthwise (%d through NEON), %d InnerProduct (+%d dot-product "
         "kernel), %d Eltwise and %d ReLU cases, %d failed\n",
         bad ? "FAIL" : "ok", n, 2 * n, dw_neon, n / 2, fx_ip_pick() ? n : 0, n / 2, n / 2, bad);
  return bad != 0;
}
