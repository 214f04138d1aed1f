/* rt_fx_pool.c - fixed-point Pooling (MAX / AVE) of the contract in
 * rt_fixed.h and docs/fixed-point.md. */
#include "rt_fx_int.h"

/* RHA(s / n) for n > 0: exact integer division, ties away from zero. */
static inline int64_t rdiv(int64_t s, int64_t n) {
  return s >= 0 ? (s + n / 2) / n : -((-s + n / 2) / n);
}

/* Pooling (MAX / AVE) with Caffe's window rules, per N*C plane. */
void rt_fx_pool(const void *param, const rt_fx_args *a) {
  const rt_fx_pool_param *p = param;
  const rt_fx_tensor *b = &a->b[0];
  const rt_fx_tensor *t = &a->t[0];
  int N = D4(b, 0), C = D4(b, 1), H = D4(b, 2), W = D4(b, 3);
  int OH = D4(t, 2), OW = D4(t, 3);
  int kh = p->g.kh, kw = p->g.kw, sh = p->g.sh, sw = p->g.sw;
  int ph = p->g.ph, pw = p->g.pw;
  if (p->g.global) {
    kh = H, kw = W, sh = sw = 1, ph = pw = 0;
  }
  bool ave = p->g.method == RT_POOL_AVE, id = IDENT(p->M, p->sh);
  int64_t hw = (int64_t)H * W, ohw = (int64_t)OH * OW;
  for (int64_t i = 0; i < (int64_t)N * C; i++) {
    const int16_t *x = b->d + i * hw;
    int16_t *y = t->d + i * ohw;
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        int y0 = oy * sh - ph, x0 = ox * sw - pw;
        int y1 = y0 + kh, x1 = x0 + kw;
        int64_t v;
        if (ave) {
          if (y1 > H + ph) y1 = H + ph;
          if (x1 > W + pw) x1 = W + pw;
          int64_t cnt = (int64_t)(y1 - y0) * (x1 - x0);
          if (y0 < 0) y0 = 0;
          if (x0 < 0) x0 = 0;
          if (y1 > H) y1 = H;
          if (x1 > W) x1 = W;
          int64_t s = 0;
          for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) s += x[(int64_t)iy * W + ix];
          v = cnt > 0 ? rdiv(s, cnt) : 0;
        } else {
          if (y0 < 0) y0 = 0;
          if (x0 < 0) x0 = 0;
          if (y1 > H) y1 = H;
          if (x1 > W) x1 = W;
          int32_t m = INT16_MIN;
          for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
              if (x[(int64_t)iy * W + ix] > m) m = x[(int64_t)iy * W + ix];
          v = y0 < y1 && x0 < x1 ? m : 0;
        }
        /* |v| <= 2^15: rt_fx_requant's direct branch */
        y[(int64_t)oy * OW + ox] =
            sat16(id ? v : rsh(v * p->M, p->sh), p->qmin, p->qmax);
      }
  }
}

