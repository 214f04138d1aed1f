/* cmd_eval.c - `chaicc eval DEPLOY WEIGHTS --dataset ...`: top-1 accuracy
 * of a classifier over a labelled dataset, with the fixed-point simulator
 * when the net carries precision_param (qsim.h) or in float.
 *
 * Threads take images i = t, t + T, t + 2T, ... with one simulator state
 * each over the shared read-only net, so every image is computed exactly as
 * with one thread: the result does not depend on --threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/rt_idx.h"
#include "../runtime/rt_npy.h"
#include "dump.h"
#include "cli.h"
#include "interp.h"
#include "loader.h"
#include "prep.h"
#include "train.h"
#include "qsim.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: chaicc eval DEPLOY [WEIGHTS] --dataset SPEC [options]\n"
          "  SPEC  mnist:IMAGES_IDX_GZ,LABELS_IDX_GZ  (input = pixel * 0.00390625)\n"
          "        list:DIR/labels.txt  (lines '<file> <class>'; files in DIR or\n"
          "                              DIR/images; preprocessed by the flags below)\n"
          "options:\n"
          "  --limit N      only the first N items\n"
          "  --threads N    worker threads (default: online CPUs)\n"
          "  --float        run a CHai prototxt in float\n"
          "  --input_shape N,C,H,W  input shape of a training prototxt (docs/cli.md)\n"
          "  --stage S --level N  its NetState for include/exclude rules (repeat --stage)\n"
          "  --save-inputs DIR  write the (preprocessed) input of every item as\n"
          "                 DIR/<index>.npy (e.g. calibration tensors for quantize)\n"
          "  --dims C,H,W --transpose 2,0,1 --channel_swap 2,1,0 --raw_scale 255\n"
          "  --mean_value 104,117,123 | --mean_file F --input_scale 1 --resize cv2|float\n");
}

/* The dataset: either MNIST bytes in memory or image paths. */
typedef struct EvSet {
  int n;
  int *label;
  uint8_t *pix; /* mnist: n x per bytes */
  int64_t per;
  char **path; /* list */
} EvSet;

typedef struct EvShared {
  Net *net;
  const QsNet *qn; /* NULL: float */
  const EvSet *ds;
  PrepOpts *po;
  const char *save; /* --save-inputs DIR or NULL */
  int nthreads;
  pthread_mutex_t mu; /* diagnostics */
  int errors;
} EvShared;

typedef struct EvWorker {
  EvShared *sh;
  int t;
  long correct, done;
  int err, started;
} EvWorker;

static int load_mnist(EvSet *ds, const char *spec) {
  char imgs[4096];
  const char *comma = strchr(spec, ',');
  if (!comma || (size_t)(comma - spec) >= sizeof imgs) {
    fprintf(stderr, "chaicc eval: error: mnist:IMAGES,LABELS expected\n");
    return 2;
  }
  memcpy(imgs, spec, (size_t)(comma - spec));
  imgs[comma - spec] = 0;
  char err[512];
  uint8_t *lab = NULL;
  int nd, nl;
  int32_t d[RT_IDX_MAXDIM], dl[RT_IDX_MAXDIM];
  if (rt_idx_load(imgs, &ds->pix, &nd, d, err, sizeof err) ||
      rt_idx_load(comma + 1, &lab, &nl, dl, err, sizeof err)) {
    diag_error(&chai_diag, SRCLOC_NONE, "%s", err);
    return 1;
  }
  if (nl != 1 || nd < 2 || dl[0] != d[0]) {
    diag_error(&chai_diag, (SrcLoc){comma + 1, 0, 0}, "labels do not match the %d images", d[0]);
    free(lab);
    return 1;
  }
  ds->n = d[0];
  ds->per = 1;
  for (int k = 1; k < nd; k++) ds->per *= d[k];
  ds->label = malloc((size_t)ds->n * sizeof(int));
  for (int i = 0; i < ds->n; i++) ds->label[i] = lab[i];
  free(lab);
  return 0;
}

static int load_list(EvSet *ds, const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) {
    diag_error(&chai_diag, (SrcLoc){file, 0, 0}, "cannot open the label list");
    return 1;
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", file);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  else strcpy(dir, ".");
  char line[4096], name[4096];
  int cap = 0, ln = 0;
  while (fgets(line, sizeof line, f)) {
    ln++;
    int lab;
    if (line[0] == '#' || line[0] == '\n') continue;
    if (sscanf(line, "%4095s %d", name, &lab) != 2 || lab < 0) {
      diag_error(&chai_diag, (SrcLoc){file, ln, 1}, "expected '<file> <class>'");
      fclose(f);
      return 1;
    }
    if (ds->n == cap) {
      cap = cap ? cap * 2 : 1024;
      ds->path = realloc(ds->path, (size_t)cap * sizeof(char *));
      ds->label = realloc(ds->label, (size_t)cap * sizeof(int));
    }
    char *p = ar_printf(&chai_arena, "%s/%s", dir, name);
    if (name[0] != '/' && access(p, R_OK) != 0) {
      char *q = ar_printf(&chai_arena, "%s/images/%s", dir, name);
      if (access(q, R_OK) == 0) p = q;
    }
    ds->path[ds->n] = name[0] == '/' ? ar_strdup(&chai_arena, name) : p;
    ds->label[ds->n] = lab;
    ds->n++;
  }
  fclose(f);
  return 0;
}

/* Index of the largest value (the first on ties). */
static int argmax(const float *x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return (int)best;
}

static void *worker(void *arg) {
  EvWorker *w = arg;
  EvShared *sh = w->sh;
  Net *n = sh->net;
  const EvSet *ds = sh->ds;
  const Blob *in0 = n->inputs[0], *out = n->outputs[0];
  int64_t cnt = rt_shape_count(&in0->shape), nout = rt_shape_count(&out->shape);
  QsState *st = NULL;
  Interp fi;
  int have_f = 0;
  pthread_mutex_lock(&sh->mu);
  if (sh->qn) st = qs_state_new(sh->qn);
  else have_f = in_init(&fi, n) == 0;
  pthread_mutex_unlock(&sh->mu);
  if (!st && !have_f) {
    w->err = 1;
    return NULL;
  }
  float *buf = malloc((size_t)cnt * sizeof(float));
  for (int i = w->t; i < ds->n && !w->err; i += sh->nthreads) {
    const float *x = buf;
    float *img = NULL;
    if (ds->pix) {
      const uint8_t *p = ds->pix + (int64_t)i * ds->per;
      for (int64_t k = 0; k < cnt; k++) buf[k] = (float)p[k] * 0.00390625f;
    } else {
      Diag local;
      diag_init(&local, NULL);
      int b = 0;
      img = prep_load(sh->po, ds->path[i], &in0->shape, &b, &local);
      if (!img || b != 1) {
        free(img);
        w->err = 1;
        break;
      }
      x = img;
    }
    if (sh->save) {
      char path[4200], err[512];
      int64_t d[RT_MAXDIM];
      for (int k = 0; k < in0->shape.nd; k++) d[k] = in0->shape.d[k];
      snprintf(path, sizeof path, "%s/%05d.npy", sh->save, i);
      if (rt_npy_write(path, "<f4", x, in0->shape.nd, d, err, sizeof err)) {
        fprintf(stderr, "chaicc eval: error: %s\n", err);
        w->err = 1;
      }
    }
    const float *y;
    if (st) {
      qs_set_input(st, 0, x);
      qs_run(st);
      y = qs_blob_f32(st, out);
    } else {
      in_set_input(&fi, 0, x);
      in_run(&fi);
      y = in_blob(&fi, out);
    }
    free(img);
    w->correct += argmax(y, nout) == ds->label[i];
    w->done++;
  }
  free(buf);
  if (st) qs_state_free(st);
  if (have_f) in_free(&fi);
  return NULL;
}

int cmd_eval(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL}, *dataset = NULL, *save = NULL;
  int npos = 0, use_float = 0;
  long limit = -1, nthreads = sysconf(_SC_NPROCESSORS_ONLN);
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
    } else if (!strcmp(a, "--dataset") && i + 1 < argc) {
      dataset = argv[++i];
    } else if (!strcmp(a, "--limit") && i + 1 < argc) {
      limit = strtol(argv[++i], NULL, 10);
      if (limit < 1) {
        fprintf(stderr, "chaicc eval: error: --limit takes a positive count\n");
        return 2;
      }
    } else if (!strcmp(a, "--threads") && i + 1 < argc) {
      nthreads = strtol(argv[++i], NULL, 10);
      if (nthreads < 1 || nthreads > 256) {
        fprintf(stderr, "chaicc eval: error: --threads takes 1..256\n");
        return 2;
      }
    } else if (!strcmp(a, "--save-inputs") && i + 1 < argc) {
      save = argv[++i];
    } else if (!strcmp(a, "--float")) {
      use_float = 1;
    } else if (a[0] == '-' || npos == 2) {
      fprintf(stderr, "chaicc eval: error: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      pos[npos++] = a;
    }
  }
  if (npos < 1 || !dataset) {
    fprintf(stderr, "chaicc eval: error: need DEPLOY and --dataset (see chaicc eval --help)\n");
    return 2;
  }
  if (nthreads < 1) nthreads = 1;
  EvSet ds = {0};
  int rc;
  if (!strncmp(dataset, "mnist:", 6)) rc = load_mnist(&ds, dataset + 6);
  else if (!strncmp(dataset, "list:", 5)) rc = load_list(&ds, dataset + 5);
  else {
    fprintf(stderr, "chaicc eval: error: --dataset takes mnist:IMAGES,LABELS or list:FILE\n");
    return 2;
  }
  if (rc) return rc;
  if (limit > 0 && limit < ds.n) ds.n = (int)limit;
  Net *n = ld_load(pos[0], pos[1], &chai_arena, &chai_diag);
  if (n && !pos[1] && ld_check_weightless(n)) return 1;
  if (!n) return 1;
  prep_use_net(&po, n);
  if (n->ninput != 1 || n->noutput < 1) {
    diag_error(&chai_diag, (SrcLoc){n->file, 0, 0}, "eval needs a net with one input and an output");
    return 1;
  }
  if (n->inputs[0]->shape.nd > 0 && n->inputs[0]->shape.d[0] != 1 && ld_set_batch(n, 1)) return 1;
  const rt_shape *is = &n->inputs[0]->shape;
  if (ds.pix && rt_shape_count(is) != ds.per) {
    char es[96];
    diag_error(&chai_diag, (SrcLoc){n->file, 0, 0}, "net input %s does not hold a %lld-pixel image",
               rt_shape_str(is, es, sizeof es), (long long)ds.per);
    return 1;
  }
  if (!ds.pix && prep_finish(&po, is, &chai_diag)) return 1;
  if (save && dump_mkdirs(save, &chai_diag)) return 1;
  EvShared sh = {.net = n, .ds = &ds, .po = &po, .save = save, .nthreads = (int)nthreads};
  if (!use_float && qs_net_has_quant(n)) {
    sh.qn = qs_prepare(n, &chai_diag);
    if (!sh.qn) return 1;
  }
  pthread_mutex_init(&sh.mu, NULL);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  EvWorker *w = calloc((size_t)nthreads, sizeof *w);
  pthread_t *th = calloc((size_t)nthreads, sizeof *th);
  for (int t = 0; t < nthreads; t++) {
    w[t].sh = &sh;
    w[t].t = t;
    w[t].started = pthread_create(&th[t], NULL, worker, &w[t]) == 0;
    if (!w[t].started) w[t].err = 1;
  }
  long correct = 0, done = 0;
  int bad = 0;
  for (int t = 0; t < nthreads; t++) {
    if (w[t].started) pthread_join(th[t], NULL);
    correct += w[t].correct;
    done += w[t].done;
    bad |= w[t].err;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  pthread_mutex_destroy(&sh.mu);
  free(w);
  free(th);
  free(ds.label);
  free(ds.pix);
  free(ds.path);
  free(po.mean_pixels);
  if (bad || done != ds.n) return 1;
  printf("top1=%.2f%% (%ld/%d)\n", ds.n ? 100.0 * (double)correct / ds.n : 0.0, correct, ds.n);
  fprintf(stderr, "eval: %d items, %s, %ld threads, %.2f s\n", ds.n,
          sh.qn ? "fixed-point" : "float", nthreads, secs);
  return cli_status();
}
