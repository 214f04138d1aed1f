/* calib_cle.c - cross-layer equalization of Convolution pairs (calib_bc.h;
 * Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization
 * and Bias Correction", section 4.1). */
#include <math.h>
#include <stdlib.h>

#include "calib_bc.h"

/* Sweeps over all pairs: a layer between two pairs is rescaled by both,
 * so the equalization is repeated (Nagel et al. iterate to convergence). */
enum { CLE_SWEEPS = 8, CLE_MAXCONS = 8 };

/* The tensor after conv a and a chain of only BatchNorm / Scale / ReLU
 * (any negative slope: all positively homogeneous, so they commute with a
 * positive per-channel scale), each the single consumer of the tensor
 * before it, or NULL.  *sc gets the chain's last Scale (NULL: none), *bn
 * whether it has a BatchNorm. */
static const Blob *chain_end(const Layer *a, Layer *const *cons, Layer **sc, bool *bn) {
  *sc = NULL;
  *bn = false;
  const Blob *t = a->top[0];
  for (;;) {
    Layer *c = cons[t->id];
    if (!c || c->dead || c->nbottom != 1 || c->ntop != 1 || c->bottom[0] != t ||
        !(c->kind == LK_SCALE || c->kind == LK_BN || c->kind == LK_RELU))
      return t;
    if (c->kind == LK_SCALE) {
      if (!(c->nweight >= 1 && c->weight[0].loaded)) return NULL;
      *sc = c;
    }
    if (c->kind == LK_BN) *bn = true;
    t = c->top[0];
  }
}

/* True for a live, loaded Convolution with bias_term's blob loaded when
 * it has one (the scale of a channel reaches its bias). */
static bool conv_ok(const Layer *l) {
  return !l->dead && l->kind == LK_CONV && l->nweight >= 1 && l->weight[0].loaded &&
         l->p.conv.axis == 1 && l->bottom[0] && l->bottom[0]->shape.nd == 4 &&
         (!l->p.conv.bias_term || (l->nweight >= 2 && l->weight[1].loaded));
}

/* Largest |w| of b's weights over every output channel that reads its
 * input channel i (group layout O x C/g x kh x kw). */
static double in_range(const Layer *b, int i) {
  const rt_conv_param *p = &b->p.conv;
  int cin = (int)b->bottom[0]->shape.d[1], cpg = cin / p->group, opg = p->num_output / p->group;
  int g = i / cpg, j = i % cpg, kk = p->kh * p->kw;
  double m = 0;
  for (int o = g * opg; o < (g + 1) * opg; o++)
    for (int t = 0; t < kk; t++)
      m = fmax(m, fabs((double)b->weight[0].t.d[((int64_t)o * cpg + j) * kk + t]));
  return m;
}

/* Multiplies b's weights that read input channel i by s. */
static void in_scale(Layer *b, int i, double s) {
  const rt_conv_param *p = &b->p.conv;
  int cin = (int)b->bottom[0]->shape.d[1], cpg = cin / p->group, opg = p->num_output / p->group;
  int g = i / cpg, j = i % cpg, kk = p->kh * p->kw;
  for (int o = g * opg; o < (g + 1) * opg; o++)
    for (int t = 0; t < kk; t++) {
      float *w = &b->weight[0].t.d[((int64_t)o * cpg + j) * kk + t];
      *w = (float)(*w * s);
    }
}

/* One sweep over the pairs in layer order; returns the pairs. */
static int sweep(Net *n, Layer **cons) {
  int npairs = 0;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *a = n->layers[i], *sc, *b[CLE_MAXCONS];
    bool bn;
    if (!conv_ok(a)) continue;
    const Blob *t = chain_end(a, cons, &sc, &bn);
    int nch = a->p.conv.num_output, nb = 0;
    if (!t || (bn && !sc) || t->is_output) continue; /* a lone BN: no linear scale */
    /* every reader of t: a Convolution of nch input channels */
    for (int j = i + 1; j < n->nlayer && nb >= 0; j++) {
      Layer *c = n->layers[j];
      bool reads = false;
      for (int k = 0; k < c->nbottom; k++) reads |= !c->dead && c->bottom[k] == t;
      if (!reads) continue;
      if (nb == CLE_MAXCONS || !conv_ok(c) || c->nbottom != 1 || c->bottom[0]->shape.d[1] != nch)
        nb = -1;
      else b[nb++] = c;
    }
    if (nb <= 0) continue;
    double *r1 = cb_xcalloc((size_t)nch, sizeof(double));
    cb_weight_range(n, a, cons, r1, nch); /* folded: max |w k| per channel */
    for (int c = 0; c < nch; c++) {
      double r2 = 0;
      for (int k = 0; k < nb; k++) r2 = fmax(r2, in_range(b[k], c));
      if (!(r1[c] > 0) || !(r2 > 0)) continue;
      double s = sqrt(r1[c] / r2); /* a's channel / s, the readers' input * s */
      if (!isfinite(s) || s <= 0) continue;
      if (sc) {
        sc->weight[0].t.d[c] = (float)(sc->weight[0].t.d[c] / s);
        if (sc->nweight >= 2 && sc->weight[1].loaded)
          sc->weight[1].t.d[c] = (float)(sc->weight[1].t.d[c] / s);
      } else {
        int64_t per = rt_shape_count(&a->weight[0].t.s) / nch;
        for (int64_t u = 0; u < per; u++)
          a->weight[0].t.d[c * per + u] = (float)(a->weight[0].t.d[c * per + u] / s);
        if (a->p.conv.bias_term) a->weight[1].t.d[c] = (float)(a->weight[1].t.d[c] / s);
      }
      for (int k = 0; k < nb; k++) in_scale(b[k], c, s);
    }
    free(r1);
    npairs++;
  }
  return npairs;
}

int cle_equalize(Net *n, int *npairs) {
  Layer **cons = cb_consumers(n);
  for (int k = 0; k < CLE_SWEEPS; k++) *npairs = sweep(n, cons);
  return 0;
}
