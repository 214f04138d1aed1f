/* stats.c - parameter and MAC counts (see stats.h). */
#include "stats.h"

long long st_params(const Layer *l) {
  long long p = 0;
  for (int k = 0; k < l->nweight; k++) p += rt_shape_count(&l->weight[k].expect);
  return p;
}

long long st_macs(const Layer *l) {
  if (l->ntop < 1 || l->nbottom < 1 || !l->top[0]->shaped) return 0;
  const rt_shape *o = &l->top[0]->shape, *in = &l->bottom[0]->shape;
  switch (l->kind) {
  case LK_CONV:
    return rt_shape_count(o) * (long long)(in->d[1] / l->p.conv.group) * l->p.conv.kh *
           l->p.conv.kw;
  case LK_DECONV:
    return rt_shape_count(in) * (long long)(l->p.conv.num_output / l->p.conv.group) *
           l->p.conv.kh * l->p.conv.kw;
  case LK_IP:
    return rt_shape_count(o) * rt_shape_count_range(in, l->p.ip.axis, in->nd);
  default:
    return 0;
  }
}
