/* hls_engine.c - sizing, estimate and resources of the shared convolution
 * engine (declared in hls.h; see docs/hls.md "Shared engine"). */
#include "hls.h"

#include <string.h>

bool hl_engine_on(const CfgConfig *cfg, const Layer *l) {
  return cfg && cfg->target.engine == 1 && l->kind == LK_CONV && l->nbottom && l->ntop;
}

int64_t hl_engine_span(const rt_conv_param *p) { return (int64_t)(p->kh - 1) * (p->dh > 0 ? p->dh : 1) + 1; }

/* The input rows engine.lua's rolling line buffer loads per image: output
 * row oy's window is rows a .. a + span - 1 (a = oy*SH - PH); row 0 loads
 * its window, every later row the rows past the previous window, all
 * clipped to the input. */
static int64_t roll_loads(const rt_conv_param *p, int64_t H, int64_t OH) {
  int64_t span = hl_engine_span(p), n = 0, end = -1; /* end: last row loaded */
  for (int64_t oy = 0; oy < OH; oy++) {
    int64_t a = oy * p->sh - p->ph, lo = oy == 0 || end < a ? a : end + 1, hi = a + span - 1;
    if (lo < 0) lo = 0;
    if (hi > H - 1) hi = H - 1;
    if (hi >= lo) n += hi - lo + 1;
    end = a + span - 1;
  }
  return n;
}

int64_t hl_engine_plane_need(const Layer *l, int64_t ip) {
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  if (ip < 1) ip = 1;
  int64_t a = hl_cdiv(in->d[1], ip) * ip * in->d[2] * in->d[3], o = out->d[1] * out->d[2] * out->d[3];
  return a > o ? a : o;
}

bool hl_engine_plane(const HlEngine *g, const Layer *l) {
  return g->plane_bytes > 0 && g->pb > 1 && hl_engine_plane_need(l, g->ip) <= g->plane_bytes;
}

int64_t hl_engine_bundle(int64_t G, int64_t ICG, int64_t OCG, int ip, int op) {
  int64_t best = 1, bc = -1;
  for (int64_t k = 1; k <= G; k++) {
    if (G % k) continue;
    int64_t c = G / k * hl_cdiv(k * ICG, ip) * hl_cdiv(k * OCG, op);
    if (bc < 0 || c < bc) bc = c, best = k;
  }
  return best;
}

void hl_engine_geo(const Layer *l, const HlEngine *g, HlGeo *q) {
  int ip = g ? g->ip : 1, op = g ? g->op : 1;
  const rt_shape *in = &l->bottom[0]->shape, *out = &l->top[0]->shape;
  const rt_conv_param *p = &l->p.conv;
  q->N = in->d[0], q->C = in->d[1], q->H = in->d[2], q->W = in->d[3];
  q->OC = out->d[1], q->OH = out->d[2], q->OW = out->d[3];
  q->G = p->group > 0 ? p->group : 1;
  q->ICG = q->C / q->G, q->OCG = q->OC / q->G, q->KH = p->kh, q->KW = p->kw;
  q->k = g ? hl_engine_bundle(q->G, q->ICG, q->OCG, ip, op) : 1;
  q->G /= q->k, q->ICG *= q->k, q->OCG *= q->k;
  q->NICT = hl_cdiv(q->ICG, ip), q->NOCT = hl_cdiv(q->OCG, op), q->taps = q->KH * q->KW;
  q->rows = hl_fill_rows(p, q->H, q->OH, false); /* (pixel, tap) rows inside the input */
  q->span = hl_engine_span(p), q->loads = roll_loads(p, q->H, q->OH); /* engine.lua's _lk loop */
  q->cols = hl_fill_cols(p, q->W, q->OW, false);
  q->plane = g && hl_engine_plane(g, l);
  if (q->plane) q->span = q->H, q->loads = q->H; /* every row, at the first output row */
  q->lbn = q->plane ? q->H * q->W : q->W, q->obn = q->plane ? q->OH * q->OW : q->OW;
}

void hl_engine_size(HlEngine *g, Layer *const *ls, int n) {
  int64_t icg = 1, ocg = 1;
  for (int i = 0; i < n; i++) { /* the lanes' largest use, groups bundled */
    HlGeo q;
    hl_engine_geo(ls[i], g, &q);
    if (q.ICG > icg) icg = q.ICG;
    if (q.OCG > ocg) ocg = q.OCG;
  }
  if (g->ip > icg) g->ip = (int)icg;
  if (g->op > ocg) g->op = (int)ocg;
  if (g->ip < 1) g->ip = 1;
  if (g->op < 1) g->op = 1;
  g->nl = n;
  g->ntmax = g->wbmax = g->lbmax = g->ocmax = g->owmax = 1;
  g->nq = 0;
  g->wide = g->leaky = g->plane_any = false;
  int64_t minc = -1; /* fewest MAC cycles per pixel and output block */
  for (int i = 0; i < n; i++) {
    HlGeo q;
    hl_engine_geo(ls[i], g, &q);
    int64_t nt = q.G * q.NOCT, wall = nt * q.taps * q.NICT * g->ip * g->op, c = q.taps * q.NICT;
    int64_t lb = hl_cdiv(q.C, g->ip) * q.span * q.W, ow = q.obn;
    if (nt > g->ntmax) g->ntmax = nt;
    if (wall > g->wbmax) g->wbmax = wall;
    if (lb > g->lbmax) g->lbmax = lb;
    if (q.OC > g->ocmax) g->ocmax = q.OC;
    if (ow > g->owmax) g->owmax = ow;
    g->plane_any = g->plane_any || q.plane;
    g->nq += nt * g->op;
    if (minc < 0 || c < minc) minc = c;
  }
  /* requantization lanes: halve from OP while OP / R stays within minc */
  g->r = g->op;
  while (g->r % 2 == 0 && g->op / (g->r / 2) <= minc) g->r /= 2;
}

int64_t hl_row_beats(int64_t n, int pb) { return pb > 1 ? hl_cdiv(n + pb - 1, pb) : n; }

int64_t hl_rmw_reads(int64_t beats) { return beats > 1 ? 2 : 1; }

const char *hl_beat_port(int pb, bool wts) {
  if (pb > 8) return wts ? "wts128" : "fm128";
  return wts ? "wts64" : "fm64";
}

const char *hl_beat_type(int pb) { return pb > 8 ? "chai_b128" : "uint64_t"; }

int64_t hl_engine_wfactor(const HlEngine *g) {
  int64_t f = (int64_t)g->ip * g->op;
  while (g->pb > 1 && f % g->pb) f += (int64_t)g->ip * g->op;
  return f;
}

void hl_engine_est(const Layer *l, const HlEngine *g, HlEst *e) {
  memset(e, 0, sizeof *e);
  HlGeo q;
  hl_engine_geo(l, g, &q);
  int64_t nt = q.G * q.NOCT, wall = nt * q.taps * q.NICT * g->ip * g->op;
  int pb = g->pb > 1 ? g->pb : 1;
  /* the bursts' trip counts (engine.lua: _wl, _lx, _dx): the weights start
   * beat-aligned (64-byte offsets in wts), rows at any byte; a whole-plane
   * layer moves each channel's plane as one row of H*W (OH*OW) bytes
   * (q.lbn, q.obn) */
  int64_t wb = hl_cdiv(wall, pb), loads = q.N * q.C * (q.plane ? 1 : q.loads);
  int64_t rows = q.N * q.OC * (q.plane ? 1 : q.OH), lb = loads * hl_row_beats(q.lbn, pb);
  int64_t drain = rows * hl_row_beats(q.obn, pb);
  e->ii = 1;
  e->pb = pb;
  e->rd_fm = pb * lb;
  e->wr_fm = pb * drain;
  /* wide drain: each row reads its first and last beat to keep the bytes
   * of its neighbours (one read when they are the same beat) */
  if (pb > 1) e->rd_fm += pb * rows * hl_rmw_reads(drain / rows);
  e->bytes_wts = pb * wb;
  e->bursts[0] = wb, e->bursts[1] = lb, e->bursts[2] = drain;
  e->runs[0] = 1, e->runs[1] = loads, e->runs[2] = rows;
  /* the weight burst (once), the line-buffer bursts; per pixel: init (NT),
   * the MAC loop over every tap (TAPS*NT*NICT: a padding tap takes its
   * cycles without MACs), the output stage (NT*OP/R); the drain bursts */
  e->stage = q.N * q.OH * q.OW * (nt + nt * g->op / g->r);
  e->mac_loop = q.N * q.OH * q.OW * q.taps * nt * q.NICT;
  e->mac_full = hl_cdiv(q.N * q.rows * q.cols * q.OC * (q.ICG / q.k), (int64_t)g->ip * g->op);
  e->cycles = wb + lb + e->stage + e->mac_loop + drain;
  e->macs = q.N * q.OH * q.OW * q.OC * (q.ICG / q.k) * q.taps;
}

int64_t hl_engine_muls(const HlEngine *g) {
  return (int64_t)g->ip * (g->pack ? (g->op + 1) / 2 : g->op);
}

void hl_engine_res(const HlEngine *g, HlEst *e) {
  int64_t at = g->wide ? 64 : 32;
  /* a requantization: a 32 x 32-bit product (3 DSP48s), as per layer */
  e->dsp = hl_engine_muls(g) + 3 * (int64_t)g->r;
  /* wb (IP*OP-byte words; wide ports: lcm(IP*OP, 8)), bias (OP words), M
   * / sh (R words; Mn / shn when leaky), acc (OP banks), lb (IP banks), ob
   * (R banks); wide ports: lb and ob also 8 banks along the row */
  int64_t wf = hl_engine_wfactor(g), pb = g->pb > 1 ? g->pb : 1;
  e->bram18k = hl_bram18k(hl_cdiv(g->wbmax, wf), 8 * (int)wf, 1) +
               hl_bram18k(hl_cdiv(g->nq, g->op), (int)at * g->op, 1) +
               (g->leaky ? 2 : 1) * (hl_bram18k(hl_cdiv(g->nq, g->r), 32 * g->r, 1) +
                                     hl_bram18k(hl_cdiv(g->nq, g->r), 8 * g->r, 1)) +
               hl_bram18k(g->ntmax * g->op, (int)at, g->op) + hl_bram18k(g->lbmax * g->ip, 8, g->ip * pb) +
               hl_bram18k(g->ocmax * g->owmax, 8, g->r * pb);
  e->uram = 0;
}
