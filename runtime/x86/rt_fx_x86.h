/* x86/rt_fx_x86.h - internal header of the x86 paths of the fixed-point
 * multiply-accumulate kernels (x86/rt_fx_*_{sse2,avx2,avx512,vnni}.c):
 * the GEMM's packing geometry and context, the AVX-512 output stage in
 * registers, and the entry points that rt_fx_out.c and the dispatch
 * (rt_fx_cpu.c) call.  SSE2 is the x86-64 baseline; the AVX2 and AVX-512
 * (F, BW, VL, VNNI) functions carry target attributes and run only at the
 * SIMD level that allows them.  On other targets (FX_AVX2 == 0, no
 * __SSE2__) this header declares nothing and the x86 files are empty. */
#ifndef RT_FX_X86_H
#define RT_FX_X86_H

#include "../rt_fx_dw.h"

#if FX_AVX2
/* ---- Output stage (rt_fx_out_avx2.c, rt_fx_out_avx512.c) ---- */

/* fx_outq32 for 8 accumulators at a time when relu != LEAKY and
 * 32 <= sh <= 63; returns how many were done (a multiple of 16). */
FX_TARGET_AVX2 int64_t fx_outq32_avx2(const rt_fx_outq *q, int c, const int32_t *acc,
                                      int16_t *y, int64_t n);
/* fx_outq32 with AVX-512 when outq_512_ok; returns how many were done. */
FX_TARGET_AVX512 int64_t fx_outq32_512(const rt_fx_outq *q, int c, const int32_t *acc,
                                       int16_t *y, int64_t n);
/* fx_maxabs with AVX2. */
FX_TARGET_AVX2 int64_t fx_maxabs_avx2(const int16_t *x, int64_t n);
/* fx_sumabs for ws == 1 with AVX2; returns how many were summed into *s. */
FX_TARGET_AVX2 int64_t fx_sumabs_avx2(const int16_t *w, int64_t n, int64_t *s);

/* rt_fx_requant's direct branch on 16 int32 lanes, clamped (see
 * rt_fx_out_avx512.c). */
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
#endif

#if defined(__SSE2__)
/* ---- Convolution as a packed integer GEMM (rt_fx_gemm_sse2.c) ---- */
#define GM_PB 32   /* positions per panel */
#define GM_KB 1024 /* k per panel (even) */
#define GM_OB 128  /* output channels per accumulator block */

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
  int lvl;             /* SIMD level (rt_fx_simd_level) */
} gm_ctx;

/* acc[t][0, GM_PB) += the weight rows wr[t] (row length K, from k0)
 * times the panel of rows [k0, k1); one function per tile height. */
typedef void gm_tile_fn(int32_t *acc, const int16_t *const *wr,
                        const int16_t *panel, int k0, int k1, int K);

/* Packs im2col rows [k0, k1) for positions [p0, p0 + np) of the group
 * input xg in pairs (rt_fx_pack_sse2.c). */
void fx_gm_pack(int16_t *panel, const int16_t *xg, const conv_geo *cg, int k0, int k1, int p0,
                int np);
/* One group of an int32-exact Convolution: output channels
 * [o0, o0 + opg), output rows [ra, rb) of image yn from the group's input
 * planes xg (fx_gemm_fn). */
void fx_gm_conv(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg, int o0,
                int ra, int rb, int16_t *yn, int lvl);
#endif

#if FX_AVX2
/* ---- GEMM tiles and blocks (rt_fx_gemm_avx2.c, _avx512.c, _vnni.c) ---- */
FX_TARGET_AVX2 gm_tile_fn fx_gm_tile4_avx2, fx_gm_tile1_avx2;
FX_TARGET_AVX512 gm_tile_fn fx_gm_tile4_512, fx_gm_tile1_512;

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

/* A tile of channels o.. over one packed block, codes to res (gm_blocks).
 * GM_FTILES makes name8, name4, name2 and name1: body with the number of
 * channels fixed, so that its loops unroll. */
typedef void gm_ftile(int16_t *res, const gm_ctx *x, const void *panel, int o);
#define GM_FTILES(name, body)                                                           \
  FX_TARGET_AVX512 void name##8(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(8, r, x, pv, o);                                                               \
  }                                                                                     \
  FX_TARGET_AVX512 void name##4(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(4, r, x, pv, o);                                                               \
  }                                                                                     \
  FX_TARGET_AVX512 void name##2(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(2, r, x, pv, o);                                                               \
  }                                                                                     \
  FX_TARGET_AVX512 void name##1(int16_t *r, const gm_ctx *x, const void *pv, int o) { \
    body(1, r, x, pv, o);                                                               \
  }
/* gm_fused_512 (int16 pairs, rt_fx_gemm_avx512.c) and gi_tile_512 (int8,
 * rt_fx_gemm_vnni.c) with nt = 8, 4, 2, 1. */
FX_TARGET_AVX512 gm_ftile fx_gm_fused8, fx_gm_fused4, fx_gm_fused2, fx_gm_fused1;
FX_TARGET_AVX512 gm_ftile fx_gi_tile8, fx_gi_tile4, fx_gi_tile2, fx_gi_tile1;

/* gm_run with the output stage in registers (AVX-512, the whole K in one
 * panel, outq_512_ok for every channel) for positions [pa, pb); i8: the
 * int8 path (x->w8). */
FX_TARGET_AVX512 void fx_gm_blocks(const gm_ctx *x, int pa, int pb, int o0, bool i8);
/* d[j] = x[2j] for the first j < n it returns (AVX-512). */
FX_TARGET_AVX512 int fx_gather2_512(int16_t *d, const int16_t *x, int n);

/* The int8 path (rt_fx_gemm_vnni.c) */
#define GI_W8 65536 /* bytes of int8 weights */
#define GI_OPG 2048 /* channels */
/* True (w8, acc0, K4 set: the layer's own copy from rt_fx_conv_pack8, or
 * one made in buf8/buf0 for channels [o0, o0 + opg)) when the group takes
 * the int8 path at level lvl for the output rows [ra, rb): only the input
 * rows those read are checked, so a thread's part scans its own band. */
bool fx_gi_prepare(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg, int o0,
                   int ra, int rb, int8_t *buf8, int32_t *buf0, const int8_t **w8,
                   const int32_t **acc0, int *K4p, int lvl);
/* Packs rows [0, K4) of positions [q0, q0 + GM_PB) of the band as bytes
 * x + 128, four rows per lane. */
FX_TARGET_AVX512 void fx_gi_pack(uint8_t *panel, const gm_ctx *x, int K, int K4, int q0);

/* ---- Depthwise (rt_fx_dw_avx2.c, rt_fx_dw_avx512.c) ---- */
FX_TARGET_AVX2 fx_dw_fn fx_dwf_conv_avx2, fx_dw_conv_avx2, fx_dwm_conv_avx2;
FX_TARGET_AVX512 fx_dw_fn fx_dwm_conv_512, fx_dwp_conv_512;
#endif

#endif
