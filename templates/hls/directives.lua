-- directives.lua - directives.tcl: sourced by run_hls.tcl in each
-- segment's solution (with $top set).  The loop pragmas live in the
-- sources; this keeps every layer function a separate module (so the
-- synthesis report is per layer) and sets the AXI defaults.
local clib = import("c/lib")

function render(t)
  local s = {clib.provenance(t, "#")}
  s[#s + 1] = "config_interface -m_axi_addr64\n"
  for _, g in ipairs(t.segs) do
    s[#s + 1] = ('if {$top eq "%s"} {\n%s}\n'):format(g.top, g.dirs)
  end
  return table.concat(s)
end
