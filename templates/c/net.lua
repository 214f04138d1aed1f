-- net.lua - <net>.c: arena, weights, layer functions and the entry point.
local lib = import("c/lib")

-- The worker pools: the compute pool of <prefix>_init, and with S > 0
-- stages the stage pool of the pipelined frames (one thread per stage,
-- declared with the compute pool before run_frames).
local function pools(t, S)
  local P = t.prefix
  local decl, head, close, open = "static rt_par_pool *chai_pool;\n\n", "", "", ""
  if S > 0 then
    decl = ""
    head = ", and the\n * stage threads of the pipelined frames"
    close = "  rt_par_close(chai_stage_pool);\n  chai_pool = chai_stage_pool = NULL;\n"
    open = ([[
  if (!(chai_pool = rt_par_open(threads, %s)) || !(chai_stage_pool = rt_par_open(%d, 0))) {
    %s_close();
    return -1;
  }
]]):format(t.scratch > 0 and "sizeof scratch" or "0", S, P)
  else
    close = "  chai_pool = NULL;\n"
    open = ("  if (!(chai_pool = rt_par_open(threads, %s))) return -1;\n"):format(
        t.scratch > 0 and "sizeof scratch" or "0")
  end
  return ([[
/* ---- threads: the worker pool and its scratch (rt_par.h)%s ---- */
%svoid %s_close(void) {
  rt_par_use(NULL);
  rt_par_close(chai_pool);
%s}

int %s_init(int threads) {
  %s_close();
  if (threads == 0) threads = rt_par_online();
  if (threads < 1 || threads > RT_PAR_MAX) return -1;
  if (threads == 1) return 0;
%s  rt_par_use(chai_pool);
  return 0;
}
]]):format(head, decl, P, close, P, P, open)
end

-- The entry point: one run of the calls, or with S > 0 stages their
-- functions, the serial run through them and the pipelined frames.
local function run(t, S)
  if S == 0 then
    return ([[
int %s_run(const float *input, float *const *outputs) {
  (void)input;
  (void)outputs;
%s  return 0;
}
]]):format(t.prefix, t.calls)
  end
  local s, names = {}, {}
  for k, g in ipairs(t.stages) do
    names[k] = ("chai_stage%d"):format(k - 1)
    local span = k == 1 and "from the start to hardware segment 1's call" or
        k == S and ("from hardware segment %d's call to the end"):format(k - 1) or
        ("from hardware segment %d's call to segment %d's"):format(k - 1, k)
    s[#s + 1] = ([[
/* Stage %d of the run (pipelined frames): %s. */
static void chai_stage%d(const float *input, float *const *outputs) {
  (void)input;
  (void)outputs;
%s}

]]):format(k - 1, span, k - 1, g.calls)
  end
  s[#s + 1] = ([[
/* Points the buffers at frame copy k. */
static void chai_slot(int k) {
%s  fx_slot(k);
}

static void (*const chai_stages[%d])(const float *, float *const *) = {%s};

int %s_run(const float *input, float *const *outputs) {
  chai_slot(0);
  for (int k = 0; k < %d; k++) chai_stages[k](input, outputs);
  return 0;
}

/* One step of the pipelined frames: stage k works on frame t - k. */
typedef struct chai_step {
  int t, n;
  const float *const *inputs;
  float *const *const *outputs;
} chai_step;

/* Stages [lo, hi) of a step, each on its frame's buffer copy
 * (t - k) %% %d: the frames in flight at one step use different copies,
 * and a copy is reused only after its frame has left the last stage. */
static void chai_step_part(void *ctx, int64_t lo, int64_t hi, void *ws) {
  const chai_step *s = ctx;
  (void)ws;
  for (int64_t k = lo; k < hi; k++) {
    int f = s->t - (int)k;
    if (f < 0 || f >= s->n) continue;
    chai_slot(f %% %d);
    chai_stages[k](s->inputs[f], s->outputs[f]);
  }
}

static rt_par_pool *chai_pool, *chai_stage_pool;

/* Step t runs the stages at once on the stage threads %s_init started
 * (one per stage: on a board each waits for its own IP), or without them
 * in turn on the calling thread, the newest frame first, so that a stage
 * reading a buffer of another frame would see it changed. */
int %s_run_frames(int n, const float *const *inputs, float *const *const *outputs) {
  chai_step s = {0, n, inputs, outputs};
  if (chai_stage_pool) rt_par_use(chai_stage_pool);
  for (s.t = 0; s.t < n + %d - 1; s.t++) rt_par_for(%d, chai_step_part, &s, NULL);
  rt_par_use(chai_pool);
  chai_slot(0);
  return 0;
}
]]):format(t.arena > 0 and "  act = act_slot[k];\n" or "", S, table.concat(names, ", "), t.prefix, S, S,
           S, t.prefix, t.prefix, S, S)
  return table.concat(s)
end

function render(t)
  local s = {lib.provenance(t, "c")}
  s[#s + 1] = ([[
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "%s.h"
#include "rt_par.h"
]]):format(t.base)
  if t.use_rt then s[#s + 1] = '#include "rt_layers.h"\n' end
  s[#s + 1] = [[

/* Targets with 16 vector registers (SSE, 32-bit ARM) get half-height
 * convolution tiles; AVX and AArch64 (32 NEON registers) full ones.
 * x86-64 builds whose flags stop below AVX dispatch at run time: the
 * convolution and InnerProduct functions (CHAI_KERNEL) are compiled for
 * AVX2 and for the baseline (GCC function multiversioning, target_clones)
 * and the loader picks the clone the CPU runs; the tile height follows the
 * CPU too.  Neither clone uses FMA, so the roundings stay those of every
 * other target.  -DCHAI_NO_DISPATCH turns it off. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__AVX__) && !defined(CHAI_NO_DISPATCH)
#define CHAI_KERNEL __attribute__((target_clones("avx2", "default")))
#define CHAI_NARROW (!__builtin_cpu_supports("avx2"))
#elif defined(__AVX__) || defined(__aarch64__)
#define CHAI_KERNEL
#define CHAI_NARROW 0
#else
#define CHAI_KERNEL
#define CHAI_NARROW 1
#endif

/* The body of a worker-pool part (<fn>_body): always inlined into its
 * <fn>_part, so it is compiled for each of the part's clones, and given
 * the buffers as restrict parameters (GCC 12 ignores restrict on the
 * locals a part copies them into: a depthwise layer's weights were then
 * loaded again for every tile of 8 outputs). */
#if defined(__GNUC__)
#define CHAI_BODY static inline __attribute__((always_inline))
#else
#define CHAI_BODY static inline
#endif

/* 8 floats for the register tiles (GCC/Clang vector extensions: AVX, two
 * SSE or NEON registers); loads and stores need no alignment.  Macros, not
 * functions: vector arguments would change with the target's ABI. */
typedef float chai_v8 __attribute__((vector_size(32)));
#define CHAI_V8_LOAD(v, p) memcpy(&(v), (p), sizeof(chai_v8))
#define CHAI_V8_STORE(p, v) memcpy((p), &(v), sizeof(chai_v8))
#define CHAI_V8_SPLAT(f) {(f), (f), (f), (f), (f), (f), (f), (f)}

/* ARM NEON: the convolution tiles are computed by rt_conv_tile_f32
 * (runtime/arm/rt_conv_neon.c: FMLA / VMLA by lane, k in order) instead
 * of the chai_v8 code, the InnerProduct blocks by rt_ip_blk32_f32
 * (runtime/arm/rt_ip_neon.c, likewise); not on ARMv7 under CHAI_STRICT_FP (NEON float
 * flushes denormals to zero). */
#if defined(__GNUC__) && defined(__ARM_NEON) && \
    (defined(__aarch64__) || (defined(__arm__) && !defined(CHAI_STRICT_FP)))
#define CHAI_NEON_F32 1
#include "arm/rt_conv_arm.h"
#else
#define CHAI_NEON_F32 0
#endif
]]
  s[#s + 1] = [[

/* The buffers of a layer split over the worker pool (rt_par.h): its
 * <fn>_part functions get them through rt_par_for's context. */
typedef struct chai_io {
  const float *b0;
  float *t0;
} chai_io;
]]
  local S = #t.stages -- pipelined frames: stages of the run, one buffer copy each
  if t.arena > 0 and S > 0 then
    s[#s + 1] = ([[

/* Activations: every intermediate blob at its planned offset (floats), one
 * copy per frame in flight (pipelined frames); act points at the copy of
 * the frame the calling thread works on (chai_slot). */
static _Alignas(64) float act_slot[%d][%d];
static _Thread_local float *act = act_slot[0];
]]):format(S, t.arena_slot)
  elseif t.arena > 0 then
    s[#s + 1] = ([[

/* Activations: every intermediate blob at its planned offset (floats). */
static _Alignas(64) float act[%d];
]]):format(t.arena)
  end
  if t.scratch > 0 and S > 0 then
    s[#s + 1] = ("/* Scratch memory of the kernels (padded copies, im2col, reference kernels),\n" ..
                 " * one per thread: the stages of pipelined frames run at once. */\n" ..
                 "static _Thread_local _Alignas(64) float scratch[%d];\n"):format(t.scratch)
  elseif t.scratch > 0 then
    s[#s + 1] = ("/* Scratch memory of the kernels (padded copies, im2col, reference kernels). */\nstatic _Alignas(64) float scratch[%d];\n"):format(t.scratch)
  end
  s[#s + 1] = "\n" .. t.weights_code .. "\n" .. t.funcs
  local names = {}
  for i, n in ipairs(t.layer_names) do names[i] = "    " .. n end
  s[#s + 1] = ([[
#ifdef %s_PROFILE
#include <time.h>
const char *const %s_layer_names[%d] = {
%s};
double %s_layer_seconds[%d];
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#define LAYER(i, ...) do { double t_ = now(); __VA_ARGS__; %s_layer_seconds[i] += now() - t_; } while (0)
#else
#define LAYER(i, ...) do { __VA_ARGS__; } while (0)
#endif

%s]]):format(t.PREFIX, t.prefix, math.max(t.nlayers, 1), table.concat(names, ",\n"), t.prefix,
           math.max(t.nlayers, 1), t.prefix, run(t, S))
  s[#s + 1] = "\n" .. pools(t, S)
  return table.concat(s)
end
