-- main.lua - main.c: reads a .npy or an image, runs the net, writes the
-- outputs as DIR/<layer>.npy with a manifest.json (as `chaicc run -o`),
-- prints top-K classes or detection boxes, and benchmarks.
local lib = import("c/lib")

function render(t)
  local P, p = t.PREFIX, t.prefix
  local outs = {}
  for i, o in ipairs(t.outputs) do
    outs[i] = ("    {%s, %s, %s, %s, %d, %s, %d, %d, %d}"):format(o.file, o.layer, o.type, o.top,
        #o.dims, lib.braces(o.dims), o.count, o.detout and 1 or 0, o.bax)
  end
  local s = {lib.provenance(t, "c")}
  s[#s + 1] = ([[
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "%s.h"
#include "rt_image.h"
#include "rt_npy.h"
#include "rt_par.h"

typedef struct Output {
  const char *file, *layer, *type, *top;
  int nd;
  int dims[8];
  long count;
  int detout; /* DetectionOutput: rows of [image, label, score, box] */
  int bax;    /* the axis holding the batch items, -1: none (docs/cli.md) */
} Output;

static const Output outs[%s_NUM_OUTPUTS] = {
%s};
static const int in_dims[%s_INPUT_NDIM] = %s_INPUT_SHAPE;
]]):format(t.base, P, table.concat(outs, ",\n") .. "\n", P, P)
  -- the batch rule: a program compiled for batch B runs any batch 1..B
  -- (padded to B) when the items of a batch are separate in every blob
  s[#s + 1] = ("#define BATCH_ITEMS %d\n#define IN_NDIM %s_INPUT_NDIM\n#define IN_COUNT %s_INPUT_COUNT\n")
      :format(t.batch_items and 1 or 0, P, P)
  if t.image_ok then
    if t.pp_mean_pixels then
      s[#s + 1] = ("static const float mean_pixels[%d] = {\n%s};\n"):format(t.pp_c * t.pp_h * t.pp_w, t.pp_mean_pixels)
    end
    s[#s + 1] = ([[
#ifdef CHAI_IMAGE_INPUT /* CMake option: built with libjpeg, libpng, zlib */
/* Image preprocessing given to chaicc compile. */
static const rt_preproc prep = {
    .c = %d, .h = %d, .w = %d,
    .transpose = %s,
    .channel_swap = %s,
    .nswap = %d,
    .raw_scale = %s,
    .nmean = %d,
    .mean_value = %s,
    .mean_pixels = %s,
    .input_scale = %s,
    .resize_mode = %d,
};
#define IMAGE_OK 1
#else
#define IMAGE_OK 0
#endif
]]):format(t.pp_c, t.pp_h, t.pp_w, t.pp_transpose, t.pp_swap, t.pp_nswap, t.pp_raw_scale,
           t.pp_nmean, t.pp_mean, t.pp_mean_pixels and "mean_pixels" or "NULL",
           t.pp_input_scale, t.pp_resize)
  else
    s[#s + 1] = "#define IMAGE_OK 0\n"
  end
  s[#s + 1] = ([[

static void usage(FILE *f) {
  fprintf(f, "usage: %s INPUT [-o DIR] [--top K] [--bench N] [--threads N]\n"
             "  INPUT is a .npy tensor (float32) or an image%%s.\n"
             "  --threads N: threads of the inference (default %%d; 0: the online CPUs);\n"
             "  the outputs are the same for every count.\n",
          IMAGE_OK ? "" : " (not for this net or build)", %s_THREADS);
}

static int is_npy(const char *path) {
  FILE *f = fopen(path, "rb");
  unsigned char m[6] = {0};
  if (f) {
    size_t r = fread(m, 1, 6, f);
    fclose(f);
    if (r == 6 && memcmp(m, "\x93NUMPY", 6) == 0) return 1;
  }
  size_t n = strlen(path);
  return n > 4 && strcmp(path + n - 4, ".npy") == 0;
}

/* The input tensor, malloc'ed with IN_COUNT floats (items past *nb are
 * zero), or NULL after printing why.  *nb gets its batch. */
static float *load_input(const char *path, int *nb) {
  char err[512];
  *nb = 1;
  if (is_npy(path)) {
    float *d = NULL;
    int nd = 0, ok = 1;
    int64_t s[RT_NPY_MAXDIM];
    if (rt_npy_read(path, &d, &nd, s, err, sizeof err)) {
      fprintf(stderr, "%%s\n", err);
      return NULL;
    }
    int off = nd == IN_NDIM ? 0 : 1; /* CHW: one item */
    if (off && nd != IN_NDIM - 1) ok = 0;
    for (int k = 1; ok && k < IN_NDIM; k++) ok = s[k - off] == in_dims[k];
    if (!ok) {
      fprintf(stderr, "%%s: tensor shape does not match the net input\n", path);
      free(d);
      return NULL;
    }
    long items = off ? 1 : (long)s[0];
    if (items < 1 || items > in_dims[0] || (!BATCH_ITEMS && items != in_dims[0])) {
      if (BATCH_ITEMS)
        fprintf(stderr, "%%s: batch %%ld; this program runs batch 1 to %%d\n", path, items, in_dims[0]);
      else
        fprintf(stderr, "%%s: batch %%ld; this program runs batch %%d only\n", path, items, in_dims[0]);
      free(d);
      return NULL;
    }
    if (items < in_dims[0]) { /* pad to the compiled batch */
      float *full = calloc(IN_COUNT, sizeof(float));
      if (!full) {
        free(d);
        return NULL;
      }
      memcpy(full, d, (size_t)(IN_COUNT / in_dims[0] * items) * sizeof(float));
      free(d);
      d = full;
    }
    *nb = (int)items;
    return d;
  }
#if IMAGE_OK
  rt_image img;
  float *d = malloc(IN_COUNT * sizeof(float));
  if (!d || rt_image_load(path, &img, err, sizeof err)) {
    fprintf(stderr, "%%s\n", d ? err : "out of memory");
    free(d);
    return NULL;
  }
  int rc = rt_preproc_apply(&prep, &img, d, err, sizeof err);
  rt_image_free(&img);
  if (rc) {
    fprintf(stderr, "%%s: %%s\n", path, err);
    free(d);
    return NULL;
  }
  return d;
#else
  fprintf(stderr, "%%s: not a .npy file (this net takes tensors only)\n", path);
  return NULL;
#endif
}

/* Axis k of output o for a batch of nb items. */
static int out_dim(const Output *o, int k, int nb) {
  return k == o->bax && nb != in_dims[0] ? o->dims[k] / in_dims[0] * nb : o->dims[k];
}

/* Values of output o for a batch of nb items (a prefix of the buffer). */
static long out_count(const Output *o, int nb) {
  return o->bax >= 0 && nb != in_dims[0] ? o->count / in_dims[0] * nb : o->count;
}

/* A detection table of a padded batch: the rows of the first nb images,
 * in order, then padding rows (-1). */
static void det_keep(const Output *o, float *d, int nb) {
  int rows = o->dims[o->nd - 2], w = 0;
  for (int r = 0; r < rows; r++)
    if (d[(long)r * 7] >= 0 && d[(long)r * 7] < nb) memmove(d + (long)w++ * 7, d + (long)r * 7, 7 * sizeof(float));
  for (; w < rows; w++)
    for (int c = 0; c < 7; c++) d[(long)w * 7 + c] = -1.0f;
}

static int mkdirs(const char *dir) {
  char buf[4096];
  size_t n = strlen(dir);
  if (n >= sizeof buf) return -1;
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++)
    if (buf[i] == '/' || buf[i] == 0) {
      char c = buf[i];
      buf[i] = 0;
      if (mkdir(buf, 0777) && errno != EEXIST) return -1;
      buf[i] = c;
    }
  return 0;
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%%c", c);
    else if (c < 0x20) fprintf(f, "\\u%%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* Rows of a detection table up to the padding (at least one). */
static int det_rows(const Output *o, const float *d, int nb) {
  int r = out_dim(o, o->nd - 2, nb);
  while (r > 1 && d[(long)(r - 1) * 7] == -1.0f) r--;
  return r;
}

static int write_outputs(const char *dir, float *const *out, int nb) {
  char path[4600], tmp[4700], err[512];
  if (mkdirs(dir)) {
    fprintf(stderr, "%%s: cannot create directory\n", dir);
    return -1;
  }
  snprintf(path, sizeof path, "%%s/manifest.json", dir);
  snprintf(tmp, sizeof tmp, "%%s.tmp", path);
  FILE *mf = fopen(tmp, "w");
  if (!mf) {
    fprintf(stderr, "%%s: cannot write\n", tmp);
    return -1;
  }
  fprintf(mf, "{\n \"chaicc\": \"%s\",\n \"layers\": [");
  int bad = 0;
  for (int i = 0; i < %s_NUM_OUTPUTS; i++) {
    const Output *o = &outs[i];
    int64_t d[8];
    for (int k = 0; k < o->nd; k++) d[k] = out_dim(o, k, nb);
    if (o->detout) d[o->nd - 2] = det_rows(o, out[i], nb);
    snprintf(path, sizeof path, "%%s/%%s", dir, o->file);
    if (rt_npy_write(path, "<f4", out[i], o->nd, d, err, sizeof err)) {
      fprintf(stderr, "%%s\n", err);
      bad = 1;
    }
    fprintf(mf, "%%s\n  {\"layer\": ", i ? "," : "");
    json_str(mf, o->layer);
    fprintf(mf, ", \"type\": ");
    json_str(mf, o->type);
    fprintf(mf, ", \"top\": ");
    json_str(mf, o->top);
    fprintf(mf, ", \"file\": ");
    json_str(mf, o->file);
    fprintf(mf, ", \"shape\": [");
    for (int k = 0; k < o->nd; k++) fprintf(mf, "%%s%%lld", k ? ", " : "", (long long)d[k]);
    fprintf(mf, "], \"is_output\": true}");
  }
  fprintf(mf, "\n ]\n}\n");
  if (fclose(mf) || bad) return -1;
  snprintf(path, sizeof path, "%%s/manifest.json", dir);
  return rename(tmp, path);
}

/* Top-k classes when an output looks like a classifier's. */
static void print_top(const Output *o, const float *d, int k, int nb) {
  long n = o->nd ? out_dim(o, 0, nb) : 1, per = out_count(o, nb) / (n ? n : 1);
  if (per < 2 || per > 100000 || (o->nd == 4 && (o->dims[2] != 1 || o->dims[3] != 1))) return;
  for (long i = 0; i < n && i < 8; i++) {
    printf("%%s[%%ld] top-%%d:", o->top, i, k);
    const float *row = d + i * per;
    long used[64];
    for (int r = 0; r < k && r < per && r < 64; r++) {
      long best = -1;
      for (long c = 0; c < per; c++) {
        int taken = 0;
        for (int q = 0; q < r; q++) taken |= used[q] == c;
        if (!taken && (best < 0 || row[c] > row[best])) best = c;
      }
      used[r] = best;
      printf(" %%ld (%%.6g)", best, row[best]);
    }
    printf("\n");
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *input = NULL, *outdir = NULL;
  int topk = 5, bench = 0, threads = %s_THREADS;
  char *end;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) outdir = argv[++i];
    else if (!strcmp(argv[i], "--top") && i + 1 < argc) topk = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--bench") && i + 1 < argc) bench = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      long v = strtol(argv[++i], &end, 10);
      threads = *end || end == argv[i] || v < 0 || v > 256 ? -1 : (int)v;
    }
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] != '-' && !input) input = argv[i];
    else {
      usage(stderr);
      return 2;
    }
  }
  if (!input || topk < 1 || topk > 64 || bench < 0 || threads < 0) {
    usage(stderr);
    return 2;
  }
  int nb = 1;
  float *in = load_input(input, &nb);
  if (!in) return 1;
  float *out[%s_NUM_OUTPUTS];
  for (int i = 0; i < %s_NUM_OUTPUTS; i++) {
    out[i] = calloc((size_t)outs[i].count, sizeof(float));
    if (!out[i]) return 3;
  }
  /* the workers and their scratch, before the first inference */
  if (%s_init(threads)) {
    fprintf(stderr, "cannot start %%d threads\n", threads);
    return 3;
  }
  %s_run(in, out);
  if (bench > 0) {
    for (int l = 0; l < %s_NUM_LAYERS; l++) %s_layer_seconds[l] = 0;
    rt_par_stats_reset();
    double *ts = malloc((size_t)bench * sizeof *ts), t0 = now();
    if (!ts) return 3;
    for (int r = 0; r < bench; r++) {
      double t1 = now();
      %s_run(in, out);
      ts[r] = now() - t1;
    }
    double dt = (now() - t0) / bench;
    int nthr = threads ? threads : rt_par_online();
    qsort(ts, (size_t)bench, sizeof *ts, cmp_double);
    printf("bench: %%d runs, %%d thread%%s, %%.3f ms per inference (min %%.3f, median %%.3f)\n",
           bench, nthr, nthr == 1 ? "" : "s",
           dt * 1e3, ts[0] * 1e3, ts[bench / 2] * 1e3);
    free(ts);
    /* the pool's split: each thread's time inside its chunks (rt_par.h) */
    int64_t pch[RT_PAR_MAX], pns[RT_PAR_MAX];
    int np = rt_par_stats(pch, pns, RT_PAR_MAX);
    for (int k = 0; k < np; k++)
      printf("pool: thread %%d%%s %%.1f chunks, %%.3f ms in chunks per inference\n", k,
             k ? "" : " (caller)", (double)pch[k] / bench, (double)pns[k] / 1e6 / bench);
    for (int l = 0; l < %s_NUM_LAYERS; l++)
      printf("  %%-32s %%10.4f ms\n", %s_layer_names[l], %s_layer_seconds[l] / bench * 1e3);
  }
  int rc = 0;
  for (int i = 0; i < %s_NUM_OUTPUTS; i++)
    if (outs[i].detout && nb != in_dims[0]) det_keep(&outs[i], out[i], nb);
  if (outdir && write_outputs(outdir, out, nb)) rc = 1;
  for (int i = 0; i < %s_NUM_OUTPUTS; i++) {
    const Output *o = &outs[i];
    int rows = o->detout ? det_rows(o, out[i], nb) : 0;
    printf("output %%s ", o->top);
    for (int k = 0; k < o->nd; k++)
      printf("%%s%%d", k ? "x" : "", o->detout && k == o->nd - 2 ? rows : out_dim(o, k, nb));
    printf("\n");
    if (o->detout) {
      for (int r = 0; r < rows; r++) {
        const float *b = out[i] + (long)r * 7;
        if (b[0] < 0) continue;
        printf("box image %%d label %%d score %%.4f [%%.4f %%.4f %%.4f %%.4f]\n", (int)b[0], (int)b[1],
               b[2], b[3], b[4], b[5], b[6]);
      }
    } else {
      print_top(o, out[i], topk, nb);
    }
    free(out[i]);
  }
  free(in);
  %s_close();
  return rc;
}
]]):format(t.base, P, t.version, P, P, P, P, p, p, P, p, p, P, p, p, P, P, p)
  return table.concat(s)
end
