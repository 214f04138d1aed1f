/* rt_image.c - image decoding and preprocessing; see rt_image.h. */
#include "rt_image.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define IMG_MAX_PIXELS ((size_t)1 << 27) /* w*h*c cap: 128 MiB */
#define IMG_MAX_FILE ((long)1 << 30)

/* Formats "<path>: <message>" into err; always returns -1. */
static int img_fail(char *err, size_t errlen, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int img_fail(char *err, size_t errlen, const char *path,
                    const char *fmt, ...) {
  if (err && errlen) {
    int n = path ? snprintf(err, errlen, "%s: ", path) : 0;
    if (n < 0) n = 0;
    if ((size_t)n < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return -1;
}

/* Allocates w*h*c bytes for img after checking the size; message in msg. */
static int img_alloc(rt_image *img, long w, long h, int c, char *msg,
                     size_t msglen) {
  if (w <= 0 || h <= 0 || w > INT_MAX || h > INT_MAX ||
      (size_t)w > IMG_MAX_PIXELS / (size_t)h / (size_t)c) {
    snprintf(msg, msglen, "unsupported image size %ldx%ld", w, h);
    return -1;
  }
  img->px = malloc((size_t)w * (size_t)h * (size_t)c);
  if (!img->px) {
    snprintf(msg, msglen, "out of memory");
    return -1;
  }
  img->w = (int)w;
  img->h = (int)h;
  img->c = c;
  return 0;
}

void rt_image_free(rt_image *img) {
  if (!img) return;
  free(img->px);
  memset(img, 0, sizeof *img);
}

/* ---- JPEG ---------------------------------------------------------------- */

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jb;
  char msg[JMSG_LENGTH_MAX];
} JpegErr;

static void jpeg_on_error(j_common_ptr ci) {
  JpegErr *e = (JpegErr *)ci->err;
  (*ci->err->format_message)(ci, e->msg);
  longjmp(e->jb, 1);
}

/* Warnings are ignored except a premature end of data, which is an error
 * (libjpeg would otherwise pad the image with gray). */
static void jpeg_on_message(j_common_ptr ci, int level) {
  if (level < 0 && ci->err->msg_code == JWRN_JPEG_EOF) jpeg_on_error(ci);
}

/* Decodes a JPEG held in memory; gray stays 1 channel, CMYK/YCCK (Adobe
 * inverted) become RGB with OpenCV's R = K - ((255 - C) * K >> 8). */
static int decode_jpeg(const uint8_t *buf, size_t len, rt_image *img,
                       char *msg, size_t msglen) {
  struct jpeg_decompress_struct ci;
  JpegErr je;
  ci.err = jpeg_std_error(&je.pub);
  je.pub.error_exit = jpeg_on_error;
  je.pub.emit_message = jpeg_on_message;
  je.msg[0] = 0;
  jpeg_create_decompress(&ci);
  if (setjmp(je.jb)) {
    snprintf(msg, msglen, "corrupt JPEG: %s", je.msg);
    jpeg_destroy_decompress(&ci);
    free(img->px);
    img->px = NULL;
    return -1;
  }
  jpeg_mem_src(&ci, buf, (unsigned long)len);
  jpeg_read_header(&ci, TRUE);
  /* check the size before libjpeg allocates its own buffers (a progressive
   * file keeps every coefficient: about 2 bytes per sample) */
  if (ci.image_width == 0 || ci.image_height == 0 ||
      (size_t)ci.image_width * ci.image_height * (size_t)ci.num_components >
          IMG_MAX_PIXELS) {
    snprintf(msg, msglen, "unsupported image size %ux%u", ci.image_width,
             ci.image_height);
    jpeg_destroy_decompress(&ci);
    return -1;
  }
  int cmyk = 0;
  if (ci.jpeg_color_space == JCS_GRAYSCALE) {
    ci.out_color_space = JCS_GRAYSCALE;
  } else if (ci.jpeg_color_space == JCS_CMYK ||
             ci.jpeg_color_space == JCS_YCCK) {
    ci.out_color_space = JCS_CMYK;
    cmyk = 1;
  } else {
    ci.out_color_space = JCS_RGB;
  }
  jpeg_start_decompress(&ci);
  int oc = ci.output_components;
  if (oc != (ci.out_color_space == JCS_GRAYSCALE ? 1 : cmyk ? 4 : 3)) {
    snprintf(msg, msglen, "unexpected JPEG component count %d", oc);
    jpeg_destroy_decompress(&ci);
    return -1;
  }
  if (img_alloc(img, (long)ci.output_width, (long)ci.output_height,
                oc == 1 ? 1 : 3, msg, msglen)) {
    jpeg_destroy_decompress(&ci);
    return -1;
  }
  JSAMPARRAY row = (*ci.mem->alloc_sarray)((j_common_ptr)&ci, JPOOL_IMAGE,
                                           ci.output_width * (JDIMENSION)oc, 1);
  size_t stride = (size_t)img->w * (size_t)img->c;
  while (ci.output_scanline < ci.output_height) {
    size_t y = ci.output_scanline;
    if (jpeg_read_scanlines(&ci, row, 1) != 1) break;
    uint8_t *d = img->px + y * stride;
    if (!cmyk) {
      memcpy(d, row[0], stride);
    } else {
      for (size_t x = 0; x < (size_t)img->w; x++) {
        const JSAMPLE *s = row[0] + 4 * x;
        int k = s[3];
        for (int i = 0; i < 3; i++) d[3 * x + i] = (uint8_t)(k - (((255 - s[i]) * k) >> 8));
      }
    }
  }
  jpeg_finish_decompress(&ci);
  jpeg_destroy_decompress(&ci);
  return 0;
}

/* ---- PNG ----------------------------------------------------------------- */

typedef struct {
  const uint8_t *p;
  size_t len, pos;
  png_bytep *rows;
  char msg[200];
} PngSrc;

static void png_on_read(png_structp png, png_bytep out, size_t n) {
  PngSrc *s = png_get_io_ptr(png);
  if (n > s->len - s->pos) png_error(png, "truncated file");
  memcpy(out, s->p + s->pos, n);
  s->pos += n;
}

static void png_on_error(png_structp png, png_const_charp m) {
  PngSrc *s = png_get_error_ptr(png);
  snprintf(s->msg, sizeof s->msg, "%s", m);
  png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp m) {
  (void)png;
  (void)m;
}

/* Decodes a PNG held in memory to 8-bit gray or RGB (alpha dropped,
 * palette/low bit depths expanded, 16-bit reduced to the high byte). */
static int decode_png(const uint8_t *buf, size_t len, rt_image *img,
                      char *msg, size_t msglen) {
  PngSrc src = {buf, len, 0, NULL, ""};
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error,
                             png_on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    snprintf(msg, msglen, "out of memory");
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    snprintf(msg, msglen, "corrupt PNG: %s", src.msg);
    png_destroy_read_struct(&png, &info, NULL);
    free(src.rows);
    free(img->px);
    img->px = NULL;
    return -1;
  }
  png_set_read_fn(png, &src, png_on_read);
  png_read_info(png, info);
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int ch = png_get_channels(png, info);
  long w = (long)png_get_image_width(png, info);
  long h = (long)png_get_image_height(png, info);
  if ((ch != 1 && ch != 3) || png_get_bit_depth(png, info) != 8)
    png_error(png, "unexpected channel layout after expansion");
  if (img_alloc(img, w, h, ch, src.msg, sizeof src.msg)) png_error(png, src.msg);
  size_t stride = (size_t)w * (size_t)ch;
  if (png_get_rowbytes(png, info) != stride) png_error(png, "row size mismatch");
  src.rows = malloc((size_t)h * sizeof *src.rows);
  if (!src.rows) png_error(png, "out of memory");
  for (long y = 0; y < h; y++) src.rows[y] = img->px + (size_t)y * stride;
  png_read_image(png, src.rows);
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  free(src.rows);
  return 0;
}

/* ---- PGM / PPM ---------------------------------------------------------- */

typedef struct {
  const uint8_t *p;
  size_t len, pos;
} PnmCur;

/* Skips whitespace and '#' comments. */
static void pnm_skip(PnmCur *c) {
  while (c->pos < c->len) {
    uint8_t ch = c->p[c->pos];
    if (ch == '#') {
      while (c->pos < c->len && c->p[c->pos] != '\n' && c->p[c->pos] != '\r')
        c->pos++;
    } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
               ch == '\v' || ch == '\f') {
      c->pos++;
    } else {
      break;
    }
  }
}

/* Reads a decimal number <= max after whitespace/comments. */
static int pnm_uint(PnmCur *c, long max, long *v) {
  pnm_skip(c);
  if (c->pos >= c->len || c->p[c->pos] < '0' || c->p[c->pos] > '9') return -1;
  long x = 0;
  while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
    x = x * 10 + (c->p[c->pos++] - '0');
    if (x > max) return -1;
  }
  *v = x;
  return 0;
}

/* Decodes P2/P3 (ASCII) and P5/P6 (binary, 16-bit big endian when
 * maxval > 255).  Samples are rescaled to 8 bits as round(v*255/maxval). */
static int decode_pnm(const uint8_t *buf, size_t len, rt_image *img,
                      char *msg, size_t msglen) {
  PnmCur c = {buf, len, 2};
  char kind = (char)buf[1];
  int ch = (kind == '3' || kind == '6') ? 3 : 1;
  int ascii = kind == '2' || kind == '3';
  long w, h, maxval;
  if (pnm_uint(&c, INT_MAX, &w) || pnm_uint(&c, INT_MAX, &h) ||
      pnm_uint(&c, 65535, &maxval) || maxval < 1) {
    snprintf(msg, msglen, "bad PNM header (width, height, maxval 1..65535)");
    return -1;
  }
  if (img_alloc(img, w, h, ch, msg, msglen)) return -1;
  size_t n = (size_t)w * (size_t)h * (size_t)ch;
  if (!ascii) {
    size_t bps = maxval > 255 ? 2 : 1;
    /* exactly one whitespace byte separates maxval from the raster */
    if (c.pos >= len || !(buf[c.pos] == ' ' || buf[c.pos] == '\t' ||
                          buf[c.pos] == '\n' || buf[c.pos] == '\r')) {
      snprintf(msg, msglen, "bad PNM header");
      goto fail;
    }
    c.pos++;
    if ((len - c.pos) / bps < n) {
      snprintf(msg, msglen, "truncated PNM raster");
      goto fail;
    }
    for (size_t i = 0; i < n; i++) {
      long v = bps == 1 ? buf[c.pos + i]
                        : (long)buf[c.pos + 2 * i] << 8 | buf[c.pos + 2 * i + 1];
      if (v > maxval) {
        snprintf(msg, msglen, "PNM sample exceeds maxval");
        goto fail;
      }
      img->px[i] = (uint8_t)(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      long v;
      if (pnm_uint(&c, maxval, &v)) {
        snprintf(msg, msglen, "bad or missing PNM sample %zu", i);
        goto fail;
      }
      img->px[i] = (uint8_t)(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
    }
  }
  return 0;
fail:
  rt_image_free(img);
  return -1;
}

/* ---- dispatch ------------------------------------------------------------ */

int rt_image_load(const char *path, rt_image *img, char *err, size_t errlen) {
  memset(img, 0, sizeof *img);
  FILE *f = fopen(path, "rb");
  if (!f) return img_fail(err, errlen, path, "%s", strerror(errno));
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || size > IMG_MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return img_fail(err, errlen, path, "cannot read file size");
  }
  uint8_t *buf = malloc(size ? (size_t)size : 1);
  if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    fclose(f);
    return img_fail(err, errlen, path, "read error");
  }
  fclose(f);
  char msg[256] = "";
  int rc;
  size_t n = (size_t)size;
  if (n >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF)
    rc = decode_jpeg(buf, n, img, msg, sizeof msg);
  else if (n >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0)
    rc = decode_png(buf, n, img, msg, sizeof msg);
  else if (n >= 2 && buf[0] == 'P' && strchr("2356", buf[1]) && buf[1])
    rc = decode_pnm(buf, n, img, msg, sizeof msg);
  else {
    rc = -1;
    snprintf(msg, sizeof msg,
             "unknown image format (expected JPEG, PNG, PGM or PPM)");
  }
  free(buf);
  if (rc) {
    memset(img, 0, sizeof *img);
    return img_fail(err, errlen, path, "%s", msg);
  }
  return 0;
}

/* ---- preprocessing ------------------------------------------------------ */

void rt_preproc_defaults(rt_preproc *p) {
  memset(p, 0, sizeof *p);
  p->c = 3;
  p->h = 224;
  p->w = 224;
  p->transpose[0] = 2;
  p->transpose[1] = 0;
  p->transpose[2] = 1;
  p->channel_swap[0] = 2;
  p->channel_swap[1] = 1;
  p->channel_swap[2] = 0;
  p->nswap = 3;
  p->raw_scale = 255.0f;
  p->nmean = 3;
  p->mean_value[0] = 104.0f;
  p->mean_value[1] = 117.0f;
  p->mean_value[2] = 123.0f;
  p->input_scale = 1.0f;
  p->resize_mode = RT_RESIZE_CV2;
}

/* Converts img to an 8-bit buffer with c channels (gray replicated, or RGB
 * to gray with OpenCV's fixed-point BT.601 weights).  NULL on OOM. */
static uint8_t *adapt_channels(const rt_image *img, int c) {
  size_t n = (size_t)img->w * (size_t)img->h;
  uint8_t *o = malloc(n * (size_t)c);
  if (!o) return NULL;
  if (img->c == c) {
    memcpy(o, img->px, n * (size_t)c);
  } else if (c == 3) {
    for (size_t i = 0; i < n; i++) o[3 * i] = o[3 * i + 1] = o[3 * i + 2] = img->px[i];
  } else {
    for (size_t i = 0; i < n; i++) {
      const uint8_t *s = img->px + 3 * i;
      o[i] = (uint8_t)((s[0] * 4899 + s[1] * 9617 + s[2] * 1868 + 8192) >> 14);
    }
  }
  return o;
}

/* Source coordinate of output index d (half-pixel centres), split into the
 * integer left/top sample *s and the float fraction, computed as OpenCV
 * does (double, then rounded to float). */
static float src_coord(int d, double scale, int *s) {
  float f = (float)((d + 0.5) * scale - 0.5);
  int i = (int)floorf(f);
  *s = i;
  return f - (float)i;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* cv2.resize INTER_LINEAR for 8-bit data, bit-exact with OpenCV 4.x's
 * generic C path: an exact 2x downscale is a rounded 2x2 box average;
 * otherwise 11-bit weights, horizontal pass to int, vertical pass
 * ((b0*(r0>>4))>>16 + (b1*(r1>>4))>>16 + 2) >> 2.  Writes floats. */
static int resize_cv2(const uint8_t *src, int sw, int sh, int c, float *dst,
                      int dw, int dh) {
  double sx_scale = 1.0 / ((double)dw / sw), sy_scale = 1.0 / ((double)dh / sh);
  if (sx_scale == 2.0 && sy_scale == 2.0) {
    for (int y = 0; y < dh; y++)
      for (int x = 0; x < dw; x++)
        for (int k = 0; k < c; k++) {
          const uint8_t *a = src + ((size_t)(2 * y) * sw + 2 * x) * c + k;
          const uint8_t *b = a + (size_t)sw * c;
          dst[((size_t)y * dw + x) * c + k] = (float)((a[0] + a[c] + b[0] + b[c] + 2) >> 2);
        }
    return 0;
  }
  int *xo = malloc(sizeof(int) * (size_t)dw);
  short *xa = malloc(sizeof(short) * 2 * (size_t)dw);
  int *r0 = malloc(sizeof(int) * (size_t)dw * c);
  int *r1 = malloc(sizeof(int) * (size_t)dw * c);
  if (!xo || !xa || !r0 || !r1) {
    free(xo), free(xa), free(r0), free(r1);
    return -1;
  }
  for (int x = 0; x < dw; x++) {
    int s;
    float f = src_coord(x, sx_scale, &s);
    if (s < 0) s = 0, f = 0;
    if (s >= sw - 1) s = sw - 1, f = 0;
    xo[x] = s;
    xa[2 * x] = (short)lrintf((1.f - f) * 2048);
    xa[2 * x + 1] = (short)lrintf(f * 2048);
  }
  for (int y = 0; y < dh; y++) {
    int s;
    float f = src_coord(y, sy_scale, &s);
    int b0 = (short)lrintf((1.f - f) * 2048), b1 = (short)lrintf(f * 2048);
    int *rows[2] = {r0, r1};
    for (int j = 0; j < 2; j++) {
      const uint8_t *S = src + (size_t)clampi(s + j, 0, sh - 1) * sw * c;
      for (int x = 0; x < dw; x++) {
        int s0 = xo[x], s1 = s0 + 1 < sw ? s0 + 1 : s0;
        for (int k = 0; k < c; k++)
          rows[j][x * c + k] = S[s0 * c + k] * xa[2 * x] + S[s1 * c + k] * xa[2 * x + 1];
      }
    }
    for (int i = 0; i < dw * c; i++)
      dst[(size_t)y * dw * c + i] =
          (float)((((b0 * (r0[i] >> 4)) >> 16) + ((b1 * (r1[i] >> 4)) >> 16) + 2) >> 2);
  }
  free(xo), free(xa), free(r0), free(r1);
  return 0;
}

/* Float bilinear resize with half-pixel centres, clamped at the edges. */
static void resize_float(const uint8_t *src, int sw, int sh, int c, float *dst,
                         int dw, int dh) {
  double sx_scale = (double)sw / dw, sy_scale = (double)sh / dh;
  for (int y = 0; y < dh; y++) {
    int y0;
    float fy = src_coord(y, sy_scale, &y0);
    if (y0 < 0) y0 = 0, fy = 0;
    if (y0 >= sh - 1) y0 = sh - 1, fy = 0;
    int y1 = y0 + 1 < sh ? y0 + 1 : y0;
    for (int x = 0; x < dw; x++) {
      int x0;
      float fx = src_coord(x, sx_scale, &x0);
      if (x0 < 0) x0 = 0, fx = 0;
      if (x0 >= sw - 1) x0 = sw - 1, fx = 0;
      int x1 = x0 + 1 < sw ? x0 + 1 : x0;
      for (int k = 0; k < c; k++) {
        float p00 = src[((size_t)y0 * sw + x0) * c + k], p01 = src[((size_t)y0 * sw + x1) * c + k];
        float p10 = src[((size_t)y1 * sw + x0) * c + k], p11 = src[((size_t)y1 * sw + x1) * c + k];
        float top = p00 + (p01 - p00) * fx, bot = p10 + (p11 - p10) * fx;
        dst[((size_t)y * dw + x) * c + k] = top + (bot - top) * fy;
      }
    }
  }
}

/* Checks p against img; message into err.  Returns the first output axis
 * size in *ax0. */
static int preproc_check(const rt_preproc *p, const rt_image *img, int *ax0,
                         char *err, size_t errlen) {
  if (!img || !img->px || img->w <= 0 || img->h <= 0 ||
      (img->c != 1 && img->c != 3))
    return img_fail(err, errlen, NULL, "preprocess: invalid source image");
  if (p->c != 1 && p->c != 3)
    return img_fail(err, errlen, NULL,
                    "preprocess: %d input channels unsupported (need 1 or 3)", p->c);
  if (p->h <= 0 || p->w <= 0 || (size_t)p->h * (size_t)p->w > IMG_MAX_PIXELS)
    return img_fail(err, errlen, NULL, "preprocess: bad input size %dx%d", p->h, p->w);
  int seen[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    int t = p->transpose[i];
    if (t < 0 || t > 2 || seen[t]++)
      return img_fail(err, errlen, NULL,
                      "preprocess: transpose %d,%d,%d is not a permutation of 0,1,2",
                      p->transpose[0], p->transpose[1], p->transpose[2]);
  }
  int dims[3] = {p->h, p->w, p->c};
  *ax0 = dims[p->transpose[0]];
  if (p->nswap) {
    int used[4] = {0, 0, 0, 0};
    if (p->nswap != *ax0 || p->nswap > 4)
      return img_fail(err, errlen, NULL,
                      "preprocess: channel_swap has %d entries but the input has %d "
                      "channel(s)%s",
                      p->nswap, *ax0, *ax0 == 1 ? " (gray: use a single 0 or none)" : "");
    for (int i = 0; i < p->nswap; i++) {
      int s = p->channel_swap[i];
      if (s < 0 || s >= p->nswap || used[s]++)
        return img_fail(err, errlen, NULL,
                        "preprocess: channel_swap is not a permutation of 0..%d",
                        p->nswap - 1);
    }
  }
  if (!p->mean_pixels && p->nmean != 0 && p->nmean != 1 && p->nmean != *ax0)
    return img_fail(err, errlen, NULL,
                    "preprocess: %d mean values for %d channel(s) (give 1 or %d)",
                    p->nmean, *ax0, *ax0);
  if (p->nmean < 0 || p->nmean > 4)
    return img_fail(err, errlen, NULL, "preprocess: bad mean count %d", p->nmean);
  if (!isfinite(p->raw_scale) || !isfinite(p->input_scale))
    return img_fail(err, errlen, NULL, "preprocess: scales must be finite");
  if (p->resize_mode != RT_RESIZE_CV2 && p->resize_mode != RT_RESIZE_FLOAT)
    return img_fail(err, errlen, NULL, "preprocess: unknown resize mode %d",
                    p->resize_mode);
  return 0;
}

int rt_preproc_apply(const rt_preproc *p, const rt_image *img, float *out,
                     char *err, size_t errlen) {
  int ax0 = 0;
  if (preproc_check(p, img, &ax0, err, errlen)) return -1;
  int c = p->c, h = p->h, w = p->w;
  uint8_t *a = adapt_channels(img, c);
  float *r = malloc(sizeof(float) * (size_t)h * w * c);
  if (!a || !r) {
    free(a), free(r);
    return img_fail(err, errlen, NULL, "preprocess: out of memory");
  }
  if (img->w == w && img->h == h) {
    for (size_t i = 0; i < (size_t)h * w * c; i++) r[i] = a[i];
  } else if (p->resize_mode == RT_RESIZE_FLOAT) {
    resize_float(a, img->w, img->h, c, r, w, h);
  } else if (resize_cv2(a, img->w, img->h, c, r, w, h)) {
    free(a), free(r);
    return img_fail(err, errlen, NULL, "preprocess: out of memory");
  }
  free(a);
  /* r is H x W x C; walk the output in transposed order. */
  int dims[3] = {h, w, c};
  int t0 = p->transpose[0], t1 = p->transpose[1], t2 = p->transpose[2];
  int o1 = dims[t1], o2 = dims[t2];
  float rs = p->raw_scale / 255.0f;
  size_t o = 0;
  for (int i0 = 0; i0 < ax0; i0++) {
    int coord[3];
    coord[t0] = p->nswap ? p->channel_swap[i0] : i0;
    float mv = p->nmean == 1 ? p->mean_value[0] : p->nmean ? p->mean_value[i0] : 0.0f;
    for (int i1 = 0; i1 < o1; i1++) {
      coord[t1] = i1;
      for (int i2 = 0; i2 < o2; i2++, o++) {
        coord[t2] = i2;
        float v = r[((size_t)coord[0] * w + coord[1]) * c + coord[2]] * rs;
        if (p->mean_pixels)
          v -= p->mean_pixels[o];
        else if (p->nmean)
          v -= mv;
        out[o] = v * p->input_scale;
      }
    }
  }
  free(r);
  return 0;
}

/* ---- flag parsing ------------------------------------------------------- */

/* Splits csv on ',' and hands each trimmed item to conv(item, out+i);
 * rejects empty items and more than max items. */
static int parse_list(const char *csv, void *out, size_t elsize, int max,
                      int *n, int (*conv)(const char *, void *)) {
  if (!csv) return -1;
  int cnt = 0;
  const char *p = csv;
  char item[64];
  for (;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    while (len && (*p == ' ' || *p == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    if (!len || len >= sizeof item || cnt >= max) return -1;
    memcpy(item, p, len);
    item[len] = 0;
    if (conv(item, (char *)out + (size_t)cnt * elsize)) return -1;
    cnt++;
    if (!e) break;
    p = e + 1;
  }
  *n = cnt;
  return 0;
}

static int conv_int(const char *s, void *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < INT_MIN || v > INT_MAX) return -1;
  *(int *)out = (int)v;
  return 0;
}

static int conv_float(const char *s, void *out) {
  char *end;
  errno = 0;
  float v = strtof(s, &end);
  if (errno || *end || end == s || !isfinite(v)) return -1;
  *(float *)out = v;
  return 0;
}

int rt_preproc_parse_ints(const char *csv, int *out, int max, int *n) {
  int tmp[64];
  int cnt;
  if (max <= 0 || max > 64 || parse_list(csv, tmp, sizeof tmp[0], max, &cnt, conv_int))
    return -1;
  memcpy(out, tmp, sizeof tmp[0] * (size_t)cnt);
  *n = cnt;
  return 0;
}

int rt_preproc_parse_floats(const char *csv, float *out, int max, int *n) {
  float tmp[64];
  int cnt;
  if (max <= 0 || max > 64 ||
      parse_list(csv, tmp, sizeof tmp[0], max, &cnt, conv_float))
    return -1;
  memcpy(out, tmp, sizeof tmp[0] * (size_t)cnt);
  *n = cnt;
  return 0;
}
