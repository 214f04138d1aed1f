/* cmd_compile.c - `chaicc compile DEPLOY WEIGHTS -o OUTDIR`: runs the graph
 * passes and writes a self-contained C project (see emit_proj.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emit_proj.h"
#include "loader.h"
#include "partition.h"
#include "qsim.h"
#include "passes.h"
#include "prep.h"
#include "train.h"
#include "sha256.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: chaicc compile DEPLOY [WEIGHTS] -o OUTDIR [options]\n"
          "  Writes a C project: OUTDIR/CMakeLists.txt, <net>.c (one function per\n"
          "  layer, static buffers, one entry point <prefix>_run), <net>.h, main.c\n"
          "  (./build/<net> INPUT [-o DIR] [--top K] [--bench N] [--threads N])\n"
          "  and runtime/.\n"
          "options:\n"
          "  --prefix NAME       symbol prefix (default: the net name)\n"
          "  --batch N           batch size baked into the code (default: the prototxt's)\n"
          "  --weights-bin BYTES weights above this size go to <net>_weights.bin,\n"
          "                      linked with .incbin (default 1048576)\n"
          "  --passes            print the graph passes applied\n"
          "  --threads N         the program's default thread count, overridden by\n"
          "                      its own --threads (default 0: the online CPUs);\n"
          "                      outputs are the same for every count\n"
          "  --input_shape N,C,H,W  input shape of a training prototxt (docs/cli.md)\n"
          "  --stage S --level N  its NetState for include/exclude rules (repeat --stage)\n"
          "  --target c|hls|all  c (default): the C project (a quantized prototxt:\n"
          "                      all software, fixed-point layers call the runtime's\n"
          "                      rt_fx_* kernels); hls: OUTDIR/hls/ (HLS C of the\n"
          "                      hardware segments, testbenches, run_hls.tcl;\n"
          "                      docs/hls.md); all: both, the C project calling the\n"
          "                      HLS segments (C simulation).\n"
          "  --config FILE       YAML config: placement, HLS target and pragmas\n"
          "  --tb-input X.npy    input the HLS testbench data is computed from\n"
          "                      (default: deterministic values in [-1, 1))\n"
          "  --dims C,H,W --transpose 2,0,1 --channel_swap 2,1,0 --raw_scale 255\n"
          "  --mean_value 104,117,123 | --mean_file F --input_scale 1 --resize cv2|float\n"
          "                      image preprocessing baked into main.c (as for run)\n");
}

int cmd_compile(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL}, *outdir = NULL, *prefix = NULL;
  int npos = 0, batch = 0, show = 0, target = EP_TARGET_C, threads = 0;
  const char *config = NULL, *tb_input = NULL;
  long long bin = 1 << 20;
  PrepOpts po;
  prep_defaults(&po);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int r = prep_parse_flag(&po, argc, argv, &i, &chai_diag);
    if (r < 0) return 2;
    if (r > 0) continue;
    if ((r = tr_parse_flag(argc, argv, &i, &chai_diag)) != 0) {
      if (r < 0) return 2;
      continue;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-o") && i + 1 < argc) {
      outdir = argv[++i];
    } else if (!strcmp(a, "--prefix") && i + 1 < argc) {
      prefix = argv[++i];
    } else if (!strcmp(a, "--target") && i + 1 < argc) {
      const char *t = argv[++i];
      target = !strcmp(t, "c") ? EP_TARGET_C : !strcmp(t, "hls") ? EP_TARGET_HLS
               : !strcmp(t, "all") ? EP_TARGET_C | EP_TARGET_HLS : 0;
      if (!target) {
        fprintf(stderr, "chaicc compile: error: bad --target '%s' (c, hls or all)\n", t);
        return 2;
      }
    } else if (!strcmp(a, "--config") && i + 1 < argc) {
      config = argv[++i];
    } else if (!strcmp(a, "--tb-input") && i + 1 < argc) {
      tb_input = argv[++i];
    } else if (!strcmp(a, "--passes")) {
      show = 1;
    } else if (!strcmp(a, "--batch") && i + 1 < argc) {
      batch = atoi(argv[++i]);
      if (batch < 1 || batch > 1 << 20) {
        fprintf(stderr, "chaicc compile: error: bad --batch '%s'\n", argv[i]);
        return 2;
      }
    } else if (!strcmp(a, "--threads") && i + 1 < argc) {
      char *e;
      long v = strtol(argv[++i], &e, 10);
      if (*e || e == argv[i] || v < 0 || v > 256) {
        fprintf(stderr, "chaicc compile: error: bad --threads '%s' (0 to 256; 0: the online CPUs)\n",
                argv[i]);
        return 2;
      }
      threads = (int)v;
    } else if (!strcmp(a, "--weights-bin") && i + 1 < argc) {
      char *e;
      bin = strtoll(argv[++i], &e, 10);
      if (*e || bin < 0) {
        fprintf(stderr, "chaicc compile: error: bad --weights-bin '%s'\n", argv[i]);
        return 2;
      }
    } else if (a[0] == '-' || npos == 2) {
      fprintf(stderr, "chaicc compile: error: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      pos[npos++] = a;
    }
  }
  if (npos < 1 || !outdir) {
    usage(stderr);
    return 2;
  }
  if (prefix && !*prefix) {
    fprintf(stderr, "chaicc compile: error: empty --prefix\n");
    return 2;
  }
  CfgConfig *cfg = NULL;
  if (config && !(cfg = cfg_load(config, &chai_arena, &chai_diag))) return 1;
  LdOpts lo = {cfg ? cfg->custom : NULL, cfg ? cfg->ncustom : 0, false};
  Net *n = ld_load_opts(pos[0], pos[1], &lo, &chai_arena, &chai_diag);
  if (!n || (!pos[1] && ld_check_weightless(n))) return 1;
  prep_use_net(&po, n);
  if (batch && n->ninput > 0 && n->inputs[0]->shape.nd > 0 &&
      batch != n->inputs[0]->shape.d[0] && ld_set_batch(n, batch))
    return 1;
  EpOpts o = {0};
  int *bax = ar_array(&chai_arena, (size_t)n->nblob + 1, sizeof *bax);
  const Blob *fixed = ld_batch_axes(n, bax); /* the batch rule: docs/cli.md */
  o.bax = fixed ? NULL : bax;
  if (fixed)
    diag_note(&chai_diag, (SrcLoc){n->file, 0, 0},
              "the program accepts batch %d only: the items of a batch are not separate in "
              "blob '%s'", n->inputs[0]->shape.d[0], fixed->name);
  o.outdir = outdir;
  o.prefix = prefix;
  o.bin_threshold = bin;
  o.threads = threads;
  o.cmdline = cli_cmdline();
  char sp[65], sw[65] = "-"; /* "-": no WEIGHTS (a net without learned blobs) */
  if (n->weights_sha) snprintf(sw, sizeof sw, "%s", n->weights_sha); /* hashed for its pin */
  if (sha_file_hex(pos[0], sp) || (pos[1] && !n->weights_sha && sha_file_hex(pos[1], sw))) {
    diag_error(&chai_diag, (SrcLoc){pos[0], 0, 0}, "cannot read the inputs to hash them");
    return 1;
  }
  o.sha_prototxt = sp;
  o.sha_weights = sw;
  if (n->ninput == 1) {
    const rt_shape *s = &n->inputs[0]->shape;
    int c = s->nd == 4 ? s->d[1] : 0;
    if (s->nd == 4 && s->d[0] == 1 && (c == 1 || c == 3 || po.set_dims)) {
      if (prep_finish(&po, s, &chai_diag)) return 1;
      o.image_ok = po.pp.c == s->d[1] && po.pp.h == s->d[2] && po.pp.w == s->d[3];
      if (!o.image_ok && po.set_dims) {
        diag_error(&chai_diag, SRCLOC_NONE, "--dims %d,%d,%d does not match the net input",
                   po.pp.c, po.pp.h, po.pp.w);
        return 1;
      }
      o.pp = po.pp;
    }
  }
  o.target = target;
  o.cfg = cfg;
  o.tb_input = tb_input;
  bool quant = qs_net_has_quant(n);
  if ((target & EP_TARGET_HLS) && !quant) {
    diag_error(&chai_diag, (SrcLoc){pos[0], 0, 0},
               "--target hls needs a quantized prototxt (precision_param blocks; see "
               "chaicc quantize)");
    return 1;
  }
  if ((quant || cfg) && pt_assign(n, cfg)) return 1;
  if (quant) {
    /* the simulator's preparation (graph passes included): the generated
     * code bakes in its integers */
    if (!(o.qn = qs_prepare(n, &chai_diag))) return 1;
    if (show) printf("pass (quantized net: the passes of chaicc run; see chaicc info --passes)\n");
  } else {
    PsLog lg;
    ps_log_init(&lg, &chai_arena);
    ps_run(n, &lg);
    if (show)
      for (int i = 0; i < lg.n; i++) printf("pass %s\n", lg.line[i]);
  }
  PsPlan plan;
  ps_plan(n, &plan);
  int bad = ep_emit(n, &plan, &o, &chai_diag);
  free(po.mean_pixels);
  return bad ? 1 : cli_status();
}
