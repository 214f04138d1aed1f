-- conv.lua - Convolution and Deconvolution (gather form) in fixed point:
-- one accumulator per output channel for each output pixel, the MAC loop
-- tiled by IP input and OP output channels (the analogue of CHaiDNN's
-- XI_PIX_PROC / XI_KER_PROC), then the per-channel output stage.
--
-- The m_axi ports are touched only by bursts (pipelined II=1 loops over
-- consecutive addresses, docs/hls.md):
--  * per output row, the line buffer lb takes the input rows the row's
--    taps need, one burst of W codes per channel and row (re-filled per
--    output row: no reuse between rows);
--  * per output pixel and tap, the fill loop copies IP channels per cycle
--    from lb (cyclic IP banks by channel) into xb[..][IP];
--  * the pipelined MAC loop reads IP codes from xb's IP banks, one IP x OP
--    weight word (reshaped cyclic by IP*OP) and updates acc's OP banks;
--  * the output stage requantizes one channel per cycle into the output
--    row ob, drained per channel by a burst of OW codes.
-- On-chip weights: a ROM w[taps*G*NOCT*NICT*IP*OP] ([ky][kx][g][oct][ict]
-- [ip][op]), one pass over the pixels with acc[G*NOCT][OP].  AXI weights
-- ([g][oct][ky][kx][ict][ip][op] in the wts memory): per group and output
-- channel block, a burst loads the block's weights into the buffer wb
-- (reshaped like the ROM), then a pass over the pixels computes the
-- block's OP channels (the line buffer holds the group's ICG channels and
-- is re-filled per block).  The channels are padded with zero weights to
-- whole IP x OP words.  With target.dsp_packing (t.pack) the MAC loop
-- forms two output channels' products with one multiplier (fx_mul2,
-- docs/hls.md), the same sums.  The PIPELINE IIs are chaicc's proven IIs
-- (tests/hls_ii.py).  Integer addition is exact, so any loop order gives
-- the reference sums.
local lib = import("hls/lib")

-- The tap's input position (iy, ix) at indent ind; `continue` when the
-- tap falls outside the input (Deconvolution: off the stride grid).
local function tap(t, ind)
  if t.deconv then
    return ([[
%sconst int ty = oy + %d - ky * %d, tx = ox + %d - kx * %d;
%sif (ty < 0 || tx < 0 || ty %% %d != 0 || tx %% %d != 0) continue;
%sconst int iy = ty / %d, ix = tx / %d;
%sif (iy >= %d || ix >= %d) continue;
]]):format(ind, t.PH, t.DH, t.PW, t.DW, ind, t.SH, t.SW, ind, t.SH, t.SW, ind, t.H, t.W)
  end
  return ([[
%sconst int iy = oy * %d - %d + ky * %d, ix = ox * %d - %d + kx * %d;
%sif (iy < 0 || iy >= %d || ix < 0 || ix >= %d) continue;
]]):format(ind, t.SH, t.PH, t.DH, t.SW, t.PW, t.DW, ind, t.H, t.W)
end

-- The line buffer's fill for output row oy at indent ind: for each of the
-- nc channels (input channel c0 + c) and tap row ky inside the input, one
-- burst of the row's W codes.
local function line_fill(t, ind, nc, c0)
  local F = t.fn
  local s = {("%s%s_lc: for (int c = 0; c < %d; c++) {\n"):format(ind, F, nc)}
  s[#s + 1] = ("%s  %s_lk: for (int ky = 0; ky < %d; ky++) {\n"):format(ind, F, t.KH)
  local i2 = ind .. "    "
  if t.deconv then
    s[#s + 1] = ([[
%sconst int ty = oy + %d - ky * %d;
%sif (ty < 0 || ty %% %d != 0) continue;
%sconst int iy = ty / %d;
%sif (iy >= %d) continue;
]]):format(i2, t.PH, t.DH, i2, t.SH, i2, t.SH, i2, t.H)
  else
    s[#s + 1] = ([[
%sconst int iy = oy * %d - %d + ky * %d;
%sif (iy < 0 || iy >= %d) continue;
]]):format(i2, t.SH, t.PH, t.DH, i2, t.H)
  end
  s[#s + 1] = ("%s%s_lx: for (int x = 0; x < %d; x++) {\n"):format(i2, F, t.W)
  s[#s + 1] = lib.pipeline("", i2 .. "  ", F .. "_lx", 1)
  s[#s + 1] = ("%s  %s = %s;\n%s}\n%s  }\n%s}\n"):format(i2,
      lib.acc("W", "lb", ("[c][ky * %d + x]"):format(t.W)),
      lib.acc("MR", "x0", ("[((n * %d + %sc) * %d + iy) * %d + x]"):format(t.C, c0, t.H, t.W)), i2, ind, ind)
  return table.concat(s)
end

-- The tap's fill from the line buffer at indent ind: nb iterations j,
-- each copying the IP channels of word j (row gj*ICG + ictj*IP + ip of
-- lb; gj / ictj given as C expressions of j) into xb[j][0..IP).
local function tap_fill(t, ind, nb, gj, ictj)
  local F = t.fn
  local s = {("%s%s_fill: for (int j = 0; j < %d; j++) {\n"):format(ind, F, nb)}
  s[#s + 1] = lib.pipeline("", ind .. "  ", F .. "_fill", 1)
  s[#s + 1] = ("%s  const int gj = %s, ictj = %s;\n"):format(ind, gj, ictj)
  s[#s + 1] = ("%s  %s_fill_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(ind, F, t.IP)
  s[#s + 1] = ("%s    const int icl = ictj * %d + ip;\n"):format(ind, t.IP)
  local cp = ("%s = %s;"):format(lib.acc("W", "xb", "[j][ip]"),
      lib.acc("R", "lb", ("[gj * %d + icl][ky * %d + ix]"):format(t.ICG, t.W)))
  if t.ICG % t.IP == 0 then
    s[#s + 1] = ("%s    %s\n"):format(ind, cp)
  else
    s[#s + 1] = ("%s    if (icl < %d) %s\n"):format(ind, t.ICG, cp)
  end
  s[#s + 1] = ("%s  }\n%s}\n"):format(ind, ind)
  return table.concat(s)
end

-- The MAC statement (the guard keeps padding channels out of the sums).
local function mac(t, ind, accs, xbs, wv)
  local m = ("%s += (int32_t)%s *\n%s    %s;"):format(lib.acc("RW", "acc", accs), lib.acc("R", "xb", xbs), ind, wv)
  if t.exact then
    return ("%s(void)icl, (void)ocl;\n%s%s\n"):format(ind, ind, m)
  end
  return ("%sif (icl < %d && ocl < %d)\n%s  %s\n"):format(ind, t.ICG, t.OCG, ind, m)
end

-- The unrolled output loop of one MAC iteration at indent ind, for input
-- lane ip: OP plain products, or with dsp_packing (t.pack) OP/2 packed
-- pairs (fx_mul2: channels op and op + 1 share the activation and one
-- multiplier) and, for an odd OP, a plain product for the last channel.
-- acc(op) / wv(op) give the accumulator subscript and the weight access of
-- channel `op` (a C expression).  Packed, padding output channels add
-- exact zeros (their weights are 0), so only input padding is guarded.
local function mac_ops(t, ind, accs, xbs, wv)
  local F = t.fn
  if not t.pack then
    local s = {("%s%s_op: for (int op = 0; op < %d; op++) {\n"):format(ind, F, t.OP)}
    s[#s + 1] = ("%s  const int icl = ict * %d + ip, ocl = oct * %d + op;\n"):format(ind, t.IP, t.OP)
    s[#s + 1] = mac(t, ind .. "  ", accs("op"), xbs, wv("op"))
    return table.concat(s) .. ind .. "}\n"
  end
  local i2 = ind .. "  "
  local s = {("%sconst int icl = ict * %d + ip;\n"):format(ind, t.IP)}
  local guard = t.ICG % t.IP == 0 and "" or ("if (icl < %d) "):format(t.ICG)
  if guard == "" then s[#s + 1] = ind .. "(void)icl;\n" end
  local x = lib.acc("R", "xb", xbs)
  s[#s + 1] = ("%s%s_op: for (int q = 0; q < %d; q++) {\n"):format(ind, F, t.OP // 2)
  s[#s + 1] = ("%sconst int op = 2 * q;\n"):format(i2)
  s[#s + 1] = ("%s%s{\n"):format(i2, guard)
  s[#s + 1] = ("%s  const int64_t pp = fx_mul2(%s,\n%s      %s, %s);\n"):format(i2, x, i2, wv("op"), wv("op + 1"))
  s[#s + 1] = ("%s  %s += fx_lo18(pp);\n"):format(i2, lib.acc("RW", "acc", accs("op")))
  s[#s + 1] = ("%s  %s += fx_hi18(pp);\n%s}\n%s}\n"):format(i2, lib.acc("RW", "acc", accs("op + 1")), i2, ind)
  if t.OP % 2 == 1 then
    s[#s + 1] = ("%s%s%s += (int32_t)%s * %s;\n"):format(ind, guard, lib.acc("RW", "acc", accs(tostring(t.OP - 1))), x,
        wv(tostring(t.OP - 1)))
  end
  return table.concat(s)
end

-- The requantized value of accumulator a for output channel o.
local function outval(t)
  local F = t.fn
  local pos = lib.req(t, "a", lib.acc("R", F .. "_M", "[o]"), lib.acc("R", F .. "_sh", "[o]"))
  if t.relu == 0 then return pos end
  if t.relu == 1 then return "a < 0 ? 0 : " .. pos end
  return "a < 0 ? " .. lib.req(t, "a", lib.acc("R", F .. "_Mn", "[o]"), lib.acc("R", F .. "_shn", "[o]")) .. " : " .. pos
end

-- On-chip weights: one pass over the output rows.
local function body_rom(t)
  local F = t.fn
  local s = {("%s_n: for (int n = 0; n < %d; n++) {\n"):format(F, t.N)}
  s[#s + 1] = ("  %s_oy: for (int oy = 0; oy < %d; oy++) {\n"):format(F, t.OH)
  s[#s + 1] = line_fill(t, "    ", t.C, "")
  s[#s + 1] = ("    %s_ox: for (int ox = 0; ox < %d; ox++) {\n"):format(F, t.OW)
  s[#s + 1] = ("      %s_init: for (int t = 0; t < %d; t++) {\n"):format(F, t.NT)
  s[#s + 1] = lib.pipeline("", "        ", F .. "_init", 1)
  s[#s + 1] = ("        %s_init_op: for (int op = 0; op < %d; op++) %s = %s;\n      }\n"):format(
      F, t.OP, lib.acc("W", "acc", "[t][op]"), t.bias ~= "" and lib.acc("R", t.bias, ("[t * %d + op]"):format(t.OP)) or "0")
  s[#s + 1] = ("      %s_ky: for (int ky = 0; ky < %d; ky++) {\n"):format(F, t.KH)
  s[#s + 1] = ("        %s_kx: for (int kx = 0; kx < %d; kx++) {\n"):format(F, t.KW)
  s[#s + 1] = tap(t, "          ")
  s[#s + 1] = tap_fill(t, "          ", t.NX, ("j / %d"):format(t.NICT), ("j %% %d"):format(t.NICT))
  s[#s + 1] = ("          %s_g: for (int g = 0; g < %d; g++) {\n"):format(F, t.G)
  s[#s + 1] = ("            %s_oct: for (int oct = 0; oct < %d; oct++) {\n"):format(F, t.NOCT)
  s[#s + 1] = ("              %s_ict: for (int ict = 0; ict < %d; ict++) {\n"):format(F, t.NICT)
  s[#s + 1] = lib.pipeline("", "                ", F .. "_ict", t.II)
  s[#s + 1] = ("                %s_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, t.IP)
  local function wv(op)
    return lib.acc("R", t.w, ("[((((ky * %d + kx) * %d + g) * %d + oct) * %d + ict) * %d + ip * %d + %s]"):format(
        t.KW, t.G, t.NOCT, t.NICT, t.IP * t.OP, t.OP, op))
  end
  local function accs(op) return ("[g * %d + oct][%s]"):format(t.NOCT, op) end
  s[#s + 1] = mac_ops(t, "                  ", accs, ("[g * %d + ict][ip]"):format(t.NICT), wv)
  s[#s + 1] = "                }\n              }\n            }\n          }\n        }\n      }\n"
  s[#s + 1] = ("      %s_out: for (int o = 0; o < %d; o++) {\n"):format(F, t.OC)
  s[#s + 1] = lib.pipeline("", "        ", F .. "_out", 1)
  s[#s + 1] = ("        const int ocl = o %% %d;\n"):format(t.OCG)
  s[#s + 1] = ("        const %s a = %s;\n"):format(t.at, lib.acc("R", "acc", ("[(o / %d) * %d + ocl / %d][ocl %% %d]"):format(t.OCG, t.NOCT, t.OP, t.OP)))
  s[#s + 1] = ("        %s = (%s)(%s);\n      }\n    }\n"):format(lib.acc("W", "ob", "[o][ox]"), t.yt[1], outval(t))
  -- drain the output row: one burst of OW codes per channel
  s[#s + 1] = ("    %s_dc: for (int o = 0; o < %d; o++) {\n"):format(F, t.OC)
  s[#s + 1] = ("      %s_dx: for (int x = 0; x < %d; x++) {\n"):format(F, t.OW)
  s[#s + 1] = lib.pipeline("", "        ", F .. "_dx", 1)
  s[#s + 1] = ("        %s = %s;\n      }\n    }\n"):format(
      lib.acc("MW", "y0", ("[((n * %d + o) * %d + oy) * %d + x]"):format(t.OC, t.OH, t.OW)), lib.acc("R", "ob", "[o][x]"))
  s[#s + 1] = "  }\n}\n"
  return table.concat(s)
end

-- AXI weights: per group and output channel block, a burst of the block's
-- weights into wb, then a pass over the output rows for its OP channels.
local function body_axi(t)
  local F = t.fn
  local K = t.KH * t.KW * t.NICT * t.IP * t.OP -- one block's weights
  local s = {("%s_n: for (int n = 0; n < %d; n++) {\n"):format(F, t.N)}
  s[#s + 1] = ("  %s_g: for (int g = 0; g < %d; g++) {\n"):format(F, t.G)
  s[#s + 1] = ("    %s_oct: for (int oct = 0; oct < %d; oct++) {\n"):format(F, t.NOCT)
  s[#s + 1] = ("      %s_wl: for (int i = 0; i < %d; i++) {\n"):format(F, K)
  s[#s + 1] = lib.pipeline("", "        ", F .. "_wl", 1)
  s[#s + 1] = ("        %s = %s;\n      }\n"):format(lib.acc("W", "wb", "[i]"),
      lib.acc("MR", ("(wts + %d)"):format(t.woff), ("[(g * %d + oct) * %d + i]"):format(t.NOCT, K)))
  s[#s + 1] = ("      %s_oy: for (int oy = 0; oy < %d; oy++) {\n"):format(F, t.OH)
  s[#s + 1] = line_fill(t, "        ", t.ICG, ("g * %d + "):format(t.ICG))
  s[#s + 1] = ("        %s_ox: for (int ox = 0; ox < %d; ox++) {\n"):format(F, t.OW)
  s[#s + 1] = ("          %s_init: for (int t = 0; t < 1; t++) {\n"):format(F)
  s[#s + 1] = lib.pipeline("", "            ", F .. "_init", 1)
  s[#s + 1] = ("            %s_init_op: for (int op = 0; op < %d; op++) %s = %s;\n          }\n"):format(
      F, t.OP, lib.acc("W", "acc", "[t][op]"),
      t.bias ~= "" and lib.acc("R", t.bias, ("[(g * %d + oct) * %d + op]"):format(t.NOCT, t.OP)) or "0")
  s[#s + 1] = ("          %s_ky: for (int ky = 0; ky < %d; ky++) {\n"):format(F, t.KH)
  s[#s + 1] = ("            %s_kx: for (int kx = 0; kx < %d; kx++) {\n"):format(F, t.KW)
  s[#s + 1] = tap(t, "              ")
  s[#s + 1] = tap_fill(t, "              ", t.NICT, "0", "j")
  s[#s + 1] = ("              %s_ict: for (int ict = 0; ict < %d; ict++) {\n"):format(F, t.NICT)
  s[#s + 1] = lib.pipeline("", "                ", F .. "_ict", t.II)
  s[#s + 1] = ("                %s_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, t.IP)
  local function wv(op)
    return lib.acc("R", "wb", ("[((ky * %d + kx) * %d + ict) * %d + ip * %d + %s]"):format(
        t.KW, t.NICT, t.IP * t.OP, t.OP, op))
  end
  s[#s + 1] = mac_ops(t, "                  ", function(op) return ("[0][%s]"):format(op) end, "[ict][ip]", wv)
  s[#s + 1] = "                }\n              }\n            }\n          }\n"
  s[#s + 1] = ("          %s_out: for (int op = 0; op < %d; op++) {\n"):format(F, t.OP)
  s[#s + 1] = lib.pipeline("", "            ", F .. "_out", 1)
  s[#s + 1] = ("            const int o = g * %d + oct * %d + op;\n"):format(t.OCG, t.OP)
  s[#s + 1] = ("            const %s a = %s;\n"):format(t.at, lib.acc("R", "acc", "[0][op]"))
  local w = ("%s = (%s)(%s);"):format(lib.acc("W", "ob", "[op][ox]"), t.yt[1], outval(t))
  if t.OCG % t.OP == 0 then
    s[#s + 1] = ("            %s\n          }\n        }\n"):format(w)
  else
    s[#s + 1] = ("            if (oct * %d + op < %d) %s\n          }\n        }\n"):format(t.OP, t.OCG, w)
  end
  -- drain the block's output rows: one burst of OW codes per channel
  s[#s + 1] = ("        %s_dc: for (int op = 0; op < %d; op++) {\n"):format(F, t.OP)
  s[#s + 1] = ("          const int ocl = oct * %d + op;\n"):format(t.OP)
  if t.OCG % t.OP ~= 0 then
    s[#s + 1] = ("          if (ocl >= %d) continue;\n"):format(t.OCG)
  end
  s[#s + 1] = ("          %s_dx: for (int x = 0; x < %d; x++) {\n"):format(F, t.OW)
  s[#s + 1] = lib.pipeline("", "            ", F .. "_dx", 1)
  s[#s + 1] = ("            %s = %s;\n          }\n        }\n"):format(
      lib.acc("MW", "y0", ("[((n * %d + g * %d + ocl) * %d + oy) * %d + x]"):format(t.OC, t.OCG, t.OH, t.OW)),
      lib.acc("R", "ob", "[op][x]"))
  s[#s + 1] = "      }\n    }\n  }\n}\n"
  return table.concat(s)
end

function render(t)
  local F = t.fn
  local axi = not t.rom
  -- array shapes: AXI weights work on one output channel block at a time
  local NA, NB, LC, OB = t.NT, t.NX, t.C, t.OC
  if axi then NA, NB, LC, OB = 1, t.NICT, t.ICG, t.OP end
  local s = {lib.header(t)}
  if t.rom then
    s[#s + 1] = lib.rom(t.wtype, t.w, t.D * t.IP * t.OP, t.wbody)
  end
  if t.bias ~= "" then
    s[#s + 1] = lib.rom(t.at, t.bias, t.NT * t.OP, t.bbody)
  end
  s[#s + 1] = lib.rom("int32_t", F .. "_M", t.OC, t.Mbody)
  s[#s + 1] = lib.rom("int8_t", F .. "_sh", t.OC, t.shbody)
  if t.relu == 2 then
    s[#s + 1] = lib.rom("int32_t", F .. "_Mn", t.OC, t.Mnbody)
    s[#s + 1] = lib.rom("int8_t", F .. "_shn", t.OC, t.shnbody)
  end
  s[#s + 1] = lib.signature(t) .. " {\n"
  s[#s + 1] = ("  %s acc[%d][%d];\n"):format(t.at, NA, t.OP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=acc complete dim=2")
  s[#s + 1] = ("  %s xb[%d][%d];\n"):format(t.xt[1], NB, t.IP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=xb complete dim=2")
  s[#s + 1] = ("  %s lb[%d][%d];\n"):format(t.xt[1], LC, t.KH * t.W)
  if t.IP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=lb cyclic factor=%d dim=1"):format(t.IP))
  end
  s[#s + 1] = ("  %s ob[%d][%d];\n"):format(t.yt[1], OB, t.OW)
  local K = t.KH * t.KW * t.NICT * t.IP * t.OP
  if axi then
    s[#s + 1] = ("  int8_t wb[%d];\n"):format(K)
  end
  local wname = axi and "wb" or t.w
  if t.IP * t.OP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=%s cyclic factor=%d dim=1"):format(wname, t.IP * t.OP))
  end
  if t.bias ~= "" and t.OP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=%s cyclic factor=%d dim=1"):format(t.bias, t.OP))
  end
  -- the same partitioning for the access count (chai_fx.h)
  s[#s + 1] = ("CHAI_ARRAY2(acc, %d, CHAI_NONE, 0, %d, CHAI_COMPLETE, 0)\n"):format(NA, t.OP)
  s[#s + 1] = ("CHAI_ARRAY2(xb, %d, CHAI_NONE, 0, %d, CHAI_COMPLETE, 0)\n"):format(NB, t.IP)
  s[#s + 1] = ("CHAI_ARRAY2(lb, %d, %s, %d, %d, CHAI_NONE, 0)\n"):format(LC,
      t.IP > 1 and "CHAI_CYCLIC" or "CHAI_NONE", t.IP, t.KH * t.W)
  s[#s + 1] = ("CHAI_ARRAY2(ob, %d, CHAI_NONE, 0, %d, CHAI_NONE, 0)\n"):format(OB, t.OW)
  s[#s + 1] = ("CHAI_ARRAY1(%s, %d, %s, %d)\n"):format(wname, axi and K or t.D * t.IP * t.OP,
      t.IP * t.OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", t.IP * t.OP)
  if t.bias ~= "" then
    s[#s + 1] = ("CHAI_ARRAY1(%s, %d, %s, %d)\n"):format(t.bias, t.NT * t.OP, t.OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", t.OP)
  end
  local roms = {"_M", "_sh"}
  if t.relu == 2 then roms = {"_M", "_sh", "_Mn", "_shn"} end
  for _, r in ipairs(roms) do
    s[#s + 1] = ("CHAI_ARRAY1(%s%s, %d, CHAI_NONE, 0)\n"):format(F, r, t.OC)
  end
  s[#s + 1] = axi and body_axi(t) or body_rom(t)
  s[#s + 1] = "}\n"
  return table.concat(s)
end
