/* rt_layers.h - per-kind layer parameters and float reference kernels.
 *
 * This is the runtime's public API line for layers.  Each layer kind has a
 * plain parameter struct (filled by the compiler from the prototxt, or baked
 * into generated code as a constant) and a float reference kernel with one
 * uniform signature, so that the compiler's interpreter can drive every kind
 * from the layer registry.  Kernels never allocate: a kernel that needs
 * scratch memory exports rt_<kind>_ws() giving the bytes it needs, and the
 * caller passes that much in rt_args.ws.
 *
 * Conventions: tensors are NCHW (Caffe order), float32, dense.  Tops have
 * already been shaped by the compiler's shape inference (a->t[i].s is set).
 */
#ifndef RT_LAYERS_H
#define RT_LAYERS_H

#include <stdbool.h>
#include <stddef.h>

#include "rt_tensor.h"

typedef struct rt_args {
  int nb, nt, nw;
  const rt_tensor *b; /* bottoms */
  rt_tensor *t;       /* tops (shapes set, data preallocated) */
  const rt_tensor *w; /* learned blobs, in caffemodel order */
  void *ws;           /* scratch of rt_<kind>_ws() bytes, or NULL */
  size_t wsz;
} rt_args;

typedef void (*rt_kernel_fn)(const void *param, const rt_args *a);
typedef size_t (*rt_ws_fn)(const void *param, const rt_args *a);

#define RT_MAXLIST 16 /* max entries in small parameter lists */

/* ---- Input ---- */
typedef struct rt_input_param {
  int ntop;
  rt_shape shape[RT_MAXLIST]; /* one per top */
} rt_input_param;

/* ---- Convolution, DepthwiseConvolution, Deconvolution ----
 * Weights: conv  w[0] = out x in/group x kh x kw, w[1] = out (bias_term)
 *          deconv w[0] = in x out/group x kh x kw, w[1] = out */
typedef struct rt_conv_param {
  int num_output, group;
  int kh, kw, sh, sw, ph, pw, dh, dw;
  bool bias_term;
  int axis; /* channel axis, normally 1 */
} rt_conv_param;

/* ---- InnerProduct ----  w[0] = N x K (or K x N when transpose), w[1] = N */
typedef struct rt_ip_param {
  int num_output, axis;
  bool bias_term, transpose;
} rt_ip_param;

/* ---- Pooling ---- */
enum { RT_POOL_MAX = 0, RT_POOL_AVE = 1, RT_POOL_STOCHASTIC = 2 };
enum { RT_ROUND_CEIL = 0, RT_ROUND_FLOOR = 1 };
typedef struct rt_pool_param {
  int method;
  int kh, kw, sh, sw, ph, pw;
  bool global;
  int round_mode;
} rt_pool_param;

/* ---- ReLU ---- */
typedef struct rt_relu_param {
  float negative_slope;
} rt_relu_param;

/* ---- PReLU ----  w[0] = C (or 1 when channel_shared) */
typedef struct rt_prelu_param {
  bool channel_shared;
} rt_prelu_param;

/* ---- BatchNorm ----  w[0] = mean(C), w[1] = var(C), w[2] = factor(1).
 * mean = w0/f, var = w1/f with f = w2[0] (f == 0 -> 0 for both). */
typedef struct rt_bn_param {
  float eps;
} rt_bn_param;

/* ---- Scale / Bias ----
 * Scale: factor from w[0] (one bottom) or b[1] (two bottoms); bias from the
 * next blob when bias_term.  Bias: offset from w[0] or b[1].
 * axis and num_axes as in Caffe (already canonicalized by the compiler). */
typedef struct rt_scale_param {
  int axis, num_axes;
  bool bias_term;
} rt_scale_param;

/* ---- Eltwise ---- */
enum { RT_ELT_PROD = 0, RT_ELT_SUM = 1, RT_ELT_MAX = 2 };
typedef struct rt_eltwise_param {
  int op;
  int ncoeff; /* 0 = all 1 */
  float coeff[RT_MAXLIST];
} rt_eltwise_param;

/* ---- Concat / Slice / Split ---- */
typedef struct rt_concat_param {
  int axis; /* canonical */
} rt_concat_param;
typedef struct rt_slice_param {
  int axis; /* canonical */
  int npoints;
  int points[RT_MAXLIST];
} rt_slice_param;

/* ---- Crop ----  output takes b[1]'s shape from axis on; offsets per axis */
typedef struct rt_crop_param {
  int axis; /* canonical */
  int offset[RT_MAXDIM]; /* expanded: one per dim >= axis (others 0) */
} rt_crop_param;

/* ---- Softmax ---- */
typedef struct rt_softmax_param {
  int axis; /* canonical */
} rt_softmax_param;

/* ---- Power: y = (shift + scale * x) ^ power ---- */
typedef struct rt_power_param {
  float power, scale, shift;
} rt_power_param;

/* ---- LRN ---- */
enum { RT_LRN_ACROSS = 0, RT_LRN_WITHIN = 1 };
typedef struct rt_lrn_param {
  int local_size, region;
  float alpha, beta, k;
} rt_lrn_param;

/* ---- Flatten / Reshape / Dropout / Split / Sigmoid / TanH ----
 * Data is copied unchanged (Flatten, Reshape, Dropout at test time, Split)
 * or mapped elementwise; no parameters needed at run time. */
typedef struct rt_none_param {
  int unused;
} rt_none_param;

/* ---- Permute ---- */
typedef struct rt_permute_param {
  int norder;
  int order[RT_MAXDIM]; /* full permutation of all dims, expanded */
} rt_permute_param;

/* ---- Normalize (SSD) ----  w[0] = scale, C values or 1 if channel_shared */
typedef struct rt_normalize_param {
  bool across_spatial, channel_shared;
  float eps;
} rt_normalize_param;

/* ---- PriorBox (SSD) ----  bottoms: feature map, image.
 * aspect ratios are expanded as Caffe does (1 first, then each ar not
 * already present, and 1/ar when flip). */
typedef struct rt_priorbox_param {
  int nmin, nmax, nar, nvar;
  float min_size[RT_MAXLIST], max_size[RT_MAXLIST];
  float aspect[2 * RT_MAXLIST + 1];
  float variance[4];
  bool clip;
  int img_h, img_w;      /* 0 = take from bottom 1 */
  float step_h, step_w;  /* 0 = img / layer size */
  float offset;
} rt_priorbox_param;

/* ---- DetectionOutput (SSD) ----
 * bottoms: loc (N x P*4*(share?1:C)), conf (N x P*C), prior (1 x 2 x P*4).
 * top: 1 x 1 x K x 7 rows [image, label, score, xmin, ymin, xmax, ymax];
 * K is at most keep_top_k (or all) per image; a net with no detection gives
 * one row of -1 as Caffe does.  Top shape is the compiler's worst case; the
 * kernel sets a->t[0].s.d[2] to the real count. */
enum { RT_CODE_CORNER = 1, RT_CODE_CENTER_SIZE = 2, RT_CODE_CORNER_SIZE = 3 };
typedef struct rt_detout_param {
  int num_classes;
  bool share_location;
  int background_label_id;
  float nms_threshold, eta;
  int top_k; /* -1 = all */
  int keep_top_k; /* -1 = all */
  float confidence_threshold;
  int code_type;
  bool variance_encoded_in_target;
  int max_rows; /* rows the top holds (set by shape inference); 0 = d[2] */
} rt_detout_param;

/* ---- ArgMax ---- */
typedef struct rt_argmax_param {
  bool out_max_val, has_axis;
  int top_k, axis; /* axis canonical when has_axis */
} rt_argmax_param;

/* Float reference kernels (one per kind; see the layer registry). */
void rt_input_f32(const void *p, const rt_args *a);
void rt_conv_f32(const void *p, const rt_args *a);
void rt_deconv_f32(const void *p, const rt_args *a);
void rt_ip_f32(const void *p, const rt_args *a);
void rt_pool_f32(const void *p, const rt_args *a);
void rt_relu_f32(const void *p, const rt_args *a);
void rt_prelu_f32(const void *p, const rt_args *a);
void rt_bn_f32(const void *p, const rt_args *a);
void rt_scale_f32(const void *p, const rt_args *a);
void rt_bias_f32(const void *p, const rt_args *a);
void rt_eltwise_f32(const void *p, const rt_args *a);
void rt_concat_f32(const void *p, const rt_args *a);
void rt_slice_f32(const void *p, const rt_args *a);
void rt_split_f32(const void *p, const rt_args *a);
void rt_crop_f32(const void *p, const rt_args *a);
void rt_softmax_f32(const void *p, const rt_args *a);
void rt_copy_f32(const void *p, const rt_args *a); /* b[0] -> t[0] unchanged */
void rt_dropout_f32(const void *p, const rt_args *a);  /* = copy (test phase) */
void rt_flatten_f32(const void *p, const rt_args *a);  /* = copy */
void rt_reshape_f32(const void *p, const rt_args *a);  /* = copy */
void rt_power_f32(const void *p, const rt_args *a);
void rt_lrn_f32(const void *p, const rt_args *a);
void rt_sigmoid_f32(const void *p, const rt_args *a);
void rt_tanh_f32(const void *p, const rt_args *a);
void rt_permute_f32(const void *p, const rt_args *a);
void rt_normalize_f32(const void *p, const rt_args *a);
void rt_priorbox_f32(const void *p, const rt_args *a);
void rt_detout_f32(const void *p, const rt_args *a);
void rt_argmax_f32(const void *p, const rt_args *a);

/* Scratch sizes for kernels that need it. */
size_t rt_detout_ws(const void *p, const rt_args *a);
size_t rt_argmax_ws(const void *p, const rt_args *a);
size_t rt_lrn_ws(const void *p, const rt_args *a);
size_t rt_softmax_ws(const void *p, const rt_args *a);

#endif
