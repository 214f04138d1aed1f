/* ip.c - InnerProduct: parameters and Caffe's shape rule
 * (top = bottom dims [0, axis) + [num_output]). */
#include <stdint.h>

#include "../emit_fx.h"
#include "../ir.h"
#include "../qsim.h"
#include "caffe.pb-c.h"

int lk_ip_setup(Layer *l, Net *n) {
  const Caffe__InnerProductParameter *ipp = l->lp->inner_product_param;
  rt_ip_param *p = &l->p.ip;
  if (!ipp) {
    ir_error(n, l, "missing inner_product_param");
    return -1;
  }
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom,
             l->ntop);
    return -1;
  }
  if (!ipp->has_num_output || ipp->num_output == 0 ||
      ipp->num_output > INT32_MAX) {
    ir_error_at(n, ir_loc(n, ipp, "num_output", l), l,
                "num_output must be given and positive");
    return -1;
  }
  p->num_output = (int)ipp->num_output;
  p->axis = ipp->axis;
  p->bias_term = ipp->bias_term;
  p->transpose = ipp->transpose;
  static const char *const roles[] = {"weights", "bias"};
  ir_declare_weights(l, n, p->bias_term ? 2 : 1, roles);
  return 0;
}

/* Canonicalizes axis (stored back into the parameters), sets the top to
 * M... x N and the weights to N x K (K x N when transpose). */
int lk_ip_shape(Layer *l, Net *n) {
  rt_ip_param *p = &l->p.ip;
  const rt_shape *in = &l->bottom[0]->shape;
  int axis = rt_axis(in, p->axis);
  if (axis < 0) {
    ir_error_at(n, ir_loc(n, l->lp->inner_product_param, "axis", l), l,
                "axis %d is out of range for a bottom with %d axes", p->axis,
                in->nd);
    return -1;
  }
  p->axis = axis;
  int64_t k = rt_shape_count_range(in, axis, in->nd);
  int64_t od[RT_MAXDIM];
  for (int i = 0; i < axis; i++) od[i] = in->d[i];
  od[axis] = p->num_output;
  int64_t wd[2] = {p->num_output, k};
  if (p->transpose) {
    wd[0] = k;
    wd[1] = p->num_output;
  }
  int64_t bd[1] = {p->num_output};
  if (ir_set_shape(n, l, &l->top[0]->shape, axis + 1, od) ||
      ir_set_shape(n, l, &l->weight[0].expect, 2, wd))
    return -1;
  if (p->bias_term && ir_set_shape(n, l, &l->weight[1].expect, 1, bd)) return -1;
  return 0;
}

/* ---- operations (ir.h LayerOps) ---- */

static long long ip_macs(const Layer *l) {
  const rt_shape *o = &l->top[0]->shape, *in = &l->bottom[0]->shape;
  return rt_shape_count(o) * rt_shape_count_range(in, l->p.ip.axis, in->nd);
}

static void ip_mac(Layer *l, LayerMac *m) {
  m->nout = l->p.ip.num_output;
  m->axis = l->p.ip.axis;
  m->bias_term = &l->p.ip.bias_term;
}

/* Weights N x K, or K x N when transposed. */
static void ip_fold_weights(const Layer *l, const float *w, float *nw, int64_t cnt, int nout,
                            const double *a) {
  if (!l->p.ip.transpose) {
    int64_t per = cnt / nout;
    for (int64_t i = 0; i < cnt; i++) nw[i] = (float)(w[i] * a[i / per]);
  } else {
    for (int64_t i = 0; i < cnt; i++) nw[i] = (float)(w[i] * a[i % nout]);
  }
}

static int ip_fx(Net *n, Layer *l, QsKernel *k) {
  QsMac m;
  if (qs_mac_begin(n, l, &m)) return -1;
  rt_fx_ip_param *p = ar_alloc(n->ar, sizeof *p);
  const rt_shape *s = &l->bottom[0]->shape;
  int64_t K = rt_shape_count_range(s, l->p.ip.axis, s->nd);
  int r = rt_fx_prepare_ip(p, &l->p.ip, (int)K, m.w, m.b, &k->in, &m.wq, &k->out, m.relu,
                           l->relu_slope, &m.st);
  k->fn = rt_fx_ip;
  k->param = p;
  return qs_mac_end(n, l, r);
}

/* ---- fixed-point emitters (emit_fx.h) ---- */

static void ip_fx_call(EfCall *c, const Layer *l, const void *param) {
  const rt_fx_ip_param *p = param;
  int N = p->g.num_output;
  (void)l;
  ef_call_kernel(c, "rt_fx_ip", "rt_fx_ip_param");
  ef_call_struct(c, "g", "rt_ip_param", &p->g);
  ef_call_field(c, "K", "%d", p->K);
  ef_call_field(c, "w", "%s", ef_call_array(c, "int16_t", "W", (int64_t)N * p->K, eu_g16, p->w));
  ef_call_field(c, "bias", "%s", p->bias ? ef_call_array(c, "int64_t", "B", N, eu_g64, p->bias) : "NULL");
  ef_call_outq(c, &p->q, N);
  ef_call_field(c, "acc64", "%s", p->acc64 ? "true" : "false");
  ef_call_field(c, "acc_bound", "%s", ef_call_i64(c, p->acc_bound));
}

const LayerOps lk_ip_ops = {
    .setup = lk_ip_setup,
    .shape = lk_ip_shape,
    .macs = ip_macs,
    .fx_prepare = ip_fx,
    .mac = ip_mac,
    .fold_weights = ip_fold_weights,
    .fx_call = ip_fx_call,
};
