/* rt_npy.h - read and write NumPy .npy files (input loading and dumps).
 *
 * Errors: every function returns 0 on success and non-zero on failure, with
 * a one-line message "<path>: <reason>" in the caller's err buffer (err may
 * be NULL, errlen may be 0).  Nothing here exits or aborts.
 */
#ifndef RT_NPY_H
#define RT_NPY_H

#include <stddef.h>
#include <stdint.h>

#define RT_NPY_MAXDIM 8

/* Reads a C-order .npy file (format v1, v2 or v3) into a newly malloc'ed
 * float array; the CALLER FREES *data with free().  Supported dtypes, all
 * converted to float: <f4 <f8 <i2 <i4 <i8 <u2 |u1 |i1.  On success *ndim is
 * the rank (0..8) and shape[0..ndim-1] the dimensions.  Fortran order,
 * big-endian dtypes, rank > 8, a size that overflows, and a file whose size
 * does not match its header (truncated or trailing bytes) are errors.
 * On failure *data is NULL. */
int rt_npy_read(const char *path, float **data, int *ndim,
                int64_t shape[RT_NPY_MAXDIM], char *err, size_t errlen);

/* Writes `data` (host-order elements of type descr: "<f4", "|u1", "|i1",
 * "<i2" or "<i4") as a v1.0 .npy file with numpy 1.x's exact header text
 * padded to a multiple of 64 bytes.  The file is written to
 * "<path>.tmp.<pid>" and renamed over path, so a failure never leaves a
 * partial file at path.  ndim is 0..8. */
int rt_npy_write(const char *path, const char *descr, const void *data,
                 int ndim, const int64_t *shape, char *err, size_t errlen);

#endif
