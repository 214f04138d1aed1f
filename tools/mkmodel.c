/* mkmodel.c - chaicc-mkmodel: writes caffemodels for tests and examples, so
 * the repository never needs binary model files of its own.
 *
 *   chaicc-mkmodel DEPLOY -o OUT.caffemodel [--fill random|constant:V] [--seed N]
 *                  [--encoding E] [--fp16-values]
 *       weights of the right shape for every layer of DEPLOY: random
 *       (uniform, scaled by 1/sqrt(fan-in), deterministic for a seed) or a
 *       constant; BatchNorm gets variance > 0 and scale factor 1.
 *       --encoding picks how each BlobProto stores its values: float (data,
 *       the default), double (double_data), raw-float, raw-double, raw-fp16
 *       (NVIDIA Caffe's raw_data + raw_data_type).  --fp16-values rounds
 *       every value to the nearest fp16 (ties to even) first; raw-fp16
 *       implies it, so `--fp16-values` with any other encoding writes the
 *       same values as raw-fp16.
 *   chaicc-mkmodel --from-text NET.txt -o OUT.caffemodel
 *       a text-format NetParameter (with blobs written out) to binary.
 *
 * Layers are packed and written one at a time (NetParameter field 100), so
 * memory stays at one layer's size even for VGG-sized nets. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "caffe.pb-c.h"
#include "diag.h"
#include "loader.h"
#include "textfmt.h"
#include "train.h"

static uint64_t rng_state;

static uint64_t rng_next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static float rng_uniform(void) { /* [-1, 1) */
  return (float)((double)(rng_next() >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

static int put_varint(FILE *f, uint64_t v) {
  uint8_t b[10];
  int n = 0;
  do {
    b[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) b[n] |= 0x80;
    n++;
  } while (v);
  return fwrite(b, 1, (size_t)n, f) == (size_t)n ? 0 : -1;
}

/* Writes one length-delimited field (tag field_no, wire type 2). */
static int put_msg(FILE *f, unsigned field_no, const ProtobufCMessage *m) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return -1;
  protobuf_c_message_pack(m, buf);
  int rc = put_varint(f, ((uint64_t)field_no << 3) | 2) || put_varint(f, n) ||
           fwrite(buf, 1, n, f) != n;
  free(buf);
  return rc ? -1 : 0;
}

/* Blob encodings (--encoding). */
enum { ENC_FLOAT, ENC_DOUBLE, ENC_RAW_FLOAT, ENC_RAW_DOUBLE, ENC_RAW_FP16 };
static const char *enc_names[] = {"float", "double", "raw-float", "raw-double",
                                  "raw-fp16"};
static int encoding = ENC_FLOAT, fp16_values = 0;

/* x rounded to the nearest IEEE binary16 value, ties to even (|x| at most
 * 65504 after rounding, else an error); *bits gets its encoding. */
static float to_half(float x, uint16_t *bits) {
  double a = fabs((double)x);
  uint16_t sign = signbit(x) ? 0x8000 : 0;
  int e;
  frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
  int ulp_exp = (a < 0x1p-14 ? -14 : e - 1) - 10;
  double q = nearbyint(ldexp(a, -ulp_exp)); /* default mode: ties to even */
  double r = ldexp(q, ulp_exp);
  if (!(r <= 65504.0)) {
    fprintf(stderr, "chaicc-mkmodel: error: value %g does not fit in fp16\n", (double)x);
    exit(1);
  }
  if (r < 0x1p-14) {
    *bits = (uint16_t)(sign | (uint16_t)q);
  } else {
    frexp(r, &e);
    uint16_t m = (uint16_t)(ldexp(r, 11 - e) - 1024.0);
    *bits = (uint16_t)(sign | (uint16_t)((e - 1 + 15) << 10) | m);
  }
  return (float)(sign ? -r : r);
}

/* Stores d[0, cnt) in bp with the chosen encoding; *keep receives the
 * malloc'ed buffer bp now points to (freed by the caller). */
static void encode_blob(Caffe__BlobProto *bp, float *d, int64_t cnt, void **keep) {
  size_t n = (size_t)cnt;
  *keep = NULL;
  if (encoding == ENC_FLOAT) {
    bp->n_data = n;
    bp->data = d;
    return;
  }
  size_t es = encoding == ENC_RAW_FP16 ? 2 : encoding == ENC_RAW_FLOAT ? 4 : 8;
  uint8_t *buf = malloc(n * es + 1);
  if (!buf) {
    fprintf(stderr, "chaicc-mkmodel: error: out of memory\n");
    exit(3);
  }
  for (size_t i = 0; i < n; i++) {
    double v = d[i];
    uint16_t h;
    if (es == 2) {
      to_half(d[i], &h);
      buf[2 * i] = (uint8_t)h, buf[2 * i + 1] = (uint8_t)(h >> 8);
    } else if (es == 4) {
      memcpy(buf + 4 * i, &d[i], 4); /* little-endian host (as caffemodel.c) */
    } else {
      memcpy(buf + 8 * i, &v, 8);
    }
  }
  *keep = buf;
  if (encoding == ENC_DOUBLE) {
    bp->n_double_data = n;
    bp->double_data = (double *)(void *)buf;
    return;
  }
  bp->has_raw_data_type = 1;
  bp->raw_data_type = es == 2 ? CAFFE__TYPE__FLOAT16 : es == 4 ? CAFFE__TYPE__FLOAT : CAFFE__TYPE__DOUBLE;
  bp->has_raw_data = 1;
  bp->raw_data.len = n * es;
  bp->raw_data.data = buf;
}

static void fill(float *d, int64_t count, const Weight *w, const char *mode,
                 int64_t fan_in) {
  float cval = 0;
  int constant = strncmp(mode, "constant:", 9) == 0;
  if (constant) cval = strtof(mode + 9, NULL);
  float a = fan_in > 0 ? 1.0f / sqrtf((float)fan_in) : 1.0f;
  for (int64_t i = 0; i < count; i++) {
    float v = constant ? cval : rng_uniform() * a;
    if (!strcmp(w->role, "variance")) v = fabsf(v) + 0.5f;
    if (!strcmp(w->role, "scale_factor") || !strcmp(w->role, "factor")) v = 1.0f;
    if (!strcmp(w->role, "bias") && !constant) v *= 0.1f;
    if (fp16_values) {
      uint16_t h;
      v = to_half(v, &h);
    }
    d[i] = v;
  }
}

static int write_random(const char *deploy, const char *out, const char *mode) {
  Net *n = ld_load(deploy, NULL, &chai_arena, &chai_diag);
  if (!n) return 1;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    fprintf(stderr, "%s: error: cannot write: %s\n", tmp, strerror(errno));
    return 1;
  }
  int bad = 0;
  size_t nl = strlen(n->name); /* NetParameter.name, field 1 */
  bad |= put_varint(f, (1u << 3) | 2) || put_varint(f, nl) || fwrite(n->name, 1, nl, f) != nl;
  for (int i = 0; i < n->nlayer && !bad; i++) {
    Layer *l = n->layers[i];
    if (l->nweight <= 0) continue;
    Caffe__LayerParameter lp = CAFFE__LAYER_PARAMETER__INIT;
    lp.name = (char *)l->name;
    lp.type = (char *)lk_info[l->kind].caffe_type;
    Caffe__BlobProto *bp = calloc((size_t)l->nweight, sizeof *bp);
    Caffe__BlobShape *bs = calloc((size_t)l->nweight, sizeof *bs);
    Caffe__BlobProto **bpp = calloc((size_t)l->nweight, sizeof *bpp);
    int64_t dims[8][RT_MAXDIM];
    float *vals[8] = {0};
    void *keep[8] = {0};
    int64_t fan_in = l->nweight ? rt_shape_count(&l->weight[0].expect) /
                                      (l->weight[0].expect.nd ? l->weight[0].expect.d[0] : 1)
                                : 1;
    for (int k = 0; k < l->nweight && k < 8; k++) {
      const rt_shape *s = &l->weight[k].expect;
      caffe__blob_proto__init(&bp[k]);
      caffe__blob_shape__init(&bs[k]);
      for (int d = 0; d < s->nd; d++) dims[k][d] = s->d[d];
      bs[k].n_dim = (size_t)s->nd;
      bs[k].dim = dims[k];
      bp[k].shape = &bs[k];
      int64_t cnt = rt_shape_count(s);
      bp[k].data = vals[k] = malloc((size_t)(cnt ? cnt : 1) * sizeof(float));
      if (!bp[k].data) {
        fprintf(stderr, "chaicc-mkmodel: error: out of memory\n");
        exit(3);
      }
      fill(bp[k].data, cnt, &l->weight[k], mode, fan_in);
      encode_blob(&bp[k], bp[k].data, cnt, &keep[k]);
      bpp[k] = &bp[k];
    }
    lp.n_blobs = (size_t)l->nweight;
    lp.blobs = bpp;
    bad |= put_msg(f, 100, &lp.base);
    for (int k = 0; k < l->nweight && k < 8; k++) free(vals[k]), free(keep[k]);
    free(bp);
    free(bs);
    free(bpp);
  }
  if (fclose(f) || bad || rename(tmp, out)) {
    fprintf(stderr, "%s: error: write failed\n", out);
    unlink(tmp);
    return 1;
  }
  return 0;
}

static int write_text(const char *in, const char *out) {
  Caffe__NetParameter *np = (Caffe__NetParameter *)tf_parse_file(
      &caffe__net_parameter__descriptor, in, &chai_arena, &chai_diag, NULL);
  if (!np) return 1;
  size_t n = protobuf_c_message_get_packed_size(&np->base);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return 3;
  protobuf_c_message_pack(&np->base, buf);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  int bad = !f || fwrite(buf, 1, n, f) != n;
  if (f && fclose(f)) bad = 1;
  free(buf);
  if (bad || rename(tmp, out)) {
    fprintf(stderr, "%s: error: write failed\n", out);
    unlink(tmp);
    return 1;
  }
  return 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: chaicc-mkmodel DEPLOY -o OUT.caffemodel [--fill random|constant:V] [--seed N]\n"
             "                      [--encoding float|double|raw-float|raw-double|raw-fp16] [--fp16-values]\n"
             "                      [--input_shape N,C,H,W]   (a training prototxt: as in chaicc)\n"
             "       chaicc-mkmodel --from-text NET.txt -o OUT.caffemodel\n");
}

int main(int argc, char **argv) {
  const char *deploy = NULL, *out = NULL, *text = NULL, *mode = "random";
  uint64_t seed = 1;
  for (int i = 1; i < argc; i++) {
    int r = tr_parse_flag(argc, argv, &i, &chai_diag); /* a training prototxt's shape */
    if (r < 0) return 2;
    if (r > 0) continue;
    if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--fill") && i + 1 < argc) mode = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--from-text") && i + 1 < argc) text = argv[++i];
    else if (!strcmp(argv[i], "--fp16-values")) fp16_values = 1;
    else if (!strcmp(argv[i], "--encoding") && i + 1 < argc) {
      const char *e = argv[++i];
      encoding = -1;
      for (int k = 0; k < (int)(sizeof enc_names / sizeof *enc_names); k++)
        if (!strcmp(e, enc_names[k])) encoding = k;
      if (encoding < 0) {
        fprintf(stderr, "chaicc-mkmodel: error: unknown --encoding '%s'\n", e);
        usage(stderr);
        return 2;
      }
      if (encoding == ENC_RAW_FP16) fp16_values = 1;
    }
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] != '-' && !deploy) deploy = argv[i];
    else {
      usage(stderr);
      return 2;
    }
  }
  if (!out || (!deploy == !text) ||
      (strcmp(mode, "random") && strncmp(mode, "constant:", 9))) {
    usage(stderr);
    return 2;
  }
  rng_state = seed;
  int rc = text ? write_text(text, out) : write_random(deploy, out, mode);
  ld_cleanup();
  ar_free(&chai_arena);
  return rc;
}
