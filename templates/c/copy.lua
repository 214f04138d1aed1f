-- copy.lua - Flatten / Reshape / Dropout / Split that cannot alias their
-- bottom (it is the net input, or the top is a net output): a copy.
local lib = import("c/lib")

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n"}
  for i = 0, t.nt - 1 do
    s[#s + 1] = ("  memcpy(t%d, b0, %d * sizeof(float));\n"):format(i, t.count)
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
