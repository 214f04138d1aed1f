-- conv.lua - Convolution: direct loops accumulating output planes, with
-- fast paths for depthwise (one input channel per output) and pointwise
-- (1x1, stride 1, no padding) convolutions.  Weights: OC x ICG x KH x KW.
local lib = import("c/lib")

local function bias_init(t)
  if t.bias == "" then return "    for (int i = 0; i < OHW; i++) y[i] = 0.0f;\n" end
  return "    for (int i = 0; i < OHW; i++) y[i] = " .. t.bias .. "[o];\n"
end

-- The kh/kw window loops adding one input plane x (weights k) into y.
local function window(t)
  return ([[
      for (int kh = 0; kh < %d; kh++) {
        for (int oh = 0; oh < %d; oh++) {
          const int ih = oh * %d - %d + kh * %d;
          if (ih < 0 || ih >= %d) continue;
          const float *xr = x + ih * %d;
          float *yr = y + oh * %d;
          for (int kw = 0; kw < %d; kw++) {
            const float kv = k[kh * %d + kw];
            const int shift = kw * %d - %d; /* iw = ow * %d + shift */
            const int lo = shift >= 0 ? 0 : (-shift + %d) / %d;
            const int last = %d - 1 - shift;
            int hi = last < 0 ? -1 : last / %d;
            if (hi > %d) hi = %d;
            for (int ow = lo; ow <= hi; ow++) yr[ow] += kv * xr[ow * %d + shift];
          }
        }
      }
]]):format(t.KH, t.OH, t.SH, t.PH, t.DH, t.H, t.W, t.OW, t.KW, t.KW, t.DW, t.PW, t.SW,
           t.SW - 1, t.SW, t.W, t.SW, t.OW - 1, t.OW - 1, t.SW)
end

local function relu_pass(t)
  if not t.relu then return "" end
  return "    for (int i = 0; i < OHW; i++) y[i] = " .. lib.act(t, "y[i]") .. ";\n"
end

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ("  enum { HW = %d, OHW = %d };\n"):format(t.H * t.W, t.OH * t.OW)
  s[#s + 1] = ("  for (int n = 0; n < %d; n++) {\n"):format(t.N)
  s[#s + 1] = ("  for (int o = 0; o < %d; o++) {\n"):format(t.OC)
  s[#s + 1] = ("    float *y = t0 + ((long)n * %d + o) * OHW;\n"):format(t.OC)
  s[#s + 1] = bias_init(t)
  if t.variant == "depthwise" then
    s[#s + 1] = "    { /* depthwise: output o reads input channel o */\n"
    s[#s + 1] = ("      const float *x = b0 + ((long)n * %d + o) * HW;\n"):format(t.C)
    s[#s + 1] = ("      const float *k = %s + (long)o * %d;\n"):format(t.w, t.KH * t.KW)
    s[#s + 1] = window(t)
    s[#s + 1] = "    }\n"
  elseif t.variant == "pointwise" then
    s[#s + 1] = ("    const int g = o / %d;\n"):format(t.OCG)
    s[#s + 1] = ("    for (int c = 0; c < %d; c++) { /* 1x1: a weighted sum of planes */\n"):format(t.ICG)
    s[#s + 1] = ("      const float *x = b0 + ((long)n * %d + g * %d + c) * HW;\n"):format(t.C, t.ICG)
    s[#s + 1] = ("      const float kv = %s[(long)o * %d + c];\n"):format(t.w, t.ICG)
    s[#s + 1] = "      for (int i = 0; i < OHW; i++) y[i] += kv * x[i];\n"
    s[#s + 1] = "    }\n"
  else
    s[#s + 1] = ("    const int g = o / %d;\n"):format(t.OCG)
    s[#s + 1] = ("    for (int c = 0; c < %d; c++) {\n"):format(t.ICG)
    s[#s + 1] = ("      const float *x = b0 + ((long)n * %d + g * %d + c) * HW;\n"):format(t.C, t.ICG)
    s[#s + 1] = ("      const float *k = %s + ((long)o * %d + c) * %d;\n"):format(t.w, t.ICG, t.KH * t.KW)
    s[#s + 1] = window(t)
    s[#s + 1] = "    }\n"
  end
  s[#s + 1] = relu_pass(t)
  s[#s + 1] = "  }\n  }\n}\n"
  return table.concat(s)
end
