/* The convolution pattern chaicc generated before issue 12 (resnet20's
 * Convolution2, weights cut to their first output pixel tap rows): the
 * pipelined _ict loop reads the unpartitioned weight ROM IP x OP = 128
 * times and the m_axi feature map through x0 8 times per iteration, and
 * the output loop writes y0 16 times per iteration.  tests/hls_ii.sh
 * requires tests/hls_ii.py to reject it with a proven II >= 64. */
#include <stdint.h>

static const int8_t Q_Convolution2_w[2304] = {0};
static const int32_t Q_Convolution2_b[16] = {0};

static void Q_Convolution2(const int8_t *x0, int8_t *y0) {
  int32_t acc[16];
#pragma HLS ARRAY_PARTITION variable=acc cyclic factor=16
Q_Convolution2_n: for (int n = 0; n < 1; n++) {
  Q_Convolution2_oy: for (int oy = 0; oy < 32; oy++) {
    Q_Convolution2_ox: for (int ox = 0; ox < 32; ox++) {
      Q_Convolution2_init: for (int o = 0; o < 16; o++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=16
        acc[o] = Q_Convolution2_b[o];
      }
      Q_Convolution2_ky: for (int ky = 0; ky < 3; ky++) {
        Q_Convolution2_kx: for (int kx = 0; kx < 3; kx++) {
          const int iy = oy * 1 - 1 + ky * 1, ix = ox * 1 - 1 + kx * 1;
          if (iy < 0 || iy >= 32 || ix < 0 || ix >= 32) continue;
          Q_Convolution2_g: for (int g = 0; g < 1; g++) {
            Q_Convolution2_oct: for (int oct = 0; oct < 1; oct++) {
              Q_Convolution2_ict: for (int ict = 0; ict < 2; ict++) {
#pragma HLS PIPELINE II=1
                Q_Convolution2_ip: for (int ip = 0; ip < 8; ip++) {
                  Q_Convolution2_op: for (int op = 0; op < 16; op++) {
                    const int icl = ict * 8 + ip, ocl = oct * 16 + op;
                    acc[g * 16 + ocl] += (int32_t)x0[((n * 16 + g * 16 + icl) * 32 + iy) * 32 + ix] *
                        Q_Convolution2_w[(((ky * 3 + kx) * 1 + g) * 16 + icl) * 16 + ocl];
                  }
                }
              }
            }
          }
        }
      }
      Q_Convolution2_out: for (int o = 0; o < 16; o++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=16
        y0[((n * 16 + o) * 32 + oy) * 32 + ox] = (int8_t)acc[o];
      }
    }
  }
}
}
