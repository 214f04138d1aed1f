/* abs.c - test plugin: out = |in| elementwise (custom_layers shape: same). */
#include <math.h>

void plugin_abs(const float *in, const int in_shape[4], float *out, const int out_shape[4]) {
  long n = (long)in_shape[0] * in_shape[1] * in_shape[2] * in_shape[3];
  (void)out_shape;
  for (long i = 0; i < n; i++) out[i] = fabsf(in[i]);
}
