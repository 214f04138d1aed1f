-- custom.lua - a plugin layer (custom_layers in the YAML config): a call to
-- the user's function with dense NCHW buffers and their 4-D shapes
-- (docs/config.md).  t.plugin_fn, t.source, t.in_shape, t.out_shape.
local lib = import("c/lib")

function render(t)
  local src = t.source ~= "" and (" (" .. t.source .. ")") or ""
  return lib.header(t) .. ([[
void %s(const float *in, const int in_shape[4], float *out, const int out_shape[4]);%s
]]):format(t.plugin_fn, src ~= "" and (" /* plugin source" .. src .. " */") or "") ..
    lib.signature(t) .. ([[
 {
  static const int in_shape[4] = %s, out_shape[4] = %s;
  %s(b0, in_shape, t0, out_shape);
}
]]):format(lib.braces(t.in_shape), lib.braces(t.out_shape), t.plugin_fn)
end
