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

/* Enumerated parameter values. */
enum { RT_POOL_MAX = 0, RT_POOL_AVE = 1, RT_POOL_STOCHASTIC = 2 };    /* rt_pool_param.method */
enum { RT_ROUND_CEIL = 0, RT_ROUND_FLOOR = 1 };                        /* .round_mode */
enum { RT_ELT_PROD = 0, RT_ELT_SUM = 1, RT_ELT_MAX = 2 };             /* rt_eltwise_param.op */
enum { RT_LRN_ACROSS = 0, RT_LRN_WITHIN = 1 };                         /* rt_lrn_param.region */
enum { RT_CODE_CORNER = 1, RT_CODE_CENTER_SIZE = 2, RT_CODE_CORNER_SIZE = 3 }; /* .code_type */
enum { RT_BNSEG_LEARN = 0, RT_BNSEG_INFERENCE = 1 }; /* rt_bnseg_param.mode (issue 13, act) */

/* The parameter structs, one per kind (rt_input_param ... rt_argmax_param),
 * are declared once, in rt_params.def, with each kind's conventions (learned
 * blobs, bottoms, canonical axes); the compiler's field table and the
 * generated initializers come from the same list. */
#define PSTRUCT(T) typedef struct T {
#define PFIELD(T, type, name) type name;
#define PARRAY(T, type, name, n, count, min) type name[n];
#define PFULL(T, type, name, n) type name[n];
#define POPAQUE(T, decl) decl;
#define PEND(T) } T;
#include "rt_params.def"
#undef PSTRUCT
#undef PFIELD
#undef PARRAY
#undef PFULL
#undef POPAQUE
#undef PEND

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
void rt_absval_f32(const void *p, const rt_args *a);
void rt_sigmoid_f32(const void *p, const rt_args *a);
void rt_tanh_f32(const void *p, const rt_args *a);
void rt_permute_f32(const void *p, const rt_args *a);
void rt_normalize_f32(const void *p, const rt_args *a);
void rt_priorbox_f32(const void *p, const rt_args *a);
void rt_detout_f32(const void *p, const rt_args *a);
void rt_argmax_f32(const void *p, const rt_args *a);
/* issue 13, act (runtime/rt_act.c) */
void rt_bnll_f32(const void *p, const rt_args *a);
void rt_elu_f32(const void *p, const rt_args *a);
void rt_exp_f32(const void *p, const rt_args *a);
void rt_log_f32(const void *p, const rt_args *a);
void rt_threshold_f32(const void *p, const rt_args *a);
void rt_clip_f32(const void *p, const rt_args *a);
void rt_relu6_f32(const void *p, const rt_args *a); /* = clip (rt_clip_param) */
void rt_swish_f32(const void *p, const rt_args *a);
void rt_bnseg_f32(const void *p, const rt_args *a);
void rt_axpy_f32(const void *p, const rt_args *a); /* b[0] a (N x C), b[1] x, b[2] y */

/* ---- issue 13, resample (runtime/rt_resample.c) ---- */
void rt_upsample_f32(const void *p, const rt_args *a);
void rt_shuffle_f32(const void *p, const rt_args *a);
void rt_cropcenter_f32(const void *p, const rt_args *a);
void rt_reorg_f32(const void *p, const rt_args *a);
void rt_interp_f32(const void *p, const rt_args *a);
/* A pure data-movement layer as a strided gather: top element i, dense
 * over dims[0..nd) (last fastest), is bottom element off + sum idx_k *
 * st[k].  The float kernels, the fixed-point kernels (rt_fx_resample.c)
 * and the HLS template (hls/gather) all run the one the builders give. */
typedef struct rt_gather {
  int nd;
  int64_t off;
  int64_t dims[RT_MAXDIM];
  int64_t st[RT_MAXDIM];
} rt_gather;
/* Builders from the parameters and the bottom's shape; they return 0, or
 * -1 when the layer is not a gather (unpooling Upsample). */
int rt_upsample_gather(const rt_upsample_param *p, const rt_shape *b, rt_gather *g);
int rt_shuffle_gather(const rt_shuffle_param *p, const rt_shape *b, rt_gather *g);
int rt_cropcenter_gather(const rt_cropcenter_param *p, const rt_shape *b, rt_gather *g);
int rt_reorg_gather(const rt_reorg_param *p, const rt_shape *b, rt_gather *g);
int64_t rt_gather_count(const rt_gather *g);
void rt_gather_f32(const rt_gather *g, const float *x, float *y);
void rt_gather_i16(const rt_gather *g, const int16_t *x, int16_t *y);

/* Scratch sizes for kernels that need it. */
size_t rt_detout_ws(const void *p, const rt_args *a);
size_t rt_argmax_ws(const void *p, const rt_args *a);
size_t rt_lrn_ws(const void *p, const rt_args *a);
size_t rt_softmax_ws(const void *p, const rt_args *a);

/* issue 13, YOLO heads (rt_yolo.c) */
void rt_region_f32(const void *p, const rt_args *a);
void rt_yolov3det_f32(const void *p, const rt_args *a);
size_t rt_region_ws(const void *p, const rt_args *a);
size_t rt_yolov3det_ws(const void *p, const rt_args *a);

/* issue 13, held-out models (rt_yolo.c) */
/* rt_yolodet_param.form: MobileNet-YOLO's YoloDetectionOutput (sorted,
 * corner rows, label class + 1), or the caffe-yolov2 forks' DetectionOutput
 * (NMS in generation order on boxes clipped to [0, 1], rows [image, class,
 * score, x, y, w, h] center-size) */
enum { RT_YOLODET_MNYOLO = 0, RT_YOLODET_YOLOV2 = 1 };
void rt_yolodet_f32(const void *p, const rt_args *a);
size_t rt_yolodet_ws(const void *p, const rt_args *a);

#endif
