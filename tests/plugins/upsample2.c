/* upsample2.c - test plugin: nearest-neighbour upsampling by 2 in H and W
 * (custom_layers shape: "scale_hw:2"). */
void plugin_up2(const float *in, const int in_shape[4], float *out, const int out_shape[4]) {
  int nc = in_shape[0] * in_shape[1], h = in_shape[2], w = in_shape[3];
  int oh = out_shape[2], ow = out_shape[3];
  for (int p = 0; p < nc; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        out[((long)p * oh + y) * ow + x] = in[((long)p * h + y / 2) * w + x / 2];
}
