/* conv.c - Convolution (and its DepthwiseConvolution aliases) and
 * Deconvolution: parameter parsing and Caffe's output-size rules. */
#include <stdint.h>

#include "../ir.h"
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
