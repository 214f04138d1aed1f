-- custom.lua - a plugin layer (custom_layers in the YAML config): a call to
-- the user's function with dense NCHW buffers and their 4-D shapes
-- (docs/config.md).  t.plugin_fn, t.source, t.in_shape, t.out_shape, and
-- t.plugin_param (a C string literal: the layer's parameter blocks) when
-- the plugin is declared with `params: true`.
local lib = import("c/lib")

function render(t)
  local src = t.source ~= "" and (" (" .. t.source .. ")") or ""
  local pdecl = t.plugin_param and ", const char *param" or ""
  local parg = t.plugin_param and (",\n     " .. t.plugin_param) or ""
  return lib.header(t) .. ([[
void %s(const float *in, const int in_shape[4], float *out, const int out_shape[4]%s);%s
]]):format(t.plugin_fn, pdecl, src ~= "" and (" /* plugin source" .. src .. " */") or "") ..
    lib.signature(t) .. ([[
 {
  static const int in_shape[4] = %s, out_shape[4] = %s;
  %s(b0, in_shape, t0, out_shape%s);
}
]]):format(lib.braces(t.in_shape), lib.braces(t.out_shape), t.plugin_fn, parg)
end
