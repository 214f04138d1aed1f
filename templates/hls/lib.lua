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
