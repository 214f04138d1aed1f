/* rt_tensor.h - shapes and tensors shared by the compiler and the runtime.
 *
 * A shape is up to RT_MAXDIM dims, NCHW order for 4-D blobs as in Caffe.
 * A tensor is a shape plus a float pointer it does not own.
 */
#ifndef RT_TENSOR_H
#define RT_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define RT_MAXDIM 8

typedef struct rt_shape {
  int nd;
  int d[RT_MAXDIM];
} rt_shape;

typedef struct rt_tensor {
  rt_shape s;
  float *d;
} rt_tensor;

/* Number of elements; 0 for a shape with a zero dim; nd == 0 is a scalar (1). */
int64_t rt_shape_count(const rt_shape *s);
/* Product of dims [from, to) (Caffe's count(start, end)); clipped to [0,nd]. */
int64_t rt_shape_count_range(const rt_shape *s, int from, int to);
/* Caffe's CanonicalAxisIndex: -nd <= axis < nd maps to 0..nd-1, else -1. */
int rt_axis(const rt_shape *s, int axis);
/* Dim i of a shape read as 4-D NCHW with missing trailing dims as 1
 * (Caffe's legacy num()/channels()/height()/width()). */
int rt_shape_dim4(const rt_shape *s, int i);
rt_shape rt_shape_make(int nd, const int *d);
rt_shape rt_shape4(int n, int c, int h, int w);
int rt_shape_eq(const rt_shape *a, const rt_shape *b);
/* Formats "1x3x224x224" into buf; returns buf. */
char *rt_shape_str(const rt_shape *s, char *buf, size_t n);

#endif
