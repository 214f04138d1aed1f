/* caffemodel.h - streaming reader for binary .caffemodel weight files.
 *
 * A .caffemodel is a serialized caffe.NetParameter.  Only the weights are
 * read from it (the prototxt is authoritative for everything else): for each
 * layer its name, its type and its blobs.  The file is mmap'ed and the
 * protobuf wire format is walked directly, copying float data into one
 * malloc'ed array per blob and releasing consumed pages of the mapping
 * behind the cursor, so peak memory stays close to the file size even for
 * files of hundreds of megabytes.
 *
 * Supported layouts: NetParameter.layer (field 100, LayerParameter),
 * NetParameter.layers (field 2, V1LayerParameter) and V1 layers that wrap a
 * V0LayerParameter (V1 field 1).  Blob data may be packed or unpacked floats
 * (data, field 5), doubles (double_data, field 8; converted to float as a C
 * cast does and preferred over `data` when present, as Caffe does) or
 * NVIDIA Caffe's raw_data (field 12) typed by raw_data_type (field 10:
 * FLOAT16, converted exactly, inf/NaN rejected; FLOAT; DOUBLE, also when
 * the type is absent), preferred over both.  Shapes come from BlobShape
 * (field 7) when present, else from the legacy num/channels/height/width
 * fields.
 *
 * A file with no layers (empty, or the net's name only: what Caffe writes
 * for a net without learned blobs) loads as a model with no layers; a text
 * file or one whose fields are not NetParameter fields is an error.
 *
 * Every malformed input (truncation, bad varint, bad wire type, length past
 * the end, shape/data mismatch) is reported through Diag with the byte
 * offset and the layer/blob being read; the loader then returns NULL.
 */
#ifndef CHAI_CAFFEMODEL_H
#define CHAI_CAFFEMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

#define CM_MAX_DIMS 8

typedef struct CmBlob {
  int nd;                    /* number of dims (legacy: always 4) */
  int64_t dim[CM_MAX_DIMS];  /* dims, outermost first */
  bool legacy;               /* shape came from num/channels/height/width */
  int64_t count;             /* number of floats == product of dims */
  float *data;               /* malloc'ed, count floats (NULL if count 0) */
} CmBlob;

typedef struct CmLayer {
  const char *name; /* "" when the file has none */
  /* Layer type: the type string for LayerParameter (and V0 layers), the
   * enum name (e.g. "CONVOLUTION") for V1 layers, or the number as text for
   * an enum value the schema does not know.  "" when absent. */
  const char *type;
  int v1_type;      /* V1 enum value; -1 for new-format and V0 layers */
  int nblob;
  CmBlob *blob;     /* arena array of nblob */
  size_t offset;    /* byte offset of the layer's field tag in the file */
} CmLayer;

typedef struct CmModel {
  const char *path;
  int nlayer;
  CmLayer *layer; /* arena array, in file order */
  int64_t nbytes; /* file size */
} CmModel;

/* Load `path`.  Names, types and the arrays live in `ar`; blob data is
 * malloc'ed (free it with cm_free).  Returns NULL after reporting at least
 * one error to `dg`. */
CmModel *cm_load(const char *path, Arena *ar, Diag *dg);

/* Same as cm_load for an in-memory image of a caffemodel (tests, fuzzing).
 * `path` is only used in messages and stored in the model. */
CmModel *cm_load_mem(const void *buf, size_t n, const char *path, Arena *ar,
                     Diag *dg);

/* The first layer called `name`, or NULL. */
const CmLayer *cm_find(const CmModel *m, const char *name);

/* Free the blob data of `m` (the rest belongs to the arena).  NULL is ok. */
void cm_free(CmModel *m);

#endif
