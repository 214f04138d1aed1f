-- fxhost.lua - declarations of the all-software program of a quantized net
-- (`--target c`): the int16 code buffers, the float <-> code boundary
-- conversions and the code -> code requantization exactly as the simulator
-- (qsim.c) does them, then the fixed-point layer functions (c/fx).
--   n16    codes in the buffer memory;  funcs   the layer functions
function render(t)
  return ([[
/* ---- fixed point: the runtime's rt_fx_* kernels (docs/fixed-point.md) ---- */
#include <stdint.h>
#include "rt_fixed.h"

/* Codes of the quantized blobs and of the boundary conversions (int16, as
 * the runtime kernels take them), each at a fixed offset. */
static _Alignas(64) int16_t fx16[%d];

/* Boundaries, exactly as the simulator: q = clamp(RHA(x / s)), x = q * s
 * (the runtime's rt_fx_quantize / rt_fx_dequantize, SIMD where the CPU has it). */
static void __attribute__((unused)) fx_quantize16(const float *x, int16_t *y, long n, double s, int32_t lo, int32_t hi) {
  rt_fx_quant_param p = {s, lo, hi};
  rt_fx_quantize(&p, x, y, n);
}
static void __attribute__((unused)) fx_dequantize16(const int16_t *x, float *y, long n, double s) {
  rt_fx_quant_param p = {s, 0, 0};
  rt_fx_dequantize(&p, x, y, n);
}
/* Codes of one format to another: y = clamp(RHA(x * M * 2^-sh)), i.e.
 * rt_fx_requant's direct branch (the runtime's rt_fx_requant_codes). */
static void __attribute__((unused)) fx_requant16(const int16_t *x, int16_t *y, long n, int32_t M, int sh, int32_t lo, int32_t hi) {
  rt_fx_requant_codes(x, y, n, M, sh, lo, hi);
}
/* The same for planes x rows x width codes, split by rows over the
 * threads as the layers around it split theirs (rt_fx_requant_rows). */
static void __attribute__((unused)) fx_requant16_rows(const int16_t *x, int16_t *y, long planes, int rows, int width, int32_t M, int sh, int32_t lo, int32_t hi) {
  rt_fx_requant_rows(x, y, planes, rows, width, M, sh, lo, hi);
}

%s
]]):format(t.n16, t.funcs)
end
