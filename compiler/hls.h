/* hls.h - the HLS backend's knobs and performance estimate (docs/hls.md).
 *
 * hl_knobs resolves a hardware layer's pragmas from the YAML config
 * (per-layer rule > target.pragmas > defaults) and where its weights live
 * (on-chip ROM or AXI, by rule or by target.onchip_weight_limit_kb).
 * hl_estimate turns a layer's loop trip counts, initiation interval and
 * unroll factors into cycles and DSPs with the formula in docs/hls.md; the
 * generated loops (templates/hls/) have exactly these trip counts.
 */
#ifndef CHAI_HLS_H
#define CHAI_HLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "ir.h"

#define HL_DEFAULT_PART "xczu9eg-ffvb1156-2-e"
#define HL_DEFAULT_CLOCK_NS 5.0
#define HL_DEFAULT_II 1
#define HL_DEFAULT_IN_PAR 8
#define HL_DEFAULT_OUT_PAR 16
#define HL_DEFAULT_ONCHIP_KB 64

typedef struct HlKnobs {
  int ii;       /* PIPELINE II of the inner loops */
  int ip, op;   /* input / output channel parallelism, clamped to the
                   layer's channels per group; elementwise layers (ReLU,
                   BN, Scale, Eltwise, Concat): op lanes; Pooling: 1 */
  bool axi;     /* weights read over AXI (else an on-chip ROM) */
  bool pack;    /* target.dsp_packing: conv MACs two output channels per
                   multiplier (fx_mul2, WP486) */
  int pb;       /* bytes per beat of the wide m_axi port fm64 / fm128
                   (target.port_bits / 8; 1: 8-bit ports): Pooling in a
                   hardware segment bursts pb-byte beats when 8 or 16 */
  bool ident;   /* the kernel's requantization is the identity (no
                   multiplier): known from the quantized plan only
                   (HlSteps.ident), else false */
  int64_t plane_bytes; /* whole planes (target.engine_plane_kb as the
                   plan resolved it, wide ports only; 0: off): Pooling
                   buffers an input plane of at most this many bytes */
} HlKnobs;

/* Kinds the HLS templates implement (a hardware segment holds only these):
 * the kinds with a hardware kernel (lk_has_hw). */
bool hl_kind_ok(LayerKind k);
/* Weight bytes of a hardware layer (8-bit codes; 0 without weights). */
int64_t hl_wbytes(const Layer *l);
/* Knobs of live layer l; wbytes = its weight bytes (for the size rule). */
void hl_knobs(const CfgConfig *cfg, const Layer *l, int64_t wbytes, HlKnobs *k);
/* Part and clock period (config target or defaults). */
const char *hl_part(const CfgConfig *cfg);
double hl_clock_ns(const CfgConfig *cfg);

typedef struct HlEst {
  int64_t cycles;  /* latency of the layer function */
  int64_t dsp;     /* DSP48 slices it instantiates */
  int64_t macs;    /* useful multiply-accumulates */
  int64_t bram18k; /* 18 Kb block RAMs of its arrays (hl_bram18k) */
  int64_t uram;    /* UltraRAMs (the templates bind none) */
  int ii;          /* proven II of its main pipelined loop (0: the knob's) */
  int64_t rd_fm, wr_fm; /* bytes read / written through the fm port (0, 0:
                           each bottom element read once, each top element
                           written once) */
  int64_t bytes_wts; /* bytes through the wts port (AXI weights) */
  int64_t bursts[3]; /* the shared engine: cycles of its weight, line-buffer
                        and drain bursts (included in cycles) */
  int64_t runs[3];   /* ... and how many bursts each (runs of the burst
                        loop: each pays the DDR latency, not counted) */
  int64_t mac_loop;  /* the shared engine: cycles of its MAC loop (included
                        in cycles; hls.c's split line) */
  int64_t stage;     /* ... and of its accumulator init and output stage */
  int64_t mac_full;  /* ... and the MAC loop's cycles if every iteration
                        used all IP x OP lanes: the in-input taps' MACs over
                        IP*OP (padding taps are skipped, not counted) */
  int pb;            /* bytes per m_axi beat (0 or 1: 8-bit ports; the
                        shared engine's with port_bits 64 / 128: 8 / 16; rd_fm, wr_fm,
                        bytes_wts are then whole beats) */
  int64_t xel;       /* elements of the conversion / post-op steps (HlSteps;
                        each read and written once over the 8-bit fm port,
                        one per cycle, before / after the kernel) */
  int64_t mem_cycles; /* hl_plan: the DDR / port time in cycles */
  int64_t time;       /* hl_plan: max(cycles, mem_cycles) */
} HlEst;
/* Estimate for live layer l of a hardware segment with knobs k. */
void hl_estimate(const Layer *l, const HlKnobs *k, HlEst *e);
/* The II a pipelined loop can reach when each iteration makes `n` accesses
 * to one m_axi port (one per cycle): max(req, n) (docs/hls.md). */
int hl_maxi_ii(int req, int64_t n);
/* ceil(a / b) for b > 0 (for the kinds' hls_estimate slots). */
int64_t hl_cdiv(int64_t a, int64_t b);
/* Input rows a convolution's line buffer loads over its OH output rows
 * (H input rows, geometry p; de: Deconvolution, rows on the stride grid):
 * per output row, the taps' rows inside the input. */
int64_t hl_fill_rows(const rt_conv_param *p, int64_t H, int64_t OH, bool de);
int64_t hl_fill_cols(const rt_conv_param *p, int64_t W, int64_t OW, bool de);

/* BRAM18Ks of an array of `depth` elements of `bits` bits split into
 * `banks` banks (cyclic or block: ceil(depth / banks) each); each bank
 * takes whole RAMB18s in the best aspect ratio (16Kx1 .. 512x36), and a
 * bank of at most HL_LUTRAM_BITS bits is LUTRAM / registers (0). */
#define HL_LUTRAM_BITS 1024
int64_t hl_bram18k(int64_t depth, int bits, int64_t banks);

/* The design of the hardware layers under the part's budget
 * (docs/hls.md): the knobs after folding, the per-layer estimate, totals
 * and whether it fits.  The emitter renders with these knobs and info
 * prints them: one source for both. */
typedef struct HlBudget {
  const char *part;     /* as configured (or the default) */
  int64_t dsp, bram18k, uram;
  double ddr_gbps;      /* GB/s */
  const char *board;    /* the board ddr_gbps assumes */
} HlBudget;

struct HlEngine;

/* The elementwise steps a layer's fixed-point plan adds around its kernel
 * (fx_plan.h: input conversions <fn>_cv<k> and the post op <fn>_post, one
 * requantization lane each, templates/hls/elem.lua): how many, and their
 * elements in all. */
typedef struct HlSteps {
  int n;
  int64_t elems;
  bool inplace; /* a Concat the plan does in place (fx_plan.h): no kernel,
                   no cycles, no memory traffic */
  bool ident;   /* its kernel requantizes by the identity (LayerOps
                   hls_fx_ident): HlKnobs.ident */
} HlSteps;

/* The processing system's high-performance AXI slave ports the
 * segments' m_axi masters share (S_AXI_HP0-3: UG585 for Zynq-7000,
 * UG1085 for Zynq UltraScale+): each takes one read and one write beat
 * per cycle. */
#define HL_HP_PORTS 4

typedef struct HlPlan {
  int nid;              /* arrays below are indexed by Layer.id < nid */
  bool *hw;             /* layer in a hardware segment */
  HlKnobs *k;
  HlEst *e;
  int nfold;            /* folding steps taken */
  int ngrow;            /* growing steps after folding (engine lanes doubled) */
  double clk_ns;
  HlEst tot;            /* sums over the hardware layers */
  HlBudget b;
  bool fits;
  char what[160];       /* when not: the resources over budget */
  /* engine mode (target.engine: shared, HlEngine below): the segments'
   * engines; eng[l->id] is layer l's engine or -1; each engine's layers
   * in order; its resources are counted in its first layer's estimate */
  int neng;
  struct HlEngine *engs;
  int *eng;
  Layer ***elay;
  int *ecnt;
  const HlSteps *steps; /* per Layer.id, or NULL (hl_plan_seg) */
  /* segments (docs/hls.md "Pipelined frames"): seg[l->id] is hardware
   * layer l's segment (-1 otherwise); segt[s] segment s's time (the sum
   * of its layers' HlEst.time); ddr_all the cycles every segment's DDR
   * bytes take at the board's bandwidth.  target.schedule: pipelined
   * (pipelined) makes the frame interval the largest of those, else the
   * frame takes the sum (tot.time) */
  const int *seg;
  int nseg;
  int64_t *segt;
  int64_t ddr_all;
  int64_t hp_all;       /* the cycles the 4 HP ports take for every
                           segment's m_axi beats (reads and writes on
                           their own channels) */
  bool pipelined;
  int64_t interval;     /* the frame interval: pipelined ? max : tot.time */
  int slow;             /* pipelined: the segment that sets it (-1: DDR) */
  int64_t plane_kb;     /* the engines' whole-plane cap in KiB (0: off) */
  int plane_auto;       /* target.engine_plane_kb auto: the caps tried */
} HlPlan;

/* ---- the shared convolution engine (`target.engine: shared`, docs/hls.md
 * "Shared engine"; defined in hls_engine.c) ----
 * In engine mode every Convolution of a hardware segment runs on one
 * function <prefix>_seg<k>_conv(fm, wts, L) with IP x OP MACs and R
 * requantization lanes, fixed for the segment; layer L's geometry and
 * offsets are rows of static const tables.  hls_engine.c sizes the engine
 * (its buffers hold the largest layer), estimates a layer's cycles on it
 * and counts the engine's resources once.  The emitter (emit_engine.c)
 * renders templates/hls/engine.lua with the same figures. */
typedef struct HlEngine {
  int ip, op;        /* MAC array: IP input x OP output channels per cycle */
  int ipmax, opmax;  /* their starting values (target.pragmas): growing
                        after folding never passes them */
  int r;             /* requantization lanes of the output stage (R | OP) */
  int nl;            /* layers on the engine */
  int64_t ntmax;     /* largest G*NOCT (output channel blocks) */
  int64_t wbmax;     /* largest layer's weights: G*NOCT*KH*KW*NICT*IP*OP */
  int64_t lbmax;     /* largest line buffer bank: ceil(C/IP)*KH*W (a
                        whole-plane layer: ceil(C/IP)*H*W) */
  int64_t ocmax;     /* largest OC */
  int64_t owmax;     /* largest output row buffer: OW (a whole-plane
                        layer: OH*OW) */
  int64_t plane_bytes; /* target.engine_plane_kb in bytes (0: off) */
  bool plane_any;    /* some layer is buffered whole (hl_engine_plane) */
  int64_t nq;        /* entries of the bias / M / sh tables: sum G*NOCT*OP */
  bool wide, leaky;  /* some layer needs int64 accumulators / leaky ReLU */
  bool pack;         /* target.dsp_packing: two output channels' products
                        per multiplier (fx_mul2, WP486) */
  int pb;            /* bytes per beat of its three bursts (target.port_bits
                        / 8): 1, 8 (uint64_t m_axi ports) or 16
                        (chai_b128 beats) */
} HlEngine;

/* True when layer l runs on its segment's engine in this config: engine
 * mode is on and l is a (non-transposed) Convolution. */
bool hl_engine_on(const CfgConfig *cfg, const Layer *l);
/* Sizes engine g for layers ls[0..n) with g->ip, g->op already set (each
 * clamped to the largest channels per group of the layers) and chooses
 * g->r: the fewest lanes (a power of two dividing OP) that keep the
 * output stage (G*NOCT*OP/R cycles per pixel) within every layer's MAC
 * cycles per pixel (KH*KW*G*NOCT*NICT). */
void hl_engine_size(HlEngine *g, Layer *const *ls, int n);
/* True when engine g buffers layer l's planes whole (target.engine_plane_kb,
 * docs/hls.md "Whole planes"): its input, channels padded to g->ip, and
 * its output each fit g->plane_bytes per image.  The line buffer then
 * holds all H rows (one burst of H*W bytes per input channel at the first
 * output row) and the output buffer all OH rows (one burst of OH*OW bytes
 * per output channel after the last). */
bool hl_engine_plane(const HlEngine *g, const Layer *l);
/* The bytes per image layer l's whole planes need on an engine of ip
 * input lanes: the larger of its input (channels padded to ip) and its
 * output (hl_engine_plane's test, engine_plane_kb auto's candidates). */
int64_t hl_engine_plane_need(const Layer *l, int64_t ip);
/* Layer l's loops on engine g at their proven IIs (all 1): cycles, bytes
 * through the ports, MACs; no resources (hl_engine_res counts them once). */
void hl_engine_est(const Layer *l, const HlEngine *g, HlEst *e);
/* The rows of conv p's window (KH taps DH apart): the engine's rolling
 * line buffer keeps that many rows per input channel, row iy in slot iy %
 * span. */
int64_t hl_engine_span(const rt_conv_param *p);
/* Beats of an engine burst loop moving n bytes of a row that may start
 * at any byte in pb-byte beats: n when pb is 1, else ceil((n + pb - 1) /
 * pb) (the covering beats of the worst start; the loop's trip count). */
int64_t hl_row_beats(int64_t n, int pb);
/* The beats a wide row write of `beats` beats reads back first (its first
 * and last, one when they are the same beat: the neighbours' bytes are
 * written back unchanged). */
int64_t hl_rmw_reads(int64_t beats);
/* The wide m_axi ports of pb-byte beats (target.port_bits 64 / 128, pb 8 /
 * 16): "fm64" / "wts64" or "fm128" / "wts128" (wts: the weight port). */
const char *hl_beat_port(int pb, bool wts);
/* Their beat type: "uint64_t" (pb 8) or "chai_b128" (pb 16: the struct of
 * two uint64_t words the generated <net>_hw.h declares). */
const char *hl_beat_type(int pb);
/* The reshape factor of the engine's weight buffer: IP*OP bytes per word
 * for the MAC loop, a multiple of pb for the weight burst (lcm). */
int64_t hl_engine_wfactor(const HlEngine *g);
/* The multipliers of the engine's MAC loop: IP*OP, or packed
 * IP*ceil(OP/2). */
int64_t hl_engine_muls(const HlEngine *g);
/* The engine's DSPs (its multipliers + 3 per requantization lane) and the
 * BRAM18Ks of its buffers and tables. */
void hl_engine_res(const HlEngine *g, HlEst *e);

/* The geometry of convolution l on engine g (IP x OP lanes; g NULL: 1 x
 * 1, no planes, no bundling), for the estimate and the emitter alike. */
typedef struct HlGeo {
  int64_t N, C, H, W, OC, OH, OW, G, ICG, OCG, KH, KW, NICT, NOCT, taps;
  int64_t k;       /* groups bundled per engine group (hl_engine_bundle): G,
                      ICG, OCG are the engine's (G/k, k*ICG, k*OCG) */
  int64_t rows, cols; /* (pixel, tap) rows / columns inside the input */
  int64_t span;    /* line-buffer rows (H for a whole-plane layer) */
  int64_t loads;   /* input rows loaded per image (engine.lua's _lk) */
  int64_t lbn, obn; /* bytes per line-buffer / drain burst: a row (W, OW)
                       or a whole plane (H*W, OH*OW) */
  bool plane;      /* hl_engine_plane */
} HlGeo;
void hl_engine_geo(const Layer *l, const HlEngine *g, HlGeo *q);

/* Groups the engine runs together (docs/hls.md "Grouped and depthwise
 * layers"): a convolution of G groups of ICG inputs and OCG outputs runs
 * on IP x OP lanes as G/k groups of k*ICG x k*OCG channels whose weights
 * are zero across the original groups (the sums are unchanged); k is the
 * divisor of G with the fewest MAC loop iterations per (pixel, tap),
 * G/k * ceil(k*ICG/IP) * ceil(k*OCG/OP), the smallest on ties (1 for a
 * dense layer). */
int64_t hl_engine_bundle(int64_t G, int64_t ICG, int64_t OCG, int ip, int op);

/* Convolution weights (codes src, OC x C/G x KH x KW of geometry p, C
 * input and OC output channels) reordered into
 * IP x OP words, channels padded with zeros: axi ([g][oct][ky][kx][ict]
 * [ip][op], each output channel block contiguous) or ROM order
 * ([ky][kx][g][oct][ict][ip][op]); de: Deconvolution's source order.
 * k groups (a divisor of G; 1: none) are laid out as one of k*ICG x k*OCG
 * channels, zero across them (hl_engine_bundle).  *nw gets the count.
 * Defined in layers/conv.c. */
int16_t *hl_conv_weights(Arena *ar, const rt_conv_param *p, int C, int OC, const int16_t *src, int IP,
                         int OP, int k, bool axi, bool de, int64_t *nw);

/* The budget: the part table entry of hl_part(cfg), with the config's
 * overrides (capped at the part's counts). */
void hl_budget(const CfgConfig *cfg, HlBudget *b);
/* Plans the layers with hw[l->id] set: knobs from the config, then, when
 * target.fold is on, FINN-style folding while the DSPs exceed the budget
 * (halve the in/out parallelism of the layer where that costs the fewest
 * extra cycles per DSP saved; layers whose rule sets in_parallel or
 * out_parallel are never folded), then, while the BRAM18Ks exceed it, the
 * same with moving a weight ROM to AXI as a third choice.
 * Deterministic. */
HlPlan *hl_plan(const Net *n, const CfgConfig *cfg, const bool *hw, Arena *ar);
/* The same with the hardware segments given: seg[l->id] is layer l's
 * segment (>= 0 for the layers with hw set).  hl_plan derives them as
 * hl_info prints them: maximal runs of hardware layers, dead and source
 * layers not breaking a run.  steps (per Layer.id, may be NULL) adds each
 * layer's conversion and post-op steps to its estimate; hl_plan, having
 * no quantized plan, passes none of those, only the identity
 * requantizations the quantizer guarantees (MAX pooling keeps its
 * input's scale, cb_scale_kept). */
HlPlan *hl_plan_seg(const Net *n, const CfgConfig *cfg, const bool *hw, const int *seg,
                    const HlSteps *steps, Arena *ar);
/* The resource line: "resources: DSP u/a BRAM18K u/a URAM u/a on PART:
 * fits" (or ": does not fit (what)"), no newline. */
void hl_resource_line(const HlPlan *p, char *buf, size_t n);
/* Reports a plan that does not fit as an error at the config's budget or
 * part (or, without a config, at the net's file, naming the part);
 * returns -1 then, else 0. */
int hl_check_fit(const HlPlan *p, const CfgConfig *cfg, const Net *n, Diag *dg);

/* A compiled net's hardware layout, per Layer.id: in a segment (hw), which
 * one (seg), its conversion and post-op steps (steps); fp_hl_layout
 * (fx_plan.h) reads it off the fixed-point plan. */
typedef struct HlLayout {
  bool *hw;
  int *seg;
  HlSteps *steps;
} HlLayout;

/* `chaicc info --hls`: prints per-layer and per-segment cycles and DSPs and
 * the frame rate at the clock.  lay NULL: runs the graph passes on n (in
 * place) and forms the hardware segments (maximal runs of live layers
 * placed in hardware whose kind hl_kind_ok accepts; pt_assign must have
 * run), without conversion steps.  Else the plan of lay (the net already
 * folded by qs_prepare), as `compile --target hls` makes it. */
void hl_info(Net *n, const CfgConfig *cfg, const HlLayout *lay, FILE *f);

#endif
