/* qsim.c - fixed-point simulator (see qsim.h). */
#include "qsim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/rt_npy.h"
#include "dump.h"
#include "loader.h"
#include "passes.h"
#include "quant.h"

/* How a live layer runs. */
enum {
  QL_DEAD = 0, /* removed by the passes */
  QL_FLOAT,    /* float reference kernel, no LayerQuant */
  QL_COPY,     /* copy-like kind on codes: tops keep the bottom's format */
  QL_INPUTQ,   /* Input with q: quantize the given floats */
  QL_FX,       /* integer kernel */
  QL_FXF,      /* has q but no integer kernel: float between boundaries */
};

/* How one bottom of a fixed-point layer reaches its declared format. */
enum { QB_AS_IS = 0, QB_QUANT, QB_REQ };

typedef struct QsConv {
  int op;
  rt_fx_quant_param qp; /* QB_QUANT: the target format */
  int32_t M, qmin, qmax; /* QB_REQ */
  int8_t sh;
} QsConv;

typedef struct QsLayer {
  int mode;
  QsKernel k;            /* kernel, formats (in: declared input; out: the
                            tops') and the post requantization */
  QsConv *cv;            /* per bottom (QL_FX) */
  rt_fx_quant_param outq; /* QL_INPUTQ / QL_FXF: tops' quantization */
} QsLayer;

struct QsNet {
  Net *n;
  QsLayer *L;   /* per layer id */
  bool *fx;     /* per blob id: holds codes */
  rt_fx_q *fmt; /* per blob id: their format */
  bool *written; /* per blob id: some live layer (or the caller) sets it */
};

struct QsState {
  const QsNet *qn;
  Interp in;
  int16_t **code; /* per blob id */
  int16_t ***scr; /* per layer id, per bottom: conversion scratch */
  bool *fresh;    /* per blob id: float view matches the codes */
};

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (!p) {
    fprintf(stderr, "chaicc: fatal: out of memory (%zu x %zu bytes)\n", n, sz);
    exit(3);
  }
  return p;
}

bool qs_net_has_quant(const Net *n) {
  for (int i = 0; i < n->nlayer; i++)
    if (n->layers[i]->q) return true;
  return false;
}

Net *qs_net(const QsNet *qn) { return qn->n; }

static bool fmt_eq(const rt_fx_q *a, const rt_fx_q *b) {
  return a->bw == b->bw && a->sym == b->sym && a->scale == b->scale;
}

static bool fmt_ok(const rt_fx_q *f) {
  return f->bw >= RT_FX_MINBW && f->bw <= RT_FX_MAXBW && isfinite(f->scale) &&
         f->scale > 0;
}

/* A layer's declared input (out = 0) or output (out = 1) format. */
static rt_fx_q fmt_of(const LayerQuant *q, int out) {
  if (q->mode == QM_XILINX)
    return rt_fx_q_threshold(out ? q->th_out : q->th_in, out ? q->bw_out : q->bw_in);
  return rt_fx_q_dfixed(out ? q->bw_out : q->bw_in, out ? q->fl_out : q->fl_in);
}

/* Checks a format; a zero threshold (an all-zero tensor at calibration)
 * gets scale 1 with a warning, anything else invalid is an error. */
static int fix_fmt(Net *n, const Layer *l, rt_fx_q *f, const char *what) {
  if (fmt_ok(f)) return 0;
  if (f->bw >= RT_FX_MINBW && f->bw <= RT_FX_MAXBW && f->scale == 0) {
    diag_warn(n->dg, l->q->loc, "layer '%s': %s threshold is 0; using scale 1", l->name, what);
    f->scale = 1;
    return 0;
  }
  ir_error_at(n, l->q->loc, l, "%s format is invalid (bw %d, scale %g)", what, f->bw, f->scale);
  return -1;
}

/* The layers folded or fused into l (fused_names "a+b+c"), in order. */
static int chain(const Net *n, const Layer *l, Layer **out, int max) {
  int k = 0;
  const char *s = l->fused_names;
  while (s && *s && k < max) {
    const char *e = strchr(s, '+');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char name[512];
    if (len < sizeof name) {
      memcpy(name, s, len);
      name[len] = 0;
      Layer *f = ld_find_layer(n, name);
      if (f) out[k++] = f;
    }
    s = e ? e + 1 : NULL;
  }
  return k;
}

/* Output formats of a live layer with q: *pre is what its own operation
 * produces (the last non-ReLU layer of its chain with q), *fin what its
 * top finally holds (the last layer of the chain with q). */
static void out_fmts(const Net *n, const Layer *l, rt_fx_q *pre, rt_fx_q *fin) {
  Layer *c[64];
  int k = chain(n, l, c, 64);
  *pre = *fin = fmt_of(l->q, 1);
  for (int i = 0; i < k; i++) {
    if (!c[i]->q) continue;
    *fin = fmt_of(c[i]->q, 1);
    if (c[i]->kind != LK_RELU) *pre = *fin;
  }
}

const float *qs_wdata(const Layer *l, int k) {
  return k < l->nweight && l->weight[k].loaded ? l->weight[k].t.d : NULL;
}

int qs_mac_begin(Net *n, Layer *l, QsMac *m) {
  const LayerQuant *q = l->q;
  LayerMac g;
  lk_ops(l)->mac(l, &g);
  int nout = g.nout;
  if (q->bw_params <= 0) {
    ir_error_at(n, q->loc, l, "precision_param has no bw_params for a layer with weights");
    return -1;
  }
  double *ws = ar_array(n->ar, (size_t)nout, sizeof(double));
  m->wq = (rt_fx_wq){q->bw_params, q->mode == QM_XILINX, ws};
  if (q->mode == QM_XILINX) {
    if (q->nth != nout && q->nth != 1) {
      ir_error_at(n, q->loc, l, "%d th_params for %d output channels", q->nth, nout);
      return -1;
    }
    for (int c = 0; c < nout; c++) {
      float th = q->th_params[q->nth == 1 ? 0 : c];
      ws[c] = th > 0 ? (double)th / (double)rt_fx_qmax(q->bw_params) : 1.0;
    }
  } else {
    for (int c = 0; c < nout; c++) ws[c] = ldexp(1.0, -q->fl_params);
  }
  const Weight *w0 = &l->weight[0];
  int64_t nw = rt_shape_count(&w0->t.s);
  bool hasb = *g.bias_term && qs_wdata(l, 1);
  m->relu = !l->fused_relu ? RT_FX_RELU_NONE
            : l->relu_slope == 0 ? RT_FX_RELU : RT_FX_LEAKY;
  m->st = (rt_fx_mac_store){
      ar_array(n->ar, (size_t)nw, sizeof(int16_t)),
      ar_array(n->ar, (size_t)nout, sizeof(int64_t)),
      ar_array(n->ar, (size_t)nout, sizeof(int32_t)),
      ar_array(n->ar, (size_t)nout, sizeof(int8_t)),
      ar_array(n->ar, (size_t)nout, sizeof(int32_t)),
      ar_array(n->ar, (size_t)nout, sizeof(int8_t))};
  m->w = w0->t.d;
  m->b = hasb ? qs_wdata(l, 1) : NULL;
  return 0;
}

int qs_mac_end(Net *n, const Layer *l, int r) {
  if (r) {
    ir_error_at(n, l->q->loc, l, "cannot prepare the fixed-point layer (scales out of range or accumulator bound above 2^62)");
    return -1;
  }
  return 0;
}

int qs_prep_affine(Net *n, const Layer *l, QsKernel *k, int axis, int nch, const float *a,
                   const float *b) {
  rt_fx_affine_param *p = ar_alloc(n->ar, sizeof *p);
  if (rt_fx_prepare_affine(p, axis, nch, a, b, &k->in, &k->out,
                           ar_array(n->ar, (size_t)nch, sizeof(int32_t)),
                           ar_array(n->ar, (size_t)nch, sizeof(int8_t)),
                           ar_array(n->ar, (size_t)nch, sizeof(int64_t)))) {
    ir_error_at(n, l->q->loc, l, "cannot prepare the fixed-point affine layer");
    return -1;
  }
  k->fn = rt_fx_affine;
  k->param = p;
  return 0;
}

int qs_prep_pass(Layer *l, QsKernel *k, rt_fx_kernel_fn fn) {
  /* codes pass unchanged; a declared output format different from the
   * input is reached by the post requantization */
  k->fn = fn;
  k->param = &l->p;
  if (!fmt_eq(&k->in, &k->out)) {
    k->post = true;
    if (rt_fx_prepare_relu(&k->post_p, 1.0f, &k->in, &k->out)) return -1;
  }
  return 0;
}

/* Prepares the boundary conversions of a fixed-point layer's bottoms. */
static int prep_bottoms(QsNet *qn, Layer *l, QsLayer *ql) {
  ql->cv = ar_array(qn->n->ar, (size_t)(l->nbottom ? l->nbottom : 1), sizeof(QsConv));
  for (int k = 0; k < l->nbottom; k++) {
    const Blob *b = l->bottom[k];
    QsConv *c = &ql->cv[k];
    if (!qn->fx[b->id]) {
      c->op = QB_QUANT;
      if (rt_fx_prepare_quant(&c->qp, &ql->k.in)) return -1;
    } else if (!fmt_eq(&qn->fmt[b->id], &ql->k.in)) {
      c->op = QB_REQ;
      if (rt_fx_multiplier(qn->fmt[b->id].scale / ql->k.in.scale, &c->M, &c->sh) < 0) return -1;
      c->qmin = rt_fx_qmin(ql->k.in.bw, ql->k.in.sym);
      c->qmax = rt_fx_qmax(ql->k.in.bw);
    }
  }
  return 0;
}

QsNet *qs_prepare(Net *n, Diag *dg) {
  PsLog lg;
  ps_log_init(&lg, n->ar);
  if (ps_run(n, &lg)) return NULL;
  QsNet *qn = ar_alloc(n->ar, sizeof *qn);
  qn->n = n;
  int maxid = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (n->layers[i]->id > maxid) maxid = n->layers[i]->id;
  qn->L = ar_array(n->ar, (size_t)maxid + 1, sizeof(QsLayer));
  qn->fx = ar_array(n->ar, (size_t)n->nblob, sizeof(bool));
  qn->fmt = ar_array(n->ar, (size_t)n->nblob, sizeof(rt_fx_q));
  qn->written = ar_array(n->ar, (size_t)n->nblob, sizeof(bool));
  for (int i = 0; i < n->ninput; i++) qn->written[n->inputs[i]->id] = true;
  bool warned[LK_NKINDS] = {0};
  int errs = dg->nerrors;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    QsLayer *ql = &qn->L[l->id];
    if (l->dead) {
      ql->mode = QL_DEAD;
      continue;
    }
    for (int t = 0; t < l->ntop; t++) qn->written[l->top[t]->id] = true;
    if (!l->q) {
      bool codes = l->nbottom == 1 && qn->fx[l->bottom[0]->id];
      ql->mode = codes && lk_is(l->kind, LKF_COPY) && !l->fused_relu ? QL_COPY : QL_FLOAT;
      if (ql->mode == QL_COPY)
        for (int t = 0; t < l->ntop; t++) {
          qn->fx[l->top[t]->id] = true;
          qn->fmt[l->top[t]->id] = qn->fmt[l->bottom[0]->id];
        }
      continue;
    }
    rt_fx_q pre, fin;
    out_fmts(n, l, &pre, &fin);
    ql->k.in = fmt_of(l->q, 0);
    if (fix_fmt(n, l, &pre, "output") || fix_fmt(n, l, &fin, "output")) continue;
    bool src = lk_is(l->kind, LKF_SOURCE), mac = lk_is(l->kind, LKF_MAC);
    if (!src && fix_fmt(n, l, &ql->k.in, "input")) continue;
    ql->k.out = mac ? fin : pre;
    int r;
    if (src) {
      ql->mode = QL_INPUTQ;
      r = rt_fx_prepare_quant(&ql->outq, &ql->k.out) ? -1 : 0;
    } else {
      ql->mode = QL_FX;
      const LayerOps *ops = lk_ops(l);
      r = ops->fx_prepare ? ops->fx_prepare(n, l, &ql->k) : 1;
      if (r == 0 && !mac && !fmt_eq(&pre, &fin)) {
        /* a fused ReLU (or trailing format change) after a non-MAC layer */
        if (ql->k.post) {
          ir_error_at(n, l->q->loc, l, "cannot chain two output requantizations");
          r = -1;
        } else {
          ql->k.post = true;
          float slope = l->fused_relu ? l->relu_slope : 1.0f;
          if (rt_fx_prepare_relu(&ql->k.post_p, slope, &ql->k.out, &fin)) r = -1;
          ql->k.out = fin;
        }
      } else if (r == 0 && !mac && l->fused_relu) {
        ql->k.post = true;
        if (rt_fx_prepare_relu(&ql->k.post_p, l->relu_slope, &ql->k.out, &fin)) r = -1;
        ql->k.out = fin;
      }
    }
    if (r > 0) {
      if (!warned[l->kind]) {
        diag_warn(dg, l->loc,
                  "layer '%s': %s has no fixed-point kernel; it runs in float between "
                  "a dequantize and a quantize (warned once per kind)",
                  l->name, lk_info[l->kind].caffe_type);
        warned[l->kind] = true;
      }
      ql->mode = QL_FXF;
      ql->k.out = fin;
      r = rt_fx_prepare_quant(&ql->outq, &ql->k.out) ? -1 : 0;
    }
    if (r == 0 && ql->mode == QL_FX) r = prep_bottoms(qn, l, ql);
    if (r < 0) {
      if (dg->nerrors == errs) ir_error_at(n, l->q->loc, l, "cannot prepare the fixed-point layer");
      continue;
    }
    for (int t = 0; t < l->ntop; t++) {
      if (ir_blob_is_index(l->top[t])) continue; /* positions stay float */
      qn->fx[l->top[t]->id] = true;
      qn->fmt[l->top[t]->id] = ql->k.out;
    }
  }
  return dg->nerrors > errs ? NULL : qn;
}

QsState *qs_state_new(const QsNet *qn) {
  Net *n = qn->n;
  QsState *st = xcalloc(1, sizeof *st);
  st->qn = qn;
  if (in_init(&st->in, n)) {
    free(st);
    return NULL;
  }
  st->code = xcalloc((size_t)n->nblob, sizeof(int16_t *));
  st->fresh = xcalloc((size_t)n->nblob, sizeof(bool));
  for (int i = 0; i < n->nblob; i++)
    if (qn->fx[i])
      st->code[i] = xcalloc((size_t)rt_shape_count(&n->blobs[i]->shape), sizeof(int16_t));
  int maxid = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (n->layers[i]->id > maxid) maxid = n->layers[i]->id;
  st->scr = xcalloc((size_t)maxid + 1, sizeof(int16_t **));
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    const QsLayer *ql = &qn->L[l->id];
    if (ql->mode != QL_FX) continue;
    st->scr[l->id] = xcalloc((size_t)(l->nbottom ? l->nbottom : 1), sizeof(int16_t *));
    for (int k = 0; k < l->nbottom; k++)
      if (ql->cv[k].op != QB_AS_IS)
        st->scr[l->id][k] =
            xcalloc((size_t)rt_shape_count(&l->bottom[k]->shape), sizeof(int16_t));
  }
  return st;
}

void qs_state_free(QsState *st) {
  if (!st) return;
  const Net *n = st->qn->n;
  for (int i = 0; i < n->nblob; i++) free(st->code[i]);
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (!st->scr[l->id]) continue;
    for (int k = 0; k < l->nbottom; k++) free(st->scr[l->id][k]);
    free(st->scr[l->id]);
  }
  free(st->scr);
  free(st->code);
  free(st->fresh);
  in_free(&st->in);
  free(st);
}

void qs_set_input(QsState *st, int i, const float *data) { in_set_input(&st->in, i, data); }

/* Makes the float view of a code blob current. */
static void deq(QsState *st, const Blob *b) {
  const QsNet *qn = st->qn;
  if (!qn->fx[b->id] || st->fresh[b->id]) return;
  rt_fx_quant_param p;
  rt_fx_prepare_quant(&p, &qn->fmt[b->id]);
  rt_fx_dequantize(&p, st->code[b->id], st->in.buf[b->id], rt_shape_count(&b->shape));
  st->in.shape[b->id] = b->shape;
  st->fresh[b->id] = true;
}

static void run_fx(QsState *st, Layer *l, const QsLayer *ql) {
  rt_fx_tensor bt[RT_MAXLIST * 4], tt[RT_MAXLIST * 4];
  int nb = l->nbottom < RT_MAXLIST * 4 ? l->nbottom : RT_MAXLIST * 4;
  int nt = l->ntop < RT_MAXLIST * 4 ? l->ntop : RT_MAXLIST * 4;
  for (int k = 0; k < nb; k++) {
    const Blob *b = l->bottom[k];
    int64_t cnt = rt_shape_count(&b->shape);
    const QsConv *c = &ql->cv[k];
    int16_t *d = st->code[b->id];
    if (c->op == QB_QUANT) {
      d = st->scr[l->id][k];
      rt_fx_quantize(&c->qp, st->in.buf[b->id], d, cnt);
    } else if (c->op == QB_REQ) {
      const int16_t *x = st->code[b->id];
      d = st->scr[l->id][k];
      for (int64_t i = 0; i < cnt; i++)
        d[i] = (int16_t)rt_fx_requant(x[i], c->M, c->sh, c->qmin, c->qmax);
    }
    bt[k].s = b->shape;
    bt[k].d = d;
  }
  for (int t = 0; t < nt; t++) {
    tt[t].s = l->top[t]->shape;
    tt[t].d = st->code[l->top[t]->id];
  }
  rt_fx_args a = {nb, nt, bt, tt};
  ql->k.fn(ql->k.param, &a);
  if (ql->k.post) {
    rt_fx_args pa = {1, 1, tt, tt};
    rt_fx_relu(&ql->k.post_p, &pa);
  }
}

void qs_run(QsState *st) {
  const QsNet *qn = st->qn;
  Net *n = qn->n;
  memset(st->fresh, 0, (size_t)n->nblob * sizeof(bool));
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    const QsLayer *ql = &qn->L[l->id];
    switch (ql->mode) {
    case QL_DEAD:
      break;
    case QL_FLOAT:
    case QL_FXF:
      for (int k = 0; k < l->nbottom; k++) deq(st, l->bottom[k]);
      in_run_layer(&st->in, l);
      if (ql->mode == QL_FXF)
        for (int t = 0; t < l->ntop; t++) {
          const Blob *b = l->top[t];
          if (!qn->fx[b->id]) continue; /* index_tops */
          rt_fx_quantize(&ql->outq, st->in.buf[b->id], st->code[b->id],
                         rt_shape_count(&b->shape));
        }
      break;
    case QL_INPUTQ:
      for (int t = 0; t < l->ntop; t++) {
        const Blob *b = l->top[t];
        rt_fx_quantize(&ql->outq, st->in.buf[b->id], st->code[b->id],
                       rt_shape_count(&b->shape));
      }
      break;
    case QL_COPY:
      for (int t = 0; t < l->ntop; t++) {
        const Blob *b = l->top[t];
        memcpy(st->code[b->id], st->code[l->bottom[0]->id],
               (size_t)rt_shape_count(&b->shape) * sizeof(int16_t));
      }
      break;
    case QL_FX:
      run_fx(st, l, ql);
      break;
    }
  }
}

const int16_t *qs_codes(const QsState *st, const Blob *b, rt_fx_q *fmt) {
  if (!st->qn->fx[b->id]) return NULL;
  if (fmt) *fmt = st->qn->fmt[b->id];
  return st->code[b->id];
}

const float *qs_blob_f32(QsState *st, const Blob *b) {
  deq(st, b);
  return st->in.buf[b->id];
}

const Interp *qs_interp(QsState *st) {
  for (int i = 0; i < st->qn->n->nblob; i++) deq(st, st->qn->n->blobs[i]);
  return &st->in;
}

double qs_sqnr(const float *x, const float *xq, int64_t n) {
  double s = 0, e = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = (double)x[i] - (double)xq[i];
    s += (double)x[i] * x[i];
    e += d * d;
  }
  if (e == 0) return INFINITY;
  if (s == 0) return -INFINITY;
  return 10.0 * log10(s / e);
}

/* Writes one blob; *dtype gets the descr used. */
static int write_blob(QsState *st, const Blob *b, const char *path, int raw,
                      const char **dtype, Diag *dg) {
  const rt_shape *s = raw && st->qn->fx[b->id] ? &b->shape : in_shape(&st->in, b);
  int64_t d[RT_MAXDIM], cnt = rt_shape_count(s);
  for (int k = 0; k < s->nd; k++) d[k] = s->d[k];
  char err[512];
  int r;
  rt_fx_q f;
  const int16_t *c = raw ? qs_codes(st, b, &f) : NULL;
  if (c && f.bw <= 8) {
    int8_t *v = xcalloc((size_t)cnt, 1);
    for (int64_t i = 0; i < cnt; i++) v[i] = (int8_t)c[i];
    *dtype = "|i1";
    r = rt_npy_write(path, *dtype, v, s->nd, d, err, sizeof err);
    free(v);
  } else if (c) {
    *dtype = "<i2";
    r = rt_npy_write(path, *dtype, c, s->nd, d, err, sizeof err);
  } else {
    *dtype = "<f4";
    r = rt_npy_write(path, *dtype, qs_blob_f32(st, b), s->nd, d, err, sizeof err);
  }
  if (r) diag_error(dg, (SrcLoc){path, 0, 0}, "%s", err);
  return r ? -1 : 0;
}

int qs_dump(QsState *st, const char *dir, int all, int raw, Diag *dg) {
  const QsNet *qn = st->qn;
  const Net *n = qn->n;
  if (dump_mkdirs(dir, dg)) return -1;
  char path[4096], tmp[4200], name[1024];
  FILE *mf = dump_manifest_open(dir, tmp, sizeof tmp, dg);
  if (!mf) return -1;
  fprintf(mf, "{\n \"chaicc\": \"%s\",\n \"simulator\": \"fixed-point\",\n \"layers\": [",
          CHAI_VERSION);
  int first = 1, bad = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->ntop == 0) continue;
    const Blob *b = l->top[0];
    /* one file per computed blob, under the last layer that names it */
    if (!qn->written[b->id] || strcmp(ps_blob_layer_name(n, b), l->name)) continue;
    if (!all && !b->is_output) continue;
    dump_sanitize(l->name, name, sizeof name - 8);
    strcat(name, ".npy");
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *dtype = "<f4";
    if (write_blob(st, b, path, raw, &dtype, dg)) bad = 1;
    const rt_shape *s = in_shape(&st->in, b);
    if (qn->fx[b->id]) s = &b->shape;
    fprintf(mf, "%s\n  {\"layer\": ", first ? "" : ",");
    dump_json_str(mf, l->name);
    fprintf(mf, ", \"type\": ");
    dump_json_str(mf, l->type);
    fprintf(mf, ", \"top\": ");
    dump_json_str(mf, b->name);
    fprintf(mf, ", \"file\": ");
    dump_json_str(mf, name);
    fprintf(mf, ", \"shape\": [");
    for (int k = 0; k < s->nd; k++) fprintf(mf, "%s%d", k ? ", " : "", s->d[k]);
    fprintf(mf, "], \"dtype\": \"%s\"", dtype);
    if (qn->fx[b->id]) {
      const rt_fx_q *f = &qn->fmt[b->id];
      fprintf(mf, ", \"bw\": %d, \"scale\": %.17g, \"symmetric\": %s", f->bw, f->scale,
              f->sym ? "true" : "false");
    }
    if (l->fused_names) {
      fprintf(mf, ", \"fused\": ");
      dump_json_str(mf, l->fused_names);
    }
    fprintf(mf, ", \"is_output\": %s}", b->is_output ? "true" : "false");
    first = 0;
  }
  fprintf(mf, "\n ]\n}\n");
  return dump_manifest_close(mf, tmp, dir, bad, dg);
}

/* ---- read-only view ---- */

QsMode qs_layer_mode(const QsNet *qn, const Layer *l) {
  switch (qn->L[l->id].mode) {
  case QL_FLOAT: return QS_FLOAT;
  case QL_COPY: return QS_COPY;
  case QL_INPUTQ: return QS_INPUTQ;
  case QL_FX: return QS_FX;
  case QL_FXF: return QS_FXF;
  default: return QS_DEAD;
  }
}

const void *qs_layer_param(const QsNet *qn, const Layer *l) { return qn->L[l->id].k.param; }
rt_fx_q qs_layer_in(const QsNet *qn, const Layer *l) { return qn->L[l->id].k.in; }
rt_fx_q qs_layer_out(const QsNet *qn, const Layer *l) { return qn->L[l->id].k.out; }

const rt_fx_relu_param *qs_layer_post(const QsNet *qn, const Layer *l) {
  const QsLayer *ql = &qn->L[l->id];
  return ql->mode == QL_FX && ql->k.post ? &ql->k.post_p : NULL;
}

const rt_fx_quant_param *qs_layer_outq(const QsNet *qn, const Layer *l) {
  const QsLayer *ql = &qn->L[l->id];
  return ql->mode == QL_INPUTQ || ql->mode == QL_FXF ? &ql->outq : NULL;
}

int qs_bottom_conv(const QsNet *qn, const Layer *l, int k, rt_fx_quant_param *qp,
                   rt_fx_relu_param *req) {
  const QsLayer *ql = &qn->L[l->id];
  if (ql->mode != QL_FX || !ql->cv || k < 0 || k >= l->nbottom) return QS_CV_AS_IS;
  const QsConv *c = &ql->cv[k];
  if (c->op == QB_QUANT && qp) *qp = c->qp;
  if (c->op == QB_REQ && req) {
    req->M = req->Mn = c->M;
    req->sh = req->shn = c->sh;
    req->qmin = c->qmin;
    req->qmax = c->qmax;
  }
  return c->op == QB_QUANT ? QS_CV_QUANT : c->op == QB_REQ ? QS_CV_REQ : QS_CV_AS_IS;
}

bool qs_blob_fmt(const QsNet *qn, const Blob *b, rt_fx_q *fmt) {
  if (!qn->fx[b->id]) return false;
  if (fmt) *fmt = qn->fmt[b->id];
  return true;
}
