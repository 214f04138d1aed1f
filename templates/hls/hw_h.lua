-- hw_h.lua - <net>_hw.h: the hardware segments' interface (shared by the
-- HLS sources, the testbenches and the host driver).
local clib = import("c/lib")

function render(t)
  local P = t.PREFIX
  local s = {clib.provenance(t, "c")}
  s[#s + 1] = ([[
#ifndef %s_HW_H
#define %s_HW_H

#include <stdint.h>

/* Feature-map memory (8-bit codes at fixed offsets) and the weights read
 * over AXI (<net>_hw_weights.bin), in bytes. */
#define %s_FM_SIZE %d
#define %s_WTS_SIZE %d
#define %s_NUM_SEGMENTS %d

]]):format(P, P, P, t.fm_size, P, t.wts_size, P, #t.segs)
  for _, g in ipairs(t.segs) do
    if g.w64 then -- fm64 / wts64: the same memories as fm / wts, 8 bytes a beat
      s[#s + 1] = ("/* segment %d: %s */\nvoid %s(int8_t *fm, const int8_t *wts, uint64_t *fm64, const uint64_t *wts64);\n"):format(
          g.k, g.layers, g.top)
    else
      s[#s + 1] = ("/* segment %d: %s */\nvoid %s(int8_t *fm, const int8_t *wts);\n"):format(g.k, g.layers, g.top)
    end
  end
  s[#s + 1] = [[

#ifdef CHAI_HLS_COUNT
#include <stdio.h>
/* The access count's per-loop table (chai_fx.h, docs/hls.md). */
void chai_hls_count_report(FILE *out);
#endif
]]
  s[#s + 1] = "\n#endif\n"
  return table.concat(s)
end
