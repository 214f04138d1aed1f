/* partition.c - hardware/software partitioning (see partition.h).
 *
 * The hardware limits live in ONE place: hw_limits[], indexed by LayerKind.
 * A kind with no entry has no hardware kernel.  The facts come from
 * CHaiDNN's docs/SUPPORTED_LAYERS.md (hardware accelerated layers table);
 * the rows marked "chaicc" are restrictions of our own HLS backend. */
#include "partition.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- hardware limits: one check per kind ---- */

/* A limit check writes the first violated limit into why and returns
 * false, or returns true when the layer fits the hardware kernel. */
typedef bool (*pt_limit_fn)(const Layer *l, char *why, size_t n);

static bool fail(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *why, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
  return false;
}

enum { MAX_FMAPS = 4096, MAX_FMAPS_BN = 2048 };

/* Feature maps (channels) of bottom 0 and top 0 are fewer than lim. */
static bool fmaps_below(const Layer *l, int lim, char *why, size_t n) {
  int in = l->bottom[0]->shape.d[1], out = l->top[0]->shape.d[1];
  if (in >= lim)
    return fail(why, n, "%d input feature maps (the hardware takes fewer than %d)", in, lim);
  if (out >= lim)
    return fail(why, n, "%d output feature maps (the hardware takes fewer than %d)", out, lim);
  return true;
}

static bool lim_conv(const Layer *l, char *why, size_t n) {
  const rt_conv_param *p = &l->p.conv;
  if (p->kh != p->kw) return fail(why, n, "kernel %dx%d is not square", p->kh, p->kw);
  if (p->kh != 1 && p->kh != 3 && p->kh != 5 && p->kh != 7 && p->kh != 11)
    return fail(why, n, "kernel %dx%d is not one of 1, 3, 5, 7, 11", p->kh, p->kw);
  if (p->sh != p->sw)
    return fail(why, n, "stride %dx%d: horizontal and vertical strides differ", p->sh, p->sw);
  if (p->dh != p->dw || (p->dh != 1 && p->dh != 6))
    return fail(why, n, "dilation %dx%d is not 1 or 6", p->dh, p->dw);
  return fmaps_below(l, MAX_FMAPS, why, n);
}

static bool lim_deconv(const Layer *l, char *why, size_t n) {
  (void)l, (void)why, (void)n; /* CHaiDNN: 16-bit only (a quantizer concern) */
  return true;
}

static bool lim_pool(const Layer *l, char *why, size_t n) {
  if (l->p.pool.method != RT_POOL_MAX && l->p.pool.method != RT_POOL_AVE)
    return fail(why, n, "STOCHASTIC pooling (the hardware does MAX and AVE)");
  return fmaps_below(l, MAX_FMAPS, why, n);
}

static bool lim_bn(const Layer *l, char *why, size_t n) {
  return fmaps_below(l, MAX_FMAPS_BN, why, n);
}

static bool lim_scale(const Layer *l, char *why, size_t n) {
  const rt_scale_param *p = &l->p.scale;
  if (l->nbottom != 1 || p->axis != 1 || p->num_axes != 1)
    return fail(why, n, "not a per-channel scale with learned factors (chaicc)");
  return fmaps_below(l, MAX_FMAPS_BN, why, n);
}

static bool lim_eltwise(const Layer *l, char *why, size_t n) {
  static const char *const ops[] = {"PROD", "SUM", "MAX"};
  const rt_eltwise_param *p = &l->p.eltwise;
  if (p->op != RT_ELT_SUM)
    return fail(why, n, "operation %s (the hardware adds: SUM only)",
                p->op >= 0 && p->op < 3 ? ops[p->op] : "?");
  for (int i = 0; i < p->ncoeff; i++)
    if (p->coeff[i] != 1.0f)
      return fail(why, n, "coefficient %g (the hardware adds with coefficients 1; chaicc)",
                  (double)p->coeff[i]);
  return true;
}

static bool lim_relu(const Layer *l, char *why, size_t n) {
  const Layer *src = l->bottom[0]->producer;
  if (!src) return fail(why, n, "its bottom is a network input (ReLU runs fused into a layer)");
  if (src->kind != LK_CONV && src->kind != LK_BN && src->kind != LK_SCALE &&
      src->kind != LK_ELTWISE)
    return fail(why, n,
                "ReLU is fused only into Convolution, BatchNorm, Scale or Eltwise; its bottom "
                "comes from '%s' (%s)",
                src->name, src->type);
  if (src->place != PL_HW)
    return fail(why, n, "ReLU is fused into '%s', which is placed in software", src->name);
  return true;
}

static bool lim_concat(const Layer *l, char *why, size_t n) {
  if (l->p.concat.axis != 1)
    return fail(why, n, "concatenation along axis %d (the hardware joins channels: axis 1; "
                        "chaicc)",
                l->p.concat.axis);
  return true;
}

static const pt_limit_fn hw_limits[LK_NKINDS] = {
    [LK_CONV] = lim_conv,   [LK_DECONV] = lim_deconv,   [LK_POOL] = lim_pool,
    [LK_RELU] = lim_relu,   [LK_BN] = lim_bn,           [LK_SCALE] = lim_scale,
    [LK_ELTWISE] = lim_eltwise, [LK_CONCAT] = lim_concat,
};

bool pt_has_hw(LayerKind k) { return (int)k >= 0 && k < LK_NKINDS && hw_limits[k]; }

bool pt_hw_ok(const Layer *l, char *why, size_t n) {
  if (l->kind == LK_CUSTOM)
    return fail(why, n, "plugin layers (function '%s') run in software",
                l->custom ? l->custom->fn : "?");
  if (!pt_has_hw(l->kind))
    return fail(why, n, "CHaiDNN has no hardware kernel for %s", lk_info[l->kind].caffe_type);
  if (l->nbottom < 1 || l->ntop < 1 || !l->bottom[0]) return fail(why, n, "no bottom or top");
  if (!hw_limits[l->kind](l, why, n)) return false;
  for (int i = 0; i < l->nbottom; i++)
    if (!l->bottom[i] || l->bottom[i]->shape.nd != 4)
      return fail(why, n, "bottom %d is not a 4-D NCHW blob (chaicc)", i);
  for (int i = 0; i < l->ntop; i++)
    if (l->top[i]->shape.nd != 4) return fail(why, n, "top %d is not a 4-D NCHW blob (chaicc)", i);
  return true;
}

/* ---- assignment ---- */

static const char *at(Arena *ar, const char *what, SrcLoc loc) {
  return ar_printf(ar, "%s at %s:%d:%d", what, loc.file, loc.line, loc.col);
}

/* Places one layer; reports an error for a hardware request that cannot
 * be met.  Returns -1 on such an error. */
static int place_layer(Net *n, Layer *l, const CfgConfig *cfg) {
  Arena *ar = n->ar;
  if (l->dead) {
    l->place = PL_SW;
    l->place_loc = SRCLOC_NONE;
    l->place_why = "removed by a graph pass";
    return 0;
  }
  enum { BUILTIN, DEFAULT, TYPE, LAYER } from = BUILTIN;
  CfgPlace want = CFG_AUTO;
  SrcLoc loc = SRCLOC_NONE;
  const char *src = "built-in default";
  const CfgLayerRule *lr = cfg_layer_rule(cfg, l->name);
  const CfgTypeRule *tr = cfg_type_rule(cfg, l);
  if (lr && lr->place != CFG_UNSET) {
    from = LAYER, want = lr->place, loc = lr->place_loc, src = at(ar, "layer rule", loc);
  } else if (tr) {
    from = TYPE, want = tr->place, loc = tr->loc, src = at(ar, "type rule", loc);
  } else if (cfg && cfg->dflt != CFG_UNSET) {
    from = DEFAULT, want = cfg->dflt, loc = cfg->dflt_loc, src = at(ar, "default", loc);
  }
  l->place_loc = loc;
  char why[256];
  switch (want) {
  case CFG_SW:
    l->place = PL_SW;
    l->place_why = src;
    return 0;
  case CFG_HW:
    if (pt_hw_ok(l, why, sizeof why)) {
      l->place = PL_HW;
      l->place_why = src;
      return 0;
    }
    l->place = PL_SW;
    if (from == DEFAULT && !pt_has_hw(l->kind)) { /* `default: hw` spares CPU-only kinds */
      l->place_why = ar_printf(ar, "%s; no hardware kernel", src);
      return 0;
    }
    l->place_why = ar_printf(ar, "%s; cannot: %s", src, why);
    if (from == TYPE && !pt_has_hw(l->kind))
      return -1; /* pt_assign reported the type rule itself, once */
    diag_error(n->dg, loc, "layer '%s' (%s) cannot be placed in hardware: %s", l->name, l->type,
               why);
    return -1;
  default: /* auto: the registry's default, if the limits allow it */
    if (lk_info[l->kind].place != PL_HW || !pt_has_hw(l->kind)) {
      l->place = PL_SW;
      l->place_why = ar_printf(ar, "%s; no hardware kernel", src);
    } else if (pt_hw_ok(l, why, sizeof why)) {
      l->place = PL_HW;
      l->place_why = src;
    } else {
      l->place = PL_SW;
      l->place_why = ar_printf(ar, "%s; fell back: %s", src, why);
    }
    return 0;
  }
}

int pt_assign(Net *n, const CfgConfig *cfg) {
  int bad = 0;
  if (cfg) {
    for (int i = 0; i < cfg->nlayer; i++) {
      const CfgLayerRule *r = &cfg->layers[i];
      int hit = 0;
      for (int k = 0; k < n->nlayer && !hit; k++)
        hit = r->glob ? fnmatch(r->pattern, n->layers[k]->name, 0) == 0
                      : strcmp(r->pattern, n->layers[k]->name) == 0;
      if (hit) continue;
      diag_error(n->dg, r->loc, r->glob ? "layer pattern '%s' matches no layer in %s"
                                        : "no layer named '%s' in %s",
                 r->pattern, n->file);
      bad = 1;
    }
    for (int i = 0; i < cfg->ntype; i++) {
      const CfgTypeRule *r = &cfg->types[i];
      if (r->place == CFG_HW && !pt_has_hw((LayerKind)r->kind)) {
        diag_error(n->dg, r->loc, "type '%s' cannot be placed in hardware: %s", r->type,
                   r->kind == LK_CUSTOM ? "plugin layers run in software"
                                        : "CHaiDNN has no hardware kernel for it");
        bad = 1;
      }
    }
  }
  for (int i = 0; i < n->nlayer; i++)
    if (place_layer(n, n->layers[i], cfg)) bad = 1;
  return bad ? -1 : 0;
}

const char *pt_reason(const Layer *l) { return l->place_why ? l->place_why : "not assigned"; }

/* ---- Graphviz output ---- */

/* Writes s as the inside of a DOT double-quoted string. */
static void dot_str(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if (*s == '\n') {
      fputs("\\n", f);
      continue;
    }
    fputc(*s, f);
  }
}

/* Node name of a blob's source: its producer layer, or the input itself. */
static void dot_src(FILE *f, const Blob *b) {
  if (b->producer)
    fprintf(f, "L%d", b->producer->id);
  else
    fprintf(f, "B%d", b->id);
}

static void dot_body(FILE *f, const Net *n) {
  int nhw = 0, nsw = 0;
  for (int i = 0; i < n->nlayer; i++)
    if (!n->layers[i]->dead) n->layers[i]->place == PL_HW ? nhw++ : nsw++;
  char ss[96];
  fputs("digraph \"", f);
  dot_str(f, n->name);
  fputs("\" {\n", f);
  fprintf(f, "  label=\"");
  dot_str(f, n->name);
  fprintf(f, ": %d hardware (blue), %d software (orange) layers\";\n", nhw, nsw);
  fputs("  labelloc=t;\n  rankdir=TB;\n"
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9];\n",
        f);
  for (int i = 0; i < n->ninput; i++) {
    const Blob *b = n->inputs[i];
    if (b->producer) continue;
    fprintf(f, "  B%d [shape=ellipse, fillcolor=\"#ffffff\", label=\"", b->id);
    dot_str(f, b->name);
    fprintf(f, "\\n%s\"];\n", rt_shape_str(&b->shape, ss, sizeof ss));
  }
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    const char *fill = l->dead ? "#eeeeee" : l->place == PL_HW ? "#9ecae1" : "#fdd0a2";
    fprintf(f, "  L%d [fillcolor=\"%s\"%s, label=\"", l->id, fill,
            l->dead ? ", style=\"rounded,filled,dashed\"" : "");
    dot_str(f, l->name);
    fputs("\\n", f);
    dot_str(f, l->type);
    fprintf(f, "\\n%s\"];\n", l->dead ? "removed" : l->place == PL_HW ? "HW" : "SW");
  }
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    for (int b = 0; b < l->nbottom; b++) {
      if (!l->bottom[b]) continue;
      fputs("  ", f);
      dot_src(f, l->bottom[b]);
      fprintf(f, " -> L%d [label=\"%s\"];\n", l->id,
              rt_shape_str(&l->bottom[b]->shape, ss, sizeof ss));
    }
  }
  for (int i = 0; i < n->noutput; i++) {
    const Blob *b = n->outputs[i];
    fprintf(f, "  O%d [shape=ellipse, fillcolor=\"#ffffff\", label=\"", b->id);
    dot_str(f, b->name);
    fputs("\"];\n  ", f);
    dot_src(f, b);
    fprintf(f, " -> O%d [label=\"%s\"];\n", b->id, rt_shape_str(&b->shape, ss, sizeof ss));
  }
  fputs("}\n", f);
}

int pt_write_dot(const Net *n, const char *path, Diag *dg) {
  char *tmp = ar_printf(n->ar, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot write the graph: %s", strerror(errno));
    return -1;
  }
  dot_body(f, n);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  if (bad || rename(tmp, path) != 0) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot write the graph: %s", strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
}
