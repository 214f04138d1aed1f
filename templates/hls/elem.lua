-- elem.lua - one requantization per element: ReLU (standalone or fused
-- after a non-MAC layer), a boundary requantization between formats
-- (M == Mn) and a format change after a copy.  x >= 0 uses (M, sh), x < 0
-- (Mn, shn).  May run in place (x0 == y0).
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ("%s_i: for (int i = 0; i < %d; i++) {\n"):format(F, t.count)
  s[#s + 1] = lib.pipeline("", "  ", F .. "_i", t.II, t.LANES, "i")
  s[#s + 1] = "  const int32_t x = CHAI_MR(x0, [i]);\n"
  local pos = lib.req(t, "x", t.M, t.sh)
  if t.same then
    s[#s + 1] = ("  CHAI_MW(y0, [i]) = (%s)%s;\n"):format(t.yt[1], pos)
  else
    s[#s + 1] = ("  CHAI_MW(y0, [i]) = (%s)(x >= 0 ? %s : %s);\n"):format(t.yt[1], pos, lib.req(t, "x", t.Mn, t.shn))
  end
  s[#s + 1] = "}\n}\n"
  return table.concat(s)
end
