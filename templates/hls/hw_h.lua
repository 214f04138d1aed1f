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
  if t.PB > 8 then -- the wide ports' beat (lane k: byte k % 8 of w[k / 8])
    s[#s + 1] = ("/* One %d-bit m_axi beat: byte k is byte k %% 8 of w[k / 8]. */\ntypedef struct {\n  uint64_t w[%d];\n} %s;\n\n"):format(
        8 * t.PB, t.PB // 8, t.bt)
  end
  for _, g in ipairs(t.segs) do
    if g.wideport then -- the wide ports: the same memories as fm / wts, PB bytes a beat
      s[#s + 1] = ("/* segment %d: %s */\nvoid %s(int8_t *fm, const int8_t *wts, %s *%s, const %s *%s);\n"):format(
          g.k, g.layers, g.top, t.bt, t.pfm, t.bt, t.pwts)
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
