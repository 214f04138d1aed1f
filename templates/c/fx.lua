-- fx.lua - a fixed-point layer of the all-software program (`--target c`
-- on a quantized net): its prepared integers as static const arrays, the
-- rt_fx_* parameter struct pointing to them, and a function calling the
-- runtime's kernel on int16 code buffers (then the in-place output
-- requantization, when the layer has one).  The emitter (emit_fx.c)
-- formats every value; this template only lays them out.
--   fn, caffe_name, caffe_type, fused, shapes   as for every layer
--   arrays   list of {ctype, name, n, body}
--   kernel   rt_fx_<kind>;  ptype, pname, fields ({field, value}) or
--            ptype == "" (no parameter: NULL)
--   post     list of {field, value} of the rt_fx_relu_param applied in
--            place after the kernel (empty: none); postname its symbol;
--            post_in: the kernel applies it itself (one of `fields`
--            points to it), so it is defined first and not called here
--   bottoms, tops   lists of {nd, dims} (C initializer text)
local lib = import("c/lib")

local function init(ptype, name, fields)
  local s = {("static const %s %s = {\n"):format(ptype, name)}
  for _, f in ipairs(fields) do s[#s + 1] = ("    .%s = %s,\n"):format(f.field, f.value) end
  s[#s + 1] = "};\n"
  return table.concat(s)
end

local function tensors(list, qual, name, ptr)
  local items = {}
  for i, x in ipairs(list) do
    items[i] = ("{{%d, %s}, %s%d}"):format(x.nd, x.dims, ptr, i - 1)
  end
  return ("  %srt_fx_tensor %s[%d] = {\n    %s};\n"):format(qual, name, #list,
                                                      table.concat(items, ",\n    "))
end

function render(t)
  local s = {lib.header(t)}
  for _, a in ipairs(t.arrays) do
    s[#s + 1] = ("static const %s %s[%d] = {\n%s};\n"):format(a.ctype, a.name, a.n, a.body)
  end
  if t.post_in then s[#s + 1] = init("rt_fx_relu_param", t.postname, t.post) end
  if t.ptype ~= "" then s[#s + 1] = init(t.ptype, t.pname, t.fields) end
  if #t.post > 0 and not t.post_in then s[#s + 1] = init("rt_fx_relu_param", t.postname, t.post) end
  local ps = {}
  for i = 0, #t.bottoms - 1 do ps[#ps + 1] = "const int16_t *b" .. i end
  ps[#ps + 1] = "int16_t *t0"
  s[#s + 1] = ("static void %s(%s) {\n"):format(t.fn, table.concat(ps, ", "))
  s[#s + 1] = tensors(t.bottoms, "const ", "b", "(int16_t *)b")
  s[#s + 1] = tensors(t.tops, "", "t", "t")
  s[#s + 1] = ("  const rt_fx_args a = {%d, %d, b, t};\n"):format(#t.bottoms, #t.tops)
  s[#s + 1] = ("  %s(%s, &a);\n"):format(t.kernel, t.ptype ~= "" and "&" .. t.pname or "NULL")
  if #t.post > 0 and not t.post_in then
    s[#s + 1] = "  /* output requantization (fused ReLU or format change), in place */\n"
    s[#s + 1] = "  const rt_fx_args pa = {1, 1, t, t};\n"
    s[#s + 1] = ("  rt_fx_relu(&%s, &pa);\n"):format(t.postname)
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
