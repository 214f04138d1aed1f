/* cmd_quantize.c - `chaicc quantize`: XportDNN's command line.  Calibrates
 * a float Caffe net on images and writes the CHai prototxt (the input
 * prototxt plus precision_param blocks), optionally an HTML report.
 * docs/quantization.md describes the flags and every rule. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/rt_fixed.h"
#include "calib.h"
#include "calib_auto.h"
#include "calib_bc.h"
#include "cli.h"
#include "fidelity.h"
#include "interp.h"
#include "loader.h"
#include "prep.h"
#include "qsim.h"
#include "quant.h"
#include "train.h"

static void usage(FILE *f) {
  fprintf(f,
    "usage: chaicc quantize --deploy_model D --weights W --quantized_deploy_model OUT [options]\n"
    "XportDNN's flags (dashes or underscores, `--flag value` or `--flag=value`):\n"
    "  --quant_type Xilinx|DynamicFixed   default Xilinx\n"
    "  --bitwidths IN,PARAMS,OUT          default 6,6,6\n"
    "  --input_shape N,C,H,W              input shape of a training prototxt (chaicc)\n"
    "  --stage S --level N                its NetState for include/exclude rules (chaicc)\n"
    "  --fl_bitwidths IN,PARAMS,OUT|auto  DynamicFixed only; default 2,5,2\n"
    "  --calibration_directory DIR        images (JPEG, PNG, PGM/PPM) or .npy tensors,\n"
    "                                     taken in sorted name order\n"
    "  --calibration_size N               default 8\n"
    "  --dims 3,224,224 --transpose 2,0,1 --channel_swap 2,1,0 --raw_scale 255.0\n"
    "  --mean_value 104,117,123 --input_scale 1.0 --mean_file F   preprocessing\n"
    "beyond XportDNN:\n"
    "  --calibration_method auto|entropy|mse|max|percentile   output thresholds (default\n"
    "                                     auto: Xilinx, the method, then per tensor the\n"
    "                                     candidate, with the least error at the net outputs)\n"
    "  --auto_sims N|auto                 auto: simulations for the per-tensor search after\n"
    "                                     the per-net choice (0 = per net only; default auto:\n"
    "                                     up to 12, fewer on large nets)\n"
    "  --weight_method max|mse            Xilinx weight thresholds per output channel\n"
    "                                     (default max)\n"
    "  --eltwise_threshold shared|separate  Xilinx Eltwise inputs: one threshold (the\n"
    "                                     largest of theirs) or each its own (default separate)\n"
    "  --fl_headroom auto|N               --fl_bitwidths auto: extra integer bits for\n"
    "                                     activations (0 = Ristretto's rule; default auto:\n"
    "                                     0 or 1 per tensor, the smaller squared error)\n"
    "  --percentile P                     for percentile (default 99.99)\n"
    "  --threads N                        calibration threads (default: online cores)\n"
    "  --report FILE.html                 per-layer table and histograms\n"
    "  --bias_correction on|off           Xilinx: subtract each Convolution's expected output\n"
    "                                     shift from weight quantization from its float bias\n"
    "                                     (default off); writes --quantized_weights\n"
    "  --equalize on|off                  cross-layer equalization of Convolution pairs\n"
    "                                     (depthwise -> pointwise; default off); writes\n"
    "                                     --quantized_weights\n"
    "  --quantized_weights FILE           the caffemodel with changed weights (default: OUT\n"
    "                                     with .caffemodel for .prototxt); OUT is pinned to\n"
    "                                     it: run, eval, compile refuse other weights\n");
}

/* --name / --na-me, with the value after '=' or in the next argument. */
static int flag(int argc, char **argv, int *i, const char *name,
                const char **val) {
  const char *a = argv[*i];
  if (a[0] != '-' || a[1] != '-') return 0;
  a += 2;
  size_t k = 0;
  for (; name[k]; k++) {
    char c = a[k] == '-' ? '_' : a[k];
    if (c != name[k]) return 0;
  }
  if (a[k] == '=') {
    *val = a + k + 1;
    return 1;
  }
  if (a[k] != 0) return 0;
  if (*i + 1 >= argc) {
    fprintf(stderr, "chaicc quantize: error: --%s needs a value\n", name);
    return -1;
  }
  *val = argv[++*i];
  return 1;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *e;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (errno || e == s || *e || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

/* "a,b,c" of ints in lo..hi. */
static int parse3(const char *s, int lo, int hi, int v[3]) {
  char buf[128];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  char *save = NULL, *t = strtok_r(buf, ",", &save);
  for (int k = 0; k < 3; k++, t = strtok_r(NULL, ",", &save))
    if (!t || parse_int(t, lo, hi, &v[k])) return -1;
  return t ? -1 : 0;
}

/* Parses argv[1..argc) into o (defaults first).  0 ok, 1 help printed,
 * 2 usage error (reported). */
int cb_parse_args(int argc, char **argv, CbCmdOpts *o) {
  memset(o, 0, sizeof *o);
  prep_defaults(&o->po);
  o->p.mode = QM_XILINX;
  o->p.bw_in = o->p.bw_params = o->p.bw_out = 6;
  o->p.fl_in = 2, o->p.fl_params = 5, o->p.fl_out = 2;
  o->p.fl_headroom = -1; /* auto */
  o->p.method = CB_AUTO;
  o->p.percentile = 99.99;
  o->auto_sims = -1; /* auto */
  o->calib_size = 8;
  long nc = sysconf(_SC_NPROCESSORS_ONLN);
  o->threads = nc > 0 ? (int)nc : 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    int r = prep_parse_flag(&o->po, argc, argv, &i, &chai_diag);
    if (r < 0) return 2;
    if (r > 0) continue;
    if ((r = tr_parse_flag(argc, argv, &i, &chai_diag)) != 0) {
      if (r < 0) return 2;
      continue;
    }
    int v3[3];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 1;
    }
#define F(name) ((r = flag(argc, argv, &i, name, &v)) != 0)
    if (F("quant_type")) {
      if (r < 0) return 2;
      if (!strcmp(v, "Xilinx")) o->p.mode = QM_XILINX;
      else if (!strcmp(v, "DynamicFixed")) o->p.mode = QM_DFIXED;
      else goto bad;
    } else if (F("deploy_model")) {
      if (r < 0) return 2;
      o->deploy = v;
    } else if (F("weights")) {
      if (r < 0) return 2;
      o->weights = v;
    } else if (F("quantized_deploy_model")) {
      if (r < 0) return 2;
      o->out = v;
    } else if (F("bitwidths")) {
      if (r < 0) return 2;
      if (parse3(v, RT_FX_MINBW, RT_FX_MAXBW, v3)) goto bad;
      o->p.bw_in = v3[0], o->p.bw_params = v3[1], o->p.bw_out = v3[2];
    } else if (F("fl_bitwidths")) {
      if (r < 0) return 2;
      if (!strcmp(v, "auto")) {
        o->p.fl_auto = true;
      } else {
        if (parse3(v, -64, 64, v3)) goto bad;
        o->p.fl_auto = false;
        o->p.fl_in = v3[0], o->p.fl_params = v3[1], o->p.fl_out = v3[2];
      }
    } else if (F("fl_headroom")) {
      if (r < 0) return 2;
      if (!strcmp(v, "auto")) o->p.fl_headroom = -1;
      else if (parse_int(v, 0, 16, &o->p.fl_headroom)) goto bad;
    } else if (F("calibration_directory")) {
      if (r < 0) return 2;
      o->calib_dir = v;
    } else if (F("calibration_size")) {
      if (r < 0) return 2;
      if (parse_int(v, 1, 1000000, &o->calib_size)) goto bad;
    } else if (F("calibration_method")) {
      if (r < 0) return 2;
      if (!strcmp(v, "auto")) o->p.method = CB_AUTO;
      else if (!strcmp(v, "entropy")) o->p.method = CB_ENTROPY;
      else if (!strcmp(v, "max")) o->p.method = CB_MAX;
      else if (!strcmp(v, "percentile")) o->p.method = CB_PERCENTILE;
      else if (!strcmp(v, "mse")) o->p.method = CB_MSE;
      else goto bad;
    } else if (F("weight_method")) {
      if (r < 0) return 2;
      if (!strcmp(v, "max")) o->p.wmethod = CB_WMAX;
      else if (!strcmp(v, "mse")) o->p.wmethod = CB_WMSE;
      else goto bad;
    } else if (F("eltwise_threshold")) {
      if (r < 0) return 2;
      if (!strcmp(v, "shared")) o->p.eltwise = CB_ELT_SHARED;
      else if (!strcmp(v, "separate")) o->p.eltwise = CB_ELT_SEPARATE;
      else goto bad;
    } else if (F("percentile")) {
      if (r < 0) return 2;
      char *e;
      double p = strtod(v, &e);
      if (e == v || *e || !(p > 0 && p <= 100)) goto bad;
      o->p.percentile = p;
    } else if (F("auto_sims")) {
      if (r < 0) return 2;
      if (!strcmp(v, "auto")) o->auto_sims = -1;
      else if (parse_int(v, 0, 100000, &o->auto_sims)) goto bad;
    } else if (F("threads")) {
      if (r < 0) return 2;
      if (parse_int(v, 1, 1024, &o->threads)) goto bad;
    } else if (F("bias_correction")) {
      if (r < 0) return 2;
      if (!strcmp(v, "on")) o->bias_corr = true;
      else if (!strcmp(v, "off")) o->bias_corr = false;
      else goto bad;
    } else if (F("equalize")) {
      if (r < 0) return 2;
      if (!strcmp(v, "on")) o->cle = true;
      else if (!strcmp(v, "off")) o->cle = false;
      else goto bad;
    } else if (F("quantized_weights")) {
      if (r < 0) return 2;
      o->qweights = v;
    } else if (F("report")) {
      if (r < 0) return 2;
      o->report = v;
    } else {
      fprintf(stderr, "chaicc quantize: error: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    }
#undef F
    continue;
  bad:
    fprintf(stderr, "chaicc quantize: error: bad value '%s' for %.*s\n", v,
            (int)strcspn(a, "="), a);
    return 2;
  }
  if (!o->deploy || !o->out) { /* --weights: optional without learned blobs */
    fprintf(stderr, "chaicc quantize: error: need --deploy_model, --weights "
                    "and --quantized_deploy_model\n");
    usage(stderr);
    return 2;
  }
  return 0;
}

/* ---- calibration images ---- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_input_file(const char *name) {
  static const char *const ext[] = {".npy", ".jpg", ".jpeg", ".png", ".pgm",
                                    ".ppm", ".pnm"};
  const char *dot = strrchr(name, '.');
  if (!dot || name[0] == '.') return false;
  for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++)
    if (!strcasecmp(dot, ext[k])) return true;
  return false;
}

/* Loads up to o->calib_size items (files in sorted name order, each .npy
 * may hold several) preprocessed for input shape s.  Returns the count
 * (>= 1) with *out malloc'ed, or -1 after reporting. */
static int load_images(CbCmdOpts *o, const rt_shape *s, float ***out) {
  DIR *d = opendir(o->calib_dir);
  if (!d) {
    diag_error(&chai_diag, (SrcLoc){o->calib_dir, 0, 0},
               "cannot open the calibration directory: %s", strerror(errno));
    return -1;
  }
  char **names = NULL;
  int nn = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!is_input_file(e->d_name)) continue;
    if (nn == cap) {
      cap = cap ? cap * 2 : 64;
      char **nw = realloc(names, (size_t)cap * sizeof *names);
      if (!nw) abort();
      names = nw;
    }
    names[nn++] = ar_printf(&chai_arena, "%s/%s", o->calib_dir, e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)nn, sizeof *names, cmp_str);
  int64_t per = rt_shape_count(s) / (s->nd && s->d[0] ? s->d[0] : 1);
  float **img = calloc((size_t)o->calib_size, sizeof *img);
  int n = 0;
  bool finished = false;
  for (int i = 0; i < nn && n < o->calib_size; i++) {
    int b = 1;
    /* image preprocessing flags are checked against the input once an
     * image (not a .npy tensor) is met */
    if (!finished && !prep_is_npy(names[i])) {
      if (prep_finish(&o->po, s, &chai_diag)) {
        for (int k = 0; k < n; k++) free(img[k]);
        free(img);
        free(names);
        return -1;
      }
      finished = true;
    }
    float *data = prep_load(&o->po, names[i], s, &b, &chai_diag);
    if (!data) {
      for (int k = 0; k < n; k++) free(img[k]);
      free(img);
      free(names);
      return -1;
    }
    for (int k = 0; k < b && n < o->calib_size; k++) {
      img[n] = malloc((size_t)per * sizeof(float));
      if (!img[n]) abort();
      memcpy(img[n++], data + k * per, (size_t)per * sizeof(float));
    }
    free(data);
  }
  free(names);
  if (n == 0) {
    diag_error(&chai_diag, (SrcLoc){o->calib_dir, 0, 0},
               "no calibration images (.npy, JPEG, PNG, PGM/PPM) in the directory");
    free(img);
    return -1;
  }
  if (n < o->calib_size)
    diag_warn(&chai_diag, (SrcLoc){o->calib_dir, 0, 0},
              "--calibration_size %d, but the directory holds only %d images",
              o->calib_size, n);
  *out = img;
  return n;
}

/* ---- report ---- */

static void html_esc(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

/* Inline SVG: histogram of |x| (log counts) with the output range marked. */
static void svg_hist(FILE *f, const CbBlob *b, double range) {
  enum { W = 512, H = 96, NB = 256 };
  fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"%d\" "
             "height=\"%d\" fill=\"#f6f6f6\"/>", W, H + 14, W, H + 14, W, H);
  if (b->hist && b->maxabs > 0) {
    uint64_t g[NB] = {0}, mx = 0;
    for (int k = 0; k < CB_NBINS; k++) g[k * NB / CB_NBINS] += b->hist[k];
    for (int k = 0; k < NB; k++)
      if (g[k] > mx) mx = g[k];
    fputs("<path fill=\"#4a78b5\" d=\"", f);
    for (int k = 0; k < NB; k++) {
      if (!g[k]) continue;
      int h = (int)lround(log1p((double)g[k]) / log1p((double)mx) * H);
      fprintf(f, "M%d %dh2v%dh-2z", k * 2, H - h, h);
    }
    fputs("\"/>", f);
    double x = range / b->maxabs * W;
    if (x > W - 1) x = W - 1;
    fprintf(f, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" "
               "stroke=\"#d62728\" stroke-width=\"2\"/>", x, x, H);
    fprintf(f, "<text x=\"2\" y=\"%d\" font-size=\"11\">0</text>"
               "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">"
               "max |x| %.6g</text>", H + 12, W - 2, H + 12, b->maxabs);
  }
  fputs("</svg>", f);
}

/* The method of the threshold of canonical blob id (Xilinx). */
static const char *blob_method(const CbCmdOpts *o, const CbaResult *ar, int id) {
  if (!ar) return cba_method_name(cb_method(&o->p));
  return cba_method_name(ar->blob_method[id] >= 0 ? (CbMethod)ar->blob_method[id] : ar->net_method);
}

/* The HTML report; ar: what auto chose, or NULL for an explicit method. */
static int write_report(const CbCmdOpts *o, Net *n, const CbStats *st, const Net *qnet,
                        const FdOut *fo, const CbaResult *ar) {
  char *tmp = ar_printf(&chai_arena, "%s.tmpXXXXXX", o->report);
  int fd = mkstemp(tmp);
  if (fd >= 0) { /* mkstemp makes 0600: give the usual 0666 & ~umask */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
  }
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    diag_error(&chai_diag, (SrcLoc){o->report, 0, 0}, "cannot write: %s",
               strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  Layer **cons = cb_consumers(n);
  fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>chaicc "
        "quantize report</title><style>body{font-family:sans-serif;margin:1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
        "font-size:13px;text-align:right}td.l{text-align:left}</style></head><body>\n", f);
  fputs("<h1>Quantization report</h1>\n<p>Network <b>", f);
  html_esc(f, n->name);
  fputs("</b> (", f);
  html_esc(f, o->deploy);
  fprintf(f, "), mode <b>%s</b>, bit widths %d,%d,%d, %d calibration images",
          qt_mode_name(o->p.mode), o->p.bw_in, o->p.bw_params, o->p.bw_out,
          st->nimg);
  if (o->p.mode == QM_XILINX && ar) {
    fprintf(f, ", output thresholds by <b>auto</b>: %s for the net (error at the "
               "outputs, mean noise/signal power:", cba_method_name(ar->net_method));
    for (int k = 0; k < 4; k++)
      if (ar->err_method[k] >= 0)
        fprintf(f, " %s %.4g", cba_method_name((CbMethod)k), ar->err_method[k]);
    fprintf(f, "), then %d of %d tensors tried changed (%d simulations), error %.4g; "
               "the column <i>threshold by</i> gives each tensor's candidate",
            ar->nchanged, ar->ntried, ar->nsim, ar->err);
  } else if (o->p.mode == QM_XILINX)
    fprintf(f, ", output thresholds by <b>%s</b>", cba_method_name(cb_method(&o->p)));
  else
    fprintf(f, ", fractional lengths %s", o->p.fl_auto ? "by the Ristretto rule (auto)" : "from --fl_bitwidths");
  fputs(".</p>\n<p>SQNR: 10 log10(sum x&sup2; / sum (x - deq(q(x)))&sup2;) of each layer's "
        "output blob (float reference) against its quantize-dequantize round trip "
        "over the calibration set; saturation: share of values beyond the largest code.</p>\n", f);
  fputs("<table><tr><th>layer</th><th>type</th><th>bw in/params/out</th>", f);
  fputs(o->p.mode == QM_XILINX ? "<th>th_in</th><th>th_out</th><th>threshold by</th>"
                                 "<th>th_params min..max</th>"
                               : "<th>fl_in</th><th>fl_out</th><th>fl_params</th>", f);
  fputs("<th>max |x|</th><th>SQNR dB</th><th>saturated</th></tr>\n", f);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    const LayerQuant *q = l->q;
    if (!q) continue;
    const CbBlob *b = &st->blob[cb_canon(l->top[0], cons)->id];
    fprintf(f, "<tr><td class=\"l\"><a href=\"#l%d\">", i);
    html_esc(f, l->name);
    fputs("</a></td><td class=\"l\">", f);
    html_esc(f, l->type);
    fprintf(f, "</td><td>%d/%s%d/%d</td>", q->bw_in, "", q->bw_params, q->bw_out);
    if (q->mode == QM_XILINX) {
      fprintf(f, "<td>%.6g</td><td>%.6g</td><td class=\"l\">%s</td>", (double)q->th_in,
              (double)q->th_out,
              lk_is(l->kind, LKF_SOURCE) ? "max" : blob_method(o, ar, cb_canon(l->top[0], cons)->id));
      if (q->nth) {
        float lo = q->th_params[0], hi = lo;
        for (int c = 1; c < q->nth; c++) {
          if (q->th_params[c] < lo) lo = q->th_params[c];
          if (q->th_params[c] > hi) hi = q->th_params[c];
        }
        fprintf(f, "<td>%.4g..%.4g (%d)</td>", (double)lo, (double)hi, q->nth);
      } else {
        fputs("<td>-</td>", f);
      }
    } else {
      fprintf(f, "<td>%d</td><td>%d</td>", q->fl_in, q->fl_out);
      if (q->bw_params) fprintf(f, "<td>%d</td>", q->fl_params);
      else fputs("<td>-</td>", f);
    }
    double sq = b->noise > 0 ? 10 * log10(b->sig / b->noise) : INFINITY;
    fprintf(f, "<td>%.6g</td>", b->maxabs);
    if (isinf(sq)) fputs("<td>inf</td>", f);
    else fprintf(f, "<td>%.2f</td>", sq);
    fprintf(f, "<td>%.4f%%</td></tr>\n",
            b->count ? 100.0 * (double)b->sat / (double)b->count : 0.0);
  }
  fputs("</table>\n<h2>Net outputs against float</h2>\n", f);
  if (fo) {
    char line[512];
    fprintf(f, "<p>The written prototxt run by the fixed-point simulator (as `chaicc run` "
               "runs it) against the float net, over the %d calibration images: cosine, "
               "SQNR and max abs error of each output; for detection outputs the "
               "recall and precision of its boxes matched to the float boxes.</p>\n"
               "<table><tr><th>output</th><th>fidelity</th></tr>\n", st->nimg);
    for (int i = 0; i < qnet->noutput; i++) {
      fputs("<tr><td class=\"l\">", f);
      html_esc(f, qnet->outputs[i]->name);
      fputs("</td><td class=\"l\">", f);
      html_esc(f, fd_out_str(&fo[i], line, sizeof line));
      fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
  } else {
    fputs("<p>Not measured: the written prototxt does not run in the simulator.</p>\n", f);
  }
  fputs("<h2>Output histograms</h2>\n<p>|x| of each layer's output "
        "over the calibration set, log counts; the red line is the largest "
        "representable value.</p>\n", f);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!l->q) continue;
    const CbBlob *b = &st->blob[cb_canon(l->top[0], cons)->id];
    fprintf(f, "<h3 id=\"l%d\">", i);
    html_esc(f, l->name);
    fprintf(f, " <small>range %.6g</small></h3>\n", cb_out_range(l->q));
    svg_hist(f, b, cb_out_range(l->q));
    fputc('\n', f);
  }
  fputs("</body></html>\n", f);
  if (fclose(f) != 0 || rename(tmp, o->report) != 0) {
    diag_error(&chai_diag, (SrcLoc){o->report, 0, 0}, "cannot write: %s",
               strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
}

/* ---- the command ---- */

/* --equalize, then --bias_correction: changes n's float weights
 * (calib_bc.h) and, when any changed, writes them to --quantized_weights (default OUT with
 * .caffemodel for .prototxt) and makes that file o->weights for the rest
 * of the command. */
static int correct_weights(CbCmdOpts *o, Net *n, float *const *img, int nimg) {
  int nc = 0, np = 0;
  if (o->cle) {
    cle_equalize(n, &np);
    fprintf(stderr, "chaicc quantize: equalization: %d convolution pairs\n", np);
  }
  if (o->bias_corr && cbc_correct(n, img, nimg, &o->p, &nc)) {
    diag_error(&chai_diag, (SrcLoc){n->file, 0, 0},
               "--bias_correction: the float net does not run on the calibration inputs");
    return -1;
  }
  if (o->bias_corr)
    fprintf(stderr, "chaicc quantize: bias correction: %d convolutions corrected\n", nc);
  if (np + nc == 0) { /* nothing changed: OUT goes with the input weights */
    fprintf(stderr, "chaicc quantize: no weights changed; no caffemodel written\n");
    return 0;
  }
  if (!o->qweights) {
    size_t k = strlen(o->out);
    if (k > 9 && !strcmp(o->out + k - 9, ".prototxt")) k -= 9;
    o->qweights = ar_printf(&chai_arena, "%.*s.caffemodel", (int)k, o->out);
  }
  if (cm_write_weights(n, o->qweights, &chai_diag)) return -1;
  fprintf(stderr, "chaicc quantize: weights written to %s\n", o->qweights);
  o->pin = qt_pin_header(&chai_arena, o->qweights, o->weights, &chai_diag);
  if (!o->pin) return -1;
  o->weights = o->qweights;
  return 0;
}

int cmd_quantize(int argc, char **argv) {
  CbCmdOpts o;
  int r = cb_parse_args(argc, argv, &o);
  if (r) return r == 1 ? 0 : 2;
  /* a CHai prototxt given here gets new thresholds, whatever weights its
   * pin names; the files quantize reads back are its own */
  const LdOpts own = {.no_pin_check = true};
  Net *n = ld_load_opts(o.deploy, o.weights, &own, &chai_arena, &chai_diag);
  if (!n || (!o.weights && ld_check_weightless(n))) return 1;
  prep_use_net(&o.po, n);
  bool need_stats = o.p.mode == QM_XILINX || o.p.fl_auto || o.report;
  if (need_stats && !o.calib_dir) {
    fprintf(stderr, "chaicc quantize: error: %s needs --calibration_directory\n",
            o.p.mode == QM_XILINX ? "Xilinx mode" : o.p.fl_auto ? "--fl_bitwidths auto" : "--report");
    return 2;
  }
  int rc = 0;
  CbStats st = {0};
  CbaRef ref = {0};
  CbaResult ares = {0};
  float **img = NULL;
  int nimg = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (n->layers[i]->q) {
      diag_note(&chai_diag, n->layers[i]->q->loc,
                "the input already has precision blocks; they are replaced");
      break;
    }
  CbRun run = {o.threads, false, isatty(2) != 0};
  bool autom = o.p.mode == QM_XILINX && o.p.method == CB_AUTO;
  if (need_stats) {
    if (n->ninput != 1) {
      diag_error(&chai_diag, (SrcLoc){n->file, 0, 0},
                 "calibration needs a net with one input; this one has %d", n->ninput);
      rc = 1;
      goto done;
    }
    if (n->inputs[0]->shape.nd > 0 && n->inputs[0]->shape.d[0] != 1 &&
        ld_set_batch(n, 1)) {
      rc = 1;
      goto done;
    }
    rt_shape s = n->inputs[0]->shape;
    nimg = load_images(&o, &s, &img);
    if (nimg < 0) {
      rc = 1;
      goto done;
    }
    /* the float outputs on the calibration items: auto's and the report's
     * reference, from the input weights (before --bias_correction) */
    if ((autom || o.report) && cba_ref_init(&ref, n, img, nimg) && autom) {
      diag_error(&chai_diag, (SrcLoc){n->file, 0, 0},
                 "--calibration_method auto: the float net does not run on the calibration inputs");
      rc = 1;
      goto done;
    }
    if ((o.bias_corr || o.cle) && o.p.mode != QM_XILINX)
      fprintf(stderr, "chaicc quantize: note: --equalize and --bias_correction apply to "
                      "Xilinx mode only; ignored\n");
    if ((o.bias_corr || o.cle) && o.p.mode == QM_XILINX && correct_weights(&o, n, img, nimg)) {
      rc = 1;
      goto done;
    }
    run.hist = (o.p.mode == QM_XILINX && o.p.method != CB_MAX) ||
               (o.p.fl_auto && o.p.fl_headroom < 0) || o.report;
    if (cb_collect(n, img, nimg, &run, &st)) {
      rc = 1;
      goto done;
    }
  }
  o.p.threads = o.threads;
  if (autom) {
    tr_input_shape = (TrShape){0}; /* the candidates are in deploy form */
    char *tmp = ar_printf(&chai_arena, "%s.autoXXXXXX", o.out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
      diag_error(&chai_diag, (SrcLoc){o.out, 0, 0}, "cannot write: %s", strerror(errno));
      rc = 1;
      goto done;
    }
    close(fd);
    if (cba_choose(n, &st, &o.p, o.weights, &ref, img, tmp, o.auto_sims < 0 ? cba_default_sims(n, nimg) : o.auto_sims,
                   &ares)) {
      rc = 1;
      goto done;
    }
    fprintf(stderr, "chaicc quantize: calibration auto: %s for the net (error at the outputs:",
            cba_method_name(ares.net_method));
    for (int k = 0; k < 4; k++)
      if (ares.err_method[k] >= 0)
        fprintf(stderr, " %s %.4g", cba_method_name((CbMethod)k), ares.err_method[k]);
    fprintf(stderr, "), then %d of %d tensors tried changed (%d simulations): error %.4g\n",
            ares.nchanged, ares.ntried, ares.nsim, ares.err);
  } else if (cb_assign(n, need_stats ? &st : NULL, &o.p)) {
    rc = 1;
    goto done;
  }
  /* What the output must satisfy when read back (quant.c's rules). */
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    const LayerQuant *q = l->q;
    if (!q || l->place != PL_HW) continue;
    int bad = (q->bw_in != 6 && q->bw_in != 8) || (q->bw_out != 6 && q->bw_out != 8) ||
              (q->bw_params && q->bw_params != 6 && q->bw_params != 8);
    if (bad) {
      ir_error(n, l, "placed in hardware, which takes 8 or 6 bits; --bitwidths "
               "gives %d,%d,%d", o.p.bw_in, o.p.bw_params, o.p.bw_out);
      rc = 1;
      goto done;
    }
  }
  bool conv = false;
  if (qt_write(n, o.out, &conv, &chai_diag, o.pin)) {
    rc = 1;
    goto done;
  }
  if (conv)
    diag_note(&chai_diag, (SrcLoc){n->file, 0, 0},
              "V1 `layers` format: %s is written in the `layer` format (V1 has "
              "no precision_param), TEST-phase layers only", o.out);
  /* Round trip: the written file must read back to the same LayerQuant. */
  Diag dg2;
  diag_init(&dg2, stderr);
  tr_input_shape = (TrShape){0}; /* OUT is in deploy form */
  Net *back = ld_load_opts(o.out, NULL, &own, &chai_arena, &dg2);
  if (!back || back->nlayer != n->nlayer) {
    fprintf(stderr, "chaicc quantize: internal error: %s does not read back\n", o.out);
    rc = 3;
    goto done;
  }
  for (int i = 0; i < n->nlayer; i++)
    if (!qt_equal(n->layers[i]->q, back->layers[i]->q)) {
      fprintf(stderr, "chaicc quantize: internal error: layer '%s' reads back "
                      "differently from %s\n", n->layers[i]->name, o.out);
      rc = 3;
      goto done;
    }
  int nq = 0;
  for (int i = 0; i < n->nlayer; i++) nq += n->layers[i]->q != NULL;
  printf("%s: %d layers quantized (%s, bit widths %d,%d,%d)%s%s\n", o.out, nq,
         qt_mode_name(o.p.mode), o.p.bw_in, o.p.bw_params, o.p.bw_out,
         nimg ? ", calibrated on " : "", nimg ? ar_printf(&chai_arena, "%d images", nimg) : "");
  if (o.report) {
    if (!need_stats) rc = 1;
    else {
      Net *qnet = NULL;
      int nout = 0;
      FdOut *fo = ref.out ? cba_measure(o.out, o.weights, &ref, img, &qnet, &nout) : NULL;
      if (cb_measure(n, img, nimg, &run, &st) ||
          write_report(&o, n, &st, qnet, fo, autom ? &ares : NULL))
        rc = 1;
      free(fo);
    }
  }
  if (!rc) rc = cli_status();
done:
  for (int i = 0; i < nimg; i++) free(img[i]);
  free(img);
  cb_free(&st);
  cba_ref_free(&ref);
  free(ares.blob_method);
  free(o.po.mean_pixels);
  return rc;
}
