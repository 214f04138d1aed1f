/* hls.c - HLS knobs and estimate (see hls.h and docs/hls.md). */
#include "hls.h"

#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "constfold.h"
#include "parts.h"
#include "passes.h"
#include "quant.h"
#include "stats.h"

bool hl_kind_ok(LayerKind k) { return lk_has_hw((int)k); }

/* Bytes per beat of the wide m_axi ports (target.port_bits / 8), 1 for
 * 8-bit ports or no config. */
static int port_bytes(const CfgTarget *t) { return t && t->port_bits > 8 ? t->port_bits / 8 : 1; }

void hl_knobs(const CfgConfig *cfg, const Layer *l, int64_t wbytes, HlKnobs *k) {
  const CfgLayerRule *r = cfg ? cfg_layer_rule(cfg, l->name) : NULL;
  const CfgTarget *t = cfg ? &cfg->target : NULL;
  k->ii = r && r->pipeline_ii ? r->pipeline_ii : t && t->pipeline_ii ? t->pipeline_ii : HL_DEFAULT_II;
  k->ip = r && r->in_parallel ? r->in_parallel : t && t->in_parallel ? t->in_parallel : HL_DEFAULT_IN_PAR;
  k->op = r && r->out_parallel ? r->out_parallel : t && t->out_parallel ? t->out_parallel : HL_DEFAULT_OUT_PAR;
  const LayerOps *ops = lk_ops(l);
  if (ops->hls_knobs && l->nbottom && l->ntop) ops->hls_knobs(l, k);
  else /* elementwise kinds: op lanes per cycle */
    k->ip = 1;
  int limit = t && t->onchip_weight_limit_kb >= 0 ? t->onchip_weight_limit_kb : HL_DEFAULT_ONCHIP_KB;
  CfgWeights w = r ? r->weights : CFG_W_UNSET;
  k->axi = w == CFG_W_AXI || ((w == CFG_W_UNSET || w == CFG_W_AUTO) && wbytes > (int64_t)limit * 1024);
  k->pack = t && t->dsp_packing;
  k->pb = port_bytes(t);
}

const char *hl_part(const CfgConfig *cfg) {
  return cfg && cfg->target.part ? cfg->target.part : HL_DEFAULT_PART;
}

double hl_clock_ns(const CfgConfig *cfg) {
  return cfg && cfg->target.clock_ns > 0 ? cfg->target.clock_ns : HL_DEFAULT_CLOCK_NS;
}

int64_t hl_cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The (output, tap) pairs along one axis whose input position is inside
 * the input: in/out the axis's input/output sizes, k s pd d its kernel,
 * stride, pad and dilation; Deconvolution (de): on the stride grid. */
static int64_t valid_taps(int64_t k, int64_t s, int64_t pd, int64_t d, int64_t in, int64_t out,
                          bool de) {
  int64_t n = 0;
  for (int64_t o = 0; o < out; o++)
    for (int64_t t = 0; t < k; t++) {
      int64_t i = o * s - pd + t * d;
      if (de) {
        int64_t ti = o + pd - t * d;
        i = ti >= 0 && ti % s == 0 ? ti / s : -1;
      }
      n += i >= 0 && i < in;
    }
  return n;
}

/* Input rows the line buffer loads for the output rows (the _lk loops of
 * templates/hls/conv.lua and engine.lua): per output row, the taps' rows
 * inside the input (Deconvolution: on the stride grid), summed. */
int64_t hl_fill_rows(const rt_conv_param *p, int64_t H, int64_t OH, bool de) {
  return valid_taps(p->kh, p->sh, p->ph, p->dh, H, OH, de);
}

/* The same along x: per output column, the taps' columns inside the
 * input.  A tap runs its loops (the code's `continue` skips the others)
 * for fill_rows x fill_cols (output pixel, tap) pairs per image. */
int64_t hl_fill_cols(const rt_conv_param *p, int64_t W, int64_t OW, bool de) {
  return valid_taps(p->kw, p->sw, p->pw, p->dw, W, OW, de);
}

int hl_maxi_ii(int req, int64_t n) { return n > req ? (int)(n < (1 << 30) ? n : 1 << 30) : req; }

void hl_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  memset(e, 0, sizeof *e);
  if (!l->nbottom || !l->ntop) return;
  const LayerOps *ops = lk_ops(l);
  if (ops->hls_estimate) {
    ops->hls_estimate(l, k, e);
  } else { /* ReLU, BN, Scale: one requantization per element and lane;
              * op reads of the m_axi input per iteration */
    e->ii = hl_maxi_ii(k->ii, k->op);
    e->cycles = e->ii * hl_cdiv(rt_shape_count(&l->bottom[0]->shape), k->op);
    e->dsp = 3 * k->op;
  }
  if (!e->rd_fm && !e->wr_fm) {
    for (int i = 0; i < l->nbottom; i++) e->rd_fm += rt_shape_count(&l->bottom[i]->shape);
    for (int i = 0; i < l->ntop; i++) e->wr_fm += rt_shape_count(&l->top[i]->shape);
  }
}

int64_t hl_wbytes(const Layer *l) {
  const LayerOps *ops = lk_ops(l);
  if (!ops->hls_wbytes || !l->nbottom || !l->ntop) return 0;
  return ops->hls_wbytes(l);
}

int64_t hl_bram18k(int64_t depth, int bits, int64_t banks) {
  static const int cw[] = {1, 2, 4, 9, 18, 36}; /* RAMB18 aspect ratios */
  static const int cd[] = {16384, 8192, 4096, 2048, 1024, 512};
  if (depth <= 0 || bits <= 0) return 0;
  if (banks < 1) banks = 1;
  if (banks > depth) banks = depth;
  int64_t d = hl_cdiv(depth, banks);
  if (d * bits <= HL_LUTRAM_BITS) return 0;
  int64_t best = -1;
  for (int i = 0; i < 6; i++) {
    int64_t c = hl_cdiv(bits, cw[i]) * hl_cdiv(d, cd[i]);
    if (best < 0 || c < best) best = c;
  }
  return best * banks;
}

void hl_budget(const CfgConfig *cfg, HlBudget *b) {
  const CfgTarget *t = cfg ? &cfg->target : NULL;
  const PrPart *pp = pr_find(hl_part(cfg));
  if (!pp) pp = pr_find(HL_DEFAULT_PART); /* cfg_load rejects unknown parts */
  b->part = hl_part(cfg);
  b->board = pp->board;
  b->dsp = pp->dsp, b->bram18k = pp->bram18k, b->uram = pp->uram;
  b->ddr_gbps = pp->ddr_gbps;
  if (!t) return;
  if (t->dsp_budget >= 0 && t->dsp_budget < b->dsp) b->dsp = t->dsp_budget;
  if (t->bram18k_budget >= 0 && t->bram18k_budget < b->bram18k) b->bram18k = t->bram18k_budget;
  if (t->uram_budget >= 0 && t->uram_budget < b->uram) b->uram = t->uram_budget;
  if (t->ddr_gbps > 0) b->ddr_gbps = t->ddr_gbps;
}

/* The memory term of e (docs/hls.md): each m_axi port reads one beat and
 * writes one beat per cycle (a byte; e->pb bytes for the shared engine's
 * wide ports), and both ports share the DDR's ddr_gbps; the conversion /
 * post-op steps (e->xel) add one cycle per element on the 8-bit port. */
static void mem_term(const HlPlan *p, HlEst *e) {
  int64_t port = e->rd_fm > e->wr_fm ? e->rd_fm : e->wr_fm;
  if (e->bytes_wts > port) port = e->bytes_wts;
  if (e->pb > 1) port = hl_cdiv(port, e->pb);
  port += e->xel; /* the steps run before / after the kernel */
  double per_cycle = p->b.ddr_gbps * p->clk_ns; /* bytes per cycle */
  int64_t ddr =
      (int64_t)((double)(e->rd_fm + e->wr_fm + e->bytes_wts + 2 * e->xel) / per_cycle + 0.999999);
  e->mem_cycles = port > ddr ? port : ddr;
  e->time = e->cycles > e->mem_cycles ? e->cycles : e->mem_cycles;
}

/* Sums the plan: tot, the segments' times, the DDR time of every
 * segment's bytes and the frame interval (HlPlan). */
static void sum_plan(const Net *n, HlPlan *p) {
  memset(&p->tot, 0, sizeof p->tot);
  for (int s = 0; s < p->nseg; s++) p->segt[s] = 0;
  double bytes = 0;
  int64_t rbeats = 0, wbeats = 0; /* m_axi read / write beats */
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!p->hw[l->id]) continue;
    HlEst *e = &p->e[l->id];
    mem_term(p, e);
    p->tot.time += e->time, p->tot.mem_cycles += e->mem_cycles;
    p->tot.cycles += e->cycles, p->tot.dsp += e->dsp, p->tot.macs += e->macs;
    p->tot.bram18k += e->bram18k, p->tot.uram += e->uram;
    if (p->seg[l->id] >= 0) p->segt[p->seg[l->id]] += e->time;
    bytes += (double)(e->rd_fm + e->wr_fm + e->bytes_wts + 2 * e->xel);
    int pb = e->pb > 1 ? e->pb : 1;
    rbeats += hl_cdiv(e->rd_fm + e->bytes_wts, pb) + e->xel;
    wbeats += hl_cdiv(e->wr_fm, pb) + e->xel;
  }
  p->ddr_all = (int64_t)(bytes / (p->b.ddr_gbps * p->clk_ns) + 0.999999);
  p->hp_all = hl_cdiv(rbeats > wbeats ? rbeats : wbeats, HL_HP_PORTS);
  p->interval = p->tot.time, p->slow = -1;
  if (!p->pipelined) return;
  p->interval = p->ddr_all > p->hp_all ? p->ddr_all : p->hp_all;
  for (int s = 0; s < p->nseg; s++)
    if (p->segt[s] >= p->interval) p->interval = p->segt[s], p->slow = s;
}

/* The weight of the frame interval against the sum in the folding and
 * growing objective of a pipelined plan (obj_delta). */
#define HL_PIPE_W 4096

/* What adding dc cycles to segment s does to the objective folding and
 * growing steer by: the frame's cycles (serial), or the frame interval
 * first and the sum second (pipelined). */
static int64_t obj_delta(const HlPlan *p, int s, int64_t dc) {
  if (!p->pipelined || s < 0) return dc;
  int64_t mx = p->ddr_all > p->hp_all ? p->ddr_all : p->hp_all;
  for (int k = 0; k < p->nseg; k++) {
    int64_t t = p->segt[k] + (k == s ? dc : 0);
    if (t > mx) mx = t;
  }
  return (mx - p->interval) * HL_PIPE_W + dc;
}

/* Whether plan p has hardware layer l done in place (HlSteps.inplace). */
static bool inplace(const HlPlan *p, const Layer *l) { return p->steps && p->steps[l->id].inplace; }

/* Where a segment's cycles go in engine mode (info --hls's split line):
 * the engine layers' MAC loop (and what it would take at full IP x OP
 * lanes), accumulator init + output stage, the three bursts, conversion
 * steps and the time a memory-bound layer adds; the other kinds' time.
 * The parts add up to the segment's total. */
typedef struct Split {
  int eng;                                   /* engine layers seen */
  int64_t mac, full, stage, b[3], steps, excess, other;
} Split;

static void split_add(const HlPlan *p, const Layer *l, Split *sp) {
  const HlEst *e = &p->e[l->id];
  if (!p->eng || p->eng[l->id] < 0) {
    sp->other += e->time;
    return;
  }
  sp->eng++;
  sp->mac += e->mac_loop, sp->stage += e->stage, sp->full += e->mac_full;
  for (int k = 0; k < 3; k++) sp->b[k] += e->bursts[k];
  sp->steps += e->cycles - e->mac_loop - e->stage - e->bursts[0] - e->bursts[1] - e->bursts[2];
  sp->excess += e->time - e->cycles;
}

static void print_split(FILE *f, int seg, const Split *sp) {
  fprintf(f, "     segment %d split: MAC loop %lld (%lld at full lanes), init + output stage %lld, "
             "bursts %lld + %lld + %lld, conversion steps %lld, memory-bound excess %lld, other "
             "kinds %lld\n",
          seg, (long long)sp->mac, (long long)sp->full, (long long)sp->stage, (long long)sp->b[0],
          (long long)sp->b[1], (long long)sp->b[2], (long long)sp->steps, (long long)sp->excess,
          (long long)sp->other);
}

/* Layer l's conversion and post-op steps (HlSteps) on top of its kernel's
 * estimate e: one element per iteration at the layer's II (elem.lua with
 * one lane), each element read and written once, 3 DSPs per step (its
 * requantization). */
static void add_steps(const HlPlan *p, const Layer *l, const HlKnobs *k, HlEst *e) {
  if (!p->steps || !p->steps[l->id].n) return;
  int64_t x = p->steps[l->id].elems;
  e->cycles += hl_maxi_ii(k->ii, 1) * x;
  e->xel += x; /* memory: mem_term */
  e->dsp += 3 * p->steps[l->id].n;
}

/* Engine i's layers: knobs (the engine's IP x OP, AXI weights) and
 * estimates; the engine's resources go to its first layer. */
static void engine_est(HlPlan *p, int i) {
  const HlEngine *g = &p->engs[i];
  for (int j = 0; j < p->ecnt[i]; j++) {
    const Layer *l = p->elay[i][j];
    HlKnobs *k = &p->k[l->id];
    k->ip = g->ip, k->op = g->op, k->axi = true, k->ii = 1, k->pack = g->pack;
    hl_engine_est(l, g, &p->e[l->id]);
    if (!j) hl_engine_res(g, &p->e[l->id]);
    add_steps(p, l, k, &p->e[l->id]);
  }
}

/* Engine mode: one engine per segment holding conv layers, its IP x OP
 * from target.pragmas (or the defaults), sized for its layers. */
static void engine_plan(const Net *n, const CfgConfig *cfg, const int *seg, HlPlan *p, Arena *ar) {
  p->eng = ar_array(ar, (size_t)p->nid + 1, sizeof *p->eng);
  int nseg = 0;
  for (int i = 0; i < p->nid + 1; i++) p->eng[i] = -1;
  for (int i = 0; i < n->nlayer; i++)
    if (p->hw[n->layers[i]->id] && seg[n->layers[i]->id] + 1 > nseg) nseg = seg[n->layers[i]->id] + 1;
  p->engs = ar_array(ar, (size_t)nseg + 1, sizeof *p->engs);
  p->elay = ar_array(ar, (size_t)nseg + 1, sizeof *p->elay);
  p->ecnt = ar_array(ar, (size_t)nseg + 1, sizeof *p->ecnt);
  const CfgTarget *t = &cfg->target;
  for (int s = 0; s < nseg; s++) {
    int cnt = 0;
    for (int i = 0; i < n->nlayer; i++) {
      const Layer *l = n->layers[i];
      cnt += p->hw[l->id] && seg[l->id] == s && hl_engine_on(cfg, l);
    }
    if (!cnt) continue;
    int e = p->neng++;
    p->elay[e] = ar_array(ar, (size_t)cnt, sizeof **p->elay);
    for (int i = 0; i < n->nlayer; i++) {
      Layer *l = n->layers[i];
      if (p->hw[l->id] && seg[l->id] == s && hl_engine_on(cfg, l)) {
        p->eng[l->id] = e;
        p->elay[e][p->ecnt[e]++] = l;
      }
    }
    HlEngine *g = &p->engs[e];
    /* packing needs codes of at most 8 bits (the activations in a segment
     * are; the weights unless a precision_param says otherwise) */
    g->pack = t->dsp_packing;
    g->pb = port_bytes(t);
    g->plane_bytes = p->plane_kb * 1024;
    for (int j = 0; j < p->ecnt[e]; j++)
      if (p->elay[e][j]->q && p->elay[e][j]->q->bw_params > 8) g->pack = false;
    g->ip = g->ipmax = t->in_parallel ? t->in_parallel : HL_DEFAULT_IN_PAR;
    g->op = g->opmax = t->out_parallel ? t->out_parallel : HL_DEFAULT_OUT_PAR;
    hl_engine_size(g, p->elay[e], p->ecnt[e]);
    engine_est(p, e);
  }
}

static int64_t res_of(const HlEst *e, int res) { return res ? e->bram18k : e->dsp; }

/* Engine i of p changed to g2 (folded or grown): the DSPs, BRAM18Ks and
 * cycles of its layers it adds (negative: saves) into d. */
static void eng_delta(const HlPlan *p, int i, const HlEngine *g2, HlEst *d) {
  HlEst r0, r1;
  memset(&r0, 0, sizeof r0);
  memset(&r1, 0, sizeof r1);
  hl_engine_res(&p->engs[i], &r0);
  hl_engine_res(g2, &r1);
  memset(d, 0, sizeof *d);
  d->dsp = r1.dsp - r0.dsp, d->bram18k = r1.bram18k - r0.bram18k;
  for (int j = 0; j < p->ecnt[i]; j++) {
    HlEst e1, e2;
    hl_engine_est(p->elay[i][j], &p->engs[i], &e1);
    hl_engine_est(p->elay[i][j], g2, &e2);
    d->cycles += e2.cycles - e1.cycles;
  }
}

/* One folding step for resource res (0 DSP, 1 BRAM18K): among halving a
 * layer's ip or op and (for BRAM) moving its weight ROM to AXI, the change
 * that saves the resource at the fewest extra cycles per unit saved (ties:
 * the earlier layer, then ip, op, AXI).  Layers whose rule sets
 * in_parallel / out_parallel do not halve; weights: onchip does not move.
 * Returns false when nothing saves. */
static bool fold_step(const Net *n, const CfgConfig *cfg, HlPlan *p, int res) {
  const Layer *bl = NULL;
  HlKnobs bk = {0};
  HlEst be = {0};
  int64_t bcost = 0, bsave = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!p->hw[l->id] || (p->eng && p->eng[l->id] >= 0) || inplace(p, l)) continue;
    const CfgLayerRule *r = cfg ? cfg_layer_rule(cfg, l->name) : NULL;
    bool forced = r && (r->in_parallel || r->out_parallel);
    bool pinned = (r && r->weights == CFG_W_ONCHIP) || !hl_wbytes(l);
    const HlKnobs *k = &p->k[l->id];
    for (int w = 0; w < 3; w++) {
      HlKnobs k2 = *k;
      if (w < 2) {
        int *v = w ? &k2.op : &k2.ip;
        if (forced || *v <= 1) continue;
        *v = (*v + 1) / 2;
      } else {
        if (!res || pinned || k2.axi) continue;
        k2.axi = true;
      }
      HlEst e2;
      hl_estimate(l, &k2, &e2);
      add_steps(p, l, &k2, &e2);
      int64_t save = res_of(&p->e[l->id], res) - res_of(&e2, res);
      int64_t cost = obj_delta(p, p->seg[l->id], e2.cycles - p->e[l->id].cycles);
      if (save <= 0) continue;
      if (!bl || (double)cost * (double)bsave < (double)bcost * (double)save) {
        bl = l, bk = k2, be = e2, bcost = cost, bsave = save;
      }
    }
  }
  /* engines (DSP only): halve the MAC array's IP or OP */
  int be_i = -1;
  HlEngine bg = {0};
  for (int i = 0; res == 0 && i < p->neng; i++) {
    for (int w = 0; w < 2; w++) {
      HlEngine g2 = p->engs[i];
      int *v = w ? &g2.op : &g2.ip;
      if (*v <= 1) continue;
      *v = (*v + 1) / 2;
      hl_engine_size(&g2, p->elay[i], p->ecnt[i]);
      HlEst d;
      eng_delta(p, i, &g2, &d);
      int64_t save = -d.dsp, cost = obj_delta(p, p->seg[p->elay[i][0]->id], d.cycles);
      if (save <= 0) continue;
      if ((!bl && be_i < 0) || (double)cost * (double)bsave < (double)bcost * (double)save) {
        bl = NULL, be_i = i, bg = g2, bcost = cost, bsave = save;
      }
    }
  }
  if (be_i >= 0) {
    p->engs[be_i] = bg;
    engine_est(p, be_i);
    return true;
  }
  if (!bl) return false;
  p->k[bl->id] = bk;
  p->e[bl->id] = be;
  return true;
}

/* One growing step after folding (engines only): among doubling an
 * engine's requantization lanes R (while 2R divides OP), its MAC array's
 * IP or its OP (back up to target.pragmas' in_parallel / out_parallel,
 * which folding may have halved, and to its layers' largest ICG / OCG; the
 * engine is then sized again, its R by the starting rule),
 * the change that saves the most cycles per DSP added while the plan stays
 * within the DSP and BRAM18K budget.  The output stage runs after each
 * pixel's MACs, so lanes the budget can still pay for cost cycles on every
 * layer.  Returns false when no change fits and saves. */
static bool grow_step(const Net *n, HlPlan *p) {
  int bi = -1;
  HlEngine bg = {0};
  int64_t bsave = 0, bdsp = 0;
  for (int i = 0; i < p->neng; i++) {
    for (int w = 0; w < 3; w++) {
      HlEngine g2 = p->engs[i];
      if (w == 0) {
        if (g2.op % (2 * g2.r)) continue;
        g2.r *= 2;
      } else {
        int *v = w == 1 ? &g2.ip : &g2.op, old = *v;
        if (2 * old > (w == 1 ? g2.ipmax : g2.opmax)) continue;
        *v *= 2;
        hl_engine_size(&g2, p->elay[i], p->ecnt[i]);
        if (*v == old) continue; /* capped by the layers' channels */
      }
      HlEst d;
      eng_delta(p, i, &g2, &d);
      int64_t dsp = d.dsp, save = -obj_delta(p, p->seg[p->elay[i][0]->id], d.cycles);
      if (dsp <= 0 || p->tot.dsp + dsp > p->b.dsp || p->tot.bram18k + d.bram18k > p->b.bram18k) continue;
      if (save <= 0) continue;
      if (bi < 0 || (double)save * (double)bdsp > (double)bsave * (double)dsp)
        bi = i, bg = g2, bsave = save, bdsp = dsp;
    }
  }
  if (bi < 0) return false;
  p->engs[bi] = bg;
  engine_est(p, bi);
  sum_plan(n, p);
  return true;
}

/* True when the output format of a (a CHai prototxt's precision_param) is
 * the input format of b. */
static bool out_is_in(const LayerQuant *a, const LayerQuant *b) {
  if (a->mode != b->mode || a->bw_out != b->bw_in) return false;
  return a->mode == QM_XILINX ? a->th_out == b->th_in : a->fl_out == b->fl_in;
}

/* True when q keeps the same format from input to output. */
static bool same_format(const LayerQuant *q) { return out_is_in(q, q); }

/* Whether hardware Concat l's copy will be an identity requantization:
 * `chaicc quantize` gives every bottom the Concat's threshold, so on a
 * float prototxt always; a CHai prototxt (l->q) must say so, every bottom
 * written by a layer whose output format is the Concat's input format. */
static bool concat_ident_predicted(const Layer *l) {
  if (l->kind != LK_CONCAT) return false;
  if (!l->q) return true;
  if (!same_format(l->q)) return false;
  for (int k = 0; k < l->nbottom; k++) {
    const Layer *pr = l->bottom[k] ? l->bottom[k]->producer : NULL;
    if (!pr || !pr->q || !out_is_in(pr->q, l->q)) return false;
  }
  return true;
}

/* Whether hardware Concat l will be zero-copy (fx_plan.c concat_exact)
 * as far as the graph shows: an identity copy (concat_ident_predicted),
 * one outer block, and every bottom distinct, not another zero-copy
 * Concat's (taken, per blob id), and written by the kernel of a layer of
 * the same segment that is not a Concat nor a copy. */
static bool concat_predicted(const Layer *l, const bool *hw, const int *seg, bool *taken) {
  if (!concat_ident_predicted(l) || !hw[l->id] || l->ntop != 1) return false;
  int axis = l->p.concat.axis;
  if (axis < 0 || rt_shape_count_range(&l->top[0]->shape, 0, axis) != 1) return false;
  for (int k = 0; k < l->nbottom; k++) {
    const Blob *b = l->bottom[k];
    const Layer *pr = b ? b->producer : NULL;
    if (!pr || taken[b->id] || pr->dead || !hw[pr->id] || seg[pr->id] != seg[l->id] ||
        pr->kind == LK_CONCAT || lk_is(pr->kind, LKF_COPY) || pr->top[0] != b)
      return false;
    for (int j = 0; j < k; j++)
      if (l->bottom[j] == b) return false;
  }
  for (int k = 0; k < l->nbottom; k++) taken[l->bottom[k]->id] = true;
  return true;
}

/* The steps of a net planned without its fixed-point plan, as `chaicc
 * quantize` with its default flags and `compile --target hls` will make
 * them: a layer whose kind keeps its bottom's scale (cb_scale_kept) and
 * a Concat (its bottoms take its threshold) requantize by the identity,
 * and the Concats concat_predicted accepts are zero-copy.  A net that
 * carries thresholds (a CHai prototxt without weights) is read instead:
 * such a layer is an identity where its own formats are equal.  No
 * conversion steps (HlSteps.n 0). */
static HlSteps *predicted_steps(const Net *n, int nid, const bool *hw, const int *seg, Arena *ar) {
  HlSteps *st = ar_array(ar, (size_t)nid + 1, sizeof *st);
  const unsigned char *kept = cb_scale_kept(n, cb_consumers(n), cf_mark(n, ar), false, nid);
  bool *taken = ar_array(ar, (size_t)n->nblob + 1, sizeof *taken);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->dead) continue;
    const LayerOps *ops = lk_ops(l);
    bool sel = ops->keeps_scale && ops->keeps_scale(l); /* selects its input's values */
    st[l->id].ident = (l->q ? sel && same_format(l->q) : kept[l->id] != CB_KEEP_NONE) ||
                      concat_ident_predicted(l);
    st[l->id].inplace = concat_predicted(l, hw, seg, taken);
  }
  return st;
}

HlPlan *hl_plan(const Net *n, const CfgConfig *cfg, const bool *hw, Arena *ar) {
  int nid = ir_layer_ids(n);
  int *seg = ar_array(ar, (size_t)nid + 1, sizeof *seg);
  int s = -1;
  bool prev = false;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    seg[l->id] = -1;
    if (l->dead || lk_is(l->kind, LKF_SOURCE)) continue;
    if (hw[l->id] && (!prev || l->seg_start)) s++;
    prev = hw[l->id];
    if (prev) seg[l->id] = s;
  }
  return hl_plan_seg(n, cfg, hw, seg, predicted_steps(n, nid, hw, seg, ar), ar);
}

/* The plan with whole planes up to plane_kb KiB (target.engine_plane_kb
 * resolved: 0 = off). */
static HlPlan *plan_at(const Net *n, const CfgConfig *cfg, const bool *hw, const int *seg,
                       const HlSteps *steps, int64_t plane_kb, Arena *ar) {
  HlPlan *p = ar_alloc(ar, sizeof *p);
  p->steps = steps;
  p->plane_kb = plane_kb;
  p->nid = ir_layer_ids(n);
  p->hw = ar_array(ar, (size_t)p->nid + 1, sizeof *p->hw);
  p->k = ar_array(ar, (size_t)p->nid + 1, sizeof *p->k);
  p->e = ar_array(ar, (size_t)p->nid + 1, sizeof *p->e);
  hl_budget(cfg, &p->b);
  p->clk_ns = hl_clock_ns(cfg);
  p->seg = seg;
  p->pipelined = cfg && cfg->target.pipelined;
  for (int i = 0; i < n->nlayer; i++)
    if (hw[n->layers[i]->id] && seg[n->layers[i]->id] + 1 > p->nseg) p->nseg = seg[n->layers[i]->id] + 1;
  p->segt = ar_array(ar, (size_t)p->nseg + 1, sizeof *p->segt);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    p->hw[l->id] = hw[l->id];
    hl_knobs(cfg, l, hl_wbytes(l), &p->k[l->id]);
    p->k[l->id].ident = p->steps && p->steps[l->id].ident;
    p->k[l->id].plane_bytes = p->k[l->id].pb > 1 ? plane_kb * 1024 : 0;
    if (!p->hw[l->id] || inplace(p, l)) continue; /* in place: all zero */
    hl_estimate(l, &p->k[l->id], &p->e[l->id]);
    add_steps(p, l, &p->k[l->id], &p->e[l->id]);
  }
  if (cfg && cfg->target.engine == 1) engine_plan(n, cfg, seg, p, ar);
  sum_plan(n, p);
  bool fold = !cfg || cfg->target.fold;
  while (fold && p->tot.dsp > p->b.dsp && fold_step(n, cfg, p, 0)) p->nfold++, sum_plan(n, p);
  while (fold && p->tot.bram18k > p->b.bram18k && fold_step(n, cfg, p, 1)) p->nfold++, sum_plan(n, p);
  while (fold && p->tot.dsp <= p->b.dsp && p->tot.bram18k <= p->b.bram18k && grow_step(n, p)) p->ngrow++;
  p->fits = p->tot.dsp <= p->b.dsp && p->tot.bram18k <= p->b.bram18k && p->tot.uram <= p->b.uram;
  size_t k = 0;
  p->what[0] = 0;
  const char *nm[3] = {"DSP", "BRAM18K", "URAM"};
  int64_t u[3] = {p->tot.dsp, p->tot.bram18k, p->tot.uram}, a[3] = {p->b.dsp, p->b.bram18k, p->b.uram};
  for (int i = 0; i < 3; i++) {
    if (u[i] <= a[i] || k >= sizeof p->what) continue;
    int w = snprintf(p->what + k, sizeof p->what - k, "%s%s %lld > %lld", k ? ", " : "", nm[i],
                     (long long)u[i], (long long)a[i]);
    if (w > 0) k += (size_t)w;
  }
  return p;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* target.engine_plane_kb: auto tries 0 and, for every engine layer, the
 * KiB its planes need (input padded to the starting IP lanes, and to one
 * lane: folding may narrow IP) and keeps the fastest plan that fits (the
 * smaller cap on a tie; the plan without planes when none fits). */
HlPlan *hl_plan_seg(const Net *n, const CfgConfig *cfg, const bool *hw, const int *seg,
                    const HlSteps *steps, Arena *ar) {
  const CfgTarget *t = cfg ? &cfg->target : NULL;
  if (!t || t->engine != 1 || t->engine_plane_kb >= 0)
    return plan_at(n, cfg, hw, seg, steps, t && t->engine == 1 ? t->engine_plane_kb : 0, ar);
  int64_t ip = t->in_parallel ? t->in_parallel : HL_DEFAULT_IN_PAR;
  int64_t *kb = ar_array(ar, 2 * (size_t)n->nlayer + 1, sizeof *kb);
  int nk = 0;
  kb[nk++] = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!hw[l->id] || !hl_engine_on(cfg, l)) continue;
    kb[nk++] = hl_cdiv(hl_engine_plane_need(l, ip), 1024);
    kb[nk++] = hl_cdiv(hl_engine_plane_need(l, 1), 1024);
  }
  qsort(kb, (size_t)nk, sizeof *kb, cmp_i64);
  HlPlan *best = NULL;
  int tried = 0;
  for (int i = 0; i < nk; i++) {
    if (i && kb[i] == kb[i - 1]) continue;
    HlPlan *q = plan_at(n, cfg, hw, seg, steps, kb[i], ar);
    tried++;
    if (!best || (q->fits && (!best->fits || q->interval < best->interval))) best = q;
  }
  best->plane_auto = tried;
  return best;
}

void hl_resource_line(const HlPlan *p, char *buf, size_t n) {
  snprintf(buf, n, "resources: DSP %lld/%lld BRAM18K %lld/%lld URAM %lld/%lld on %s: %s%s%s",
           (long long)p->tot.dsp, (long long)p->b.dsp, (long long)p->tot.bram18k,
           (long long)p->b.bram18k, (long long)p->tot.uram, (long long)p->b.uram, p->b.part,
           p->fits ? "fits" : "does not fit (", p->fits ? "" : p->what, p->fits ? "" : ")");
}

int hl_check_fit(const HlPlan *p, const CfgConfig *cfg, const Net *n, Diag *dg) {
  if (p->fits) return 0;
  char line[512];
  hl_resource_line(p, line, sizeof line);
  SrcLoc at = {n->file, 0, 0};
  if (cfg) {
    const CfgTarget *t = &cfg->target;
    at = p->tot.dsp > p->b.dsp && t->dsp_budget >= 0 ? t->dsp_loc : t->part_loc;
    if (!at.file) at = (SrcLoc){cfg->file, 0, 0};
  }
  diag_error(dg, at, "the hardware design does not fit part %s (%s); %s; lower the pragmas, "
                     "raise the budget or place layers in software (docs/hls.md)",
             p->b.part, p->what, line);
  return -1;
}

/* The pipelined plan's reminder of what its interval leaves out: the
 * layers that run in software once per frame (the first few by name). */
static void print_software(FILE *f, const Net *n, const bool *hw) {
  int cnt = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->dead || lk_is(l->kind, LKF_SOURCE) || hw[l->id]) continue;
    if (!cnt++) fprintf(f, "software: ");
    if (cnt <= 4) fprintf(f, "%s%s (%s)", cnt > 1 ? ", " : "", l->name, l->type);
  }
  if (!cnt) return;
  if (cnt > 4) fprintf(f, " and %d more", cnt - 4);
  fprintf(f, ": %d layer%s on the CPU per frame, not in the interval; each frame's must take "
             "less than it\n",
          cnt, cnt > 1 ? "s" : "");
}

void hl_info(Net *n, const CfgConfig *cfg, const HlLayout *lay, FILE *f) {
  bool *hw;
  HlPlan *pl;
  if (lay) {
    hw = lay->hw;
    pl = hl_plan_seg(n, cfg, hw, lay->seg, lay->steps, n->ar);
  } else {
    PsLog lg;
    ps_log_init(&lg, n->ar);
    ps_run(n, &lg);
    hw = ar_array(n->ar, (size_t)ir_layer_ids(n) + 1, sizeof *hw);
    for (int i = 0; i < n->nlayer; i++) {
      const Layer *l = n->layers[i];
      hw[l->id] = !l->dead && !lk_is(l->kind, LKF_SOURCE) && l->place == PL_HW && hl_kind_ok(l->kind);
    }
    pl = hl_plan(n, cfg, hw, n->ar);
  }
  double clk = hl_clock_ns(cfg);
  fprintf(f, "%s\n", lay ? "plan: compile's, from the quantized net and its weights"
                         : "plan: predicted from the prototxt (MAX pooling and Concats as "
                           "chaicc quantize makes them; conversion steps need the weights)");
  fprintf(f, "hls: part %s, clock %.3g ns (%.1f MHz)\n", hl_part(cfg), clk, 1e3 / clk);
  fprintf(f, "budget: DSP %lld BRAM18K %lld URAM %lld, DDR %.2f GB/s (%s board)%s\n",
          (long long)pl->b.dsp, (long long)pl->b.bram18k, (long long)pl->b.uram, pl->b.ddr_gbps,
          pl->b.board, cfg && cfg->target.fold == 0 ? ", folding off" : "");
  fprintf(f, "%-4s %-28s %-14s %5s %4s %4s %-6s %14s %12s %12s %-7s %6s %7s %5s %6s\n", "seg",
          "layer", "type", "II", "IP", "OP", "wts", "MACs", "compute", "memory", "bound", "DSP",
          "BRAM18K", "URAM", "MAC/c");
  int seg = -1, prev_hw = 0;
  int64_t tot = 0, maxdsp = 0, allmacs = 0, lanes = 0, lanes_max = 0;
  HlEst s = {0};
  Split sp = {0};
  for (int i = 0; i <= n->nlayer; i++) {
    const Layer *l = i < n->nlayer ? n->layers[i] : NULL;
    if (l && (l->dead || lk_is(l->kind, LKF_SOURCE))) continue;
    if (l) allmacs += st_macs(l);
    bool h = l && hw[l->id];
    bool cut = h && prev_hw && pl->seg[l->id] != seg; /* segment_start: a new segment */
    if ((!h || cut) && prev_hw) {
      fprintf(f, "     segment %d total: %lld MACs, %lld cycles (%.3f ms; compute %lld, memory %lld), "
                 "DSP %lld, BRAM18K %lld, URAM %lld\n",
              seg, (long long)s.macs, (long long)s.time, (double)s.time * clk * 1e-6,
              (long long)s.cycles, (long long)s.mem_cycles, (long long)s.dsp, (long long)s.bram18k,
              (long long)s.uram);
      if (sp.eng) print_split(f, seg, &sp);
      tot += s.time, lanes += sp.full;
      if (sp.full > lanes_max) lanes_max = sp.full;
    }
    if (!l) break;
    if (!h) {
      prev_hw = 0;
      continue;
    }
    if (!prev_hw || cut) seg++, memset(&s, 0, sizeof s), memset(&sp, 0, sizeof sp);
    prev_hw = 1;
    const HlKnobs *k = &pl->k[l->id];
    const HlEst *e = &pl->e[l->id];
    split_add(pl, l, &sp);
    s.cycles += e->cycles, s.dsp += e->dsp, s.macs += e->macs, s.bram18k += e->bram18k;
    s.uram += e->uram, s.time += e->time, s.mem_cycles += e->mem_cycles;
    if (e->dsp > maxdsp) maxdsp = e->dsp;
    bool mac = lk_ops(l)->hls_wbytes != NULL; /* has a weights column */
    fprintf(f, "%-4d %-28s %-14s %5d %4d %4d %-6s %14lld %12lld %12lld %-7s %6lld %7lld %5lld %6.1f\n",
            seg, l->name, l->type, e->ii ? e->ii : k->ii, k->ip, k->op,
            mac ? (k->axi ? "axi" : "rom") : "-", (long long)e->macs, (long long)e->cycles,
            (long long)e->mem_cycles,
            inplace(pl, l) ? "inplace" : e->mem_cycles > e->cycles ? "memory" : "compute",
            (long long)e->dsp, (long long)e->bram18k, (long long)e->uram,
            e->time ? (double)e->macs / (double)e->time : 0.0);
  }
  int64_t fr = pl->pipelined ? pl->interval : tot; /* the frame interval */
  fprintf(f, "hardware: %d segments, %lld of %lld MACs, %lld cycles = %.3f ms %s, "
             "%.1f fps%s at %.1f MHz\n",
          seg + 1, (long long)pl->tot.macs, (long long)allmacs, (long long)tot,
          (double)tot * clk * 1e-6, pl->pipelined ? "latency" : "per frame",
          fr ? 1e9 / ((double)fr * clk) : 0.0, pl->pipelined ? " pipelined" : "", 1e3 / clk);
  if (pl->pipelined) {
    fprintf(f, "pipelined: frame interval %lld cycles = %.3f ms, %.1f fps (",
            (long long)pl->interval, (double)pl->interval * clk * 1e-6,
            pl->interval ? 1e9 / ((double)pl->interval * clk) : 0.0);
    if (pl->slow >= 0) fprintf(f, "segment %d, the slowest", pl->slow);
    else fprintf(f, "memory: every segment's traffic at once");
    fprintf(f, "; every segment's bytes take %lld cycles of DDR, their beats %lld cycles of the %d "
               "HP ports); latency %lld cycles = %.3f ms\n",
            (long long)pl->ddr_all, (long long)pl->hp_all, HL_HP_PORTS, (long long)tot,
            (double)tot * clk * 1e-6);
    print_software(f, n, hw);
  }
  if (pl->neng) { /* serial: the segments' sum; pipelined: the slowest segment's */
    int64_t lb = pl->pipelined ? lanes_max : lanes;
    fprintf(f, "lane bound: %lld cycles = %.1f fps (%s MAC loops at full IP x OP lanes and nothing "
               "else taking time: the most this plan's engines can give)\n",
            (long long)lb, lb ? 1e9 / ((double)lb * clk) : 0.0,
            pl->pipelined ? "the slowest segment's" : "the segments'");
  }
  if (pl->plane_auto)
    fprintf(f, "planes: engine_plane_kb auto: %lld KiB (the fastest plan that fits of %d caps tried)\n",
            (long long)pl->plane_kb, pl->plane_auto);
  fprintf(f, "folding: %d steps%s; largest layer %lld DSPs", pl->nfold,
          pl->nfold ? " (knobs above are after folding)" : "", (long long)maxdsp);
  if (pl->ngrow) fprintf(f, "; %d growing steps with the DSPs left (engine lanes doubled)", pl->ngrow);
  fputc('\n', f);
  for (int i = 0; i < pl->neng; i++) {
    const HlEngine *g = &pl->engs[i];
    HlEst r;
    hl_engine_res(g, &r);
    int64_t b[3] = {0, 0, 0}, nr[3] = {0, 0, 0}; /* its layers' burst cycles, bursts */
    for (int j = 0; j < pl->ecnt[i]; j++)
      for (int k = 0; k < 3; k++) {
        b[k] += pl->e[pl->elay[i][j]->id].bursts[k];
        nr[k] += pl->e[pl->elay[i][j]->id].runs[k];
      }
    fprintf(f, "engine %d (segment %d, %s and %d more): %d x %d MACs (%lld multipliers%s), %d "
               "requantization lanes, DSP %lld, BRAM18K %lld (counted in its first layer's row); "
               "%d-bit ports, bursts %lld weight + %lld line-buffer + %lld drain beats "
               "(%lld + %lld + %lld bursts)\n",
            i, pl->seg[pl->elay[i][0]->id], pl->elay[i][0]->name, g->nl - 1, g->ip, g->op,
            (long long)hl_engine_muls(g), g->pack ? ", packed" : "", g->r, (long long)r.dsp,
            (long long)r.bram18k, 8 * (g->pb > 1 ? g->pb : 1), (long long)b[0], (long long)b[1],
            (long long)b[2], (long long)nr[0], (long long)nr[1], (long long)nr[2]);
  }
  char line[512];
  hl_resource_line(pl, line, sizeof line);
  fprintf(f, "%s\n", line);
}
