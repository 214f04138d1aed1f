-- concat.lua - Concat: each input requantized to the output format (a
-- saturating copy when the scales are equal) into its slice.
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t), lib.signature(t), " {\n"}
  for i, p in ipairs(t.parts) do
    local k = i - 1
    s[#s + 1] = ("%s_o%d: for (int o = 0; o < %d; o++) {\n"):format(F, k, t.OUTER)
    s[#s + 1] = ("  %s_k%d: for (int k = 0; k < %d; k++) {\n"):format(F, k, p.inner)
    s[#s + 1] = lib.pipeline("", "    ", ("%s_k%d"):format(F, k), t.II, t.LANES, "k")
    local x = lib.acc("MR", "x" .. k, ("[o * %d + k]"):format(p.inner))
    local v = p.ident and ("fx_sat(%s, %d, %d)"):format(x, t.qmin, t.qmax) or lib.req(t, x, p.M, p.sh)
    s[#s + 1] = ("    %s = (%s)%s;\n  }\n}\n"):format(lib.acc("MW", "y0", ("[o * %d + %d + k]"):format(t.TOTAL, p.off)), t.yt[1], v)
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
