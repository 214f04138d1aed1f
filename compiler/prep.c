/* prep.c - input preparation (see prep.h). */
#include "prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rt_npy.h"
#include "caffe.pb-c.h"
#include "ir.h"

void prep_defaults(PrepOpts *o) {
  memset(o, 0, sizeof *o);
  rt_preproc_defaults(&o->pp);
}

static int flag_is(const char *arg, const char *name, const char **val) {
  if (arg[0] != '-' || arg[1] != '-') return 0;
  arg += 2;
  size_t n = strlen(name);
  for (size_t k = 0; k < n; k++) {
    char a = arg[k], b = name[k];
    if (a == '-') a = '_';
    if (a != b) return 0;
  }
  if (arg[n] == '=') {
    *val = arg + n + 1;
    return 1;
  }
  if (arg[n] == 0) {
    *val = NULL;
    return 1;
  }
  return 0;
}

int prep_parse_flag(PrepOpts *o, int argc, char **argv, int *i, Diag *dg) {
  static const char *const names[] = {"dims", "transpose", "channel_swap", "raw_scale",
                                      "mean_value", "input_scale", "mean_file", "resize"};
  const char *val = NULL;
  int which = -1;
  for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++)
    if (flag_is(argv[*i], names[k], &val)) {
      which = k;
      break;
    }
  if (which < 0) return 0;
  if (!val) {
    if (*i + 1 >= argc) {
      diag_error(dg, SRCLOC_NONE, "option --%s needs a value", names[which]);
      return -1;
    }
    val = argv[++*i];
  }
  rt_preproc *p = &o->pp;
  int n = 0, v[4];
  float f[4];
  switch (which) {
  case 0:
    if (rt_preproc_parse_ints(val, v, 3, &n) || n != 3 || v[0] <= 0 || v[1] <= 0 || v[2] <= 0)
      goto bad;
    p->c = v[0], p->h = v[1], p->w = v[2];
    o->set_dims = true;
    return 1;
  case 1:
    if (rt_preproc_parse_ints(val, p->transpose, 3, &n) || n != 3) goto bad;
    o->set_transpose = true;
    return 1;
  case 2:
    if (rt_preproc_parse_ints(val, p->channel_swap, 4, &p->nswap) || p->nswap < 1) goto bad;
    o->set_swap = true;
    return 1;
  case 3:
    if (rt_preproc_parse_floats(val, f, 1, &n) || n != 1) goto bad;
    p->raw_scale = f[0];
    return 1;
  case 4:
    if (rt_preproc_parse_floats(val, p->mean_value, 4, &p->nmean) || p->nmean < 1) goto bad;
    o->set_mean = true;
    return 1;
  case 5:
    if (rt_preproc_parse_floats(val, f, 1, &n) || n != 1) goto bad;
    p->input_scale = f[0];
    o->set_input_scale = true;
    return 1;
  case 6:
    o->mean_file = val;
    return 1;
  case 7:
    if (strcmp(val, "cv2") == 0) p->resize_mode = RT_RESIZE_CV2;
    else if (strcmp(val, "float") == 0) p->resize_mode = RT_RESIZE_FLOAT;
    else goto bad;
    return 1;
  }
bad:
  diag_error(dg, SRCLOC_NONE, "bad value '%s' for --%s", val, names[which]);
  return -1;
}

bool prep_is_npy(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) {
    unsigned char m[6] = {0};
    size_t r = fread(m, 1, 6, f);
    fclose(f);
    if (r == 6 && memcmp(m, "\x93NUMPY", 6) == 0) return true;
  }
  size_t n = strlen(path);
  return n > 4 && strcmp(path + n - 4, ".npy") == 0;
}

/* Reads a Caffe BlobProto (mean.binaryproto) into C x H x W floats. */
static float *read_binaryproto(const char *path, int64_t shape[4], Diag *dg) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot open mean file");
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(sz > 0 ? (size_t)sz : 1);
  size_t got = buf ? fread(buf, 1, (size_t)(sz > 0 ? sz : 0), f) : 0;
  fclose(f);
  Caffe__BlobProto *bp = buf && got == (size_t)sz ? caffe__blob_proto__unpack(NULL, got, buf) : NULL;
  free(buf);
  if (!bp) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "not a Caffe BlobProto (mean.binaryproto)");
    return NULL;
  }
  int64_t d[4] = {1, 1, 1, 1};
  if (bp->shape && bp->shape->n_dim) {
    size_t nd = bp->shape->n_dim;
    for (size_t k = 0; k < nd && k < 4; k++) d[4 - (nd < 4 ? nd : 4) + k] = bp->shape->dim[k];
  } else {
    d[0] = bp->has_num ? bp->num : 1;
    d[1] = bp->has_channels ? bp->channels : 1;
    d[2] = bp->has_height ? bp->height : 1;
    d[3] = bp->has_width ? bp->width : 1;
  }
  int64_t cnt = d[1] * d[2] * d[3];
  float *out = NULL;
  if (d[0] != 1 || cnt <= 0 || (bp->n_data != (size_t)cnt && bp->n_double_data != (size_t)cnt)) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "mean blob has shape %lldx%lldx%lldx%lld and %zu values; expected one C x H x W mean",
               (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3],
               bp->n_data ? bp->n_data : bp->n_double_data);
  } else {
    out = malloc((size_t)cnt * sizeof(float));
    for (int64_t k = 0; k < cnt; k++)
      out[k] = bp->n_data ? bp->data[k] : (float)bp->double_data[k];
    shape[0] = d[1], shape[1] = d[2], shape[2] = d[3];
  }
  caffe__blob_proto__free_unpacked(bp, NULL);
  return out;
}

/* Loads the mean file; a mean of another spatial size is reduced to its
 * per-channel average (as the references' tooling and Caffe's classifier
 * do when sizes differ). */
static int load_mean(PrepOpts *o, Diag *dg) {
  rt_preproc *p = &o->pp;
  int64_t s[8] = {0};
  float *m = NULL;
  free(o->mean_pixels); /* loaded again (one prep_finish per image input) */
  o->mean_pixels = NULL;
  p->mean_pixels = NULL;
  if (prep_is_npy(o->mean_file)) {
    char err[256];
    int nd = 0;
    if (rt_npy_read(o->mean_file, &m, &nd, s, err, sizeof err)) {
      diag_error(dg, (SrcLoc){o->mean_file, 0, 0}, "%s", err);
      return -1;
    }
    if (nd == 4 && s[0] == 1) memmove(s, s + 1, 3 * sizeof s[0]), nd = 3;
    if (nd == 1) s[1] = s[2] = 1, nd = 3;
    if (nd != 3) {
      diag_error(dg, (SrcLoc){o->mean_file, 0, 0}, "mean must be C x H x W or C values, got %d axes", nd);
      free(m);
      return -1;
    }
  } else {
    m = read_binaryproto(o->mean_file, s, dg);
    if (!m) return -1;
  }
  if (s[0] != p->c) {
    diag_error(dg, (SrcLoc){o->mean_file, 0, 0}, "mean has %lld channels but --dims has %d",
               (long long)s[0], p->c);
    free(m);
    return -1;
  }
  if (s[1] == p->h && s[2] == p->w) {
    o->mean_pixels = m;
  } else {
    p->nmean = p->c;
    for (int c = 0; c < p->c; c++) {
      double acc = 0;
      for (int64_t k = 0; k < s[1] * s[2]; k++) acc += m[c * s[1] * s[2] + k];
      p->mean_value[c] = (float)(acc / (double)(s[1] * s[2]));
    }
    free(m);
  }
  p->mean_pixels = o->mean_pixels;
  return 0;
}

void prep_use_net(PrepOpts *o, const Net *n) { o->net = n; }

/* The mean_file of a transform_param as Caffe would open it (relative to
 * the working directory), else beside the prototxt; NULL when neither. */
static const char *tf_mean_path(const Net *n, const char *f) {
  FILE *fp = fopen(f, "rb");
  if (fp) return fclose(fp), f;
  const char *slash = strrchr(n->file, '/');
  if (f[0] == '/' || !slash) return NULL;
  const char *q = ar_printf(n->ar, "%.*s/%s", (int)(slash - n->file), n->file, f);
  if (!(fp = fopen(q, "rb"))) return NULL;
  fclose(fp);
  return q;
}

/* Applies o->net's transform_param to the options not given (once, with a
 * note saying what it took). Caffe transforms the stored BGR 0..255 pixels
 * as (x - mean) * scale, which the defaults (raw_scale 255, BGR) plus
 * mean_value/mean_file and input_scale reproduce. */
static void apply_transform(PrepOpts *o, Diag *dg) {
  const Net *n = o->net;
  if (!n || !n->transform || o->tf_done) return;
  o->tf_done = true;
  const Caffe__TransformationParameter *t = n->transform;
  rt_preproc *p = &o->pp;
  char took[512] = "";
  size_t k = 0;
  if (t->has_scale && !o->set_input_scale) {
    p->input_scale = t->scale;
    k += (size_t)snprintf(took + k, sizeof took - k, "%s--input_scale %g", k ? ", " : "",
                          (double)t->scale);
  }
  if (!o->set_mean && !o->mean_file) {
    if (t->n_mean_value) {
      p->nmean = 0;
      for (size_t i = 0; i < t->n_mean_value && i < 4; i++) p->mean_value[p->nmean++] = t->mean_value[i];
      o->set_mean = o->tf_mean = true;
      k += (size_t)snprintf(took + k, sizeof took - k, "%s--mean_value", k ? ", " : "");
      for (int i = 0; i < p->nmean && k < sizeof took; i++)
        k += (size_t)snprintf(took + k, sizeof took - k, "%s%g", i ? "," : " ",
                              (double)p->mean_value[i]);
    } else if (t->mean_file && *t->mean_file) {
      const char *m = tf_mean_path(n, t->mean_file);
      if (m) {
        o->mean_file = m;
        k += (size_t)snprintf(took + k, sizeof took - k, "%s--mean_file %s", k ? ", " : "", m);
      } else {
        p->nmean = 0;
        o->set_mean = true;
        diag_warn(dg, n->transform_loc,
                  "layer '%s': transform_param mean_file '%s' not found (nor beside the "
                  "prototxt); images are not mean-subtracted unless --mean_file or "
                  "--mean_value is given",
                  n->transform_layer, t->mean_file);
      }
    } else { /* Caffe subtracts no mean: nor do the XportDNN defaults here */
      p->nmean = 0;
      o->set_mean = true;
      k += (size_t)snprintf(took + k, sizeof took - k, "%sno mean", k ? ", " : "");
    }
  }
  if (k >= sizeof took) k = sizeof took - 1;
  if (k)
    diag_note(dg, n->transform_loc,
              "layer '%s': images are prepared with its transform_param (%s); options given "
              "on the command line take precedence",
              n->transform_layer, took);
  if (t->crop_size || t->crop_h || t->crop_w)
    diag_note(dg, n->transform_loc,
              "layer '%s': transform_param crops its stored images; an image given here is "
              "resized to the input's H x W instead",
              n->transform_layer);
}

int prep_finish(PrepOpts *o, const rt_shape *in, Diag *dg) {
  rt_preproc *p = &o->pp;
  apply_transform(o, dg);
  if (!o->set_dims && in->nd == 4) p->c = in->d[1], p->h = in->d[2], p->w = in->d[3];
  if (p->c != 1 && p->c != 3) {
    diag_error(dg, SRCLOC_NONE, "images need --dims with 1 (gray) or 3 channels, got %d", p->c);
    return -1;
  }
  if (o->tf_mean && p->nmean == 1) /* Caffe: one mean_value for every channel */
    for (int c = 1; c < p->c && c < 4; c++) p->mean_value[p->nmean++] = p->mean_value[0];
  if (p->c == 1) {
    if (!o->set_swap) p->nswap = 0;
    if (!o->set_mean && !o->mean_file) p->nmean = 0;
  }
  if (o->mean_file) {
    if (o->set_mean) {
      diag_error(dg, SRCLOC_NONE, "give --mean_file or --mean_value, not both");
      return -1;
    }
    p->nmean = 0;
    if (load_mean(o, dg)) return -1;
  }
  if (p->nswap && p->nswap != p->c) {
    diag_error(dg, SRCLOC_NONE, "--channel_swap has %d entries but --dims has %d channels%s",
               p->nswap, p->c, p->c == 1 ? " (use --channel_swap 0 for gray)" : "");
    return -1;
  }
  if (p->nmean && p->nmean != p->c) {
    diag_error(dg, SRCLOC_NONE, "--mean_value has %d entries but --dims has %d channels",
               p->nmean, p->c);
    return -1;
  }
  return 0;
}

float *prep_load(PrepOpts *o, const char *path, const rt_shape *in, int *batch_out,
                 Diag *dg) {
  char err[512];
  if (prep_is_npy(path)) {
    float *d = NULL;
    int nd = 0;
    int64_t s[RT_NPY_MAXDIM];
    if (rt_npy_read(path, &d, &nd, s, err, sizeof err)) {
      diag_error(dg, (SrcLoc){path, 0, 0}, "%s", err);
      return NULL;
    }
    int64_t batch = 1;
    int off = 0;
    if (nd == in->nd) batch = s[0], off = 1;
    else if (nd == in->nd - 1) off = 0;
    else goto mismatch;
    for (int k = 1; k < in->nd; k++)
      if (s[k - 1 + off] != in->d[k]) goto mismatch;
    if (batch < 1 || batch > 1 << 20) goto mismatch;
    *batch_out = (int)batch;
    return d;
  mismatch:;
    char es[96];
    diag_error(dg, (SrcLoc){path, 0, 0}, "tensor shape does not fit the net input %s (any batch size is accepted)",
               rt_shape_str(in, es, sizeof es));
    free(d);
    return NULL;
  }
  rt_image img;
  if (rt_image_load(path, &img, err, sizeof err)) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "%s", err);
    return NULL;
  }
  const rt_preproc *p = &o->pp;
  if (in->nd != 4 || in->d[1] != p->c || in->d[2] != p->h || in->d[3] != p->w) {
    char es[96];
    diag_error(dg, (SrcLoc){path, 0, 0}, "--dims %d,%d,%d does not match the net input %s",
               p->c, p->h, p->w, rt_shape_str(in, es, sizeof es));
    rt_image_free(&img);
    return NULL;
  }
  float *d = malloc((size_t)p->c * p->h * p->w * sizeof(float));
  if (!d || rt_preproc_apply(p, &img, d, err, sizeof err)) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "%s", d ? err : "out of memory");
    free(d);
    rt_image_free(&img);
    return NULL;
  }
  rt_image_free(&img);
  *batch_out = 1;
  return d;
}
