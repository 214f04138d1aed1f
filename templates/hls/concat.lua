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
    s[#s + 1] = lib.pragma("", ("PIPELINE II=%d"):format(t.II))
  if t.LANES > 1 then s[#s + 1] = lib.pragma("", ("UNROLL factor=%d"):format(t.LANES)) end
    local x = ("x%d[o * %d + k]"):format(k, p.inner)
    local v = p.ident and ("fx_sat(%s, %d, %d)"):format(x, t.qmin, t.qmax) or lib.req(t, x, p.M, p.sh)
    s[#s + 1] = ("    y0[o * %d + %d + k] = (%s)%s;\n  }\n}\n"):format(t.TOTAL, p.off, t.yt[1], v)
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
