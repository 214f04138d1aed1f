/* crop.c - Crop: cuts bottom[0] to bottom[1]'s shape from axis on. */
#include <string.h>

#include "../ir.h"
#include "caffe.pb-c.h"

int lk_crop_setup(Layer *l, Net *n) {
  if (l->nbottom != 2 || l->ntop != 1) {
    ir_error(n, l, "takes 2 bottoms and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

/* Offsets: none = all 0; one = the same for every axis >= axis; otherwise
 * exactly one per axis from axis on.  Each window must fit in bottom[0]. */
int lk_crop_shape(Layer *l, Net *n) {
  const Caffe__CropParameter *cp = l->lp->crop_param;
  const rt_shape *s0 = &l->bottom[0]->shape, *s1 = &l->bottom[1]->shape;
  rt_crop_param *p = &l->p.crop;
  char a[96], b[96];
  if (s0->nd != s1->nd) {
    ir_error(n, l, "bottoms must have the same number of axes: %s vs %s",
             rt_shape_str(s0, a, sizeof a), rt_shape_str(s1, b, sizeof b));
    return -1;
  }
  int raw = cp && cp->has_axis ? cp->axis : 2;
  int axis = rt_axis(s0, raw);
  if (axis < 0) {
    ir_error_at(n, ir_loc(n, cp, "axis", l), l,
                "axis %d is out of range for bottoms with %d axes", raw, s0->nd);
    return -1;
  }
  size_t no = cp ? cp->n_offset : 0;
  if (no > 1 && no != (size_t)(s0->nd - axis)) {
    ir_error_at(n, ir_loc(n, cp, "offset", l), l,
                "has %zu offset values; need 0, 1 or %d (one per axis from %d)", no,
                s0->nd - axis, axis);
    return -1;
  }
  memset(p->offset, 0, sizeof p->offset);
  p->axis = axis;
  int64_t dims[RT_MAXDIM];
  for (int i = 0; i < s0->nd; i++) {
    dims[i] = s0->d[i];
    if (i < axis) continue;
    uint32_t off = no == 0 ? 0 : no == 1 ? cp->offset[0] : cp->offset[i - axis];
    if ((int64_t)off + s1->d[i] > s0->d[i]) {
      ir_error_at(n, ir_loc(n, cp, "offset", l), l,
                  "crop of size %d at offset %u on axis %d exceeds bottom[0] shape %s "
                  "(reference %s)",
                  s1->d[i], off, i, rt_shape_str(s0, a, sizeof a),
                  rt_shape_str(s1, b, sizeof b));
      return -1;
    }
    p->offset[i] = (int)off;
    dims[i] = s1->d[i];
  }
  return ir_set_shape(n, l, &l->top[0]->shape, s0->nd, dims);
}

const LayerOps lk_crop_ops = {.setup = lk_crop_setup, .shape = lk_crop_shape};
