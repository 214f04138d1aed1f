/* fx_fast_common.h - helpers of the fast integer kernel tests
 * (test_fixed_fast.c: Convolution, Deconvolution, InnerProduct;
 * test_fixed_fast_elem.c: Pooling, the element-wise stages,
 * requantization): random layers and codes from a fixed xorshift seed,
 * and the comparison of a fast kernel, on every SIMD level the CPU has,
 * with its reference loop.  Each test binary includes it once. */
#ifndef CHAI_FX_FAST_COMMON_H
#define CHAI_FX_FAST_COMMON_H

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_fixed.h"

#define D4(t, i) rt_shape_dim4(&(t)->s, (i))
#define IDENT(M, sh) ((M) == RT_FX_ONE_M && (sh) == RT_FX_ONE_SH)

static inline int16_t sat16(int64_t v, int32_t lo, int32_t hi) {
  return (int16_t)(v < lo ? lo : v > hi ? hi : v);
}

/* ---- random layers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static inline uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* Uniform integer in [lo, hi]. */
static inline int64_t ri(int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)(hi - lo) + 1;
  uint64_t r = ((uint64_t)rnd() << 32) | rnd();
  return lo + (int64_t)(r % span);
}

static inline int rbw(void) {
  static const int bws[] = {6, 8, 8, 16};
  return bws[ri(0, 3)];
}

/* Codes: mostly in the format's range, sometimes extremes only, sometimes
 * the full int16 range; zero with probability pz percent. */
static inline void rcodes(int16_t *d, int64_t n, int bw, bool sym, int pz) {
  int32_t lo = rt_fx_qmin(bw, sym), hi = rt_fx_qmax(bw);
  int mode = (int)ri(0, 9);
  for (int64_t i = 0; i < n; i++) {
    int64_t v;
    if (ri(0, 99) < pz)
      v = 0;
    else if (mode == 0)
      v = ri(0, 1) ? lo : hi;
    else if (mode == 1)
      v = ri(INT16_MIN, INT16_MAX);
    else
      v = ri(lo, hi);
    d[i] = (int16_t)v;
  }
}

/* Output stage: random multipliers, ReLU kind, output range. */
static inline void routq(rt_fx_outq *q, int nout, int32_t *M, int8_t *sh,
                         int32_t *Mn, int8_t *shn) {
  int relu = (int)ri(0, 2);
  double slope = (double)ri(-100, 100) / 100.0;
  int bw = rbw();
  for (int c = 0; c < nout; c++) {
    double m = ldexp(1.0 + (double)ri(0, 1000) / 1000.0, (int)ri(-24, 3));
    if (ri(0, 9) == 0) m = ldexp(1.0, (int)ri(-12, 0));
    rt_fx_multiplier(m, &M[c], &sh[c]);
    rt_fx_multiplier(m * slope, &Mn[c], &shn[c]);
  }
  q->M = M;
  q->sh = sh;
  q->Mn = relu == RT_FX_LEAKY ? Mn : NULL;
  q->shn = relu == RT_FX_LEAKY ? shn : NULL;
  q->relu = relu;
  q->qmin = rt_fx_qmin(bw, ri(0, 1));
  q->qmax = rt_fx_qmax(bw);
}

static inline int64_t *rbias(int64_t *b, int nout) {
  int mode = (int)ri(0, 3);
  if (mode == 0) return NULL;
  for (int c = 0; c < nout; c++)
    b[c] = mode == 1 ? ri(-1000, 1000)
         : mode == 2 ? ri(-(INT64_C(1) << 20), INT64_C(1) << 20)
                     : ri(-(INT64_C(1) << 40), INT64_C(1) << 40);
  return b;
}

static inline int16_t *xalloc(int64_t n) {
  int16_t *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  ck_assert_ptr_nonnull(p);
  return p;
}

/* The SIMD paths of the fast kernels to compare (rt_fx_simd values): 0
 * (SSE2 / portable) always, 1 (AVX2) and 2 (AVX-512 BW/VL/VNNI) when the
 * CPU has them (rt_fx_simd_level says what a request resolves to). */
static inline int simd_modes(int *m) {
  int n = 0;
  for (int lv = 0; lv <= 2; lv++) {
    rt_fx_simd = lv;
    if (rt_fx_simd_level() == lv) m[n++] = lv;
  }
  rt_fx_simd = -1;
  return n;
}

/* Runs the fast kernel (once per SIMD path) and the reference kernel on the
 * same operands; 1 when every fast result equals the reference. */
static inline int same(rt_fx_kernel_fn fast, rt_fx_kernel_fn ref,
                       const void *p, rt_fx_tensor b, rt_shape ts) {
  int64_t n = rt_shape_count(&ts);
  rt_fx_tensor t1 = {ts, xalloc(n)}, t2 = {ts, xalloc(n)};
  memset(t2.d, 0x33, (size_t)n * 2);
  rt_fx_args a1 = {1, 1, &b, &t1}, a2 = {1, 1, &b, &t2};
  ref(p, &a2);
  int modes[3], nm = simd_modes(modes), eq = 1;
  for (int i = 0; i < nm && eq; i++) {
    memset(t1.d, 0x55, (size_t)n * 2);
    rt_fx_simd = modes[i];
    fast(p, &a1);
    eq = n == 0 || !memcmp(t1.d, t2.d, (size_t)n * 2);
    if (!eq) fprintf(stderr, "rt_fx_simd = %d differs from the reference\n", modes[i]);
  }
  rt_fx_simd = -1;
  free(t1.d);
  free(t2.d);
  return eq;
}

#endif
