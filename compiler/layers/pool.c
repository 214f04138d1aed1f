/* pool.c - Pooling: parameters and Caffe's output-size rule
 * (ceil or floor rounding, then a last window starting in the padding is
 * dropped). */
#include <stdint.h>

#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../hls.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "../quant.h"
#include "caffe.pb-c.h"

/* Reads a scalar/_h/_w triple the way Caffe does: `both` when given (and
 * then neither _h nor _w), else the _h/_w pair (both required), else dflt.
 * Returns -1 after reporting a malformed combination. */
static int pair(Net *n, Layer *l, const Caffe__PoolingParameter *pp,
                const char *what, int has, uint32_t both, int has_h,
                uint32_t h, int has_w, uint32_t w, int dflt, int *oh,
                int *ow) {
  if (has_h || has_w) {
    if (has || !(has_h && has_w)) {
      ir_error_at(n, ir_loc(n, pp, NULL, l), l,
                  "%s_h and %s_w must be given together and without %s", what,
                  what, what);
      return -1;
    }
    *oh = (int)h;
    *ow = (int)w;
  } else if (has) {
    *oh = *ow = (int)both;
  } else {
    *oh = *ow = dflt;
  }
  if (*oh < 0 || *ow < 0 || *oh > (1 << 20) || *ow > (1 << 20)) {
    ir_error_at(n, ir_loc(n, pp, NULL, l), l, "%s %d x %d is out of range",
                what, *oh, *ow);
    return -1;
  }
  return 0;
}

int lk_pool_setup(Layer *l, Net *n) {
  const Caffe__PoolingParameter *pp = l->lp->pooling_param;
  rt_pool_param *p = &l->p.pool;
  if (!pp) {
    ir_error(n, l, "missing pooling_param");
    return -1;
  }
  p->method = (int)pp->pool;
  if (p->method != RT_POOL_MAX && p->method != RT_POOL_AVE &&
      p->method != RT_POOL_STOCHASTIC) {
    ir_error_at(n, ir_loc(n, pp, "pool", l), l, "unknown pooling method %d",
                p->method);
    return -1;
  }
  int maxtop = p->method == RT_POOL_MAX ? 2 : 1;
  if (l->nbottom != 1 || l->ntop < 1 || l->ntop > maxtop) {
    ir_error(n, l, "takes 1 bottom and %s top%s, got %d and %d",
             maxtop == 2 ? "1 or 2 (MAX with mask)" : "1",
             maxtop == 2 ? "s" : "", l->nbottom, l->ntop);
    return -1;
  }
  p->global = pp->global_pooling;
  p->round_mode = pp->round_mode == CAFFE__POOLING_PARAMETER__ROUND_MODE__FLOOR
                      ? RT_ROUND_FLOOR
                      : RT_ROUND_CEIL;
  if (pp->has_round_mode && pp->round_mode != CAFFE__POOLING_PARAMETER__ROUND_MODE__CEIL &&
      pp->round_mode != CAFFE__POOLING_PARAMETER__ROUND_MODE__FLOOR) {
    ir_error_at(n, ir_loc(n, pp, "round_mode", l), l, "unknown round_mode %d",
                (int)pp->round_mode);
    return -1;
  }
  if (pair(n, l, pp, "kernel", pp->has_kernel_size, pp->kernel_size,
           pp->has_kernel_h, pp->kernel_h, pp->has_kernel_w, pp->kernel_w, 0,
           &p->kh, &p->kw) ||
      pair(n, l, pp, "stride", pp->has_stride, pp->stride, pp->has_stride_h,
           pp->stride_h, pp->has_stride_w, pp->stride_w, 1, &p->sh, &p->sw) ||
      pair(n, l, pp, "pad", pp->has_pad, pp->pad, pp->has_pad_h, pp->pad_h,
           pp->has_pad_w, pp->pad_w, 0, &p->ph, &p->pw))
    return -1;
  bool has_kernel = pp->has_kernel_size || pp->has_kernel_h;
  if (p->global) {
    if (has_kernel) {
      ir_error_at(n, ir_loc(n, pp, "global_pooling", l), l,
                  "global_pooling takes no kernel size");
      return -1;
    }
    if (p->ph || p->pw || p->sh != 1 || p->sw != 1) {
      ir_error_at(n, ir_loc(n, pp, "global_pooling", l), l,
                  "global_pooling needs pad 0 and stride 1");
      return -1;
    }
  } else {
    if (!has_kernel || p->kh <= 0 || p->kw <= 0) {
      ir_error_at(n, ir_loc(n, pp, "kernel_size", l), l,
                  "kernel size must be given and positive");
      return -1;
    }
    if (p->ph >= p->kh || p->pw >= p->kw) {
      ir_error_at(n, ir_loc(n, pp, "pad", l), l,
                  "pad %d x %d must be smaller than the kernel %d x %d", p->ph,
                  p->pw, p->kh, p->kw);
      return -1;
    }
  }
  if (p->sh <= 0 || p->sw <= 0) {
    ir_error_at(n, ir_loc(n, pp, "stride", l), l, "stride must be positive");
    return -1;
  }
  if ((p->ph || p->pw) && p->method == RT_POOL_STOCHASTIC) {
    ir_error_at(n, ir_loc(n, pp, "pad", l), l,
                "padding is only supported for MAX and AVE pooling");
    return -1;
  }
  ir_declare_weights(l, n, 0, NULL);
  return 0;
}

/* The darknet2caffe fork (ChenYingpeng/caffe-yolov3,
 * caffe_layers/pooling_layer/pooling_layer.cpp) adds one row and one
 * column to every pooling whose kernel_h - stride_h is odd, so that
 * darknet's "maxpool size 2 stride 1" keeps H x W; no prototxt field says
 * so.  Net.dialect selects it (loader.c tries it only when Caffe's rule
 * leaves the net's shapes in disagreement). */
static int darknet_extra(const rt_pool_param *p, int kh) {
  return (kh - p->sh) % 2 == 1;
}

static bool pool_dialect_differs(const Layer *l) {
  const rt_pool_param *p = &l->p.pool;
  if (!l->bottom[0] || l->bottom[0]->shape.nd != 4) return false;
  return darknet_extra(p, p->global ? l->bottom[0]->shape.d[2] : p->kh);
}

/* Pooled size of one axis: rounded (ceil or floor) window count, plus
 * extra (the darknet2caffe dialect), minus a last window that would start
 * in the padding.  -1 when the kernel does not fit the padded input, -2
 * when a window would start past the input (an extra one without pad). */
static int64_t pooled(int64_t in, int k, int s, int pad, int pad_any,
                      int round_mode, int extra) {
  int64_t num = in + 2 * (int64_t)pad - k;
  if (num < 0) return -1;
  int64_t out = (round_mode == RT_ROUND_CEIL ? (num + s - 1) / s : num / s) + 1 + extra;
  if (pad_any && (out - 1) * s >= in + pad) out--;
  if (extra && (out - 1) * s - pad >= in) return -2;
  return out;
}

int lk_pool_shape(Layer *l, Net *n) {
  rt_pool_param *p = &l->p.pool;
  const rt_shape *in = &l->bottom[0]->shape;
  if (in->nd != 4) {
    ir_error(n, l, "expects a 4-D NCHW bottom, got %d axes", in->nd);
    return -1;
  }
  if (p->global) {
    p->kh = in->d[2];
    p->kw = in->d[3];
  }
  int pad_any = p->ph || p->pw;
  int extra = n->dialect == IR_DIALECT_DARKNET2CAFFE && darknet_extra(p, p->kh);
  int64_t oh = pooled(in->d[2], p->kh, p->sh, p->ph, pad_any, p->round_mode, extra);
  int64_t ow = pooled(in->d[3], p->kw, p->sw, p->pw, pad_any, p->round_mode, extra);
  if (oh == -2 || ow == -2) {
    ir_error(n, l, "the darknet2caffe pooling rule's extra window starts past the %dx%d input",
             in->d[2], in->d[3]);
    return -1;
  }
  if (oh <= 0 || ow <= 0) {
    ir_error(n, l, "kernel %dx%d is larger than the padded input %dx%d", p->kh,
             p->kw, in->d[2] + 2 * p->ph, in->d[3] + 2 * p->pw);
    return -1;
  }
  int64_t od[4] = {in->d[0], in->d[1], oh, ow};
  for (int t = 0; t < l->ntop; t++)
    if (ir_set_shape(n, l, &l->top[t]->shape, 4, od)) return -1;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static int pool_fx(Net *n, Layer *l, QsKernel *k) {
  if (l->ntop > 1) return 1; /* SegNet's mask: float positions (pool_index_tops) */
  if (l->p.pool.method != RT_POOL_MAX && l->p.pool.method != RT_POOL_AVE) return 1;
  rt_fx_pool_param *p = ar_alloc(n->ar, sizeof *p);
  if (rt_fx_prepare_pool(p, &l->p.pool, &k->in, &k->out)) return -1;
  k->fn = rt_fx_pool;
  k->param = p;
  return 0;
}

/* SegNet's second top is the argmax mask. */
static unsigned pool_index_tops(const Layer *l) { return l->ntop > 1 ? 2u : 0u; }

static bool pool_hw_limits(const Layer *l, char *why, size_t n) {
  if (l->p.pool.method != RT_POOL_MAX && l->p.pool.method != RT_POOL_AVE)
    return pt_fail(why, n, "STOCHASTIC pooling (the hardware does MAX and AVE)");
  return pt_fmaps_below(l, PT_MAX_FMAPS, why, n);
}

/* One lane: the window is unrolled in the pipelined loop. */
static void pool_hls_knobs(const Layer *l, HlKnobs *k) {
  (void)l;
  k->ip = k->op = 1;
}

/* The window (unrolled in the pipelined _ox loop) reads the line buffer,
 * partitioned into KH x min(KW, W) banks: one word per bank, II 1
 * (templates/hls/pool.lua). */
static int pool_ii(const Layer *l, const HlKnobs *k) {
  (void)l;
  return hl_maxi_ii(k->ii, 1);
}

/* Whether pooling layer l streams its input rows (templates/hls/pool.lua):
 * windows overlapping vertically (SH < KH, not global, PH < KH), where
 * re-filling the KH window rows per output row would read each input row
 * about KH/SH times.  *ye gets the rows the stream runs over: up to the
 * last window's last row, (OH - 1)*SH - PH + KH (rows past H are shifted
 * in without a read). */
static bool pool_stream(const Layer *l, int64_t *ye) {
  const rt_pool_param *p = &l->p.pool;
  const rt_shape *out = &l->top[0]->shape;
  if (p->global || p->sh >= p->kh || p->ph >= p->kh) return false;
  *ye = (out->d[2] - 1) * p->sh - p->ph + p->kh;
  return true;
}

/* Banks of the line buffer along the row (templates/hls/pool.lua): the
 * KW taps of one window, at most W (8-bit ports); or (pb-byte beats) the
 * span of columns the pb windows of one output beat address, (pb-1)*SW +
 * KW, and at least the pb columns a loaded beat writes; the row is then
 * at least that long (*lw), so that the addresses of the windows past
 * the row's ends (never read) fall in distinct banks too. */
static int64_t pool_banks(const Layer *l, const HlKnobs *k, int64_t *lw) {
  const rt_pool_param *p = &l->p.pool;
  int64_t W = l->bottom[0]->shape.d[3], kw = p->global ? W : p->kw, sw = p->global ? 1 : p->sw;
  *lw = W;
  if (k->pb <= 1) return kw < W ? kw : W;
  int64_t f = (k->pb - 1) * sw + kw;
  if (f < k->pb) f = k->pb;
  if (f > W) *lw = f;
  return f;
}

/* The loops of templates/hls/pool.lua, per plane.  With 8-bit ports
 * (k->pb 1): streaming (pool_stream): YE row shifts of W cycles each
 * (rows inside the input are W-beat bursts), then OW window iterations per
 * output row at the II; else per output row the bursts of its window rows
 * inside the input (W beats each), then the OW window iterations.  With
 * pb-byte beats a loaded input row is RB = hl_row_beats(W) beats (its
 * covering beats; a streamed row past the input ceil(W / pb)) and an
 * output row OB = hl_row_beats(OW) iterations of pb windows each, whose
 * first and last beats are read first (read-modify-write).  The m_axi
 * bytes are the bursts' beats and the outputs. */
static void pool_rows_est(const Layer *l, const HlKnobs *k, HlEst *e) {
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  const rt_pool_param *p = &l->p.pool;
  int64_t H = in->d[2], W = in->d[3], OH = out->d[2], OW = out->d[3];
  int64_t NC = in->d[0] * in->d[1], kh = p->global ? H : p->kh;
  int64_t sh = p->global ? 1 : p->sh, ph = p->global ? 0 : p->ph, rows = 0, ye = 0;
  int pb = k->pb > 1 ? k->pb : 1;
  int64_t rb = hl_row_beats(W, pb), ob = hl_row_beats(OW, pb), vb = hl_cdiv(W, pb);
  e->ii = pool_ii(l, k);
  if (pool_stream(l, &ye)) {
    rows = ye < H ? ye : H;
    e->cycles = NC * (rows * rb + (ye - rows) * vb);
  } else {
    for (int64_t oy = 0; oy < OH; oy++)
      for (int64_t ky = 0; ky < kh; ky++) {
        int64_t iy = oy * sh - ph + ky;
        rows += iy >= 0 && iy < H;
      }
    e->cycles = NC * rows * rb;
  }
  e->rd_fm = pb * NC * rows * rb;
  e->cycles += e->ii * NC * OH * ob;
  e->wr_fm = pb * NC * OH * ob;
  if (pb > 1) {
    e->pb = pb;
    e->rd_fm += pb * NC * OH * hl_rmw_reads(ob);
  }
  e->dsp = k->ident ? 0 : 3 * pb; /* a requantization per lane (3 DSP48s) */
  int64_t lw, f = pool_banks(l, k, &lw);
  e->bram18k = hl_bram18k(kh * lw, 8, kh * f);
}

/* The plane form's cycles per layer (templates/hls/pool.lua): per plane
 * one burst of H*W bytes, OH rows of ceil(OW/pb) window beats into the
 * output plane at the II, one burst of OH*OW bytes. */
static int64_t plane_cycles(const Layer *l, const HlKnobs *k) {
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int64_t OH = out->d[2], OW = out->d[3];
  return in->d[0] * in->d[1] *
         (hl_row_beats(in->d[2] * in->d[3], k->pb) + pool_ii(l, k) * OH * hl_cdiv(OW, k->pb) +
          hl_row_beats(OH * OW, k->pb));
}

/* Whether pooling layer l buffers whole planes (templates/hls/pool.lua's
 * plane form; wide ports with k->plane_bytes, docs/hls.md "Whole planes"):
 * not global, its input and output planes each fit k->plane_bytes, and
 * the plane form takes fewer cycles than the rows (pool_rows_est).  *khb
 * gets the banks along the plane's rows: KH (a window's rows), and at
 * least the rows one pb-byte beat of the plane can span. */
static bool pool_plane(const Layer *l, const HlKnobs *k, int64_t *khb) {
  const rt_pool_param *p = &l->p.pool;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int64_t W = in->d[3], span = k->pb > 1 ? hl_cdiv(k->pb - 1, W) + 1 : 1;
  *khb = p->kh > span ? p->kh : span;
  if (k->pb <= 1 || k->plane_bytes <= 0 || p->global || in->d[2] * W > k->plane_bytes ||
      out->d[2] * out->d[3] > k->plane_bytes)
    return false;
  HlEst r = {0};
  pool_rows_est(l, k, &r);
  return plane_cycles(l, k) < r.cycles;
}

/* Pooling's loops (pool_rows_est, or the plane form: the m_axi bytes are
 * its two bursts' beats, the drain's first and last beats read first). */
static void pool_hls_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  int64_t khb;
  if (!pool_plane(l, k, &khb)) {
    pool_rows_est(l, k, e);
    return;
  }
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int64_t H = in->d[2], W = in->d[3], OH = out->d[2], OW = out->d[3], NC = in->d[0] * in->d[1];
  int64_t pdb = hl_row_beats(OH * OW, k->pb), lw, f = pool_banks(l, k, &lw);
  e->ii = pool_ii(l, k);
  e->cycles = plane_cycles(l, k);
  e->pb = k->pb;
  e->rd_fm = k->pb * NC * (hl_row_beats(H * W, k->pb) + hl_rmw_reads(pdb));
  e->wr_fm = k->pb * NC * pdb;
  e->dsp = k->ident ? 0 : 3 * k->pb; /* a requantization per lane (3 DSP48s) */
  e->bram18k = hl_bram18k(H * lw, 8, khb * f) + hl_bram18k(OH * OW, 8, k->pb);
}

/* ---- fixed-point emitters (emit_fx.h, emit_hls.h) ---- */

static void pool_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_fx_pool_param *p = param;
  (void)l;
  ef_call_kernel(c, "rt_fx_pool", "rt_fx_pool_param");
  ef_call_struct(c, "g", "rt_pool_param", &p->g);
  ef_call_field(c, "M", "%d", (int)p->M), ef_call_field(c, "sh", "%d", p->sh);
  ef_call_field(c, "qmin", "%d", (int)p->qmin), ef_call_field(c, "qmax", "%d", (int)p->qmax);
}

/* pool.lua's output is a plain saturation (the scales are equal). */
static bool pool_fx_ident(const void *param) {
  const rt_fx_pool_param *p = param;
  return eh_ident_m(p->M, p->sh);
}

/* hls/pool: MAX or AVE over the window (the whole map when global), one
 * lane, or (eh_fn_wide) the 8 / 16 outputs of a beat per iteration over
 * fm64 / fm128. */
static const char *pool_hls_fn(EhFn *f, const Layer *l, const void *param) {
  const rt_fx_pool_param *p = param;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int H = in->d[2], W = in->d[3];
  bool g = p->g.global;
  int kh = g ? H : p->g.kh, kw = g ? W : p->g.kw;
  LhHost *h = eh_fn_begin(f, l, 1);
  lh_set_int(h, "NC", (int64_t)in->d[0] * in->d[1]);
  lh_set_int(h, "H", H), lh_set_int(h, "W", W), lh_set_int(h, "OH", out->d[2]);
  lh_set_int(h, "OW", out->d[3]), lh_set_int(h, "KH", kh), lh_set_int(h, "KW", kw);
  lh_set_int(h, "SH", g ? 1 : p->g.sh), lh_set_int(h, "SW", g ? 1 : p->g.sw);
  lh_set_int(h, "PH", g ? 0 : p->g.ph), lh_set_int(h, "PW", g ? 0 : p->g.pw);
  lh_set_bool(h, "ave", p->g.method == RT_POOL_AVE);
  lh_set_str(h, "st", (int64_t)kh * kw < 65536 ? "int32_t" : "int64_t");
  lh_set_bool(h, "ident", eh_ident_m(p->M, p->sh));
  lh_set_int(h, "M", p->M), lh_set_int(h, "sh", p->sh);
  lh_set_int(h, "qmin", p->qmin), lh_set_int(h, "qmax", p->qmax);
  lh_set_int(h, "II", pool_ii(l, f->k));
  lh_set_int(h, "LANES", 1);
  int64_t xo = 0, yo = 0, ye = 0;
  HlKnobs k = *f->k;
  if (!eh_fn_wide(f, &xo, &yo)) k.pb = 1;
  eh_set_beat(h, k.pb);
  int64_t lw, lbf = pool_banks(l, &k, &lw);
  lh_set_int(h, "LBF", lbf), lh_set_int(h, "LW", lw);
  lh_set_int(h, "XO", xo), lh_set_int(h, "YO", yo);
  lh_set_int(h, "RB", hl_row_beats(W, k.pb)), lh_set_int(h, "VB", hl_cdiv(W, k.pb));
  lh_set_int(h, "OB", hl_row_beats(out->d[3], k.pb));
  lh_set_bool(h, "stream", pool_stream(l, &ye));
  int64_t khb;
  bool plane = k.pb > 1 && pool_plane(l, &k, &khb);
  lh_set_bool(h, "plane", plane);
  if (plane) {
    lh_set_int(h, "KHB", khb);
    lh_set_int(h, "PRB", hl_row_beats((int64_t)H * W, k.pb));
    lh_set_int(h, "OBP", hl_cdiv(out->d[3], k.pb));
    lh_set_int(h, "PDB", hl_row_beats((int64_t)out->d[2] * out->d[3], k.pb));
  }
  lh_set_int(h, "YE", ye);
  lh_set_int(h, "KL", kh - 1 - (g ? 0 : p->g.ph)); /* row y ends output row (y - KL) / SH */
  return eh_fn_render(f, "hls/pool");
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/pool: max or average over NCHW planes (global pooling as one window
 * of the whole plane); NULL (reference kernel) for stochastic pooling,
 * other layouts or more than one top. */
static const char *pool_emit_c(EcLayer *c, const Layer *l) {
  const rt_pool_param *p = &l->p.pool;
  const rt_shape *in = &l->bottom[0]->shape;
  if (l->ntop != 1 || p->method == RT_POOL_STOCHASTIC || in->nd != 4) return NULL;
  const rt_shape *out = &l->top[0]->shape;
  int H = in->d[2], W = in->d[3];
  bool g = p->global;
  ec_int(c, "NC", (int64_t)in->d[0] * in->d[1]);
  ec_int(c, "H", H), ec_int(c, "W", W);
  ec_int(c, "OH", out->d[2]), ec_int(c, "OW", out->d[3]);
  ec_int(c, "KH", g ? H : p->kh), ec_int(c, "KW", g ? W : p->kw);
  ec_int(c, "SH", g ? 1 : p->sh), ec_int(c, "SW", g ? 1 : p->sw);
  ec_int(c, "PH", g ? 0 : p->ph), ec_int(c, "PW", g ? 0 : p->pw);
  ec_str(c, "method", p->method == RT_POOL_MAX ? "max" : "ave");
  return "c/pool";
}

/* MAX pooling selects input values (padding never wins: Caffe skips it). */
static bool pool_keeps_scale(const Layer *l) {
  return l->p.pool.method == RT_POOL_MAX && l->nbottom == 1 && l->ntop >= 1;
}

const LayerOps lk_pool_ops = {
    .setup = lk_pool_setup,
    .shape = lk_pool_shape,
    .dialect_differs = pool_dialect_differs,
    .fx_prepare = pool_fx,
    .index_tops = pool_index_tops,
    .keeps_scale = pool_keeps_scale,
    .hw_limits = pool_hw_limits,
    .hls_knobs = pool_hls_knobs,
    .hls_estimate = pool_hls_estimate,
    .hls_fx_ident = pool_fx_ident,
    .fx_call = pool_fx_call,
    .hls_fn = pool_hls_fn,
    .emit_c = pool_emit_c,
};
