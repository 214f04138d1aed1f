/* test_e2e_shared.c - every model in ../shared/models loads and every layer
 * that has an OpenCV reference agrees with it within 1e-4 relative to the
 * largest magnitude of the blob (DetectionOutput compared as a set of
 * boxes).  Skips with a message when ../shared is absent. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "interp.h"
#include "loader.h"
#include "rt_npy.h"
#include "shared_path.h"

#define RTOL 1e-4

/* OpenCV pads DetectionOutput to keep_top_k rows of zeros: not boxes. */
static int real_rows(const float *a, int n) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int zero = 1;
    for (int j = 0; j < 7; j++) zero &= a[i * 7 + j] == 0.0f;
    k += !zero;
  }
  return k;
}

/* Boxes as sets: every real row of a has a row of b within tol, and both
 * have the same number of real rows (zero padding rows are ignored). */
static int boxes_match(const float *a, int na, const float *b, int nb, double tol) {
  if (real_rows(a, na) != real_rows(b, nb)) return 0;
  na = real_rows(a, na);
  char *used = calloc((size_t)nb + 1, 1);
  int ok = 1;
  for (int i = 0; i < na && ok; i++) {
    int found = 0;
    for (int j = 0; j < nb && !found; j++) {
      if (used[j]) continue;
      int same = 1;
      for (int k = 0; k < 7; k++)
        if (fabs(a[i * 7 + k] - b[j * 7 + k]) > tol) same = 0;
      if (same) used[j] = 1, found = 1;
    }
    ok = found;
  }
  free(used);
  return ok;
}

static int check_model(const char *dir, int *ncompared) {
  char proto[8800], weights[8800], path[8800], err[512];
  snprintf(proto, sizeof proto, "%s/deploy.prototxt", dir);
  snprintf(weights, sizeof weights, "%s/weights.caffemodel", dir);
  Arena ar = {0};
  Diag dg;
  diag_init(&dg, stderr);
  Net *n = ld_load(proto, weights, &ar, &dg);
  ck_assert_msg(n != NULL, "%s does not load", dir);
  float *x = NULL;
  int nd = 0;
  int64_t s[8];
  snprintf(path, sizeof path, "%s/ref/input.npy", dir);
  ck_assert_msg(rt_npy_read(path, &x, &nd, s, err, sizeof err) == 0, "%s", err);
  ck_assert_int_eq(n->ninput, 1);
  if (s[0] != n->inputs[0]->shape.d[0]) ck_assert_int_eq(ld_set_batch(n, (int)s[0]), 0);
  ck_assert_int_eq((int)rt_shape_count(&n->inputs[0]->shape),
                   (int)(s[0] * s[1] * s[2] * s[3]));
  Interp in;
  ck_assert_int_eq(in_init(&in, n), 0);
  in_set_input(&in, 0, x);
  free(x);
  in_run(&in);
  int bad = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (l->ntop == 0 || l->kind == LK_INPUT) continue;
    char name[1024];
    dump_sanitize(l->name, name, sizeof name);
    snprintf(path, sizeof path, "%s/ref/%s.npy", dir, name);
    float *r = NULL;
    int rnd = 0;
    int64_t rs[8];
    if (rt_npy_read(path, &r, &rnd, rs, err, sizeof err)) continue; /* no ref kept */
    const rt_shape *ms = in_shape(&in, l->top[0]);
    const float *m = in_blob(&in, l->top[0]);
    int64_t rc = 1;
    for (int k = 0; k < rnd; k++) rc *= rs[k];
    if (l->kind == LK_DETOUT) {
      int na = (int)(rt_shape_count(ms) / 7), nb = (int)(rc / 7);
      if (!boxes_match(m, na, r, nb, 1e-4)) {
        fprintf(stderr, "%s: layer %s: %d boxes vs %d reference boxes differ\n", dir,
                l->name, na, nb);
        bad++;
      }
    } else if (rc != rt_shape_count(ms)) {
      fprintf(stderr, "%s: layer %s: %lld values vs %lld in the reference\n", dir,
              l->name, (long long)rt_shape_count(ms), (long long)rc);
      bad++;
    } else {
      double mx = 0, md = 0;
      for (int64_t k = 0; k < rc; k++) {
        mx = fmax(mx, fabs(r[k]));
        md = fmax(md, fabs((double)r[k] - m[k]));
      }
      if (md > RTOL * (mx > 0 ? mx : 1)) {
        fprintf(stderr, "%s: layer %s (%s): max diff %g, max |ref| %g\n", dir, l->name,
                l->type, md, mx);
        bad++;
      }
    }
    (*ncompared)++;
    free(r);
  }
  in_free(&in);
  ld_cleanup();
  ar_free(&ar);
  return bad;
}

START_TEST(test_shared_models) {
  const char *sh = shared_dir();
  if (!sh) return;
  char models[4200];
  snprintf(models, sizeof models, "%s/models", sh);
  DIR *d = opendir(models);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  char *names[256];
  int nm = 0;
  while ((e = readdir(d)) && nm < 256)
    if (e->d_name[0] != '.') names[nm++] = strdup(e->d_name);
  closedir(d);
  int bad = 0, total = 0;
  for (int i = 0; i < nm; i++) {
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", models, names[i]);
    int nc = 0;
    int b = check_model(dir, &nc);
    printf("%-28s %3d layers compared, %d differ\n", names[i], nc, b);
    ck_assert_msg(nc > 0, "%s: no layer compared", names[i]);
    bad += b;
    total += nc;
    free(names[i]);
  }
  printf("%d layers compared over %d models\n", total, nm);
  ck_assert_int_eq(bad, 0);
}
END_TEST

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  Suite *s = suite_create("e2e_shared");
  TCase *tc = tcase_create("models");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_shared_models);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? 1 : 0;
}
