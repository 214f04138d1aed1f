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
/* manifest.json written to a temp name in dir: dump_manifest_open returns
 * the stream (tmp receives its name; NULL on error, reported);
 * dump_manifest_close closes it and renames it into place, or removes it
 * when bad != 0 or the write failed.  0 on success. */
FILE *dump_manifest_open(const char *dir, char *tmp, size_t ntmp, Diag *dg);
int dump_manifest_close(FILE *mf, const char *tmp, const char *dir, int bad, Diag *dg);
/* Writes s as a JSON string literal. */
void dump_json_str(FILE *f, const char *s);
/* Writes every layer's first top (all = 1) or only the network outputs
 * (all = 0) of the interpreter's last run, plus manifest.json. */
int dump_write(const Interp *in, const char *dir, int all, Diag *dg);

#endif
