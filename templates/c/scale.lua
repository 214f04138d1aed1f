-- scale.lua - per-channel affine y = x * scale[d] (+ bias[d]) over
-- OUTER x D x INNER (Scale, and BatchNorm after the passes); may run in place.
local lib = import("c/lib")

function render(t)
  local b = t.bias == "" and "" or (" + " .. t.bias .. "[d]")
  return lib.header(t) .. lib.signature(t) .. (" {\n" ..
[[
  for (int o = 0; o < %d; o++)
    for (int d = 0; d < %d; d++) {
      const long base = ((long)o * %d + d) * %d;
      for (long i = base; i < base + %d; i++) {
        const float v = b0[i] * %s[d]%s;
        t0[i] = %s;
      }
    }
}
]]):format(t.OUTER, t.D, t.D, t.INNER, t.INNER, t.scale, b, lib.act(t, "v"))
end
