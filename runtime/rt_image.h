/* rt_image.h - image decoding (JPEG, PNG, PGM/PPM) and Caffe-style input
 * preprocessing for the generated classifiers and the test tools.
 *
 * Errors: functions returning int give 0 on success and non-zero on
 * failure with a one-line message in the caller's err buffer (err may be
 * NULL).  Corrupt files never crash, exit or abort.
 */
#ifndef RT_IMAGE_H
#define RT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* An 8-bit image, interleaved rows, w*h*c bytes.  c is 1 for gray sources
 * and 3 (R,G,B order) for everything else; alpha is always dropped. */
typedef struct rt_image {
  int w, h, c;
  uint8_t *px;
} rt_image;

/* Decodes the file at path, chosen by magic bytes (not the extension):
 * JPEG (libjpeg; gray stays gray, CMYK/YCCK converted to RGB), PNG (any bit
 * depth and color type; palette and tRNS expanded, alpha dropped, 16-bit
 * reduced to the high byte like OpenCV), PGM/PPM P2/P3/P5/P6 (comments,
 * maxval 1..65535, rescaled as round(v*255/maxval)).  On success img->px is
 * malloc'ed; release with rt_image_free.  On failure img is zeroed. */
int rt_image_load(const char *path, rt_image *img, char *err, size_t errlen);

/* Frees img->px and zeroes img; safe on a zeroed image. */
void rt_image_free(rt_image *img);

/* How rt_preproc_apply resizes the image to h x w.  Both sample at
 * half-pixel centres: src = (dst + 0.5) * (in / out) - 0.5, clamped to the
 * edge (no anti-aliasing).
 *  RT_RESIZE_CV2: bit-exact cv2.resize(INTER_LINEAR) on 8-bit data: 11-bit
 *    fixed-point weights, rounded 8-bit result; an exact 2x downscale is a
 *    rounded 2x2 average, as OpenCV does.  This is what the references in
 *    ../shared were made with.
 *  RT_RESIZE_FLOAT: float bilinear of the 8-bit samples, no rounding (the
 *    caffe.io.resize_image / skimage order=1 path without anti-aliasing). */
enum { RT_RESIZE_CV2 = 0, RT_RESIZE_FLOAT = 1 };

/* Preprocessing as caffe.io.Transformer applies it to caffe.io.load_image's
 * output (RGB in [0,1]):
 *   channels adapted to c (gray replicated to 3; colour converted to gray
 *   with OpenCV's BT.601 fixed point Y = (4899 R + 9617 G + 1868 B + 8192)
 *   >> 14, computed on the 8-bit pixels before the resize, like
 *   cv2.cvtColor(BGR2GRAY)), resize to h x w, transpose (axes of H,W,C;
 *   default 2,0,1 = CHW), channel_swap on the first output axis (default
 *   2,1,0: RGB -> BGR; nswap 0 = none), raw_scale (multiply the [0,1] data;
 *   computed as pixel * (raw_scale / 255) so raw_scale 255 gives the 8-bit
 *   values exactly), mean subtraction (nmean values along the first output
 *   axis, 1 value broadcast, or mean_pixels: a full array in the output
 *   layout; mean_pixels wins when both are set), input_scale (multiply). */
typedef struct rt_preproc {
  int c, h, w;
  int transpose[3];
  int channel_swap[4];
  int nswap;
  float raw_scale;
  int nmean;
  float mean_value[4];
  const float *mean_pixels; /* c*h*w in output layout, or NULL */
  float input_scale;
  int resize_mode; /* RT_RESIZE_CV2 (default) or RT_RESIZE_FLOAT */
} rt_preproc;

/* XportDNN defaults: 3x224x224, transpose 2,0,1, channel_swap 2,1,0,
 * raw_scale 255, mean 104,117,123, input_scale 1, RT_RESIZE_CV2. */
void rt_preproc_defaults(rt_preproc *p);

/* Fills out[c*h*w] from img as described above.  Validates the settings
 * (c is 1 or 3, h/w positive, transpose a permutation, channel_swap a
 * permutation of the first output axis, nmean 0/1/that axis' size). */
int rt_preproc_apply(const rt_preproc *p, const rt_image *img, float *out,
                     char *err, size_t errlen);

/* Parses "2,1,0" into out[0..max-1], *n = count.  Whitespace around items
 * is allowed; empty items, junk, out-of-range values and more than max
 * items are rejected (returns non-zero, *n untouched). */
int rt_preproc_parse_ints(const char *csv, int *out, int max, int *n);

/* Like rt_preproc_parse_ints for finite floats ("104,117,123", "0.5"). */
int rt_preproc_parse_floats(const char *csv, float *out, int max, int *n);

#endif
