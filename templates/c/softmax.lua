-- softmax.lua - Softmax over C channels for every (outer, inner) position:
-- exp(x - max) / sum.
local lib = import("c/lib")

function render(t)
  return lib.header(t) .. lib.signature(t) .. (" {\n" ..
[[
  for (int o = 0; o < %d; o++)
    for (int i = 0; i < %d; i++) {
      const float *x = b0 + (long)o * %d + i;
      float *y = t0 + (long)o * %d + i;
      float m = x[0], sum = 0.0f;
      for (int c = 1; c < %d; c++)
        if (x[c * %d] > m) m = x[c * %d];
      for (int c = 0; c < %d; c++) {
        const float e = expf(x[c * %d] - m);
        y[c * %d] = e;
        sum += e;
      }
      const float r = 1.0f / sum;
      for (int c = 0; c < %d; c++) y[c * %d] *= r;
    }
}
]]):format(t.OUTER, t.INNER, t.C * t.INNER, t.C * t.INNER, t.C, t.INNER, t.INNER, t.C,
           t.INNER, t.INNER, t.C, t.INNER)
end
