-- fx_h.lua - hls/chai_fx.h: the provenance header, then the hand-written
-- kernel library templates/hls/chai_fx.h (t.body, read by emit_hls.c).
local clib = import("c/lib")

function render(t)
  return clib.provenance(t, "c") .. t.body
end
