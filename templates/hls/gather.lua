-- gather.lua - a data-movement layer on codes (nearest Upsample,
-- ShuffleChannel, CropCenter, Reorg): the top is dense over dims (last
-- fastest), each element read from x0[off + sum i_k * strides[k]]; codes
-- are copied unchanged.  C (compiler/layers/upsample.c rs_gather_hls)
-- computes every number from the runtime's rt_gather.
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t), lib.signature(t), " {\n"}
  local nd = #t.dims
  local ind = "  "
  local src = {tostring(t.off)}
  s[#s + 1] = "  int64_t o = 0;\n"
  for k = 1, nd do
    s[#s + 1] = ("%s%s_a%d: for (int i%d = 0; i%d < %d; i%d++) {\n"):format(ind, F, k - 1, k - 1, k - 1, t.dims[k], k - 1)
    if k == nd then s[#s + 1] = lib.pipeline(ind .. "  ", ind .. "  ", ("%s_a%d"):format(F, k - 1), t.II) end
    if t.strides[k] ~= 0 then src[#src + 1] = ("(int64_t)i%d * %d"):format(k - 1, t.strides[k]) end
    ind = ind .. "  "
  end
  s[#s + 1] = ("%sCHAI_MW(y0, [o]) = CHAI_MR(x0, [%s]);\n%so++;\n"):format(ind, table.concat(src, " + "), ind)
  for k = nd, 1, -1 do
    ind = ind:sub(3)
    s[#s + 1] = ind .. "}\n"
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
