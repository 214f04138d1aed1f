-- ip.lua - InnerProduct: M rows of K inputs times N x K weights.
local lib = import("c/lib")

function render(t)
  local init = t.bias == "" and "0.0f" or (t.bias .. "[o]")
  return lib.header(t) .. lib.signature(t) .. (" {\n" ..
[[
  for (int m = 0; m < %d; m++) {
    const float *x = b0 + (long)m * %d;
    for (int o = 0; o < %d; o++) {
      const float *w = %s + (long)o * %d;
      float s = %s;
      for (int k = 0; k < %d; k++) s += w[k] * x[k];
      t0[(long)m * %d + o] = %s;
    }
  }
}
]]):format(t.M, t.K, t.N, t.w, t.K, init, t.K, t.N, lib.act(t, "s"))
end
