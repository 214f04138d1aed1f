-- unit.lua - one source file of fixed-point layer functions: a hardware
-- segment (<net>_seg<k>.c: the layer functions plus the synthesizable top
-- function with its interface pragmas) or the fixed-point layers placed in
-- software (<net>_swfx.c: the same functions, called by the host).
local clib = import("c/lib")
local lib = import("hls/lib")

function render(t)
  local s = {clib.provenance(t, "c")}
  if t.top then
    s[#s + 1] = ("/* Hardware segment %d: %s.\n * Synthesizable C (docs/hls.md): top function %s. */\n"):format(t.seg, t.layers, t.top)
  else
    s[#s + 1] = "/* Fixed-point layers placed in software: the same integer code as the\n * hardware segments, run by the host. */\n"
  end
  s[#s + 1] = ('#include <stdint.h>\n\n#include "chai_fx.h"\n#include "%s_hw.h"\n\n'):format(t.base)
  -- loop labels name loops for the HLS tools (directives, reports); C
  -- compilers see them as unused labels
  s[#s + 1] = '#pragma GCC diagnostic ignored "-Wunused-label"\n\n'
  s[#s + 1] = t.funcs
  if t.top then
    if t.wideport then
      -- the wide ports (beats of type bt): the same memories as fm and wts
      s[#s + 1] = ("\nvoid %s(int8_t *fm, const int8_t *wts, %s *%s, const %s *%s) {\n"):format(t.top, t.bt, t.pfm,
          t.bt, t.pwts)
    else
      s[#s + 1] = ("\nvoid %s(int8_t *fm, const int8_t *wts) {\n"):format(t.top)
    end
    s[#s + 1] = lib.pragma("", ("INTERFACE m_axi port=fm offset=slave bundle=gmem0 depth=%d"):format(t.fm_size))
    s[#s + 1] = lib.pragma("", ("INTERFACE m_axi port=wts offset=slave bundle=gmem1 depth=%d"):format(t.wts_size))
    if t.wideport then
      s[#s + 1] = lib.pragma("", ("INTERFACE m_axi port=%s offset=slave bundle=gmem2 depth=%d"):format(t.pfm, t.fm_beats))
      s[#s + 1] = lib.pragma("", ("INTERFACE m_axi port=%s offset=slave bundle=gmem3 depth=%d"):format(t.pwts, t.wts_beats))
      if t.PB > 8 then -- the beat struct as one bus word (UG902 DATA_PACK)
        s[#s + 1] = lib.pragma("", ("DATA_PACK variable=%s"):format(t.pfm))
        s[#s + 1] = lib.pragma("", ("DATA_PACK variable=%s"):format(t.pwts))
      end
    end
    s[#s + 1] = lib.pragma("", "INTERFACE s_axilite port=fm bundle=control")
    s[#s + 1] = lib.pragma("", "INTERFACE s_axilite port=wts bundle=control")
    if t.wideport then
      s[#s + 1] = lib.pragma("", ("INTERFACE s_axilite port=%s bundle=control"):format(t.pfm))
      s[#s + 1] = lib.pragma("", ("INTERFACE s_axilite port=%s bundle=control"):format(t.pwts))
    end
    s[#s + 1] = lib.pragma("", "INTERFACE s_axilite port=return bundle=control")
    if t.wideport then s[#s + 1] = "  (void)fm;\n" end
    if t.wideport and not t.eng_wideport then s[#s + 1] = ("  (void)%s;\n"):format(t.pwts) end
    if not t.uses_wts then s[#s + 1] = "  (void)wts;\n" end
    s[#s + 1] = t.calls
    s[#s + 1] = "}\n"
  end
  return table.concat(s)
end
