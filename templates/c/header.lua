-- header.lua - <net>.h: shapes and the one entry point.
local lib = import("c/lib")

function render(t)
  local s = {lib.provenance(t, "c")}
  local P = t.PREFIX
  s[#s + 1] = ("#ifndef %s_H\n#define %s_H\n\n"):format(P, P)
  s[#s + 1] = ("/* Input '%s', NCHW floats. */\n"):format(t.in_name)
  s[#s + 1] = ("#define %s_INPUT_NDIM %d\n#define %s_INPUT_SHAPE %s\n#define %s_INPUT_COUNT %d\n\n")
      :format(P, #t.in_dims, P, lib.braces(t.in_dims), P, t.in_count)
  s[#s + 1] = ("#define %s_NUM_OUTPUTS %d\n"):format(P, #t.outputs)
  for i, o in ipairs(t.outputs) do
    local k = i - 1
    s[#s + 1] = ("/* Output %d: '%s'. */\n"):format(k, o.name)
    s[#s + 1] = ("#define %s_OUTPUT%d_NDIM %d\n#define %s_OUTPUT%d_SHAPE %s\n#define %s_OUTPUT%d_COUNT %d\n")
        :format(P, k, #o.dims, P, k, lib.braces(o.dims), P, k, o.count)
  end
  s[#s + 1] = ([[

/* Runs the network on input (%s_INPUT_COUNT floats) and writes output k
 * to outputs[k] (%s_OUTPUTk_COUNT floats each).  Uses static buffers only:
 * not reentrant.  DetectionOutput tables are padded with rows whose image
 * id is -1 after the detections.  Returns 0. */
int %s_run(const float *input, float *const *outputs);

#ifdef %s_PROFILE
/* Per-layer names and accumulated run time (seconds) when profiling. */
#define %s_NUM_LAYERS %d
extern const char *const %s_layer_names[];
extern double %s_layer_seconds[];
#endif

#endif
]]):format(P, P, t.prefix, P, P, t.nlayers, t.prefix, t.prefix)
  return table.concat(s)
end
