-- engine.lua - the shared convolution engine of a hardware segment
-- (target.engine: shared, docs/hls.md "Shared engine"): one function
-- fn(fm, wts, L) that runs convolution L of the segment.  Layer L's
-- geometry, its offsets in fm / wts / the quant tables and its output
-- stage are row L of static const tables (t.fields: name, body, min, max,
-- all computed by compiler/emit_engine.c); every loop bound is one of
-- those values (a local d_<name>), with a LOOP_TRIPCOUNT of its range.
-- The loop nest: one burst of the layer's weights into wb; per output row
-- the line-buffer bursts of the rows the window has not loaded yet (all
-- input channels, channel c in bank c % IP, row iy in slot iy % span);
-- per pixel the init of every output channel block's accumulators, one
-- pipelined MAC loop over the taps, blocks and input words (IP x OP
-- unrolled, II 1, reading lb's IP banks directly; padding taps skip their
-- MACs), the output stage at R
-- lanes into the output row ob; per output row the drain bursts.
-- With wide ports (t.PB bytes per beat, target.port_bits: 64 / 128) the
-- three bursts move beats of type t.bt (uint64_t / chai_b128) through
-- t.pfm / t.pwts (fm64 / wts64, fm128 / wts128) and select the byte
-- lanes of rows that start inside a beat (lib.row_load, lib.row_write); lb and ob get PB banks along
-- the row and wb words of t.WF bytes (a multiple of IP*OP and of PB).
-- With t.plane (target.engine_plane_kb) a layer whose d_plane is 1 loads
-- each input channel's H rows as one burst at its first output row and
-- drains each output channel's OH rows as one burst after its last
-- (docs/hls.md "Whole planes"); its other loops are the rolling ones.
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
  -- the layer's weights, once: one burst into wb
  if t.PB > 1 then
    -- wide: PB bytes per beat from the beat-aligned d_wo into PB lanes
    s[#s + 1] = vfor(t, "  ", "wl", "b", "wbt")
    s[#s + 1] = lib.pipeline("", "    ", F .. "_wl", 1)
    s[#s + 1] = ("    const %s v = %s;\n"):format(t.bt, lib.acc("MR", t.pwts, ("[d_wo / %d + b]"):format(t.PB)))
    s[#s + 1] = ("    %s_wl_k: for (int k = 0; k < %d; k++)\n"):format(F, t.PB)
    s[#s + 1] = ("      if (%d * b + k < d_wall) %s = %s;\n  }\n"):format(t.PB,
        lib.acc("W", "wb", ("[%d * b + k]"):format(t.PB)), lib.beat_lane(t, "v"))
  else
    s[#s + 1] = vfor(t, "  ", "wl", "i", "wall")
    s[#s + 1] = lib.pipeline("", "    ", F .. "_wl", 1)
    s[#s + 1] = ("    %s = %s;\n  }\n"):format(lib.acc("W", "wb", "[i]"), lib.acc("MR", "wts", "[d_wo + i]"))
  end
  s[#s + 1] = vfor(t, "  ", "n", "n", "n")
  s[#s + 1] = vfor(t, "    ", "oy", "oy", "oh")
  -- the rolling line buffer: the span rows of the output row's window,
  -- input row iy of channel c in bank c % IP at word (c / IP) * span*W +
  -- (iy % span)*W + x; output row 0 loads its window, each later row only
  -- the rows past the previous window (r0 on)
  s[#s + 1] = "      const int ya = oy * d_sh - d_ph, r0 = oy == 0 || d_span <= d_sh ? 0 : d_span - d_sh;\n"
  if t.plane then
    -- whole planes (target.engine_plane_kb): a plane layer loads, at its
    -- first output row, each channel's H rows as one burst of H*W bytes
    -- (d_lk = 1 pass, row 0 in slot 0: d_span is H); a rolling layer as
    -- below (d_lk = d_span passes, d_lbn = W)
    s[#s + 1] = "      if (!d_plane || oy == 0) {\n"
  end
  local pin = t.plane and "  " or ""
  s[#s + 1] = vfor(t, pin .. "      ", "lc", "c", "c")
  s[#s + 1] = vfor(t, pin .. "        ", "lk", "r", t.plane and "lk" or "span")
  if t.plane then
    s[#s + 1] = pin .. "          const int iy = (1 - d_plane) * ya + r; /* a plane layer: row r */\n"
    s[#s + 1] = pin .. "          if (r < r0 || iy < 0 || iy >= d_h) continue;\n"
  else
    s[#s + 1] = "          const int iy = ya + r;\n"
    s[#s + 1] = "          if (r < r0 || iy < 0 || iy >= d_h) continue;\n"
  end
  s[#s + 1] = pin .. "          const int sl = iy % d_span;\n"
  if t.PB > 1 then
    -- wide: the row's covering beats (it starts at byte s of its first),
    -- PB lanes each into lb (cyclic PB along the row)
    s[#s + 1] = lib.row_load(t, {ind = pin .. "          ", head = vfor(t, pin .. "          ", "lx", "b", "lbt"), label = F .. "_lx",
      port = t.pfm, addr = "d_xo + ((n * d_c + c) * d_h + iy) * d_w", n = t.plane and "d_lbn" or "d_w", store = function(_, e)
        return ("%s = %s;\n"):format(lib.acc("W", "lb", ("[c %% %d][(c / %d) * d_lbw + sl * d_w + x]"):format(IP, IP)), e)
      end})
    s[#s + 1] = pin .. "        }\n" .. pin .. "      }\n"
    if t.plane then s[#s + 1] = "      }\n" end
  else
    s[#s + 1] = vfor(t, "          ", "lx", "x", "w")
    s[#s + 1] = lib.pipeline("", "            ", F .. "_lx", 1)
    s[#s + 1] = ("            %s = %s;\n          }\n        }\n      }\n"):format(
        lib.acc("W", "lb", ("[c %% %d][(c / %d) * d_lbw + sl * d_w + x]"):format(IP, IP)),
        lib.acc("MR", "fm", "[d_xo + ((n * d_c + c) * d_h + iy) * d_w + x]"))
  end
  s[#s + 1] = vfor(t, "      ", "ox", "ox", "ow")
  s[#s + 1] = vfor(t, "        ", "init", "t", "nt")
  s[#s + 1] = lib.pipeline("", "          ", F .. "_init", 1)
  s[#s + 1] = ("          %s_init_op: for (int op = 0; op < %d; op++) %s = %s;\n        }\n"):format(
      F, OP, lib.acc("W", "acc", "[t][op]"), lib.acc("R", F .. "_b", ("[d_qo + t * %d + op]"):format(OP)))
  -- the MAC loop, one pipeline per pixel: every tap (ky, kx), output
  -- channel block t and input word ict; a tap outside the input (padding)
  -- takes its cycles but makes no MAC
  s[#s + 1] = vfor(t, "        ", "mac", "j", "nmt")
  s[#s + 1] = lib.pipeline("", "          ", F .. "_mac", 1)
  s[#s + 1] = "          const int tap = j / d_nmac, m = j % d_nmac, ky = tap / d_kw, kx = tap % d_kw;\n"
  s[#s + 1] = "          const int iy = oy * d_sh - d_ph + ky * d_dh, ix = ox * d_sw - d_pw + kx * d_dw;\n"
  s[#s + 1] = "          const int in = iy >= 0 && iy < d_h && ix >= 0 && ix < d_w; /* else a padding tap */\n"
  s[#s + 1] = "          const int sl = (iy % d_span + d_span) % d_span; /* read only when in */\n"
  s[#s + 1] = "          const int t = m / d_nict, ict = m % d_nict, g = t / d_noct, oct = t % d_noct;\n"
  s[#s + 1] = ("          %s_ip: for (int ip = 0; ip < %d; ip++) {\n"):format(F, IP)
  local x = lib.acc("R", "lb", ("[c %% %d][(c / %d) * d_lbw + sl * d_w + ix]"):format(IP, IP))
  local function wv(op)
    return lib.acc("R", "wb", ("[((t * d_taps + ky * d_kw + kx) * d_nict + ict) * %d + ip * %d + %s]"):format(IP * OP, OP, op))
  end
  if not t.pack then
    s[#s + 1] = ("            %s_op: for (int op = 0; op < %d; op++) {\n"):format(F, OP)
    s[#s + 1] = ("              const int icl = ict * %d + ip, ocl = oct * %d + op, c = g * d_icg + icl;\n"):format(IP, OP)
    s[#s + 1] = "              if (in && icl < d_icg && ocl < d_ocg)\n"
    s[#s + 1] = ("                %s += (int32_t)%s *\n                    %s;\n"):format(
        lib.acc("RW", "acc", "[t][op]"), x, wv("op"))
    s[#s + 1] = "            }\n          }\n        }\n"
  else
    -- dsp_packing: channels op, op + 1 share the activation and one
    -- multiplier (fx_mul2); padding output channels add exact zeros
    -- (zero weights), so only input padding and padding taps are guarded
    s[#s + 1] = ("            const int icl = ict * %d + ip, c = g * d_icg + icl;\n"):format(IP)
    s[#s + 1] = "            (void)oct;\n"
    s[#s + 1] = ("            %s_op: for (int q = 0; q < %d; q++) {\n"):format(F, OP // 2)
    s[#s + 1] = "              const int op = 2 * q;\n"
    s[#s + 1] = "              if (in && icl < d_icg) {\n"
    s[#s + 1] = ("                const int64_t pp = fx_mul2(%s,\n                    %s, %s);\n"):format(x, wv("op"), wv("op + 1"))
    s[#s + 1] = ("                %s += fx_lo18(pp);\n"):format(lib.acc("RW", "acc", "[t][op]"))
    s[#s + 1] = ("                %s += fx_hi18(pp);\n              }\n            }\n"):format(lib.acc("RW", "acc", "[t][op + 1]"))
    if OP % 2 == 1 then
      s[#s + 1] = ("            if (in && icl < d_icg) %s += (int32_t)%s * %s;\n"):format(
          lib.acc("RW", "acc", ("[t][%d]"):format(OP - 1)), x, wv(tostring(OP - 1)))
    end
    s[#s + 1] = "          }\n        }\n"
  end
  -- the output stage: R lanes (UNROLL factor=R) over the blocks' channels
  if t.plane then -- a plane layer keeps every output row: row oy at oy*OW
    s[#s + 1] = "        const int obx = d_plane * oy * d_ow + ox;\n"
  end
  s[#s + 1] = vfor(t, "        ", "out", "j", "nout")
  s[#s + 1] = lib.pipeline("", "          ", F .. "_out", 1, t.R, "j")
  s[#s + 1] = ("          const int t = j / %d, op = j %% %d, q = d_qo + j;\n"):format(OP, OP)
  s[#s + 1] = ("          const int ocl = (t %% d_noct) * %d + op, o = (t / d_noct) * d_ocg + ocl;\n"):format(OP)
  s[#s + 1] = ("          const %s a = %s;\n"):format(t.at, lib.acc("R", "acc", "[t][op]"))
  local v = ("d_relu == 0 || a >= 0 ? %s : "):format(req(t, "M", "sh"))
  if t.leaky then
    v = v .. ("d_relu == %d ? %s : 0"):format(t.LEAKY, req(t, "Mn", "shn"))
  else
    v = v .. "0"
  end
  s[#s + 1] = ("          if (ocl < d_ocg) %s = (int8_t)(%s);\n        }\n      }\n"):format(
      lib.acc("W", "ob", t.plane and "[o][obx]" or "[o][ox]"), v)
  -- drain the output row: one burst of OW codes per channel
  if t.plane then
    -- a plane layer drains after its last output row: each channel's OH
    -- rows as one burst of OH*OW bytes (d_obn; a rolling layer's is OW)
    s[#s + 1] = "      if (!d_plane || oy == d_oh - 1) {\n"
  end
  s[#s + 1] = vfor(t, pin .. "      ", "dc", "o", "oc")
  if t.PB > 1 then
    -- wide: the row's covering beats; the first and the last are read
    -- first, so the bytes of the neighbouring rows are written back as
    -- they were
    s[#s + 1] = lib.row_write(t, {ind = pin .. "        ", head = vfor(t, pin .. "        ", "dx", "b", "dbt"), label = F .. "_dx",
      ii = 1, port = t.pfm, addr = t.plane and "d_yo + ((n * d_oc + o) * d_oh + (1 - d_plane) * oy) * d_ow" or
          "d_yo + ((n * d_oc + o) * d_oh + oy) * d_ow", n = t.plane and "d_obn" or "d_ow", v = "v", x = "x",
      val = lib.acc("R", "ob", "[o][x]")})
    if t.plane then
      s[#s + 1] = "          }\n        }\n      }\n    }\n  }\n"
    else
      s[#s + 1] = "        }\n      }\n    }\n  }\n"
    end
  else
    s[#s + 1] = vfor(t, "        ", "dx", "x", "ow")
    s[#s + 1] = lib.pipeline("", "          ", F .. "_dx", 1)
    s[#s + 1] = ("          %s = %s;\n        }\n      }\n    }\n  }\n"):format(
        lib.acc("MW", "fm", "[d_yo + ((n * d_oc + o) * d_oh + oy) * d_ow + x]"), lib.acc("R", "ob", "[o][x]"))
  end
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
  if t.PB > 1 then
    s[#s + 1] = ("static void %s(%s *%s, const %s *%s, int L) {\n"):format(F, t.bt, t.pfm, t.bt, t.pwts)
  else
    s[#s + 1] = ("static void %s(int8_t *fm, const int8_t *wts, int L) {\n"):format(F)
  end
  for _, n in ipairs(names) do s[#s + 1] = ("  const int %s;\n"):format(n) end
  s[#s + 1] = ("  %s acc[%d][%d];\n"):format(t.at, t.NTMAX, OP)
  s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=acc complete dim=2")
  s[#s + 1] = ("  int8_t lb[%d][%d];\n"):format(IP, t.LBMAX)
  if IP > 1 then
    s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=lb complete dim=1")
  end
  if t.PB > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=lb cyclic factor=%d dim=2"):format(t.PB))
  end
  s[#s + 1] = ("  int8_t ob[%d][%d];\n"):format(t.OCMAX, t.OWMAX)
  if R > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=ob cyclic factor=%d dim=1"):format(R))
  end
  if t.PB > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=ob cyclic factor=%d dim=2"):format(t.PB))
  end
  s[#s + 1] = ("  int8_t wb[%d];\n"):format(t.WBMAX)
  if t.WF > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_RESHAPE variable=wb cyclic factor=%d dim=1"):format(t.WF))
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
  s[#s + 1] = ("CHAI_ARRAY2(acc, %d, CHAI_NONE, 0, %d, CHAI_COMPLETE, 0)\n"):format(t.NTMAX, OP)
  local row = t.PB > 1 and ("CHAI_CYCLIC, %d"):format(t.PB) or "CHAI_NONE, 0"
  s[#s + 1] = ("CHAI_ARRAY2(lb, %d, %s, 0, %d, %s)\n"):format(IP,
      IP > 1 and "CHAI_COMPLETE" or "CHAI_NONE", t.LBMAX, row)
  s[#s + 1] = ("CHAI_ARRAY2(ob, %d, %s, %d, %d, %s)\n"):format(t.OCMAX,
      R > 1 and "CHAI_CYCLIC" or "CHAI_NONE", R, t.OWMAX, row)
  s[#s + 1] = ("CHAI_ARRAY1(wb, %d, %s, %d)\n"):format(t.WBMAX, t.WF > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", t.WF)
  s[#s + 1] = ("CHAI_ARRAY1(%s_b, %d, %s, %d)\n"):format(F, t.NQ, OP > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", OP)
  for _, q in ipairs(qt) do
    s[#s + 1] = ("CHAI_ARRAY1(%s_%s, %d, %s, %d)\n"):format(F, q, t.NQ, R > 1 and "CHAI_R_CYCLIC" or "CHAI_NONE", R)
  end
  s[#s + 1] = body(t)
  s[#s + 1] = "}\n"
  return table.concat(s)
end
