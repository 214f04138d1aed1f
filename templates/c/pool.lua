-- pool.lua - MAX / AVE pooling with Caffe's windows: a window starts at
-- o*S - P, AVE divides by the window clipped to the padded input.
local lib = import("c/lib")

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n"}
  if t.method == "max" then -- ARM NEON: arm/rt_pool_neon.c, the same values
    s[#s + 1] = ("#if CHAI_NEON_F32\n  static const rt_pool_dims d = {%d, %d, %d, %d, %d, %d, %d, %d, %d, %d};\n"):format(
        t.H, t.W, t.OH, t.OW, t.KH, t.KW, t.SH, t.SW, t.PH, t.PW)
    s[#s + 1] = ("  rt_pool_max_f32(b0, t0, %d, &d);\n#else\n"):format(t.NC)
  end
  s[#s + 1] = ([[
  for (int p = 0; p < %d; p++) {
    const float *x = b0 + (long)p * %d;
    float *y = t0 + (long)p * %d;
    for (int oh = 0; oh < %d; oh++)
      for (int ow = 0; ow < %d; ow++) {
        int h0 = oh * %d - %d, w0 = ow * %d - %d;
        int h1 = h0 + %d < %d ? h0 + %d : %d;
        int w1 = w0 + %d < %d ? w0 + %d : %d;
]]):format(t.NC, t.H * t.W, t.OH * t.OW, t.OH, t.OW, t.SH, t.PH, t.SW, t.PW,
           t.KH, t.H + t.PH, t.KH, t.H + t.PH, t.KW, t.W + t.PW, t.KW, t.W + t.PW)
  if t.method == "ave" then
    s[#s + 1] = "        const int area = (h1 - h0) * (w1 - w0);\n"
  end
  s[#s + 1] = ([[
        if (h0 < 0) h0 = 0;
        if (w0 < 0) w0 = 0;
        if (h1 > %d) h1 = %d;
        if (w1 > %d) w1 = %d;
]]):format(t.H, t.H, t.W, t.W)
  if t.method == "max" then
    s[#s + 1] = ([[
        float m = -FLT_MAX;
        for (int ih = h0; ih < h1; ih++)
          for (int iw = w0; iw < w1; iw++)
            if (x[ih * %d + iw] > m) m = x[ih * %d + iw];
        y[oh * %d + ow] = m;
]]):format(t.W, t.W, t.OW)
  else
    s[#s + 1] = ([[
        float sum = 0.0f;
        for (int ih = h0; ih < h1; ih++)
          for (int iw = w0; iw < w1; iw++) sum += x[ih * %d + iw];
        y[oh * %d + ow] = sum / (float)area;
]]):format(t.W, t.OW)
  end
  s[#s + 1] = "      }\n  }\n"
  if t.method == "max" then s[#s + 1] = "#endif\n" end
  s[#s + 1] = "}\n"
  return table.concat(s)
end
