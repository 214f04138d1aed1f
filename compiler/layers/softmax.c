/* softmax.c - Softmax over one axis. */
#include "../emit_kind.h"
#include "../ir.h"
#include "../../runtime/rt_par.h"
#include "caffe.pb-c.h"

int lk_softmax_setup(Layer *l, Net *n) {
  if (l->nbottom != 1 || l->ntop != 1) {
    ir_error(n, l, "takes 1 bottom and 1 top, got %d and %d", l->nbottom, l->ntop);
    return -1;
  }
  return 0;
}

int lk_softmax_shape(Layer *l, Net *n) {
  const Caffe__SoftmaxParameter *sp = l->lp->softmax_param;
  const rt_shape *in = &l->bottom[0]->shape;
  int raw = sp && sp->has_axis ? sp->axis : 1;
  int axis = rt_axis(in, raw);
  if (axis < 0) {
    ir_error_at(n, ir_loc(n, sp, "axis", l), l,
                "axis %d is out of range for a bottom with %d axes", raw, in->nd);
    return -1;
  }
  l->p.softmax.axis = axis;
  l->top[0]->shape = *in;
  return 0;
}

/* ---- float C emitter (emit_kind.h) ---- */

/* c/softmax: OUTER x C x INNER, normalized over C; the OUTER x INNER
 * positions in UNITS units of UPOS (RT_PAR_SOFTMAX_ROWS), to the worker
 * pool (PAR) from RT_PAR_SOFTMAX_EXP exponentials, as rt_softmax_f32. */
static const char *softmax_emit_c(EcLayer *c, const Layer *l) {
  const rt_shape *in = &l->bottom[0]->shape;
  int ax = l->p.softmax.axis;
  int64_t outer = rt_shape_count_range(in, 0, ax), inner = rt_shape_count_range(in, ax + 1, in->nd);
  int64_t C = in->nd > ax ? in->d[ax] : 1, npos = outer * inner;
  ec_int(c, "OUTER", outer);
  ec_int(c, "C", C);
  ec_int(c, "INNER", inner);
  ec_int(c, "NPOS", npos);
  ec_int(c, "UPOS", RT_PAR_SOFTMAX_ROWS);
  ec_int(c, "UNITS", (npos + RT_PAR_SOFTMAX_ROWS - 1) / RT_PAR_SOFTMAX_ROWS);
  ec_bool(c, "PAR", rt_par_softmax_pays(npos, C));
  return "c/softmax";
}

const LayerOps lk_softmax_ops = {
    .setup = lk_softmax_setup,
    .shape = lk_softmax_shape,
    .emit_c = softmax_emit_c,
};
