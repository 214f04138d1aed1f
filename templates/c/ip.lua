-- ip.lua - InnerProduct: M rows of K inputs times the weights, repacked by
-- the emitter into NBLK blocks of K x NB (outputs padded with zeros to a
-- multiple of NB, itself a multiple of 8).  NB outputs accumulate in NB / 8
-- chai_v8 registers, each output as bias + sum over k in order, one
-- multiply and one add per term (the same float operations as a scalar
-- loop; as named vectors they stay in registers across the k loop, where
-- GCC 12 kept an array's vectors on the stack).
-- On ARM NEON the k loop is rt_ip_blk32_f32 (arm/rt_ip_neon.c), with the
-- same order and roundings.
-- Units (row m, block ob) are independent: <fn>_part computes a range of
-- them, <fn> hands them to the worker pool (rt_par.h) when the layer is
-- big enough; every output is computed by the same code whatever the
-- thread count.
local lib = import("c/lib")

function render(t)
  local init = t.bias == "" and "0.0f" or (t.bias .. "[ob * " .. t.NB .. " + j]")
  local r = t.restrict and "restrict " or ""
  local total = t.M * t.NBLK
  -- ARM NEON (CHAI_NEON_F32, templates/c/net.lua): the k loop of a block
  -- of 32 outputs is the runtime's rt_ip_blk32_f32 (arm/rt_ip_neon.c)
  local neon_on, neon_off = "", ""
  if t.NB == 32 then
    neon_on = ("#if CHAI_NEON_F32\n    rt_ip_blk32_f32(acc, x, w, %d, 32);\n#else\n"):format(t.K)
    neon_off = "#endif\n"
  end
  -- the k loop on NB / 8 named chai_v8 accumulators
  local decl, load, mac, store = {}, {}, {}, {}
  for v = 0, t.NB // 8 - 1 do
    decl[#decl + 1] = "a" .. v
    load[#load + 1] = ("      CHAI_V8_LOAD(a%d, acc + %d);\n"):format(v, v * 8)
    mac[#mac + 1] = ("        { chai_v8 wv; CHAI_V8_LOAD(wv, wk + %d); a%d += xv * wv; }\n"):format(v * 8, v)
    store[#store + 1] = ("      CHAI_V8_STORE(acc + %d, a%d);\n"):format(v * 8, v)
  end
  local kloop = ("    {\n      chai_v8 %s;\n%s      for (int k = 0; k < %d; k++) {\n" ..
                 "        const chai_v8 xv = CHAI_V8_SPLAT(x[k]);\n        const float *wk = w + (long)k * %d;\n" ..
                 "%s      }\n%s    }\n"):format(table.concat(decl, ", "), table.concat(load), t.K, t.NB,
                                                 table.concat(mac), table.concat(store))
  local call
  if t.PAR then
    call = ("  rt_par_for(%d, %s_part, &io, NULL);\n"):format(total, t.fn)
  else
    call = ("  %s_part(&io, 0, %d, NULL);\n"):format(t.fn, total)
  end
  return lib.header(t) .. ("CHAI_KERNEL static void %s_part(void *io_, int64_t lo, int64_t hi, void *ws) {\n"):format(t.fn) .. ([[
  const chai_io *io = io_;
  const float *%sb0 = io->b0;
  float *%st0 = io->t0;
  (void)ws;
  for (int64_t u = lo; u < hi; u++) {
    const int m = (int)(u / %d), ob = (int)(u %% %d);
    const float *x = b0 + (long)m * %d;
    const float *w = %s + (long)ob * %d;
    float acc[%d];
    for (int j = 0; j < %d; j++) acc[j] = %s;
%s%s%s    for (int j = 0; j < %d; j++) {
      const int o = ob * %d + j;
      if (o < %d) t0[(long)m * %d + o] = %s;
    }
  }
}
]]):format(r, r, t.NBLK, t.NBLK, t.K, t.w, t.K * t.NB, t.NB, t.NB, init, neon_on, kloop,
           neon_off, t.NB, t.NB, t.N, t.N, lib.act(t, "acc[j]")) .. lib.signature(t) .. " {\n  chai_io io = {b0, t0};\n" .. call .. "}\n"
end
