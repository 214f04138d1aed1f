-- ip.lua - InnerProduct: M rows of K inputs times the weights, repacked by
-- the emitter into NBLK blocks of K x NB (outputs padded with zeros to a
-- multiple of NB).  NB outputs accumulate in registers (vectorized over the
-- outputs), each as bias + sum over k in order, as the reference kernel.
local lib = import("c/lib")

function render(t)
  local init = t.bias == "" and "0.0f" or (t.bias .. "[ob * " .. t.NB .. " + j]")
  return lib.header(t) .. "CHAI_KERNEL " .. lib.signature(t) .. (" {\n" ..
[[
  for (int m = 0; m < %d; m++) {
    const float *x = b0 + (long)m * %d;
    for (int ob = 0; ob < %d; ob++) {
      const float *w = %s + (long)ob * %d;
      float acc[%d];
      for (int j = 0; j < %d; j++) acc[j] = %s;
      for (int k = 0; k < %d; k++) {
        const float xv = x[k];
        for (int j = 0; j < %d; j++) acc[j] += xv * w[(long)k * %d + j];
      }
      for (int j = 0; j < %d; j++) {
        const int o = ob * %d + j;
        if (o < %d) t0[(long)m * %d + o] = %s;
      }
    }
  }
}
]]):format(t.M, t.K, t.NBLK, t.w, t.K * t.NB, t.NB, t.NB, init, t.K, t.NB, t.NB, t.NB, t.NB,
           t.N, t.N, lib.act(t, "acc[j]"))
end
