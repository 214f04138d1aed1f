-- ref.lua - a layer run by the runtime's reference kernel (runtime/ is
-- copied into the project), with its parameters baked as a constant.
local lib = import("c/lib")

local function tensors(list, qual, name)
  if #list == 0 then return "" end
  local items = {}
  for i, x in ipairs(list) do
    items[i] = ("{{%d, %s}, %s}"):format(#x.dims, lib.braces(x.dims), x.ptr)
  end
  return ("  %srt_tensor %s[%d] = {\n    %s};\n"):format(qual, name, #list,
                                                   table.concat(items, ",\n    "))
end

function render(t)
  local s = {lib.header(t)}
  s[#s + 1] = ("static const %s P_%s = {\n"):format(t.ptype, t.fn)
  for _, p in ipairs(t.params) do s[#s + 1] = ("    .%s = %s,\n"):format(p.field, p.value) end
  s[#s + 1] = "};\n"
  s[#s + 1] = lib.signature(t) .. " {\n"
  s[#s + 1] = tensors(t.bottoms, "const ", "b")
  s[#s + 1] = tensors(t.tops, "", "t")
  s[#s + 1] = tensors(t.weights, "const ", "w")
  s[#s + 1] = ("  const rt_args a = {%d, %d, %d, %s, %s, %s, %s};\n"):format(
      #t.bottoms, #t.tops, #t.weights, #t.bottoms > 0 and "b" or "NULL",
      #t.tops > 0 and "t" or "NULL", #t.weights > 0 and "w" or "NULL",
      t.ws and "scratch, sizeof scratch" or "NULL, 0")
  s[#s + 1] = ("  %s(&P_%s, &a);\n"):format(t.kernel, t.fn)
  if t.detout then
    s[#s + 1] = ("  /* rows past the detections are marked with image id -1 */\n" ..
                 "  for (long i = (long)t[0].s.d[2] * 7; i < %d * 7; i++) t0[i] = -1.0f;\n"):format(t.max_rows)
  end
  if t.relu then
    s[#s + 1] = ("  for (long i = 0; i < %d; i++) t0[i] = %s;\n"):format(t.count, lib.act(t, "t0[i]"))
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
