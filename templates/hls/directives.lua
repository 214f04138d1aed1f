-- directives.lua - directives.tcl: sourced by run_hls.tcl for every
-- segment.  The loop pragmas live in the sources; this keeps each layer
-- function a separate module (so the synthesis report is per layer) and
-- sets the AXI defaults.
local clib = import("c/lib")

function render(t)
  local s = {clib.provenance(t, "#")}
  s[#s + 1] = "config_interface -m_axi_addr64\n"
  for _, f in ipairs(t.fns) do
    s[#s + 1] = ('set_directive_inline -off "%s"\n'):format(f)
  end
  return table.concat(s)
end
