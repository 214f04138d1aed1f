/* cmd_run.c - `chaicc run DEPLOY WEIGHTS --input X`: runs the network with
 * the reference interpreter and writes or prints its outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dump.h"
#include "fidelity.h"
#include "interp.h"
#include "loader.h"
#include "passes.h"
#include "prep.h"
#include "train.h"
#include "qsim.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: chaicc run DEPLOY [WEIGHTS] --input X [--input Y ...] [options]\n"
          "  X is a .npy tensor (float32, NCHW; its batch size reshapes the net)\n"
          "  or an image (JPEG, PNG, PGM/PPM) preprocessed as XportDNN does.\n"
          "options:\n"
          "  --dump DIR          write every layer's first output as DIR/<layer>.npy\n"
          "  -o DIR              write the network outputs as DIR/<layer>.npy\n"
          "  --top K             print the K best classes of a classifier (default 5)\n"
          "  --float             run a CHai prototxt (precision_param) in float\n"
          "  --dump-raw DIR      fixed-point run: write every layer's integer codes\n"
          "                      (|i1 when bw <= 8, <i2 otherwise; float layers <f4)\n"
          "  --compare-float     fixed-point run: print each layer's SQNR (dB)\n"
          "                      against the float run, and each output's cosine,\n"
          "                      SQNR and max abs error (detections: recall and\n"
          "                      precision of the boxes)\n"
          "  --iou T --min-score S  with --compare-float: boxes match with IoU >= T\n"
          "                      (default 0.5), rows with score >= S count (default 0)\n"
          "  --input_shape N,C,H,W  input shape of a training prototxt (docs/cli.md)\n"
          "  --stage S --level N  its NetState for include/exclude rules (repeat --stage)\n"
          "  --passes            run the graph passes first (fold BN, fuse ReLU, ...)\n"
          "                      and print them to stderr\n"
          "  --dims C,H,W --transpose 2,0,1 --channel_swap 2,1,0 --raw_scale 255\n"
          "  --mean_value 104,117,123 | --mean_file F --input_scale 1 --resize cv2|float\n"
          "                      image preprocessing (see docs/cli.md)\n");
}

/* Prints the top-k classes when the output looks like a classifier's. */
static void print_top(const Interp *in, const Blob *b, int k) {
  const rt_shape *s = in_shape(in, b);
  int64_t n = s->nd ? s->d[0] : 1, per = rt_shape_count(s) / (n ? n : 1);
  if (per < 2 || per > 100000 || (s->nd == 4 && (s->d[2] != 1 || s->d[3] != 1))) return;
  const float *d = in_blob(in, b);
  for (int64_t i = 0; i < n && i < 8; i++) {
    printf("%s[%lld] top-%d:", b->name, (long long)i, k);
    const float *row = d + i * per;
    int used[64] = {0};
    for (int r = 0; r < k && r < per && r < 64; r++) {
      int best = -1;
      for (int64_t c = 0; c < per; c++) {
        int taken = 0;
        for (int q = 0; q < r; q++) taken |= used[q] == c;
        if (!taken && (best < 0 || row[c] > row[best])) best = (int)c;
      }
      used[r] = best;
      printf(" %d (%.6g)", best, row[best]);
    }
    printf("\n");
  }
}

/* The fidelity of each net output of the fixed-point run st to the float
 * run fin (fidelity.h): cosine, SQNR and max abs error, or for detection
 * rows the recall and precision of the boxes (same label, IoU >= iou,
 * score >= min_score). */
static void print_fidelity(const Net *n, const Interp *fin, QsState *st, double iou,
                           double min_score) {
  const Interp *qi = qs_interp(st);
  char line[512];
  printf("output fidelity to float:\n");
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    FdOut o;
    fd_out_init(&o, b->producer && lk_is(b->producer->kind, LKF_DETROWS), iou, min_score);
    fd_out_add(&o, in_blob(fin, b), rt_shape_count(in_shape(fin, b)), in_blob(qi, b),
               rt_shape_count(in_shape(qi, b)));
    printf("  %-22s %s\n", b->name, fd_out_str(&o, line, sizeof line));
  }
}

/* The fixed-point simulation of a net with precision_param (qsim.h):
 * dumps, outputs, and with compare the per-layer SQNR against float. */
static int run_quant(Net *n, float **data, int ninputs, const char *dump,
                     const char *dump_raw, const char *outdir, int compare, int topk,
                     double iou, double min_score) {
  QsNet *qn = qs_prepare(n, &chai_diag);
  QsState *st = qn ? qs_state_new(qn) : NULL;
  Interp fin;
  int have_f = 0;
  if (st && compare) have_f = in_init(&fin, n) == 0;
  for (int i = 0; i < ninputs; i++) {
    if (st) qs_set_input(st, i, data[i]);
    if (have_f) in_set_input(&fin, i, data[i]);
    free(data[i]);
  }
  if (!st || (compare && !have_f)) {
    qs_state_free(st);
    return 1;
  }
  qs_run(st);
  int rc = 0;
  if (compare) {
    in_run(&fin);
    printf("%-24s %-14s %-24s %10s\n", "layer", "type", "format", "SQNR dB");
    for (int i = 0; i < n->nlayer; i++) {
      const Layer *l = n->layers[i];
      if (l->dead || l->ntop == 0) continue;
      const Blob *b = l->top[0];
      rt_fx_q f;
      char fs[64] = "float";
      if (qs_codes(st, b, &f))
        snprintf(fs, sizeof fs, "%d-bit %s %.4g", f.bw, f.sym ? "sym" : "q", f.scale);
      double db = qs_sqnr(in_blob(&fin, b), qs_blob_f32(st, b), rt_shape_count(in_shape(&fin, b)));
      printf("%-24s %-14s %-24s %10.2f\n", ps_blob_layer_name(n, b), l->type, fs, db);
    }
    print_fidelity(n, &fin, st, iou, min_score);
    in_free(&fin);
  }
  if (dump && qs_dump(st, dump, 1, 0, &chai_diag)) rc = 1;
  if (dump_raw && qs_dump(st, dump_raw, 1, 1, &chai_diag)) rc = 1;
  if (outdir && qs_dump(st, outdir, 0, 0, &chai_diag)) rc = 1;
  const Interp *in = qs_interp(st);
  char ss[96];
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    printf("output %s %s\n", b->name, rt_shape_str(in_shape(in, b), ss, sizeof ss));
    print_top(in, b, topk);
  }
  qs_state_free(st);
  return rc ? 1 : cli_status();
}

int cmd_run(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL}, *inputs[RT_MAXLIST], *dump = NULL, *outdir = NULL;
  int npos = 0, ninputs = 0, topk = 5, passes = 0;
  int use_float = 0, compare = 0;
  double iou = 0.5, min_score = 0;
  const char *dump_raw = NULL;
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
    } else if ((!strcmp(a, "--input") || !strcmp(a, "-i")) && i + 1 < argc) {
      if (ninputs == RT_MAXLIST) {
        fprintf(stderr, "chaicc run: error: too many --input\n");
        return 2;
      }
      inputs[ninputs++] = argv[++i];
    } else if (!strcmp(a, "--dump") && i + 1 < argc) {
      dump = argv[++i];
    } else if (!strcmp(a, "--float")) {
      use_float = 1;
    } else if (!strcmp(a, "--compare-float")) {
      compare = 1;
    } else if ((!strcmp(a, "--iou") || !strcmp(a, "--min-score")) && i + 1 < argc) {
      char *e;
      double v = strtod(argv[++i], &e);
      if (e == argv[i] || *e || !(v >= 0 && v <= 1)) {
        fprintf(stderr, "chaicc run: error: bad %s '%s'\n", a, argv[i]);
        return 2;
      }
      *(a[2] == 'i' ? &iou : &min_score) = v;
    } else if (!strcmp(a, "--dump-raw") && i + 1 < argc) {
      dump_raw = argv[++i];
    } else if (!strcmp(a, "--passes")) {
      passes = 1;
    } else if (!strcmp(a, "-o") && i + 1 < argc) {
      outdir = argv[++i];
    } else if (!strcmp(a, "--top") && i + 1 < argc) {
      topk = atoi(argv[++i]);
      if (topk < 1 || topk > 64) {
        fprintf(stderr, "chaicc run: error: --top takes 1..64\n");
        return 2;
      }
    } else if (a[0] == '-' || npos == 2) {
      fprintf(stderr, "chaicc run: error: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      pos[npos++] = a;
    }
  }
  if (npos < 1 || ninputs == 0) {
    fprintf(stderr, "chaicc run: error: need DEPLOY and --input (see chaicc run --help)\n");
    return 2;
  }
  Net *n = ld_load(pos[0], pos[1], &chai_arena, &chai_diag);
  if (!n || (!pos[1] && ld_check_weightless(n))) return 1;
  prep_use_net(&po, n);
  if (ninputs != n->ninput) {
    diag_error(&chai_diag, (SrcLoc){n->file, 0, 0}, "the net has %d inputs but %d --input were given",
               n->ninput, ninputs);
    return 1;
  }
  float *data[RT_MAXLIST] = {0};
  int batch = -1;
  for (int i = 0; i < ninputs; i++) {
    rt_shape s = n->inputs[i]->shape;
    if (!prep_is_npy(inputs[i]) && prep_finish(&po, &s, &chai_diag)) return 1;
    int b = 1;
    data[i] = prep_load(&po, inputs[i], &s, &b, &chai_diag);
    if (!data[i]) return 1;
    if (batch >= 0 && b != batch) {
      diag_error(&chai_diag, (SrcLoc){inputs[i], 0, 0}, "batch %d differs from the first input's %d", b, batch);
      return 1;
    }
    batch = b;
  }
  free(po.mean_pixels); /* applied to every input: no longer needed */
  po.mean_pixels = NULL;
  po.pp.mean_pixels = NULL;
  if (n->inputs[0]->shape.nd > 0 && batch != n->inputs[0]->shape.d[0] &&
      ld_set_batch(n, batch))
    return 1;
  if (passes) {
    PsLog lg;
    ps_log_init(&lg, &chai_arena);
    ps_run(n, &lg);
    for (int i = 0; i < lg.n; i++) fprintf(stderr, "%s\n", lg.line[i]);
  }
  if (!use_float && qs_net_has_quant(n))
    return run_quant(n, data, ninputs, dump, dump_raw, outdir, compare, topk, iou, min_score);
  if (dump_raw || compare) {
    diag_error(&chai_diag, (SrcLoc){n->file, 0, 0},
               "--dump-raw and --compare-float need a quantized net (precision_param) and no --float");
    return 1;
  }
  Interp in;
  if (in_init(&in, n)) return 1;
  for (int i = 0; i < ninputs; i++) {
    in_set_input(&in, i, data[i]);
    free(data[i]);
  }
  in_run(&in);
  int rc = 0;
  if (dump && dump_write(&in, dump, 1, &chai_diag)) rc = 1;
  if (outdir && dump_write(&in, outdir, 0, &chai_diag)) rc = 1;
  char ss[96];
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    printf("output %s %s\n", b->name, rt_shape_str(in_shape(&in, b), ss, sizeof ss));
    print_top(&in, b, topk);
  }
  in_free(&in);
  return rc ? 1 : cli_status();
}
