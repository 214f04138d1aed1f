/* conv.c - Convolution (and its DepthwiseConvolution aliases) and
 * Deconvolution: parameter parsing and Caffe's output-size rules. */
#include <stdint.h>
#include <stdlib.h>

#include "../calib.h"
#include "../emit_fx.h"
#include "../emit_hls.h"
#include "../emit_kind.h"
#include "../hls.h"
#include "../ir.h"
#include "../partition.h"
#include "../qsim.h"
#include "../../runtime/rt_par.h"
#include "caffe.pb-c.h"

/* Reads one of kernel/stride/pad/dilation: the _h/_w pair when given, else
 * the repeated field with 1 value (both axes) or 2 values (h, w), else
 * `dflt`.  Reports a located error for malformed combinations. */
static int spatial(Net *n, Layer *l, const Caffe__ConvolutionParameter *cp,
                   const char *what, size_t nrep, const uint32_t *rep,
                   int has_h, uint32_t h, int has_w, uint32_t w, int dflt,
                   int *oh, int *ow) {
  if (has_h || has_w) {
    if (!(has_h && has_w) || nrep) {
      ir_error_at(n, ir_loc(n, cp, NULL, l), l,
                  "%s_h and %s_w must be given together and without %s", what,
                  what, what);
      return -1;
    }
    *oh = (int)h;
    *ow = (int)w;
  } else if (nrep == 0) {
    *oh = *ow = dflt;
  } else if (nrep == 1 || nrep == 2) {
    *oh = (int)rep[0];
    *ow = (int)rep[nrep - 1];
  } else {
    ir_error_at(n, ir_loc(n, cp, NULL, l), l,
                "%s has %zu values; only 2-D (1 or 2 values) is supported",
                what, nrep);
    return -1;
  }
  if (*oh < 0 || *ow < 0 || *oh > (1 << 20) || *ow > (1 << 20)) {
    ir_error_at(n, ir_loc(n, cp, NULL, l), l, "%s %d x %d is out of range",
                what, *oh, *ow);
    return -1;
  }
  return 0;
}

/* DeepLab v1's hole (or hole_h and hole_w together): its name for the
 * dilation, same output size and taps; not together with dilation. */
static int dl_hole(Net *n, Layer *l, const Caffe__ConvolutionParameter *cp,
                   int *dh, int *dw) {
  if (!cp->has_hole && !cp->has_hole_h && !cp->has_hole_w) return 0;
  if (cp->n_dilation || (cp->has_hole_h != cp->has_hole_w) ||
      (cp->has_hole && cp->has_hole_h)) {
    ir_error_at(n, ir_loc(n, cp, cp->has_hole ? "hole" : "hole_h", l), l,
                "hole (DeepLab's dilation) is hole, or hole_h and hole_w, "
                "and never together with dilation");
    return -1;
  }
  *dh = (int)(cp->has_hole ? cp->hole : cp->hole_h);
  *dw = (int)(cp->has_hole ? cp->hole : cp->hole_w);
  return 0;
}

static int setup_common(Layer *l, Net *n) {
  const Caffe__ConvolutionParameter *cp = l->lp->convolution_param;
  rt_conv_param *p = &l->p.conv;
  if (!cp) {
    ir_error(n, l, "missing convolution_param");
    return -1;
  }
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  if (!cp->has_num_output || cp->num_output == 0) {
    ir_error_at(n, ir_loc(n, cp, "num_output", l), l,
                "num_output must be given and positive");
    return -1;
  }
  p->num_output = (int)cp->num_output;
  p->group = cp->has_group ? (int)cp->group : 1;
  p->bias_term = cp->has_bias_term ? cp->bias_term : 1;
  p->axis = cp->has_axis ? cp->axis : 1;
  if (spatial(n, l, cp, "kernel_size", cp->n_kernel_size, cp->kernel_size,
              cp->has_kernel_h, cp->kernel_h, cp->has_kernel_w, cp->kernel_w,
              -1, &p->kh, &p->kw) ||
      spatial(n, l, cp, "stride", cp->n_stride, cp->stride, cp->has_stride_h,
              cp->stride_h, cp->has_stride_w, cp->stride_w, 1, &p->sh, &p->sw) ||
      spatial(n, l, cp, "pad", cp->n_pad, cp->pad, cp->has_pad_h, cp->pad_h,
              cp->has_pad_w, cp->pad_w, 0, &p->ph, &p->pw) ||
      spatial(n, l, cp, "dilation", cp->n_dilation, cp->dilation, 0, 0, 0, 0,
              1, &p->dh, &p->dw))
    return -1;
  if (dl_hole(n, l, cp, &p->dh, &p->dw)) return -1;
  if (p->kh <= 0 || p->kw <= 0) {
    ir_error_at(n, ir_loc(n, cp, "kernel_size", l), l,
                "kernel size must be given and positive");
    return -1;
  }
  if (p->sh <= 0 || p->sw <= 0 || p->dh <= 0 || p->dw <= 0) {
    ir_error_at(n, ir_loc(n, cp, NULL, l), l,
                "stride and dilation must be positive");
    return -1;
  }
  if (p->group <= 0 || p->num_output % p->group) {
    ir_error_at(n, ir_loc(n, cp, "group", l), l,
                "num_output %d is not divisible by group %d", p->num_output,
                p->group);
    return -1;
  }
  static const char *const roles[] = {"weights", "bias"};
  ir_declare_weights(l, n, p->bias_term ? 2 : 1, roles);
  return 0;
}

int lk_conv_setup(Layer *l, Net *n) { return setup_common(l, n); }
int lk_deconv_setup(Layer *l, Net *n) { return setup_common(l, n); }

/* Common checks on the bottom; returns channels or -1. */
static int check_bottom(Layer *l, Net *n) {
  const rt_shape *in = &l->bottom[0]->shape;
  const rt_conv_param *p = &l->p.conv;
  if (in->nd != 4 || p->axis != 1) {
    ir_error(n, l, "expects a 4-D NCHW bottom with axis 1, got %d axes", in->nd);
    return -1;
  }
  if (in->d[1] % p->group) {
    ir_error(n, l, "input channels %d are not divisible by group %d", in->d[1],
             p->group);
    return -1;
  }
  return in->d[1];
}

int lk_conv_shape(Layer *l, Net *n) {
  const rt_conv_param *p = &l->p.conv;
  int c = check_bottom(l, n);
  if (c < 0) return -1;
  const rt_shape *in = &l->bottom[0]->shape;
  int64_t ekh = (int64_t)p->dh * (p->kh - 1) + 1;
  int64_t ekw = (int64_t)p->dw * (p->kw - 1) + 1;
  int64_t oh = ((int64_t)in->d[2] + 2 * p->ph - ekh) / p->sh + 1;
  int64_t ow = ((int64_t)in->d[3] + 2 * p->pw - ekw) / p->sw + 1;
  if ((int64_t)in->d[2] + 2 * p->ph < ekh || (int64_t)in->d[3] + 2 * p->pw < ekw) {
    ir_error(n, l, "kernel %dx%d (dilated %lldx%lld) is larger than the padded input %dx%d",
             p->kh, p->kw, (long long)ekh, (long long)ekw, in->d[2] + 2 * p->ph,
             in->d[3] + 2 * p->pw);
    return -1;
  }
  int64_t od[4] = {in->d[0], p->num_output, oh, ow};
  int64_t wd[4] = {p->num_output, c / p->group, p->kh, p->kw};
  int64_t bd[1] = {p->num_output};
  if (ir_set_shape(n, l, &l->top[0]->shape, 4, od) ||
      ir_set_shape(n, l, &l->weight[0].expect, 4, wd))
    return -1;
  if (p->bias_term && ir_set_shape(n, l, &l->weight[1].expect, 1, bd)) return -1;
  return 0;
}

int lk_deconv_shape(Layer *l, Net *n) {
  const rt_conv_param *p = &l->p.conv;
  int c = check_bottom(l, n);
  if (c < 0) return -1;
  const rt_shape *in = &l->bottom[0]->shape;
  int64_t ekh = (int64_t)p->dh * (p->kh - 1) + 1;
  int64_t ekw = (int64_t)p->dw * (p->kw - 1) + 1;
  int64_t oh = (int64_t)p->sh * (in->d[2] - 1) + ekh - 2 * p->ph;
  int64_t ow = (int64_t)p->sw * (in->d[3] - 1) + ekw - 2 * p->pw;
  if (oh <= 0 || ow <= 0) {
    ir_error(n, l, "output size %lldx%lld is not positive", (long long)oh,
             (long long)ow);
    return -1;
  }
  int64_t od[4] = {in->d[0], p->num_output, oh, ow};
  int64_t wd[4] = {c, p->num_output / p->group, p->kh, p->kw};
  int64_t bd[1] = {p->num_output};
  if (ir_set_shape(n, l, &l->top[0]->shape, 4, od) ||
      ir_set_shape(n, l, &l->weight[0].expect, 4, wd))
    return -1;
  if (p->bias_term && ir_set_shape(n, l, &l->weight[1].expect, 1, bd)) return -1;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static long long conv_macs(const Layer *l) {
  const rt_shape *o = &l->top[0]->shape, *in = &l->bottom[0]->shape;
  return rt_shape_count(o) * (long long)(in->d[1] / l->p.conv.group) * l->p.conv.kh *
         l->p.conv.kw;
}

static long long deconv_macs(const Layer *l) {
  const rt_shape *in = &l->bottom[0]->shape;
  return rt_shape_count(in) * (long long)(l->p.conv.num_output / l->p.conv.group) *
         l->p.conv.kh * l->p.conv.kw;
}

static void conv_mac(Layer *l, LayerMac *m) {
  m->nout = l->p.conv.num_output;
  m->axis = l->p.conv.axis;
  m->bias_term = &l->p.conv.bias_term;
}

static int conv_out_channels(const Layer *l) { return l->p.conv.num_output; }

/* Convolution weights: O x C/g x kh x kw, output channel major. */
static void conv_fold_weights(const Layer *l, const float *w, float *nw, int64_t cnt, int nout,
                              const double *a) {
  (void)l;
  int64_t per = cnt / nout;
  for (int64_t i = 0; i < cnt; i++) nw[i] = (float)(w[i] * a[i / per]);
}

/* Deconvolution weights: C x O/g x kh x kw. */
static void deconv_fold_weights(const Layer *l, const float *w, float *nw, int64_t cnt,
                                int nout, const double *a) {
  int g = l->p.conv.group, in = l->weight[0].t.s.d[0], opg = nout / g;
  int64_t khw = cnt / ((int64_t)in * opg);
  for (int64_t i = 0; i < cnt; i++) {
    int64_t ic = i / (opg * khw), oc = (i / khw) % opg;
    int o = (int)(ic / (in / g)) * opg + (int)oc;
    nw[i] = (float)(w[i] * a[o]);
  }
}

/* Gathers each output channel's C/g x kh x kw taps of the C x O/g x kh x kw
 * Deconvolution weights into one buffer. */
static void deconv_each_out(const Layer *l, int nout,
                            void (*fn)(void *, int, const float *, int64_t), void *ctx) {
  const rt_tensor *w = &l->weight[0].t;
  int64_t cnt = rt_shape_count(&w->s);
  int cin = w->s.d[0], g = l->p.conv.group > 0 ? l->p.conv.group : 1;
  int og = nout / g, cg = cin / g;
  int64_t k = cin && og ? cnt / ((int64_t)cin * og) : 0;
  float *buf = cb_xcalloc((size_t)(cg * k), sizeof(float));
  for (int o = 0; o < nout; o++) {
    int grp = og ? o / og : 0, j = og ? o % og : 0;
    int64_t m = 0;
    for (int ci = grp * cg; ci < (grp + 1) * cg && ci < cin; ci++) {
      const float *p = w->d + ((int64_t)ci * og + j) * k;
      for (int64_t t = 0; t < k; t++) buf[m++] = p[t];
    }
    fn(ctx, o, buf, m);
  }
  free(buf);
}

/* Both directions: 2-D NCHW with axis 1 only (else float). */
static int fx_common(Net *n, Layer *l, QsKernel *k, bool conv) {
  if (l->p.conv.axis != 1 || l->bottom[0]->shape.nd != 4) return 1;
  QsMac m;
  if (qs_mac_begin(n, l, &m)) return -1;
  int nout = l->p.conv.num_output;
  rt_fx_conv_param *p = ar_alloc(n->ar, sizeof *p);
  int cin = l->bottom[0]->shape.d[1];
  int r = (conv ? rt_fx_prepare_conv : rt_fx_prepare_deconv)(
      p, &l->p.conv, cin, m.w, m.b, &k->in, &m.wq, &k->out, m.relu, l->relu_slope, &m.st);
  k->fn = conv ? rt_fx_conv : rt_fx_deconv;
  k->param = p;
  if (!r && conv) { /* the int8 copy of 8-bit weights */
    int8_t *w8 = ar_array(n->ar, (size_t)(nout * rt_fx_conv_k4(p)), 1);
    int32_t *a0 = ar_array(n->ar, (size_t)nout, sizeof(int32_t));
    if (!rt_fx_conv_pack8(p, w8, a0)) p->w8 = w8, p->acc0 = a0;
    int64_t *wa = ar_array(n->ar, (size_t)nout, sizeof(int64_t));
    rt_fx_conv_wabs(p, wa);
    p->wabs = wa;
  }
  return qs_mac_end(n, l, r);
}

static int conv_fx(Net *n, Layer *l, QsKernel *k) { return fx_common(n, l, k, true); }
static int deconv_fx(Net *n, Layer *l, QsKernel *k) { return fx_common(n, l, k, false); }

static bool conv_hw_limits(const Layer *l, char *why, size_t n) {
  const rt_conv_param *p = &l->p.conv;
  if (p->kh != p->kw) return pt_fail(why, n, "kernel %dx%d is not square", p->kh, p->kw);
  if (p->kh != 1 && p->kh != 3 && p->kh != 5 && p->kh != 7 && p->kh != 11)
    return pt_fail(why, n, "kernel %dx%d is not one of 1, 3, 5, 7, 11", p->kh, p->kw);
  if (p->sh != p->sw)
    return pt_fail(why, n, "stride %dx%d: horizontal and vertical strides differ", p->sh, p->sw);
  if (p->dh != p->dw || (p->dh != 1 && p->dh != 6))
    return pt_fail(why, n, "dilation %dx%d is not 1 or 6", p->dh, p->dw);
  return pt_fmaps_below(l, PT_MAX_FMAPS, why, n);
}

static bool deconv_hw_limits(const Layer *l, char *why, size_t n) {
  (void)l, (void)why, (void)n; /* CHaiDNN: 16-bit only (a quantizer concern) */
  return true;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Channel parallelism up to the channels of one group. */
static void conv_hls_knobs(const Layer *l, HlKnobs *k) {
  int G = l->p.conv.group > 0 ? l->p.conv.group : 1;
  k->ip = clampi(k->ip, 1, l->bottom[0]->shape.d[1] / G);
  k->op = clampi(k->op, 1, l->top[0]->shape.d[1] / G);
}

/* The proven II of the MAC loop (docs/hls.md): one IP x OP word of the
 * weight ROM (or, AXI weights, of the burst-filled buffer wb), IP xb
 * banks and OP acc banks per iteration -> 1. */
static int conv_mac_ii(const HlKnobs *k) { return hl_maxi_ii(k->ii, 1); }

/* target.dsp_packing applies (codes of at most 8 bits: a hardware
 * segment's activations always are, the weights too unless the
 * precision_param says otherwise): two output channels per multiplier. */
static bool conv_packs(const Layer *l, const HlKnobs *k) {
  return k->pack && (!l->q || l->q->bw_params <= 8);
}


/* The loops of templates/hls/conv.lua at their proven IIs.  On-chip
 * weights: per output row the line-buffer bursts (C x the rows x W), per
 * output pixel the init (G*NOCT), per tap inside the input (the code skips
 * the others: vt (pixel, tap) pairs) the fill
 * from the line buffer (G*NICT) and the MAC loop (G*NOCT*NICT at its II),
 * the output stage (OC), per output row the drain bursts (OC x OW).  AXI
 * weights: per output channel block (G*NOCT of them) the weight burst
 * (taps*NICT*IP*OP), then per output row the group's line-buffer bursts
 * (ICG x the rows x W), per pixel the init (1), per tap the fill (NICT)
 * and MAC (NICT), the output stage (OP); the drain bursts (OC x OW per
 * output row in all). */
static void hls_est_common(const Layer *l, const HlKnobs *k, HlEst *e, bool de) {
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  const rt_conv_param *p = &l->p.conv;
  int64_t N = in->d[0], G = p->group, C = in->d[1], ICG = C / G, OC = out->d[1], OCG = OC / G;
  int64_t H = in->d[2], W = in->d[3], OH = out->d[2], OW = out->d[3];
  int64_t pix = N * OH * OW, taps = (int64_t)p->kh * p->kw, IP = k->ip, OP = k->op;
  int64_t NOCT = hl_cdiv(OCG, OP), NICT = hl_cdiv(ICG, IP), rows = hl_fill_rows(p, H, OH, de);
  int64_t drain = N * OH * OC * OW, wblk = taps * NICT * IP * OP;
  /* (pixel, tap) pairs inside the input: the taps the code runs */
  int64_t vt = N * rows * hl_fill_cols(p, W, OW, de);
  e->ii = conv_mac_ii(k);
  if (k->axi) {
    int64_t blocks = N * G * NOCT;
    e->rd_fm = blocks * ICG * rows * W;
    e->bytes_wts = blocks * wblk;
    e->cycles = e->bytes_wts + e->rd_fm + blocks * OH * OW * (1 + OP) + G * NOCT * vt * (NICT + NICT * e->ii) +
                drain;
  } else {
    e->rd_fm = N * C * rows * W;
    e->bytes_wts = 0;
    e->cycles = e->rd_fm + pix * (G * NOCT + OC) + vt * (G * NICT + G * NOCT * NICT * e->ii) + drain;
  }
  e->wr_fm = drain;
  /* MACs (packed: one multiplier per pair of output channels, fx_mul2)
   * + the one output requantization */
  e->dsp = IP * (conv_packs(l, k) ? (OP + 1) / 2 : OP) + 3;
  e->macs = pix * OC * ICG * taps;
  /* the arrays of templates/hls/conv.lua (32-bit bias and acc assumed):
   * weight ROM or buffer wb, bias, M, sh, acc, xb, the line buffer lb
   * (IP banks), the output row(s) ob */
  int64_t nblk = k->axi ? 1 : G * NOCT, nx = k->axi ? NICT : G * NICT;
  e->bram18k = hl_bram18k(k->axi ? taps * NICT : taps * G * NOCT * NICT, 8 * (int)(IP * OP), 1) +
               hl_bram18k(G * NOCT, 32 * (int)OP, 1) + hl_bram18k(OC, 32, 1) + hl_bram18k(OC, 8, 1) +
               hl_bram18k(nblk * OP, 32, OP) + hl_bram18k(nx * IP, 8, IP) +
               hl_bram18k((k->axi ? ICG : C) * p->kh * W, 8, IP) +
               hl_bram18k((k->axi ? OP : OC) * OW, 8, 1);
}

static void conv_hls_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  hls_est_common(l, k, e, false);
}

static void deconv_hls_estimate(const Layer *l, const HlKnobs *k, HlEst *e) {
  hls_est_common(l, k, e, true);
  /* gather form: only taps on the stride grid hit */
  e->macs = e->macs / ((int64_t)l->p.conv.sh * l->p.conv.sw);
}

static int64_t conv_hls_wbytes(const Layer *l) {
  const rt_conv_param *p = &l->p.conv;
  int G = p->group > 0 ? p->group : 1;
  return (int64_t)l->bottom[0]->shape.d[1] / G * l->top[0]->shape.d[1] * p->kh * p->kw;
}

/* ---- fixed-point emitters (emit_fx.h, emit_hls.h) ---- */

/* Both directions: rt_fx_conv_param with the geometry, weights, bias and
 * output stage (plus the int8 copy and |w| sums when prepared). */
static void fx_call_common(EfCall *c, const Layer *l, const rt_fx_conv_param *p, bool conv) {
  const rt_conv_param *g = &p->g;
  int G = g->group, OC = g->num_output;
  int64_t taps = (int64_t)g->kh * g->kw;
  int64_t nw = conv ? (int64_t)OC * (p->cin / G) * taps : (int64_t)p->cin * (OC / G) * taps;
  (void)l;
  ef_call_kernel(c, conv ? "rt_fx_conv" : "rt_fx_deconv", "rt_fx_conv_param");
  ef_call_struct(c, "g", "rt_conv_param", g);
  ef_call_field(c, "cin", "%d", p->cin);
  ef_call_field(c, "w", "%s", ef_call_array(c, "int16_t", "W", nw, eu_g16, p->w));
  ef_call_field(c, "bias", "%s", p->bias ? ef_call_array(c, "int64_t", "B", OC, eu_g64, p->bias) : "NULL");
  ef_call_outq(c, &p->q, OC);
  ef_call_field(c, "acc64", "%s", p->acc64 ? "true" : "false");
  ef_call_field(c, "acc_bound", "%s", ef_call_i64(c, p->acc_bound));
  if (p->w8 && p->acc0) { /* the int8 copy (rt_fx_conv_pack8) */
    ef_call_field(c, "w8", "%s", ef_call_array(c, "int8_t", "W8", OC * rt_fx_conv_k4(p), eu_g8, p->w8));
    ef_call_field(c, "acc0", "%s", ef_call_array(c, "int32_t", "A0", OC, eu_g32, p->acc0));
  }
  if (p->wabs) /* sum |w| per channel (rt_fx_conv_wabs) */
    ef_call_field(c, "wabs", "%s", ef_call_array(c, "int64_t", "WA", OC, eu_g64, p->wabs));
}

static void conv_fx_call(EfCall *c, const Layer *l, const void *param) {
  fx_call_common(c, l, param, true);
}

static void deconv_fx_call(EfCall *c, const Layer *l, const void *param) {
  fx_call_common(c, l, param, false);
}

int16_t *hl_conv_weights(Arena *ar, const rt_conv_param *p, int C, int OC, const int16_t *src, int IP,
                         int OP, int k, bool axi, bool de, int64_t *nw) {
  int G = p->group > 0 ? p->group : 1;
  int ICG = C / G, OCG = OC / G, KH = p->kh, KW = p->kw;
  if (k < 1 || G % k) k = 1;
  int EG = G / k, EICG = k * ICG, EOCG = k * OCG; /* the groups as laid out */
  int NICT = (EICG + IP - 1) / IP, NOCT = (EOCG + OP - 1) / OP;
  *nw = (int64_t)KH * KW * EG * NOCT * NICT * IP * OP;
  int16_t *w = ar_array(ar, (size_t)*nw, sizeof *w); /* zeros: padding and across groups */
  for (int g = 0; g < G; g++)
    for (int icl = 0; icl < ICG; icl++)
      for (int ocl = 0; ocl < OCG; ocl++)
        for (int ky = 0; ky < KH; ky++)
          for (int kx = 0; kx < KW; kx++) {
            int64_t src_i = de ? ((((int64_t)(g * ICG + icl)) * OCG + ocl) * KH + ky) * KW + kx
                               : ((((int64_t)(g * OCG + ocl)) * ICG + icl) * KH + ky) * KW + kx;
            int eg = g / k, eic = g % k * ICG + icl, eoc = g % k * OCG + ocl;
            int64_t tap = ((int64_t)ky * KW + kx) * EG + eg;
            int64_t blk = axi ? ((int64_t)eg * NOCT + eoc / OP) * KH * KW + (int64_t)ky * KW + kx
                              : tap * NOCT + eoc / OP;
            int64_t dst_i = ((blk * NICT + eic / IP) * IP + eic % IP) * OP + eoc % OP;
            w[dst_i] = src[src_i];
          }
  return w;
}

/* hls/conv, both directions: weights reordered to [ky][kx][g][icl][ocl],
 * in a ROM or (in a segment with the axi knob) in the AXI weight memory. */
static const char *hls_common(EhFn *f, const Layer *l, const rt_fx_conv_param *p, bool de) {
  Arena *ar = eh_fn_arena(f);
  const HlKnobs *k = f->k;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  int C = in->d[1], H = in->d[2], W = in->d[3], OC = out->d[1], G = p->g.group;
  int ICG = C / G, OCG = OC / G, KH = p->g.kh, KW = p->g.kw;
  int IP = k->ip, OP = k->op, NICT = (ICG + IP - 1) / IP, NOCT = (OCG + OP - 1) / OP;
  bool axi = f->hw && k->axi;
  int64_t D = (int64_t)KH * KW * G * NOCT * NICT, nw;
  int16_t *w = hl_conv_weights(ar, &p->g, C, OC, p->w, IP, OP, 1, axi, de, &nw);
  int64_t *bias = NULL;
  if (p->bias) { /* [g][oct][op], padded */
    bias = ar_array(ar, (size_t)G * NOCT * OP, sizeof *bias);
    for (int o = 0; o < OC; o++)
      bias[((int64_t)(o / OCG) * NOCT + (o % OCG) / OP) * OP + (o % OCG) % OP] = p->bias[o];
  }
  LhHost *h = eh_fn_begin(f, l, 1);
  int wbw = l->q ? l->q->bw_params : 16;
  lh_set_bool(h, "rom", !axi);
  lh_set_bool(h, "wts", axi);
  lh_set_str(h, "wtype", wbw <= 8 ? "int8_t" : "int16_t");
  lh_set_str(h, "w", ar_printf(ar, "%s_w", f->fn));
  lh_set_int(h, "nw", nw);
  if (axi) {
    int8_t *w8 = ar_array(ar, (size_t)nw, 1);
    for (int64_t i = 0; i < nw; i++) w8[i] = (int8_t)w[i];
    lh_set_int(h, "woff", eh_fn_add_wts(f, w8, nw));
  } else {
    lh_set_str(h, "wbody", eu_ibody(ar, nw, eu_g16, w));
  }
  lh_set_str(h, "at", p->acc64 ? "int64_t" : "int32_t");
  lh_set_bool(h, "wide", p->acc64);
  lh_set_str(h, "bias", p->bias ? ar_printf(ar, "%s_b", f->fn) : "");
  if (p->bias) lh_set_str(h, "bbody", eu_ibody(ar, (int64_t)G * NOCT * OP, eu_g64, bias));
  lh_set_str(h, "Mbody", eu_ibody(ar, OC, eu_g32, p->q.M));
  int32_t *sh = ar_array(ar, (size_t)OC, sizeof *sh);
  for (int o = 0; o < OC; o++) sh[o] = p->q.sh[o];
  lh_set_str(h, "shbody", eu_ibody(ar, OC, eu_g32, sh));
  lh_set_int(h, "relu", p->q.relu);
  if (p->q.relu == RT_FX_LEAKY) {
    lh_set_str(h, "Mnbody", eu_ibody(ar, OC, eu_g32, p->q.Mn));
    int32_t *shn = ar_array(ar, (size_t)OC, sizeof *shn);
    for (int o = 0; o < OC; o++) shn[o] = p->q.shn[o];
    lh_set_str(h, "shnbody", eu_ibody(ar, OC, eu_g32, shn));
  }
  lh_set_int(h, "qmin", p->q.qmin), lh_set_int(h, "qmax", p->q.qmax);
  lh_set_int(h, "N", in->d[0]), lh_set_int(h, "C", C), lh_set_int(h, "H", H), lh_set_int(h, "W", W);
  lh_set_int(h, "OC", OC), lh_set_int(h, "OH", out->d[2]), lh_set_int(h, "OW", out->d[3]);
  lh_set_int(h, "KH", KH), lh_set_int(h, "KW", KW), lh_set_int(h, "SH", p->g.sh);
  lh_set_int(h, "SW", p->g.sw), lh_set_int(h, "PH", p->g.ph), lh_set_int(h, "PW", p->g.pw);
  lh_set_int(h, "DH", p->g.dh), lh_set_int(h, "DW", p->g.dw), lh_set_int(h, "G", G);
  lh_set_int(h, "ICG", ICG), lh_set_int(h, "OCG", OCG);
  lh_set_int(h, "IP", IP), lh_set_int(h, "OP", OP), lh_set_int(h, "II", conv_mac_ii(k));
  lh_set_int(h, "NICT", NICT), lh_set_int(h, "NOCT", NOCT), lh_set_int(h, "D", D);
  lh_set_int(h, "NT", (int64_t)G * NOCT), lh_set_int(h, "NX", (int64_t)G * NICT);
  lh_set_bool(h, "exact", ICG % IP == 0 && OCG % OP == 0);
  lh_set_bool(h, "pack", f->hw && conv_packs(l, k));
  lh_set_bool(h, "deconv", de);
  return eh_fn_render(f, "hls/conv");
}

static const char *conv_hls_fn(EhFn *f, const Layer *l, const void *param) {
  return hls_common(f, l, param, false);
}

static const char *deconv_hls_fn(EhFn *f, const Layer *l, const void *param) {
  return hls_common(f, l, param, true);
}

/* ---- float C emitter (emit_kind.h) ---- */

/* Register tile of the generated kernel (templates/c/conv.lua). */
enum { CONV_MR = 8, CONV_NR = 8, CONV_RACC = 4 };
/* Position units for threads (templates/c/conv.lua): about a plane /
 * CONV_UNITS positions each, at least CONV_MINPOS, a multiple of CONV_PBQ
 * (every tile width divides it). */
enum { CONV_UNITS = 16, CONV_MINPOS = 128, CONV_PBQ = 32 };

/* Groups from which a layer's groups alone give the threads enough
 * units (conv_plan). */
enum { CONV_GROUPS = 8 };

/* Greatest common divisor of a, b > 0. */
static int64_t conv_gcd(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b, b = t;
  }
  return a;
}

/* The positions of the first half of the units when L positions in
 * units of pb are cut for two threads (rt_par_for: chunks of
 * ceil(units / 2)). */
static int64_t conv_half(int64_t L, int64_t pb) {
  int64_t n = (L + pb - 1) / pb, h = (n + 1) / 2 * pb;
  return h < L ? h : L;
}

/* Position units of an in-place convolution (it reads its input where it
 * is, so a unit costs no copy and a small one costs little): of the
 * multiples of CONV_PBQ up to pb, the largest whose two-thread cut is as
 * even as any (first half at most 1/16 above the least), e.g. 300
 * positions: 10 units of 32 (160 / 140 positions) instead of 3 of 128
 * (256 / 44). */
static int64_t conv_balanced_pb(int64_t L, int64_t pb) {
  int64_t best = conv_half(L, pb);
  for (int64_t q = CONV_PBQ; q < pb; q += CONV_PBQ) {
    int64_t h = conv_half(L, q);
    if (h < best) best = h;
  }
  for (int64_t q = pb; q > CONV_PBQ; q -= CONV_PBQ)
    if (conv_half(L, q) * 16 <= best * 17) return q;
  return CONV_PBQ;
}

/* Decides how c/conv addresses a convolution's input (see the template):
 * mode direct (stride 1; a zero-padded copy when padded) or im2col, the
 * strides of k's c, kh, kw parts in X, the positions L per output plane and
 * the register tile; reserves the scratch the copy needs. */
static void conv_plan(EcLayer *c, const Layer *l) {
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
  ec_scratch(c, (size_t)need * sizeof(float));
  ec_str(c, "mode", direct ? "direct" : "im2col");
  ec_bool(c, "pad", pad);
  ec_bool(c, "compact", wp == OW);
  ec_int(c, "K", K), ec_int(c, "L", L), ec_int(c, "WP", wp);
  ec_int(c, "PLANE", plane), ec_int(c, "KHS", khs), ec_int(c, "KWS", kws);
  /* rows: stride-1 wide rows whose OW every tile width divides, so that
   * tiles stay within an output row and compute no dropped column */
  bool rows = direct && wp != OW && OW % CONV_NR == 0;
  /* the last OCG % MR channels: blocks of at most MR / 2 channels (the
   * narrow tile height, so 16-register targets do not spill), each with
   * tiles widened to about CONV_RACC vectors of accumulators; RB lists
   * (first channel, channels, tile width) per block */
  int64_t rb[6], nrb = 0;
  for (int64_t left = OCG % CONV_MR; left > 0;) {
    int64_t rm = left > CONV_MR / 2 ? CONV_MR / 2 : left, rnv = CONV_RACC / rm;
    if (rnv < 1) rnv = 1;
    while (rows && rnv > 1 && OW % (8 * rnv)) rnv /= 2;
    rb[nrb++] = OCG - left, rb[nrb++] = rm, rb[nrb++] = 8 * rnv;
    left -= rm;
  }
  ec_bool(c, "rows", rows);
  ec_int(c, "MR", CONV_MR), ec_int(c, "NR", CONV_NR);
  ec_ints(c, "RB", rb, (int)nrb);
  /* threads: units of PB positions (rows: PBR output rows) when a plane
   * has at least two, else channel blocks (the template's header) */
  int64_t pos = rows ? OH * OW : L, want = pos / CONV_UNITS;
  if (want < CONV_MINPOS) want = CONV_MINPOS;
  int64_t pb = 0, npb = 1;
  if (rows) {
    pb = (want + OW - 1) / OW;
    npb = (OH + pb - 1) / pb;
  } else {
    pb = (want + CONV_PBQ - 1) / CONV_PBQ * CONV_PBQ;
    npb = (L + pb - 1) / pb;
    if (npb >= 2 && direct && !pad) pb = conv_balanced_pb(L, pb), npb = (L + pb - 1) / pb;
    /* im2col with many groups (depthwise: the groups alone give the
     * threads enough units): whole output rows per unit when a multiple
     * of OW and CONV_PBQ still leaves two units */
    int64_t lcm = OW > 0 ? OW / conv_gcd(OW, CONV_PBQ) * CONV_PBQ : 0;
    int64_t rpb = lcm > 0 ? (pb + lcm - 1) / lcm * lcm : 0;
    if (npb >= 2 && !direct && p->group >= CONV_GROUPS && rpb > 0 && (L + rpb - 1) / rpb >= 2)
      pb = rpb, npb = (L + pb - 1) / pb;
  }
  ec_int(c, "NPB", npb >= 2 ? npb : 0);
  ec_int(c, "PB", pb);
  /* im2col units of whole output rows (L = OH * OW): filled row by row
   * with the whole-plane copy's loops */
  ec_bool(c, "PBROWS", !direct && OW > 0 && pb % OW == 0);
  /* to the worker pool when its work, the MACs plus the scratch values
   * the copies write (an im2col of a strided depthwise layer costs about
   * what its MACs do), reaches RT_PAR_MACS */
  int64_t N = in->d[0], G = p->group;
  int64_t macs = N * out->d[1] * OH * OW * K, copies = N * G * need;
  ec_bool(c, "PAR", macs + copies >= RT_PAR_MACS);
}

/* The table of c/conv (conv: Convolution, with its depthwise and
 * pointwise variants and conv_plan) or c/deconv (general variant only)
 * for NCHW bottom and top with channel axis 1; NULL otherwise. */
static const char *conv_table(EcLayer *c, const Layer *l, bool conv) {
  const rt_conv_param *p = &l->p.conv;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  if (p->axis != 1 || in->nd != 4 || out->nd != 4) return NULL;
  int C = in->d[1], OC = out->d[1], G = p->group;
  ec_int(c, "N", in->d[0]), ec_int(c, "C", C), ec_int(c, "H", in->d[2]);
  ec_int(c, "W", in->d[3]), ec_int(c, "OC", OC), ec_int(c, "OH", out->d[2]);
  ec_int(c, "OW", out->d[3]), ec_int(c, "KH", p->kh), ec_int(c, "KW", p->kw);
  ec_int(c, "SH", p->sh), ec_int(c, "SW", p->sw), ec_int(c, "PH", p->ph);
  ec_int(c, "PW", p->pw), ec_int(c, "DH", p->dh), ec_int(c, "DW", p->dw);
  ec_int(c, "G", G), ec_int(c, "ICG", C / G), ec_int(c, "OCG", OC / G);
  ec_str(c, "w", ec_weight(c, "w", l->weight[0].t.d, rt_shape_count(&l->weight[0].t.s)));
  bool hb = p->bias_term && l->nweight > 1 && l->weight[1].loaded;
  ec_str(c, "bias", hb ? ec_weight(c, "b", l->weight[1].t.d, OC) : "");
  const char *variant = "general";
  if (conv && G == C && G == OC) variant = "depthwise";
  else if (conv && p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->ph == 0 &&
           p->pw == 0)
    variant = "pointwise";
  ec_str(c, "variant", variant);
  if (conv) conv_plan(c, l);
  return conv ? "c/conv" : "c/deconv";
}

static const char *conv_emit_c(EcLayer *c, const Layer *l) { return conv_table(c, l, true); }
static const char *deconv_emit_c(EcLayer *c, const Layer *l) { return conv_table(c, l, false); }

const LayerOps lk_conv_ops = {
    .setup = lk_conv_setup,
    .shape = lk_conv_shape,
    .macs = conv_macs,
    .fx_prepare = conv_fx,
    .out_channels = conv_out_channels,
    .mac = conv_mac,
    .fold_weights = conv_fold_weights,
    .hw_limits = conv_hw_limits,
    .hls_knobs = conv_hls_knobs,
    .hls_estimate = conv_hls_estimate,
    .hls_wbytes = conv_hls_wbytes,
    .fx_call = conv_fx_call,
    .hls_fn = conv_hls_fn,
    .emit_c = conv_emit_c,
};

const LayerOps lk_deconv_ops = {
    .setup = lk_deconv_setup,
    .shape = lk_deconv_shape,
    .macs = deconv_macs,
    .fx_prepare = deconv_fx,
    .out_channels = conv_out_channels,
    .mac = conv_mac,
    .fold_weights = deconv_fold_weights,
    .each_out = deconv_each_out,
    .hw_limits = deconv_hw_limits,
    .hls_knobs = conv_hls_knobs,
    .hls_estimate = deconv_hls_estimate,
    .hls_wbytes = conv_hls_wbytes,
    .fx_call = deconv_fx_call,
    .hls_fn = deconv_hls_fn,
    .emit_c = deconv_emit_c,
};
