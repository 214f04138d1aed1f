/* dump.c - blobs to .npy files with a manifest (see dump.h). */
#include "dump.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/rt_npy.h"

void dump_sanitize(const char *name, char *out, size_t n) {
  size_t k = 0;
  for (; name[k] && k + 1 < n; k++) {
    char c = name[k];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out[k] = ok ? c : '_';
  }
  if (n) out[k] = 0;
}

int dump_mkdirs(const char *dir, Diag *dg) {
  char buf[4096];
  size_t n = strlen(dir);
  if (n >= sizeof buf) {
    diag_error(dg, SRCLOC_NONE, "path too long: %s", dir);
    return -1;
  }
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == 0) {
      char c = buf[i];
      buf[i] = 0;
      if (mkdir(buf, 0777) && errno != EEXIST) {
        diag_error(dg, (SrcLoc){buf, 0, 0}, "cannot create directory: %s", strerror(errno));
        return -1;
      }
      buf[i] = c;
    }
  }
  return 0;
}

void dump_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* True when layer i names the file of its first top: the blob is still
 * computed (by a live producer, as one of its tops) and no later layer
 * writes it.  After the passes a fused layer (ReLU into Convolution, say)
 * is dead but keeps its top, which its producer now writes: the file keeps
 * the last original writer's name, as `chaicc run -o` without --passes and
 * the generated programs name it. */
static bool names_blob(const Net *n, int i) {
  const Blob *b = n->layers[i]->top[0];
  const Layer *p = b->producer;
  if (p) { /* a blob a pass left behind is not computed any more */
    bool top = false;
    for (int k = 0; k < p->ntop; k++) top |= p->top[k] == b;
    if (p->dead || !top) return false;
  }
  for (int j = i + 1; j < n->nlayer; j++)
    if (n->layers[j]->ntop > 0 && n->layers[j]->top[0] == b) return false;
  return true;
}

int dump_write(const Interp *in, const char *dir, int all, Diag *dg) {
  const Net *n = in->net;
  if (dump_mkdirs(dir, dg)) return -1;
  char path[4096], tmp[4200], name[1024], err[512];
  FILE *mf = dump_manifest_open(dir, tmp, sizeof tmp, dg);
  if (!mf) return -1;
  fprintf(mf, "{\n \"chaicc\": \"%s\",\n \"layers\": [", CHAI_VERSION);
  int first = 1, bad = 0;
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->ntop == 0) continue;
    const Blob *b = l->top[0];
    int is_out = 0;
    for (int t = 0; t < l->ntop; t++) is_out |= l->top[t]->is_output;
    if ((!all && !b->is_output) || !names_blob(n, i)) continue;
    const rt_shape *s = in_shape(in, b);
    dump_sanitize(l->name, name, sizeof name - 8);
    strcat(name, ".npy");
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int64_t d[RT_MAXDIM];
    for (int k = 0; k < s->nd; k++) d[k] = s->d[k];
    if (rt_npy_write(path, "<f4", in_blob(in, b), s->nd, d, err, sizeof err)) {
      diag_error(dg, (SrcLoc){path, 0, 0}, "%s", err);
      bad = 1;
    }
    fprintf(mf, "%s\n  {\"layer\": ", first ? "" : ",");
    dump_json_str(mf, l->name);
    fprintf(mf, ", \"type\": ");
    dump_json_str(mf, l->type);
    fprintf(mf, ", \"top\": ");
    dump_json_str(mf, b->name);
    fprintf(mf, ", \"file\": ");
    dump_json_str(mf, name);
    fprintf(mf, ", \"shape\": [");
    for (int k = 0; k < s->nd; k++) fprintf(mf, "%s%d", k ? ", " : "", s->d[k]);
    fprintf(mf, "], \"is_output\": %s}", is_out ? "true" : "false");
    first = 0;
  }
  fprintf(mf, "\n ]\n}\n");
  return dump_manifest_close(mf, tmp, dir, bad, dg);
}

FILE *dump_manifest_open(const char *dir, char *tmp, size_t ntmp, Diag *dg) {
  snprintf(tmp, ntmp, "%s/manifest.json.tmp.%ld", dir, (long)getpid());
  FILE *mf = fopen(tmp, "w");
  if (!mf) diag_error(dg, (SrcLoc){tmp, 0, 0}, "cannot write: %s", strerror(errno));
  return mf;
}

int dump_manifest_close(FILE *mf, const char *tmp, const char *dir, int bad, Diag *dg) {
  char path[4200];
  if (fclose(mf) || bad) {
    unlink(tmp);
    if (!bad) diag_error(dg, (SrcLoc){tmp, 0, 0}, "write failed");
    return -1;
  }
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  if (rename(tmp, path)) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot rename: %s", strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}
