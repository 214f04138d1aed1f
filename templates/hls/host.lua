-- host.lua - declarations for the host program (<net>.c) of a quantized
-- net: the code memories, the float <-> code boundary conversions (the
-- simulator's rules, through the runtime's rt_fx_quantize1), the HLS
-- sources of the fixed-point layers and the hardware driver.

-- The code arenas: one of each, or with t.slots > 1 (pipelined frames)
-- t.slots copies (rows of whole 64-byte lines) and pointers to the current
-- one, set by fx_slot(k).
local function arenas(t)
  if t.slots <= 1 then
    return (t.any_wideport and
      ("static _Alignas(64) uint64_t fx64[%d] __attribute__((unused)); /* the engine's 64-bit view */\n#define fx8 ((int8_t *)fx64)"):format(t.n64) or
      ("static _Alignas(64) int8_t fx8[%d] __attribute__((unused));"):format(t.n8)) ..
      ("\nstatic _Alignas(64) int16_t fx16[%d] __attribute__((unused));"):format(t.n16)
  end
  local s = {("/* Pipelined frames: one copy of the code memories per frame in flight\n" ..
              " * (%d stages); fx_slot(k) points the calling thread's pointers at copy k. */"):format(t.slots)}
  if t.any_wideport then
    s[#s + 1] = ("static _Alignas(64) uint64_t fx64_slot[%d][%d]; /* the engine's 64-bit view */"):format(t.slots, t.slot_n64)
    s[#s + 1] = "static _Thread_local uint64_t *fx64 = fx64_slot[0];\n#define fx8 ((int8_t *)fx64)"
  else
    s[#s + 1] = ("static _Alignas(64) int8_t fx8_slot[%d][%d];"):format(t.slots, t.slot_n8)
    s[#s + 1] = "static _Thread_local int8_t *fx8 = fx8_slot[0];"
  end
  s[#s + 1] = ("static _Alignas(64) int16_t fx16_slot[%d][%d];"):format(t.slots, t.slot_n16)
  s[#s + 1] = "static _Thread_local int16_t *fx16 __attribute__((unused)) = fx16_slot[0];"
  s[#s + 1] = "static void fx_slot(int k) {"
  s[#s + 1] = t.any_wideport and "  fx64 = fx64_slot[k];" or "  fx8 = fx8_slot[k];"
  s[#s + 1] = "  fx16 = fx16_slot[k];\n}"
  return table.concat(s, "\n")
end

function render(t)
  local s = {}
  s[#s + 1] = ([[
/* ---- fixed point (templates/hls; docs/hls.md) ---- */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include <stdint.h>
#include "rt_fixed.h"

/* Codes of the quantized blobs: 8-bit ones in fx8 (the hardware segments'
 * feature-map memory), wider ones in fx16. */
%s

/* Boundaries, exactly as the simulator: q = clamp(RHA(x / s)), x = q * s
 * (the runtime's rt_fx_quantize / rt_fx_dequantize; 8-bit codes go through
 * an int16 chunk). */
static void __attribute__((unused)) fx_quantize8(const float *x, int8_t *y, long n, double s, int32_t lo, int32_t hi) {
  rt_fx_quant_param p = {s, lo, hi};
  int16_t t[256];
  for (long i = 0; i < n; i += 256) {
    long m = n - i < 256 ? n - i : 256;
    rt_fx_quantize(&p, x + i, t, m);
    for (long j = 0; j < m; j++) y[i + j] = (int8_t)t[j];
  }
}
static void __attribute__((unused)) fx_quantize16(const float *x, int16_t *y, long n, double s, int32_t lo, int32_t hi) {
  rt_fx_quant_param p = {s, lo, hi};
  rt_fx_quantize(&p, x, y, n);
}
static void __attribute__((unused)) fx_dequantize8(const int8_t *x, float *y, long n, double s) {
  rt_fx_quant_param p = {s, 0, 0};
  int16_t t[256];
  for (long i = 0; i < n; i += 256) {
    long m = n - i < 256 ? n - i : 256;
    for (long j = 0; j < m; j++) t[j] = x[i + j];
    rt_fx_dequantize(&p, t, y + i, m);
  }
}
static void __attribute__((unused)) fx_dequantize16(const int16_t *x, float *y, long n, double s) {
  rt_fx_quant_param p = {s, 0, 0};
  rt_fx_dequantize(&p, x, y, n);
}

#include "hls/%s_hw.h"
]]):format(arenas(t), t.base)
  if t.nwts > 0 then
    s[#s + 1] = ([[
/* Weights the hardware reads over AXI (hls/%s_hw_weights.bin). */
static const int8_t %s_hw_wts[%d] = {
#include "hls/%s_hw_weights.inc"
};
#define CHAI_HW_WTS %s_hw_wts
]]):format(t.base, t.prefix, t.nwts, t.base, t.prefix)
  else
    s[#s + 1] = ("static const int8_t %s_hw_wts[1] = {0};\n#define CHAI_HW_WTS %s_hw_wts\n"):format(t.prefix, t.prefix)
  end
  for i, top in ipairs(t.tops) do
    s[#s + 1] = ('#include "hls/%s_seg%d.c"\n'):format(t.base, i - 1)
  end
  if t.swfx then s[#s + 1] = ('#include "hls/%s_swfx.c"\n'):format(t.base) end
  s[#s + 1] = ([[

/* Hardware driver: runs segment k on the feature-map memory.  In this
 * build it calls the HLS top function directly (C simulation of the very
 * source that is synthesized); on a board it would pass fx8 and the
 * weights' physical addresses through the AXI-Lite registers, start the
 * accelerator and wait for it. */
static void __attribute__((unused)) %s_hw_run(int k) {
]]):format(t.prefix)
  if t.any_wideport then -- the weights as 64-bit words for the engines' wide wts port
    s[#s + 1] = ("  static uint64_t wts64[%d];\n  static int ready;\n"):format(t.nwts64)
    s[#s + 1] = "  if (!ready) memcpy(wts64, CHAI_HW_WTS, sizeof CHAI_HW_WTS), ready = 1;\n"
  end
  s[#s + 1] = "  switch (k) {\n"
  for i, top in ipairs(t.tops) do
    if t.wideport[i] ~= 0 then
      if t.PB > 8 then -- uint64_t words seen as beats (the struct of them)
        s[#s + 1] = ("  case %d: %s(fx8, CHAI_HW_WTS, (%s *)fx64, (const %s *)wts64); break;\n"):format(i - 1, top,
            t.bt, t.bt)
      else
        s[#s + 1] = ("  case %d: %s(fx8, CHAI_HW_WTS, fx64, wts64); break;\n"):format(i - 1, top)
      end
    else
      s[#s + 1] = ("  case %d: %s(fx8, CHAI_HW_WTS); break;\n"):format(i - 1, top)
    end
  end
  s[#s + 1] = "  default: break;\n  }\n}\n\n"
  return table.concat(s)
end
