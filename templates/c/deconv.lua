-- deconv.lua - Deconvolution (transposed convolution): every input pixel
-- scatters its kernel into the output.  Weights: IC x OCG x KH x KW.
local lib = import("c/lib")

function render(t)
  local s = {lib.header(t), lib.signature(t), " {\n"}
  s[#s + 1] = ("  enum { HW = %d, OHW = %d };\n"):format(t.H * t.W, t.OH * t.OW)
  s[#s + 1] = ("  for (int n = 0; n < %d; n++) {\n"):format(t.N)
  s[#s + 1] = ("    float *yn = t0 + (long)n * %d * OHW;\n"):format(t.OC)
  if t.bias == "" then
    s[#s + 1] = ("    for (long i = 0; i < %d * OHW; i++) yn[i] = 0.0f;\n"):format(t.OC)
  else
    s[#s + 1] = ("    for (int o = 0; o < %d; o++)\n"):format(t.OC)
    s[#s + 1] = ("      for (int i = 0; i < OHW; i++) yn[o * OHW + i] = %s[o];\n"):format(t.bias)
  end
  s[#s + 1] = ([[
    for (int ic = 0; ic < %d; ic++) {
      const int g = ic / %d;
      const float *x = b0 + ((long)n * %d + ic) * HW;
      for (int oc = 0; oc < %d; oc++) {
        float *y = yn + (long)(g * %d + oc) * OHW;
        const float *k = %s + ((long)ic * %d + oc) * %d;
        for (int kh = 0; kh < %d; kh++)
          for (int kw = 0; kw < %d; kw++) {
            const float kv = k[kh * %d + kw];
            for (int ih = 0; ih < %d; ih++) {
              const int oh = ih * %d - %d + kh * %d;
              if (oh < 0 || oh >= %d) continue;
              for (int iw = 0; iw < %d; iw++) {
                const int ow = iw * %d - %d + kw * %d;
                if (ow >= 0 && ow < %d) y[oh * %d + ow] += kv * x[ih * %d + iw];
              }
            }
          }
      }
    }
]]):format(t.C, t.ICG, t.C, t.OCG, t.OCG, t.w, t.OCG, t.KH * t.KW, t.KH, t.KW, t.KW, t.H,
           t.SH, t.PH, t.DH, t.OH, t.W, t.SW, t.PW, t.DW, t.OW, t.OW, t.W)
  if t.relu then
    s[#s + 1] = ("    for (long i = 0; i < %d * OHW; i++) yn[i] = %s;\n"):format(t.OC, lib.act(t, "yn[i]"))
  end
  s[#s + 1] = "  }\n}\n"
  return table.concat(s)
end
