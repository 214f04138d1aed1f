/* ip.c - InnerProduct: parameters and Caffe's shape rule
 * (top = bottom dims [0, axis) + [num_output]). */
#include <stdint.h>

#include "../ir.h"
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
