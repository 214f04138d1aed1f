/* quant.c - reading and validating CHaiDNN precision_param blocks (see
 * quant.h and docs/quantization.md). */
#include "quant.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caffe.pb-c.h"
#include "constfold.h"
#include "sha256.h"
#include "textfmt.h"
#include "train.h"

bool qt_kind_has_precision(LayerKind k, QuantMode m) {
  return lk_is(k, LKF_Q) || (m == QM_XILINX && lk_is(k, LKF_QX));
}

bool qt_kind_needs_params(LayerKind k, QuantMode m) {
  return lk_is(k, LKF_QW) || (m == QM_XILINX && lk_is(k, LKF_QWX));
}

const char *qt_mode_name(QuantMode m) {
  return m == QM_XILINX ? "Xilinx" : "DynamicFixed";
}

int qt_out_channels(const Layer *l) {
  const LayerOps *ops = lk_ops(l);
  if (ops->out_channels) return ops->out_channels(l);
  if (l->ntop < 1 || !l->top[0] || l->top[0]->shape.nd < 2) return 1;
  return l->top[0]->shape.d[1];
}

/* The layer's precision block and the name it was written under (the
 * CHaiDNN spelling precision_param or its alias quantization_param). */
static const Caffe__PrecisionParameter *block_of(Net *n, const Layer *l,
                                                 const char **field) {
  const Caffe__LayerParameter *lp = l->lp;
  if (!lp) return NULL;
  if (lp->precision_param && lp->quantization_param)
    ir_error_at(n, ir_loc(n, lp, "quantization_param", l), l,
                "both precision_param and quantization_param are given; use one");
  *field = lp->precision_param ? "precision_param" : "quantization_param";
  return lp->precision_param ? lp->precision_param : lp->quantization_param;
}

typedef struct Check {
  Net *n;
  const Layer *l;
  const Caffe__PrecisionParameter *pp;
  const char *field;
  SrcLoc at;
  int bad;
} Check;

static void missing(Check *c, const char *name) {
  ir_error_at(c->n, c->at, c->l, "%s is missing %s", c->field, name);
  c->bad = 1;
}

/* A bit width field: present (else reported), 2..16, and 6 or 8 when the
 * layer is placed in hardware (other widths warn in software). */
static int bits(Check *c, bool has, int32_t v, const char *name) {
  if (!has) {
    missing(c, name);
    return 0;
  }
  SrcLoc at = ir_loc(c->n, c->pp, name, c->l);
  if (v < 2 || v > 16) {
    ir_error_at(c->n, at, c->l, "%s.%s is %d; bit widths are 2..16", c->field,
                name, (int)v);
    c->bad = 1;
  } else if (v != 6 && v != 8) {
    if (c->l->place == PL_HW) {
      ir_error_at(c->n, at, c->l,
                  "%s.%s is %d; layers placed in hardware take 8 or 6 bits",
                  c->field, name, (int)v);
      c->bad = 1;
    } else {
      diag_warn(c->n->dg, at, "layer '%s' (%s): %s.%s is %d: only the software "
                "path can run it (the hardware takes 8 or 6 bits)",
                c->l->name, c->l->type, c->field, name, (int)v);
    }
  }
  return (int)v;
}

/* A fractional length: present, and within what a scale 2^-fl can hold. */
static int frac(Check *c, bool has, int32_t v, const char *name) {
  if (!has) {
    missing(c, name);
    return 0;
  }
  if (v < -64 || v > 64) {
    ir_error_at(c->n, ir_loc(c->n, c->pp, name, c->l), c->l,
                "%s.%s is %d; fractional lengths are -64..64", c->field, name,
                (int)v);
    c->bad = 1;
  }
  return (int)v;
}

static int thr_ok(float t) { return isfinite(t) && t > 0; }

static float thresh(Check *c, bool has, float v, const char *name) {
  if (!has) {
    missing(c, name);
    return 0;
  }
  if (!thr_ok(v)) {
    ir_error_at(c->n, ir_loc(c->n, c->pp, name, c->l), c->l,
                "%s.%s is %g; thresholds must be positive and finite",
                c->field, name, (double)v);
    c->bad = 1;
  }
  return v;
}

/* Fills q from the block; returns 0 if valid. */
static int read_block(Check *c, LayerQuant *q) {
  const Caffe__PrecisionParameter *p = c->pp;
  const Layer *l = c->l;
  bool wts = qt_kind_needs_params(l->kind, q->mode);
  q->bw_in = bits(c, p->has_bw_layer_in, p->bw_layer_in, "bw_layer_in");
  q->bw_out = bits(c, p->has_bw_layer_out, p->bw_layer_out, "bw_layer_out");
  /* Optional weight description on kinds that do not need one: validated
   * when given. */
  bool give_w = wts || p->has_bw_params;
  if (q->mode == QM_XILINX) {
    q->th_in = thresh(c, p->has_th_layer_in, p->th_layer_in, "th_layer_in");
    q->th_out = thresh(c, p->has_th_layer_out, p->th_layer_out, "th_layer_out");
    if (give_w || p->n_th_params) {
      q->bw_params = bits(c, p->has_bw_params, p->bw_params, "bw_params");
      int nc = qt_out_channels(l);
      if (p->n_th_params == 0) {
        missing(c, "th_params");
      } else if ((long long)p->n_th_params != nc) {
        ir_error_at(c->n, ir_loc(c->n, p, "th_params", l), l,
                    "%s has %zu th_params; the layer has %d output channels "
                    "(one threshold per channel)",
                    c->field, p->n_th_params, nc);
        c->bad = 1;
      } else {
        q->nth = nc;
        q->th_params = ar_array(c->n->ar, (size_t)nc, sizeof(float));
        for (int i = 0; i < nc; i++) {
          q->th_params[i] = p->th_params[i];
          if (!thr_ok(p->th_params[i]) && !c->bad) {
            ir_error_at(c->n, ir_loc(c->n, p, "th_params", l), l,
                        "%s.th_params[%d] is %g; thresholds must be positive "
                        "and finite", c->field, i, (double)p->th_params[i]);
            c->bad = 1;
          }
        }
      }
    }
  } else {
    q->fl_in = frac(c, p->has_fl_layer_in, p->fl_layer_in, "fl_layer_in");
    q->fl_out = frac(c, p->has_fl_layer_out, p->fl_layer_out, "fl_layer_out");
    if (give_w || p->has_fl_params) {
      q->bw_params = bits(c, p->has_bw_params, p->bw_params, "bw_params");
      q->fl_params = frac(c, p->has_fl_params, p->fl_params, "fl_params");
    }
    if (l->kind == LK_BN) {
      q->bn_mean_bw = bits(c, p->has_batchnorm_mean_bw, p->batchnorm_mean_bw,
                           "batchnorm_mean_bw");
      q->bn_mean_fl = frac(c, p->has_batchnorm_mean_fl, p->batchnorm_mean_fl,
                           "batchnorm_mean_fl");
      q->bn_var_bw = bits(c, p->has_batchnorm_variance_bw,
                          p->batchnorm_variance_bw, "batchnorm_variance_bw");
      q->bn_var_fl = frac(c, p->has_batchnorm_variance_fl,
                          p->batchnorm_variance_fl, "batchnorm_variance_fl");
    } else if (l->kind == LK_SCALE) {
      q->sc_gamma_bw = bits(c, p->has_scale_gamma_bw, p->scale_gamma_bw,
                            "scale_gamma_bw");
      q->sc_gamma_fl = frac(c, p->has_scale_gamma_fl, p->scale_gamma_fl,
                            "scale_gamma_fl");
      q->sc_beta_bw = bits(c, p->has_scale_beta_bw, p->scale_beta_bw,
                           "scale_beta_bw");
      q->sc_beta_fl = frac(c, p->has_scale_beta_fl, p->scale_beta_fl,
                           "scale_beta_fl");
      q->sc_gamma_by_std_bw =
          bits(c, p->has_scale_gamma_by_std_bw, p->scale_gamma_by_std_bw,
               "scale_gamma_by_std_bw");
      q->sc_gamma_by_std_fl =
          frac(c, p->has_scale_gamma_by_std_fl, p->scale_gamma_by_std_fl,
               "scale_gamma_by_std_fl");
    }
  }
  return c->bad ? -1 : 0;
}

/* Mode of a block: quant_type as written, or the proto default
 * DynamicFixed when absent.  -1 for an unknown name (reported). */
static int block_mode(Check *c) {
  const char *t = c->pp->quant_type;
  if (!t || t == caffe__precision_parameter__quant_type__default_value ||
      strcmp(t, "DynamicFixed") == 0)
    return QM_DFIXED;
  if (strcmp(t, "Xilinx") == 0) return QM_XILINX;
  ir_error_at(c->n, ir_loc(c->n, c->pp, "quant_type", c->l), c->l,
              "%s.quant_type is \"%s\"; use \"Xilinx\" or \"DynamicFixed\"",
              c->field, t);
  return -1;
}

#define PIN "# chaicc-weights: "

const char *qt_pin_header(Arena *ar, const char *written, const char *input, Diag *dg) {
  char hw[65], hi[65];
  const char *bad = sha_file_hex(written, hw) ? written : sha_file_hex(input, hi) ? input : NULL;
  if (bad) {
    diag_error(dg, (SrcLoc){bad, 0, 0}, "cannot read the weights to pin the CHai prototxt to them");
    return NULL;
  }
  return ar_printf(ar,
                   "# chaicc quantize changed the float weights: these thresholds go with\n"
                   "# the caffemodel it wrote (the line below), not with its input weights.\n"
                   PIN "%s %s %s\n",
                   hw, hi, written);
}

/* The line number of file's pin (qt_pin_header) among its leading
 * comment lines, with the line in line[cap] (no newline), or 0. */
static int find_pin(const char *file, char *line, size_t cap) {
  FILE *f = fopen(file, "r");
  if (!f) return 0;
  int ln = 0, at = 0;
  while (fgets(line, (int)cap, f) && line[0] == '#') {
    ln++;
    if (!strncmp(line, PIN, strlen(PIN))) {
      line[strcspn(line, "\r\n")] = 0;
      at = ln;
      break;
    }
  }
  fclose(f);
  return at;
}

const char *qt_pin_of(Arena *ar, const char *file) {
  char line[4096];
  return find_pin(file, line, sizeof line) ? ar_printf(ar, "%s\n", line) : NULL;
}

/* The pin of n->file (qt_pin_header), if its leading comment lines have
 * one, against n->weights_file: -1 after an error at the pin line.  A
 * match keeps the weights' hash in n->weights_sha. */
static int verify_pin(Net *n) {
  if (!n->weights_file) return 0;
  char line[4096];
  int ln = find_pin(n->file, line, sizeof line), rc = 0;
  size_t np = strlen(PIN);
  if (ln) {
    char want[65] = "", from[65] = "", have[65];
    int end = 0;
    SrcLoc at = {n->file, ln, 1};
    if (sscanf(line + np, "%64[0-9a-f] %64[0-9a-f] %n", want, from, &end) != 2 ||
        strlen(want) != 64 || strlen(from) != 64 || !line[np + end]) {
      diag_error(n->dg, at, "malformed weights pin: want '" PIN "SHA256 SHA256 FILE'");
      rc = -1;
    } else if (sha_file_hex(n->weights_file, have)) {
      diag_error(n->dg, at, "cannot read '%s' to check it against the weights pin",
                 n->weights_file);
      rc = -1;
    } else if (strcmp(have, want)) {
      diag_error(n->dg, at,
                 "these thresholds are for the weights chaicc quantize wrote to '%s' "
                 "(sha256 %.12s...), not for '%s' (sha256 %.12s...%s); give that caffemodel",
                 line + np + end, want, n->weights_file, have,
                 strcmp(have, from) ? ""
                                    : ", the caffemodel quantize started from before "
                                      "--equalize or --bias_correction changed the weights");
      rc = -1;
    } else {
      n->weights_sha = ar_strdup(n->ar, have); /* for the provenance header */
    }
  }
  return rc;
}

int qt_read(Net *n, bool check_pin) {
  int e0 = n->dg->nerrors;
  const Layer *first = NULL;
  QuantMode mode = QM_XILINX;
  bool *cst = NULL; /* constant blobs (constfold.h), marked when needed */
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    l->q = NULL;
    const char *field = NULL;
    const Caffe__PrecisionParameter *pp = block_of(n, l, &field);
    if (!pp) continue;
    Check c = {n, l, pp, field, ir_loc(n, pp, NULL, l), 0};
    int m = block_mode(&c);
    if (m < 0) continue;
    if (first && (QuantMode)m != mode) {
      ir_error_at(n, ir_loc(n, pp, "quant_type", l), l,
                  "%s is in %s mode but layer '%s' is in %s mode; a net uses "
                  "one quantization mode", field, qt_mode_name((QuantMode)m),
                  first->name, qt_mode_name(mode));
      continue;
    }
    if (!first) {
      first = l;
      mode = (QuantMode)m;
    }
    if (!qt_kind_has_precision(l->kind, (QuantMode)m)) {
      diag_warn(n->dg, c.at, "layer '%s' (%s): %s ignored: %s layers run in "
                "float in %s mode", l->name, l->type, field, l->type,
                qt_mode_name((QuantMode)m));
      continue;
    }
    if (!cst) cst = cf_mark(n, n->ar);
    if (cf_layer_const(l, cst)) {
      diag_warn(n->dg, c.at, "layer '%s' (%s): %s ignored: its output depends on "
                "the input shapes only (constant, like PriorBox) and stays exact "
                "float", l->name, l->type, field);
      continue;
    }
    LayerQuant *q = ar_alloc(n->ar, sizeof *q);
    q->mode = (QuantMode)m;
    q->loc = c.at;
    if (read_block(&c, q) == 0) l->q = q;
  }
  if (first && check_pin) verify_pin(n);
  return n->dg->nerrors > e0 ? -1 : 0;
}

/* ---- writing a CHai prototxt ---- */

bool qt_equal(const LayerQuant *a, const LayerQuant *b) {
  if (!a || !b) return a == b;
  if (a->mode != b->mode || a->bw_in != b->bw_in || a->bw_out != b->bw_out ||
      a->bw_params != b->bw_params)
    return false;
  if (a->mode == QM_XILINX) {
    if (a->th_in != b->th_in || a->th_out != b->th_out || a->nth != b->nth)
      return false;
    for (int i = 0; i < a->nth; i++)
      if (a->th_params[i] != b->th_params[i]) return false;
    return true;
  }
  return a->fl_in == b->fl_in && a->fl_out == b->fl_out &&
         a->fl_params == b->fl_params && a->bn_mean_bw == b->bn_mean_bw &&
         a->bn_mean_fl == b->bn_mean_fl && a->bn_var_bw == b->bn_var_bw &&
         a->bn_var_fl == b->bn_var_fl && a->sc_gamma_bw == b->sc_gamma_bw &&
         a->sc_gamma_fl == b->sc_gamma_fl && a->sc_beta_bw == b->sc_beta_bw &&
         a->sc_beta_fl == b->sc_beta_fl &&
         a->sc_gamma_by_std_bw == b->sc_gamma_by_std_bw &&
         a->sc_gamma_by_std_fl == b->sc_gamma_by_std_fl;
}

#define SET(f, v) (pp->has_##f = 1, pp->f = (v))

/* The precision_param block stating q for a layer of kind k. */
static Caffe__PrecisionParameter *to_proto(const LayerQuant *q, LayerKind k,
                                           Arena *ar) {
  Caffe__PrecisionParameter *pp = ar_alloc(ar, sizeof *pp);
  caffe__precision_parameter__init(pp);
  pp->quant_type = ar_strdup(ar, qt_mode_name(q->mode));
  SET(bw_layer_in, q->bw_in);
  SET(bw_layer_out, q->bw_out);
  if (q->bw_params) SET(bw_params, q->bw_params);
  if (q->mode == QM_XILINX) {
    SET(th_layer_in, q->th_in);
    SET(th_layer_out, q->th_out);
    if (q->nth) {
      pp->n_th_params = (size_t)q->nth;
      pp->th_params = ar_array(ar, (size_t)q->nth, sizeof(float));
      memcpy(pp->th_params, q->th_params, (size_t)q->nth * sizeof(float));
    }
    return pp;
  }
  SET(fl_layer_in, q->fl_in);
  SET(fl_layer_out, q->fl_out);
  if (q->bw_params) SET(fl_params, q->fl_params);
  if (k == LK_BN) {
    SET(batchnorm_mean_bw, q->bn_mean_bw);
    SET(batchnorm_mean_fl, q->bn_mean_fl);
    SET(batchnorm_variance_bw, q->bn_var_bw);
    SET(batchnorm_variance_fl, q->bn_var_fl);
  } else if (k == LK_SCALE) {
    SET(scale_gamma_bw, q->sc_gamma_bw);
    SET(scale_gamma_fl, q->sc_gamma_fl);
    SET(scale_beta_bw, q->sc_beta_bw);
    SET(scale_beta_fl, q->sc_beta_fl);
    SET(scale_gamma_by_std_bw, q->sc_gamma_by_std_bw);
    SET(scale_gamma_by_std_fl, q->sc_gamma_by_std_fl);
  }
  return pp;
}
#undef SET

static bool same_loc(SrcLoc a, SrcLoc b) {
  return a.line == b.line && a.col == b.col && a.line > 0;
}

static const Layer *layer_at(const Net *n, SrcLoc loc) {
  for (int i = 0; i < n->nlayer; i++)
    if (same_loc(n->layers[i]->loc, loc)) return n->layers[i];
  return NULL;
}

/* A new-format copy of a loaded V1 layer, with the registry's type name. */
static Caffe__LayerParameter *v1_copy(const Layer *l, Arena *ar) {
  Caffe__LayerParameter *lp = ar_alloc(ar, sizeof *lp);
  *lp = *l->lp;
  lp->type = (char *)lk_info[l->kind].caffe_type;
  return lp;
}

int qt_write(const Net *n, const char *path, bool *converted, Diag *dg, const char *header) {
  Arena *ar = n->ar;
  TfLocs *locs = NULL;
  bool conv = false;
  if (converted) *converted = false;
  Caffe__NetParameter *np = n->from_train ? tr_deploy_param(n) /* layer i is n->layers[i] */
                            : (Caffe__NetParameter *)tf_parse_file(
                                  &caffe__net_parameter__descriptor, n->file, ar, dg, &locs);
  if (!np) return -1;
  if (n->from_train) conv = true;
  if (np->n_layers) { /* V1: no precision field; write `layer` blocks */
    np->layer = ar_array(ar, (size_t)n->nlayer + 1, sizeof *np->layer);
    np->n_layer = 0;
    for (int i = 0; i < n->nlayer; i++)
      np->layer[np->n_layer++] = v1_copy(n->layers[i], ar);
    np->n_layers = 0;
    np->layers = NULL;
    conv = true;
    if (converted) *converted = true;
  }
  for (size_t i = 0; i < np->n_layer; i++) {
    Caffe__LayerParameter *lp = np->layer[i];
    const Layer *l = NULL;
    if (conv) l = n->layers[i];
    else l = layer_at(n, tf_loc_msg(locs, &lp->base));
    lp->precision_param = NULL;
    lp->quantization_param = NULL;
    if (l && l->q) lp->precision_param = to_proto(l->q, l->kind, ar);
  }
  /* temp file next to the target, renamed on success */
  char *tmp = ar_printf(ar, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd >= 0) { /* mkstemp makes 0600: give the usual 0666 & ~umask */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
  }
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot write '%s': %s", path,
               strerror(errno));
    if (fd >= 0) {
      close(fd);
      remove(tmp);
    }
    return -1;
  }
  int bad = header && fputs(header, f) < 0;
  bad |= tf_write(f, &np->base, 2) != 0;
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path) != 0) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot write '%s': %s", path,
               strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
}
