/* affine.c - test plugin with parameters (custom_layers ... params: true):
 * out = scale * in + shift, scale and shift read from the layer's
 * parameter text (`affine_param { scale: S shift: B }`, a block chaicc's
 * schema does not know, handed over as written). */
#include <stdlib.h>
#include <string.h>

/* The number after "key:" in text, or dflt. */
static float param_num(const char *text, const char *key, float dflt) {
  const char *p = strstr(text, key);
  if (!p) return dflt;
  p += strlen(key);
  while (*p == ' ' || *p == ':') p++;
  return strtof(p, NULL);
}

void plugin_affine(const float *in, const int in_shape[4], float *out, const int out_shape[4],
                   const char *param) {
  float scale = param_num(param, "scale", 1.0f), shift = param_num(param, "shift", 0.0f);
  int n = in_shape[0] * in_shape[1] * in_shape[2] * in_shape[3];
  (void)out_shape;
  for (int i = 0; i < n; i++) out[i] = scale * in[i] + shift;
}
