/* cmd_compare.c - `chaicc compare A B [--rtol R]`: compares two .npy files,
 * or every .npy of directory A with the same name in directory B (as written
 * by `chaicc run -o` and generated programs).  Values agree when
 * |a - b| <= rtol * max|a| over the tensor.  Detection rows (the output of
 * a LKF_DETROWS kind such as DetectionOutput, named so in A's manifest.json,
 * or any N x 7 table with --boxes) are compared as sets of rows, since the
 * order of equal scores may differ.  Every line also gives B's fidelity to
 * A (fidelity.h): cosine, SQNR, or for detection rows recall and
 * precision. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../runtime/rt_npy.h"
#include "cli.h"
#include "diag.h"
#include "fidelity.h"
#include "ir.h"

static void usage(FILE *f) {
  fprintf(f, "usage: chaicc compare A B [--rtol R] [--boxes] [--iou T] [--min-score S]\n"
             "  A and B are .npy files or directories of them (every A/*.npy is\n"
             "  compared with B/*.npy).  Default rtol 1e-5, relative to the\n"
             "  largest magnitude in A's tensor.  Each line also gives B's fidelity\n"
             "  to A: cosine, SQNR (dB) and max abs error; for detection rows, the\n"
             "  recall and precision of B's boxes matched to A's (same image and\n"
             "  label, IoU >= T, default 0.5; rows with score >= S, default 0).\n"
             "  Exit 0 when all agree within rtol, 1 if not.\n");
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Rows of 7 compared as sets: every row of a matches a distinct row of b. */
static int cmp_boxes(const float *a, const float *b, int64_t rows, float tol) {
  char *used = calloc((size_t)(rows > 0 ? rows : 1), 1);
  if (!used) abort();
  int bad = 0;
  for (int64_t i = 0; i < rows && !bad; i++) {
    int64_t hit = -1;
    for (int64_t j = 0; j < rows && hit < 0; j++) {
      if (used[j]) continue;
      int ok = 1;
      for (int k = 0; k < 7 && ok; k++) ok = fabsf(a[i * 7 + k] - b[j * 7 + k]) <= tol;
      if (ok) hit = j;
    }
    if (hit < 0) bad = (int)i + 1;
    else used[hit] = 1;
  }
  free(used);
  return bad;
}

/* What each file comparison applies. */
typedef struct CmpOpts {
  double rtol, iou, min_score;
  int boxes;
} CmpOpts;

/* 0 when the files agree; prints one line either way, with B's fidelity
 * to A (fidelity.h). */
static int cmp_file(const char *pa, const char *pb, const CmpOpts *o, int boxes) {
  float *a = NULL, *b = NULL;
  int na = 0, nbd = 0, rc = 1;
  int64_t sa[RT_NPY_MAXDIM], sb[RT_NPY_MAXDIM];
  char err[512], line[512];
  if (rt_npy_read(pa, &a, &na, sa, err, sizeof err) ||
      rt_npy_read(pb, &b, &nbd, sb, err, sizeof err)) {
    diag_error(&chai_diag, SRCLOC_NONE, "%s", err);
    goto out;
  }
  int64_t cnt = 1, cntb = 1;
  int same = na == nbd;
  for (int k = 0; k < na && same; k++) same = sa[k] == sb[k];
  for (int k = 0; k < na; k++) cnt *= sa[k];
  for (int k = 0; k < nbd; k++) cntb *= sb[k];
  double mx = 0, worst = 0;
  int64_t at = 0;
  for (int64_t i = 0; i < cnt; i++)
    if (fabs(a[i]) > mx) mx = fabs(a[i]);
  float tol = (float)(o->rtol * (mx > 0 ? mx : 1));
  if (boxes && na >= 1 && sa[na - 1] == 7 && nbd >= 1 && sb[nbd - 1] == 7) {
    /* detection rows: the counts may differ; equal as sets only if not */
    int bad = same ? cmp_boxes(a, b, cnt / 7, tol) : 1;
    FdOut fo;
    fd_out_init(&fo, true, o->iou, o->min_score);
    fd_out_add(&fo, a, cnt, b, cntb);
    printf("%s  %s: %lld boxes as a set%s; %s\n", bad ? "DIFF" : "ok  ", pa, (long long)(cnt / 7),
           !same ? " (row counts differ)" : bad ? " (a row has no match)" : "",
           fd_out_str(&fo, line, sizeof line));
    rc = bad ? 1 : 0;
    goto out;
  }
  if (!same) {
    printf("DIFF  %s: shapes differ\n", pa);
    goto out;
  }
  for (int64_t i = 0; i < cnt; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (d > worst || d != d) worst = d, at = i;
  }
  FdOut fo;
  fd_out_init(&fo, false, o->iou, o->min_score);
  fd_out_add(&fo, a, cnt, b, cnt);
  rc = !(worst <= tol);
  printf("%s  %s: max |diff| %.3g at %lld (%.3g relative); %s\n", rc ? "DIFF" : "ok  ", pa,
         worst, (long long)at, worst / (mx > 0 ? mx : 1), fd_out_str(&fo, line, sizeof line));
out:
  free(a);
  free(b);
  return rc;
}

/* True if A's manifest.json names file as the output of a kind that writes
 * detection rows (LKF_DETROWS: DetectionOutput, Yolov3DetectionOutput). */
static int manifest_boxes(const char *dir, const char *file) {
  char path[4096], line[8192], pat[1200];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  snprintf(pat, sizeof pat, "\"file\": \"%s\"", file);
  FILE *f = fopen(path, "r");
  int yes = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    const char *t = strstr(line, "\"type\": \"");
    char type[256];
    if (!strstr(line, pat) || !t || sscanf(t + 9, "%255[^\"]", type) != 1) continue;
    int k = lk_from_type(type);
    if (k >= 0 && lk_is((LayerKind)k, LKF_DETROWS)) yes = 1;
  }
  fclose(f);
  return yes;
}

static int cmp_name(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* A value of flag argv[i] in lo..hi into *v; -1 after reporting. */
static int num_arg(const char *flag, const char *s, double lo, double hi, double *v) {
  char *e;
  *v = strtod(s, &e);
  if (e == s || *e || !(*v >= lo && *v <= hi)) {
    fprintf(stderr, "chaicc compare: error: bad %s '%s'\n", flag, s);
    return -1;
  }
  return 0;
}

int cmd_compare(int argc, char **argv) {
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  CmpOpts o = {1e-5, 0.5, 0, 0};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--rtol") && i + 1 < argc) {
      if (num_arg("--rtol", argv[++i], 0, INFINITY, &o.rtol)) return 2;
    } else if (!strcmp(argv[i], "--iou") && i + 1 < argc) {
      if (num_arg("--iou", argv[++i], 0, 1, &o.iou)) return 2;
    } else if (!strcmp(argv[i], "--min-score") && i + 1 < argc) {
      if (num_arg("--min-score", argv[++i], 0, 1, &o.min_score)) return 2;
    } else if (!strcmp(argv[i], "--boxes")) {
      o.boxes = 1;
    } else if (argv[i][0] == '-' || npos == 2) {
      fprintf(stderr, "chaicc compare: error: unexpected argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    } else {
      pos[npos++] = argv[i];
    }
  }
  if (npos != 2) {
    usage(stderr);
    return 2;
  }
  if (!is_dir(pos[0])) return cmp_file(pos[0], pos[1], &o, o.boxes) ? 1 : cli_status();
  DIR *d = opendir(pos[0]);
  if (!d) {
    diag_error(&chai_diag, (SrcLoc){pos[0], 0, 0}, "cannot read directory");
    return 1;
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len > 4 && !strcmp(e->d_name + len - 4, ".npy")) {
      names = realloc(names, (n + 1) * sizeof *names);
      names[n++] = strdup(e->d_name);
    }
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_name);
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s/%s", pos[0], names[i]);
    snprintf(pb, sizeof pb, "%s/%s", pos[1], names[i]);
    bad |= cmp_file(pa, pb, &o, o.boxes || manifest_boxes(pos[0], names[i]));
    free(names[i]);
  }
  free(names);
  if (n == 0) {
    diag_error(&chai_diag, (SrcLoc){pos[0], 0, 0}, "no .npy files to compare");
    return 1;
  }
  return bad ? 1 : cli_status();
}
