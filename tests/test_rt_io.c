/* test_rt_io.c - unit tests for runtime/rt_npy, rt_image and rt_idx.
 *
 * Scratch files go to a fresh mkdtemp() directory under /tmp.  Tests that
 * need the shared models read $CHAI_SHARED, else CHAI_REPO_ROOT/../shared
 * (CHAI_REPO_ROOT, else CMake's CHAI_SOURCE_DIR, else "."), and print
 * "SKIP: ../shared not found" when it is absent.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <ftw.h>
#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "rt_idx.h"
#include "rt_image.h"
#include "rt_npy.h"

#ifndef CHAI_REPO_ROOT
#ifdef CHAI_SOURCE_DIR
#define CHAI_REPO_ROOT CHAI_SOURCE_DIR
#else
#define CHAI_REPO_ROOT "."
#endif
#endif

static char tmpdir[256];

/* Returns tmpdir/name in a static rotating buffer. */
static const char *tp(const char *name) {
  static char buf[4][512];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
  return buf[i];
}

static void put_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

/* Writes a v1 (or v2) .npy with a hand-made header text and raw bytes. */
static void put_npy(const char *path, int version, const char *dict,
                    const void *raw, size_t n) {
  unsigned char b[1024];
  size_t hl = strlen(dict), off = version == 1 ? 10 : 12;
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (unsigned char)version;
  b[7] = 0;
  b[8] = (unsigned char)(hl & 0xff);
  b[9] = (unsigned char)(hl >> 8);
  if (version != 1) b[10] = b[11] = 0;
  memcpy(b + off, dict, hl);
  memcpy(b + off + hl, raw, n);
  put_file(path, b, off + hl + n);
}

/* ---- npy --------------------------------------------------------------- */

START_TEST(npy_roundtrip_all_dtypes) {
  char err[256];
  int64_t shape[2] = {2, 3};
  float f4[6] = {0.5f, -1.25f, 3e10f, -0.0f, 7, 1e-20f};
  uint8_t u1[6] = {0, 1, 127, 128, 254, 255};
  int8_t i1[6] = {-128, -1, 0, 1, 2, 127};
  int16_t i2[6] = {-32768, -2, 0, 3, 1000, 32767};
  int32_t i4[6] = {-2147483647, -5, 0, 6, 16777216, 123456};
  const void *src[5] = {f4, u1, i1, i2, i4};
  const char *descr[5] = {"<f4", "|u1", "|i1", "<i2", "<i4"};
  for (int t = 0; t < 5; t++) {
    ck_assert_int_eq(rt_npy_write(tp("r.npy"), descr[t], src[t], 2, shape, err, sizeof err), 0);
    float *d;
    int nd;
    int64_t s[8];
    ck_assert_msg(rt_npy_read(tp("r.npy"), &d, &nd, s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(nd, 2);
    ck_assert(s[0] == 2 && s[1] == 3);
    for (int i = 0; i < 6; i++) {
      float want = t == 0 ? f4[i] : t == 1 ? u1[i] : t == 2 ? i1[i] : t == 3 ? i2[i] : (float)i4[i];
      ck_assert_msg(d[i] == want, "%s[%d]: %g != %g", descr[t], i, d[i], want);
    }
    free(d);
  }
  ck_assert_int_ne(access(tp("r.npy.tmp"), F_OK), 0);
}
END_TEST

START_TEST(npy_write_header_format) {
  char err[256];
  float x[10] = {0};
  int64_t shape[2] = {1, 10};
  ck_assert_int_eq(rt_npy_write(tp("h.npy"), "<f4", x, 2, shape, err, sizeof err), 0);
  unsigned char b[200];
  FILE *f = fopen(tp("h.npy"), "rb");
  size_t n = fread(b, 1, sizeof b, f);
  fclose(f);
  ck_assert_uint_eq(n, 128 + 40);
  ck_assert_int_eq(b[8] | b[9] << 8, 118);
  const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 10), }";
  ck_assert_int_eq(memcmp(b + 10, want, strlen(want)), 0);
  for (size_t i = 10 + strlen(want); i < 127; i++) ck_assert_int_eq(b[i], ' ');
  ck_assert_int_eq(b[127], '\n');
  /* 1-D and scalar shapes use Python tuple syntax */
  int64_t one = 3;
  ck_assert_int_eq(rt_npy_write(tp("h1.npy"), "|u1", x, 1, &one, err, sizeof err), 0);
  f = fopen(tp("h1.npy"), "rb");
  n = fread(b, 1, sizeof b, f);
  fclose(f);
  ck_assert_ptr_nonnull(strstr((char *)b + 10, "'shape': (3,), }"));
  ck_assert_int_eq(rt_npy_write(tp("h0.npy"), "<i4", x, 0, NULL, err, sizeof err), 0);
  f = fopen(tp("h0.npy"), "rb");
  n = fread(b, 1, sizeof b, f);
  fclose(f);
  ck_assert_uint_eq(n, 128 + 4);
  ck_assert_ptr_nonnull(strstr((char *)b + 10, "'shape': (), }"));
  ck_assert_int_ne(rt_npy_write(tp("h2.npy"), "<f8", x, 1, &one, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "unsupported dtype '<f8'"));
  ck_assert_int_ne(rt_npy_write("/nonexistent-dir/x.npy", "<f4", x, 1, &one, err, sizeof err), 0);
}
END_TEST

START_TEST(npy_header_variants) {
  char err[256];
  float *d;
  int nd;
  int64_t s[8];
  float v[3] = {1, 2, 3};
  put_npy(tp("a.npy"), 1, "{ \"shape\" : ( 3 , ) ,'fortran_order':False,  'descr':'<f4'  }\n", v, 12);
  ck_assert_msg(rt_npy_read(tp("a.npy"), &d, &nd, s, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 1 && s[0] == 3 && d[2] == 3.0f);
  free(d);
  put_npy(tp("b.npy"), 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3)}   \n", v, 12);
  ck_assert_msg(rt_npy_read(tp("b.npy"), &d, &nd, s, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 2 && s[0] == 1 && s[1] == 3 && d[0] == 1.0f);
  free(d);
  put_npy(tp("c.npy"), 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", v, 4);
  ck_assert_msg(rt_npy_read(tp("c.npy"), &d, &nd, s, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 0 && d[0] == 1.0f);
  free(d);
  /* empty array */
  put_npy(tp("e.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }\n", v, 0);
  ck_assert_msg(rt_npy_read(tp("e.npy"), &d, &nd, s, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 2 && s[0] == 0);
  free(d);
}
END_TEST

START_TEST(npy_read_converted_dtypes) {
  char err[256];
  float *d;
  int nd;
  int64_t s[8];
  double f8[2] = {1.5, -2.25};
  int64_t i8[2] = {-3, 1LL << 40};
  uint16_t u2[2] = {0, 65535};
  put_npy(tp("f8.npy"), 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", f8, 16);
  ck_assert_int_eq(rt_npy_read(tp("f8.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert(d[0] == 1.5f && d[1] == -2.25f);
  free(d);
  put_npy(tp("i8.npy"), 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", i8, 16);
  ck_assert_int_eq(rt_npy_read(tp("i8.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert(d[0] == -3.0f && d[1] == 1099511627776.0f);
  free(d);
  put_npy(tp("u2.npy"), 1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }\n", u2, 4);
  ck_assert_int_eq(rt_npy_read(tp("u2.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert(d[0] == 0.0f && d[1] == 65535.0f);
  free(d);
}
END_TEST

/* Expects rt_npy_read of dict+raw to fail with `frag` in the message. */
static void npy_expect_fail(const char *dict, size_t nraw, const char *frag) {
  char err[256] = "";
  float *d = (float *)1;
  int nd;
  int64_t s[8];
  static const unsigned char raw[64];
  put_npy(tp("bad.npy"), 1, dict, raw, nraw);
  ck_assert_int_ne(rt_npy_read(tp("bad.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert_ptr_null(d);
  ck_assert_msg(strstr(err, frag) != NULL, "'%s' lacks '%s'", err, frag);
  ck_assert_msg(strstr(err, "bad.npy: ") != NULL, "no path in '%s'", err);
}

START_TEST(npy_errors) {
  npy_expect_fail("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "fortran_order True");
  npy_expect_fail("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "unsupported dtype '>f4'");
  npy_expect_fail("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "unsupported dtype '<c8'");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 8, "truncated");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8, "trailing");
  npy_expect_fail("{'descr': '<f4', 'shape': (2,), }", 8, "lacks");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4, "more than 8");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", 4, "too large");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4, "shape");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8, "unexpected");
  npy_expect_fail("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", 8, "junk");
  npy_expect_fail("['descr']", 8, "not a dict");
  npy_expect_fail("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "descr");
  char err[256];
  float *d;
  int nd;
  int64_t s[8];
  put_file(tp("nomagic.npy"), "hello world, not npy", 20);
  ck_assert_int_ne(rt_npy_read(tp("nomagic.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "bad magic"));
  put_file(tp("short.npy"), "\x93NUMPY\x01\x00\x50\x00{'de", 14);
  ck_assert_int_ne(rt_npy_read(tp("short.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "truncated header"));
  ck_assert_int_ne(rt_npy_read(tp("missing.npy"), &d, &nd, s, err, sizeof err), 0);
  /* a valid file cut short */
  float v[100] = {0};
  int64_t n = 100;
  ck_assert_int_eq(rt_npy_write(tp("cut.npy"), "<f4", v, 1, &n, err, sizeof err), 0);
  ck_assert_int_eq(truncate(tp("cut.npy"), 128 + 399), 0);
  ck_assert_int_ne(rt_npy_read(tp("cut.npy"), &d, &nd, s, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "truncated"));
  /* NULL error buffer is allowed */
  ck_assert_int_ne(rt_npy_read(tp("cut.npy"), &d, &nd, s, NULL, 0), 0);
}
END_TEST

/* ---- image decoding ---------------------------------------------------- */

static void load_ok(const char *path, rt_image *img) {
  char err[256];
  ck_assert_msg(rt_image_load(path, img, err, sizeof err) == 0, "%s", err);
}

static void load_fails(const char *path, const char *frag) {
  char err[256] = "";
  rt_image img;
  ck_assert_int_ne(rt_image_load(path, &img, err, sizeof err), 0);
  ck_assert_ptr_null(img.px);
  ck_assert_msg(strstr(err, frag) != NULL, "'%s' lacks '%s'", err, frag);
}

START_TEST(pnm_formats) {
  rt_image img;
  const char *p2 = "P2\n# a comment\n3 1 # trailing comment\n255\n0 128\n255\n";
  put_file(tp("a.pgm"), p2, strlen(p2));
  load_ok(tp("a.pgm"), &img);
  ck_assert(img.w == 3 && img.h == 1 && img.c == 1);
  ck_assert(img.px[0] == 0 && img.px[1] == 128 && img.px[2] == 255);
  rt_image_free(&img);
  const char *p3 = "P3 1 1 15 15 0 7";
  put_file(tp("a.ppm"), p3, strlen(p3));
  load_ok(tp("a.ppm"), &img);
  ck_assert(img.c == 3 && img.px[0] == 255 && img.px[1] == 0 && img.px[2] == 119);
  rt_image_free(&img);
  const unsigned char p6[] = "P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06";
  put_file(tp("b.ppm"), p6, sizeof p6 - 1);
  load_ok(tp("b.ppm"), &img);
  ck_assert(img.w == 2 && img.c == 3 && img.px[3] == 4 && img.px[5] == 6);
  rt_image_free(&img);
  const unsigned char p5[] = "P5 2 1 65535\n\xff\xff\x80\x00";
  put_file(tp("b.pgm"), p5, sizeof p5 - 1);
  load_ok(tp("b.pgm"), &img);
  ck_assert(img.px[0] == 255 && img.px[1] == 128);
  rt_image_free(&img);
  put_file(tp("c.pgm"), p5, sizeof p5 - 2);
  load_fails(tp("c.pgm"), "truncated");
  put_file(tp("d.pgm"), "P5 2 1 70000\n\0\0\0\0", 17);
  load_fails(tp("d.pgm"), "maxval");
  put_file(tp("e.pgm"), "P2 2 1 255 1", 12);
  load_fails(tp("e.pgm"), "sample");
  put_file(tp("f.pgm"), "P2 2 1 15 1 16", 14);
  load_fails(tp("f.pgm"), "sample");
  put_file(tp("g.pgm"), "P5 0 1 255\n", 11);
  load_fails(tp("g.pgm"), "size");
  put_file(tp("x.img"), "GIF89a....", 10);
  load_fails(tp("x.img"), "unknown image format");
  load_fails(tp("nonexistent.png"), "nonexistent.png");
}
END_TEST

/* Writes a w x h PNG with libpng; px holds w*h*ch samples of `depth` bits
 * (16-bit given as uint16 values).  Palette images use pal[0..npal-1]. */
static void write_png(const char *path, int w, int h, int color, int depth,
                      const void *px, const png_color *pal, int npal) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  ck_assert(png && info);
  if (setjmp(png_jmpbuf(png))) ck_abort_msg("libpng write failed");
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (pal) png_set_PLTE(png, info, pal, npal);
  png_write_info(png, info);
  if (depth == 16) png_set_swap(png);
  int ch = color == PNG_COLOR_TYPE_RGBA ? 4 : color == PNG_COLOR_TYPE_RGB ? 3
           : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  size_t stride = (size_t)w * ch * (depth == 16 ? 2 : 1);
  for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)px + y * stride);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  fclose(f);
}

START_TEST(png_variants) {
  rt_image img;
  uint8_t rgba[2 * 4] = {10, 20, 30, 0, 40, 50, 60, 255};
  write_png(tp("rgba.png"), 2, 1, PNG_COLOR_TYPE_RGBA, 8, rgba, NULL, 0);
  load_ok(tp("rgba.png"), &img);
  ck_assert(img.w == 2 && img.h == 1 && img.c == 3);
  ck_assert(img.px[0] == 10 && img.px[2] == 30 && img.px[3] == 40 && img.px[5] == 60);
  rt_image_free(&img);
  uint16_t g16[4] = {0xffff, 0x8000, 0x7fff, 0x0100};
  write_png(tp("g16.png"), 2, 2, PNG_COLOR_TYPE_GRAY, 16, g16, NULL, 0);
  load_ok(tp("g16.png"), &img);
  ck_assert(img.c == 1 && img.h == 2);
  ck_assert(img.px[0] == 255 && img.px[1] == 128 && img.px[2] == 127 && img.px[3] == 1);
  rt_image_free(&img);
  uint8_t ga[4] = {77, 0, 99, 255};
  write_png(tp("ga.png"), 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga, NULL, 0);
  load_ok(tp("ga.png"), &img);
  ck_assert(img.c == 1 && img.px[0] == 77 && img.px[1] == 99);
  rt_image_free(&img);
  png_color pal[2] = {{255, 0, 0}, {0, 0, 255}};
  uint8_t idx[1] = {0x40}; /* 2-bit indices: 1, 0, 0, 0 */
  write_png(tp("pal.png"), 2, 1, PNG_COLOR_TYPE_PALETTE, 2, idx, pal, 2);
  load_ok(tp("pal.png"), &img);
  ck_assert(img.c == 3 && img.px[0] == 0 && img.px[2] == 255 && img.px[3] == 255 && img.px[5] == 0);
  rt_image_free(&img);
  uint8_t bits[1] = {0xA0}; /* 1-bit gray 1,0,1,0 */
  write_png(tp("g1.png"), 4, 1, PNG_COLOR_TYPE_GRAY, 1, bits, NULL, 0);
  load_ok(tp("g1.png"), &img);
  ck_assert(img.c == 1 && img.px[0] == 255 && img.px[1] == 0 && img.px[2] == 255);
  rt_image_free(&img);
  /* corrupt: truncated, and a flipped byte inside IDAT (CRC error) */
  FILE *f = fopen(tp("rgba.png"), "rb");
  unsigned char buf[512];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  put_file(tp("cut.png"), buf, n - 20);
  load_fails(tp("cut.png"), "corrupt PNG");
  buf[n - 16] ^= 0x55;
  put_file(tp("crc.png"), buf, n);
  load_fails(tp("crc.png"), "corrupt PNG");
  put_file(tp("hdr.png"), buf, 12);
  load_fails(tp("hdr.png"), "corrupt PNG");
}
END_TEST

/* Writes a w x h JPEG (quality 100) from c-channel pixels. */
static void write_jpeg(const char *path, int w, int h, int c, const uint8_t *px) {
  struct jpeg_compress_struct ci;
  struct jpeg_error_mgr jerr;
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ci.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&ci);
  jpeg_stdio_dest(&ci, f);
  ci.image_width = (JDIMENSION)w;
  ci.image_height = (JDIMENSION)h;
  ci.input_components = c;
  ci.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&ci);
  jpeg_set_quality(&ci, 100, TRUE);
  jpeg_start_compress(&ci, TRUE);
  for (int y = 0; y < h; y++) {
    JSAMPROW row = (JSAMPROW)(px + (size_t)y * w * c);
    jpeg_write_scanlines(&ci, &row, 1);
  }
  jpeg_finish_compress(&ci);
  jpeg_destroy_compress(&ci);
  fclose(f);
}

START_TEST(jpeg_decode_and_corrupt) {
  rt_image img;
  uint8_t px[16 * 16 * 3];
  for (int i = 0; i < 16 * 16; i++) px[3 * i] = 200, px[3 * i + 1] = 100, px[3 * i + 2] = 50;
  write_jpeg(tp("a.jpg"), 16, 16, 3, px);
  load_ok(tp("a.jpg"), &img);
  ck_assert(img.w == 16 && img.h == 16 && img.c == 3);
  for (int i = 0; i < 16 * 16 * 3; i++) ck_assert_int_le(abs(img.px[i] - px[i]), 3);
  rt_image_free(&img);
  write_jpeg(tp("g.jpg"), 16, 8, 1, px);
  load_ok(tp("g.jpg"), &img);
  ck_assert(img.w == 16 && img.h == 8 && img.c == 1);
  rt_image_free(&img);
  FILE *f = fopen(tp("a.jpg"), "rb");
  static unsigned char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  put_file(tp("cut.jpg"), buf, n / 2);
  load_fails(tp("cut.jpg"), "corrupt JPEG");
  put_file(tp("hdr.jpg"), buf, 40);
  load_fails(tp("hdr.jpg"), "corrupt JPEG");
  memset(buf + 3, 0xAB, 200);
  put_file(tp("junk.jpg"), buf, n);
  load_fails(tp("junk.jpg"), "corrupt JPEG");
}
END_TEST

/* ---- preprocessing ------------------------------------------------------ */

START_TEST(preproc_defaults_hand_values) {
  rt_preproc p;
  rt_preproc_defaults(&p);
  ck_assert(p.c == 3 && p.h == 224 && p.w == 224 && p.nswap == 3 && p.nmean == 3);
  ck_assert(p.transpose[0] == 2 && p.transpose[1] == 0 && p.transpose[2] == 1);
  ck_assert(p.raw_scale == 255.0f && p.input_scale == 1.0f && p.mean_value[2] == 123.0f);
  /* 2x1 RGB, no resize: out is BGR planes minus 104,117,123 */
  uint8_t px[6] = {10, 20, 30, 200, 150, 100};
  rt_image img = {2, 1, 3, px};
  p.h = 1, p.w = 2;
  float out[6];
  char err[256];
  ck_assert_int_eq(rt_preproc_apply(&p, &img, out, err, sizeof err), 0);
  float want[6] = {30 - 104, 100 - 104, 20 - 117, 150 - 117, 10 - 123, 200 - 123};
  for (int i = 0; i < 6; i++) ck_assert_float_eq(out[i], want[i]);
  /* raw_scale 1 and input_scale 2, RGB order, per-pixel mean */
  float mp[6] = {1, 2, 3, 4, 5, 6};
  p.nswap = 0;
  p.raw_scale = 1.0f;
  p.input_scale = 2.0f;
  p.mean_pixels = mp;
  ck_assert_int_eq(rt_preproc_apply(&p, &img, out, err, sizeof err), 0);
  float want2[6] = {(10 / 255.f - 1) * 2, (200 / 255.f - 2) * 2, (20 / 255.f - 3) * 2,
                    (150 / 255.f - 4) * 2, (30 / 255.f - 5) * 2, (100 / 255.f - 6) * 2};
  for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(out[i], want2[i], 1e-6);
  /* transpose 0,1,2 keeps HWC; a single mean value broadcasts */
  p.mean_pixels = NULL;
  p.transpose[0] = 0, p.transpose[1] = 1, p.transpose[2] = 2;
  p.raw_scale = 255.0f, p.input_scale = 1.0f, p.nmean = 1, p.mean_value[0] = 10;
  ck_assert_int_eq(rt_preproc_apply(&p, &img, out, err, sizeof err), 0);
  for (int i = 0; i < 6; i++) ck_assert_float_eq(out[i], px[i] - 10.0f);
}
END_TEST

START_TEST(preproc_gray_and_resize) {
  char err[256];
  rt_preproc p;
  rt_preproc_defaults(&p);
  p.c = 1, p.h = 1, p.w = 3, p.nswap = 0, p.nmean = 0;
  uint8_t rgb[9] = {255, 0, 0, 0, 255, 0, 0, 0, 255};
  rt_image img = {3, 1, 3, rgb};
  float out[16];
  ck_assert_int_eq(rt_preproc_apply(&p, &img, out, err, sizeof err), 0);
  ck_assert(out[0] == 76.0f && out[1] == 150.0f && out[2] == 29.0f); /* BT.601 fixed point */
  /* gray source replicated into 3 channels */
  uint8_t g[1] = {9};
  rt_image gi = {1, 1, 1, g};
  rt_preproc_defaults(&p);
  p.h = p.w = 1, p.nmean = 0;
  ck_assert_int_eq(rt_preproc_apply(&p, &gi, out, err, sizeof err), 0);
  ck_assert(out[0] == 9.0f && out[1] == 9.0f && out[2] == 9.0f);
  /* upscale 2 -> 3: cv2 rounds the middle sample, float does not */
  uint8_t ramp[2] = {0, 255};
  rt_image ri = {2, 1, 1, ramp};
  rt_preproc_defaults(&p);
  p.c = 1, p.h = 1, p.w = 3, p.nswap = 0, p.nmean = 0;
  ck_assert_int_eq(rt_preproc_apply(&p, &ri, out, err, sizeof err), 0);
  ck_assert(out[0] == 0.0f && out[1] == 128.0f && out[2] == 255.0f);
  p.resize_mode = RT_RESIZE_FLOAT;
  ck_assert_int_eq(rt_preproc_apply(&p, &ri, out, err, sizeof err), 0);
  ck_assert(out[0] == 0.0f && out[1] == 127.5f && out[2] == 255.0f);
  /* 2 -> 4: half-pixel centres give 0, 25, 75, 100 in both modes */
  uint8_t r2[2] = {0, 100};
  rt_image ri2 = {2, 1, 1, r2};
  p.w = 4;
  for (int m = 0; m < 2; m++) {
    p.resize_mode = m;
    ck_assert_int_eq(rt_preproc_apply(&p, &ri2, out, err, sizeof err), 0);
    ck_assert(out[0] == 0.0f && out[1] == 25.0f && out[2] == 75.0f && out[3] == 100.0f);
  }
  /* exact 2x downscale: rounded 2x2 mean (cv2), plain mean (float) */
  uint8_t q[4] = {1, 2, 3, 4};
  rt_image qi = {2, 2, 1, q};
  p.h = p.w = 1;
  p.resize_mode = RT_RESIZE_CV2;
  ck_assert_int_eq(rt_preproc_apply(&p, &qi, out, err, sizeof err), 0);
  ck_assert(out[0] == 3.0f);
  p.resize_mode = RT_RESIZE_FLOAT;
  ck_assert_int_eq(rt_preproc_apply(&p, &qi, out, err, sizeof err), 0);
  ck_assert(out[0] == 2.5f);
}
END_TEST

/* Expects rt_preproc_apply to fail with frag in the message. */
static void preproc_fails(const rt_preproc *p, const char *frag) {
  uint8_t px[3] = {1, 2, 3};
  rt_image img = {1, 1, 3, px};
  float out[3 * 4 * 4];
  char err[256] = "";
  ck_assert_int_ne(rt_preproc_apply(p, &img, out, err, sizeof err), 0);
  ck_assert_msg(strstr(err, frag) != NULL, "'%s' lacks '%s'", err, frag);
}

START_TEST(preproc_validation) {
  rt_preproc p;
  rt_preproc_defaults(&p);
  p.c = 1, p.h = p.w = 4, p.nmean = 0;
  preproc_fails(&p, "channel_swap has 3 entries but the input has 1 channel(s) (gray");
  p.nswap = 1, p.channel_swap[0] = 0;
  p.nmean = 3;
  preproc_fails(&p, "3 mean values for 1 channel(s)");
  rt_preproc_defaults(&p);
  p.h = p.w = 4;
  p.channel_swap[0] = 1;
  preproc_fails(&p, "not a permutation of 0..2");
  rt_preproc_defaults(&p);
  p.h = p.w = 4;
  p.transpose[1] = 2;
  preproc_fails(&p, "transpose");
  rt_preproc_defaults(&p);
  p.h = p.w = 4;
  p.c = 2;
  preproc_fails(&p, "2 input channels");
  rt_preproc_defaults(&p);
  p.h = 0;
  preproc_fails(&p, "bad input size");
  rt_preproc_defaults(&p);
  p.h = p.w = 4;
  p.nmean = 2;
  preproc_fails(&p, "2 mean values");
}
END_TEST

START_TEST(parse_flags) {
  int v[4], n = -1;
  ck_assert_int_eq(rt_preproc_parse_ints("2,1,0", v, 4, &n), 0);
  ck_assert(n == 3 && v[0] == 2 && v[1] == 1 && v[2] == 0);
  ck_assert_int_eq(rt_preproc_parse_ints(" 7 , -1 ", v, 4, &n), 0);
  ck_assert(n == 2 && v[0] == 7 && v[1] == -1);
  const char *bad[] = {"", "2,,0", "2,1,", "a", "1x", "1,2,3,4,5", "99999999999", "1.5", ",1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(rt_preproc_parse_ints(bad[i], v, 4, &n) != 0, "accepted '%s'", bad[i]);
  ck_assert_int_ne(rt_preproc_parse_ints(NULL, v, 4, &n), 0);
  float f[4];
  ck_assert_int_eq(rt_preproc_parse_floats("104,117.5, 1e-2", f, 4, &n), 0);
  ck_assert(n == 3 && f[0] == 104.0f && f[1] == 117.5f && f[2] == 0.01f);
  const char *badf[] = {"nan", "inf", "1e999", "1,x", "", "1;2"};
  for (size_t i = 0; i < sizeof badf / sizeof badf[0]; i++)
    ck_assert_msg(rt_preproc_parse_floats(badf[i], f, 4, &n) != 0, "accepted '%s'", badf[i]);
}
END_TEST

/* ---- IDX ---------------------------------------------------------------- */

START_TEST(idx_load) {
  unsigned char hd[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
  unsigned char px[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255};
  gzFile g = gzopen(tp("i.idx.gz"), "wb");
  gzwrite(g, hd, 16);
  gzwrite(g, px, 12);
  gzclose(g);
  uint8_t *d;
  int nd;
  int32_t dims[4];
  char err[256];
  ck_assert_msg(rt_idx_load(tp("i.idx.gz"), &d, &nd, dims, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 3 && dims[0] == 2 && dims[1] == 2 && dims[2] == 3);
  ck_assert(d[0] == 0 && d[11] == 255);
  free(d);
  g = gzopen(tp("cut.idx.gz"), "wb");
  gzwrite(g, hd, 16);
  gzwrite(g, px, 11);
  gzclose(g);
  ck_assert_int_ne(rt_idx_load(tp("cut.idx.gz"), &d, &nd, dims, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "truncated"));
  hd[2] = 0x0D;
  put_file(tp("f.idx"), hd, 16);
  ck_assert_int_ne(rt_idx_load(tp("f.idx"), &d, &nd, dims, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(err, "element type"));
  ck_assert_int_ne(rt_idx_load(tp("none.gz"), &d, &nd, dims, err, sizeof err), 0);
}
END_TEST

/* ---- against ../shared references --------------------------------------- */

/* Returns the shared dir or NULL (after printing SKIP). */
static const char *shared_dir(void) {
  static char buf[1024];
  const char *e = getenv("CHAI_SHARED");
  if (e && *e)
    snprintf(buf, sizeof buf, "%s", e);
  else
    snprintf(buf, sizeof buf, "%s/../shared", CHAI_REPO_ROOT);
  struct stat st;
  char probe[1100];
  snprintf(probe, sizeof probe, "%s/models", buf);
  if (stat(probe, &st) != 0) {
    printf("SKIP: ../shared not found (%s); set CHAI_SHARED\n", buf);
    return NULL;
  }
  return buf;
}

/* Preprocesses image with p and returns the max |diff| to ref/input.npy. */
static float ref_diff(const char *sh, const char *image, const char *model,
                      rt_preproc *p) {
  char path[1200], err[512];
  rt_image img;
  snprintf(path, sizeof path, "%s/data/%s", sh, image);
  ck_assert_msg(rt_image_load(path, &img, err, sizeof err) == 0, "%s", err);
  size_t n = (size_t)p->c * p->h * p->w;
  float *out = malloc(n * sizeof *out), *ref;
  ck_assert_msg(rt_preproc_apply(p, &img, out, err, sizeof err) == 0, "%s", err);
  int nd;
  int64_t s[8];
  snprintf(path, sizeof path, "%s/models/%s/ref/input.npy", sh, model);
  ck_assert_msg(rt_npy_read(path, &ref, &nd, s, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 4 && (size_t)(s[1] * s[2] * s[3]) == n);
  float md = 0;
  for (size_t i = 0; i < n; i++) md = fmaxf(md, fabsf(out[i] - ref[i]));
  free(out), free(ref);
  rt_image_free(&img);
  return md;
}

START_TEST(shared_references) {
  const char *sh = shared_dir();
  if (!sh) return;
  char path[1200], err[512];
  rt_preproc p;
  /* cifar10_quick: RGB, per-pixel mean, no scale */
  float *mean;
  int nd;
  int64_t s[8];
  snprintf(path, sizeof path, "%s/data/cifar10/mean.npy", sh);
  ck_assert_msg(rt_npy_read(path, &mean, &nd, s, err, sizeof err) == 0, "%s", err);
  rt_preproc_defaults(&p);
  p.h = p.w = 32, p.nswap = 0, p.mean_pixels = mean;
  ck_assert_float_eq(ref_diff(sh, "cifar10/cat10.png", "cifar10_quick", &p), 0.0f);
  free(mean);
  /* yufacedetect: BGR 0..255, exact 2x downscale of a 640x480 JPEG */
  rt_preproc_defaults(&p);
  p.h = 240, p.w = 320, p.nmean = 0;
  ck_assert_float_eq(ref_diff(sh, "faces/keliamoniz1.jpg", "yufacedetect_ssd", &p), 0.0f);
  /* ultraface: RGB, mean 127, scale 1/128, 1024x484 -> 320x240 */
  rt_preproc_defaults(&p);
  p.h = 240, p.w = 320, p.nswap = 0, p.nmean = 1, p.mean_value[0] = 127, p.input_scale = 0.0078125f;
  ck_assert_float_eq(ref_diff(sh, "faces/ultraface_imgs_2.jpg", "ultraface_slim320", &p), 0.0f);
  /* hyperlpr: gray, scale 1/255, 450x431 -> 14x30 */
  rt_preproc_defaults(&p);
  p.c = 1, p.h = 30, p.w = 14, p.nswap = 0, p.nmean = 0, p.input_scale = (float)(1.0 / 255);
  ck_assert_float_eq(ref_diff(sh, "faces/mtcnn_test2.jpg", "hyperlpr_charrec", &p), 0.0f);
  /* MNIST IDX: first image equals lenet_mnist's input / 0.00390625 */
  uint8_t *d;
  int32_t dims[4];
  snprintf(path, sizeof path, "%s/data/mnist/t10k-images-idx3-ubyte.gz", sh);
  ck_assert_msg(rt_idx_load(path, &d, &nd, dims, err, sizeof err) == 0, "%s", err);
  ck_assert(nd == 3 && dims[0] == 10000 && dims[1] == 28 && dims[2] == 28);
  float *ref;
  snprintf(path, sizeof path, "%s/models/lenet_mnist/ref/input.npy", sh);
  ck_assert_msg(rt_npy_read(path, &ref, &nd, s, err, sizeof err) == 0, "%s", err);
  for (int i = 0; i < 28 * 28; i++) ck_assert_float_eq(d[i] * 0.00390625f, ref[i]);
  free(ref), free(d);
}
END_TEST

/* ---- runner ------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/test_rt_io_XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  Suite *s = suite_create("rt_io");
  TCase *npy = tcase_create("npy"), *img = tcase_create("image"),
        *pre = tcase_create("preproc"), *misc = tcase_create("idx_shared");
  tcase_add_test(npy, npy_roundtrip_all_dtypes);
  tcase_add_test(npy, npy_write_header_format);
  tcase_add_test(npy, npy_header_variants);
  tcase_add_test(npy, npy_read_converted_dtypes);
  tcase_add_test(npy, npy_errors);
  tcase_add_test(img, pnm_formats);
  tcase_add_test(img, png_variants);
  tcase_add_test(img, jpeg_decode_and_corrupt);
  tcase_add_test(pre, preproc_defaults_hand_values);
  tcase_add_test(pre, preproc_gray_and_resize);
  tcase_add_test(pre, preproc_validation);
  tcase_add_test(pre, parse_flags);
  tcase_add_test(misc, idx_load);
  tcase_add_test(misc, shared_references);
  tcase_set_timeout(misc, 60);
  suite_add_tcase(s, npy);
  suite_add_tcase(s, img);
  suite_add_tcase(s, pre);
  suite_add_tcase(s, misc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return failed ? 1 : 0;
}
