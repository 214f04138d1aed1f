-- prelu.lua - PReLU with one learned slope per channel (or one shared).
local lib = import("c/lib")

function render(t)
  local a = t.shared and (t.w .. "[0]") or (t.w .. "[c]")
  return lib.header(t) .. lib.signature(t) .. (" {\n" ..
[[
  for (int n = 0; n < %d; n++)
    for (int c = 0; c < %d; c++) {
      const float a = %s;
      const long base = ((long)n * %d + c) * %d;
      for (long i = base; i < base + %d; i++) {
        const float x = b0[i];
        t0[i] = x > 0.0f ? x : x * a;
      }
    }
}
]]):format(t.N, t.C, a, t.C, t.INNER, t.INNER)
end
