/* partition.c - hardware/software partitioning (see partition.h).
 *
 * The hardware limits live in ONE place: each kind's LayerOps.hw_limits
 * (compiler/layers/<file>.c).  A kind without one has no hardware kernel.
 * The facts come from CHaiDNN's docs/SUPPORTED_LAYERS.md (hardware
 * accelerated layers table); the limits marked "chaicc" are restrictions
 * of our own HLS backend. */
#include "partition.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hls.h"

/* ---- hardware limits: one check per kind (LayerOps.hw_limits) ---- */

bool pt_fail(char *why, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
  return false;
}

bool pt_fmaps_below(const Layer *l, int lim, char *why, size_t n) {
  int in = l->bottom[0]->shape.d[1], out = l->top[0]->shape.d[1];
  if (in >= lim)
    return pt_fail(why, n, "%d input feature maps (the hardware takes fewer than %d)", in, lim);
  if (out >= lim)
    return pt_fail(why, n, "%d output feature maps (the hardware takes fewer than %d)", out, lim);
  return true;
}

bool pt_has_hw(LayerKind k) { return lk_has_hw((int)k); }

bool pt_hw_ok(const Layer *l, char *why, size_t n) {
  if (lk_is(l->kind, LKF_PLUGIN))
    return pt_fail(why, n, "plugin layers (function '%s') run in software",
                l->custom ? l->custom->fn : "?");
  if (!pt_has_hw(l->kind))
    return pt_fail(why, n, "CHaiDNN has no hardware kernel for %s", lk_info[l->kind].caffe_type);
  if (l->nbottom < 1 || l->ntop < 1 || !l->bottom[0]) return pt_fail(why, n, "no bottom or top");
  if (!lk_ops(l)->hw_limits(l, why, n)) return false;
  for (int i = 0; i < l->nbottom; i++)
    if (!l->bottom[i] || l->bottom[i]->shape.nd != 4)
      return pt_fail(why, n, "bottom %d is not a 4-D NCHW blob (chaicc)", i);
  for (int i = 0; i < l->ntop; i++)
    if (l->top[i]->shape.nd != 4) return pt_fail(why, n, "top %d is not a 4-D NCHW blob (chaicc)", i);
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

/* Rule r's in_parallel / out_parallel reaches no convolution that runs on
 * a shared engine (target.engine: shared): one engine per segment computes
 * all of them with the target's lanes.  Warns at the rule when it matches
 * such layers (placed in hardware), naming the first and the count. */
static void engine_rule_warn(Net *n, const CfgConfig *cfg, const CfgLayerRule *r) {
  if (!r->in_parallel && !r->out_parallel) return;
  const Layer *first = NULL;
  int cnt = 0;
  for (int k = 0; k < n->nlayer; k++) {
    const Layer *l = n->layers[k];
    if (!cfg_rule_matches(r, l->name) || l->place != PL_HW || !hl_engine_on(cfg, l)) continue;
    if (!cnt++) first = l;
  }
  if (!cnt) return;
  diag_warn(n->dg, r->loc,
            "in_parallel / out_parallel do not apply to layer '%s'%s: with target.engine: shared "
            "its segment's engine computes it with target.pragmas' lanes",
            first->name,
            cnt > 1 ? ar_printf(n->ar, " and %d more convolution%s", cnt - 1, cnt > 2 ? "s" : "")
                    : "");
}

/* Rule r's segment_start: true marks the hardware layers it governs
 * (Layer.seg_start: a new hardware segment starts there); warns at the
 * value when none of them is placed in hardware. */
static void seg_start_rule(Net *n, const CfgConfig *cfg, const CfgLayerRule *r) {
  if (!r->seg_start) return;
  int cnt = 0;
  for (int k = 0; k < n->nlayer; k++) {
    Layer *l = n->layers[k];
    if (cfg_layer_rule(cfg, l->name) != r || l->place != PL_HW) continue;
    l->seg_start = true;
    cnt++;
  }
  if (!cnt)
    diag_warn(n->dg, r->seg_loc, "segment_start has no effect: no layer '%s' runs in hardware",
              r->pattern);
}

int pt_assign(Net *n, const CfgConfig *cfg) {
  int bad = 0;
  if (cfg) {
    for (int i = 0; i < cfg->nlayer; i++) {
      const CfgLayerRule *r = &cfg->layers[i];
      int hit = 0;
      for (int k = 0; k < n->nlayer && !hit; k++) hit = cfg_rule_matches(r, n->layers[k]->name);
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
                   lk_is((LayerKind)r->kind, LKF_PLUGIN) ? "plugin layers run in software"
                                        : "CHaiDNN has no hardware kernel for it");
        bad = 1;
      }
    }
  }
  for (int i = 0; i < n->nlayer; i++)
    if (place_layer(n, n->layers[i], cfg)) bad = 1;
  for (int i = 0; cfg && cfg->target.engine == 1 && i < cfg->nlayer; i++)
    engine_rule_warn(n, cfg, &cfg->layers[i]);
  for (int i = 0; cfg && i < cfg->nlayer; i++) seg_start_rule(n, cfg, &cfg->layers[i]);
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
