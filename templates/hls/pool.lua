-- pool.lua - MAX / AVE pooling in fixed point with Caffe's windows: the
-- window loop has the kernel's constant trip count and skips taps outside
-- the (clipped) window.  AVE divides the integer sum by the padded-window
-- count, rounding half away from zero; then the requantization (a plain
-- saturation when the scales are equal).
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ([[
%s_p: for (int p = 0; p < %d; p++) {
  %s_oy: for (int oy = 0; oy < %d; oy++) {
    %s_ox: for (int ox = 0; ox < %d; ox++) {
]]):format(F, t.NC, F, t.OH, F, t.OW)
  s[#s + 1] = lib.pipeline("", "      ", F .. "_ox", t.II)
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
          const int32_t v = CHAI_MR(x0, [(p * %d + iy) * %d + ix]);
]]):format(F, t.KH, F, t.KW, t.SH, t.PH, t.SW, t.PW, t.H, t.W)
  s[#s + 1] = t.ave and "          sum += v;\n" or "          if (v > m) m = v;\n"
  s[#s + 1] = "        }\n      }\n"
  if t.ave then
    s[#s + 1] = ([[
      const %s r = cnt <= 0 ? 0 : sum >= 0 ? (sum + cnt / 2) / cnt : -((-sum + cnt / 2) / cnt);
]]):format(t.st)
  else
    s[#s + 1] = "      const int32_t r = hs < he && ws < we ? m : 0;\n"
  end
  local v = t.ident and ("fx_sat(r, %d, %d)"):format(t.qmin, t.qmax) or lib.req(t, "r", t.M, t.sh)
  s[#s + 1] = ("      CHAI_MW(y0, [(p * %d + oy) * %d + ox]) = (%s)%s;\n"):format(t.OH, t.OW, t.yt[1], v)
  s[#s + 1] = "    }\n  }\n}\n}\n"
  return table.concat(s)
end
