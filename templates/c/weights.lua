-- weights.lua - the learned constants: C arrays, or offsets into the
-- weights blob linked in from <net>_weights.bin (with .incbin).
function render(t)
  local s = {}
  if t.bin then
    s[1] = ("/* weights: %d arrays in the linked-in blob %s */\n"):format(#t.list, t.blob)
    s[2] = ("extern const float %s[];\n"):format(t.blob)
    for _, w in ipairs(t.list) do
      s[#s + 1] = ("#define %s (%s + %d) /* %d floats */\n"):format(w.sym, t.blob, w.off, w.count)
    end
  else
    for _, w in ipairs(t.list) do
      s[#s + 1] = ("static const float %s[%d] = {\n%s};\n"):format(w.sym, w.count, w.body)
    end
  end
  return table.concat(s)
end
