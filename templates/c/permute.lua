-- permute.lua - Permute: nested loops over the output dims, reading the
-- input at the permuted strides.
local lib = import("c/lib")

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n", "  long at = 0;\n"}
  local ind = "  "
  local off = {}
  for k, d in ipairs(t.dims) do
    s[#s + 1] = ("%sfor (long i%d = 0; i%d < %d; i%d++)\n"):format(ind, k - 1, k - 1, d, k - 1)
    off[k] = ("i%d * %d"):format(k - 1, t.strides[k])
    ind = ind .. "  "
  end
  s[#s + 1] = ind .. "t0[at++] = b0[" .. table.concat(off, " + ") .. "];\n}\n"
  return table.concat(s)
end
