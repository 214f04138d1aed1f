/* The m_axi patterns chaicc generated before the line buffers (issue 12,
 * lenet's conv2 and pool2, cut to the loops concerned): the conv fill
 * loop reads one channel column per tap (addresses H x W = 144 apart),
 * and pooling reads its window from m_axi inside unrolled loops.  Both
 * loops are at their proven II; tests/hls_ii.sh requires
 * `tests/hls_ii.py --burst` to reject both as not bursts. */
#include <stdint.h>

static void Q_conv2(const int8_t *x0, int8_t *y0) {
  int8_t xb[3][8];
#pragma HLS ARRAY_PARTITION variable=xb complete dim=2
Q_conv2_n: for (int n = 0; n < 1; n++) {
  Q_conv2_oy: for (int oy = 0; oy < 8; oy++) {
    Q_conv2_ox: for (int ox = 0; ox < 8; ox++) {
      Q_conv2_ky: for (int ky = 0; ky < 5; ky++) {
        Q_conv2_kx: for (int kx = 0; kx < 5; kx++) {
          const int iy = oy * 1 - 0 + ky * 1, ix = ox * 1 - 0 + kx * 1;
          if (iy < 0 || iy >= 12 || ix < 0 || ix >= 12) continue;
          Q_conv2_fill: for (int c = 0; c < 20; c++) {
#pragma HLS PIPELINE II=1
            const int icl = c % 20;
            xb[(c / 20) * 3 + icl / 8][icl % 8] = x0[((n * 20 + c) * 12 + iy) * 12 + ix];
          }
        }
      }
      y0[(n * 8 + oy) * 8 + ox] = xb[0][0];
    }
  }
}
}

static void Q_pool2(const int8_t *x0, int8_t *y0) {
Q_pool2_p: for (int p = 0; p < 50; p++) {
  Q_pool2_oy: for (int oy = 0; oy < 4; oy++) {
    Q_pool2_ox: for (int ox = 0; ox < 4; ox++) {
#pragma HLS PIPELINE II=4
      int32_t m = -32768;
      Q_pool2_ky: for (int ky = 0; ky < 2; ky++) {
        Q_pool2_kx: for (int kx = 0; kx < 2; kx++) {
          const int iy = oy * 2 - 0 + ky, ix = ox * 2 - 0 + kx;
          const int32_t v = x0[(p * 8 + iy) * 8 + ix];
          if (v > m) m = v;
        }
      }
      y0[(p * 4 + oy) * 4 + ox] = (int8_t)m;
    }
  }
}
}
