/* A pipelined loop whose only limit is the m_axi feature map: the weight
 * ROM is reshaped into one 8 x 16 word, the accumulators are registers,
 * but x0 is still read 8 times per iteration (II >= 8).  tests/hls_ii.sh. */
#include <stdint.h>

static const int8_t w[2304] = {0};

static void f(const int8_t *x0, int8_t *y0) {
  int32_t acc[16];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
#pragma HLS ARRAY_RESHAPE variable=w cyclic factor=128 dim=1
L_t: for (int t = 0; t < 18; t++) {
#pragma HLS PIPELINE II=1
  L_ip: for (int ip = 0; ip < 8; ip++) {
    L_op: for (int op = 0; op < 16; op++) {
      acc[op] += (int32_t)x0[(t * 8 + ip) * 1024] * w[t * 128 + ip * 16 + op];
    }
  }
}
L_o: for (int o = 0; o < 16; o++) {
#pragma HLS PIPELINE II=1
  y0[o] = (int8_t)acc[o];
}
}
