-- header.lua - <net>.h: shapes and the one entry point.
local lib = import("c/lib")

-- The pipelined-frames entry point, with t.stages > 0.
local function frames(t)
  if t.stages == 0 then return "" end
  return ([[
/* Pipelined frames (the config's target.schedule: pipelined; chaicc's
 * docs/hls.md): the run is cut into %s_STAGES stages, stage k starting
 * with hardware segment k.  Runs inputs[f] into outputs[f][k] for
 * f < n as the board overlaps frames: at step t stage k works on frame
 * t - k, and every frame in flight has its own copy of the buffers.  After
 * %s_init(threads > 1) the stages of a step run at once, one thread
 * each; else in turn on the calling thread.  The outputs are those of n
 * %s_run calls (which take the stages in turn on one frame).  Static
 * buffers, not reentrant; call it from the thread that called init.
 * Returns 0. */
#define %s_STAGES %d
int %s_run_frames(int n, const float *const *inputs, float *const *const *outputs);

]]):format(t.PREFIX, t.prefix, t.prefix, t.PREFIX, t.stages, t.prefix)
end

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
 * id is -1 after the detections.  Returns 0.  Runs on the calling thread
 * alone unless %s_init started workers for that thread. */
int %s_run(const float *input, float *const *outputs);

/* The thread count the program was compiled with (chaicc compile
 * --threads; 0: the online CPUs). */
#define %s_THREADS %d

/* Starts the worker pool of %s_run for the calling thread: threads in
 * all (the caller is one; 0: the online CPUs; 1: none), with their
 * scratch, so that no inference allocates.  Outputs are bit-identical
 * for every thread count.  Returns 0, or -1 when threads is out of range
 * (1..256 or 0) or the threads cannot be started (then the program runs
 * on one thread).  Call it again to change the count. */
int %s_init(int threads);
/* Stops and joins the workers (a no-op without them). */
void %s_close(void);

%s#ifdef %s_PROFILE
/* Per-layer names and accumulated run time (seconds) when profiling. */
#define %s_NUM_LAYERS %d
extern const char *const %s_layer_names[];
extern double %s_layer_seconds[];
#endif

#endif
]]):format(P, P, t.prefix, t.prefix, P, t.threads, t.prefix, t.prefix, t.prefix, frames(t), P, P, t.nlayers,
           t.prefix, t.prefix)
  return table.concat(s)
end
