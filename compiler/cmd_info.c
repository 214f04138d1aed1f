/* cmd_info.c - `chaicc info DEPLOY [WEIGHTS]`: one line per layer with its
 * bottoms, tops, output shape, parameter count and multiply-accumulates. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "fx_plan.h"
#include "loader.h"
#include "partition.h"
#include "passes.h"
#include "stats.h"
#include "train.h"
#include "hls.h"

static void usage(FILE *f) {
  fprintf(f, "usage: chaicc info DEPLOY [WEIGHTS] [--passes]\n"
             "  Prints every layer (name, type, bottoms, tops, output shape,\n"
             "  parameters, MACs) and totals.  With WEIGHTS, the caffemodel is\n"
             "  loaded and checked against the prototxt.  --passes runs the graph\n"
             "  passes and prints one line per change (folding needs WEIGHTS).\n");
  fprintf(f, "  --input_shape N,C,H,W  input shape of a training prototxt (docs/cli.md)\n");
  fprintf(f, "  --stage S --level N  its NetState for include/exclude rules (repeat --stage)\n");
  fprintf(f, "  --config FILE     partition with the YAML config FILE (docs/config.md) and\n"
             "                    print each layer's placement (HW/SW) and why\n"
             "  --graph FILE.dot  write the partitioned graph for Graphviz\n"
             "  --hls             HLS estimate: per hardware segment and layer, the\n"
             "                    proven II, compute and memory cycles, DSP, BRAM18K and\n"
             "                    URAM after folding under the part's budget, and the\n"
             "                    line 'resources: ... on PART: fits' (docs/hls.md); with\n"
             "                    WEIGHTS of a quantized net, the plan compile makes\n"
             "                    (its 8-bit segments and conversion steps)\n");
}

/* The placement table: one line per layer, then the counts. */
static void print_placement(const Net *n, const CfgConfig *cfg) {
  int nhw = 0, nsw = 0;
  printf("placement (%s%s):\n", cfg ? "config " : "built-in defaults", cfg ? cfg->file : "");
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!l->dead) l->place == PL_HW ? nhw++ : nsw++;
    printf("  %-28s %-18s %s  %s\n", l->name, l->type,
           l->dead ? "--" : l->place == PL_HW ? "HW" : "SW", pt_reason(l));
  }
  printf("placement: %d hardware, %d software\n", nhw, nsw);
}

static void join(char *buf, size_t n, const char **names, int count) {
  buf[0] = 0;
  size_t k = 0;
  for (int i = 0; i < count && k < n; i++) {
    int w = snprintf(buf + k, n - k, "%s%s", i ? "," : "", names[i]);
    if (w < 0) break;
    k += (size_t)w;
  }
  if (count == 0) snprintf(buf, n, "-");
}

int cmd_info(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL};
  int npos = 0, passes = 0, hls = 0;
  const char *config = NULL, *graph = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    }
    int r = tr_parse_flag(argc, argv, &i, &chai_diag);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (!strcmp(argv[i], "--passes")) {
      passes = 1;
      continue;
    }
    if (!strcmp(argv[i], "--hls")) {
      hls = 1;
      continue;
    }
    if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "--graph")) && i + 1 < argc) {
      *(argv[i][2] == 'c' ? &config : &graph) = argv[i + 1];
      i++;
      continue;
    }
    if (argv[i][0] == '-' || npos == 2) {
      fprintf(stderr, "chaicc info: error: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
    pos[npos++] = argv[i];
  }
  if (npos < 1) {
    usage(stderr);
    return 2;
  }
  CfgConfig *cfg = NULL;
  if (config && !(cfg = cfg_load(config, &chai_arena, &chai_diag))) return 1;
  LdOpts lo = {cfg ? cfg->custom : NULL, cfg ? cfg->ncustom : 0, false};
  Net *n = ld_load_opts(pos[0], pos[1], &lo, &chai_arena, &chai_diag);
  if (!n) return 1;
  printf("net '%s': %d layers, %d inputs, %d outputs\n", n->name, n->nlayer, n->ninput,
         n->noutput);
  printf("%-28s %-18s %-24s %-24s %-18s %12s %14s\n", "layer", "type", "bottoms", "tops",
         "shape", "params", "MACs");
  long long tp = 0, tm = 0;
  char bs[256], ts[256], ss[96];
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    join(bs, sizeof bs, l->bottom_names, l->nbottom);
    join(ts, sizeof ts, l->top_names, l->ntop);
    long long p = st_params(l), m = st_macs(l);
    tp += p;
    tm += m;
    printf("%-28s %-18s %-24s %-24s %-18s %12lld %14lld\n", l->name, l->type, bs, ts,
           l->ntop ? rt_shape_str(&l->top[0]->shape, ss, sizeof ss) : "-", p, m);
  }
  printf("total: %lld parameters, %lld MACs\n", tp, tm);
  if (passes) {
    PsLog lg;
    ps_log_init(&lg, &chai_arena);
    ps_run(n, &lg);
    for (int i = 0; i < lg.n; i++) printf("pass %s\n", lg.line[i]);
  }
  for (int i = 0; i < n->ninput; i++)
    printf("input  %s %s\n", n->inputs[i]->name,
           rt_shape_str(&n->inputs[i]->shape, ss, sizeof ss));
  for (int i = 0; i < n->noutput; i++)
    printf("output %s %s\n", n->outputs[i]->name,
           rt_shape_str(&n->outputs[i]->shape, ss, sizeof ss));
  if (config || graph || hls) {
    if (pt_assign(n, cfg)) return 1;
    if (config || graph) print_placement(n, cfg);
    if (graph && pt_write_dot(n, graph, &chai_diag)) return 1;
    if (hls && pos[1] && qs_net_has_quant(n)) {
      /* a quantized net with its weights: the plan `compile --target hls`
       * makes (segments of 8-bit steps, conversion steps counted) */
      QsNet *qn = qs_prepare(n, &chai_diag);
      FpPlan fp;
      HlLayout lay;
      if (!qn || fp_plan(&fp, n, qn, &chai_arena, "net", false)) return 1;
      fp_hl_layout(&fp, &chai_arena, &lay);
      hl_info(n, cfg, &lay, stdout);
    } else if (hls) {
      hl_info(n, cfg, NULL, stdout);
    }
  }
  return cli_status();
}
