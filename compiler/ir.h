/* ir.h - chaicc's graph IR: the public API line between the Caffe loader
 * and everything after it (shape inference, interpreter, passes, quantizer,
 * partitioner, code generators).  Nothing after the loader looks at
 * protobuf-c structs except through Layer.lp for diagnostics/writing.
 *
 * Blobs are SSA values: an in-place layer (top == bottom) produces a NEW
 * Blob with the same Caffe name, and later readers of that name see the new
 * version, exactly as Caffe's execution order makes them see it.
 */
#ifndef CHAI_IR_H
#define CHAI_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "../runtime/rt_layers.h"
#include "../runtime/rt_custom.h"

typedef enum LayerKind {
#define LAYER(id, ty, v1, file, ptype, member, ws, place, flags) LK_##id,
#define ALIAS(ty, id)
#include "layers.def"
#undef LAYER
#undef ALIAS
  LK_NKINDS
} LayerKind;

typedef enum Placement { PL_SW = 0, PL_HW = 1 } Placement;

/* Most bottoms or tops one layer may have.  The loader rejects more, so the
 * interpreter and the emitters can use fixed arrays of this size. */
#define IR_MAX_IO (RT_MAXLIST * 4)

struct Layer;
struct Net;
struct Caffe__LayerParameter;

typedef struct Blob {
  int id;
  const char *name;      /* Caffe top name (shared by in-place versions) */
  int version;           /* 0 for the first producer, +1 per in-place layer */
  rt_shape shape;
  struct Layer *producer; /* NULL for net inputs declared outside layers */
  int nconsumers;
  bool is_output;        /* not consumed by any layer: a network output */
  bool shaped;           /* shape inference reached this blob */
} Blob;

/* Expected shape of one learned blob, and the loaded data. */
typedef struct Weight {
  const char *role;  /* "weights", "bias", "mean", ... for diagnostics */
  rt_shape expect;   /* set by lk_<kind>_shape */
  bool optional;     /* may be absent from the caffemodel */
  rt_tensor t;       /* data after loading (t.s == expect) */
  bool loaded;
} Weight;

/* A plugin layer type declared in the YAML config (custom_layers): loads
 * as LK_CUSTOM, runs only in generated code (it calls `fn`). */
typedef struct IrCustomType {
  const char *type;   /* Caffe type string it stands for */
  const char *fn;     /* C function the generated code calls */
  const char *source; /* plugin source file, or NULL */
  int scale_hw;       /* shape rule: 0 = "same", K > 0 = "scale_hw:K" */
  bool params;        /* `params: true`: fn takes the layer's parameter
                         blocks as text (a 5th argument) */
  SrcLoc loc;         /* where it was declared */
} IrCustomType;

typedef struct Layer {
  int id;
  const char *name;
  const char *type;  /* as written in the file ("CONVOLUTION" for V1) */
  LayerKind kind;
  SrcLoc loc;        /* where the layer { } block starts */
  const struct Caffe__LayerParameter *lp; /* normalized (V1 converted) */
  int nbottom, ntop;
  Blob **bottom, **top;
  const char **bottom_names, **top_names;
  int nweight;
  Weight *weight;
  union {
    rt_input_param input;
    rt_conv_param conv;
    rt_ip_param ip;
    rt_pool_param pool;
    rt_relu_param relu;
    rt_prelu_param prelu;
    rt_bn_param bn;
    rt_scale_param scale;
    rt_eltwise_param eltwise;
    rt_concat_param concat;
    rt_slice_param slice;
    rt_crop_param crop;
    rt_softmax_param softmax;
    rt_power_param power;
    rt_lrn_param lrn;
    rt_none_param none;
    rt_permute_param permute;
    rt_normalize_param normalize;
    rt_priorbox_param priorbox;
    rt_detout_param detout;
    rt_argmax_param argmax;
    rt_custom_param custom;
    /* issue 13, act */
    rt_elu_param elu;
    rt_explog_param explog;
    rt_threshold_param threshold;
    rt_clip_param clip;
    rt_swish_param swish;
    rt_bnseg_param bnseg;
    rt_region_param region;       /* issue 13, YOLO heads */
    rt_yolov3det_param yolov3det;
    /* issue 13, resample */
    rt_upsample_param upsample;
    rt_shuffle_param shuffle;
    rt_cropcenter_param cropcenter;
    rt_reorg_param reorg;
    rt_interp_param interp;
    rt_yolodet_param yolodet; /* issue 13, held-out models */
  } p;
  Placement place;
  SrcLoc place_loc;   /* YAML line that set the placement, if any */
  const char *place_why; /* why (pt_assign / pt_reason), or NULL */
  bool seg_start;     /* a layer rule's segment_start: a hardware layer
                         after another starts a new hardware segment */
  const IrCustomType *custom; /* LK_CUSTOM: its declaration, else NULL */
  /* ---- set by graph passes (compiler/passes.c) ---- */
  bool dead;          /* removed: interpreters and emitters skip it */
  bool fused_relu;    /* a following ReLU was fused: apply after the op */
  float relu_slope;   /* its negative_slope (0 for plain ReLU) */
  const char *fused_names; /* "bn1+scale1+relu1": layers folded in, or NULL */
  /* ---- set by the quantizer / read from a CHai prototxt ---- */
  struct LayerQuant *q; /* NULL: runs in float */
} Layer;

typedef struct Net {
  const char *name;
  const char *file;          /* prototxt path */
  const char *weights_file;  /* caffemodel path or NULL */
  const char *weights_sha;   /* its SHA-256 (hex) once computed (the pin check), else NULL */
  struct TfLocs *locs;       /* text locations of the prototxt */
  int nlayer;
  Layer **layers;            /* execution order (file order) */
  int nblob;
  Blob **blobs;
  int ninput;
  Blob **inputs;             /* net inputs (legacy input: or Input layers) */
  int noutput;
  Blob **outputs;
  Arena *ar;
  Diag *dg;
  const IrCustomType *custom; /* plugin types the loader accepts */
  int ncustom;
  bool from_train;           /* a training prototxt rewritten (train.h) */
  /* Shape rules: IR_DIALECT_CAFFE, or IR_DIALECT_DARKNET2CAFFE when only
   * that fork's rules make the shapes agree (loader.c ld_choose_dialect) */
  int dialect;
  /* the transform_param of the data layer that became the input (NULL:
   * none), where it is, and its layer: image preprocessing defaults
   * (prep.h prep_use_net) */
  const struct Caffe__TransformationParameter *transform;
  SrcLoc transform_loc;
  const char *transform_layer;
} Net;

enum { IR_DIALECT_CAFFE = 0, IR_DIALECT_DARKNET2CAFFE = 1 };

/* ---- What a kind is: the flags column of layers.def (see there) ---- */
enum {
  LKF_SOURCE = 1 << 0,
  LKF_COPY = 1 << 1,
  LKF_IDENTITY = 1 << 2,
  LKF_ELEMWISE = 1 << 3,
  LKF_MAC = 1 << 4,
  LKF_AFFINE = 1 << 5,
  LKF_RELU_FUSE = 1 << 6,
  LKF_Q = 1 << 7,
  LKF_QX = 1 << 8,
  LKF_QW = 1 << 9,
  LKF_QWX = 1 << 10,
  LKF_PLUGIN = 1 << 11,
  LKF_DETROWS = 1 << 12,
  LKF_SHAPEONLY = 1 << 13,
  LKF_MOVE = 1 << 14,
};

/* ---- What a kind can do: its operation table ----
 * One `const LayerOps lk_<file>_ops` per kind, defined in
 * compiler/layers/<file>.c next to the kind's parser.  The stages (loader,
 * stats, passes, quantizer, simulator, partitioner, HLS estimate) are
 * drivers that call these slots.  A NULL slot means the kind does not
 * support that operation; what the stage then does is stated per slot
 * (a default, "not supported" handling, or "required" for kinds with the
 * named flag).  Types of other stages are forward-declared here; their
 * headers define them.  Emitter slots are appended at the end, one block
 * per emitter. */
struct QsKernel;  /* qsim.h */
struct HlKnobs;   /* hls.h */
struct HlEst;     /* hls.h */
struct EcLayer;   /* emit_kind.h */
struct EcRef;     /* emit_kind.h */

/* The multiply-accumulate geometry of a LKF_MAC layer. */
typedef struct LayerMac {
  int nout;        /* output channels (num_output) */
  int axis;        /* the channel axis of its bottom (1 for NCHW) */
  bool *bias_term; /* its parameter's bias_term flag (writable) */
} LayerMac;

/* The fixed-point emitters' kind-file APIs (fx_call, hls_fn below). */
struct EfCall;    /* emit_fx.h */
struct EhFn;      /* emit_hls.h */

typedef struct LayerOps {
  /* ---- loader (required) ---- */
  /* Parses l->lp into l->p, checks bottom/top counts, declares weights. */
  int (*setup)(Layer *l, Net *n);
  /* Sets the tops' shapes and the weights' expected shapes. */
  int (*shape)(Layer *l, Net *n);
  /* True when l's shape rule differs under the darknet2caffe dialect
   * (Net.dialect); the loader then tries that dialect when the net's
   * shapes do not agree under Caffe's rules (loader.c).  NULL: never. */
  bool (*dialect_differs)(const Layer *l);
  /* ---- stats (NULL: 0 MACs) ---- */
  /* Multiply-accumulates of one forward pass (shaped layer, >= 1 bottom
   * and top). */
  long long (*macs)(const Layer *l);
  /* ---- fixed-point simulator, qsim.c (NULL: no integer kernel) ---- */
  /* Prepares the integer kernel of live layer l with l->q: reads k->in and
   * k->out (declared formats), sets k->fn and k->param (arena-allocated),
   * and may set k->post / k->post_p (a requantization of the tops).
   * Returns 0, 1 when this layer's parameters have no integer kernel (it
   * then runs in float between a dequantize and a quantize), or -1 after
   * reporting an error at the layer. */
  int (*fx_prepare)(Net *n, Layer *l, struct QsKernel *k);
  /* Bit t set: top t holds positions (a pooling mask), not values; it is
   * never calibrated or quantized and stays float in a fixed-point
   * program, where the layer runs in float (fx_prepare returns 1).
   * NULL: every top holds values. */
  unsigned (*index_tops)(const Layer *l);
  /* ---- quantizer, quant.c / calib.c / passes.c ---- */
  /* Output channel count a precision_param's th_params cover (NULL: axis
   * 1 of the first top, 1 when it has fewer axes). */
  int (*out_channels)(const Layer *l);
  /* True when every value of l's top 0 is one of its bottom 0's values
   * (MAX pooling): the quantizer then gives the top the bottom's scale
   * (cb_assign), so the kernel requantizes by the identity.  NULL:
   * never. */
  bool (*keeps_scale)(const Layer *l);
  /* LKF_MAC (required): fills *m. */
  void (*mac)(Layer *l, LayerMac *m);
  /* LKF_MAC (required): nw[i] = w[i] * a[output channel of element i] for
   * the cnt weights of blob 0, nout output channels (folding an affine). */
  void (*fold_weights)(const Layer *l, const float *w, float *nw, int64_t cnt, int nout,
                       const double *a);
  /* LKF_MAC: calls fn(ctx, o, values, count) with the weights of each
   * output channel o in 0..nout (calibration).  NULL: blob 0 is nout
   * consecutive rows. */
  void (*each_out)(const Layer *l, int nout, void (*fn)(void *, int, const float *, int64_t),
                   void *ctx);
  /* LKF_AFFINE (required): channels the affine covers along axis 1 of
   * its one bottom (called only with one bottom of >= 2 axes), or -1 when
   * it is not per-channel along axis 1. */
  int (*affine_channels)(const Layer *l);
  /* LKF_AFFINE (required): a[k], b[k] of y = a*x + b in double for the c
   * channels; all weights are loaded. */
  void (*affine)(const Layer *l, int c, double *a, double *b);
  /* LKF_AFFINE (required): multiplies f[0..nch) by |a| per channel as the
   * quantizer estimates it (float arithmetic as in the runtime fold;
   * leaves f when the weights are missing or do not match nch). */
  void (*fold_factor)(const Layer *l, double *f, int nch);
  /* ---- partitioner, partition.c (NULL: no hardware kernel) ---- */
  /* True when l (>= 1 bottom and top) fits the hardware kernel; else
   * writes the first violated limit into why[0..n) and returns false. */
  bool (*hw_limits)(const Layer *l, char *why, size_t n);
  /* ---- HLS estimate, hls.c (kinds with hw_limits) ---- */
  /* Clamps the channel parallelism k->ip / k->op (set from the config)
   * to what l can use (NULL: k->ip = 1, op lanes). */
  void (*hls_knobs)(const Layer *l, struct HlKnobs *k);
  /* Cycles, DSPs and MACs of l with knobs k into the zeroed *e (NULL:
   * one requantization per input element and lane). */
  void (*hls_estimate)(const Layer *l, const struct HlKnobs *k, struct HlEst *e);
  /* Weight bytes as 8-bit codes (NULL: the kind has no weights in
   * hardware). */
  int64_t (*hls_wbytes)(const Layer *l);
  /* Whether the fixed-point kernel with parameters param (qs_layer_param)
   * requantizes by the identity, a plain saturation with no multiplier,
   * so its hardware lanes need no DSP (NULL: never). */
  bool (*hls_fx_ident)(const void *param);
  /* ---- fixed-point C and HLS emitters, emit_fx.c / emit_hls.c ---- */
  /* Both render a kind's code through the kind-file APIs of emit_fx.h and
   * emit_hls.h, so a new kind adds no `case` to those emitters. */
  /* All-software fixed-point C (emit_fx.c, templates/c/fx): describes the
   * runtime call of live QS_FX layer l through the EfCall API of
   * emit_fx.h: the rt_fx_* kernel and its parameter struct type
   * (ef_call_kernel, required), the struct's fields and the static const
   * arrays they point at.  param is l's prepared parameter (what
   * fx_prepare put in k->param).  NULL: the fixed-point generator has no
   * kernel call for the kind (an error).  Shared emissions a kind may
   * point at: ef_requant_call, ef_affine_call, ef_copy_call. */
  void (*fx_call)(struct EfCall *c, const Layer *l, const void *param);
  /* HLS (emit_hls.c, templates/hls/): renders the kernel step of live
   * QS_FX layer l, in a hardware segment or in <net>_swfx.c, through the
   * EhFn API of emit_hls.h; param as for fx_call.  Returns the code, or
   * NULL after reporting an error.  NULL: the fixed-point generator has no
   * template for the kind (an error; lk_has_hw kinds need one).  Shared
   * emissions: eh_requant_fn, eh_affine_fn, eh_copy_fn. */
  const char *(*hls_fn)(struct EhFn *f, const Layer *l, const void *param);
  /* ---- float C emitter, emit_c.c ---- */
  /* Fills the table of l's own template (templates/c/<name>.lua) through
   * the API of emit_kind.h, the fields every layer template gets being
   * already set, and returns the template name ("c/conv"); NULL (also
   * for a NULL slot): l runs the runtime's reference kernel instead (c/ref,
   * rt_<file>_f32 with the parameter struct baked from pfield.h; an error
   * when the kind's ptype has no writable initializer).  Float nets call
   * it for every live layer; quantized nets only for kinds whose ptype has
   * no initializer, their other float layers always running the reference
   * kernel (bit-identical to the simulator). */
  const char *(*emit_c)(struct EcLayer *c, const Layer *l);
  /* Adjusts the reference-kernel call r of l (filled with the parameter
   * initializer and the loaded weights in blob order) before it is written
   * (NULL: written as it is). */
  void (*emit_c_ref)(struct EcLayer *c, const Layer *l, struct EcRef *r);
} LayerOps;

/* ---- The registry, generated from layers.def ---- */
typedef struct LayerKindInfo {
  LayerKind kind;
  const char *caffe_type;
  int v1_type;
  const char *file;          /* template / module base name */
  const LayerOps *ops;       /* lk_<file>_ops */
  unsigned flags;            /* LKF_* */
  size_t psize;              /* sizeof its ptype (its part of Layer.p) */
  rt_kernel_fn f32;
  rt_ws_fn ws;
  Placement place;
  const char *ptype;         /* its parameter struct's name ("rt_conv_param") */
} LayerKindInfo;

extern const LayerKindInfo lk_info[LK_NKINDS];
/* Kind for a Caffe type string (aliases included); -1 if unknown. */
int lk_from_type(const char *type);
/* Kind for a V1 LayerType number; -1 if unknown. */
int lk_from_v1(int v1);
/* True when kind k has every flag of `flags`. */
bool lk_is(LayerKind k, unsigned flags);
/* The operation table of l's kind. */
const LayerOps *lk_ops(const Layer *l);
/* True when b is a top its producer holds positions in (LayerOps
 * index_tops): never calibrated nor quantized. */
bool ir_blob_is_index(const Blob *b);
/* One more than the largest Layer.id of n: the size of arrays indexed by
 * Layer.id (ids survive the passes' removals, so it may exceed nlayer). */
int ir_layer_ids(const Net *n);
/* True when kind k has a hardware kernel (ops->hw_limits); false for any
 * k outside 0..LK_NKINDS-1. */
bool lk_has_hw(int k);

/* Per-kind parsers and tables (compiler/layers/<file>.c). Return 0 on
 * success; on error they report through net->dg at l->loc (or a field
 * location) and return -1. */
#define LAYER(id, ty, v1, file, ptype, member, ws, place, flags) \
  int lk_##file##_setup(Layer *l, Net *n);                       \
  int lk_##file##_shape(Layer *l, Net *n);                       \
  extern const LayerOps lk_##file##_ops;
#define ALIAS(ty, id)
#include "layers.def"
#undef LAYER
#undef ALIAS

/* Helpers for layer modules. */
/* Declare n learned blobs with roles; shapes set later by _shape. */
void ir_declare_weights(Layer *l, Net *n, int count, const char *const *roles);
/* Location of the field named `field` of protobuf message `msg` (a
 * ProtobufCMessage * inside this layer's parameters), falling back to the
 * layer's own location when the field was not written or came from a
 * binary file.  `field` NULL gives the message's own location. */
SrcLoc ir_loc(const Net *n, const void *msg, const char *field, const Layer *l);
/* Report an error at the layer, prefixed with "layer 'name' (Type): ". */
void ir_error(Net *n, const Layer *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ir_error_at(Net *n, SrcLoc loc, const Layer *l, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Checked shape construction: reports (and returns -1) when a dim is < 0 or
 * the element count exceeds INT32_MAX elements per blob. */
int ir_set_shape(Net *n, Layer *l, rt_shape *dst, int nd, const int64_t *dims);

#endif
