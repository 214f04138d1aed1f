-- conv.lua - Convolution as a register-blocked product of the weights
-- (OC x K, K = ICG*KH*KW in c,kh,kw order) with the input seen as K rows of
-- L positions.  Per group the input is first made addressable without
-- bounds tests (the emitter picks the mode):
--   direct  stride 1: output position p = oh*WP + ow reads X[koff(k) + p]
--           from the input (zero-padded into scratch when PH or PW > 0;
--           the columns ow >= OW of a wide row are computed and dropped);
--   im2col  stride > 1: X = K rows of OH*OW gathered values in scratch.
-- With rows (direct mode, OW a multiple of every tile width) tiles stay
-- within one output row, so no column ow >= OW is computed.
-- A tile is MR output channels x NR positions accumulated in registers
-- (GCC vector extensions: chai_v8 = 8 floats, see c/net; on ARM NEON the
-- runtime's rt_conv_tile_f32 instead); each output is
-- bias + sum over k in order, as the reference kernel.
local lib = import("c/lib")

-- Stores acc[r][j] (a float array) of a tile at positions p0 + j (rows:
-- at output q0 + j).
local function store(t, mr, nr)
  local s = {}
  s[#s + 1] = ("        for (int r = 0; r < %d; r++)\n"):format(mr)
  s[#s + 1] = ("          for (int j = 0; j < %d; j++) {\n"):format(nr)
  if t.rows then
    s[#s + 1] = ("            y[(long)(o + r) * %d + q0 + j] = %s;\n"):format(t.OH * t.OW, lib.act(t, "acc[r][j]"))
  elseif t.compact then
    s[#s + 1] = ("            y[(long)(o + r) * %d + p0 + j] = %s;\n"):format(t.OH * t.OW, lib.act(t, "acc[r][j]"))
  else
    s[#s + 1] = ("            const int p = p0 + j, oh = p / %d, ow = p - oh * %d;\n"):format(t.WP, t.WP)
    s[#s + 1] = ("            if (ow < %d) y[(long)(o + r) * %d + oh * %d + ow] = %s;\n"):format(t.OW, t.OH * t.OW, t.OW, lib.act(t, "acc[r][j]"))
  end
  s[#s + 1] = "          }\n"
  return table.concat(s)
end

local function bias_of(t, r)
  if t.bias == "" then return "0.0f" end
  return ("%s[g * %d + o + %s]"):format(t.bias, t.OCG, r)
end

-- The k loops (c, kh, kw) around body, with xs = X at k's offset + p0.
local function kloops(t, body)
  return ([[
        for (int c = 0; c < %d; c++)
          for (int kh = 0; kh < %d; kh++)
            for (int kw = 0; kw < %d; kw++) {
              const float *xs = X + (long)c * %d + kh * %d + kw * %d + p0;
              const int k = (c * %d + kh) * %d + kw;
%s            }
]]):format(t.ICG, t.KH, t.KW, t.PLANE, t.KHS, t.KWS, t.KH, t.KW, body)
end

-- One full tile of mr channels (from o) x nr / 8 vectors of 8 positions
-- (from p0; rows: output q0 at p0), accumulated in chai_v8 registers
-- a<r>_<v>.
local function vtile(t, mr, nr, p0, q0)
  local s = {}
  local nv = nr // 8
  s[#s + 1] = ("      { /* %d x %d tile */\n"):format(mr, nr)
  s[#s + 1] = ("        const int p0 = %s;\n"):format(p0)
  if q0 then s[#s + 1] = ("        const int q0 = %s;\n"):format(q0) end
  s[#s + 1] = ("        const float *wr = wg + (long)o * %d;\n"):format(t.K)
  local bp = t.bias == "" and "NULL" or ("%s + g * %d + o"):format(t.bias, t.OCG)
  s[#s + 1] = ("#if CHAI_NEON_F32\n        float acc[%d][%d];\n"):format(mr, nr)
  s[#s + 1] = ("        rt_conv_tile_f32(&acc[0][0], %d, wr, %d, X + p0, koff, %s, %d, %d);\n#else\n"):format(
      nr, t.K, bp, mr, nr)
  for r = 0, mr - 1 do
    local a = {}
    for v = 0, nv - 1 do a[#a + 1] = ("a%d_%d = CHAI_V8_SPLAT(%s)"):format(r, v, bias_of(t, r)) end
    s[#s + 1] = "        chai_v8 " .. table.concat(a, ", ") .. ";\n"
  end
  local b = {}
  local xl = {}
  for v = 0, nv - 1 do xl[#xl + 1] = ("x%d"):format(v) end
  b[#b + 1] = "              chai_v8 " .. table.concat(xl, ", ") .. ";\n"
  for v = 0, nv - 1 do b[#b + 1] = ("              CHAI_V8_LOAD(x%d, xs + %d);\n"):format(v, 8 * v) end
  for r = 0, mr - 1 do
    b[#b + 1] = ("              { const float ws = wr[%d + k]; const chai_v8 w = CHAI_V8_SPLAT(ws);"):format(r * t.K)
    for v = 0, nv - 1 do b[#b + 1] = (" a%d_%d += w * x%d;"):format(r, v, v) end
    b[#b + 1] = " }\n"
  end
  s[#s + 1] = kloops(t, table.concat(b))
  s[#s + 1] = ("        float acc[%d][%d];\n"):format(mr, nr)
  for r = 0, mr - 1 do
    for v = 0, nv - 1 do
      s[#s + 1] = ("        CHAI_V8_STORE(&acc[%d][%d], a%d_%d);\n"):format(r, 8 * v, r, v)
    end
  end
  s[#s + 1] = "#endif\n"
  s[#s + 1] = store(t, mr, nr)
  s[#s + 1] = "      }\n"
  return table.concat(s)
end

-- The last, partial tile (nr < NR positions) in scalar code.
local function tile(t, mr, nr, p0)
  local s = {}
  s[#s + 1] = ("      { /* %d x %d tile */\n"):format(mr, nr)
  s[#s + 1] = ("        const int p0 = %s;\n"):format(p0)
  s[#s + 1] = ("        float acc[%d][%d];\n"):format(mr, nr)
  s[#s + 1] = ("        for (int r = 0; r < %d; r++)\n          for (int j = 0; j < %d; j++) acc[r][j] = %s;\n"):format(mr, nr, bias_of(t, "r"))
  s[#s + 1] = ("        const float *wr = wg + (long)o * %d;\n"):format(t.K)
  s[#s + 1] = kloops(t, ([[
              for (int r = 0; r < %d; r++) {
                const float wv = wr[r * %d + k];
                for (int j = 0; j < %d; j++) acc[r][j] += wv * xs[j];
              }
]]):format(mr, t.K, nr))
  s[#s + 1] = store(t, mr, nr)
  s[#s + 1] = "      }\n"
  return table.concat(s)
end

-- All tiles of a block of mr channels: full nr tiles, then the tail (rows:
-- OW / nr tiles per output row, no tail).
local function tiles(t, mr, nr)
  local s = {}
  if t.rows then
    s[#s + 1] = ("      for (int oh = 0; oh < %d; oh++)\n"):format(t.OH)
    s[#s + 1] = ("      for (int ow = 0; ow < %d; ow += %d)\n"):format(t.OW, nr)
    s[#s + 1] = vtile(t, mr, nr, ("oh * %d + ow"):format(t.WP), ("oh * %d + ow"):format(t.OW))
    return table.concat(s)
  end
  local full = t.L - t.L % nr
  if full > 0 then
    s[#s + 1] = ("      for (int pb = 0; pb < %d; pb += %d)\n"):format(full, nr)
    s[#s + 1] = vtile(t, mr, nr, "pb")
  end
  if t.L % nr > 0 then s[#s + 1] = tile(t, mr, t.L % nr, tostring(full)) end
  return table.concat(s)
end

-- The body of channel block `b` (a C expression) of MR channels from
-- o = b * MR: the wide tiles, or under CHAI_NARROW (targets with few
-- vector registers, see c/net) two halves of MR/2 with the narrow ones.
local function mr_block(t, b, wide, narrow)
  if wide == narrow then
    return ("      const int o = %s * %d;\n"):format(b, t.MR) .. wide
  end
  return ("      if (CHAI_NARROW) {\n      for (int o = %s * %d; o < %s * %d + %d; o += %d) {\n"):format(
      b, t.MR, b, t.MR, t.MR, t.MR // 2) .. narrow .. "      }\n      } else {\n" ..
      ("      const int o = %s * %d;\n"):format(b, t.MR) .. wide .. "      }\n"
end

-- Position units (t.NPB > 0): the tiles of a block of mr channels over
-- the unit's positions [P0, P1) (rows: output rows [R0, R1)); full tiles
-- from P0, and in the plane's last unit the tail of L % nr positions.
-- Units hold whole tiles (PB is a multiple of every width), so the tile
-- that computes a position never depends on the thread count.
local function tiles_range(t, mr, nr)
  local s = {}
  if t.rows then
    s[#s + 1] = "      for (int oh = R0; oh < R1; oh++)\n"
    s[#s + 1] = ("      for (int ow = 0; ow < %d; ow += %d)\n"):format(t.OW, nr)
    s[#s + 1] = vtile(t, mr, nr, ("oh * %d + ow"):format(t.WP), ("oh * %d + ow"):format(t.OW))
    return table.concat(s)
  end
  s[#s + 1] = ("      for (int pb = P0; pb + %d <= P1; pb += %d)\n"):format(nr, nr)
  s[#s + 1] = vtile(t, mr, nr, "pb")
  local tail = (t.L - (t.NPB - 1) * t.PB) % nr
  if tail > 0 then
    s[#s + 1] = "      if (P1 == " .. t.L .. ")\n"
    s[#s + 1] = tile(t, mr, tail, tostring(t.L - tail))
  end
  return table.concat(s)
end

-- Position units: every channel block of the group over the unit's
-- positions (blocks of MR, or two of MR/2 under CHAI_NARROW, then RB).
local function range_code(t)
  local s = {}
  local nfull = t.OCG // t.MR
  if nfull > 0 then
    s[#s + 1] = ("    for (int ob = 0; ob < %d; ob++) {\n"):format(nfull)
    s[#s + 1] = mr_block(t, "ob", tiles_range(t, t.MR, t.NR), tiles_range(t, t.MR // 2, t.NR))
    s[#s + 1] = "    }\n"
  end
  for i = 1, #t.RB, 3 do
    s[#s + 1] = ("    {\n      const int o = %d;\n"):format(t.RB[i])
    s[#s + 1] = tiles_range(t, t.RB[i + 1], t.RB[i + 2])
    s[#s + 1] = "    }\n"
  end
  return table.concat(s)
end

-- The loops over the im2col rows (c, kh, kw) of scratch X, up to the
-- row loop the caller appends: per row, d (the row in X), sp (the input
-- plane), off (the input column of ow = 0 before the stride) and the
-- output columns [lo, hi) that read inside the input row.
local function im2col_head(t, what)
  return ([[
    for (int c = 0; c < %d; c++) /* %s */
      for (int kh = 0; kh < %d; kh++)
        for (int kw = 0; kw < %d; kw++) {
          float *d = X + ((long)(c * %d + kh) * %d + kw) * %d;
          const float *sp = x + (long)c * %d;
          const int off = kw * %d - %d;
          int lo = off >= 0 ? 0 : (-off + %d - 1) / %d, hi = %d - off > 0 ? (%d - off + %d - 1) / %d : 0;
          if (lo > %d) lo = %d;
          if (hi > %d) hi = %d;
          if (hi < lo) hi = lo;
]]):format(t.ICG, what, t.KH, t.KW, t.KH, t.KW, t.L, t.H * t.W, t.DW, t.PW, t.SW, t.SW, t.W, t.W, t.SW,
           t.SW, t.OW, t.OW, t.OW, t.OW)
end

-- The im2col rows oh in [from, to) of row (c, kh, kw) (inside
-- im2col_head): columns [lo, hi) of an output row read inside the input
-- row (iw = ow * SW + off in [0, W)); the others and rows outside are
-- zeros.
local function im2col_rows(t, from, to)
  return ([[
          for (int oh = %s; oh < %s; oh++) {
            const int ih = oh * %d - %d + kh * %d;
            float *dr = d + oh * %d;
            if (ih < 0 || ih >= %d) {
              for (int ow = 0; ow < %d; ow++) dr[ow] = 0.0f;
              continue;
            }
            const int base = ih * %d + off;
            for (int ow = 0; ow < lo; ow++) dr[ow] = 0.0f;
            for (int ow = lo; ow < hi; ow++) dr[ow] = sp[base + ow * %d];
            for (int ow = hi; ow < %d; ow++) dr[ow] = 0.0f;
          }
        }
]]):format(from, to, t.SH, t.PH, t.DH, t.OW, t.H, t.OW, t.W, t.SW, t.OW)
end

-- Position units: fills what the unit's tiles read of X for group g of
-- image n: im2col columns [P0, P1) of every row, or (a zero-padded copy)
-- the padded rows its positions reach.
local function prepare_range(t)
  if t.mode == "direct" then
    return ([[
    { /* the padded rows [r0, r1] the positions [P0, P1) read */
      const int r0 = P0 / %d, r1 = (P1 - 1 + %d) / %d;
      for (int c = 0; c < %d; c++)
        for (int r = r0; r <= r1; r++) {
          float *d = X + (long)c * %d + (long)r * %d;
          const int h = r - %d;
          if (h < 0 || h >= %d) {
            for (int i = 0; i < %d; i++) d[i] = 0.0f;
            continue;
          }
          const float *sp = x + (long)c * %d + (long)h * %d;
          for (int i = 0; i < %d; i++) d[i] = 0.0f;
          for (int w = 0; w < %d; w++) d[%d + w] = sp[w];
          for (int i = %d; i < %d; i++) d[i] = 0.0f;
        }
    }
]]):format(t.WP, (t.KH - 1) * t.KHS + (t.KW - 1) * t.KWS, t.WP, t.ICG, t.PLANE, t.WP, t.PH, t.H, t.WP,
           t.H * t.W, t.W, t.PW, t.W, t.PW, t.PW + t.W, t.WP)
  end
  if t.PBROWS then -- whole output rows: the whole-plane copy's loops on rows [P0 / OW, P1 / OW)
    return im2col_head(t, "im2col columns [P0, P1), whole output rows, of rows (c, kh, kw)") ..
               im2col_rows(t, "P0 / " .. t.OW, "P1 / " .. t.OW)
  end
  return im2col_head(t, "im2col columns [P0, P1) of rows (c, kh, kw)") .. ([[
          for (int oh = P0 / %d; oh * %d < P1; oh++) {
            const int ih = oh * %d - %d + kh * %d;
            float *dr = d + oh * %d;
            const int a = P0 > oh * %d ? P0 - oh * %d : 0, b = P1 - oh * %d < %d ? P1 - oh * %d : %d;
            if (ih < 0 || ih >= %d) {
              for (int ow = a; ow < b; ow++) dr[ow] = 0.0f;
              continue;
            }
            const int base = ih * %d + off;
            const int c0 = lo > a ? (lo < b ? lo : b) : a, c1 = hi < b ? (hi > c0 ? hi : c0) : b;
            for (int ow = a; ow < c0; ow++) dr[ow] = 0.0f;
            for (int ow = c0; ow < c1; ow++) dr[ow] = sp[base + ow * %d];
            for (int ow = c1; ow < b; ow++) dr[ow] = 0.0f;
          }
        }
]]):format(t.OW, t.OW, t.SH, t.PH, t.DH, t.OW, t.OW, t.OW, t.OW, t.OW, t.OW, t.OW,
           t.H, t.W, t.SW)
end

-- True when X is the input itself (stride 1, no padding): no scratch.
local function in_place(t) return t.mode == "direct" and not t.pad end

-- Fills X (the thread's scratch) for group g of image n from the input
-- planes x.
local function prepare(t)
  local s = {}
  if t.mode == "direct" then
    s[#s + 1] = ([[
    for (int c = 0; c < %d; c++) { /* zero-padded copy, rows of %d */
      float *d = X + (long)c * %d;
      const float *sp = x + (long)c * %d;
      for (int i = 0; i < %d; i++) d[i] = 0.0f;
      for (int h = 0; h < %d; h++)
        for (int w = 0; w < %d; w++) d[(h + %d) * %d + w + %d] = sp[h * %d + w];
    }
]]):format(t.ICG, t.WP, t.PLANE, t.H * t.W, t.PLANE, t.H, t.W, t.PH, t.WP, t.PW, t.W)
  else
    s[#s + 1] = im2col_head(t, "im2col: row (c, kh, kw) holds OH x OW inputs") ..
                    im2col_rows(t, "0", tostring(t.OH))
  end
  return table.concat(s)
end

-- The units of the layer: per image and group, the blocks of MR channels
-- (NFULL of them), then the RB blocks of the last channels.
local function units(t)
  return t.OCG // t.MR, t.OCG // t.MR + #t.RB // 3
end

-- The channels of unit j: a block of MR (two of MR/2 where the target
-- has few vector registers: CHAI_NARROW, see c/net), or RB block j - NFULL.
local function unit_code(t)
  local nfull = units(t)
  local s = {}
  if nfull > 0 then
    s[#s + 1] = ("    if (j < %d) {\n"):format(nfull)
    s[#s + 1] = mr_block(t, "j", tiles(t, t.MR, t.NR), tiles(t, t.MR // 2, t.NR))
    s[#s + 1] = "    }\n"
  end
  for i = 1, #t.RB, 3 do
    local k = nfull + (i - 1) // 3
    s[#s + 1] = ("    %sif (j == %d) {\n      const int o = %d;\n"):format(
        (nfull > 0 or i > 1) and "else " or "", k, t.RB[i])
    s[#s + 1] = tiles(t, t.RB[i + 1], t.RB[i + 2])
    s[#s + 1] = "    }\n"
  end
  return table.concat(s)
end

-- ARM NEON (CHAI_NEON_F32): koff[k], the offset in X of the row of k
-- (the kloops' offset without p0), for rt_conv_tile_f32.
local function koffsets(t)
  return ([[
#if CHAI_NEON_F32
  int32_t koff[%d];
  for (int c = 0; c < %d; c++)
    for (int kh = 0; kh < %d; kh++)
      for (int kw = 0; kw < %d; kw++) koff[(c * %d + kh) * %d + kw] = c * %d + kh * %d + kw * %d;
#endif
]]):format(t.K, t.ICG, t.KH, t.KW, t.KH, t.KW, t.PLANE, t.KHS, t.KWS)
end

-- Three functions: <fn>_part (with its body <fn>_body, lib.part) computes
-- units [lo, hi) (unit u = image n,
-- group g, channel block j, in that order; X is prepared when (n, g)
-- changes, in the scratch of the thread running the part; or, when
-- t.NPB > 0, u = image n, block of positions b, group g, each unit
-- preparing only the part of X its positions read), <fn> hands
-- the units to the worker pool (rt_par.h) when the layer is big enough
-- for threads to pay.  A unit's outputs are computed by the same code
-- whichever thread runs it: bit-identical for every thread count.
function render(t)
  local _, nu = units(t)
  if t.NPB > 0 then nu = t.NPB end
  local total = t.N * t.G * nu
  local s = {}
  local units_c = t.NPB > 0 and range_code(t) or unit_code(t)
  if units_c:find("rt_conv_tile_f32", 1, true) then
    s[#s + 1] = koffsets(t)
  end
  if not in_place(t) and t.NPB == 0 then
    s[#s + 1] = "  int pn = -1, pg = -1;\n"
  end
  s[#s + 1] = "  for (int64_t u = lo; u < hi; u++) {\n"
  if t.NPB > 0 then
    -- unit u = image n, block b of positions, group g (b before g, so a
    -- thread's consecutive units share positions across groups)
    s[#s + 1] = ("    const int n = (int)(u / %d), b = (int)(u / %d %% %d), g = (int)(u %% %d);\n"):format(
        t.G * nu, t.G, nu, t.G)
    if t.rows then
      s[#s + 1] = ("    const int R0 = b * %d, R1 = R0 + %d < %d ? R0 + %d : %d;\n"):format(t.PB, t.PB, t.OH, t.PB, t.OH)
      s[#s + 1] = ("    const int P0 = R0 * %d, P1 = (R1 - 1) * %d + %d;\n"):format(t.WP, t.WP, t.OW)
    else
      s[#s + 1] = ("    const int P0 = b * %d, P1 = P0 + %d < %d ? P0 + %d : %d;\n"):format(t.PB, t.PB, t.L, t.PB, t.L)
    end
  else
    s[#s + 1] = ("    const int n = (int)(u / %d), g = (int)(u / %d %% %d), j = (int)(u %% %d);\n"):format(
        t.G * nu, nu, t.G, nu)
  end
  s[#s + 1] = ("    const float *x = b0 + ((long)n * %d + (long)g * %d) * %d;\n"):format(t.C, t.ICG, t.H * t.W)
  if in_place(t) then
    s[#s + 1] = "    const float *X = x;\n"
    if t.NPB > 0 and not t.rows then s[#s + 1] = "    (void)P0;\n" end
  elseif t.NPB > 0 then
    s[#s + 1] = prepare_range(t)
  else
    s[#s + 1] = "    if (n != pn || g != pg) {\n" .. prepare(t) .. "    pn = n, pg = g;\n    }\n"
  end
  s[#s + 1] = ("    float *y = t0 + ((long)n * %d + (long)g * %d) * %d;\n"):format(t.OC, t.OCG, t.OH * t.OW)
  s[#s + 1] = ("    const float *wg = %s + (long)g * %d;\n"):format(t.w, t.OCG * t.K)
  s[#s + 1] = units_c
  s[#s + 1] = "  }\n"
  s = {lib.header(t), lib.part(t, not in_place(t), true, table.concat(s))}
  s[#s + 1] = lib.signature(t) .. " {\n"
  s[#s + 1] = "  chai_io io = {b0, t0};\n"
  local own = in_place(t) and "NULL" or "scratch"
  if total > 1 and t.PAR then
    s[#s + 1] = ("  rt_par_for(%d, %s_part, &io, %s);\n"):format(total, t.fn, own)
  else
    s[#s + 1] = ("  %s_part(&io, 0, %d, %s);\n"):format(t.fn, total, own)
  end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
