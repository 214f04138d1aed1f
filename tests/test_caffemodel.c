/* test_caffemodel.c - tests for the streaming caffemodel reader (cm_*).
 *
 * Small models are built in-test with protobuf-c (or byte by byte for the
 * encodings protobuf-c never produces: unpacked data, unknown groups), then
 * decoded with cm_load / cm_load_mem.  Real models under the shared test
 * material (env CHAI_SHARED, else ../shared, ../../shared or CMake's
 * CHAI_SOURCE_DIR/../shared) are checked
 * against caffe__net_parameter__unpack.
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caffe.pb-c.h"
#include "diag_capture.h"
#include "caffemodel.h"

/* ---- helpers ---------------------------------------------------------- */


/* Pack a NetParameter into a malloc'ed buffer. */
static uint8_t *pack_net(const Caffe__NetParameter *np, size_t *n) {
  *n = caffe__net_parameter__get_packed_size(np);
  uint8_t *b = malloc(*n ? *n : 1);
  caffe__net_parameter__pack(np, b);
  return b;
}

/* Write buf to a fresh temp file; returns its malloc'ed path. */
static char *write_tmp(const uint8_t *buf, size_t n) {
  char *path = strdup("/tmp/test_caffemodel_XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert(write(fd, buf, n) == (ssize_t)n);
  close(fd);
  return path;
}

/* Build a two-layer new-format net: conv1 (2x3 weights + 2 bias), ip1. */
static uint8_t *make_new_net(size_t *n) {
  static float w[6] = {1, 2, 3, 4, 5, 6}, bias[2] = {-1, 0.5f};
  static float ipw[4] = {9, 8, 7, 6};
  static int64_t d0[2] = {2, 3}, d1[1] = {2}, d2[2] = {1, 4};
  Caffe__BlobShape s0 = CAFFE__BLOB_SHAPE__INIT, s1 = CAFFE__BLOB_SHAPE__INIT,
                   s2 = CAFFE__BLOB_SHAPE__INIT;
  s0.n_dim = 2, s0.dim = d0;
  s1.n_dim = 1, s1.dim = d1;
  s2.n_dim = 2, s2.dim = d2;
  Caffe__BlobProto b0 = CAFFE__BLOB_PROTO__INIT, b1 = CAFFE__BLOB_PROTO__INIT,
                   b2 = CAFFE__BLOB_PROTO__INIT;
  b0.shape = &s0, b0.n_data = 6, b0.data = w;
  b1.shape = &s1, b1.n_data = 2, b1.data = bias;
  b2.shape = &s2, b2.n_data = 4, b2.data = ipw;
  Caffe__BlobProto *bl0[2] = {&b0, &b1}, *bl1[1] = {&b2};
  Caffe__LayerParameter l0 = CAFFE__LAYER_PARAMETER__INIT,
                        l1 = CAFFE__LAYER_PARAMETER__INIT;
  l0.name = "conv1", l0.type = "Convolution", l0.n_blobs = 2, l0.blobs = bl0;
  l1.name = "ip1", l1.type = "InnerProduct", l1.n_blobs = 1, l1.blobs = bl1;
  Caffe__LayerParameter *ls[2] = {&l0, &l1};
  Caffe__NetParameter np = CAFFE__NET_PARAMETER__INIT;
  np.name = "net";
  np.n_layer = 2, np.layer = ls;
  return pack_net(&np, n);
}

/* ---- decoding --------------------------------------------------------- */

START_TEST(test_new_format) {
  Arena ar = {0};
  Cap c;
  size_t n;
  uint8_t *buf = make_new_net(&n);
  char *path = write_tmp(buf, n);
  cap_open(&c);
  CmModel *m = cm_load(path, &ar, &c.dg);
  cap_close(&c);
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq(c.dg.nerrors, 0);
  ck_assert_int_eq(m->nlayer, 2);
  ck_assert_int_eq(m->nbytes, (int64_t)n);
  const CmLayer *L = cm_find(m, "conv1");
  ck_assert_ptr_eq(L, &m->layer[0]);
  ck_assert_str_eq(L->type, "Convolution");
  ck_assert_int_eq(L->v1_type, -1);
  ck_assert_int_eq(L->nblob, 2);
  ck_assert_int_eq(L->blob[0].nd, 2);
  ck_assert(!L->blob[0].legacy);
  ck_assert_int_eq(L->blob[0].dim[0], 2);
  ck_assert_int_eq(L->blob[0].dim[1], 3);
  ck_assert_int_eq(L->blob[0].count, 6);
  for (int i = 0; i < 6; i++) ck_assert(L->blob[0].data[i] == (float)(i + 1));
  ck_assert_int_eq(L->blob[1].count, 2);
  ck_assert(L->blob[1].data[0] == -1 && L->blob[1].data[1] == 0.5f);
  L = cm_find(m, "ip1");
  ck_assert_ptr_nonnull(L);
  ck_assert_str_eq(L->type, "InnerProduct");
  ck_assert_int_eq(L->blob[0].count, 4);
  ck_assert(L->blob[0].data[3] == 6);
  ck_assert_ptr_null(cm_find(m, "nope"));
  cm_free(m);
  unlink(path);
  free(path);
  free(buf);
  cap_free(&c);
  ar_free(&ar);
}
END_TEST

START_TEST(test_v1_legacy_double) {
  Arena ar = {0};
  Cap c;
  static float w[6] = {1, 2, 3, 4, 5, 6};
  static double dd[3] = {0.25, -2.5, 1e300};
  Caffe__BlobProto b0 = CAFFE__BLOB_PROTO__INIT, b1 = CAFFE__BLOB_PROTO__INIT;
  b0.has_num = b0.has_channels = b0.has_height = b0.has_width = 1;
  b0.num = 1, b0.channels = 1, b0.height = 2, b0.width = 3;
  b0.n_data = 6, b0.data = w;
  b1.has_num = b1.has_channels = b1.has_height = b1.has_width = 1;
  b1.num = 1, b1.channels = 1, b1.height = 1, b1.width = 3;
  b1.n_double_data = 3, b1.double_data = dd;
  Caffe__BlobProto *bl[2] = {&b0, &b1};
  Caffe__V1LayerParameter l0 = CAFFE__V1_LAYER_PARAMETER__INIT,
                          l1 = CAFFE__V1_LAYER_PARAMETER__INIT;
  l0.name = "conv1", l0.has_type = 1;
  l0.type = CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__CONVOLUTION;
  l0.n_blobs = 2, l0.blobs = bl;
  l1.name = "relu1", l1.has_type = 1;
  l1.type = CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__RELU;
  Caffe__V1LayerParameter *ls[2] = {&l0, &l1};
  Caffe__NetParameter np = CAFFE__NET_PARAMETER__INIT;
  np.n_layers = 2, np.layers = ls;
  size_t n;
  uint8_t *buf = pack_net(&np, &n);
  cap_open(&c);
  CmModel *m = cm_load_mem(buf, n, "v1.caffemodel", &ar, &c.dg);
  cap_close(&c);
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq(m->nlayer, 2);
  const CmLayer *L = &m->layer[0];
  ck_assert_str_eq(L->name, "conv1");
  ck_assert_str_eq(L->type, "CONVOLUTION");
  ck_assert_int_eq(L->v1_type, 4);
  ck_assert_int_eq(L->nblob, 2);
  ck_assert(L->blob[0].legacy);
  ck_assert_int_eq(L->blob[0].nd, 4);
  ck_assert_int_eq(L->blob[0].dim[2], 2);
  ck_assert_int_eq(L->blob[0].dim[3], 3);
  ck_assert(L->blob[0].data[5] == 6);
  ck_assert_int_eq(L->blob[1].count, 3);
  ck_assert(L->blob[1].data[0] == 0.25f && L->blob[1].data[1] == -2.5f);
  ck_assert(L->blob[1].data[2] == (float)1e300); /* +inf */
  ck_assert_str_eq(m->layer[1].type, "RELU");
  ck_assert_int_eq(m->layer[1].nblob, 0);
  cm_free(m);
  free(buf);
  cap_free(&c);
  ar_free(&ar);
}
END_TEST

/* Hand-encoded: unpacked float data (fixed32 each), unpacked shape dims,
 * unknown fields of every wire type (including a nested group) at the net,
 * layer and blob level, and an unknown V1 enum value. */
START_TEST(test_unpacked_and_unknown) {
  /* blob: shape{dim:2 dim:1 (unpacked)} data f32 x2 unpacked + unknowns */
  static const uint8_t blob[] = {
      0x3a, 0x04, 0x08, 0x02, 0x08, 0x01,       /* shape: dim 2, dim 1 */
      0x2d, 0x00, 0x00, 0x80, 0x3f,             /* data 1.0f */
      0xa0, 0x01, 0x05,                         /* field 20 varint */
      0x2d, 0x00, 0x00, 0x00, 0x40,             /* data 2.0f */
      0xf9, 0x07, 1, 2, 3, 4, 5, 6, 7, 8,       /* field 127 fixed64 */
      0xfb, 0x07, 0x08, 0x01, 0x0b, 0x0c, 0xfc, 0x07, /* group 127{1;group1{}} */
  };
  uint8_t buf[128];
  size_t k = 0;
  /* net: unknown field 50 varint, then layers (2) */
  buf[k++] = 0x90, buf[k++] = 0x03, buf[k++] = 0x7f; /* field 50 varint */
  buf[k++] = 0x12;                  /* field 2 (V1 layer), len follows */
  size_t lenpos = k++;
  size_t ls = k;
  buf[k++] = 0x22, buf[k++] = 0x01, buf[k++] = 'a'; /* name "a" */
  buf[k++] = 0x28, buf[k++] = 0xe7, buf[k++] = 0x07; /* type 999 */
  buf[k++] = 0x9d, buf[k++] = 0x06, buf[k++] = 0, buf[k++] = 0, buf[k++] = 0,
  buf[k++] = 0;                                      /* field 99 fixed32 */
  buf[k++] = 0x32, buf[k++] = (uint8_t)sizeof blob;  /* blob */
  memcpy(buf + k, blob, sizeof blob);
  k += sizeof blob;
  buf[lenpos] = (uint8_t)(k - ls);
  Arena ar = {0};
  Cap c;
  cap_open(&c);
  CmModel *m = cm_load_mem(buf, k, "u.caffemodel", &ar, &c.dg);
  cap_close(&c);
  ck_assert_msg(m != NULL, "%s", c.text);
  ck_assert_int_eq(m->nlayer, 1);
  ck_assert_str_eq(m->layer[0].name, "a");
  ck_assert_str_eq(m->layer[0].type, "999");
  ck_assert_int_eq(m->layer[0].v1_type, 999);
  ck_assert_int_eq(m->layer[0].offset, 3);
  const CmBlob *b = &m->layer[0].blob[0];
  ck_assert_int_eq(b->nd, 2);
  ck_assert_int_eq(b->dim[0], 2);
  ck_assert_int_eq(b->dim[1], 1);
  ck_assert_int_eq(b->count, 2);
  ck_assert(b->data[0] == 1.0f && b->data[1] == 2.0f);
  cm_free(m);
  cap_free(&c);
  ar_free(&ar);
}
END_TEST

/* A V1 layer that only wraps a V0 layer (V1 field 1): name 1, type 2
 * (string), blobs 50. */
START_TEST(test_v0_wrapped) {
  static const uint8_t buf[] = {
      0x12, 0x1c,                         /* net.layers, 28 bytes */
      0x0a, 0x1a,                         /* V1.layer (V0), 26 bytes */
      0x0a, 0x01, 'c',                    /* name */
      0x12, 0x04, 'c', 'o', 'n', 'v',     /* type */
      0x92, 0x03, 0x0e,                   /* blobs (50), 14 bytes */
      0x08, 0x01, 0x10, 0x01, 0x18, 0x01, 0x20, 0x01, /* 1x1x1x1 */
      0x2a, 0x04, 0x00, 0x00, 0x80, 0x3f, /* data: 1.0f */
  };
  Arena ar = {0};
  Cap c;
  cap_open(&c);
  CmModel *m = cm_load_mem(buf, sizeof buf, "v0", &ar, &c.dg);
  cap_close(&c);
  ck_assert_msg(m != NULL, "%s", c.text);
  ck_assert_int_eq(m->nlayer, 1);
  ck_assert_str_eq(m->layer[0].name, "c");
  ck_assert_str_eq(m->layer[0].type, "conv");
  ck_assert_int_eq(m->layer[0].v1_type, -1);
  ck_assert_int_eq(m->layer[0].nblob, 1);
  ck_assert(m->layer[0].blob[0].legacy);
  ck_assert_int_eq(m->layer[0].blob[0].count, 1);
  ck_assert(m->layer[0].blob[0].data[0] == 1.0f);
  cm_free(m);
  cap_free(&c);
  ar_free(&ar);
}
END_TEST

START_TEST(test_mismatch_message) {
  static float w[1700];
  static int64_t d[4] = {64, 3, 3, 3};
  Caffe__BlobShape s = CAFFE__BLOB_SHAPE__INIT;
  s.n_dim = 4, s.dim = d;
  Caffe__BlobProto b0 = CAFFE__BLOB_PROTO__INIT, b1 = CAFFE__BLOB_PROTO__INIT;
  b0.n_data = 1, b0.data = w; /* scalar: no shape, one value: fine */
  b1.shape = &s, b1.n_data = 1700, b1.data = w;
  Caffe__BlobProto *bl[2] = {&b0, &b1};
  Caffe__LayerParameter l0 = CAFFE__LAYER_PARAMETER__INIT;
  l0.name = "X", l0.type = "Convolution", l0.n_blobs = 2, l0.blobs = bl;
  Caffe__LayerParameter *ls[1] = {&l0};
  Caffe__NetParameter np = CAFFE__NET_PARAMETER__INIT;
  np.n_layer = 1, np.layer = ls;
  size_t n;
  uint8_t *buf = pack_net(&np, &n);
  Arena ar = {0};
  Cap c;
  cap_open(&c);
  CmModel *m = cm_load_mem(buf, n, "m.caffemodel", &ar, &c.dg);
  cap_close(&c);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(c.dg.nerrors, 1);
  ck_assert_str_eq(c.text,
                   "m.caffemodel: error: layer 'X' blob 1: shape 64x3x3x3 "
                   "declares 1728 values but the file holds 1700\n");
  free(buf);
  cap_free(&c);
  ar_free(&ar);
}
END_TEST

START_TEST(test_empty_and_garbage) {
  Arena ar = {0};
  Cap c;
  cap_open(&c); /* an empty file is a weightless net: test_weightless */
  ck_assert_ptr_null(cm_load("/nonexistent/x.caffemodel", &ar, &c.dg));
  cap_close(&c);
  ck_assert_int_eq(c.dg.nerrors, 1);
  ck_assert_ptr_nonnull(strstr(c.text, "x.caffemodel: error: cannot open"));
  cap_free(&c);

  /* Text (a prototxt) is not a NetParameter. */
  const char *txt = "name: \"LeNet\"\nlayer {\n  name: \"data\"\n}\n";
  cap_open(&c);
  ck_assert_ptr_null(cm_load_mem(txt, strlen(txt), "t", &ar, &c.dg));
  cap_close(&c);
  ck_assert_int_eq(c.dg.nerrors, 1);
  cap_free(&c);

  /* Random bytes never crash; with this seed none of them loads. */
  srand(12345);
  uint8_t rnd[4096];
  for (int t = 0; t < 200; t++) {
    size_t len = (size_t)(rand() % (int)sizeof rnd);
    for (size_t i = 0; i < len; i++) rnd[i] = (uint8_t)rand();
    cap_open(&c);
    CmModel *m = cm_load_mem(rnd, len, "r", &ar, &c.dg);
    cap_close(&c);
    ck_assert_ptr_null(m);
    ck_assert_int_ge(c.dg.nerrors, 1);
    cap_free(&c);
  }
  ar_free(&ar);
}
END_TEST

START_TEST(test_truncation_every_offset) {
  size_t n;
  uint8_t *full = make_new_net(&n);
  Arena ar = {0};
  Cap c;
  cap_open(&c);
  CmModel *whole = cm_load_mem(full, n, "f", &ar, &c.dg);
  cap_close(&c);
  cap_free(&c);
  ck_assert_ptr_nonnull(whole);
  size_t boundary = whole->layer[1].offset; /* end of layer 0 */
  cm_free(whole);
  for (size_t k = 0; k < n; k++) {
    uint8_t *p = malloc(k ? k : 1); /* exact size: ASan catches overreads */
    memcpy(p, full, k);
    cap_open(&c);
    CmModel *m = cm_load_mem(p, k, "trunc.caffemodel", &ar, &c.dg);
    cap_close(&c);
    /* Prefixes that end on a field boundary load: the empty file and the
     * name alone (weightless nets), and the first layer. */
    if (k == boundary || k == 0 || k == 5) {
      ck_assert_ptr_nonnull(m);
      ck_assert_int_eq(m->nlayer, k == boundary);
    } else {
      ck_assert_msg(m == NULL, "prefix %zu loaded", k);
      ck_assert_int_eq(c.dg.nerrors, 1);
      ck_assert_msg(strncmp(c.text, "trunc.caffemodel: error: ", 25) == 0,
                    "%s", c.text);
      if (k > 0)
        ck_assert_msg(strstr(c.text, "byte") || strstr(c.text, "no layers"),
                      "%s", c.text);
    }
    cm_free(m);
    cap_free(&c);
    free(p);
  }
  free(full);
  ar_free(&ar);
}
END_TEST

START_TEST(test_bit_flips) {
  size_t n;
  uint8_t *full = make_new_net(&n);
  uint8_t *p = malloc(n);
  Arena ar = {0};
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(p, full, n);
      p[i] ^= (uint8_t)(1u << bit);
      Cap c;
      cap_open(&c);
      CmModel *m = cm_load_mem(p, n, "flip", &ar, &c.dg);
      cap_close(&c);
      if (m) {
        ck_assert_int_eq(c.dg.nerrors, 0);
        for (int l = 0; l < m->nlayer; l++)
          for (int b = 0; b < m->layer[l].nblob; b++) {
            const CmBlob *bb = &m->layer[l].blob[b];
            int64_t prod = 1;
            for (int d = 0; d < bb->nd; d++) prod *= bb->dim[d];
            ck_assert_int_eq(prod, bb->count);
          }
      } else {
        ck_assert_int_ge(c.dg.nerrors, 1);
      }
      cm_free(m);
      cap_free(&c);
    }
  }
  free(p);
  free(full);
  ar_free(&ar);
}
END_TEST

/* ---- blob encodings (NVIDIA Caffe raw_data, BVLC double_data) --------- */

/* A one-layer net "L" whose single blob is *bp; packed into *n bytes. */
static uint8_t *one_blob_net(Caffe__BlobProto *bp, size_t *n) {
  Caffe__BlobProto *bl[1] = {bp};
  Caffe__LayerParameter l0 = CAFFE__LAYER_PARAMETER__INIT;
  l0.name = "L", l0.type = "Scale", l0.n_blobs = 1, l0.blobs = bl;
  Caffe__LayerParameter *ls[1] = {&l0};
  Caffe__NetParameter np = CAFFE__NET_PARAMETER__INIT;
  np.name = "enc";
  np.n_layer = 1, np.layer = ls;
  return pack_net(&np, n);
}

/* Loads buf; returns the model (NULL on error) with the diagnostics in c. */
static CmModel *load_cap(const uint8_t *buf, size_t n, Arena *ar, Cap *c) {
  cap_open(c);
  CmModel *m = cm_load_mem(buf, n, "e.caffemodel", ar, &c->dg);
  cap_close(c);
  return m;
}

/* Every FLOAT16 class decodes exactly: zeros, the smallest and largest
 * subnormals, the smallest normal, 1/3's nearest half, the largest finite
 * value, negatives.  5 values (10 bytes): an odd count. */
START_TEST(test_raw_fp16) {
  static const uint16_t h[5] = {0x0001, 0x03ff, 0x0400, 0x3555, 0xfbff};
  const float want[5] = {0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f,
                         0x1.554p-2f, -65504.0f};
  uint8_t raw[10];
  for (int i = 0; i < 5; i++) raw[2 * i] = (uint8_t)h[i], raw[2 * i + 1] = (uint8_t)(h[i] >> 8);
  static int64_t d[1] = {5};
  Caffe__BlobShape s = CAFFE__BLOB_SHAPE__INIT;
  s.n_dim = 1, s.dim = d;
  Caffe__BlobProto b = CAFFE__BLOB_PROTO__INIT;
  b.shape = &s;
  b.has_raw_data_type = 1, b.raw_data_type = CAFFE__TYPE__FLOAT16;
  b.has_raw_data = 1, b.raw_data.len = 10, b.raw_data.data = raw;
  size_t n;
  uint8_t *buf = one_blob_net(&b, &n);
  Arena ar = {0};
  Cap c;
  CmModel *m = load_cap(buf, n, &ar, &c);
  ck_assert_msg(m != NULL, "%s", c.text);
  const CmBlob *bb = &m->layer[0].blob[0];
  ck_assert_int_eq(bb->count, 5);
  for (int i = 0; i < 5; i++)
    ck_assert_msg(bb->data[i] == want[i], "value %d: %a != %a", i, bb->data[i], want[i]);
  cm_free(m);
  cap_free(&c);
  free(buf);

  /* Negative zero keeps its sign; inf and NaN are located errors. */
  static const uint16_t bad[3][2] = {{0x8000, 0x3c00}, {0x3c00, 0x7c00}, {0xfe01, 0}};
  for (int t = 0; t < 3; t++) {
    for (int i = 0; i < 2; i++) raw[2 * i] = (uint8_t)bad[t][i], raw[2 * i + 1] = (uint8_t)(bad[t][i] >> 8);
    d[0] = 2;
    b.raw_data.len = 4;
    buf = one_blob_net(&b, &n);
    m = load_cap(buf, n, &ar, &c);
    if (t == 0) {
      ck_assert_msg(m != NULL, "%s", c.text);
      ck_assert(m->layer[0].blob[0].data[0] == 0 && signbit(m->layer[0].blob[0].data[0]));
      ck_assert(m->layer[0].blob[0].data[1] == 1.0f);
    } else {
      ck_assert_ptr_null(m);
      ck_assert_int_eq(c.dg.nerrors, 1);
      const char *want_msg = t == 1 ? "e.caffemodel: error: layer 'L' blob 0: raw_data value 1 is inf (FLOAT16 0x7c00 at byte "
                                    : "e.caffemodel: error: layer 'L' blob 0: raw_data value 0 is NaN (FLOAT16 0xfe01 at byte ";
      ck_assert_msg(strncmp(c.text, want_msg, strlen(want_msg)) == 0, "%s", c.text);
      ck_assert_ptr_nonnull(strstr(c.text, "); weights must be finite\n"));
    }
    cm_free(m);
    cap_free(&c);
    free(buf);
  }
  ar_free(&ar);
}
END_TEST

/* raw FLOAT copies, raw DOUBLE and double_data round as a C cast does; an
 * absent raw_data_type means DOUBLE (proto2's first enum value). */
START_TEST(test_raw_float_double) {
  const double dv[3] = {0.1, -1e-45, 3.0000001};
  const float fv[3] = {0.1f, -0x1p-149f, 2.5f};
  static int64_t d[1] = {3};
  Caffe__BlobShape s = CAFFE__BLOB_SHAPE__INIT;
  s.n_dim = 1, s.dim = d;
  Arena ar = {0};
  for (int mode = 0; mode < 4; mode++) {
    Caffe__BlobProto b = CAFFE__BLOB_PROTO__INIT;
    b.shape = &s;
    double dcopy[3];
    memcpy(dcopy, dv, sizeof dcopy);
    if (mode == 0) { /* raw FLOAT */
      b.has_raw_data_type = 1, b.raw_data_type = CAFFE__TYPE__FLOAT;
      b.has_raw_data = 1, b.raw_data.len = 12, b.raw_data.data = (uint8_t *)fv;
    } else if (mode == 1 || mode == 2) { /* raw DOUBLE, explicit or default */
      b.has_raw_data_type = mode == 1, b.raw_data_type = CAFFE__TYPE__DOUBLE;
      b.has_raw_data = 1, b.raw_data.len = 24, b.raw_data.data = (uint8_t *)dcopy;
    } else { /* BVLC double_data, with float data that must be ignored */
      b.n_double_data = 3, b.double_data = dcopy;
      b.n_data = 3, b.data = (float *)fv;
    }
    size_t n;
    uint8_t *buf = one_blob_net(&b, &n);
    Cap c;
    CmModel *m = load_cap(buf, n, &ar, &c);
    ck_assert_msg(m != NULL, "mode %d: %s", mode, c.text);
    const float *got = m->layer[0].blob[0].data;
    for (int i = 0; i < 3; i++) {
      float want = mode == 0 ? fv[i] : (float)dv[i];
      ck_assert_msg(memcmp(&got[i], &want, 4) == 0, "mode %d value %d: %a != %a", mode, i, got[i], want);
    }
    cm_free(m);
    cap_free(&c);
    free(buf);
  }
  ar_free(&ar);
}
END_TEST

/* Malformed raw_data: a length that is not a whole number of values, a
 * count that disagrees with the shape, a type that is not a weight type,
 * a raw_data field cut short inside its blob, and a truncated file. */
START_TEST(test_raw_errors) {
  static uint8_t raw[32];
  static int64_t d[2] = {2, 3};
  Caffe__BlobShape s = CAFFE__BLOB_SHAPE__INIT;
  s.n_dim = 2, s.dim = d;
  struct { int type; size_t len; const char *msg; } cases[] = {
      {CAFFE__TYPE__FLOAT16, 11, "e.caffemodel: error: layer 'L' blob 0: raw_data of 11 bytes at byte 28 is not a whole number of FLOAT16 values (2 bytes each)\n"},
      {CAFFE__TYPE__FLOAT, 10, "e.caffemodel: error: layer 'L' blob 0: raw_data of 10 bytes at byte 28 is not a whole number of FLOAT values (4 bytes each)\n"},
      {CAFFE__TYPE__FLOAT16, 10, "e.caffemodel: error: layer 'L' blob 0: shape 2x3 declares 6 values but raw_data holds 5 FLOAT16 values\n"},
      {CAFFE__TYPE__DOUBLE, 32, "e.caffemodel: error: layer 'L' blob 0: shape 2x3 declares 6 values but raw_data holds 4 DOUBLE values\n"},
      {CAFFE__TYPE__INT, 24, "e.caffemodel: error: layer 'L' blob 0: raw_data_type INT (3) at byte 26 is not a weight type (expected FLOAT16, FLOAT or DOUBLE)\n"},
  };
  Arena ar = {0};
  for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
    Caffe__BlobProto b = CAFFE__BLOB_PROTO__INIT;
    b.shape = &s;
    b.has_raw_data_type = 1, b.raw_data_type = cases[t].type;
    b.has_raw_data = 1, b.raw_data.len = cases[t].len, b.raw_data.data = raw;
    size_t n;
    uint8_t *buf = one_blob_net(&b, &n);
    Cap c;
    CmModel *m = load_cap(buf, n, &ar, &c);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(c.dg.nerrors, 1);
    ck_assert_str_eq(c.text, cases[t].msg);
    cap_free(&c);

    if (t == 2) {
      /* The raw_data length byte claims 2 more bytes than its blob holds
       * (the enclosing lengths stay consistent): located at the field. */
      uint8_t *p = memchr(buf + 26, 0x62, n - 26); /* raw_data tag (12, LEN) */
      ck_assert_ptr_nonnull(p);
      p[1] += 2;
      m = load_cap(buf, n, &ar, &c);
      ck_assert_ptr_null(m);
      ck_assert_msg(strstr(c.text, "layer 'L' blob 0: field 12 at byte ") &&
                    strstr(c.text, "declares 12 bytes but only 10 remain"), "%s", c.text);
      cap_free(&c);
      p[1] -= 2;
      /* A file cut inside raw_data: located by byte. */
      m = load_cap(buf, n - 3, &ar, &c);
      ck_assert_ptr_null(m);
      ck_assert_msg(strstr(c.text, "e.caffemodel: error: ") && strstr(c.text, "at byte "), "%s", c.text);
      cap_free(&c);
    }
    free(buf);
  }
  ar_free(&ar);
}
END_TEST

/* Weightless nets: an empty file and a name-only file (what Caffe writes
 * for a net without learned blobs) load with no layers; a prototxt or a
 * file with non-NetParameter fields does not. */
START_TEST(test_weightless) {
  Arena ar = {0};
  Cap c;
  char *path = write_tmp((const uint8_t *)"", 0);
  cap_open(&c);
  CmModel *m = cm_load(path, &ar, &c.dg);
  cap_close(&c);
  ck_assert_msg(m != NULL, "%s", c.text);
  ck_assert_int_eq(m->nlayer, 0);
  ck_assert_int_eq(c.dg.nerrors, 0);
  cap_free(&c);
  unlink(path);
  free(path);

  Caffe__NetParameter np = CAFFE__NET_PARAMETER__INIT;
  np.name = "relu_only_net"; /* 15 bytes packed, as Caffe writes it */
  size_t n;
  uint8_t *buf = pack_net(&np, &n);
  ck_assert_int_eq(n, 15);
  m = load_cap(buf, n, &ar, &c);
  ck_assert_msg(m != NULL, "%s", c.text);
  ck_assert_int_eq(m->nlayer, 0);
  ck_assert_ptr_null(cm_find(m, "x"));
  cap_free(&c);
  free(buf);

  const char *txt[] = {"name: \"LeNet\"\nlayer {\n  name: \"data\"\n}\n",
                       "# a comment\n\nlayer {\n  name: \"data\"\n}\n",
                       "input: \"data\"\n"};
  for (int i = 0; i < 3; i++) {
    m = load_cap((const uint8_t *)txt[i], strlen(txt[i]), &ar, &c);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(c.text, "e.caffemodel: error: this is a text file (a prototxt?), not a "
                             "binary Caffe model (a serialized NetParameter)\n");
    cap_free(&c);
  }
  /* Name plus field 9 (not a NetParameter field), no layers. */
  static const uint8_t stray[] = {0x0a, 0x01, 'n', 0x48, 0x01};
  m = load_cap(stray, sizeof stray, &ar, &c);
  ck_assert_ptr_null(m);
  ck_assert_str_eq(c.text, "e.caffemodel: error: no layers found, and field 9 (wire type 0) "
                           "at byte 3 is not a NetParameter field (not a binary Caffe model?)\n");
  cap_free(&c);
  ar_free(&ar);
}
END_TEST

/* ---- shared models ---------------------------------------------------- */

static const char *shared_dir(void) {
  static char buf[4096];
  const char *e = getenv("CHAI_SHARED");
#ifdef CHAI_SOURCE_DIR
  const char *src = CHAI_SOURCE_DIR "/../shared";
#else
  const char *src = NULL;
#endif
  const char *cands[] = {e, "../shared", "../../shared", src};
  struct stat st;
  for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
    if (!cands[i]) continue;
    snprintf(buf, sizeof buf, "%s/models", cands[i]);
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) return buf;
  }
  return NULL;
}

/* Compare one blob against protobuf-c's view. */
static void check_blob(const CmBlob *b, const Caffe__BlobProto *p,
                       const char *what) {
  if (p->shape) {
    ck_assert_msg(!b->legacy, "%s", what);
    ck_assert_int_eq(b->nd, (int)p->shape->n_dim);
    for (int d = 0; d < b->nd; d++)
      ck_assert_int_eq(b->dim[d], p->shape->dim[d]);
  } else if (p->has_num || p->has_channels || p->has_height || p->has_width) {
    ck_assert_msg(b->legacy, "%s", what);
    ck_assert_int_eq(b->nd, 4);
    ck_assert_int_eq(b->dim[0], p->num);
    ck_assert_int_eq(b->dim[1], p->channels);
    ck_assert_int_eq(b->dim[2], p->height);
    ck_assert_int_eq(b->dim[3], p->width);
  } else {
    ck_assert_int_eq(b->nd, 0);
  }
  if (p->n_double_data) {
    ck_assert_int_eq(b->count, (int64_t)p->n_double_data);
    for (size_t i = 0; i < p->n_double_data; i++)
      ck_assert(b->data[i] == (float)p->double_data[i]);
  } else {
    ck_assert_int_eq(b->count, (int64_t)p->n_data);
    if (p->n_data)
      ck_assert_msg(memcmp(b->data, p->data, p->n_data * 4) == 0, "%s", what);
  }
}

START_TEST(test_shared_models) {
  const char *dir = shared_dir();
  if (!dir) {
    printf("SKIP: /work/shared not found\n");
    return;
  }
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  struct dirent *de;
  int nmodels = 0;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/weights.caffemodel", dir, de->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)sz + 1);
    ck_assert(fread(bytes, 1, (size_t)sz, f) == (size_t)sz);
    fclose(f);
    Arena ar = {0};
    Cap c;
    cap_open(&c);
    CmModel *m = cm_load(path, &ar, &c.dg);
    cap_close(&c);
    ck_assert_msg(m != NULL, "%s: %s", path, c.text);
    nmodels++;
    Caffe__NetParameter *np =
        caffe__net_parameter__unpack(NULL, (size_t)sz, bytes);
    if (!np) {
      /* The schema, not the reader, decides this one. */
      printf("NOTE: protobuf-c cannot unpack %s; compared nothing\n", path);
      cm_free(m);
      cap_free(&c);
      ar_free(&ar);
      free(bytes);
      continue;
    }
    ck_assert_int_eq(m->nlayer, (int)(np->n_layer + np->n_layers));
    size_t inew = 0, iv1 = 0;
    for (int l = 0; l < m->nlayer; l++) {
      const CmLayer *L = &m->layer[l];
      char what[1024];
      snprintf(what, sizeof what, "%.300s layer %d '%.300s'", path, l, L->name);
      if (L->v1_type < 0 && inew < np->n_layer) {
        const Caffe__LayerParameter *p = np->layer[inew++];
        ck_assert_str_eq(L->name, p->name ? p->name : "");
        ck_assert_str_eq(L->type, p->type ? p->type : "");
        ck_assert_int_eq(L->nblob, (int)p->n_blobs);
        for (int b = 0; b < L->nblob; b++)
          check_blob(&L->blob[b], p->blobs[b], what);
      } else {
        ck_assert_uint_lt(iv1, np->n_layers);
        const Caffe__V1LayerParameter *p = np->layers[iv1++];
        ck_assert_str_eq(L->name, p->name ? p->name : "");
        ck_assert_int_eq(L->v1_type, (int)p->type);
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
            &caffe__v1_layer_parameter__layer_type__descriptor, (int)p->type);
        ck_assert_ptr_nonnull(ev);
        ck_assert_str_eq(L->type, ev->name);
        ck_assert_int_eq(L->nblob, (int)p->n_blobs);
        for (int b = 0; b < L->nblob; b++)
          check_blob(&L->blob[b], p->blobs[b], what);
      }
    }
    cm_free(m);
    cap_free(&c);
    ar_free(&ar);
    caffe__net_parameter__free_unpacked(np, NULL);
    free(bytes);
  }
  closedir(d);
  ck_assert_int_gt(nmodels, 0);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("caffemodel");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_new_format);
  tcase_add_test(tc, test_v1_legacy_double);
  tcase_add_test(tc, test_unpacked_and_unknown);
  tcase_add_test(tc, test_v0_wrapped);
  tcase_add_test(tc, test_mismatch_message);
  tcase_add_test(tc, test_empty_and_garbage);
  tcase_add_test(tc, test_truncation_every_offset);
  tcase_add_test(tc, test_bit_flips);
  tcase_add_test(tc, test_raw_fp16);
  tcase_add_test(tc, test_raw_float_double);
  tcase_add_test(tc, test_raw_errors);
  tcase_add_test(tc, test_weightless);
  tcase_add_test(tc, test_shared_models);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
