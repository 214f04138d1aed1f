-- engine.lua - the shared convolution engine of a hardware segment
-- (target.engine: shared, docs/hls.md "Shared engine"): one function
-- fn(fm, wts, L) that runs convolution L of the segment.  Layer L's
-- geometry, its offsets in fm / wts / the quant tables and its output
-- stage are row L of static const tables (t.fields: name, body, min, max,
-- all computed by compiler/emit_engine.c); every loop bound is one of
-- those values (a local d_<name>), with a LOOP_TRIPCOUNT of its range.
-- The loop nest is the AXI-weight nest of conv.lua with variable trip
-- counts: per group and output channel block, a burst of the block's
-- weights into wb, per output row the line-buffer bursts, per pixel the
-- init, per tap the fill and the MAC loop (IP x OP unrolled, II 1), then
-- the output stage at R lanes, and the drain bursts.
local lib = import("hls/lib")

local function trip(t, ind, name)
  local f = t.range[name]
  return ("%s#pragma HLS LOOP_TRIPCOUNT min=%d max=%d\n"):format(ind, f[1], f[2])
end

-- "LABEL: for (int v = 0; v < d_name; v++) {" + its TRIPCOUNT.
local function vfor(t, ind, label, v, name)
  return ("%s%s_%s: for (int %s = 0; %s < d_%s; %s++) {\n"):format(ind, t.fn, label, v, v, name, v) ..
      trip(t, ind .. "  ", name)
end

local function req(t, M, sh)
  local f = t.wide and "fx_requant64" or "fx_requant32"
  return ("%s(a, %s, %s, d_qmin, d_qmax)"):format(f, lib.acc("R", t.fn .. "_" .. M, "[q]"),
      lib.acc("R", t.fn .. "_" .. sh, "[q]"))
end

local function body(t)
  local F, IP, OP = t.fn, t.IP, t.OP
  local s = {}
  s[#s + 1] = vfor(t, "  ", "n", "n", "n")
  s[#s + 1] = vfor(t, "    ", "g", "g", "g")
  s[#s + 1] = vfor(t, "      ", "oct", "oct", "noct")
  s[#s + 1] = "        const int blk = g * d_noct + oct;\n"
  s[#s + 1] = vfor(t, "        ", "wl", "i", "wblk")
  s[#s + 1] = lib.pipeline("", "          ", F .. "_wl", 1)
  s[#s + 1] = ("          %s = %s;\n        }\n"):format(lib.acc("W", "wb", "[i]"),
      lib.acc("MR", "wts", "[d_wo + blk * d_wblk + i]"))
  s[#s + 1] = vfor(t, "        ", "oy", "oy", "oh")
  s[#s + 1] = vfor(t, "          ", "lc", "c", "icg")
  s[#s + 1] = vfor(t, "            ", "lk", "ky", "kh")
  s[#s + 1] = "              const int iy = oy * d_sh - d_ph + ky * d_dh;\n"
  s[#s + 1] = "              if (iy < 0 || iy >= d_h) continue;\n"
  s[#s + 1] = vfor(t, "              ", "lx", "x", "w")
  s[#s + 1] = lib.pipeline("", "                ", F .. "_lx", 1)
  s[#s + 1] = ("                %s = %s;\n              }\n            }\n          }\n"):format(
      lib.acc("W", "lb", "[c][ky * d_w + x]"),
      lib.acc("MR", "fm", "[d_xo + ((n * d_c + g * d_icg + c) * d_h + iy) * d_w + x]"))
  s[#s + 1] = vfor(t, "          ", "ox", "ox", "ow")
  s[#s + 1] = ("            %s_init: for (int t = 0; t < 1; t++) {\n"):format(F)
  s[#s + 1] = lib.pipeline("", "              ", F .. "_init", 1)
  s[#s + 1] = ("              %s_init_op: for (int op = 0; op < %d; op++) %s = %s;\n            }\n"):format(
      F, OP, lib.acc("W", "acc", "[op]"), lib.acc("R", F .. "_b", ("[d_qo + blk * %d + op]"):format(OP)))
  s[#s + 1] = vfor(t, "            ", "ky", "ky", "kh")
  s[#s + 1] = vfor(t, "              ", "kx", "kx", "kw")
  s[#s + 1] = "                const int iy = oy * d_sh - d_ph + ky * d_dh, ix = ox * d_sw - d_pw + kx * d_dw;\n"
  s[#s + 1] = "                if (iy < 0 || iy >= d_h || ix < 0 || ix >= d_w) continue;\n"
  s[#s + 1] = vfor(t, "                ", "fill", "j", "nict")
  s[#s + 1] = lib.pipeline("", "                  ", F .. "_fill", 1)
  s[#s + 1] = ("                  %s_fill_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, IP)
  s[#s + 1] = ("                    const int icl = j * %d + ip;\n"):format(IP)
  s[#s + 1] = ("                    if (icl < d_icg) %s = %s;\n                  }\n                }\n"):format(
      lib.acc("W", "xb", "[j][ip]"), lib.acc("R", "lb", "[icl][ky * d_w + ix]"))
  s[#s + 1] = vfor(t, "                ", "ict", "ict", "nict")
  s[#s + 1] = lib.pipeline("", "                  ", F .. "_ict", 1)
  s[#s + 1] = ("                  %s_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, IP)
  s[#s + 1] = ("                    %s_op: for (int op = 0; op < %d; op++) {\n"):format(F, OP)
  s[#s + 1] = ("                      const int icl = ict * %d + ip, ocl = oct * %d + op;\n"):format(IP, OP)
  s[#s + 1] = "                      if (icl < d_icg && ocl < d_ocg)\n"
  s[#s + 1] = ("                        %s += (int32_t)%s *\n                            %s;\n"):format(
      lib.acc("RW", "acc", "[op]"), lib.acc("R", "xb", "[ict][ip]"),
      lib.acc("R", "wb", ("[((ky * d_kw + kx) * d_nict + ict) * %d + ip * %d + op]"):format(IP * OP, OP)))
  s[#s + 1] = "                    }\n                  }\n                }\n              }\n            }\n"
  -- the output stage: R lanes (UNROLL factor=R of the OP channels)
  s[#s + 1] = ("            %s_out: for (int op = 0; op < %d; op++) {\n"):format(F, OP)
  s[#s + 1] = lib.pipeline("", "              ", F .. "_out", 1, t.R, "op")
  s[#s + 1] = ("              const int q = d_qo + blk * %d + op;\n"):format(OP)
  s[#s + 1] = ("              const %s a = %s;\n"):format(t.at, lib.acc("R", "acc", "[op]"))
  local v = ("d_relu == 0 || a >= 0 ? %s : "):format(req(t, "M", "sh"))
  if t.leaky then
    v = v .. ("d_relu == %d ? %s : 0"):format(t.LEAKY, req(t, "Mn", "shn"))
  else
    v = v .. "0"
  end
  s[#s + 1] = ("              %s = (int8_t)(%s);\n            }\n          }\n"):format(lib.acc("W", "ob", "[op][ox]"), v)
  -- drain the block's output rows: one burst of OW codes per channel
  s[#s + 1] = ("          %s_dc: for (int op = 0; op < %d; op++) {\n"):format(F, OP)
  s[#s + 1] = ("            const int ocl = oct * %d + op;\n"):format(OP)
  s[#s + 1] = "            if (ocl >= d_ocg) continue;\n"
  s[#s + 1] = vfor(t, "            ", "dx", "x", "ow")
  s[#s + 1] = lib.pipeline("", "              ", F .. "_dx", 1)
  s[#s + 1] = ("              %s = %s;\n            }\n          }\n"):format(
      lib.acc("MW", "fm", "[d_yo + ((n * d_oc + g * d_ocg + ocl) * d_oh + oy) * d_ow + x]"),
      lib.acc("R", "ob", "[op][x]"))
  s[#s + 1] = "        }\n      }\n    }\n  }\n"
  return table.concat(s)
end

function render(t)
  local F, IP, OP, R = t.fn, t.IP, t.OP, t.R
  t.range = {}
  local s = {("/* %s: Convolution engine of segment %d (%d layers: %s)\n * %d x %d MACs per cycle, %d requantization lanes; layer L's constants are row L of the tables */\n"):format(
      F, t.seg, t.NL, t.layers, IP, OP, R)}
  local names = {}
  for _, f in ipairs(t.fields) do
    t.range[f.name] = {f.min, f.max}
    s[#s + 1] = lib.rom("int32_t", F .. "_d_" .. f.name, t.NL, f.body)
    names[#names + 1] = ("d_%s = %s_d_%s[L]"):format(f.name, F, f.name)
  end
  s[#s + 1] = lib.rom(t.at, F .. "_b", t.NQ, t.bbody)
  s[#s + 1] = lib.rom("int32_t", F .. "_M", t.NQ, t.Mbody)
  s[#s + 1] = lib.rom("int8_t", F .. "_sh", t.NQ, t.shbody)
  if t.leaky then
    s[#s + 1] = lib.rom("int32_t", F .. "_Mn", t.NQ, t.Mnbody)
    s[#s + 1] = lib.rom("int8_t", F .. "_shn", t.NQ, t.shnbody)
  end
  s[#s + 1] = ("static void %s(int8_t *fm, const int8_t *wts, int L) {\n"):format(F)
  for _, n in ipairs(names) do s[#s + 1] = ("  const int %s;\n"):format(n) end
  s[#s + 1] = ("  %s acc[%d];\n"):format(t.at, OP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=acc complete dim=1")
  s[#s + 1] = ("  int8_t xb[%d][%d];\n"):format(t.NICTMAX, IP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=xb complete dim=2")
  s[#s + 1] = ("  int8_t lb[%d][%d];\n"):format(t.ICGMAX, t.LBMAX)
  if IP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=lb cyclic factor=%d dim=1"):format(IP))
  end
  s[#s + 1] = ("  int8_t ob[%d][%d];\n"):format(OP, t.OWMAX)
  if R > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=ob cyclic factor=%d dim=1"):format(R))
  end
  s[#s + 1] = ("  int8_t wb[%d];\n"):format(t.WBMAX)
  if IP * OP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=wb cyclic factor=%d dim=1"):format(IP * OP))
  end
  if OP > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=%s_b cyclic factor=%d dim=1"):format(F, OP))
  end
  local qt = {"M", "sh"}
  if t.leaky then qt = {"M", "sh", "Mn", "shn"} end
  if R > 1 then
    for _, q in ipairs(qt) do
      s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=%s_%s cyclic factor=%d dim=1"):format(F, q, R))
    end
  end
  -- the same partitioning for the access count (chai_fx.h)
  s[#s + 1] = ("CHAI_ARRAY1(acc, %d, CHAI_COMPLETE, 0)\n"):format(OP)
  s[#s + 1] = ("CHAI_ARRAY2(xb, %d, CHAI_NONE, 0, %d, CHAI_COMPLETE, 0)\n"):format(t.NICTMAX, IP)
  s[#s + 1] = ("CHAI_ARRAY2(lb, %d, %s, %d, %d, CHAI_NONE, 0)\n"):format(t.ICGMAX,
      IP > 1 and "CHAI_CYCLIC" or "CHAI_NONE", IP, t.LBMAX)
  s[#s + 1] = ("CHAI_ARRAY2(ob, %d, %s, %d, %d, CHAI_NONE, 0)\n"):format(OP,
      R > 1 and "CHAI_CYCLIC" or "CHAI_NONE", R, t.OWMAX)
  s[#s + 1] = ("CHAI_ARRAY1(wb, %d, %s, %d)\n"):format(t.WBMAX, IP * OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", IP * OP)
  s[#s + 1] = ("CHAI_ARRAY1(%s_b, %d, %s, %d)\n"):format(F, t.NQ, OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", OP)
  for _, q in ipairs(qt) do
    s[#s + 1] = ("CHAI_ARRAY1(%s_%s, %d, %s, %d)\n"):format(F, q, t.NQ, R > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", R)
  end
  s[#s + 1] = body(t)
  s[#s + 1] = "}\n"
  return table.concat(s)
end
