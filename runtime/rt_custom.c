/* rt_custom.c - the interpreter's stand-in for plugin layers (rt_custom.h). */
#include "rt_custom.h"

#include <stdio.h>
#include <stdlib.h>

/* Copies a shape into the plugin's fixed 4-D NCHW form (missing trailing
 * axes are 1, as Caffe's legacy num/channels/height/width accessors). */
static void shape4(const rt_shape *s, int out[4]) {
  for (int i = 0; i < 4; i++) out[i] = rt_shape_dim4(s, i);
}

void rt_custom_f32(const void *p, const rt_args *a) {
  const rt_custom_param *cp = p;
  if (!cp->call || a->nb < 1 || a->nt < 1 || a->b[0].s.nd > 4 || a->t[0].s.nd > 4) {
    fprintf(stderr,
            "chaicc: error: layer '%s': custom layer (plugin function '%s') cannot run "
            "in the interpreter; it runs only in generated code\n",
            cp->layer ? cp->layer : "?", cp->fn ? cp->fn : "?");
    exit(1);
  }
  int is[4], os[4];
  shape4(&a->b[0].s, is);
  shape4(&a->t[0].s, os);
  cp->call(a->b[0].d, is, a->t[0].d, os);
}
