/* rt_tensor.c - shape helpers (see rt_tensor.h). */
#include "rt_tensor.h"

#include <stdio.h>
#include <string.h>

int64_t rt_shape_count(const rt_shape *s) {
  return rt_shape_count_range(s, 0, s->nd);
}

int64_t rt_shape_count_range(const rt_shape *s, int from, int to) {
  if (from < 0) from = 0;
  if (to > s->nd) to = s->nd;
  int64_t n = 1;
  for (int i = from; i < to; i++) n *= s->d[i];
  return n;
}

int rt_axis(const rt_shape *s, int axis) {
  if (axis < -s->nd || axis >= s->nd) return -1;
  return axis < 0 ? axis + s->nd : axis;
}

int rt_shape_dim4(const rt_shape *s, int i) {
  return i < s->nd ? s->d[i] : 1;
}

rt_shape rt_shape_make(int nd, const int *d) {
  rt_shape s;
  memset(&s, 0, sizeof s);
  s.nd = nd;
  for (int i = 0; i < nd && i < RT_MAXDIM; i++) s.d[i] = d[i];
  return s;
}

rt_shape rt_shape4(int n, int c, int h, int w) {
  int d[4] = {n, c, h, w};
  return rt_shape_make(4, d);
}

int rt_shape_eq(const rt_shape *a, const rt_shape *b) {
  if (a->nd != b->nd) return 0;
  for (int i = 0; i < a->nd; i++)
    if (a->d[i] != b->d[i]) return 0;
  return 1;
}

char *rt_shape_str(const rt_shape *s, char *buf, size_t n) {
  size_t k = 0;
  if (n) buf[0] = 0;
  if (s->nd == 0) snprintf(buf, n, "scalar");
  for (int i = 0; i < s->nd && k < n; i++) {
    int w = snprintf(buf + k, n - k, i ? "x%d" : "%d", s->d[i]);
    if (w < 0) break;
    k += (size_t)w;
  }
  return buf;
}
