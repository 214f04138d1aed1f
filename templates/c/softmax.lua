-- softmax.lua - Softmax over C channels for every (outer, inner) position:
-- exp(x - max) / sum.  The NPOS positions (o * INNER + i) are cut into
-- UNITS units of UPOS: <fn>_part computes a range of units, <fn> hands them
-- to the worker pool (rt_par.h) when t.PAR; each position is computed by
-- the same code whatever the thread count.
local lib = import("c/lib")

function render(t)
  local call
  if t.PAR then
    call = ("  rt_par_for(%d, %s_part, &io, NULL);\n"):format(t.UNITS, t.fn)
  else
    call = ("  %s_part(&io, 0, %d, NULL);\n"):format(t.fn, t.UNITS)
  end
  return lib.header(t) .. lib.part(t, false, false, ([[
  const long p1 = hi * %d < %d ? (long)hi * %d : %d;
  for (long p = (long)lo * %d; p < p1; p++) {
    const long o = p / %d, i = p %% %d;
    const float *x = b0 + o * %d + i;
    float *y = t0 + o * %d + i;
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
]]):format(t.UPOS, t.NPOS, t.UPOS, t.NPOS, t.UPOS, t.INNER, t.INNER, t.C * t.INNER,
           t.C * t.INNER, t.C, t.INNER, t.INNER, t.C, t.INNER, t.INNER, t.C, t.INNER)) ..
    lib.signature(t) .. " {\n  chai_io io = {b0, t0};\n" .. call .. "}\n"
end
