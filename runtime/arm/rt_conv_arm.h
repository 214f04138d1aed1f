/* arm/rt_conv_arm.h - the float kernels of the generated C on ARM NEON:
 * the convolution tile (arm/rt_conv_neon.c), the InnerProduct block
 * (arm/rt_ip_neon.c) and MAX pooling (arm/rt_pool_neon.c).  The
 * generated convolution, InnerProduct and pooling call them
 * in place of their own loops when CHAI_NEON_F32 (templates/c/net.lua):
 * AArch64, and ARMv7 NEON unless CHAI_STRICT_FP.  Elsewhere this header
 * declares nothing and the file is empty. */
#ifndef RT_CONV_ARM_H
#define RT_CONV_ARM_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__GNUC__) && defined(__ARM_NEON) && (defined(__aarch64__) || defined(__arm__))
#define RT_CONV_NEON 1
/* acc[r * ldc + j] = bias[r] + sum over k = 0..K-1 in order of
 * w[r * K + k] * xs[koff[k] + j], for r < mr and j < nr (nr a multiple of
 * 8; bias NULL: 0).  One multiply-accumulate per k: FMLA (fused) on
 * AArch64, VMLA.F32 (NEON: rounded product, flush to zero) on ARMv7; with
 * CHAI_STRICT_FP on AArch64 a rounded product then a rounded sum, the
 * x86 roundings.  The result of an output depends on its (r, j) inputs
 * only, never on mr, nr or the caller's thread. */
void rt_conv_tile_f32(float *acc, int ldc, const float *w, int K, const float *xs,
                      const int32_t *koff, const float *bias, int mr, int nr);

/* acc[j] += x[k] * w[k * ldw + j] for k = 0..K-1 in order, j < 32 (the
 * caller sets acc to the bias; ldw >= 32): the block of 32 outputs of
 * the generated InnerProduct (templates/c/ip.lua, ldw 32), with its
 * loop's roundings: one multiply-accumulate per k as rt_conv_tile_f32
 * (arm/rt_ip_neon.c). */
void rt_ip_blk32_f32(float *acc, const float *x, const float *w, int K, int ldw);
/* rt_ip_f32's transposed rows (rt_ip.c's ip_row_t: w K x nout,
 * y[j] = (0 + sum over k in order of x[k] * w[k][j]) + bias[j], the
 * bias added only when given) for the outputs j < the returned multiple
 * of 32; the rest is the caller's. */
int rt_ip_row_t_f32(const float *x, const float *w, const float *bias, float *y, int nout,
                    int K);

/* The sizes of a pooling layer: input H x W, output OH x OW, window
 * KH x KW, strides, padding (Caffe's windows). */
typedef struct rt_pool_dims {
  int H, W, OH, OW, KH, KW, SH, SW, PH, PW;
} rt_pool_dims;

/* MAX pooling of nc planes x (H x W) into y (OH x OW each): every output
 * is m = -FLT_MAX, then m = v > m ? v : m over its window clipped to the
 * input, in row order: the values of the portable loop, bit for bit
 * (arm/rt_pool_neon.c). */
void rt_pool_max_f32(const float *x, float *y, int nc, const rt_pool_dims *d);
#endif

#endif
