-- lib.lua - helpers shared by the HLS templates (import("hls/lib")).
-- The templates only format: C (compiler/emit_fx.c) computes every number,
-- array body and name.  Everything they write is in the synthesizable
-- subset docs/hls.md lists: intN_t types, static arrays, constant trip
-- counts, a label on every loop, no float.

-- "[static ]void fn(const int8_t *x0, ..., int8_t *y0[, const int8_t *wts])".
function signature(t)
  local ps = {}
  for i, ty in ipairs(t.xt) do ps[#ps + 1] = ("const %s *x%d"):format(ty, i - 1) end
  for i, ty in ipairs(t.yt) do ps[#ps + 1] = ("%s *y%d"):format(ty, i - 1) end
  if t.wts then ps[#ps + 1] = "const int8_t *wts" end
  -- <net>_swfx.c: external, so the file compiles warning-free on its own
  -- (the host's .c includes it and calls them)
  return (t.extern and "void " or "static void ") .. t.fn .. "(" .. table.concat(ps, ", ") .. ")"
end

-- The comment above a layer function.
function header(t)
  local s = "/* " .. t.caffe_name .. ": " .. t.caffe_type
  if t.fused ~= "" then s = s .. " (fused: " .. t.fused .. ")" end
  return s .. "\n * " .. t.shapes .. " */\n"
end

-- A constant table: "static const T NAME[N] = {...};".
function rom(ty, name, n, body)
  return ("static const %s %s[%d] = {\n%s};\n"):format(ty, name, n, body)
end

-- The requantization of C expression v by multiplier M, shift sh into
-- [qmin, qmax]; wide: v may exceed 32 bits.
function req(t, v, M, sh)
  local f = t.wide and "fx_requant64" or "fx_requant32"
  return ("%s(%s, %s, %s, %d, %d)"):format(f, v, M, sh, t.qmin, t.qmax)
end

-- The head of a pipelined loop's body: the PIPELINE pragma (with UNROLL
-- factor=lanes when lanes > 1, var the loop variable) and the CHAI_ITER
-- mark that opens an iteration of the access count (templates/hls/chai_fx.h).
function pipeline(pind, ind, label, ii, lanes, var)
  local s = pragma(pind, ("PIPELINE II=%d"):format(ii))
  if lanes and lanes > 1 then
    return s .. pragma(pind, ("UNROLL factor=%d"):format(lanes)) ..
        ("%sCHAI_ITER_U(%s, %s, %d)\n"):format(ind, label, var, lanes)
  end
  return s .. ("%sCHAI_ITER(%s)\n"):format(ind, label)
end

-- An access through chai_fx.h's macros: m is R, W, RW (on-chip array) or
-- MR, MW (m_axi pointer); subs the subscripts ("[i][j]").
function acc(m, a, subs)
  return ("CHAI_%s(%s, %s)"):format(m, a, subs)
end

-- "#pragma HLS ..." lines, indented.
function pragma(ind, text)
  return ind .. "#pragma HLS " .. text .. "\n"
end

-- Wide m_axi beats (target.port_bits 64 / 128): t.PB bytes of C type t.bt,
-- uint64_t (PB 8) or chai_b128 (PB 16: two uint64_t words, the generated
-- <net>_hw.h).  Lane k of beat v (k an unrolled constant) is byte k % 8 of
-- word k / 8; beat_word / beat_shift spell that word and its bit offset.
local function beat_word(t, v)
  return t.PB > 8 and v .. ".w[k / 8]" or v
end
local function beat_shift(t)
  return t.PB > 8 and "(8 * (k % 8))" or "(8 * k)"
end

-- The covering-beat load of a row of o.n bytes (C expression) at byte
-- address o.addr of port o.port: "const int a, s, nb" at o.ind, the beat
-- loop o.head (its "LABEL: for (int b ...) {" line(s), label o.label),
-- pipelined at II 1, reading beat a / PB + b while b < nb, and per lane k
-- the row's column x = PB*b + k - s; when 0 <= x < n, o.store(ind, e)
-- writes byte e (lines at ind), as a one-line `if` unless o.block.  Ends
-- with the beat loop closed.
function row_load(t, o)
  local ind, PB = o.ind, t.PB
  local s = {("%sconst int a = %s, s = a %% %d, nb = (s + %s + %d) / %d;\n"):format(ind, o.addr, PB, o.n, PB - 1, PB)}
  s[#s + 1] = o.head
  s[#s + 1] = pipeline("", ind .. "  ", o.label, 1)
  s[#s + 1] = ind .. "  if (b < nb) {\n"
  s[#s + 1] = ("%s    const %s v = %s;\n"):format(ind, t.bt, acc("MR", o.port, ("[a / %d + b]"):format(PB)))
  s[#s + 1] = ("%s    %s_k: for (int k = 0; k < %d; k++) {\n"):format(ind, o.label, PB)
  s[#s + 1] = ("%s      const int x = %d * b + k - s;\n"):format(ind, PB)
  local e = beat_lane(t, "v")
  if o.block then
    s[#s + 1] = ("%s      if (x >= 0 && x < %s) {\n"):format(ind, o.n)
    s[#s + 1] = o.store(ind .. "        ", e)
    s[#s + 1] = ("%s      }\n"):format(ind)
  else
    s[#s + 1] = ("%s      if (x >= 0 && x < %s) %s"):format(ind, o.n, o.store("", e))
  end
  s[#s + 1] = ("%s    }\n%s  }\n%s}\n"):format(ind, ind, ind)
  return table.concat(s)
end

-- The covering-beat write of a row of o.n bytes at byte address o.addr of
-- port o.port (read-modify-write): "const int a, s, nb" at o.ind, the beat
-- loop o.head (label o.label) pipelined at II o.ii; per beat b < nb the
-- first and the last beat are read first (old), then per lane k the row
-- position o.x = PB*b + k - s, o.body (its lines at ind + 6: computes the
-- lane's code), and the lane's byte: o.val when 0 <= o.x < n, else old's
-- byte (the neighbours' bytes written back as they were), gathered in
-- beat o.v and written.  Ends inside the beat loop (the caller closes it).
function row_write(t, o)
  local ind, PB, v = o.ind, t.PB, o.v
  local s = {("%sconst int a = %s, s = a %% %d, nb = (s + %s + %d) / %d;\n"):format(ind, o.addr, PB, o.n, PB - 1, PB)}
  s[#s + 1] = o.head
  s[#s + 1] = pipeline("", ind .. "  ", o.label, o.ii)
  s[#s + 1] = ind .. "  if (b < nb) {\n"
  local rd = acc("MR", o.port, ("[a / %d + b]"):format(PB))
  if PB > 8 then
    s[#s + 1] = ("%s    %s old = {{0, 0}}, %s = {{0, 0}};\n"):format(ind, t.bt, v)
    s[#s + 1] = ("%s    if (b == 0 || b == nb - 1) old = %s;\n"):format(ind, rd)
  else
    s[#s + 1] = ("%s    const %s old = b == 0 || b == nb - 1 ? %s : 0;\n"):format(ind, t.bt, rd)
    s[#s + 1] = ("%s    %s %s = 0;\n"):format(ind, t.bt, v)
  end
  s[#s + 1] = ("%s    %s_k: for (int k = 0; k < %d; k++) {\n"):format(ind, o.label, PB)
  s[#s + 1] = ("%s      const int %s = %d * b + k - s;\n"):format(ind, o.x, PB)
  s[#s + 1] = o.body or ""
  s[#s + 1] = ("%s      %s |= (%s >= 0 && %s < %s ? (uint64_t)(uint8_t)%s : (%s >> %s) & 255u) << %s;\n"):format(ind,
      beat_word(t, v), o.x, o.x, o.n, o.val, beat_word(t, "old"), beat_shift(t), beat_shift(t))
  s[#s + 1] = ("%s    }\n%s    %s = %s;\n%s  }\n"):format(ind, ind, acc("MW", o.port, ("[a / %d + b]"):format(PB)), v, ind)
  return table.concat(s)
end

-- Byte k of beat v as an int8_t (k the unrolled lane variable).
function beat_lane(t, v)
  return ("(int8_t)(%s >> %s)"):format(beat_word(t, v), beat_shift(t))
end
