/* fx_plan.c - code buffers, steps and segments of a quantized net (see
 * fx_plan.h). */
#include "fx_plan.h"

#include <string.h>

#include "emit_util.h"
#include "hls.h"
#include "quant.h"

/* Appends a buffer of n codes of bw bits; returns its index. */
static int new_buf(FpPlan *p, int bw, int64_t n) {
  if (p->nbuf == p->capbuf) {
    p->capbuf = p->capbuf ? p->capbuf * 2 : 64;
    FpBuf *nb = ar_array(p->ar, (size_t)p->capbuf, sizeof *nb);
    if (p->nbuf) memcpy(nb, p->buf, (size_t)p->nbuf * sizeof *nb);
    p->buf = nb;
  }
  FpBuf *b = &p->buf[p->nbuf];
  memset(b, 0, sizeof *b);
  b->b8 = bw <= 8 && !p->sw;
  b->n = n;
  int64_t *top = b->b8 ? &p->n8 : &p->n16;
  b->off = *top;
  *top += (n + 63) / 64 * 64;
  return p->nbuf++;
}

const char *fp_ctype(const FpBuf *b) { return b->b8 ? "int8_t" : "int16_t"; }

const char *fp_bexpr(const FpPlan *p, int i, bool seg) {
  const FpBuf *b = &p->buf[i];
  return ar_printf(p->ar, "%s + %lld", b->b8 ? (seg ? "fm" : "fx8") : "fx16", (long long)b->off);
}

bool fp_live(const FpPlan *p, const Layer *l) {
  return !l->dead && qs_layer_mode(p->qn, l) != QS_DEAD;
}

bool fp_in_seg(const FpPlan *p, const Layer *l, int s) { return p->L[l->id].unit == s; }

/* Buffers and steps of a QS_FX layer; decides hwok. */
static int plan_fx(FpPlan *p, Layer *l) {
  FpLay *L = &p->L[l->id];
  const QsNet *qn = p->qn;
  if (l->ntop != 1 || l->nbottom < 1 || l->nbottom > RT_MAXLIST * 4) {
    ir_error(p->n, l, "the fixed-point generator supports layers with one top");
    return -1;
  }
  bool hw8 = true;
  int src[RT_MAXLIST * 4];
  rt_fx_q in = qs_layer_in(qn, l), out = qs_layer_out(qn, l);
  for (int k = 0; k < l->nbottom; k++) {
    rt_fx_quant_param qp;
    rt_fx_relu_param req;
    int op = qs_bottom_conv(qn, l, k, &qp, &req);
    const Blob *b = l->bottom[k];
    int64_t cnt = rt_shape_count(&b->shape);
    if (op == QS_CV_AS_IS) {
      if (p->bbuf[b->id] < 0) {
        ir_error(p->n, l, "internal: bottom '%s' has no codes", b->name);
        return -1;
      }
      src[k] = p->bbuf[b->id];
    } else {
      int cb = new_buf(p, in.bw, cnt);
      p->buf[cb].cvl = l, p->buf[cb].cvk = k;
      p->cvbuf[l->id][k] = cb;
      if (op == QS_CV_QUANT) {
        p->buf[cb].quant = true;
        p->buf[cb].qp = qp;
      } else {
        FpStep *s = &L->step[L->nstep++];
        s->fn = ar_printf(p->ar, "%s_cv%d", p->fname[l->id], k);
        s->nb = 1, s->nt = 1, s->buf[0] = p->bbuf[b->id], s->buf[1] = cb;
        if (!p->buf[p->bbuf[b->id]].b8) hw8 = false;
      }
      src[k] = cb;
    }
    if (!p->buf[src[k]].b8) hw8 = false;
  }
  int dst = new_buf(p, out.bw, rt_shape_count(&l->top[0]->shape));
  p->buf[dst].blob = l->top[0];
  p->bbuf[l->top[0]->id] = dst;
  if (!p->buf[dst].b8) hw8 = false;
  if (lk_is(l->kind, LKF_MAC) && l->q && l->q->bw_params > 8) hw8 = false; /* weights */
  FpStep *s = &L->step[L->nstep++];
  s->fn = p->fname[l->id];
  s->nb = l->nbottom, s->nt = 1;
  for (int k = 0; k < l->nbottom; k++) s->buf[k] = src[k];
  s->buf[l->nbottom] = dst;
  if (qs_layer_post(qn, l)) {
    FpStep *ps = &L->step[L->nstep++];
    ps->fn = ar_printf(p->ar, "%s_post", p->fname[l->id]);
    ps->nb = 1, ps->nt = 1, ps->buf[0] = dst, ps->buf[1] = dst;
  }
  L->hwok = !p->sw && hw8 && l->place == PL_HW && hl_kind_ok(l->kind);
  return 0;
}

/* Segment s's inputs (buffers its steps read before writing) and outputs
 * (its tops read outside it or net outputs). */
static void seg_io(FpPlan *p, FpSeg *g, int s) {
  Net *n = p->n;
  g->in = ar_array(p->ar, (size_t)p->nbuf + 1, sizeof(int));
  g->out = ar_array(p->ar, (size_t)p->nbuf + 1, sizeof(int));
  bool *inside = ar_array(p->ar, (size_t)p->nbuf + 1, sizeof(bool));
  bool *seen = ar_array(p->ar, (size_t)p->nbuf + 1, sizeof(bool));
  for (int i = g->first; i <= g->last; i++) {
    const Layer *l = n->layers[i];
    if (!fp_in_seg(p, l, s)) continue;
    const FpLay *L = &p->L[l->id];
    if (L->inplace) inside[p->bbuf[l->top[0]->id]] = true; /* its producers wrote it */
    for (int t = 0; t < L->nstep; t++) {
      const FpStep *st = &L->step[t];
      for (int k = 0; k < st->nb; k++) {
        int b = st->buf[k];
        if (!inside[b] && !seen[b]) seen[b] = true, g->in[g->nin++] = b;
      }
      for (int k = 0; k < st->nt; k++) inside[st->buf[st->nb + k]] = true;
    }
  }
  for (int i = g->first; i <= g->last; i++) {
    const Layer *l = n->layers[i];
    if (!fp_in_seg(p, l, s)) continue;
    const Blob *b = l->top[0];
    bool used = b->is_output;
    for (int j = 0; j < n->nlayer && !used; j++) {
      const Layer *c = n->layers[j];
      if (!fp_live(p, c) || fp_in_seg(p, c, s)) continue;
      for (int k = 0; k < c->nbottom; k++)
        if (c->bottom[k] == b) used = true;
    }
    if (used) g->out[g->nout++] = p->bbuf[b->id];
  }
  Sb names = {0};
  for (int i = g->first; i <= g->last; i++)
    if (fp_in_seg(p, n->layers[i], s))
      sb_printf(&names, "%s%s", names.n ? ", " : "", eu_comment_safe(p->ar, n->layers[i]->name));
  g->names = eu_keep(p->ar, &names);
}

/* The layer of segment u whose kernel step writes blob b's buffer (a
 * live QS_FX layer with top b), or NULL. */
static const Layer *seg_producer(const FpPlan *p, const Blob *b, int u) {
  for (int i = 0; i < p->n->nlayer; i++) {
    const Layer *l = p->n->layers[i];
    if (fp_live(p, l) && p->L[l->id].unit == u && l->top[0] == b) return l;
  }
  return NULL;
}

/* Whether Concat l of a segment is exact in place: one outer block (its
 * slices contiguous), no conversion or post step, and for every bottom an
 * identity part (M = 1) whose buffer holds its blob's 8-bit codes, is
 * written only by the kernel (and post op) of a layer of the same segment
 * that is not itself a Concat, whose code range lies within the Concat's
 * [qmin, qmax] (so the copy's saturation is a no-op), and is no other
 * in-place Concat's bottom (taken) nor repeated. */
static bool concat_exact(const FpPlan *p, const Layer *l, const bool *taken) {
  const FpLay *L = &p->L[l->id];
  const rt_fx_concat_param *cp = qs_layer_param(p->qn, l);
  const rt_shape *ts = &l->top[0]->shape;
  if (l->kind != LK_CONCAT || L->unit < 0 || L->nstep != 1 || !cp || cp->n != l->nbottom ||
      rt_shape_count_range(ts, 0, cp->axis) != 1 || !lk_ops(l)->hls_fx_ident(cp))
    return false;
  for (int k = 0; k < l->nbottom; k++) {
    const Blob *b = l->bottom[k];
    int bi = p->bbuf[b->id];
    if (bi < 0 || p->cvbuf[l->id][k] >= 0 || taken[bi] || p->buf[bi].blob != b || !p->buf[bi].b8)
      return false;
    for (int j = 0; j < k; j++)
      if (l->bottom[j] == b) return false;
    const Layer *pr = seg_producer(p, b, L->unit);
    if (!pr || pr->kind == LK_CONCAT || qs_layer_mode(p->qn, pr) != QS_FX) return false;
    rt_fx_q f = qs_layer_out(p->qn, pr);
    if (rt_fx_qmin(f.bw, f.sym) < cp->qmin || rt_fx_qmax(f.bw) > cp->qmax) return false;
  }
  return true;
}

/* Zero-copy Concat: every Concat of a segment that concat_exact accepts
 * loses its step, and its bottoms' buffers move to their slices of its
 * top's buffer (their own space stays unused). */
static void concat_inplace(FpPlan *p) {
  bool *taken = ar_array(p->ar, (size_t)p->nbuf + 1, sizeof(bool));
  for (int i = 0; i < p->n->nlayer; i++) {
    const Layer *l = p->n->layers[i];
    if (!fp_live(p, l) || !concat_exact(p, l, taken)) continue;
    FpLay *L = &p->L[l->id];
    int64_t off = p->buf[p->bbuf[l->top[0]->id]].off;
    for (int k = 0; k < l->nbottom; k++) {
      FpBuf *b = &p->buf[p->bbuf[l->bottom[k]->id]];
      taken[p->bbuf[l->bottom[k]->id]] = true;
      b->off = off;
      off += b->n;
    }
    L->inplace = true;
    L->nstep = 0;
  }
}

int fp_plan(FpPlan *p, Net *n, const QsNet *qn, Arena *ar, const char *prefix, bool sw) {
  memset(p, 0, sizeof *p);
  p->n = n, p->qn = qn, p->ar = ar, p->sw = sw;
  int mid = ir_layer_ids(n) - 1; /* the largest Layer.id (0 without layers) */
  if (mid < 0) mid = 0;
  p->bbuf = ar_array(ar, (size_t)n->nblob + 1, sizeof(int));
  for (int i = 0; i < n->nblob; i++) p->bbuf[i] = -1;
  p->cvbuf = ar_array(ar, (size_t)mid + 1, sizeof(int *));
  p->L = ar_array(ar, (size_t)mid + 1, sizeof(FpLay));
  p->fname = ar_array(ar, (size_t)mid + 1, sizeof(char *));
  /* pass 1: buffers and steps */
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    FpLay *L = &p->L[l->id];
    L->unit = -1;
    p->cvbuf[l->id] = ar_array(ar, (size_t)l->nbottom + 1, sizeof(int));
    for (int k = 0; k < l->nbottom; k++) p->cvbuf[l->id][k] = -1;
    if (!fp_live(p, l)) continue;
    QsMode m = qs_layer_mode(qn, l);
    const char *fn = ar_printf(ar, "Q_%s", eu_sanitize(ar, l->name));
    for (int k = 0; k < i; k++)
      if (p->fname[n->layers[k]->id] && !strcmp(p->fname[n->layers[k]->id], fn))
        fn = ar_printf(ar, "Q%d_%s", i, eu_sanitize(ar, l->name));
    p->fname[l->id] = fn;
    if (m == QS_FX) {
      if (plan_fx(p, l)) return -1;
      L->unit = -2;
    } else if (m == QS_INPUTQ || m == QS_FXF || m == QS_COPY) {
      for (int t = 0; t < l->ntop; t++) {
        rt_fx_q f;
        if (!qs_blob_fmt(qn, l->top[t], &f)) continue;
        int b = new_buf(p, f.bw, rt_shape_count(&l->top[t]->shape));
        p->buf[b].blob = l->top[t];
        p->bbuf[l->top[t]->id] = b;
      }
    }
  }
  /* pass 2: segments = maximal runs of hwok layers among the live ones,
   * cut before a layer with segment_start */
  p->seg = ar_array(ar, (size_t)n->nlayer + 1, sizeof(FpSeg));
  int cur = -1;
  for (int i = 0; i < n->nlayer; i++) {
    Layer *l = n->layers[i];
    if (!fp_live(p, l)) continue;
    if (lk_is(l->kind, LKF_SOURCE) && qs_layer_mode(qn, l) == QS_FLOAT) continue;
    if (!p->L[l->id].hwok) {
      cur = -1;
      continue;
    }
    if (cur < 0 || l->seg_start) { /* segment_start: a new segment */
      cur = p->nseg++;
      p->seg[cur].first = i;
      p->seg[cur].top = ar_printf(ar, "%s_seg%d", prefix, cur);
    }
    p->seg[cur].last = i;
    p->L[l->id].unit = cur;
  }
  concat_inplace(p);
  for (int s = 0; s < p->nseg; s++) seg_io(p, &p->seg[s], s);
  return 0;
}

void fp_step_calls(const FpPlan *p, const Layer *l, bool seg, Sb *out) {
  const FpLay *L = &p->L[l->id];
  for (int i = 0; i < L->nstep; i++) {
    const FpStep *s = &L->step[i];
    if (p->sw && s->fn != p->fname[l->id]) {
      /* all-software mode: a conversion is a host loop, the post op runs
       * inside the layer function */
      if (s->buf[0] == s->buf[1]) continue;
      rt_fx_relu_param req;
      const FpBuf *cb = &p->buf[s->buf[1]];
      qs_bottom_conv(p->qn, l, cb->cvk, NULL, &req);
      const rt_shape *bs = cb->cvl ? &cb->cvl->bottom[cb->cvk]->shape : NULL;
      if (bs && bs->nd == 4 && rt_shape_count(bs) == cb->n) /* by rows, as its neighbours split */
        sb_printf(out, "  fx_requant16_rows(%s, %s, %lld, %d, %d, %d, %d, %d, %d);\n",
                  fp_bexpr(p, s->buf[0], seg), fp_bexpr(p, s->buf[1], seg),
                  (long long)bs->d[0] * bs->d[1], (int)bs->d[2], (int)bs->d[3], (int)req.M, req.sh,
                  (int)req.qmin, (int)req.qmax);
      else
        sb_printf(out, "  fx_requant16(%s, %s, %lld, %d, %d, %d, %d);\n", fp_bexpr(p, s->buf[0], seg),
                  fp_bexpr(p, s->buf[1], seg), (long long)cb->n, (int)req.M, req.sh,
                  (int)req.qmin, (int)req.qmax);
      continue;
    }
    if (seg && s->wpb) { /* its buffers are byte offsets in its code */
      sb_printf(out, "  %s(%s);\n", s->fn, hl_beat_port(s->wpb, false));
      continue;
    }
    sb_printf(out, "  %s(", s->fn);
    for (int k = 0; k < s->nb + s->nt; k++)
      sb_printf(out, "%s%s", k ? ", " : "", fp_bexpr(p, s->buf[k], seg));
    if (s->wts) sb_puts(out, seg ? ", wts" : ", CHAI_HW_WTS");
    sb_puts(out, ");\n");
  }
}

void fp_hl_layout(const FpPlan *p, Arena *ar, HlLayout *lay) {
  size_t nid = (size_t)ir_layer_ids(p->n); /* as p->L */
  lay->hw = ar_array(ar, nid, sizeof *lay->hw);
  lay->seg = ar_array(ar, nid, sizeof *lay->seg);
  lay->steps = ar_array(ar, nid, sizeof *lay->steps);
  for (int i = 0; i < p->n->nlayer; i++) {
    int id = p->n->layers[i]->id;
    lay->hw[id] = p->L[id].unit >= 0;
    lay->seg[id] = p->L[id].unit;
    lay->steps[id].inplace = p->L[id].inplace;
    const Layer *l = p->n->layers[i];
    const void *prm = fp_live(p, l) && qs_layer_mode(p->qn, l) == QS_FX ? qs_layer_param(p->qn, l) : NULL;
    lay->steps[id].ident = prm && lk_ops(l)->hls_fx_ident && lk_ops(l)->hls_fx_ident(prm);
    for (int j = 0; j < p->L[id].nstep; j++) {
      const FpStep *s = &p->L[id].step[j];
      if (s->fn == p->fname[id]) continue;
      lay->steps[id].n++;
      lay->steps[id].elems += p->buf[s->buf[1]].n;
    }
  }
}
