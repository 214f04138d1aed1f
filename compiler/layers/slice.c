/* slice.c - Slice: splits the bottom along one axis at slice points (or
 * into equal parts). */
#include "../emit_kind.h"
#include "../ir.h"
#include "caffe.pb-c.h"

int lk_slice_setup(Layer *l, Net *n) {
  const Caffe__SliceParameter *sp = l->lp->slice_param;
  if (l->nbottom != 1 || l->ntop < 1) {
    ir_error(n, l, "takes 1 bottom and at least 1 top, got %d and %d",
             l->nbottom, l->ntop);
    return -1;
  }
  if (l->ntop > RT_MAXLIST + 1) {
    ir_error(n, l, "at most %d tops are supported, got %d", RT_MAXLIST + 1, l->ntop);
    return -1;
  }
  if (sp && sp->has_axis && sp->has_slice_dim) {
    ir_error_at(n, ir_loc(n, sp, "slice_dim", l), l,
                "give either axis or slice_dim, not both");
    return -1;
  }
  size_t np = sp ? sp->n_slice_point : 0;
  if (np && np != (size_t)l->ntop - 1) {
    ir_error_at(n, ir_loc(n, sp, "slice_point", l), l,
                "has %zu slice_point values for %d tops; need %d", np, l->ntop,
                l->ntop - 1);
    return -1;
  }
  return 0;
}

/* Slice points must be strictly increasing, positive and below the axis
 * size; without them the axis must divide evenly by the number of tops.
 * The canonical points are stored in l->p.slice. */
int lk_slice_shape(Layer *l, Net *n) {
  const Caffe__SliceParameter *sp = l->lp->slice_param;
  const rt_shape *in = &l->bottom[0]->shape;
  rt_slice_param *p = &l->p.slice;
  int raw = 1, axis;
  const char *field = "axis";
  if (sp && sp->has_slice_dim) {
    raw = (int)sp->slice_dim;
    field = "slice_dim";
    axis = sp->slice_dim < (unsigned)in->nd ? raw : -1;
  } else {
    if (sp && sp->has_axis) raw = sp->axis;
    axis = rt_axis(in, raw);
  }
  if (axis < 0) {
    ir_error_at(n, ir_loc(n, sp, field, l), l,
                "%s %d is out of range for a bottom with %d axes", field, raw, in->nd);
    return -1;
  }
  int dim = in->d[axis];
  p->axis = axis;
  p->npoints = l->ntop - 1;
  if (sp && sp->n_slice_point) {
    int prev = 0;
    for (int i = 0; i < p->npoints; i++) {
      uint32_t pt = sp->slice_point[i];
      if (pt <= (uint32_t)prev || pt >= (uint32_t)dim) {
        ir_error_at(n, ir_loc(n, sp, "slice_point", l), l,
                    "slice_point %u (index %d) must be greater than %d and less "
                    "than the axis size %d",
                    pt, i, prev, dim);
        return -1;
      }
      p->points[i] = prev = (int)pt;
    }
  } else {
    if (dim % l->ntop) {
      ir_error_at(n, ir_loc(n, sp, NULL, l), l,
                  "axis %d size %d does not divide into %d equal slices", axis, dim,
                  l->ntop);
      return -1;
    }
    for (int i = 0; i < p->npoints; i++) p->points[i] = (i + 1) * (dim / l->ntop);
  }
  int64_t dims[RT_MAXDIM];
  for (int k = 0; k < in->nd; k++) dims[k] = in->d[k];
  for (int i = 0; i < l->ntop; i++) {
    int lo = i ? p->points[i - 1] : 0;
    int hi = i < p->npoints ? p->points[i] : dim;
    dims[axis] = hi - lo;
    if (ir_set_shape(n, l, &l->top[i]->shape, in->nd, dims)) return -1;
  }
  return 0;
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/slice: the tops as parts of the bottom along the axis. */
static const char *slice_emit_c(EcLayer *c, const Layer *l) {
  ec_parts(c, &l->bottom[0]->shape, l->p.slice.axis, l->ntop, l->top);
  return "c/slice";
}

const LayerOps lk_slice_ops = {
    .setup = lk_slice_setup,
    .shape = lk_slice_shape,
    .emit_c = slice_emit_c,
};
