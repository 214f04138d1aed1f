-- slice.lua - Slice: each top takes its rows from the bottom.
local lib = import("c/lib")

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ("  for (int o = 0; o < %d; o++) {\n"):format(t.OUTER)
  for _, p in ipairs(t.parts) do
    s[#s + 1] = ("    memcpy(t%d + (long)o * %d, b0 + (long)o * %d + %d, %d * sizeof(float));\n")
        :format(p.i, p.inner, t.TOTAL, p.off, p.inner)
  end
  s[#s + 1] = "  }\n}\n"
  return table.concat(s)
end
