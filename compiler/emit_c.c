/* emit_c.c - C project generator (see emit_c.h). */
#define _XOPEN_SOURCE 700
#include "emit_c.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "emit_fx.h"
#include "lua_host.h"
#include "strbuf.h"

/* ---- small helpers ---- */

char *ec_float(float f, char *buf, size_t n) {
  if (isnan(f)) snprintf(buf, n, "NAN");
  else if (isinf(f)) snprintf(buf, n, f < 0 ? "-INFINITY" : "INFINITY");
  else {
    char t[48];
    snprintf(t, sizeof t, "%.9g", (double)f);
    if (!strpbrk(t, ".e")) strcat(t, ".0");
    snprintf(buf, n, "%sf", t);
  }
  return buf;
}

char *ec_ident(Arena *ar, const char *name) {
  size_t len = strlen(name);
  char *s = ar_alloc(ar, len + 3), *p = s;
  if (len == 0 || (name[0] >= '0' && name[0] <= '9')) *p++ = 'n', *p++ = '_';
  for (const char *c = name; *c; c++) {
    int ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
    *p++ = ok ? *c : '_';
  }
  *p = 0;
  return s;
}

char *ec_comment_safe(Arena *ar, const char *s) {
  char *o = ar_strdup(ar, s ? s : "");
  for (char *p = o; *p; p++) {
    if (*p == '\n' || *p == '\r') *p = ' ';
    if (p[0] == '*' && p[1] == '/') p[1] = '|';
    if (p[0] == '/' && p[1] == '*') p[1] = '|';
  }
  return o;
}

void ec_layer_header(LhHost *h, Arena *ar, const Layer *l, const char *fn) {
  lh_set_str(h, "fn", fn);
  lh_set_str(h, "caffe_name", ec_comment_safe(ar, l->name));
  lh_set_str(h, "caffe_type", ec_comment_safe(ar, l->type));
  lh_set_str(h, "fused", l->fused_names ? ec_comment_safe(ar, l->fused_names) : "");
  Sb sb = {0};
  char t[128];
  for (int i = 0; i < l->nbottom; i++)
    sb_printf(&sb, "%s%s", i ? ", " : "", rt_shape_str(&l->bottom[i]->shape, t, sizeof t));
  sb_puts(&sb, " -> ");
  for (int i = 0; i < l->ntop; i++)
    sb_printf(&sb, "%s%s", i ? ", " : "", rt_shape_str(&l->top[i]->shape, t, sizeof t));
  lh_set_str(h, "shapes", sb_str(&sb));
  sb_free(&sb);
}

/* A C string literal (with quotes) for s. */
static char *c_string(Arena *ar, const char *s) {
  Sb b = {0};
  sb_puts(&b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') sb_printf(&b, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7f) sb_printf(&b, "\\%03o", *p);
    else sb_put(&b, (const char *)p, 1);
  }
  sb_puts(&b, "\"");
  char *r = ar_strdup(ar, b.s);
  free(b.s);
  return r;
}

/* ---- the emitter ---- */

typedef struct EcWeight {
  const char *sym;
  const float *d;
  int64_t count, off; /* off: floats into the .bin (bin mode) */
} EcWeight;

typedef struct Ec {
  Net *n;
  const PsPlan *plan;
  const EcOpts *o;
  Diag *dg;
  Arena *ar;
  LhHost *lh;
  const char *prefix, *base, *upper;
  EcWeight *w;
  int nw, capw;
  int64_t wfloats;
  size_t scratch; /* bytes */
  bool use_rt;
  Sb funcs, calls;
  int nlive;
  const char **live_names;
  const IrCustomType *plugins[64]; /* plugin types whose source is copied */
  int nplugin;
  int bad;
  EfCtx *fx; /* quantized net: fixed-point layers (emit_fx.h) */
} Ec;

static const char *add_weight(Ec *e, const char *fn, const char *role, const float *d,
                              int64_t count) {
  if (e->nw == e->capw) {
    e->capw = e->capw ? e->capw * 2 : 64;
    EcWeight *nw = ar_array(e->ar, (size_t)e->capw, sizeof *nw);
    if (e->nw) memcpy(nw, e->w, (size_t)e->nw * sizeof *nw);
    e->w = nw;
  }
  EcWeight *w = &e->w[e->nw++];
  w->sym = ar_printf(e->ar, "W_%s_%s", fn, role);
  w->d = d;
  w->count = count;
  w->off = e->wfloats;
  e->wfloats += (count + 15) / 16 * 16;
  return w->sym;
}

/* The C expression of blob b's storage. */
static const char *ptr(Ec *e, const Blob *b) {
  switch (e->plan->where[b->id]) {
  case PS_INPUT: return "input";
  case PS_OUTPUT: return ar_printf(e->ar, "outputs[%d]", e->plan->out_index[b->id]);
  case PS_ARENA:
    return e->plan->off[b->id] ? ar_printf(e->ar, "act + %lld", (long long)e->plan->off[b->id])
                               : "act";
  default: return "scratch_blob";
  }
}

static void set_common(Ec *e, const Layer *l, const char *fn) {
  LhHost *h = e->lh;
  char sl[48];
  ec_layer_header(h, e->ar, l, fn);
  lh_set_int(h, "nb", l->nbottom);
  lh_set_int(h, "nt", l->ntop);
  lh_set_bool(h, "relu", l->fused_relu);
  lh_set_str(h, "slope", ec_float(l->relu_slope, sl, sizeof sl));
  lh_set_int(h, "count", l->ntop ? rt_shape_count(&l->top[0]->shape) : 0);
  lh_set_bool(h, "restrict", !e->plan->inplace[l->id]);
}

static void set_f(Ec *e, const char *key, float v) {
  char b[48];
  lh_set_str(e->lh, key, ec_float(v, b, sizeof b));
}

/* ---- parameter initializers for the reference-kernel path ---- */

typedef struct Fields {
  int n;
  const char *name[64], *val[64];
} Fields;

static void fld(Ec *e, Fields *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fld(Ec *e, Fields *f, const char *name, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (f->n < 64) f->name[f->n] = name, f->val[f->n++] = ar_strdup(e->ar, buf);
}
static const char *fl(float v) {
  static char b[8][48];
  static int k;
  k = (k + 1) % 8;
  return ec_float(v, b[k], sizeof b[k]);
}
static const char *floats(Ec *e, const float *v, int n) {
  Sb b = {0};
  sb_puts(&b, "{");
  for (int i = 0; i < n; i++) sb_printf(&b, "%s%s", i ? ", " : "", fl(v[i]));
  sb_puts(&b, "}");
  char *r = ar_strdup(e->ar, b.s);
  free(b.s);
  return r;
}
static const char *ints(Ec *e, const int *v, int n) {
  Sb b = {0};
  sb_puts(&b, "{");
  for (int i = 0; i < n; i++) sb_printf(&b, "%s%d", i ? ", " : "", v[i]);
  sb_puts(&b, "}");
  char *r = ar_strdup(e->ar, b.s);
  free(b.s);
  return r;
}
#define TF(x) ((x) ? "true" : "false")

/* Fills the designated initializer of l's parameter struct; returns its type
 * name, or NULL for a kind with no reference-path support. */
static const char *params(Ec *e, const Layer *l, Fields *f) {
  switch (l->kind) {
  case LK_CONV: case LK_DECONV: {
    const rt_conv_param *p = &l->p.conv;
    fld(e, f, "num_output", "%d", p->num_output), fld(e, f, "group", "%d", p->group);
    fld(e, f, "kh", "%d", p->kh), fld(e, f, "kw", "%d", p->kw), fld(e, f, "sh", "%d", p->sh);
    fld(e, f, "sw", "%d", p->sw), fld(e, f, "ph", "%d", p->ph), fld(e, f, "pw", "%d", p->pw);
    fld(e, f, "dh", "%d", p->dh), fld(e, f, "dw", "%d", p->dw);
    fld(e, f, "bias_term", "%s", TF(p->bias_term)), fld(e, f, "axis", "%d", p->axis);
    return "rt_conv_param";
  }
  case LK_IP:
    fld(e, f, "num_output", "%d", l->p.ip.num_output), fld(e, f, "axis", "%d", l->p.ip.axis);
    fld(e, f, "bias_term", "%s", TF(l->p.ip.bias_term));
    fld(e, f, "transpose", "%s", TF(l->p.ip.transpose));
    return "rt_ip_param";
  case LK_POOL: {
    const rt_pool_param *p = &l->p.pool;
    fld(e, f, "method", "%d", p->method), fld(e, f, "kh", "%d", p->kh), fld(e, f, "kw", "%d", p->kw);
    fld(e, f, "sh", "%d", p->sh), fld(e, f, "sw", "%d", p->sw), fld(e, f, "ph", "%d", p->ph);
    fld(e, f, "pw", "%d", p->pw), fld(e, f, "global", "%s", TF(p->global));
    fld(e, f, "round_mode", "%d", p->round_mode);
    return "rt_pool_param";
  }
  case LK_RELU: fld(e, f, "negative_slope", "%s", fl(l->p.relu.negative_slope)); return "rt_relu_param";
  case LK_PRELU: fld(e, f, "channel_shared", "%s", TF(l->p.prelu.channel_shared)); return "rt_prelu_param";
  case LK_BN: fld(e, f, "eps", "%s", fl(l->p.bn.eps)); return "rt_bn_param";
  case LK_SCALE: case LK_BIAS:
    fld(e, f, "axis", "%d", l->p.scale.axis), fld(e, f, "num_axes", "%d", l->p.scale.num_axes);
    fld(e, f, "bias_term", "%s", TF(l->p.scale.bias_term));
    return "rt_scale_param";
  case LK_ELTWISE:
    fld(e, f, "op", "%d", l->p.eltwise.op), fld(e, f, "ncoeff", "%d", l->p.eltwise.ncoeff);
    fld(e, f, "coeff", "%s", floats(e, l->p.eltwise.coeff, l->p.eltwise.ncoeff ? l->p.eltwise.ncoeff : 1));
    return "rt_eltwise_param";
  case LK_CONCAT: fld(e, f, "axis", "%d", l->p.concat.axis); return "rt_concat_param";
  case LK_SLICE:
    fld(e, f, "axis", "%d", l->p.slice.axis), fld(e, f, "npoints", "%d", l->p.slice.npoints);
    fld(e, f, "points", "%s", ints(e, l->p.slice.points, l->p.slice.npoints ? l->p.slice.npoints : 1));
    return "rt_slice_param";
  case LK_CROP:
    fld(e, f, "axis", "%d", l->p.crop.axis);
    fld(e, f, "offset", "%s", ints(e, l->p.crop.offset, RT_MAXDIM));
    return "rt_crop_param";
  case LK_SOFTMAX: fld(e, f, "axis", "%d", l->p.softmax.axis); return "rt_softmax_param";
  case LK_POWER:
    fld(e, f, "power", "%s", fl(l->p.power.power)), fld(e, f, "scale", "%s", fl(l->p.power.scale));
    fld(e, f, "shift", "%s", fl(l->p.power.shift));
    return "rt_power_param";
  case LK_LRN:
    fld(e, f, "local_size", "%d", l->p.lrn.local_size), fld(e, f, "region", "%d", l->p.lrn.region);
    fld(e, f, "alpha", "%s", fl(l->p.lrn.alpha)), fld(e, f, "beta", "%s", fl(l->p.lrn.beta));
    fld(e, f, "k", "%s", fl(l->p.lrn.k));
    return "rt_lrn_param";
  case LK_SPLIT: case LK_DROPOUT: case LK_SIGMOID: case LK_TANH: case LK_FLATTEN: case LK_RESHAPE:
    fld(e, f, "unused", "0");
    return "rt_none_param";
  case LK_PERMUTE:
    fld(e, f, "norder", "%d", l->p.permute.norder);
    fld(e, f, "order", "%s", ints(e, l->p.permute.order, l->p.permute.norder ? l->p.permute.norder : 1));
    return "rt_permute_param";
  case LK_NORMALIZE:
    fld(e, f, "across_spatial", "%s", TF(l->p.normalize.across_spatial));
    fld(e, f, "channel_shared", "%s", TF(l->p.normalize.channel_shared));
    fld(e, f, "eps", "%s", fl(l->p.normalize.eps));
    return "rt_normalize_param";
  case LK_PRIORBOX: {
    const rt_priorbox_param *p = &l->p.priorbox;
    fld(e, f, "nmin", "%d", p->nmin), fld(e, f, "nmax", "%d", p->nmax);
    fld(e, f, "nar", "%d", p->nar), fld(e, f, "nvar", "%d", p->nvar);
    if (p->nmin) fld(e, f, "min_size", "%s", floats(e, p->min_size, p->nmin));
    if (p->nmax) fld(e, f, "max_size", "%s", floats(e, p->max_size, p->nmax));
    if (p->nar) fld(e, f, "aspect", "%s", floats(e, p->aspect, p->nar));
    fld(e, f, "variance", "%s", floats(e, p->variance, 4));
    fld(e, f, "clip", "%s", TF(p->clip));
    fld(e, f, "img_h", "%d", p->img_h), fld(e, f, "img_w", "%d", p->img_w);
    fld(e, f, "step_h", "%s", fl(p->step_h)), fld(e, f, "step_w", "%s", fl(p->step_w));
    fld(e, f, "offset", "%s", fl(p->offset));
    return "rt_priorbox_param";
  }
  case LK_DETOUT: {
    const rt_detout_param *p = &l->p.detout;
    fld(e, f, "num_classes", "%d", p->num_classes);
    fld(e, f, "share_location", "%s", TF(p->share_location));
    fld(e, f, "background_label_id", "%d", p->background_label_id);
    fld(e, f, "nms_threshold", "%s", fl(p->nms_threshold)), fld(e, f, "eta", "%s", fl(p->eta));
    fld(e, f, "top_k", "%d", p->top_k), fld(e, f, "keep_top_k", "%d", p->keep_top_k);
    fld(e, f, "confidence_threshold", "%s", fl(p->confidence_threshold));
    fld(e, f, "code_type", "%d", p->code_type);
    fld(e, f, "variance_encoded_in_target", "%s", TF(p->variance_encoded_in_target));
    fld(e, f, "max_rows", "%d", p->max_rows);
    return "rt_detout_param";
  }
  case LK_ARGMAX:
    fld(e, f, "out_max_val", "%s", TF(l->p.argmax.out_max_val));
    fld(e, f, "has_axis", "%s", TF(l->p.argmax.has_axis));
    fld(e, f, "top_k", "%d", l->p.argmax.top_k), fld(e, f, "axis", "%d", l->p.argmax.axis);
    return "rt_argmax_param";
  default:
    return NULL;
  }
}

static void tensor_list(Ec *e, const char *key, int n, const rt_shape *shapes,
                        const char *const *ptrs) {
  lh_list_begin(e->lh, key);
  for (int i = 0; i < n; i++) {
    lh_item_begin(e->lh);
    int64_t d[RT_MAXDIM];
    for (int k = 0; k < shapes[i].nd; k++) d[k] = shapes[i].d[k];
    lh_set_ints(e->lh, "dims", d, shapes[i].nd);
    lh_set_str(e->lh, "ptr", ptrs[i]);
    lh_item_end(e->lh);
  }
  lh_list_end(e->lh);
}

/* Builds the c/ref table for a layer run by rt_<file>_f32. */
static const char *ref_layer(Ec *e, Layer *l, const char *fn) {
  Fields f = {0};
  const char *ptype = params(e, l, &f);
  if (!ptype) {
    ir_error(e->n, l, "the C generator has no code for this layer kind");
    e->bad = 1;
    return NULL;
  }
  e->use_rt = true;
  /* InnerProduct (N x K weights): the program gets them transposed (K x N)
   * and a bias (zeros when the layer has none), so rt_ip_f32 takes its
   * path contiguous across outputs.  Each output is still 0 + x[0]w[0] +
   * ... in k order, then + bias (+ 0.0f without one): the same float
   * operations as the simulator's N x K call, so the same bits. */
  bool ipt = l->kind == LK_IP && !l->p.ip.transpose && l->nweight > 0 && l->weight[0].loaded;
  if (ipt)
    for (int i = 0; i < f.n; i++)
      if (!strcmp(f.name[i], "transpose") || !strcmp(f.name[i], "bias_term")) f.val[i] = "true";
  set_common(e, l, fn);
  lh_set_str(e->lh, "ptype", ptype);
  lh_set_str(e->lh, "kernel", ar_printf(e->ar, "rt_%s_f32", lk_info[l->kind].file));
  lh_list_begin(e->lh, "params");
  for (int i = 0; i < f.n; i++) {
    lh_item_begin(e->lh);
    lh_set_str(e->lh, "field", f.name[i]);
    lh_set_str(e->lh, "value", f.val[i]);
    lh_item_end(e->lh);
  }
  lh_list_end(e->lh);
  rt_shape sh[RT_MAXLIST * 4];
  const char *pt[RT_MAXLIST * 4];
  rt_tensor bt[RT_MAXLIST * 4], tt[RT_MAXLIST * 4], wt[8];
  int nb = l->nbottom, nt = l->ntop, nw = 0;
  for (int i = 0; i < nb; i++) {
    sh[i] = l->bottom[i]->shape, pt[i] = ar_printf(e->ar, "(float *)b%d", i);
    bt[i].s = sh[i], bt[i].d = NULL;
  }
  tensor_list(e, "bottoms", nb, sh, pt);
  for (int i = 0; i < nt; i++) {
    sh[i] = l->top[i]->shape, pt[i] = ar_printf(e->ar, "t%d", i);
    tt[i].s = sh[i], tt[i].d = NULL;
  }
  tensor_list(e, "tops", nt, sh, pt);
  for (int k = 0; k < l->nweight && nw < 8; k++)
    if (l->weight[k].loaded) {
      wt[nw] = l->weight[k].t;
      sh[nw] = l->weight[k].t.s;
      const float *d = l->weight[k].t.d;
      int64_t count = rt_shape_count(&l->weight[k].t.s);
      if (ipt && k == 0) { /* N x K -> K x N */
        int64_t N = l->p.ip.num_output, K = N > 0 ? count / N : 0;
        float *tr = ar_array(e->ar, (size_t)(count > 0 ? count : 1), sizeof *tr);
        for (int64_t r = 0; r < N; r++)
          for (int64_t c = 0; c < K; c++) tr[c * N + r] = d[r * K + c];
        d = tr;
        sh[nw] = rt_shape_make(2, (const int[]){(int)K, (int)N});
      }
      if (ipt && k == 1 && !l->p.ip.bias_term) continue;
      pt[nw] = ar_printf(e->ar, "(float *)%s",
                         add_weight(e, fn, ar_printf(e->ar, "%d", k), d, count));
      nw++;
    }
  if (ipt && nw == 1 && nw < 8) { /* the zero bias */
    int N = l->p.ip.num_output;
    float *z = ar_array(e->ar, (size_t)(N > 0 ? N : 1), sizeof *z);
    sh[nw] = rt_shape_make(1, (const int[]){N});
    wt[nw].s = sh[nw], wt[nw].d = z;
    pt[nw] = ar_printf(e->ar, "(float *)%s", add_weight(e, fn, "zero_bias", z, N));
    nw++;
  }
  tensor_list(e, "weights", nw, sh, pt);
  size_t ws = 0;
  if (lk_info[l->kind].ws) {
    rt_args a = {nb, nt, nw, bt, tt, wt, NULL, 0};
    ws = lk_info[l->kind].ws(&l->p, &a);
  }
  if (ws > e->scratch) e->scratch = ws;
  lh_set_bool(e->lh, "ws", ws > 0);
  lh_set_bool(e->lh, "detout", l->kind == LK_DETOUT);
  if (l->kind == LK_DETOUT) lh_set_int(e->lh, "max_rows", l->top[0]->shape.d[2]);
  return "c/ref";
}

static int64_t cnt(const rt_shape *s, int from, int to) { return rt_shape_count_range(s, from, to); }

/* Register tiles of the generated kernels (c/conv, c/ip). */
enum { EC_CONV_MR = 8, EC_CONV_NR = 8, EC_CONV_RACC = 4, EC_IP_NB = 32 };

/* Decides how c/conv addresses a convolution's input (see the template):
 * mode direct (stride 1; a zero-padded copy when padded) or im2col, the
 * strides of k's c, kh, kw parts in X, the positions L per output plane and
 * the register tile; reserves the scratch the copy needs. */
static void conv_plan(Ec *e, const Layer *l) {
  LhHost *h = e->lh;
  const rt_conv_param *p = &l->p.conv;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int64_t H = in->d[2], W = in->d[3], OH = out->d[2], OW = out->d[3];
  int64_t ICG = in->d[1] / p->group, OCG = out->d[1] / p->group;
  int64_t K = ICG * p->kh * p->kw, L, plane, khs, kws, wp = OW, need = 0;
  bool direct = p->sh == 1 && p->sw == 1, pad = p->ph > 0 || p->pw > 0;
  if (direct) {
    int64_t hp = H + 2 * p->ph;
    wp = W + 2 * p->pw;
    plane = hp * wp, khs = (int64_t)p->dh * wp, kws = p->dw;
    L = (OH - 1) * wp + OW; /* the last wide row stops at OW */
    if (pad) need = ICG * plane;
  } else {
    L = OH * OW;
    plane = (int64_t)p->kh * p->kw * L, khs = (int64_t)p->kw * L, kws = L;
    need = K * L;
  }
  if ((size_t)need * sizeof(float) > e->scratch) e->scratch = (size_t)need * sizeof(float);
  lh_set_str(h, "mode", direct ? "direct" : "im2col");
  lh_set_bool(h, "pad", pad);
  lh_set_bool(h, "compact", wp == OW);
  lh_set_int(h, "K", K), lh_set_int(h, "L", L), lh_set_int(h, "WP", wp);
  lh_set_int(h, "PLANE", plane), lh_set_int(h, "KHS", khs), lh_set_int(h, "KWS", kws);
  /* rows: stride-1 wide rows whose OW every tile width divides, so that
   * tiles stay within an output row and compute no dropped column */
  bool rows = direct && wp != OW && OW % EC_CONV_NR == 0;
  /* the last OCG % MR channels: blocks of at most MR / 2 channels (the
   * narrow tile height, so 16-register targets do not spill), each with
   * tiles widened to about EC_CONV_RACC vectors of accumulators; RB lists
   * (first channel, channels, tile width) per block */
  int64_t rb[6], nrb = 0;
  for (int64_t left = OCG % EC_CONV_MR; left > 0;) {
    int64_t rm = left > EC_CONV_MR / 2 ? EC_CONV_MR / 2 : left, rnv = EC_CONV_RACC / rm;
    if (rnv < 1) rnv = 1;
    while (rows && rnv > 1 && OW % (8 * rnv)) rnv /= 2;
    rb[nrb++] = OCG - left, rb[nrb++] = rm, rb[nrb++] = 8 * rnv;
    left -= rm;
  }
  lh_set_bool(h, "rows", rows);
  lh_set_int(h, "MR", EC_CONV_MR), lh_set_int(h, "NR", EC_CONV_NR);
  lh_set_ints(h, "RB", rb, (int)nrb);
}

/* Sets the table for l and returns the template name (NULL: error). */
static const char *layer_table(Ec *e, Layer *l, const char *fn) {
  LhHost *h = e->lh;
  const rt_shape *in = l->nbottom ? &l->bottom[0]->shape : NULL;
  const rt_shape *out = l->ntop ? &l->top[0]->shape : NULL;
  switch (l->kind) {
  case LK_CONV: case LK_DECONV: {
    const rt_conv_param *p = &l->p.conv;
    if (p->axis != 1 || in->nd != 4 || out->nd != 4) break;
    set_common(e, l, fn);
    int C = in->d[1], OC = out->d[1], G = p->group;
    lh_set_int(h, "N", in->d[0]), lh_set_int(h, "C", C), lh_set_int(h, "H", in->d[2]);
    lh_set_int(h, "W", in->d[3]), lh_set_int(h, "OC", OC), lh_set_int(h, "OH", out->d[2]);
    lh_set_int(h, "OW", out->d[3]), lh_set_int(h, "KH", p->kh), lh_set_int(h, "KW", p->kw);
    lh_set_int(h, "SH", p->sh), lh_set_int(h, "SW", p->sw), lh_set_int(h, "PH", p->ph);
    lh_set_int(h, "PW", p->pw), lh_set_int(h, "DH", p->dh), lh_set_int(h, "DW", p->dw);
    lh_set_int(h, "G", G), lh_set_int(h, "ICG", C / G), lh_set_int(h, "OCG", OC / G);
    lh_set_str(h, "w", add_weight(e, fn, "w", l->weight[0].t.d, rt_shape_count(&l->weight[0].t.s)));
    bool hb = p->bias_term && l->nweight > 1 && l->weight[1].loaded;
    lh_set_str(h, "bias", hb ? add_weight(e, fn, "b", l->weight[1].t.d, OC) : "");
    const char *variant = "general";
    if (l->kind == LK_CONV && G == C && G == OC) variant = "depthwise";
    else if (l->kind == LK_CONV && p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 &&
             p->ph == 0 && p->pw == 0)
      variant = "pointwise";
    lh_set_str(h, "variant", variant);
    if (l->kind == LK_CONV) conv_plan(e, l);
    return l->kind == LK_CONV ? "c/conv" : "c/deconv";
  }
  case LK_IP: {
    const rt_ip_param *p = &l->p.ip;
    int64_t M = cnt(in, 0, p->axis), K = cnt(in, p->axis, in->nd), N = p->num_output;
    set_common(e, l, fn);
    lh_set_int(h, "M", M), lh_set_int(h, "K", K), lh_set_int(h, "N", N);
    const float *w = l->weight[0].t.d;
    if (p->transpose) { /* K x N -> N x K for the dot-product loop */
      float *t = ar_array(e->ar, (size_t)(N * K), sizeof *t);
      for (int64_t k = 0; k < K; k++)
        for (int64_t o = 0; o < N; o++) t[o * K + k] = w[k * N + o];
      w = t;
    }
    /* blocks of K x EC_IP_NB, outputs padded with zeros (c/ip) */
    int64_t nblk = (N + EC_IP_NB - 1) / EC_IP_NB;
    float *pk = ar_array(e->ar, (size_t)(nblk * K * EC_IP_NB), sizeof *pk);
    for (int64_t o = 0; o < N; o++)
      for (int64_t k = 0; k < K; k++)
        pk[(o / EC_IP_NB * K + k) * EC_IP_NB + o % EC_IP_NB] = w[o * K + k];
    lh_set_int(h, "NB", EC_IP_NB), lh_set_int(h, "NBLK", nblk);
    lh_set_str(h, "w", add_weight(e, fn, "w", pk, nblk * K * EC_IP_NB));
    bool hb = p->bias_term && l->nweight > 1 && l->weight[1].loaded;
    float *pb = ar_array(e->ar, (size_t)(nblk * EC_IP_NB), sizeof *pb);
    if (hb) memcpy(pb, l->weight[1].t.d, (size_t)N * sizeof *pb);
    lh_set_str(h, "bias", hb ? add_weight(e, fn, "b", pb, nblk * EC_IP_NB) : "");
    return "c/ip";
  }
  case LK_POOL: {
    const rt_pool_param *p = &l->p.pool;
    if (l->ntop != 1 || p->method == RT_POOL_STOCHASTIC || in->nd != 4) break;
    set_common(e, l, fn);
    int H = in->d[2], W = in->d[3];
    bool g = p->global;
    lh_set_int(h, "NC", (int64_t)in->d[0] * in->d[1]);
    lh_set_int(h, "H", H), lh_set_int(h, "W", W);
    lh_set_int(h, "OH", out->d[2]), lh_set_int(h, "OW", out->d[3]);
    lh_set_int(h, "KH", g ? H : p->kh), lh_set_int(h, "KW", g ? W : p->kw);
    lh_set_int(h, "SH", g ? 1 : p->sh), lh_set_int(h, "SW", g ? 1 : p->sw);
    lh_set_int(h, "PH", g ? 0 : p->ph), lh_set_int(h, "PW", g ? 0 : p->pw);
    lh_set_str(h, "method", p->method == RT_POOL_MAX ? "max" : "ave");
    return "c/pool";
  }
  case LK_RELU:
    set_common(e, l, fn);
    set_f(e, "neg", l->p.relu.negative_slope);
    return "c/relu";
  case LK_PRELU: {
    set_common(e, l, fn);
    int C = in->nd > 1 ? in->d[1] : 1;
    bool sh = l->p.prelu.channel_shared;
    lh_set_int(h, "N", in->nd ? in->d[0] : 1), lh_set_int(h, "C", C);
    lh_set_int(h, "INNER", cnt(in, 2, in->nd));
    lh_set_bool(h, "shared", sh);
    lh_set_str(h, "w", add_weight(e, fn, "slope", l->weight[0].t.d, sh ? 1 : C));
    return "c/prelu";
  }
  case LK_SCALE: {
    const rt_scale_param *p = &l->p.scale;
    if (l->nbottom != 1) break;
    set_common(e, l, fn);
    int64_t D = cnt(in, p->axis, p->axis + p->num_axes);
    lh_set_int(h, "OUTER", cnt(in, 0, p->axis)), lh_set_int(h, "D", D);
    lh_set_int(h, "INNER", cnt(in, p->axis + p->num_axes, in->nd));
    lh_set_str(h, "scale", add_weight(e, fn, "scale", l->weight[0].t.d, D));
    bool hb = p->bias_term && l->nweight > 1 && l->weight[1].loaded;
    lh_set_str(h, "bias", hb ? add_weight(e, fn, "bias", l->weight[1].t.d, D) : "");
    return "c/scale";
  }
  case LK_ELTWISE: {
    const rt_eltwise_param *p = &l->p.eltwise;
    set_common(e, l, fn);
    lh_set_str(h, "op", p->op == RT_ELT_PROD ? "prod" : p->op == RT_ELT_MAX ? "max" : "sum");
    const char *co[RT_MAXLIST * 4];
    for (int i = 0; i < l->nbottom && i < RT_MAXLIST * 4; i++)
      co[i] = p->op == RT_ELT_SUM && p->ncoeff && i < p->ncoeff
                  ? ar_strdup(e->ar, fl(p->coeff[i])) : "";
    lh_set_strs(h, "coeff", co, l->nbottom);
    return "c/eltwise";
  }
  case LK_CONCAT: case LK_SLICE: {
    int ax = l->kind == LK_CONCAT ? l->p.concat.axis : l->p.slice.axis;
    bool cat = l->kind == LK_CONCAT;
    const rt_shape *whole = cat ? out : in;
    int parts = cat ? l->nbottom : l->ntop;
    set_common(e, l, fn);
    lh_set_int(h, "OUTER", cnt(whole, 0, ax)), lh_set_int(h, "TOTAL", cnt(whole, ax, whole->nd));
    lh_list_begin(h, "parts");
    int64_t off = 0;
    for (int i = 0; i < parts; i++) {
      const rt_shape *s = cat ? &l->bottom[i]->shape : &l->top[i]->shape;
      int64_t inner = cnt(s, ax, s->nd);
      lh_item_begin(h);
      lh_set_int(h, "i", i), lh_set_int(h, "inner", inner), lh_set_int(h, "off", off);
      lh_item_end(h);
      off += inner;
    }
    lh_list_end(h);
    return cat ? "c/concat" : "c/slice";
  }
  case LK_SOFTMAX: {
    int ax = l->p.softmax.axis;
    set_common(e, l, fn);
    lh_set_int(h, "OUTER", cnt(in, 0, ax)), lh_set_int(h, "C", in->nd > ax ? in->d[ax] : 1);
    lh_set_int(h, "INNER", cnt(in, ax + 1, in->nd));
    return "c/softmax";
  }
  case LK_PERMUTE: {
    const rt_permute_param *p = &l->p.permute;
    if (p->norder != in->nd) break;
    set_common(e, l, fn);
    int64_t stride[RT_MAXDIM], d[RT_MAXDIM], st[RT_MAXDIM];
    for (int k = in->nd - 1, acc = 1; k >= 0; k--) stride[k] = acc, acc *= in->d[k];
    for (int k = 0; k < in->nd; k++) d[k] = out->d[k], st[k] = stride[p->order[k]];
    lh_set_ints(h, "dims", d, in->nd);
    lh_set_ints(h, "strides", st, in->nd);
    return "c/permute";
  }
  case LK_CUSTOM: { /* a call to the plugin function (docs/config.md) */
    const IrCustomType *ct = l->custom;
    set_common(e, l, fn);
    lh_set_str(h, "plugin_fn", l->p.custom.fn);
    lh_set_str(h, "source", ct && ct->source ? ec_comment_safe(e->ar, ct->source) : "");
    int64_t is[4], os[4];
    for (int k = 0; k < 4; k++) is[k] = rt_shape_dim4(in, k), os[k] = rt_shape_dim4(out, k);
    lh_set_ints(h, "in_shape", is, 4), lh_set_ints(h, "out_shape", os, 4);
    bool seen = false;
    for (int k = 0; k < e->nplugin; k++) seen |= e->plugins[k] == ct;
    if (ct && !seen && e->nplugin < 64) e->plugins[e->nplugin++] = ct;
    return "c/custom";
  }
  case LK_FLATTEN: case LK_RESHAPE: case LK_DROPOUT: case LK_SPLIT:
    if (l->nbottom != 1) break;
    set_common(e, l, fn);
    return "c/copy";
  default:
    break;
  }
  return ref_layer(e, l, fn);
}

/* ---- files ---- */

static int write_file(Ec *e, const char *dir, const char *name, const char *data, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
    if (f) fclose(f);
    diag_error(e->dg, (SrcLoc){path, 0, 0}, "cannot write: %s", strerror(errno));
    return -1;
  }
  return 0;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}
static void rm_rf(const char *dir) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

/* Provenance fields shared by every file's table. */
static void set_prov(Ec *e) {
  lh_set_str(e->lh, "version", CHAI_VERSION);
  lh_set_str(e->lh, "cmdline", ec_comment_safe(e->ar, e->o->cmdline ? e->o->cmdline : "chaicc"));
  lh_set_str(e->lh, "prototxt", ec_comment_safe(e->ar, e->n->file));
  lh_set_str(e->lh, "weights", ec_comment_safe(e->ar, e->n->weights_file ? e->n->weights_file : "-"));
  lh_set_str(e->lh, "sha_prototxt", e->o->sha_prototxt ? e->o->sha_prototxt : "-");
  lh_set_str(e->lh, "sha_weights", e->o->sha_weights ? e->o->sha_weights : "-");
  lh_set_str(e->lh, "prefix", e->prefix);
  lh_set_str(e->lh, "PREFIX", e->upper);
  lh_set_str(e->lh, "base", e->base);
  lh_set_str(e->lh, "net_name", ec_comment_safe(e->ar, e->n->name ? e->n->name : ""));
}

static const char *render(Ec *e, const char *tmpl) {
  const char *s = lh_render(e->lh, tmpl, e->ar);
  if (!s) e->bad = 1;
  return s;
}

/* Weight literals, 8 per line. */
static const char *weight_body(Ec *e, const EcWeight *w) {
  Sb b = {0};
  char f[48];
  for (int64_t i = 0; i < w->count; i++) {
    sb_puts(&b, i % 8 == 0 ? "  " : " ");
    sb_puts(&b, ec_float(w->d[i], f, sizeof f));
    sb_puts(&b, i + 1 < w->count ? (i % 8 == 7 ? ",\n" : ",") : "\n");
  }
  char *r = ar_strdup(e->ar, b.s ? b.s : "");
  free(b.s);
  return r;
}

/* Streams every weight array to dir/name at its offset (zero padding in
 * between), without a copy of the whole blob in memory. */
static int write_weights_bin(Ec *e, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  static const float zeros[16];
  int64_t at = 0;
  for (int i = 0; f && i < e->nw; i++) {
    const EcWeight *w = &e->w[i];
    if (at < w->off) fwrite(zeros, sizeof(float), (size_t)(w->off - at), f);
    fwrite(w->d, sizeof(float), (size_t)w->count, f);
    at = w->off + w->count;
  }
  if (f && at < e->wfloats) fwrite(zeros, sizeof(float), (size_t)(e->wfloats - at), f);
  if (!f || ferror(f) | fclose(f)) {
    diag_error(e->dg, (SrcLoc){path, 0, 0}, "cannot write: %s", strerror(errno));
    return -1;
  }
  return 0;
}

/* Copies each plugin's source (relative paths are relative to the YAML
 * config's directory) to dir/plugins/<file name>; names[i] gets the path
 * the CMakeLists uses.  A plugin without a source is left to the user
 * (warning).  Returns -1 after reporting at the declaration. */
static int copy_plugins(Ec *e, const char *dir, const char **names) {
  int np = 0;
  for (int i = 0; i < e->nplugin; i++) {
    const IrCustomType *ct = e->plugins[i];
    if (!ct->source) {
      diag_warn(e->dg, ct->loc, "plugin '%s' has no source: link the function '%s' yourself",
                ct->type, ct->fn);
      continue;
    }
    const char *src = ct->source;
    const char *cf = e->o->cfg ? e->o->cfg->file : NULL, *cs = cf ? strrchr(cf, '/') : NULL;
    if (src[0] != '/' && cs) src = ar_printf(e->ar, "%.*s/%s", (int)(cs - cf), cf, src);
    const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
    const char *rel = ar_printf(e->ar, "plugins/%s", base);
    bool dup = false;
    for (int k = 0; k < np; k++) dup |= !strcmp(names[k], rel);
    if (dup) continue; /* one source for several plugin types */
    FILE *f = fopen(src, "rb");
    Sb b = {0};
    char chunk[8192];
    size_t r;
    if (f)
      while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) sb_put(&b, chunk, r);
    if (!f || ferror(f)) {
      diag_error(e->dg, ct->loc, "cannot read the source of plugin '%s': %s: %s", ct->type, src,
                 strerror(errno));
      if (f) fclose(f);
      free(b.s);
      return -1;
    }
    fclose(f);
    char *pdir = ar_printf(e->ar, "%s/plugins", dir);
    if (np == 0 && mkdir(pdir, 0777)) {
      diag_error(e->dg, (SrcLoc){pdir, 0, 0}, "cannot create: %s", strerror(errno));
      free(b.s);
      return -1;
    }
    int rc = write_file(e, dir, rel, b.s ? b.s : "", b.n);
    free(b.s);
    if (rc) return -1;
    names[np++] = rel;
  }
  e->nplugin = np; /* from here on: the number of copied sources */
  return 0;
}

/* dir/cmake/<triple>.cmake for the Zynq CPUs (c/toolchain). */
static int write_toolchains(Ec *e, const char *dir) {
  static const struct { const char *triple, *proc, *what, *cflags, *qemu; } tc[] = {
      {"aarch64-linux-gnu", "aarch64", "Zynq UltraScale+ MPSoC, Cortex-A53", "-mcpu=cortex-a53",
       "qemu-aarch64"},
      {"arm-linux-gnueabihf", "arm", "Zynq-7000, Cortex-A9",
       "-mcpu=cortex-a9 -mfpu=neon -mfloat-abi=hard", "qemu-arm"},
  };
  char *cdir = ar_printf(e->ar, "%s/cmake", dir);
  if (mkdir(cdir, 0777)) {
    diag_error(e->dg, (SrcLoc){cdir, 0, 0}, "cannot create: %s", strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
    lh_begin(e->lh);
    lh_set_str(e->lh, "version", CHAI_VERSION);
    lh_set_str(e->lh, "triple", tc[i].triple), lh_set_str(e->lh, "processor", tc[i].proc);
    lh_set_str(e->lh, "what", tc[i].what), lh_set_str(e->lh, "cflags", tc[i].cflags);
    lh_set_str(e->lh, "qemu", tc[i].qemu);
    const char *s = render(e, "c/toolchain");
    if (!s || write_file(e, dir, ar_printf(e->ar, "cmake/%s.cmake", tc[i].triple), s, strlen(s)))
      return -1;
  }
  return 0;
}

/* A quantized net compiled for the C target alone runs its fixed-point
 * layers through the runtime's kernels (all software); with the HLS target
 * too, the program calls the HLS sources (C simulation). */
static bool sw_fx(const EcOpts *o) { return !(o->target & EC_TARGET_HLS); }

/* emit_fx callbacks: a blob's float storage; provenance fields. */
static const char *fx_ptr(void *ctx, const Blob *b) { return ptr(ctx, b); }
static void fx_prov(void *ctx) { set_prov(ctx); }

static int gen(Ec *e, const char *dir) {
  Net *n = e->n;
  LhHost *h = e->lh;
  /* layers */
  e->live_names = ar_array(e->ar, (size_t)n->nlayer + 1, sizeof *e->live_names);
  const char **fns = ar_array(e->ar, (size_t)n->nlayer + 1, sizeof *fns);
  if (e->o->qn && !(e->fx = ef_open(&(EfHost){n, e->o->qn, e->o->cfg, h, e->ar, e->dg, e->prefix,
                                                e->upper, e->base, e->o->tb_input, fx_ptr,
                                                fx_prov, e, sw_fx(e->o)})))
    return -1;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    const char *fxcode = NULL;
    if (!l->dead && e->fx && ef_layer(e->fx, l, &fxcode)) {
      if (*fxcode) { /* timed like the float layers */
        sb_printf(&e->calls, "  LAYER(%d,\n%s  );\n", e->nlive, fxcode);
        e->live_names[e->nlive++] = c_string(e->ar, l->name);
      }
      continue;
    }
    if (l->dead || l->kind == LK_INPUT) continue;
    const char *fn = ar_printf(e->ar, "L_%s", ec_ident(e->ar, l->name));
    for (int k = 0; k < i; k++)
      if (fns[k] && !strcmp(fns[k], fn)) fn = ar_printf(e->ar, "L%d_%s", i, ec_ident(e->ar, l->name));
    fns[i] = fn;
    if (e->plan->noop[l->id]) {
      sb_printf(&e->calls, "  /* %s (%s): %s aliases %s */\n", ec_comment_safe(e->ar, l->name),
               ec_comment_safe(e->ar, l->type), ec_comment_safe(e->ar, l->top[0]->name),
               ec_comment_safe(e->ar, l->bottom[0]->name));
      continue;
    }
    lh_begin(h);
    /* quantized nets: float layers run the interpreter's own kernels, so
     * the program is bit-identical to the simulator */
    Fields pf = {0};
    bool ref = e->fx && params(e, l, &pf);
    const char *tmpl = ref ? ref_layer(e, l, fn) : layer_table(e, l, fn);
    if (!tmpl) {
      lh_drop(h);
      continue;
    }
    const char *code = render(e, tmpl);
    if (!code) continue;
    if (e->fx) sb_puts(&e->calls, ef_pre_float(e->fx, l));
    sb_puts(&e->funcs, code);
    sb_puts(&e->funcs, "\n");
    Sb call = {0};
    sb_printf(&call, "%s(", fn);
    for (int k = 0; k < l->nbottom; k++) sb_printf(&call, "%s%s", k ? ", " : "", ptr(e, l->bottom[k]));
    for (int k = 0; k < l->ntop; k++)
      sb_printf(&call, "%s%s", k || l->nbottom ? ", " : "", ptr(e, l->top[k]));
    sb_puts(&call, ")");
    sb_printf(&e->calls, "  LAYER(%d, %s);\n", e->nlive, call.s);
    free(call.s);
    e->live_names[e->nlive++] = c_string(e->ar, l->name);
    if (e->fx) sb_puts(&e->calls, ef_post_float(e->fx, l));
  }
  if (e->bad) return -1;
  if (e->fx) {
    const char *decls = ef_decls(e->fx);
    if (!decls) return -1;
    Sb f = {0};
    sb_puts(&f, decls);
    sb_puts(&f, e->funcs.s ? e->funcs.s : "");
    free(e->funcs.s);
    e->funcs = f;
    sb_puts(&e->calls, ef_end(e->fx));
    e->use_rt = true;
    if (ef_write(e->fx, dir)) return -1;
  }
  if (e->o->target && !(e->o->target & EC_TARGET_C)) return 0;
  bool bin = e->wfloats * 4 > e->o->bin_threshold;
  /* weights */
  lh_begin(h);
  lh_set_bool(h, "bin", bin);
  lh_set_str(h, "blob", ar_printf(e->ar, "%s_weights", e->prefix));
  lh_list_begin(h, "list");
  for (int i = 0; i < e->nw; i++) {
    lh_item_begin(h);
    lh_set_str(h, "sym", e->w[i].sym);
    lh_set_int(h, "count", e->w[i].count);
    lh_set_int(h, "off", e->w[i].off);
    if (!bin) lh_set_str(h, "body", weight_body(e, &e->w[i]));
    lh_item_end(h);
  }
  lh_list_end(h);
  const char *weights = render(e, "c/weights");
  if (!weights) return -1;
  /* the network file */
  lh_begin(h);
  set_prov(e);
  lh_set_str(h, "weights_code", weights);
  lh_set_str(h, "funcs", e->funcs.s ? e->funcs.s : "");
  lh_set_str(h, "calls", e->calls.s ? e->calls.s : "");
  lh_set_int(h, "arena", e->plan->size > 0 ? e->plan->size : 1);
  lh_set_int(h, "scratch", (int64_t)((e->scratch + 3) / 4));
  lh_set_bool(h, "use_rt", e->use_rt);
  lh_set_int(h, "nlayers", e->nlive);
  lh_set_strs(h, "layer_names", e->live_names, e->nlive);
  const char *netc = render(e, "c/net");
  if (!netc || write_file(e, dir, ar_printf(e->ar, "%s.c", e->base), netc, strlen(netc))) return -1;
  /* header */
  const Blob *inb = n->inputs[0];
  lh_begin(h);
  set_prov(e);
  int64_t d[RT_MAXDIM];
  for (int k = 0; k < inb->shape.nd; k++) d[k] = inb->shape.d[k];
  lh_set_ints(h, "in_dims", d, inb->shape.nd);
  lh_set_int(h, "in_count", rt_shape_count(&inb->shape));
  lh_set_str(h, "in_name", ec_comment_safe(e->ar, inb->name));
  lh_list_begin(h, "outputs");
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    lh_item_begin(h);
    for (int k = 0; k < b->shape.nd; k++) d[k] = b->shape.d[k];
    lh_set_ints(h, "dims", d, b->shape.nd);
    lh_set_int(h, "count", rt_shape_count(&b->shape));
    lh_set_str(h, "name", ec_comment_safe(e->ar, b->name));
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_set_int(h, "nlayers", e->nlive > 0 ? e->nlive : 1);
  const char *hdr = render(e, "c/header");
  if (!hdr || write_file(e, dir, ar_printf(e->ar, "%s.h", e->base), hdr, strlen(hdr))) return -1;
  /* main */
  lh_begin(h);
  set_prov(e);
  for (int k = 0; k < inb->shape.nd; k++) d[k] = inb->shape.d[k];
  lh_set_ints(h, "in_dims", d, inb->shape.nd);
  lh_list_begin(h, "outputs");
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    const char *lname = ps_blob_layer_name(n, b);
    const Layer *pl = NULL;
    for (int k = n->nlayer - 1; k >= 0 && !pl; k--)
      if (n->layers[k]->ntop && n->layers[k]->top[0] == b) pl = n->layers[k];
    char file[1024];
    dump_sanitize(lname, file, sizeof file - 8);
    strcat(file, ".npy");
    lh_item_begin(h);
    for (int k = 0; k < b->shape.nd; k++) d[k] = b->shape.d[k];
    lh_set_ints(h, "dims", d, b->shape.nd);
    lh_set_int(h, "count", rt_shape_count(&b->shape));
    lh_set_str(h, "file", c_string(e->ar, file));
    lh_set_str(h, "layer", c_string(e->ar, lname));
    lh_set_str(h, "type", c_string(e->ar, pl ? pl->type : "Input"));
    lh_set_str(h, "top", c_string(e->ar, b->name));
    lh_set_bool(h, "written", pl != NULL); /* `chaicc run -o` writes first tops only */
    lh_set_bool(h, "detout", pl && (pl->kind == LK_DETOUT || !strcmp(pl->type, "DetectionOutput")));
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_set_bool(h, "image_ok", e->o->image_ok);
  if (e->o->image_ok) {
    const rt_preproc *p = &e->o->pp;
    lh_set_int(h, "pp_c", p->c), lh_set_int(h, "pp_h", p->h), lh_set_int(h, "pp_w", p->w);
    lh_set_str(h, "pp_transpose", ints(e, p->transpose, 3));
    lh_set_str(h, "pp_swap", ints(e, p->channel_swap, 4));
    lh_set_int(h, "pp_nswap", p->nswap);
    set_f(e, "pp_raw_scale", p->raw_scale);
    lh_set_int(h, "pp_nmean", p->nmean);
    lh_set_str(h, "pp_mean", floats(e, p->mean_value, 4));
    set_f(e, "pp_input_scale", p->input_scale);
    lh_set_int(h, "pp_resize", p->resize_mode);
    if (p->mean_pixels) {
      EcWeight mw = {"mean", p->mean_pixels, (int64_t)p->c * p->h * p->w, 0};
      lh_set_str(h, "pp_mean_pixels", weight_body(e, &mw));
    }
  }
  const char *mainc = render(e, "c/main");
  if (!mainc || write_file(e, dir, "main.c", mainc, strlen(mainc))) return -1;
  /* weights blob */
  if (bin) {
    if (write_weights_bin(e, dir, ar_printf(e->ar, "%s_weights.bin", e->base))) return -1;
    lh_begin(h);
    set_prov(e);
    lh_set_str(h, "blob", ar_printf(e->ar, "%s_weights", e->prefix));
    lh_set_str(h, "file", ar_printf(e->ar, "%s_weights.bin", e->base));
    const char *s = render(e, "c/incbin");
    if (!s || write_file(e, dir, ar_printf(e->ar, "%s_weights.S", e->base), s, strlen(s)))
      return -1;
  }
  /* plugin sources, toolchain files */
  const char *psrc[64];
  if (copy_plugins(e, dir, psrc) || write_toolchains(e, dir)) return -1;
  /* CMakeLists.txt */
  lh_begin(h);
  set_prov(e);
  lh_set_bool(h, "bin", bin);
  lh_set_strs(h, "plugins", psrc, e->nplugin);
  const char *cm = render(e, "c/cmake");
  if (!cm || write_file(e, dir, "CMakeLists.txt", cm, strlen(cm))) return -1;
  /* runtime sources */
  char rdir[4200];
  snprintf(rdir, sizeof rdir, "%s/runtime", dir);
  if (mkdir(rdir, 0777)) {
    diag_error(e->dg, (SrcLoc){rdir, 0, 0}, "cannot create: %s", strerror(errno));
    return -1;
  }
  for (const LhFile *f = lh_embedded; f->path; f++) {
    if (strncmp(f->path, "runtime/", 8)) continue;
    const char *sl = strrchr(f->path, '/'); /* in a subfolder (runtime/x86/): create it */
    char sub[4400];
    snprintf(sub, sizeof sub, "%s/%.*s", dir, (int)(sl - f->path), f->path);
    if ((sl - f->path > 7 && dump_mkdirs(sub, e->dg)) ||
        write_file(e, dir, f->path, (const char *)f->data, f->len))
      return -1;
  }
  return 0;
}

int ec_emit(Net *n, const PsPlan *plan, const EcOpts *o, Diag *dg) {
  if (n->ninput != 1) {
    diag_error(dg, (SrcLoc){n->file, 0, 0},
               "the C generator supports nets with one input; this one has %d", n->ninput);
    return -1;
  }
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->nweight; k++)
      if (!l->weight[k].loaded && !l->weight[k].optional) {
        ir_error(n, l, "blob %d (%s) has no data: give the caffemodel", k, l->weight[k].role);
        return -1;
      }
  }
  Ec e = {0};
  e.n = n, e.plan = plan, e.o = o, e.dg = dg, e.ar = n->ar;
  const char *nm = n->name && *n->name ? n->name : "net";
  e.base = ec_ident(e.ar, nm);
  e.prefix = o->prefix ? ec_ident(e.ar, o->prefix) : e.base;
  char *up = ar_strdup(e.ar, e.prefix);
  for (char *p = up; *p; p++)
    if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
  e.upper = up;
  e.lh = lh_open(dg);
  /* temp dir next to outdir, renamed into place on success */
  size_t len = strlen(o->outdir);
  char *out = ar_strdup(e.ar, o->outdir);
  while (len > 1 && out[len - 1] == '/') out[--len] = 0;
  char *tmp = ar_printf(e.ar, "%s.tmp.%ld", out, (long)getpid());
  char *old = ar_printf(e.ar, "%s.old.%ld", out, (long)getpid());
  rm_rf(tmp);
  int rc = -1;
  char *parent = ar_strdup(e.ar, out), *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = 0;
    if (dump_mkdirs(parent, dg)) goto done;
  }
  if (mkdir(tmp, 0777)) {
    diag_error(dg, (SrcLoc){tmp, 0, 0}, "cannot create: %s", strerror(errno));
    goto done;
  }
  if (gen(&e, tmp) || e.bad) goto done;
  struct stat st;
  bool had = stat(out, &st) == 0;
  if (had && rename(out, old)) {
    diag_error(dg, (SrcLoc){out, 0, 0}, "cannot replace: %s", strerror(errno));
    goto done;
  }
  if (rename(tmp, out)) {
    diag_error(dg, (SrcLoc){out, 0, 0}, "cannot rename into place: %s", strerror(errno));
    if (had) rename(old, out);
    goto done;
  }
  if (had) rm_rf(old);
  rc = 0;
done:
  if (rc) rm_rf(tmp);
  free(e.funcs.s);
  free(e.calls.s);
  ef_close(e.fx);
  lh_close(e.lh);
  return rc;
}
