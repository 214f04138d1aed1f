/* rt_idx.h - MNIST-style IDX files (gzip'd or plain) of unsigned bytes.
 *
 * Errors: 0 on success, non-zero with "<path>: <reason>" in err.
 */
#ifndef RT_IDX_H
#define RT_IDX_H

#include <stddef.h>
#include <stdint.h>

#define RT_IDX_MAXDIM 4

/* Loads an IDX file of type 0x08 (unsigned byte), e.g.
 * t10k-images-idx3-ubyte.gz (dims 10000,28,28) or the labels file (dims
 * 10000).  gzip'd and uncompressed files are both accepted.  *data is
 * malloc'ed (caller frees); *ndim is 1..4 and dims[] the sizes.  A short
 * file, other element types, or a size over 1 GiB are errors. */
int rt_idx_load(const char *path_gz, uint8_t **data, int *ndim,
                int32_t dims[RT_IDX_MAXDIM], char *err, size_t errlen);

#endif
