-- affine.lua - BatchNorm / Scale not folded into a convolution:
-- y = clamp(RHA((x * M[c] + B[c]) * 2^-sh[c])) per channel c.
local lib = import("hls/lib")

function render(t)
  local F = t.fn
  local s = {lib.header(t)}
  s[#s + 1] = lib.rom("int32_t", F .. "_M", t.C, t.Mbody)
  s[#s + 1] = lib.rom("int8_t", F .. "_sh", t.C, t.shbody)
  s[#s + 1] = lib.rom("int64_t", F .. "_B", t.C, t.Bbody)
  s[#s + 1] = lib.signature(t) .. " {\n"
  s[#s + 1] = ([[
%s_o: for (int o = 0; o < %d; o++) {
  %s_c: for (int c = 0; c < %d; c++) {
    %s_i: for (int i = 0; i < %d; i++) {
]]):format(F, t.OUTER, F, t.C, F, t.INNER)
  s[#s + 1] = lib.pragma("", ("PIPELINE II=%d"):format(t.II))
  if t.LANES > 1 then s[#s + 1] = lib.pragma("", ("UNROLL factor=%d"):format(t.LANES)) end
  s[#s + 1] = ([[
      const int j = (o * %d + c) * %d + i;
      y0[j] = (%s)fx_sat(fx_rshift((int64_t)x0[j] * %s_M[c] + %s_B[c], %s_sh[c]), %d, %d);
    }
  }
}
}
]]):format(t.C, t.INNER, t.yt[1], F, F, F, t.qmin, t.qmax)
  return table.concat(s)
end
