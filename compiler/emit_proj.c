/* emit_proj.c - the generated project and the emitters' driver (see
 * emit_proj.h). */
#define _XOPEN_SOURCE 700
#include "emit_proj.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "emit_c.h"
#include "emit_fx.h"
#include "emit_util.h"
#include "lua_host.h"
#include "strbuf.h"

typedef struct Ep {
  Net *n;
  const PsPlan *plan;
  const EpOpts *o;
  Diag *dg;
  Arena *ar;
  LhHost *lh;
  EuProv prov;
  Ec *ec;
  EfCtx *fx;
  int bad;
} Ep;

static const char *render(Ep *p, const char *tmpl) { return eu_render(p->lh, p->ar, tmpl, &p->bad); }

static int write_text(Ep *p, const char *dir, const char *name, const char *s) {
  return !s || eu_write(p->dg, dir, name, s, strlen(s)) ? -1 : 0;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}
static void rm_rf(const char *dir) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

/* dir/main.c (c/main): the command-line program around the net. */
static int write_main(Ep *p, const char *dir) {
  Net *n = p->n;
  LhHost *h = p->lh;
  Arena *ar = p->ar;
  const Blob *inb = n->inputs[0];
  int64_t d[RT_MAXDIM];
  lh_begin(h);
  eu_prov(h, ar, &p->prov);
  for (int k = 0; k < inb->shape.nd; k++) d[k] = inb->shape.d[k];
  lh_set_ints(h, "in_dims", d, inb->shape.nd);
  lh_list_begin(h, "outputs");
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    const char *lname = ps_blob_layer_name(n, b);
    const Layer *pl = NULL;
    for (int k = n->nlayer - 1; k >= 0 && !pl; k--)
      if (n->layers[k]->ntop && n->layers[k]->top[0] == b) pl = n->layers[k];
    char file[1024];
    dump_sanitize(lname, file, sizeof file - 8);
    strcat(file, ".npy");
    lh_item_begin(h);
    for (int k = 0; k < b->shape.nd; k++) d[k] = b->shape.d[k];
    lh_set_ints(h, "dims", d, b->shape.nd);
    lh_set_int(h, "count", rt_shape_count(&b->shape));
    lh_set_str(h, "file", eu_c_string(ar, file));
    lh_set_str(h, "layer", eu_c_string(ar, lname));
    lh_set_str(h, "type", eu_c_string(ar, pl ? pl->type : "Input"));
    lh_set_str(h, "top", eu_c_string(ar, b->name));
    lh_set_bool(h, "written", pl != NULL); /* `chaicc run -o` writes first tops only */
    lh_set_bool(h, "detout", pl && (lk_is(pl->kind, LKF_DETROWS) || !strcmp(pl->type, "DetectionOutput")));
    lh_set_int(h, "bax", p->o->bax ? p->o->bax[b->id] : 0); /* the batch rule */
    lh_item_end(h);
  }
  lh_list_end(h);
  lh_set_bool(h, "batch_items", p->o->bax != NULL);
  lh_set_bool(h, "image_ok", p->o->image_ok);
  if (p->o->image_ok) {
    const rt_preproc *pp = &p->o->pp;
    lh_set_int(h, "pp_c", pp->c), lh_set_int(h, "pp_h", pp->h), lh_set_int(h, "pp_w", pp->w);
    lh_set_str(h, "pp_transpose", eu_ints(ar, pp->transpose, 3));
    lh_set_str(h, "pp_swap", eu_ints(ar, pp->channel_swap, 4));
    lh_set_int(h, "pp_nswap", pp->nswap);
    eu_set_float(h, "pp_raw_scale", pp->raw_scale);
    lh_set_int(h, "pp_nmean", pp->nmean);
    lh_set_str(h, "pp_mean", eu_floats(ar, pp->mean_value, 4));
    eu_set_float(h, "pp_input_scale", pp->input_scale);
    lh_set_int(h, "pp_resize", pp->resize_mode);
    if (pp->mean_pixels)
      lh_set_str(h, "pp_mean_pixels", eu_fbody(ar, pp->mean_pixels, (int64_t)pp->c * pp->h * pp->w));
  }
  return write_text(p, dir, "main.c", render(p, "c/main"));
}

/* Streams every weight array to dir/name at its offset (zero padding in
 * between), without a copy of the whole blob in memory. */
static int write_weights_bin(Ep *p, const char *dir, const char *name) {
  int nw;
  int64_t wfloats;
  const EcWeight *ws = ec_weights(p->ec, &nw, &wfloats);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  static const float zeros[16];
  int64_t at = 0;
  for (int i = 0; f && i < nw; i++) {
    const EcWeight *w = &ws[i];
    if (at < w->off) fwrite(zeros, sizeof(float), (size_t)(w->off - at), f);
    fwrite(w->d, sizeof(float), (size_t)w->count, f);
    at = w->off + w->count;
  }
  if (f && at < wfloats) fwrite(zeros, sizeof(float), (size_t)(wfloats - at), f);
  if (!f || ferror(f) | fclose(f)) {
    diag_error(p->dg, (SrcLoc){path, 0, 0}, "cannot write: %s", strerror(errno));
    return -1;
  }
  return 0;
}

/* The weights blob dir/<base>_weights.bin and its dir/<base>_weights.S
 * (c/incbin). */
static int write_blob(Ep *p, const char *dir) {
  const char *base = p->prov.base;
  if (write_weights_bin(p, dir, ar_printf(p->ar, "%s_weights.bin", base))) return -1;
  lh_begin(p->lh);
  eu_prov(p->lh, p->ar, &p->prov);
  lh_set_str(p->lh, "blob", ar_printf(p->ar, "%s_weights", p->prov.prefix));
  lh_set_str(p->lh, "file", ar_printf(p->ar, "%s_weights.bin", base));
  return write_text(p, dir, ar_printf(p->ar, "%s_weights.S", base), render(p, "c/incbin"));
}

/* Copies each plugin's source (relative paths are relative to the YAML
 * config's directory) to dir/plugins/<file name>; names[0..*np) get the
 * paths the CMakeLists uses.  A plugin without a source is left to the
 * user (warning).  Returns -1 after reporting at the declaration. */
static int copy_plugins(Ep *p, const char *dir, const char **names, int *np) {
  int nplugin;
  const IrCustomType *const *plugins = ec_plugins(p->ec, &nplugin);
  *np = 0;
  for (int i = 0; i < nplugin; i++) {
    const IrCustomType *ct = plugins[i];
    if (!ct->source) {
      diag_warn(p->dg, ct->loc, "plugin '%s' has no source: link the function '%s' yourself",
                ct->type, ct->fn);
      continue;
    }
    const char *src = ct->source;
    const char *cf = p->o->cfg ? p->o->cfg->file : NULL, *cs = cf ? strrchr(cf, '/') : NULL;
    if (src[0] != '/' && cs) src = ar_printf(p->ar, "%.*s/%s", (int)(cs - cf), cf, src);
    const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
    const char *rel = ar_printf(p->ar, "plugins/%s", base);
    bool dup = false;
    for (int k = 0; k < *np; k++) dup |= !strcmp(names[k], rel);
    if (dup) continue; /* one source for several plugin types */
    FILE *f = fopen(src, "rb");
    Sb b = {0};
    char chunk[8192];
    size_t r;
    if (f)
      while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) sb_put(&b, chunk, r);
    if (!f || ferror(f)) {
      diag_error(p->dg, ct->loc, "cannot read the source of plugin '%s': %s: %s", ct->type, src,
                 strerror(errno));
      if (f) fclose(f);
      free(b.s);
      return -1;
    }
    fclose(f);
    char *pdir = ar_printf(p->ar, "%s/plugins", dir);
    if (*np == 0 && mkdir(pdir, 0777)) {
      diag_error(p->dg, (SrcLoc){pdir, 0, 0}, "cannot create: %s", strerror(errno));
      free(b.s);
      return -1;
    }
    int rc = eu_write(p->dg, dir, rel, b.s ? b.s : "", b.n);
    free(b.s);
    if (rc) return -1;
    names[(*np)++] = rel;
  }
  return 0;
}

/* dir/cmake/<triple>.cmake for the Zynq CPUs (c/toolchain). */
static int write_toolchains(Ep *p, const char *dir) {
  static const struct { const char *triple, *proc, *what, *cflags, *qemu; } tc[] = {
      {"aarch64-linux-gnu", "aarch64", "Zynq UltraScale+ MPSoC, Cortex-A53", "-mcpu=cortex-a53",
       "qemu-aarch64"},
      {"arm-linux-gnueabihf", "arm", "Zynq-7000, Cortex-A9",
       "-mcpu=cortex-a9 -mfpu=neon -mfloat-abi=hard", "qemu-arm"},
  };
  LhHost *h = p->lh;
  char *cdir = ar_printf(p->ar, "%s/cmake", dir);
  if (mkdir(cdir, 0777)) {
    diag_error(p->dg, (SrcLoc){cdir, 0, 0}, "cannot create: %s", strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
    lh_begin(h);
    lh_set_str(h, "version", CHAI_VERSION);
    lh_set_str(h, "triple", tc[i].triple), lh_set_str(h, "processor", tc[i].proc);
    lh_set_str(h, "what", tc[i].what), lh_set_str(h, "cflags", tc[i].cflags);
    lh_set_str(h, "qemu", tc[i].qemu);
    if (write_text(p, dir, ar_printf(p->ar, "cmake/%s.cmake", tc[i].triple), render(p, "c/toolchain")))
      return -1;
  }
  return 0;
}

/* dir/runtime/: the runtime sources embedded in chaicc. */
static int copy_runtime(Ep *p, const char *dir) {
  char rdir[4200];
  snprintf(rdir, sizeof rdir, "%s/runtime", dir);
  if (mkdir(rdir, 0777)) {
    diag_error(p->dg, (SrcLoc){rdir, 0, 0}, "cannot create: %s", strerror(errno));
    return -1;
  }
  for (const LhFile *f = lh_embedded; f->path; f++) {
    if (strncmp(f->path, "runtime/", 8)) continue;
    const char *sl = strrchr(f->path, '/'); /* in a subfolder (runtime/x86/): create it */
    char sub[4400];
    snprintf(sub, sizeof sub, "%s/%.*s", dir, (int)(sl - f->path), f->path);
    if ((sl - f->path > 7 && dump_mkdirs(sub, p->dg)) ||
        eu_write(p->dg, dir, f->path, (const char *)f->data, f->len))
      return -1;
  }
  return 0;
}

/* A quantized net compiled for the C target alone runs its fixed-point
 * layers through the runtime's kernels (all software); with the HLS target
 * too, the program calls the HLS sources (C simulation). */
static bool sw_fx(const EpOpts *o) { return !(o->target & EP_TARGET_HLS); }

/* Writes the whole project into dir. */
static int gen(Ep *p, const char *dir) {
  const EpOpts *o = p->o;
  if (o->qn && !(p->fx = ef_open(&(EfHost){p->n, o->qn, o->cfg, p->lh, p->ar, p->dg, &p->prov,
                                            p->plan, o->tb_input, sw_fx(o)})))
    return -1;
  p->ec = ec_open(&(EcHost){p->n, p->plan, p->lh, p->ar, p->dg, &p->prov, p->fx,
                               p->o->threads});
  if (ec_layers(p->ec)) return -1;
  if (p->fx && ef_write(p->fx, dir)) return -1;
  if (o->target && !(o->target & EP_TARGET_C)) return 0;
  int nw;
  int64_t wfloats;
  ec_weights(p->ec, &nw, &wfloats);
  bool bin = wfloats * 4 > o->bin_threshold;
  if (ec_write(p->ec, dir, bin) || write_main(p, dir)) return -1;
  if (bin && write_blob(p, dir)) return -1;
  /* plugin sources, toolchain files */
  const char *psrc[64];
  int np;
  if (copy_plugins(p, dir, psrc, &np) || write_toolchains(p, dir)) return -1;
  /* CMakeLists.txt */
  lh_begin(p->lh);
  eu_prov(p->lh, p->ar, &p->prov);
  lh_set_bool(p->lh, "bin", bin);
  lh_set_bool(p->lh, "fx", p->fx != NULL); /* CHAI_STRICT_FP's default */
  lh_set_strs(p->lh, "plugins", psrc, np);
  if (write_text(p, dir, "CMakeLists.txt", render(p, "c/cmake"))) return -1;
  return copy_runtime(p, dir);
}

int ep_emit(Net *n, const PsPlan *plan, const EpOpts *o, Diag *dg) {
  if (n->ninput != 1) {
    diag_error(dg, (SrcLoc){n->file, 0, 0},
               "the C generator supports nets with one input; this one has %d", n->ninput);
    return -1;
  }
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    if (l->dead) continue;
    for (int k = 0; k < l->nweight; k++)
      if (!l->weight[k].loaded && !l->weight[k].optional) {
        ir_error(n, l, "blob %d (%s) has no data: give the caffemodel", k, l->weight[k].role);
        return -1;
      }
  }
  Ep p = {0};
  p.n = n, p.plan = plan, p.o = o, p.dg = dg, p.ar = n->ar;
  const char *nm = n->name && *n->name ? n->name : "net";
  const char *base = eu_ident(p.ar, nm);
  const char *prefix = o->prefix ? eu_ident(p.ar, o->prefix) : base;
  char *up = ar_strdup(p.ar, prefix);
  for (char *c = up; *c; c++)
    if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
  p.prov = (EuProv){n, o->cmdline, o->sha_prototxt, o->sha_weights, prefix, up, base};
  p.lh = lh_open(dg);
  /* temp dir next to outdir, renamed into place on success */
  size_t len = strlen(o->outdir);
  char *out = ar_strdup(p.ar, o->outdir);
  while (len > 1 && out[len - 1] == '/') out[--len] = 0;
  char *tmp = ar_printf(p.ar, "%s.tmp.%ld", out, (long)getpid());
  char *old = ar_printf(p.ar, "%s.old.%ld", out, (long)getpid());
  rm_rf(tmp);
  int rc = -1;
  char *parent = ar_strdup(p.ar, out), *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = 0;
    if (dump_mkdirs(parent, dg)) goto done;
  }
  if (mkdir(tmp, 0777)) {
    diag_error(dg, (SrcLoc){tmp, 0, 0}, "cannot create: %s", strerror(errno));
    goto done;
  }
  if (gen(&p, tmp) || p.bad) goto done;
  struct stat st;
  bool had = stat(out, &st) == 0;
  if (had && rename(out, old)) {
    diag_error(dg, (SrcLoc){out, 0, 0}, "cannot replace: %s", strerror(errno));
    goto done;
  }
  if (rename(tmp, out)) {
    diag_error(dg, (SrcLoc){out, 0, 0}, "cannot rename into place: %s", strerror(errno));
    if (had) rename(old, out);
    goto done;
  }
  if (had) rm_rf(old);
  rc = 0;
done:
  if (rc) rm_rf(tmp);
  ec_close(p.ec);
  ef_close(p.fx);
  lh_close(p.lh);
  return rc;
}
