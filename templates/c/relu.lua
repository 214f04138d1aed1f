-- relu.lua - ReLU (leaky when neg is not 0); may run in place.
local lib = import("c/lib")

function render(t)
  local v = t.neg == "0.0f" and "x > 0.0f ? x : 0.0f" or ("x > 0.0f ? x : x * " .. t.neg)
  return lib.header(t) .. lib.signature(t) .. (" {\n" ..
[[
  for (long i = 0; i < %d; i++) {
    const float x = b0[i];
    t0[i] = %s;
  }
}
]]):format(t.count, v)
end
