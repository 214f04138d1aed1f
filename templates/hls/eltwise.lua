-- eltwise.lua - Eltwise SUM (one common shift), PROD (chained
-- requantizations) and MAX (each input requantized, then the maximum).
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ("%s_j: for (int j = 0; j < %d; j++) {\n"):format(F, t.count)
  s[#s + 1] = lib.pipeline("", "  ", F .. "_j", t.II, t.LANES, "j")
  local n = #t.xt
  if t.op == "sum" then
    local terms = {}
    for i = 1, n do terms[i] = ("(int64_t)CHAI_MR(x%d, [j]) * %d"):format(i - 1, t.M[i]) end
    s[#s + 1] = "  const int64_t acc = " .. table.concat(terms, " + ") .. ";\n"
    s[#s + 1] = ("  CHAI_MW(y0, [j]) = (%s)fx_sat(fx_rshift(acc, %d), %d, %d);\n"):format(t.yt[1], t.shift, t.qmin, t.qmax)
  elseif t.op == "prod" then
    if n == 1 then
      s[#s + 1] = ("  int64_t v = %s;\n"):format(lib.req(t, "(int64_t)CHAI_MR(x0, [j])", t.M[1], t.sh[1]))
    else
      s[#s + 1] = ("  int64_t v = %s;\n"):format(lib.req(t, "(int64_t)CHAI_MR(x0, [j]) * CHAI_MR(x1, [j])", t.M[2], t.sh[2]))
      for i = 3, n do
        s[#s + 1] = ("  v = %s;\n"):format(lib.req(t, ("v * CHAI_MR(x%d, [j])"):format(i - 1), t.M[i], t.sh[i]))
      end
    end
    s[#s + 1] = ("  CHAI_MW(y0, [j]) = (%s)fx_sat(v, %d, %d);\n"):format(t.yt[1], t.qmin, t.qmax)
  else
    s[#s + 1] = "  int64_t v = -2147483647 - 1;\n"
    for i = 1, n do
      s[#s + 1] = ("  { const int64_t r = %s; if (r > v) v = r; }\n"):format(
          lib.req(t, ("(int64_t)CHAI_MR(x%d, [j])"):format(i - 1), t.M[i], t.sh[i]))
    end
    s[#s + 1] = ("  CHAI_MW(y0, [j]) = (%s)fx_sat(v, %d, %d);\n"):format(t.yt[1], t.qmin, t.qmax)
  end
  s[#s + 1] = "}\n}\n"
  return table.concat(s)
end
