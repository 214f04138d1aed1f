/* test_quant.c - precision_param reading and validation (qt_*), the
 * quantize command line (cb_parse_args), CHai prototxt round trips
 * (qt_write), calibration determinism over thread counts and the threshold
 * rules (cb_*).  Runs from the repository root (ctest's working dir). */
#define _DEFAULT_SOURCE
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/rt_idx.h"
#include "caffe.pb-c.h"
#include "diag_capture.h"
#include "calib.h"
#include "loader.h"
#include "qsim.h"
#include "quant.h"
#include "sha256.h"
#include "shared_path.h"
#include "textfmt.h"

/* ---- helpers ---- */


static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = 0;
  fclose(f);
  return s;
}

/* Deterministic pseudo-random numbers (xorshift), uniform in [-1, 1). */
static uint64_t rng = 88172645463325252ull;
static float frand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}

/* Fills every declared weight blob with random values (as chaicc-mkmodel
 * does; BatchNorm variance positive, moving-average factor 1). */
static void random_weights(Net *n, Arena *ar) {
  rng = 88172645463325252ull;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    for (int k = 0; k < l->nweight; k++) {
      Weight *w = &l->weight[k];
      int64_t c = rt_shape_count(&w->expect);
      float *d = ar_array(ar, (size_t)c + 1, sizeof(float));
      for (int64_t j = 0; j < c; j++) {
        d[j] = frand();
        if (l->kind == LK_BN && k == 1) d[j] = fabsf(d[j]) + 0.25f;
        if (l->kind == LK_BN && k == 2) d[j] = 1;
      }
      w->t.s = w->expect;
      w->t.d = d;
      w->loaded = true;
    }
  }
}

static Net *load_quiet(const char *path, Arena *ar, Diag *dg) {
  diag_init(dg, fopen("/dev/null", "w"));
  return ld_load(path, NULL, ar, dg);
}

/* ---- reading and validation: golden diagnostics ---- */

static void golden(const char *base) {
  char p[256], e[256];
  snprintf(p, sizeof p, "tests/nets/%s.prototxt", base);
  snprintf(e, sizeof e, "tests/nets/%s.expected", base);
  Arena ar = {0};
  Cap c;
  cap_open(&c);
  Net *n = ld_load(p, NULL, &ar, &c.dg);
  char *got = cap_close(&c);
  ck_assert_ptr_null(n);
  char *want = slurp(e);
  ck_assert_msg(want, "missing %s", e);
  ck_assert_str_eq(got, want);
  free(got);
  free(want);
  ar_free(&ar);
}

START_TEST(t_golden_xilinx) { golden("quant_xilinx_bad"); }
END_TEST

START_TEST(t_golden_dfixed) { golden("quant_dfixed_bad"); }
END_TEST

START_TEST(t_read_ok) {
  Arena ar = {0};
  Cap c;
  cap_open(&c);
  Net *n = ld_load("tests/nets/quant_xilinx_ok.prototxt", NULL, &ar, &c.dg);
  char *got = cap_close(&c);
  ck_assert_ptr_nonnull(n);
  ck_assert_str_eq(got, "");
  free(got);
  Layer *conv = ld_find_layer(n, "conv1"), *pool = ld_find_layer(n, "pool1");
  ck_assert_ptr_nonnull(conv->q);
  ck_assert_int_eq(conv->q->mode, QM_XILINX);
  ck_assert_int_eq(conv->q->bw_params, 8);
  ck_assert_int_eq(conv->q->nth, 3);
  ck_assert_float_eq(conv->q->th_params[2], 0.125f);
  ck_assert_float_eq(conv->q->th_out, 2.5f);
  ck_assert_int_eq(conv->q->loc.line, 15);
  ck_assert_int_eq(pool->q->bw_in, 6); /* the quantization_param alias */
  ck_assert_ptr_null(ld_find_layer(n, "ip1")->q);
  ck_assert(qt_kind_has_precision(LK_RELU, QM_XILINX));
  ck_assert(!qt_kind_has_precision(LK_RELU, QM_DFIXED));
  ck_assert(!qt_kind_has_precision(LK_IP, QM_XILINX));
  ck_assert(qt_kind_has_precision(LK_PERMUTE, QM_DFIXED));
  ar_free(&ar);
}
END_TEST

/* ---- command line ---- */

static int parse(CbCmdOpts *o, const char *const *args) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = "quantize";
  for (; *args; args++) argv[argc++] = (char *)*args;
  FILE *save = stderr;
  stderr = fopen("/dev/null", "w");
  int r = cb_parse_args(argc, argv, o);
  fclose(stderr);
  stderr = save;
  return r;
}

START_TEST(t_flags_defaults) {
  CbCmdOpts o;
  const char *a[] = {"--deploy_model", "d.prototxt", "--weights", "w.caffemodel",
                     "--quantized_deploy_model", "o.prototxt", NULL};
  ck_assert_int_eq(parse(&o, a), 0);
  ck_assert_str_eq(o.deploy, "d.prototxt");
  ck_assert_str_eq(o.weights, "w.caffemodel");
  ck_assert_str_eq(o.out, "o.prototxt");
  ck_assert_int_eq(o.p.mode, QM_XILINX);
  ck_assert_int_eq(o.p.bw_in, 6);
  ck_assert_int_eq(o.p.bw_params, 6);
  ck_assert_int_eq(o.p.bw_out, 6);
  ck_assert(!o.p.fl_auto);
  ck_assert_int_eq(o.p.fl_in, 2);
  ck_assert_int_eq(o.p.fl_params, 5);
  ck_assert_int_eq(o.p.fl_out, 2);
  ck_assert_int_eq(o.p.fl_headroom, -1);
  ck_assert_int_eq(o.calib_size, 8);
  ck_assert_int_eq(o.p.method, CB_AUTO);
  ck_assert_int_eq(cb_method(&o.p), CB_MSE); /* 6 bit */
  o.p.bw_out = 8;
  ck_assert_int_eq(cb_method(&o.p), CB_ENTROPY);
  ck_assert_int_eq(o.p.wmethod, CB_WMAX);
  ck_assert_int_eq(o.p.eltwise, CB_ELT_SEPARATE);
  ck_assert(fabs(o.p.percentile - 99.99) < 1e-12);
  ck_assert_int_ge(o.threads, 1);
  ck_assert_ptr_null(o.calib_dir);
  ck_assert_ptr_null(o.report);
  /* XportDNN preprocessing defaults */
  ck_assert_int_eq(o.po.pp.c, 3);
  ck_assert_int_eq(o.po.pp.h, 224);
  ck_assert_int_eq(o.po.pp.w, 224);
  ck_assert_int_eq(o.po.pp.transpose[0], 2);
  ck_assert_int_eq(o.po.pp.channel_swap[0], 2);
  ck_assert_float_eq(o.po.pp.raw_scale, 255.0f);
  ck_assert_float_eq(o.po.pp.mean_value[1], 117.0f);
  ck_assert_float_eq(o.po.pp.input_scale, 1.0f);
}
END_TEST

START_TEST(t_flags_spellings) {
  CbCmdOpts o;
  const char *a[] = {"--quant-type", "DynamicFixed", "--deploy-model=d",
                     "--weights", "w", "--quantized_deploy_model", "o",
                     "--bitwidths=8,8,8", "--fl-bitwidths", "auto",
                     "--calibration-directory", "dir", "--calibration_size=32",
                     "--dims", "1,28,28", "--channel-swap", "0",
                     "--mean_value", "0", "--raw-scale", "255",
                     "--input_scale", "0.00390625", "--calibration-method",
                     "percentile", "--percentile", "99.9", "--threads", "3",
                     "--report", "r.html", "--fl-headroom", "0", NULL};
  ck_assert_int_eq(parse(&o, a), 0);
  ck_assert_int_eq(o.p.mode, QM_DFIXED);
  ck_assert_str_eq(o.deploy, "d");
  ck_assert_int_eq(o.p.bw_params, 8);
  ck_assert(o.p.fl_auto);
  ck_assert_str_eq(o.calib_dir, "dir");
  ck_assert_int_eq(o.calib_size, 32);
  ck_assert_int_eq(o.po.pp.c, 1);
  ck_assert_int_eq(o.po.pp.nswap, 1);
  ck_assert_float_eq(o.po.pp.input_scale, 0.00390625f);
  ck_assert_int_eq(o.p.method, CB_PERCENTILE);
  ck_assert(fabs(o.p.percentile - 99.9) < 1e-12);
  ck_assert_int_eq(o.threads, 3);
  ck_assert_str_eq(o.report, "r.html");
  ck_assert_int_eq(o.p.fl_headroom, 0);
  const char *b[] = {"--deploy_model", "d", "--weights", "w",
                     "--quantized_deploy_model", "o", "--quant_type",
                     "DynamicFixed", "--fl_bitwidths", "3,-2,4", NULL};
  ck_assert_int_eq(parse(&o, b), 0);
  ck_assert_int_eq(o.p.fl_in, 3);
  ck_assert_int_eq(o.p.fl_params, -2);
  ck_assert_int_eq(o.p.fl_out, 4);
  const char *c[] = {"--deploy_model", "d", "--weights", "w",
                     "--quantized_deploy_model", "o", "--calibration-method=mse",
                     "--weight-method", "mse", "--eltwise_threshold", "shared",
                     NULL};
  ck_assert_int_eq(parse(&o, c), 0);
  ck_assert_int_eq(o.p.method, CB_MSE);
  ck_assert_int_eq(o.p.wmethod, CB_WMSE);
  ck_assert_int_eq(o.p.eltwise, CB_ELT_SHARED);
}
END_TEST

START_TEST(t_flags_errors) {
  CbCmdOpts o;
  const char *base[] = {"--deploy_model", "d", "--weights", "w",
                        "--quantized_deploy_model", "o"};
  const char *bad[][2] = {{"--quant_type", "xilinx"}, {"--bitwidths", "8,8"},
                          {"--bitwidths", "8,8,17"}, {"--fl_bitwidths", "a,b,c"},
                          {"--calibration_size", "0"}, {"--percentile", "0"},
                          {"--calibration_method", "kl"}, {"--threads", "x"},
                          {"--bogus", "1"}, {"--dims", "3,224"},
                          {"--weight_method", "entropy"},
                          {"--eltwise_threshold", "max"}};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    const char *a[9];
    memcpy(a, base, sizeof base);
    a[6] = bad[k][0];
    a[7] = bad[k][1];
    a[8] = NULL;
    ck_assert_msg(parse(&o, a) == 2, "%s %s accepted", bad[k][0], bad[k][1]);
  }
  const char *missing[] = {"--deploy_model", "d", "--weights", "w", NULL};
  ck_assert_int_eq(parse(&o, missing), 2);
  const char *help[] = {"--help", NULL};
  FILE *save = stdout;
  stdout = fopen("/dev/null", "w");
  int r = parse(&o, help);
  fclose(stdout);
  stdout = save;
  ck_assert_int_eq(r, 1);
}
END_TEST

/* ---- calibration on the small net ---- */

enum { NIMG = 7 };

static float **small_images(const Net *n) {
  int64_t per = rt_shape_count(&n->inputs[0]->shape);
  float **img = calloc(NIMG, sizeof *img);
  rng = 1234567;
  for (int i = 0; i < NIMG; i++) {
    img[i] = malloc((size_t)per * sizeof(float));
    for (int64_t k = 0; k < per; k++) img[i][k] = frand() * (1 + i);
  }
  return img;
}

static void free_images(float **img, int n) {
  for (int i = 0; i < n; i++) free(img[i]);
  free(img);
}

static void stats_equal(const CbStats *a, const CbStats *b) {
  ck_assert_int_eq(a->nblob, b->nblob);
  for (int i = 0; i < a->nblob; i++) {
    const CbBlob *x = &a->blob[i], *y = &b->blob[i];
    ck_assert(x->maxabs == y->maxabs);
    ck_assert(x->count == y->count);
    ck_assert(x->seen == y->seen);
    if (x->hist) ck_assert(memcmp(x->hist, y->hist, CB_NBINS * sizeof(uint64_t)) == 0);
    ck_assert(memcmp(&x->sig, &y->sig, sizeof x->sig) == 0);
    ck_assert(memcmp(&x->noise, &y->noise, sizeof x->noise) == 0);
    ck_assert(x->sat == y->sat);
  }
}

static CbParams xilinx8(void) {
  CbParams p = {0};
  p.mode = QM_XILINX;
  p.bw_in = p.bw_params = p.bw_out = 8;
  p.method = CB_ENTROPY;
  p.percentile = 99.99;
  p.threads = 2;
  return p;
}

/* Quantizes `path` (random weights) with p over imgs at 1, 2, 3 threads;
 * all stats and LayerQuant must be identical. */
static void determinism(const char *path, float **(*mk)(const Net *), int nimg,
                        CbParams p, bool random) {
  Arena ar[3] = {{0}, {0}, {0}};
  Diag dg[3];
  Net *n[3];
  CbStats st[3];
  float **img = NULL;
  for (int t = 0; t < 3; t++) {
    n[t] = load_quiet(path, &ar[t], &dg[t]);
    ck_assert_ptr_nonnull(n[t]);
    if (random) random_weights(n[t], &ar[t]);
    if (n[t]->inputs[0]->shape.d[0] != 1) ck_assert_int_eq(ld_set_batch(n[t], 1), 0);
    if (!img) img = mk(n[t]);
    CbRun r = {t + 1, true, false};
    ck_assert_int_eq(cb_collect(n[t], img, nimg, &r, &st[t]), 0);
    p.threads = t + 1;
    ck_assert_int_eq(cb_assign(n[t], &st[t], &p), 0);
    ck_assert_int_eq(cb_measure(n[t], img, nimg, &r, &st[t]), 0);
  }
  for (int t = 1; t < 3; t++) {
    stats_equal(&st[0], &st[t]);
    for (int i = 0; i < n[0]->nlayer; i++)
      ck_assert(qt_equal(n[0]->layers[i]->q, n[t]->layers[i]->q));
  }
  for (int t = 0; t < 3; t++) {
    cb_free(&st[t]);
    fclose(dg[t].out);
    ar_free(&ar[t]);
  }
  free_images(img, nimg);
}

START_TEST(t_determinism_small) {
  determinism("tests/nets/quant_small.prototxt", small_images, NIMG, xilinx8(),
              true);
  CbParams p = xilinx8();
  p.mode = QM_DFIXED;
  p.fl_auto = true;
  p.fl_headroom = -1;
  determinism("tests/nets/quant_small.prototxt", small_images, NIMG, p, true);
  p = xilinx8();
  p.bw_in = p.bw_params = p.bw_out = 6;
  p.method = CB_MSE;
  p.wmethod = CB_WMSE;
  p.eltwise = CB_ELT_SHARED;
  determinism("tests/nets/quant_small.prototxt", small_images, NIMG, p, true);
}
END_TEST

/* SegNet's pooling mask (positions up to 62) is no value: the unpooling
 * Upsample's input threshold / fraction length is its value bottom's. */
/* A net of path with random weights, calibrated on the small images (one
 * thread) and assigned with p; the caller checks it, then assigned_free. */
typedef struct Assigned {
  Arena ar;
  Diag dg;
  Net *n;
  float **img;
  CbStats st;
} Assigned;

static void assigned(Assigned *a, const char *path, const CbParams *p) {
  memset(a, 0, sizeof *a);
  a->n = load_quiet(path, &a->ar, &a->dg);
  ck_assert_ptr_nonnull(a->n);
  random_weights(a->n, &a->ar);
  a->img = small_images(a->n);
  CbRun r = {1, true, false};
  ck_assert_int_eq(cb_collect(a->n, a->img, NIMG, &r, &a->st), 0);
  ck_assert_int_eq(cb_assign(a->n, &a->st, p), 0);
}

static void assigned_free(Assigned *a) {
  cb_free(&a->st);
  free_images(a->img, NIMG);
  fclose(a->dg.out);
  ar_free(&a->ar);
}

START_TEST(t_index_tops) {
  for (int dfx = 0; dfx < 2; dfx++) {
    CbParams p = xilinx8();
    p.method = CB_MAX;
    if (dfx) p.mode = QM_DFIXED, p.fl_auto = true, p.fl_headroom = -1;
    Assigned a;
    assigned(&a, "tests/kinds/rs_unpool.prototxt", &p);
    const Layer *conv2 = ld_find_layer(a.n, "conv2"), *up1 = ld_find_layer(a.n, "upsample1");
    ck_assert(conv2 && up1 && conv2->q && up1->q);
    ck_assert(ir_blob_is_index(up1->bottom[1]));
    ck_assert(!ir_blob_is_index(up1->bottom[0]));
    if (dfx)
      ck_assert_int_eq(up1->q->fl_in, conv2->q->fl_out);
    else
      ck_assert_float_eq(up1->q->th_in, conv2->q->th_out);
    assigned_free(&a);
  }
}
END_TEST

/* MAX pooling keeps its input's scale (cb_scale_kept): relu1 takes
 * pool1's threshold (pool1 its only reader), the chained pool1b pool1's
 * (pool1 has two readers), conv2 and pc the Concat's (pc reads conv2
 * alone and feeds the Concat); AVE pooling is calibrated. */
START_TEST(t_pool_keeps_scale) {
  static const CbMethod meth[] = {CB_ENTROPY, CB_MSE, CB_PERCENTILE, CB_MAX};
  for (int k = 0; k < 5; k++) {
    CbParams p = xilinx8();
    if (k < 4) p.method = meth[k];
    else p.mode = QM_DFIXED, p.fl_auto = true, p.fl_headroom = -1;
    Assigned a;
    assigned(&a, "tests/nets/quant_pool.prototxt", &p);
    Net *n = a.n;
    const Layer *relu = ld_find_layer(n, "relu1"), *p1 = ld_find_layer(n, "pool1"),
                *p1b = ld_find_layer(n, "pool1b"), *pave = ld_find_layer(n, "pave"),
                *pc = ld_find_layer(n, "pc"), *cat = ld_find_layer(n, "cat");
    const unsigned char *kept = cb_scale_kept(n, cb_consumers(n), NULL, false, ir_layer_ids(n));
    ck_assert_int_eq(kept[p1->id], CB_KEEP_BACK); /* relu1's only reader */
    ck_assert_int_eq(kept[p1b->id], CB_KEEP_FWD); /* pool1 has two readers */
    ck_assert_int_eq(kept[pc->id], CB_KEEP_BACK); /* conv2's only reader */
    ck_assert(!kept[pave->id] && !kept[relu->id] && !kept[cat->id]);
    if (p.mode == QM_XILINX) {
      ck_assert_float_eq(p1->q->th_in, relu->q->th_out);
      ck_assert_float_eq(p1->q->th_out, p1->q->th_in);
      ck_assert_float_eq(p1b->q->th_in, p1->q->th_out);
      ck_assert_float_eq(p1b->q->th_out, p1->q->th_out);
      ck_assert_float_eq(pc->q->th_out, cat->q->th_out);
      ck_assert_float_eq(pc->q->th_in, pc->q->th_out);
      ck_assert_float_eq(ld_find_layer(n, "conv2")->q->th_out, pc->q->th_out);
      /* the readers of the kept scale read it */
      ck_assert_float_eq(ld_find_layer(n, "conv2")->q->th_in, p1b->q->th_out);
      ck_assert_float_eq(pave->q->th_in, p1->q->th_out);
    } else {
      ck_assert_int_eq(p1->q->fl_in, ld_find_layer(n, "conv1")->q->fl_out); /* ReLU: none */
      ck_assert_int_eq(p1->q->fl_out, p1->q->fl_in);
      ck_assert_int_eq(p1b->q->fl_out, p1->q->fl_out);
      ck_assert_int_eq(ld_find_layer(n, "conv2")->q->fl_in, p1b->q->fl_out);
    }
    assigned_free(&a);
  }
}
END_TEST

static float **mnist_images(const Net *n) {
  (void)n;
  const char *sh = shared_dir();
  char path[4200];
  snprintf(path, sizeof path, "%s/data/mnist/t10k-images-idx3-ubyte.gz", sh);
  uint8_t *d = NULL;
  int nd = 0;
  int32_t dims[RT_IDX_MAXDIM];
  char err[256];
  ck_assert_int_eq(rt_idx_load(path, &d, &nd, dims, err, sizeof err), 0);
  float **img = calloc(32, sizeof *img);
  for (int i = 0; i < 32; i++) {
    img[i] = malloc(784 * sizeof(float));
    for (int k = 0; k < 784; k++) img[i][k] = d[i * 784 + k] * 0.00390625f;
  }
  free(d);
  return img;
}

START_TEST(t_determinism_lenet) {
  const char *sh = shared_dir();
  if (!sh) return;
  char path[4200], w[4200];
  snprintf(path, sizeof path, "%s/models/lenet_mnist/deploy.prototxt", sh);
  snprintf(w, sizeof w, "%s/models/lenet_mnist/weights.caffemodel", sh);
  /* determinism() loads without weights; load them here instead */
  Arena ar[3] = {{0}, {0}, {0}};
  Diag dg[3];
  CbStats st[3];
  Net *n[3];
  float **img = mnist_images(NULL);
  CbParams p = xilinx8();
  for (int t = 0; t < 3; t++) {
    diag_init(&dg[t], stderr);
    n[t] = ld_load(path, w, &ar[t], &dg[t]);
    ck_assert_ptr_nonnull(n[t]);
    CbRun r = {t + 1, true, false};
    ck_assert_int_eq(cb_collect(n[t], img, 32, &r, &st[t]), 0);
    p.threads = t + 1;
    ck_assert_int_eq(cb_assign(n[t], &st[t], &p), 0);
    ck_assert_int_eq(cb_measure(n[t], img, 32, &r, &st[t]), 0);
  }
  for (int t = 1; t < 3; t++) {
    stats_equal(&st[0], &st[t]);
    for (int i = 0; i < n[0]->nlayer; i++)
      ck_assert(qt_equal(n[0]->layers[i]->q, n[t]->layers[i]->q));
  }
  /* input threshold is the input's max: 255/256 */
  ck_assert_float_eq(ld_find_layer(n[0], "conv1")->q->th_in, 0.99609375f);
  ld_cleanup(); /* the caffemodels' data, before their arenas */
  for (int t = 0; t < 3; t++) {
    cb_free(&st[t]);
    ar_free(&ar[t]);
  }
  free_images(img, 32);
}
END_TEST

/* ---- CHai prototxt round trip ---- */

/* The file's text with every precision_param dropped, rewritten. */
static char *without_precision(const char *path, Arena *ar) {
  Diag dg;
  diag_init(&dg, stderr);
  Caffe__NetParameter *np = (Caffe__NetParameter *)tf_parse_file(
      &caffe__net_parameter__descriptor, path, ar, &dg, NULL);
  ck_assert_ptr_nonnull(np);
  for (size_t i = 0; i < np->n_layer; i++) np->layer[i]->precision_param = NULL;
  return tf_write_string(&np->base, ar);
}

/* tests/nets/quant_small.prototxt with random weights, calibrated on the
 * NIMG small images (*img, freed by the caller with *st) with p. */
static Net *calibrated_small(Arena *ar, Diag *dg, CbParams p, CbStats *st, float ***img) {
  Net *n = load_quiet("tests/nets/quant_small.prototxt", ar, dg);
  ck_assert_ptr_nonnull(n);
  random_weights(n, ar);
  *img = small_images(n);
  CbRun r = {2, true, false};
  ck_assert_int_eq(cb_collect(n, *img, NIMG, &r, st), 0);
  ck_assert_int_eq(cb_assign(n, st, &p), 0);
  return n;
}

static void round_trip(CbParams p) {
  Arena ar = {0};
  Diag dg;
  CbStats st;
  float **img;
  Net *n = calibrated_small(&ar, &dg, p, &st, &img);
  char out[] = "/tmp/chai_test_quant_XXXXXX";
  int fd = mkstemp(out);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(qt_write(n, out, NULL, &dg, NULL), 0);
  Arena ar2 = {0};
  Diag dg2;
  Net *back = load_quiet(out, &ar2, &dg2);
  ck_assert_msg(back != NULL, "written file does not load");
  ck_assert_int_eq(back->nlayer, n->nlayer);
  int nq = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    ck_assert_msg(qt_equal(l->q, back->layers[i]->q), "layer %s", l->name);
    ck_assert(!l->q == !qt_kind_has_precision(l->kind, p.mode));
    nq += l->q != NULL;
  }
  ck_assert_int_gt(nq, 3);
  /* everything else is the original, field for field */
  Arena ar3 = {0};
  ck_assert_str_eq(without_precision(out, &ar3),
                   without_precision("tests/nets/quant_small.prototxt", &ar3));
  if (p.mode == QM_XILINX) {
    /* the Concat inputs share its output threshold */
    const Layer *cat = ld_find_layer(n, "cat"), *br = ld_find_layer(n, "branch");
    ck_assert_float_eq(br->q->th_out, cat->q->th_out);
    ck_assert_float_eq(cat->q->th_in, cat->q->th_out);
    /* conv1 is folded with bn1/scale1 and fused with relu1: one format */
    const Layer *c1 = ld_find_layer(n, "conv1"), *relu = ld_find_layer(n, "relu1");
    ck_assert_float_eq(c1->q->th_out, relu->q->th_out);
    ck_assert_float_eq(ld_find_layer(n, "bn1")->q->th_out, relu->q->th_out);
    ck_assert_float_eq(ld_find_layer(n, "bn1")->q->th_in, relu->q->th_out);
    ck_assert_float_eq(ld_find_layer(n, "scale1")->q->th_out, relu->q->th_out);
    ck_assert_int_eq(c1->q->nth, 8);
    ck_assert_int_eq(ld_find_layer(n, "up")->q->nth, 6);
    /* shared Eltwise inputs: both producers write the Eltwise's input
     * format, the largest of their own thresholds */
    const Layer *c2 = ld_find_layer(n, "conv2"), *sum = ld_find_layer(n, "sum");
    if (p.eltwise == CB_ELT_SHARED) {
      ck_assert_float_eq(c2->q->th_out, relu->q->th_out);
      ck_assert_float_eq(sum->q->th_in, relu->q->th_out);
    } else {
      ck_assert_float_eq(sum->q->th_in, fmaxf(c2->q->th_out, relu->q->th_out));
    }
  }
  unlink(out);
  cb_free(&st);
  free_images(img, NIMG);
  fclose(dg.out);
  fclose(dg2.out);
  ar_free(&ar);
  ar_free(&ar2);
  ar_free(&ar3);
}

START_TEST(t_round_trip) {
  CbParams p = xilinx8();
  round_trip(p);
  p.bw_in = p.bw_params = p.bw_out = 6;
  p.method = CB_PERCENTILE;
  round_trip(p);
  p.method = CB_MSE;
  p.wmethod = CB_WMSE;
  p.eltwise = CB_ELT_SHARED;
  round_trip(p);
  p.mode = QM_DFIXED;
  p.fl_auto = true;
  round_trip(p);
  p.fl_headroom = -1;
  round_trip(p);
  p.fl_auto = false;
  p.fl_in = 2, p.fl_params = 5, p.fl_out = -1;
  round_trip(p);
}
END_TEST

/* qt_read of pinned file `path` with n->weights_file = w (the pin checked
 * when check): its result and the diagnostics in *text (malloc'd). */
static int read_pinned(Net *n, const char *path, const char *w, bool check, char **text) {
  Cap c;
  cap_open(&c);
  Diag *keep = n->dg;
  n->dg = &c.dg;
  n->file = path;
  n->weights_file = w;
  int r = qt_read(n, check);
  n->dg = keep;
  *text = cap_close(&c);
  return r;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* The weights pin (qt_pin_header): a CHai prototxt written with it reads
 * with the weights it names, and is an error at the pin line with the
 * input weights (said so) or any other file; quantize's switch turns the
 * check off; a malformed pin is an error. */
START_TEST(t_weights_pin) {
  Arena ar = {0};
  Diag dg;
  CbStats st;
  float **img;
  Net *n = calibrated_small(&ar, &dg, xilinx8(), &st, &img);
  char dir[] = "/tmp/chai_test_pin_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *wq = ar_printf(&ar, "%s/q.caffemodel", dir), *win = ar_printf(&ar, "%s/in.caffemodel", dir),
       *wother = ar_printf(&ar, "%s/other.caffemodel", dir), *out = ar_printf(&ar, "%s/q.prototxt", dir),
       *bad = ar_printf(&ar, "%s/bad.prototxt", dir);
  write_text(wq, "weights after equalization");
  write_text(win, "the input weights");
  write_text(wother, "some other weights");
  const char *h = qt_pin_header(&ar, wq, win, &dg);
  ck_assert_ptr_nonnull(h);
  ck_assert_ptr_null(qt_pin_header(&ar, wq, ar_printf(&ar, "%s/missing", dir), &dg));
  ck_assert_int_eq(qt_write(n, out, NULL, &dg, h), 0);

  Arena ar2 = {0};
  Diag dg2;
  Net *back = load_quiet(out, &ar2, &dg2); /* no weights: nothing to check */
  ck_assert_ptr_nonnull(back);
  for (int i = 0; i < n->nlayer; i++)
    ck_assert_msg(qt_equal(n->layers[i]->q, back->layers[i]->q), "layer %s", n->layers[i]->name);
  char *t;
  ck_assert_int_eq(read_pinned(back, out, wq, true, &t), 0);
  ck_assert_str_eq(t, "");
  free(t);
  char hq[65]; /* kept for the provenance header, not hashed again */
  ck_assert_int_eq(sha_file_hex(wq, hq), 0);
  ck_assert_ptr_nonnull(back->weights_sha);
  ck_assert_str_eq(back->weights_sha, hq);
  ck_assert_int_eq(read_pinned(back, out, win, true, &t), -1);
  char *want = ar_printf(&ar2, "%s:3:1: error: these thresholds are for the weights chaicc quantize "
                         "wrote to '%s' (sha256 ", out, wq);
  ck_assert_msg(strstr(t, want) == t, "got: %s", t);
  ck_assert_msg(strstr(t, "the caffemodel quantize started from before --equalize"), "got: %s", t);
  ck_assert_msg(strstr(t, "; give that caffemodel\n"), "got: %s", t);
  free(t);
  ck_assert_int_eq(read_pinned(back, out, wother, true, &t), -1);
  ck_assert_msg(strstr(t, want) == t, "got: %s", t);
  ck_assert_msg(!strstr(t, "started from"), "got: %s", t);
  free(t);
  ck_assert_int_eq(read_pinned(back, out, wother, false, &t), 0);
  ck_assert_str_eq(t, "");
  free(t);
  /* a pin line cut short */
  char *text = slurp(out);
  char *pin = strstr(text, "# chaicc-weights: ");
  ck_assert_ptr_nonnull(pin);
  pin[18 + 20] = '\n';
  write_text(bad, text);
  free(text);
  ck_assert_int_eq(read_pinned(back, bad, wq, true, &t), -1);
  ck_assert_msg(strstr(t, ":3:1: error: malformed weights pin"), "got: %s", t);
  free(t);
  const char *files[] = {wq, win, wother, out, bad};
  for (int i = 0; i < 5; i++) unlink(files[i]);
  rmdir(dir);
  cb_free(&st);
  free_images(img, NIMG);
  fclose(dg.out);
  fclose(dg2.out);
  ar_free(&ar);
  ar_free(&ar2);
}
END_TEST

/* ---- threshold rules ---- */

START_TEST(t_entropy_known) {
  uint64_t h[CB_NBINS] = {0};
  /* uniform on 1000 bins: the first candidate reproducing it exactly is
   * i = 1000 (no clipped mass), so th = 1000/2048 * max */
  for (int i = 0; i < 1000; i++) h[i] = 50;
  double th = cb_entropy_threshold(h, CB_NBINS, 2048.0, 8);
  ck_assert(fabs(th - 1000.0) < 1e-9);
  /* a far outlier is clipped away */
  memset(h, 0, sizeof h);
  for (int i = 0; i < 200; i++) h[i] = 10000 - 40 * (uint64_t)i;
  h[2047] = 1;
  th = cb_entropy_threshold(h, CB_NBINS, 2048.0, 8);
  ck_assert_msg(th >= 128 && th <= 256, "th = %g", th);
  /* no mass near zero (the logits of a confident two-class head, |x|
   * in two bumps at bins 1700-1800 and 1900-2000): the KL minimum of
   * the unguarded search clipped every value (retinaface's stride-8
   * scores, mtcnn_det1's prob1); the threshold keeps at least half */
  memset(h, 0, sizeof h);
  for (int i = 1700; i < 1800; i++) h[i] = 300;
  for (int i = 1900; i < 2000; i++) h[i] = 100;
  th = cb_entropy_threshold(h, CB_NBINS, 2048.0, 8);
  ck_assert_msg(th >= 1750, "th = %g", th);
  /* degenerate */
  memset(h, 0, sizeof h);
  ck_assert(cb_entropy_threshold(h, CB_NBINS, 0, 8) == 1);
}
END_TEST

START_TEST(t_mse_known) {
  uint64_t h[CB_NBINS] = {0};
  /* one spike at bin 99 (centre 99.5): clipping to 99 costs 0.25 per
   * value, threshold 100 only the rounding noise (100/127)^2/12 */
  h[99] = 1000;
  ck_assert(fabs(cb_mse_threshold(h, CB_NBINS, 2048.0, 8) - 100.0) < 1e-9);
  /* uniform: a little below the top (the clipped error grows as (A-t)^3,
   * the rounding error as t^2) */
  memset(h, 0, sizeof h);
  for (int i = 0; i < 1000; i++) h[i] = 50;
  double th = cb_mse_threshold(h, CB_NBINS, 2048.0, 6);
  ck_assert_msg(th > 900 && th < 1000, "th = %g", th);
  /* a single far outlier is clipped */
  memset(h, 0, sizeof h);
  for (int i = 0; i < 200; i++) h[i] = 10000 - 40 * (uint64_t)i;
  h[2047] = 1;
  th = cb_mse_threshold(h, CB_NBINS, 2048.0, 6);
  ck_assert_msg(th >= 100 && th <= 256, "th = %g", th);
  memset(h, 0, sizeof h);
  ck_assert(cb_mse_threshold(h, CB_NBINS, 0, 8) == 1);
  ck_assert(cb_mse_threshold(h, CB_NBINS, 5, 8) == 1);
}
END_TEST

START_TEST(t_weight_mse) {
  /* exactly representable at the max (k/31, 6 bit): the max, no error */
  float w[200];
  for (int k = -31; k <= 31; k++) w[k + 31] = (float)k / 31.0f;
  ck_assert(fabs(cb_weight_mse_clip(w, 63, 1.0, 6) - 1.0) < 1e-6);
  ck_assert(fabs(cb_weight_mse_clip(w, 63, 2.0, 6) - 2.0) < 1e-6);
  /* 199 small weights and one outlier 20 times larger: clipped */
  for (int k = 0; k < 199; k++) w[k] = (float)((k % 21) - 10) / 200.0f;
  w[199] = 1.0f;
  double c = cb_weight_mse_clip(w, 200, 1.0, 6);
  ck_assert_msg(c < 1.0 && c >= 1.0 / CB_WCLIPS, "clip %g", c);
  /* all zero: 0 (cb_assign turns it into threshold 1) */
  memset(w, 0, sizeof w);
  ck_assert(cb_weight_mse_clip(w, 200, 1.0, 6) == 0);
}
END_TEST

START_TEST(t_percentile_and_fl) {
  uint64_t h[CB_NBINS] = {0};
  for (int i = 0; i < 100; i++) h[i] = 1;
  ck_assert(fabs(cb_percentile_threshold(h, CB_NBINS, 2048, 50) - 50) < 1e-9);
  ck_assert(fabs(cb_percentile_threshold(h, CB_NBINS, 2048, 100) - 100) < 1e-9);
  ck_assert_int_eq(cb_ristretto_fl(1.0, 8, false), 8);
  ck_assert_int_eq(cb_ristretto_fl(1.0, 8, true), 7);
  ck_assert_int_eq(cb_ristretto_fl(0.3, 8, false), 9);
  ck_assert_int_eq(cb_ristretto_fl(5.0, 8, false), 5);
  ck_assert_int_eq(cb_ristretto_fl(300.0, 6, true), -4);
  ck_assert_int_eq(cb_ristretto_fl(0.0, 8, false), 7);
}
END_TEST

/* ---- depthwise layers: one weight threshold per output channel ---- */

/* Issue 14 item 3: a depthwise Convolution with BatchNorm/Scale folded
 * into it (dw1) and a DepthwiseConvolution (dw2), each channel's weights
 * scaled differently.  Xilinx calibration gives each output channel the
 * threshold max |w| of its own (folded) weights, the simulator quantizes
 * each channel with its own scale (so every channel's largest weight is
 * code 127), and dw2's output codes follow the contract with per-channel
 * scales.  One threshold per layer would leave dw1's channel 2 (folded
 * weights 1/128 of channel 0's) with codes of at most 1. */
START_TEST(t_dw_per_channel) {
  Arena ar = {0};
  Diag dg;
  Net *n = load_quiet("tests/nets/quant_dw.prototxt", &ar, &dg);
  ck_assert_ptr_nonnull(n);
  random_weights(n, &ar);
  Layer *dw1 = ld_find_layer(n, "dw1"), *bn1 = ld_find_layer(n, "bn1");
  Layer *sc1 = ld_find_layer(n, "sc1"), *dw2 = ld_find_layer(n, "dw2");
  static const double m1[4] = {1, 0.125, 1.0 / 64, 4}, g1[4] = {1, 3, 0.5, 1.0 / 16};
  static const double m2[4] = {1, 1.0 / 16, 0.25, 0.01};
  double fold[4][9];
  for (int c = 0; c < 4; c++) {
    sc1->weight[0].t.d[c] = (float)(g1[c] * (c & 1 ? -1 : 1));
    double k = sc1->weight[0].t.d[c] /
               sqrt((double)bn1->weight[1].t.d[c] / bn1->weight[2].t.d[0] + 1e-5);
    for (int j = 0; j < 9; j++) {
      dw1->weight[0].t.d[c * 9 + j] *= (float)m1[c];
      dw2->weight[0].t.d[c * 9 + j] *= (float)m2[c];
      fold[c][j] = dw1->weight[0].t.d[c * 9 + j] * k;
    }
  }
  float **img = small_images(n);
  CbRun r = {1, true, false};
  CbStats st;
  ck_assert_int_eq(cb_collect(n, img, NIMG, &r, &st), 0);
  CbParams p = xilinx8();
  ck_assert_int_eq(cb_assign(n, &st, &p), 0);
  ck_assert_int_eq(dw1->q->nth, 4);
  ck_assert_int_eq(dw2->q->nth, 4);
  for (int c = 0; c < 4; c++) {
    double a = 0, b = 0;
    for (int j = 0; j < 9; j++) {
      a = fmax(a, fabs(fold[c][j]));
      b = fmax(b, fabs((double)dw2->weight[0].t.d[c * 9 + j]));
    }
    ck_assert(fabs(dw1->q->th_params[c] - a) <= 1e-5 * a);
    ck_assert(fabs(dw2->q->th_params[c] - b) <= 1e-5 * b);
  }
  QsNet *qn = qs_prepare(n, &dg);
  ck_assert_ptr_nonnull(qn);
  const Layer *L[2] = {dw1, dw2};
  for (int i = 0; i < 2; i++) {
    const rt_fx_conv_param *cp = qs_layer_param(qn, L[i]);
    ck_assert_ptr_nonnull(cp);
    for (int c = 0; c < 4; c++) {
      int big = 0;
      for (int j = 0; j < 9; j++) big = abs(cp->w[c * 9 + j]) > big ? abs(cp->w[c * 9 + j]) : big;
      ck_assert_int_eq(big, 127);
    }
  }
  /* dw2's output codes from its input codes, by the contract */
  QsState *s = qs_state_new(qn);
  ck_assert_ptr_nonnull(s);
  qs_set_input(s, 0, img[0]);
  qs_run(s);
  rt_fx_q fi, fo;
  const int16_t *x = qs_codes(s, dw2->bottom[0], &fi), *y = qs_codes(s, dw2->top[0], &fo);
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_nonnull(y);
  const rt_fx_conv_param *cp = qs_layer_param(qn, dw2);
  for (int c = 0; c < 4; c++) {
    double sw = dw2->q->th_params[c] / 127.0;
    for (int oy = 0; oy < 7; oy++)
      for (int ox = 0; ox < 7; ox++) {
        int64_t acc = cp->bias ? cp->bias[c] : 0;
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) {
            int iy = oy + ky - 1, ix = ox + kx - 1;
            if (iy >= 0 && iy < 7 && ix >= 0 && ix < 7)
              acc += (int64_t)x[(c * 7 + iy) * 7 + ix] * cp->w[c * 9 + ky * 3 + kx];
          }
        double want = fmin(127, fmax(-127, round((double)acc * fi.scale * sw / fo.scale)));
        ck_assert(fabs(y[(c * 7 + oy) * 7 + ox] - want) <= 1);
      }
  }
  qs_state_free(s);
  cb_free(&st);
  free_images(img, NIMG);
  fclose(dg.out);
  ar_free(&ar);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("quant");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, t_golden_xilinx);
  tcase_add_test(tc, t_golden_dfixed);
  tcase_add_test(tc, t_read_ok);
  tcase_add_test(tc, t_flags_defaults);
  tcase_add_test(tc, t_flags_spellings);
  tcase_add_test(tc, t_flags_errors);
  tcase_add_test(tc, t_determinism_small);
  tcase_add_test(tc, t_determinism_lenet);
  tcase_add_test(tc, t_round_trip);
  tcase_add_test(tc, t_weights_pin);
  tcase_add_test(tc, t_entropy_known);
  tcase_add_test(tc, t_percentile_and_fl);
  tcase_add_test(tc, t_mse_known);
  tcase_add_test(tc, t_weight_mse);
  tcase_add_test(tc, t_index_tops);
  tcase_add_test(tc, t_pool_keeps_scale);
  tcase_add_test(tc, t_dw_per_channel);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
