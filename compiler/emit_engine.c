/* emit_engine.c - the shared convolution engine's function (hls/engine):
 * its descriptor tables and quant tables, and its weights in the AXI
 * memory (see emit_hls.h, hls.h (HlEngine) and docs/hls.md "Shared engine"). */
#include <stdlib.h>
#include <string.h>

#include "emit_hls.h"

/* The descriptor fields, in the order of the tables (engine.lua makes a
 * table <fn>_<name>[NL] and a local d_<name> of each). */
enum {
  F_N, F_C, F_H, F_W, F_ICG, F_OCG, F_OC, F_OH, F_OW, F_KW, F_SH, F_SW, F_PH, F_PW, F_DH,
  F_DW, F_NICT, F_NOCT, F_NT, F_NMAC, F_NMT, F_NOUT, F_TAPS, F_LBW, F_WALL, F_XO, F_YO, F_WO, F_QO,
  F_RELU, F_QMIN, F_QMAX, F_SPAN, F_WBT, F_LBT, F_DBT, F_PLANE, F_LBN, F_OBN, F_LK, F_NF
};
/* the trip counts of the wide bursts (F_WBT..F_DBT) are fields only when
 * the engine's ports are wider than a byte, the whole-plane ones
 * (F_PLANE..F_LK: the mode, the bytes per line-buffer and drain burst,
 * the line-buffer bursts per channel and output row)
 * only when some layer is buffered whole */
#define F_NARROW F_WBT
#define F_WIDE F_PLANE
static const char *const fname[F_NF] = {
    "n",  "c",    "h",    "w",    "icg",  "ocg", "oc",  "oh", "ow", "kw",
    "sh", "sw",   "ph",   "pw",   "dh",   "dw",  "nict", "noct", "nt", "nmac", "nmt", "nout",
    "taps", "lbw", "wall", "xo",  "yo",   "wo",  "qo",  "relu", "qmin", "qmax", "span", "wbt", "lbt",
    "dbt", "plane", "lbn", "obn", "lk"};

const char *eh_engine_fn(EhFn *f, const HlEngine *g, int seg, const EhEngLay *ls, int n) {
  Arena *ar = eh_fn_arena(f);
  int IP = g->ip, OP = g->op, pb = g->pb > 1 ? g->pb : 1;
  int nf = pb == 1 ? F_NARROW : g->plane_any ? F_NF : F_WIDE;
  int32_t *d = ar_array(ar, (size_t)F_NF * (size_t)n, sizeof *d); /* [field][layer] */
  int64_t *bias = ar_array(ar, (size_t)g->nq + 1, sizeof *bias);
  int32_t *M = ar_array(ar, (size_t)g->nq + 1, sizeof *M), *Mn = ar_array(ar, (size_t)g->nq + 1, sizeof *Mn);
  int32_t *sh = ar_array(ar, (size_t)g->nq + 1, sizeof *sh), *shn = ar_array(ar, (size_t)g->nq + 1, sizeof *shn);
  bool wide = false, leaky = false;
  int64_t qo = 0;
  Sb names = {0};
  for (int i = 0; i < n; i++) {
    const Layer *l = ls[i].l;
    const rt_fx_conv_param *p = ls[i].p;
    const rt_conv_param *c = &p->g;
    HlGeo ge; /* the estimate's geometry: groups bundled, plane or rows */
    hl_engine_geo(l, g, &ge);
    int C = (int)ge.C, OC = (int)ge.OC, G = (int)ge.G, ICG = (int)ge.ICG, OCG = (int)ge.OCG;
    int NICT = (int)ge.NICT, NOCT = (int)ge.NOCT;
    int64_t nw; /* k groups bundled into one of the engine's (zeros across them) */
    int16_t *w = hl_conv_weights(ar, c, C, OC, p->w, IP, OP, (int)ge.k, true, false, &nw);
    int8_t *w8 = ar_array(ar, (size_t)nw, 1);
    for (int64_t j = 0; j < nw; j++) w8[j] = (int8_t)w[j];
    int64_t wo = eh_fn_add_wts(f, w8, nw);
    int64_t nt = (int64_t)G * NOCT, taps = ge.taps;
    bool pl = ge.plane;
    int64_t span = ge.span, lbn = ge.lbn, obn = ge.obn;
    int64_t v[F_NF] = {ge.N, C, ge.H, ge.W, ICG, OCG, OC, ge.OH, ge.OW,
                       c->kw, c->sh, c->sw, c->ph, c->pw, c->dh, c->dw, NICT, NOCT, nt,
                       nt * NICT, taps * nt * NICT, nt * OP, taps, span * ge.W,
                       nw, ls[i].xo, ls[i].yo, wo, qo, p->q.relu, p->q.qmin, p->q.qmax, span,
                       hl_cdiv(nw, pb), hl_row_beats(lbn, pb), hl_row_beats(obn, pb), pl, lbn, obn,
                       pl ? 1 : span};
    for (int fi = 0; fi < F_NF; fi++) d[(size_t)fi * (size_t)n + (size_t)i] = (int32_t)v[fi];
    /* quant tables: [g][oct][op] per layer from qo, padded with zeros */
    for (int o = 0; o < OC; o++) {
      int64_t q = qo + ((int64_t)(o / OCG) * NOCT + (o % OCG) / OP) * OP + (o % OCG) % OP;
      bias[q] = p->bias ? p->bias[o] : 0;
      M[q] = p->q.M[o], sh[q] = p->q.sh[o];
      if (p->q.relu == RT_FX_LEAKY) Mn[q] = p->q.Mn[o], shn[q] = p->q.shn[o];
    }
    qo += (int64_t)G * NOCT * OP;
    wide = wide || p->acc64;
    leaky = leaky || p->q.relu == RT_FX_LEAKY;
    sb_printf(&names, "%s%s", i ? ", " : "", eu_comment_safe(ar, l->name));
  }
  LhHost *h = eh_fn_host(f);
  lh_set_str(h, "fn", f->fn);
  lh_set_int(h, "seg", seg);
  lh_set_int(h, "NL", n);
  lh_set_str(h, "layers", ar_strdup(ar, sb_str(&names)));
  free(names.s);
  lh_list_begin(h, "fields");
  for (int k = 0; k < nf; k++) {
    const int32_t *r = d + (size_t)k * (size_t)n;
    int32_t lo = r[0], hi = r[0];
    for (int i = 1; i < n; i++) lo = r[i] < lo ? r[i] : lo, hi = r[i] > hi ? r[i] : hi;
    lh_item_begin(h);
    lh_set_str(h, "name", fname[k]);
    lh_set_str(h, "body", eu_ibody(ar, n, eu_g32, r));
    lh_set_int(h, "min", lo), lh_set_int(h, "max", hi);
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_set_int(h, "IP", IP), lh_set_int(h, "OP", OP), lh_set_int(h, "R", g->r);
  lh_set_int(h, "NQ", qo), lh_set_int(h, "NTMAX", g->ntmax), lh_set_int(h, "OCMAX", g->ocmax);
  lh_set_int(h, "LBMAX", g->lbmax), lh_set_int(h, "OWMAX", g->owmax), lh_set_int(h, "WBMAX", g->wbmax);
  lh_set_int(h, "WF", hl_engine_wfactor(g));
  eh_set_beat(h, pb);
  lh_set_str(h, "at", wide ? "int64_t" : "int32_t");
  lh_set_bool(h, "wide", wide);
  lh_set_bool(h, "leaky", leaky);
  lh_set_bool(h, "pack", g->pack);
  lh_set_bool(h, "plane", pb > 1 && g->plane_any);
  lh_set_int(h, "LEAKY", RT_FX_LEAKY);
  lh_set_str(h, "bbody", eu_ibody(ar, qo, eu_g64, bias));
  lh_set_str(h, "Mbody", eu_ibody(ar, qo, eu_g32, M));
  lh_set_str(h, "shbody", eu_ibody(ar, qo, eu_g32, sh));
  if (leaky) {
    lh_set_str(h, "Mnbody", eu_ibody(ar, qo, eu_g32, Mn));
    lh_set_str(h, "shnbody", eu_ibody(ar, qo, eu_g32, shn));
  }
  return eh_fn_render(f, "hls/engine");
}
