-- pool.lua - MAX / AVE pooling in fixed point with Caffe's windows: the
-- window loop has the kernel's constant trip count and skips taps outside
-- the (clipped) window.  AVE divides the integer sum by the padded-window
-- count, rounding half away from zero; then the requantization (a plain
-- saturation when the scales are equal).
--
-- Per plane, the line buffer lb[KH][W] holds the window's KH input rows;
-- lb is partitioned completely by row and cyclically by KW along the row,
-- so the pipelined _ox loop reads its KH x KW window (unrolled) one word
-- per bank: II 1.  The outputs of a row are written at consecutive
-- addresses (a burst).  lb is filled in one of two ways (chosen by
-- compiler/layers/pool.c, t.stream):
--   * streaming (windows overlapping vertically): each input row is burst
--     once from the m_axi feature map, shifted into lb's last row while
--     the other rows move up (one read and one write per bank and cycle,
--     II 1), and each output row is computed when its last window row
--     has arrived;
--   * re-filled: per output row, the window's KH input rows are burst
--     into lb (one pipelined II=1 loop per row, consecutive addresses).
-- With wide ports (t.PB 8 or 16, docs/hls.md "64-bit pooling") the
-- function takes t.pfm (fm64 / fm128) alone (its buffers at the byte
-- offsets XO / YO): rows are loaded as their covering beats, PB lanes
-- each, and the window loop runs over the output row's covering beats,
-- computing the PB windows of a beat
-- (unrolled) and writing the beat (its first and last read back first, so
-- the bytes outside the row are written unchanged); lb has LBF banks
-- along the row (the columns the PB windows address) and LW >= W columns.
-- The plane form (t.plane: wide ports with whole planes, docs/hls.md
-- "Whole planes") loads each plane as one burst of H*W bytes into pl
-- (KHB banks along its rows, LBF along the columns), computes every
-- output row's PB windows per iteration into the output plane po, and
-- drains po as one burst of OH*OW bytes.
local lib = import("hls/lib")

-- The window of output (oy, ox) into `r` (MAX or AVE over its taps
-- inside the input), its lines indented by 6 spaces + pad.
local function window(t, pad)
  local F = t.fn
  local src = t.plane and "CHAI_R(pl, [iy][ix])" or "CHAI_R(lb, [ky][ix])"
  local s = {}
  s[#s + 1] = ([[
      int hs = oy * %d - %d, ws = ox * %d - %d;
      int he = hs + %d, we = ws + %d;
]]):format(t.SH, t.PH, t.SW, t.PW, t.KH, t.KW)
  if t.ave then
    s[#s + 1] = ([[
      if (he > %d) he = %d;
      if (we > %d) we = %d;
      const int32_t cnt = (he - hs) * (we - ws);
]]):format(t.H + t.PH, t.H + t.PH, t.W + t.PW, t.W + t.PW)
  end
  s[#s + 1] = ([[
      if (hs < 0) hs = 0;
      if (ws < 0) ws = 0;
      if (he > %d) he = %d;
      if (we > %d) we = %d;
]]):format(t.H, t.H, t.W, t.W)
  s[#s + 1] = t.ave and ("      %s sum = 0;\n"):format(t.st) or "      int32_t m = -32768;\n"
  s[#s + 1] = ([[
      %s_ky: for (int ky = 0; ky < %d; ky++) {
        %s_kx: for (int kx = 0; kx < %d; kx++) {
          const int iy = oy * %d - %d + ky, ix = ox * %d - %d + kx;
          if (iy < hs || iy >= he || ix < ws || ix >= we) continue;
          const int32_t v = %s;
]]):format(F, t.KH, F, t.KW, t.SH, t.PH, t.SW, t.PW, src)
  s[#s + 1] = t.ave and "          sum += v;\n" or "          if (v > m) m = v;\n"
  s[#s + 1] = "        }\n      }\n"
  if t.ave then
    s[#s + 1] = ([[
      const %s r = cnt <= 0 ? 0 : sum >= 0 ? (sum + cnt / 2) / cnt : -((-sum + cnt / 2) / cnt);
]]):format(t.st)
  else
    s[#s + 1] = "      const int32_t r = hs < he && ws < we ? m : 0;\n"
  end
  local out = table.concat(s)
  if pad == "" then return out end
  return (out:gsub("([^\n]*\n)", function(line) return pad .. line end))
end

-- The wide forms' load of input row `row` (a C expression) of plane p
-- into lb (t.PB-byte beats from t.pfm, lib.row_load): its RB covering
-- beats, PB lanes each; store(x, e) writes byte e to column x.
local function wide_load(t, ind, row, store)
  local F = t.fn
  return lib.row_load(t, {ind = ind, head = ("%s%s_lx: for (int b = 0; b < %d; b++) {\n"):format(ind, F, t.RB),
    label = F .. "_lx", port = t.pfm, addr = ("%d + (p * %d + %s) * %d"):format(t.XO, t.H, row, t.W),
    n = tostring(t.W), store = store, block = true})
end

-- The wide output row oy of plane p (lib.row_write): OB covering beats of
-- PB windows each (lane k is output ox = PB*b + k - s).  v: the output
-- code of `r`.
local function wide_out(t, v)
  local F = t.fn
  return lib.row_write(t, {ind = "    ", head = ("    %s_ox: for (int b = 0; b < %d; b++) {\n"):format(F, t.OB),
    label = F .. "_ox", ii = t.II, port = t.pfm, addr = ("%d + (p * %d + oy) * %d"):format(t.YO, t.OH, t.OW),
    n = tostring(t.OW), v = "o", x = "ox", body = window(t, "    ") .. ("          const int8_t q = (int8_t)%s;\n"):format(v),
    val = "q"})
end

-- The plane form: per plane p, the load burst into pl, the window beats
-- into po, the drain burst of po.
local function render_plane(t, s)
  local F, PB = t.fn, t.PB
  s[#s + 1] = ("  %s pl[%d][%d];\n"):format(t.xt[1], t.H, t.LW)
  s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=pl cyclic factor=%d dim=1"):format(t.KHB))
  s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=pl cyclic factor=%d dim=2"):format(t.LBF))
  s[#s + 1] = ("  int8_t po[%d];\n"):format(t.OH * t.OW)
  s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=po cyclic factor=%d dim=1"):format(PB))
  s[#s + 1] = ("CHAI_ARRAY2(pl, %d, CHAI_CYCLIC, %d, %d, CHAI_CYCLIC, %d)\n"):format(t.H, t.KHB, t.LW, t.LBF)
  s[#s + 1] = ("CHAI_ARRAY1(po, %d, CHAI_CYCLIC, %d)\n"):format(t.OH * t.OW, PB)
  s[#s + 1] = ("%s_p: for (int p = 0; p < %d; p++) {\n"):format(F, t.NC)
  s[#s + 1] = "  {\n" -- the load's a, s, nb in their own scope (the drain has its own)
  s[#s + 1] = lib.row_load(t, {ind = "    ", head = ("    %s_lx: for (int b = 0; b < %d; b++) {\n"):format(F, t.PRB),
    label = F .. "_lx", port = t.pfm, addr = ("%d + p * %d"):format(t.XO, t.H * t.W),
    n = tostring(t.H * t.W), store = function(ind, e)
      return ("%s%s = %s;\n"):format(ind, lib.acc("W", "pl", ("[x / %d][x %% %d]"):format(t.W, t.W)), e)
    end, block = true})
  s[#s + 1] = "  }\n"
  local v = t.ident and ("fx_sat(r, %d, %d)"):format(t.qmin, t.qmax) or lib.req(t, "r", t.M, t.sh)
  s[#s + 1] = ("  %s_oy: for (int oy = 0; oy < %d; oy++) {\n"):format(F, t.OH)
  s[#s + 1] = ("    %s_ox: for (int b = 0; b < %d; b++) {\n"):format(F, t.OBP)
  s[#s + 1] = lib.pipeline("", "      ", F .. "_ox", t.II)
  s[#s + 1] = ("      %s_ox_k: for (int k = 0; k < %d; k++) {\n"):format(F, PB)
  s[#s + 1] = ("        const int ox = %d * b + k;\n        if (ox < %d) {\n"):format(PB, t.OW)
  s[#s + 1] = window(t, "    ")
  s[#s + 1] = ("          %s = (int8_t)%s;\n        }\n      }\n    }\n  }\n"):format(
      lib.acc("W", "po", ("[oy * %d + ox]"):format(t.OW)), v)
  s[#s + 1] = "  {\n"
  s[#s + 1] = lib.row_write(t, {ind = "    ", head = ("    %s_dx: for (int b = 0; b < %d; b++) {\n"):format(F, t.PDB),
    label = F .. "_dx", ii = 1, port = t.pfm, addr = ("%d + p * %d"):format(t.YO, t.OH * t.OW),
    n = tostring(t.OH * t.OW), v = "o", x = "x", val = lib.acc("R", "po", "[x]")})
  s[#s + 1] = "    }\n  }\n}\n}\n"
  return table.concat(s)
end

function render(t)
  local F = t.fn
  local sig = lib.signature(t)
  if t.PB > 1 then sig = ("static void %s(%s *%s)"):format(F, t.bt, t.pfm) end
  local s = {lib.header(t), sig, " {\n"}
  if t.plane and t.PB > 1 then return render_plane(t, s) end
  -- the line buffer: the window's KH input rows, KH x LBF banks (a window
  -- reads one word of each; wide: the PB windows of a beat, and a loaded
  -- beat's PB bytes)
  s[#s + 1] = ("  %s lb[%d][%d];\n"):format(t.xt[1], t.KH, t.LW)
  if t.KH > 1 then s[#s + 1] = lib.pragma("", "ARRAY_PARTITION variable=lb complete dim=1") end
  local kf = t.LBF
  if kf > 1 then
    s[#s + 1] = lib.pragma("", ("ARRAY_PARTITION variable=lb cyclic factor=%d dim=2"):format(kf))
  end
  s[#s + 1] = ("CHAI_ARRAY2(lb, %d, %s, 0, %d, %s, %d)\n"):format(t.KH, t.KH > 1 and "CHAI_COMPLETE" or "CHAI_NONE",
      t.LW, kf > 1 and "CHAI_CYCLIC" or "CHAI_NONE", kf)
  local function shift(ind, label, x)
    return ("%s%s: for (int r = 0; r < %d; r++) %s = %s;\n"):format(ind, label, t.KH - 1,
        lib.acc("W", "lb", ("[r][%s]"):format(x)), lib.acc("R", "lb", ("[r + 1][%s]"):format(x)))
  end
  if t.stream then
    -- streaming: every input row once, shifted into the bottom row of lb
    -- (row r of lb then holds input row y - KH + 1 + r); the rows past the
    -- input are shifted in without a read; when row y ends a window row
    -- (y = oy*SH - PH + KH - 1), output row oy is computed: lb[ky] holds
    -- its input row oy*SH - PH + ky, as in the re-filled form.
    s[#s + 1] = ([[
%s_p: for (int p = 0; p < %d; p++) {
  %s_y: for (int y = 0; y < %d; y++) {
    if (y < %d) {
]]):format(F, t.NC, F, t.YE, t.H)
    if t.PB > 1 then
      s[#s + 1] = wide_load(t, "      ", "y", function(ind, e)
        return shift(ind, F .. "_ls", "x") .. ("%s%s = %s;\n"):format(ind, lib.acc("W", "lb", ("[%d][x]"):format(t.KH - 1)), e)
      end)
      if t.YE > t.H then -- rows past the input: shifted in without a read
        s[#s + 1] = "    } else {\n"
        s[#s + 1] = ("      %s_lv: for (int b = 0; b < %d; b++) {\n"):format(F, t.VB)
        s[#s + 1] = lib.pipeline("", "        ", F .. "_lv", 1)
        s[#s + 1] = ("        %s_lv_k: for (int k = 0; k < %d; k++) {\n"):format(F, t.PB)
        s[#s + 1] = ("          const int x = %d * b + k;\n          if (x < %d) {\n"):format(t.PB, t.W)
        s[#s + 1] = shift("            ", F .. "_vs", "x")
        s[#s + 1] = "          }\n        }\n      }\n"
      end
      s[#s + 1] = "    }\n"
    else
      s[#s + 1] = ("      %s_lx: for (int x = 0; x < %d; x++) {\n"):format(F, t.W)
      s[#s + 1] = lib.pipeline("", "        ", F .. "_lx", 1)
      s[#s + 1] = shift("        ", F .. "_ls", "x")
      s[#s + 1] = ("        %s = %s;\n      }\n    } else {\n"):format(lib.acc("W", "lb", ("[%d][x]"):format(t.KH - 1)),
          lib.acc("MR", "x0", ("[(p * %d + y) * %d + x]"):format(t.H, t.W)))
      s[#s + 1] = ("      %s_lv: for (int x = 0; x < %d; x++) {\n"):format(F, t.W)
      s[#s + 1] = lib.pipeline("", "        ", F .. "_lv", 1)
      s[#s + 1] = shift("        ", F .. "_vs", "x")
      s[#s + 1] = "      }\n    }\n"
    end
    s[#s + 1] = ([[
    const int t = y - %d;
    if (t < 0 || t %% %d != 0) continue;
    const int oy = t / %d;
]]):format(t.KL, t.SH, t.SH)
  else
    s[#s + 1] = ([[
%s_p: for (int p = 0; p < %d; p++) {
  %s_oy: for (int oy = 0; oy < %d; oy++) {
    %s_lk: for (int ky = 0; ky < %d; ky++) {
      const int iy = oy * %d - %d + ky;
      if (iy < 0 || iy >= %d) continue;
]]):format(F, t.NC, F, t.OH, F, t.KH, t.SH, t.PH, t.H)
    if t.PB > 1 then
      s[#s + 1] = wide_load(t, "      ", "iy", function(ind, e)
        return ("%s%s = %s;\n"):format(ind, lib.acc("W", "lb", "[ky][x]"), e)
      end)
      s[#s + 1] = "    }\n"
    else
      s[#s + 1] = ("      %s_lx: for (int x = 0; x < %d; x++) {\n"):format(F, t.W)
      s[#s + 1] = lib.pipeline("", "        ", F .. "_lx", 1)
      s[#s + 1] = ("        %s = %s;\n      }\n    }\n"):format(lib.acc("W", "lb", "[ky][x]"),
          lib.acc("MR", "x0", ("[(p * %d + iy) * %d + x]"):format(t.H, t.W)))
    end
  end
  local v = t.ident and ("fx_sat(r, %d, %d)"):format(t.qmin, t.qmax) or lib.req(t, "r", t.M, t.sh)
  if t.PB > 1 then
    s[#s + 1] = wide_out(t, v)
  else
    s[#s + 1] = ("    %s_ox: for (int ox = 0; ox < %d; ox++) {\n"):format(F, t.OW)
    s[#s + 1] = lib.pipeline("", "      ", F .. "_ox", t.II)
    s[#s + 1] = window(t, "")
    s[#s + 1] = ("      CHAI_MW(y0, [(p * %d + oy) * %d + ox]) = (%s)%s;\n"):format(t.OH, t.OW, t.yt[1], v)
  end
  s[#s + 1] = "    }\n  }\n}\n}\n"
  return table.concat(s)
end
