-- permute.lua - Permute / Flatten / Reshape on codes: output dim k walks
-- input stride strides[k]; codes are copied unchanged.
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t), lib.signature(t), " {\n"}
  local nd = #t.dims
  local ind = ""
  local src, dst = {}, {}
  for k = 1, nd do
    s[#s + 1] = ("%s%s_d%d: for (int i%d = 0; i%d < %d; i%d++) {\n"):format(ind, F, k - 1, k - 1, k - 1, t.dims[k], k - 1)
    if k == nd then s[#s + 1] = lib.pipeline(ind .. "  ", ind .. "  ", ("%s_d%d"):format(F, k - 1), t.II) end
    src[k] = ("i%d * %d"):format(k - 1, t.strides[k])
    dst[k] = ("i%d * %d"):format(k - 1, t.ostrides[k])
    ind = ind .. "  "
  end
  s[#s + 1] = ("%sCHAI_MW(y0, [%s]) = CHAI_MR(x0, [%s]);\n"):format(ind, table.concat(dst, " + "), table.concat(src, " + "))
  for k = nd, 1, -1 do
    ind = ind:sub(3)
    s[#s + 1] = ind .. "}\n"
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
