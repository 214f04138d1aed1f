/* test_passes.c - graph passes (golden logs on tests/nets/cg_*.prototxt,
 * numerics before/after, the buffer plan replayed in one arena), the
 * SHA-256 used for provenance, and the Lua template host.  Real models in
 * ../shared/models (or $CHAI_SHARED/models) are checked when present:
 * `run` with and without passes agree within 1e-5 relative. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/rt_npy.h"
#include "constfold.h"
#include "interp.h"
#include "loader.h"
#include "lua_host.h"
#include "passes.h"
#include "sha256.h"

/* ---- helpers ---- */

static uint32_t rng = 1;
static float frand(void) { /* [-1, 1) */
  rng = rng * 1664525u + 1013904223u;
  return (float)(rng >> 8) / (float)(1 << 23) - 1.0f;
}

/* Loads a test net and fills its weights deterministically (BatchNorm
 * variances positive, factor 1). */
static Net *load_filled(const char *path, Arena *ar, Diag *dg) {
  Net *n = ld_load(path, NULL, ar, dg);
  ck_assert_msg(n != NULL, "cannot load %s", path);
  rng = 42;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    for (int k = 0; k < l->nweight; k++) {
      Weight *w = &l->weight[k];
      w->t.s = w->expect;
      int64_t c = rt_shape_count(&w->expect);
      w->t.d = ar_array(ar, (size_t)(c ? c : 1), sizeof(float));
      for (int64_t q = 0; q < c; q++) {
        float v = frand();
        if (l->kind == LK_BN && k == 1) v = 0.5f + 0.5f * (v + 1.0f);
        if (l->kind == LK_BN && k == 2) v = 1.0f;
        w->t.d[q] = v;
      }
      w->loaded = true;
    }
  }
  return n;
}

static void fill_input(float *d, int64_t n) {
  rng = 7;
  for (int64_t i = 0; i < n; i++) d[i] = frand();
}

/* Runs the net with the interpreter; returns malloc'ed copies of outputs. */
static float **run_net(Net *n, const float *input) {
  Interp in;
  ck_assert_int_eq(in_init(&in, n), 0);
  in_set_input(&in, 0, input);
  in_run(&in);
  float **out = calloc((size_t)n->noutput, sizeof *out);
  for (int i = 0; i < n->noutput; i++) {
    int64_t c = rt_shape_count(in_shape(&in, n->outputs[i]));
    out[i] = malloc((size_t)c * sizeof(float));
    memcpy(out[i], in_blob(&in, n->outputs[i]), (size_t)c * sizeof(float));
  }
  in_free(&in);
  return out;
}

/* max |a-b| / max |a| over count values. */
static double rel_diff(const float *a, const float *b, int64_t c) {
  double mx = 0, d = 0;
  for (int64_t i = 0; i < c; i++) {
    if (fabs(a[i]) > mx) mx = fabs(a[i]);
    if (fabs((double)a[i] - b[i]) > d) d = fabs((double)a[i] - b[i]);
  }
  return d / (mx > 0 ? mx : 1);
}

/* Replays the net as the generated code does: one arena at the planned
 * offsets, no-op layers skipped, outputs in their own buffers, constant
 * tensors computed beforehand (cf_eval) and their layers skipped, a
 * constant output copied in. */
static float **run_planned(Net *n, const PsPlan *p, const float *input) {
  float *arena = calloc((size_t)(p->size ? p->size : 1), sizeof(float));
  float **out = calloc((size_t)n->noutput, sizeof *out);
  float **ptr = calloc((size_t)n->nblob, sizeof *ptr);
  for (int i = 0; i < n->noutput; i++)
    out[i] = calloc((size_t)rt_shape_count(&n->outputs[i]->shape), sizeof(float));
  float **cv = cf_eval(n, p->cst, n->ar);
  for (int i = 0; i < n->nblob; i++) {
    if (p->where[i] == PS_ARENA) ptr[i] = arena + p->off[i];
    if (p->where[i] == PS_OUTPUT) ptr[i] = out[p->out_index[i]];
    if (p->where[i] == PS_CONST) ptr[i] = cv[i];
    if (p->where[i] == PS_OUTPUT && p->cst[i])
      memcpy(ptr[i], cv[i], (size_t)rt_shape_count(&n->blobs[i]->shape) * sizeof(float));
  }
  ptr[n->inputs[0]->id] = (float *)input;
  static char ws[1 << 22];
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->dead || l->kind == LK_INPUT || p->noop[l->id] || p->cfold[l->id]) continue;
    rt_tensor bt[16], tt[16], wt[8];
    int nw = 0;
    for (int k = 0; k < l->nbottom; k++) bt[k].s = l->bottom[k]->shape, bt[k].d = ptr[l->bottom[k]->id];
    for (int k = 0; k < l->ntop; k++) tt[k].s = l->top[k]->shape, tt[k].d = ptr[l->top[k]->id];
    for (int k = 0; k < l->nweight; k++)
      if (l->weight[k].loaded) wt[nw++] = l->weight[k].t;
    rt_args a = {l->nbottom, l->ntop, nw, bt, tt, wt, ws, sizeof ws};
    lk_info[l->kind].f32(&l->p, &a);
    if (l->fused_relu) {
      rt_relu_param rp = {l->relu_slope};
      rt_args ra = {1, 1, 0, tt, tt, NULL, NULL, 0};
      rt_relu_f32(&rp, &ra);
    }
  }
  free(arena);
  free(ptr);
  return out;
}

static void free_outs(float **o, int n) {
  for (int i = 0; i < n; i++) free(o[i]);
  free(o);
}

/* Golden check of one test net: the log, and numerics after passes (the
 * interpreter and the planned-arena replay). */
static void golden(const char *path, const char *const *expect) {
  Arena ar = {0};
  Diag dg;
  diag_init(&dg, stderr);
  Net *a = load_filled(path, &ar, &dg), *b = load_filled(path, &ar, &dg);
  int64_t cin = rt_shape_count(&a->inputs[0]->shape);
  float *input = malloc((size_t)cin * sizeof(float));
  fill_input(input, cin);
  float **ref = run_net(a, input);
  PsLog lg;
  ps_log_init(&lg, &ar);
  ck_assert_int_eq(ps_run(b, &lg), 0);
  int k = 0;
  for (; expect[k]; k++) {
    ck_assert_msg(k < lg.n, "%s: missing log line '%s'", path, expect[k]);
    ck_assert_str_eq(lg.line[k], expect[k]);
  }
  ck_assert_int_eq(lg.n, k + 1); /* + the plan line */
  ck_assert(strncmp(lg.line[k], "plan: peak ", 11) == 0);
  float **got = run_net(b, input);
  PsPlan plan;
  ps_plan(b, &plan);
  ck_assert(plan.size <= plan.unplanned);
  float **gp = run_planned(b, &plan, input);
  for (int i = 0; i < a->noutput; i++) {
    int64_t c = rt_shape_count(&a->outputs[i]->shape);
    ck_assert_msg(rel_diff(ref[i], got[i], c) <= 1e-5, "%s output %d: %g", path, i,
                  rel_diff(ref[i], got[i], c));
    ck_assert_msg(rel_diff(got[i], gp[i], c) == 0, "%s output %d: planned replay differs", path, i);
  }
  free_outs(ref, a->noutput);
  free_outs(got, b->noutput);
  free_outs(gp, b->noutput);
  free(input);
  ar_free(&ar);
}

START_TEST(test_golden_conv) {
  static const char *const expect[] = {
      "fold: bn1+scale1 into conv1", "fold: dw_bn+dw_scale into dw",
      "fold: up_bn+up_scale into up", "fuse: relu1 into conv1", "fuse: dw_relu into dw", NULL};
  golden("tests/nets/cg_conv.prototxt", expect);
}
END_TEST

START_TEST(test_golden_misc) {
  static const char *const expect[] = {
      "remove: split0 (Split)", "remove: drop0 (Dropout)", "fold: ip_bn into ip",
      "affine: bn0+sc0 as one Scale", "fuse: sum_relu into sum", "fuse: ip_relu into ip", NULL};
  golden("tests/nets/cg_misc.prototxt", expect);
}
END_TEST

/* issue 13, act: BN of the SegNet fork folds into the convolution in
 * INFERENCE mode (same float outputs) and never in LEARN mode. */
START_TEST(test_golden_bnseg) {
  static const char *const inf[] = {"fold: conv1_bn into conv1", "fuse: relu1 into conv1", NULL};
  golden("tests/kinds/act_bn.prototxt", inf);
  static const char *const learn[] = {NULL};
  golden("tests/kinds/act_bn_learn.prototxt", learn);
}
END_TEST

/* Structure after the passes: dead flags, fused names, rewired bottoms. */
START_TEST(test_structure) {
  Arena ar = {0};
  Diag dg;
  diag_init(&dg, stderr);
  Net *n = load_filled("tests/nets/cg_misc.prototxt", &ar, &dg);
  PsLog lg;
  ps_log_init(&lg, &ar);
  ps_run(n, &lg);
  Layer *bn0 = ld_find_layer(n, "bn0"), *ip = ld_find_layer(n, "ip"), *sum = ld_find_layer(n, "sum");
  ck_assert(bn0->kind == LK_SCALE && !bn0->dead);
  ck_assert(ld_find_layer(n, "sc0")->dead && ld_find_layer(n, "split0")->dead);
  ck_assert(ld_find_layer(n, "drop0")->dead && ld_find_layer(n, "ip_bn")->dead);
  ck_assert_str_eq(ip->fused_names, "ip_bn+ip_relu");
  ck_assert(ip->fused_relu && sum->fused_relu);
  ck_assert(sum->bottom[0] == ld_find_layer(n, "prelu0")->top[0]);
  ck_assert(sum->bottom[1] == ld_find_layer(n, "prelu0")->top[0]);
  ck_assert_str_eq(ps_blob_layer_name(n, ip->top[0]), "ip_relu");
  ar_free(&ar);
}
END_TEST

/* Without weights, info --passes still restructures (no numbers). */
START_TEST(test_no_weights) {
  Arena ar = {0};
  Diag dg;
  diag_init(&dg, stderr);
  Net *n = ld_load("tests/nets/cg_conv.prototxt", NULL, &ar, &dg);
  ck_assert(n != NULL);
  PsLog lg;
  ps_log_init(&lg, &ar);
  ps_run(n, &lg);
  ck_assert_str_eq(lg.line[0], "fold: bn1+scale1 into conv1");
  ar_free(&ar);
}
END_TEST

/* ---- shared models ---- */

static const char *shared_dir(void) {
  static char buf[4096];
  const char *env = getenv("CHAI_SHARED");
  const char *cands[] = {env, "../shared", CHAI_SOURCE_DIR "/../shared"};
  for (int i = 0; i < 3; i++) {
    if (!cands[i]) continue;
    snprintf(buf, sizeof buf, "%s/models", cands[i]);
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) return buf;
  }
  return NULL;
}

START_TEST(test_shared_models) {
  const char *dir = shared_dir();
  if (!dir) {
    printf("test_passes: skip: ../shared/models not found\n");
    return;
  }
  DIR *d = opendir(dir);
  struct dirent *e;
  int checked = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char p[4600], w[4600], x[4600], err[256];
    snprintf(p, sizeof p, "%s/%s/deploy.prototxt", dir, e->d_name);
    snprintf(w, sizeof w, "%s/%s/weights.caffemodel", dir, e->d_name);
    snprintf(x, sizeof x, "%s/%s/ref/input.npy", dir, e->d_name);
    Arena ar = {0};
    Diag dg;
    diag_init(&dg, stderr);
    Net *a = ld_load(p, w, &ar, &dg), *b = ld_load(p, w, &ar, &dg);
    ck_assert_msg(a && b, "%s: load failed", e->d_name);
    float *in = NULL;
    int nd;
    int64_t s[RT_NPY_MAXDIM];
    ck_assert_msg(rt_npy_read(x, &in, &nd, s, err, sizeof err) == 0, "%s", err);
    if (s[0] != a->inputs[0]->shape.d[0]) {
      ld_set_batch(a, (int)s[0]);
      ld_set_batch(b, (int)s[0]);
    }
    PsLog lg;
    ps_log_init(&lg, &ar);
    ps_run(b, &lg);
    float **ra = run_net(a, in), **rb = run_net(b, in);
    PsPlan plan;
    ps_plan(b, &plan);
    float **rp = run_planned(b, &plan, in);
    /* retinaface's many folded BatchNorms round differently */
    double tol = strstr(e->d_name, "retinaface") ? 3e-5 : 1e-5;
    for (int i = 0; i < a->noutput; i++) {
      int64_t c = rt_shape_count(&a->outputs[i]->shape);
      if (a->outputs[i]->producer && a->outputs[i]->producer->kind == LK_DETOUT) continue;
      double r = rel_diff(ra[i], rb[i], c);
      ck_assert_msg(r <= tol, "%s output %s: %g relative", e->d_name, a->outputs[i]->name, r);
      ck_assert_msg(rel_diff(rb[i], rp[i], c) == 0, "%s: planned replay differs", e->d_name);
    }
    free_outs(ra, a->noutput);
    free_outs(rb, b->noutput);
    free_outs(rp, b->noutput);
    free(in);
    ld_cleanup(); /* the models live in the arena */
    ar_free(&ar);
    checked++;
  }
  closedir(d);
  printf("test_passes: %d shared models agree with and without passes\n", checked);
}
END_TEST

/* ---- SHA-256 ---- */

START_TEST(test_sha256) {
  char h[65];
  sha_hex("", 0, h);
  ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_hex("abc", 3, h);
  ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha_hex(m, strlen(m), h);
  ck_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  ShaCtx c;
  uint8_t d[32];
  char a[1000];
  memset(a, 'a', sizeof a);
  sha_init(&c);
  for (int i = 0; i < 1000; i++) sha_update(&c, a, sizeof a);
  sha_final(&c, d);
  static const uint8_t want[32] = {0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
                                   0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
                                   0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
  ck_assert(memcmp(d, want, 32) == 0); /* a million 'a' */
}
END_TEST

/* ---- Lua host ---- */

static char tdir[256];
static void put(const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", tdir, name);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
}

START_TEST(test_lua_host) {
  snprintf(tdir, sizeof tdir, "/tmp/chai_lh_%ld", (long)getpid());
  mkdir(tdir, 0777);
  char sub[300];
  snprintf(sub, sizeof sub, "%s/c", tdir);
  mkdir(sub, 0777);
  put("c/ok.lua", "local lib = import('c/lib2')\n"
                  "function render(t)\n  local s = {}\n"
                  "  for _, x in ipairs(t.items) do s[#s + 1] = x.name .. '=' .. x.v end\n"
                  "  return lib.hello(t.name) .. ' ' .. t.n .. ' ' .. table.concat(s, ',')"
                  " .. ' ' .. #t.dims .. tostring(t.flag)\nend\n");
  put("c/lib2.lua", "function hello(n) return 'hi ' .. n end\n");
  put("c/syntax.lua", "function render(t)\n  return 'x' +\nend\n");
  put("c/runtime.lua", "function render(t)\n\n  return t.nothing.field\nend\n");
  put("c/noio.lua", "function render(t) return io.open('x') end\n");
  setenv("CHAI_TEMPLATE_DIR", tdir, 1);
  Arena ar = {0};
  FILE *errf = tmpfile();
  Diag dg;
  diag_init(&dg, errf);
  LhHost *h = lh_open(&dg);
  lh_begin(h);
  lh_set_str(h, "name", "net");
  lh_set_int(h, "n", 3);
  lh_set_bool(h, "flag", true);
  int64_t dims[] = {1, 2, 3};
  lh_set_ints(h, "dims", dims, 3);
  lh_list_begin(h, "items");
  for (int i = 0; i < 2; i++) {
    lh_item_begin(h);
    lh_set_str(h, "name", i ? "b" : "a");
    lh_set_int(h, "v", i);
    lh_item_end(h);
  }
  lh_list_end(h);
  char *s = lh_render(h, "c/ok", &ar);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, "hi net 3 a=0,b=1 3true");
  const char *bad[] = {"c/syntax", "c/runtime", "c/missing", "c/noio"};
  for (int i = 0; i < 4; i++) {
    lh_begin(h);
    ck_assert_ptr_null(lh_render(h, bad[i], &ar));
  }
  ck_assert_int_eq(dg.nerrors, 4);
  char log[4096] = {0};
  rewind(errf);
  size_t r = fread(log, 1, sizeof log - 1, errf);
  log[r] = 0;
  ck_assert_msg(strstr(log, "c/syntax.lua:3:") != NULL, "%s", log);
  ck_assert_msg(strstr(log, "c/runtime.lua:3:") != NULL, "%s", log);
  ck_assert_msg(strstr(log, "c/missing") != NULL, "%s", log);
  lh_close(h);
  unsetenv("CHAI_TEMPLATE_DIR");
  /* the embedded templates are found without the variable */
  h = lh_open(&dg);
  ck_assert_ptr_nonnull(lh_file("templates/c/conv.lua"));
  ck_assert_ptr_nonnull(lh_file("runtime/rt_layers.h"));
  lh_close(h);
  fclose(errf);
  ar_free(&ar);
}
END_TEST

int main(void) {
  Suite *s = suite_create("passes");
  TCase *tc = tcase_create("passes");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_golden_conv);
  tcase_add_test(tc, test_golden_misc);
  tcase_add_test(tc, test_golden_bnseg);
  tcase_add_test(tc, test_structure);
  tcase_add_test(tc, test_no_weights);
  tcase_add_test(tc, test_shared_models);
  tcase_add_test(tc, test_sha256);
  tcase_add_test(tc, test_lua_host);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
