/* dump.h - writing blobs as .npy files with a manifest.json, named as the
 * references in ../shared/models/<m>/ref are: one file per layer (its first
 * top), the layer name sanitized to [A-Za-z0-9._-]. */
#ifndef CHAI_DUMP_H
#define CHAI_DUMP_H

#include "interp.h"

/* Copies name into out with every character outside [A-Za-z0-9._-]
 * replaced by '_'. */
void dump_sanitize(const char *name, char *out, size_t n);
/* mkdir -p; 0 on success (reported otherwise). */
int dump_mkdirs(const char *dir, Diag *dg);
/* Writes every layer's first top (all = 1) or only the network outputs
 * (all = 0) of the interpreter's last run, plus manifest.json. */
int dump_write(const Interp *in, const char *dir, int all, Diag *dg);

#endif
