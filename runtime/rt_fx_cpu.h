/* rt_fx_cpu.h - the dispatch of the fixed-point multiply-accumulate
 * kernels (rt_fx_cpu.c): which implementation of a path runs on this CPU
 * at the SIMD level rt_fx_simd_level (rt_fixed.h) gives.  Internal. */
#ifndef RT_FX_CPU_H
#define RT_FX_CPU_H

#include "rt_fx_dw.h"

/* One group of an int32-exact Convolution as an integer GEMM: output
 * channels [o0, o0 + opg), output rows [ra, rb) (0 <= ra < rb <= OH) of
 * image yn from the group's input planes xg.  It reads only the input
 * rows those output rows need and writes only their outputs, so callers
 * may run disjoint (channel, row) parts on different threads; integer
 * sums are exact, so any cut gives the same codes. */
typedef void fx_gemm_fn(const rt_fx_conv_param *p, const conv_geo *cg, const int16_t *xg,
                        int o0, int ra, int rb, int16_t *yn, int lvl);

/* The GEMM of this target (SSE2, NEON), NULL when it has none. */
fx_gemm_fn *fx_gemm_pick(void);
/* The depthwise kernel for output channel o of an int32-exact layer that
 * fx_dw_ok accepts; flat: fx_dwp_plan succeeded. */
fx_dw_fn *fx_dw_pick(const conv_geo *cg, bool flat, const rt_fx_outq *q, int o, int lvl);

/* The dot products of n (1..FX_IP_R) consecutive outputs of an
 * InnerProduct with N x K weights: acc[i] = sum over k < K of x[k] *
 * w[i*K + k], without the bias.  wide: in int64; else in int32, which
 * the caller proved cannot wrap (fits32s for every output of the call).
 * Exact integers, so the same values as the portable loop. */
#define FX_IP_R 8
typedef void fx_ip_fn(const int16_t *x, const int16_t *w, int64_t K, int n, bool wide,
                      int64_t *acc);
/* The InnerProduct dot products of this target (NEON), NULL when it has
 * none (the portable loop of rt_fx_ip.c, SSE2 on x86). */
fx_ip_fn *fx_ip_pick(void);

#endif
