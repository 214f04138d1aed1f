-- concat.lua - Concat: each bottom's rows go to their offset in the top.
local lib = import("c/lib")

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ("  for (int o = 0; o < %d; o++) {\n"):format(t.OUTER)
  for _, p in ipairs(t.parts) do
    s[#s + 1] = ("    memcpy(t0 + (long)o * %d + %d, b%d + (long)o * %d, %d * sizeof(float));\n")
        :format(t.TOTAL, p.off, p.i, p.inner, p.inner)
  end
  s[#s + 1] = "  }\n}\n"
  return table.concat(s)
end
