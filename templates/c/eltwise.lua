-- eltwise.lua - Eltwise SUM (with coefficients), PROD or MAX; may run in
-- place on b0.
local lib = import("c/lib")

function render(t)
  local terms = {}
  local v
  for i = 1, t.nb do
    local x = "b" .. (i - 1) .. "[i]"
    if t.op == "sum" then
      terms[i] = t.coeff[i] ~= "" and (t.coeff[i] .. " * " .. x) or x
    else
      terms[i] = x
    end
  end
  local body = {}
  if t.op == "max" then
    body[1] = "    float v = " .. terms[1] .. ";"
    for i = 2, #terms do body[#body + 1] = "    if (" .. terms[i] .. " > v) v = " .. terms[i] .. ";" end
  else
    local op = t.op == "sum" and " + " or " * "
    body[1] = "    const float v = " .. table.concat(terms, op) .. ";"
  end
  body[#body + 1] = "    t0[i] = " .. lib.act(t, "v") .. ";"
  return lib.header(t) .. lib.signature(t) .. (" {\n  for (long i = 0; i < %d; i++) {\n"):format(t.count)
      .. table.concat(body, "\n") .. "\n  }\n}\n"
end
