-- ip.lua - InnerProduct: M rows of K inputs times the weights, repacked by
-- the emitter into NBLK blocks of K x NB (outputs padded with zeros to a
-- multiple of NB).  NB outputs accumulate in registers (vectorized over the
-- outputs), each as bias + sum over k in order, as the reference kernel.
-- On ARM NEON the k loop is rt_ip_blk32_f32 (arm/rt_ip_neon.c), with the
-- same order and roundings.
-- Units (row m, block ob) are independent: <fn>_part computes a range of
-- them, <fn> hands them to the worker pool (rt_par.h) when the layer is
-- big enough; every output is computed by the same code whatever the
-- thread count.
local lib = import("c/lib")

function render(t)
  local init = t.bias == "" and "0.0f" or (t.bias .. "[ob * " .. t.NB .. " + j]")
  local total = t.M * t.NBLK
  -- ARM NEON (CHAI_NEON_F32, templates/c/net.lua): the k loop of a block
  -- of 32 outputs is the runtime's rt_ip_blk32_f32 (arm/rt_ip_neon.c)
  local neon_on, neon_off = "", ""
  if t.NB == 32 then
    neon_on = ("#if CHAI_NEON_F32\n    rt_ip_blk32_f32(acc, x, w, %d, 32);\n#else\n"):format(t.K)
    neon_off = "#endif\n"
  end
  -- the unit's row and block; with one row (ONEROW) the row is the
  -- constant 0 (see ip.c)
  local unit = ("const int m = (int)(u / %d), ob = (int)(u %% %d);"):format(t.NBLK, t.NBLK)
  if t.ONEROW then unit = "const int m = 0, ob = (int)u;" end
  local call
  if t.PAR then
    call = ("  rt_par_for(%d, %s_part, &io, NULL);\n"):format(total, t.fn)
  else
    call = ("  %s_part(&io, 0, %d, NULL);\n"):format(t.fn, total)
  end
  return lib.header(t) .. lib.part(t, false, true, ([[
  for (int64_t u = lo; u < hi; u++) {
    %s
    const float *x = b0 + (long)m * %d;
    const float *w = %s + (long)ob * %d;
    float acc[%d];
    for (int j = 0; j < %d; j++) acc[j] = %s;
%s    for (int k = 0; k < %d; k++) {
      const float xv = x[k];
      for (int j = 0; j < %d; j++) acc[j] += xv * w[(long)k * %d + j];
    }
%s    for (int j = 0; j < %d; j++) {
      const int o = ob * %d + j;
      if (o < %d) t0[(long)m * %d + o] = %s;
    }
  }
]]):format(unit, t.K, t.w, t.K * t.NB, t.NB, t.NB, init, neon_on, t.K, t.NB, t.NB,
           neon_off, t.NB, t.NB, t.N, t.N, lib.act(t, "acc[j]"))) .. lib.signature(t) .. " {\n  chai_io io = {b0, t0};\n" .. call .. "}\n"
end
