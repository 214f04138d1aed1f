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
  for _, r in ipairs({"_M", "_sh", "_B"}) do
    s[#s + 1] = ("CHAI_ARRAY1(%s%s, %d, CHAI_NONE, 0)\n"):format(F, r, t.C)
  end
  s[#s + 1] = ([[
%s_o: for (int o = 0; o < %d; o++) {
  %s_c: for (int c = 0; c < %d; c++) {
    %s_i: for (int i = 0; i < %d; i++) {
]]):format(F, t.OUTER, F, t.C, F, t.INNER)
  s[#s + 1] = lib.pipeline("", "      ", F .. "_i", t.II, t.LANES, "i")
  s[#s + 1] = ([[
      const int j = (o * %d + c) * %d + i;
      CHAI_MW(y0, [j]) = (%s)fx_sat(fx_rshift((int64_t)CHAI_MR(x0, [j]) * CHAI_R(%s_M, [c]) + CHAI_R(%s_B, [c]),
                                          CHAI_R(%s_sh, [c])), %d, %d);
    }
  }
}
}
]]):format(t.C, t.INNER, t.yt[1], F, F, F, t.qmin, t.qmax)
  return table.concat(s)
end
