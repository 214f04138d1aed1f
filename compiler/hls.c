/* hls.c - HLS knobs and estimate (see hls.h and docs/hls.md). */
#include "hls.h"

#include <string.h>

#include "passes.h"
#include "stats.h"

bool hl_kind_ok(LayerKind k) { return lk_has_hw((int)k); }

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
}

const char *hl_part(const CfgConfig *cfg) {
  return cfg && cfg->target.part ? cfg->target.part : HL_DEFAULT_PART;
}

double hl_clock_ns(const CfgConfig *cfg) {
  return cfg && cfg->target.clock_ns > 0 ? cfg->target.clock_ns : HL_DEFAULT_CLOCK_NS;
}

int64_t hl_cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

void hl_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  memset(e, 0, sizeof *e);
  if (!l->nbottom || !l->ntop) return;
  const LayerOps *ops = lk_ops(l);
  if (ops->hls_estimate) {
    ops->hls_estimate(l, k, e);
  } else { /* ReLU, BN, Scale: one requantization per element and lane */
    e->cycles = k->ii * hl_cdiv(rt_shape_count(&l->bottom[0]->shape), k->op);
    e->dsp = 3 * k->op;
  }
}

int64_t hl_wbytes(const Layer *l) {
  const LayerOps *ops = lk_ops(l);
  if (!ops->hls_wbytes || !l->nbottom || !l->ntop) return 0;
  return ops->hls_wbytes(l);
}

void hl_info(Net *n, const CfgConfig *cfg, FILE *f) {
  PsLog lg;
  ps_log_init(&lg, n->ar);
  ps_run(n, &lg);
  double clk = hl_clock_ns(cfg);
  fprintf(f, "hls: part %s, clock %.3g ns (%.1f MHz)\n", hl_part(cfg), clk, 1e3 / clk);
  fprintf(f, "%-4s %-28s %-14s %5s %4s %4s %-6s %14s %14s %8s %6s\n", "seg", "layer", "type", "II",
          "IP", "OP", "wts", "MACs", "cycles", "DSP", "MAC/c");
  int seg = -1, prev_hw = 0;
  int64_t tot = 0, sc = 0, sd = 0, smacs = 0, maxdsp = 0, allmacs = 0, hwmacs = 0;
  for (int i = 0; i <= n->nlayer; i++) {
    const Layer *l = i < n->nlayer ? n->layers[i] : NULL;
    if (l && (l->dead || lk_is(l->kind, LKF_SOURCE))) continue;
    if (l) allmacs += st_macs(l);
    bool hw = l && l->place == PL_HW && hl_kind_ok(l->kind);
    if (!hw && prev_hw) {
      fprintf(f, "     segment %d total: %lld MACs, %lld cycles (%.3f ms), %lld DSPs (sum over its layers)\n",
              seg, (long long)smacs, (long long)sc, (double)sc * clk * 1e-6, (long long)sd);
      tot += sc;
    }
    if (!l) break;
    if (!hw) {
      prev_hw = 0;
      continue;
    }
    if (!prev_hw) seg++, sc = sd = smacs = 0;
    prev_hw = 1;
    HlKnobs k;
    HlEst e;
    hl_knobs(cfg, l, hl_wbytes(l), &k);
    hl_estimate(l, &k, &e);
    sc += e.cycles, sd += e.dsp, smacs += e.macs, hwmacs += e.macs;
    if (e.dsp > maxdsp) maxdsp = e.dsp;
    bool mac = lk_ops(l)->hls_wbytes != NULL; /* has a weights column */
    fprintf(f, "%-4d %-28s %-14s %5d %4d %4d %-6s %14lld %14lld %8lld %6.1f\n", seg, l->name,
            l->type, k.ii, k.ip, k.op, mac ? (k.axi ? "axi" : "rom") : "-", (long long)e.macs,
            (long long)e.cycles, (long long)e.dsp,
            e.cycles ? (double)e.macs / (double)e.cycles : 0.0);
  }
  fprintf(f, "hardware: %d segments, %lld of %lld MACs, %lld cycles = %.3f ms per frame, "
             "%.1f fps at %.1f MHz\n",
          seg + 1, (long long)hwmacs, (long long)allmacs, (long long)tot,
          (double)tot * clk * 1e-6, tot ? 1e9 / ((double)tot * clk) : 0.0, 1e3 / clk);
  fprintf(f, "DSPs: largest layer %lld (a shared engine of that size runs every layer in the "
             "cycles above); sum over layer instances as generated: see the segment totals\n",
          (long long)maxdsp);
}
