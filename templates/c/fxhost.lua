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

/* Boundaries, exactly as the simulator: q = clamp(RHA(x / s)), x = q * s. */
static void __attribute__((unused)) fx_quantize16(const float *x, int16_t *y, long n, double s, int32_t lo, int32_t hi) {
  for (long i = 0; i < n; i++) y[i] = (int16_t)rt_fx_quantize1((double)x[i], s, lo, hi);
}
static void __attribute__((unused)) fx_dequantize16(const int16_t *x, float *y, long n, double s) {
  for (long i = 0; i < n; i++) y[i] = (float)((double)x[i] * s);
}
/* Codes of one format to another: y = clamp(RHA(x * M * 2^-sh)). */
static void __attribute__((unused)) fx_requant16(const int16_t *x, int16_t *y, long n, int32_t M, int sh, int32_t lo, int32_t hi) {
  for (long i = 0; i < n; i++) y[i] = (int16_t)rt_fx_requant(x[i], M, sh, lo, hi);
}

%s
]]):format(t.n16, t.funcs)
end
