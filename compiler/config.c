/* config.c - YAML configuration reader (see config.h, docs/config.md).
 *
 * The file is loaded as one libyaml document; then each section is walked
 * with small typed readers that report at the node's mark.  Strings are
 * copied into the arena, so the document is freed before returning. */
#include "config.h"

#include "parts.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct P {
  const char *file;
  Arena *ar;
  Diag *dg;
  yaml_document_t *doc;
  CfgConfig *c;
} P;

static SrcLoc mark(const P *p, const yaml_node_t *nd) {
  return (SrcLoc){p->file, (int)nd->start_mark.line + 1, (int)nd->start_mark.column + 1};
}

static yaml_node_t *node(const P *p, int id) { return yaml_document_get_node(p->doc, id); }

static const char *sval(const yaml_node_t *nd) { return (const char *)nd->data.scalar.value; }

static bool is_null(const yaml_node_t *nd) {
  if (nd->type != YAML_SCALAR_NODE || nd->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  const char *s = sval(nd);
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
         !strcmp(s, "NULL");
}

/* ---- typed readers: each reports at the node and returns -1 on error ---- */

/* A scalar string (a copy in the arena), or NULL after an error. */
static const char *get_str(P *p, const yaml_node_t *nd, const char *what) {
  if (nd->type != YAML_SCALAR_NODE || is_null(nd)) {
    diag_error(p->dg, mark(p, nd), "%s must be a string", what);
    return NULL;
  }
  return ar_strndup(p->ar, sval(nd), nd->data.scalar.length);
}

/* An integer in [lo, hi], or word (when not NULL), read as wval. */
static int get_int_or(P *p, const yaml_node_t *nd, const char *what, long lo, long hi, const char *word,
                      int wval, int *out) {
  if (nd->type == YAML_SCALAR_NODE && !is_null(nd)) {
    const char *s = sval(nd);
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s && !*end && errno == 0 && v >= lo && v <= hi) {
      *out = (int)v;
      return 0;
    }
    if (word && !strcmp(s, word)) {
      *out = wval;
      return 0;
    }
  }
  diag_error(p->dg, mark(p, nd), "%s must be an integer from %ld to %ld%s%s%s", what, lo, hi,
             word ? " or '" : "", word ? word : "", word ? "'" : "");
  return -1;
}

/* An integer in [lo, hi]. */
static int get_int(P *p, const yaml_node_t *nd, const char *what, long lo, long hi, int *out) {
  return get_int_or(p, nd, what, lo, hi, NULL, 0, out);
}

/* A positive finite number. */
static int get_pos_num(P *p, const yaml_node_t *nd, const char *what, double *out) {
  if (nd->type == YAML_SCALAR_NODE && !is_null(nd)) {
    const char *s = sval(nd);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s && !*end && errno == 0 && isfinite(v) && v > 0) {
      *out = v;
      return 0;
    }
  }
  diag_error(p->dg, mark(p, nd), "%s must be a positive number", what);
  return -1;
}

/* One of the words in `allowed` (NULL-terminated); returns its index. */
static int get_enum(P *p, const yaml_node_t *nd, const char *what,
                    const char *const *allowed) {
  if (nd->type == YAML_SCALAR_NODE)
    for (int i = 0; allowed[i]; i++)
      if (!strcmp(sval(nd), allowed[i])) return i;
  char list[128] = "";
  size_t k = 0;
  for (int i = 0; allowed[i] && k < sizeof list; i++) {
    int w = snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", allowed[i]);
    if (w < 0) break;
    k += (size_t)w;
  }
  if (nd->type == YAML_SCALAR_NODE)
    diag_error(p->dg, mark(p, nd), "bad value '%s' for %s: expected one of %s", sval(nd),
               what, list);
  else
    diag_error(p->dg, mark(p, nd), "%s must be one of %s", what, list);
  return -1;
}

static const char *const place_words[] = {"hw", "sw", "auto", NULL};

static CfgPlace get_place(P *p, const yaml_node_t *nd, const char *what) {
  static const CfgPlace map[] = {CFG_HW, CFG_SW, CFG_AUTO};
  int i = get_enum(p, nd, what, place_words);
  return i < 0 ? CFG_UNSET : map[i];
}

/* Checks nd is a mapping (a null value counts as an empty one) and that its
 * keys are unique scalars; returns the number of pairs or -1. */
static int check_map(P *p, const yaml_node_t *nd, const char *what) {
  if (is_null(nd)) return 0;
  if (nd->type != YAML_MAPPING_NODE) {
    diag_error(p->dg, mark(p, nd), "%s must be a mapping", what);
    return -1;
  }
  int bad = 0;
  for (yaml_node_pair_t *a = nd->data.mapping.pairs.start; a < nd->data.mapping.pairs.top; a++) {
    const yaml_node_t *ka = node(p, a->key);
    if (ka->type != YAML_SCALAR_NODE) {
      diag_error(p->dg, mark(p, ka), "keys of %s must be strings", what);
      bad = 1;
      continue;
    }
    for (yaml_node_pair_t *b = nd->data.mapping.pairs.start; b < a; b++) {
      const yaml_node_t *kb = node(p, b->key);
      if (kb->type == YAML_SCALAR_NODE && !strcmp(sval(ka), sval(kb))) {
        diag_error(p->dg, mark(p, ka), "duplicate key '%s' in %s (first at line %d)", sval(ka),
                   what, (int)kb->start_mark.line + 1);
        bad = 1;
        break;
      }
    }
  }
  return bad ? -1 : (int)(nd->data.mapping.pairs.top - nd->data.mapping.pairs.start);
}

static void unknown_key(P *p, const yaml_node_t *k, const char *where, const char *expected) {
  diag_warn(p->dg, mark(p, k), "unknown key '%s' in %s (expected one of: %s)", sval(k), where,
            expected);
}

#define FOR_PAIRS(nd, it)                                                       \
  for (yaml_node_pair_t *it = (nd)->type == YAML_MAPPING_NODE ? (nd)->data.mapping.pairs.start \
                                                              : NULL;          \
       it && it < (nd)->data.mapping.pairs.top; it++)

/* ---- sections ---- */

/* pragmas: {pipeline_ii, in_parallel, out_parallel}; shared by target and
 * layer rules.  Returns 1 if key was one of them, 0 if not, -1 on error. */
static int pragma_key(P *p, const char *key, const yaml_node_t *v, int *ii, int *in, int *out) {
  if (!strcmp(key, "pipeline_ii")) return get_int(p, v, "pipeline_ii", 1, 64, ii) ? -1 : 1;
  if (!strcmp(key, "in_parallel")) return get_int(p, v, "in_parallel", 1, 1024, in) ? -1 : 1;
  if (!strcmp(key, "out_parallel")) return get_int(p, v, "out_parallel", 1, 1024, out) ? -1 : 1;
  return 0;
}

static void read_target(P *p, const yaml_node_t *k, const yaml_node_t *nd) {
  CfgTarget *t = &p->c->target;
  t->loc = t->part_loc = t->dsp_loc = mark(p, k);
  SrcLoc pack_loc = t->loc, port_loc = t->loc, plane_loc = t->loc;
  if (check_map(p, nd, "target") <= 0) return;
  FOR_PAIRS(nd, it) {
    const yaml_node_t *kk = node(p, it->key), *v = node(p, it->value);
    const char *key = sval(kk);
    if (!strcmp(key, "part")) {
      t->part = get_str(p, v, "target.part");
      t->part_loc = mark(p, v);
      if (t->part && !pr_find(t->part)) {
        char list[256];
        pr_list(list, sizeof list);
        diag_error(p->dg, t->part_loc, "unknown part '%s' (chaicc knows the devices %s)", t->part,
                   list);
      }
    } else if (!strcmp(key, "dsp_budget")) {
      get_int(p, v, "target.dsp_budget", 0, 1 << 24, &t->dsp_budget);
      t->dsp_loc = mark(p, v);
    } else if (!strcmp(key, "bram18k_budget")) {
      get_int(p, v, "target.bram18k_budget", 0, 1 << 24, &t->bram18k_budget);
    } else if (!strcmp(key, "uram_budget")) {
      get_int(p, v, "target.uram_budget", 0, 1 << 24, &t->uram_budget);
    } else if (!strcmp(key, "ddr_gbps")) {
      get_pos_num(p, v, "target.ddr_gbps", &t->ddr_gbps);
    } else if (!strcmp(key, "fold")) {
      static const char *const fold_words[] = {"false", "true", NULL};
      int i = get_enum(p, v, "target.fold", fold_words);
      if (i >= 0) t->fold = i;
    } else if (!strcmp(key, "engine")) {
      static const char *const engine_words[] = {"layers", "shared", NULL};
      int i = get_enum(p, v, "target.engine", engine_words);
      if (i >= 0) t->engine = i;
    } else if (!strcmp(key, "dsp_packing")) {
      static const char *const pack_words[] = {"false", "true", NULL};
      int i = get_enum(p, v, "target.dsp_packing", pack_words);
      if (i >= 0) t->dsp_packing = i, pack_loc = mark(p, v);
    } else if (!strcmp(key, "port_bits")) {
      static const char *const port_words[] = {"8", "64", "128", NULL};
      static const int port_vals[] = {8, 64, 128};
      int i = get_enum(p, v, "target.port_bits", port_words);
      if (i >= 0) t->port_bits = port_vals[i], port_loc = mark(p, v);
    } else if (!strcmp(key, "engine_plane_kb")) {
      /* auto (-1): hl_plan_seg chooses */
      get_int_or(p, v, "target.engine_plane_kb", 0, 1 << 20, "auto", -1, &t->engine_plane_kb);
      plane_loc = mark(p, v);
    } else if (!strcmp(key, "schedule")) {
      static const char *const sched_words[] = {"serial", "pipelined", NULL};
      int i = get_enum(p, v, "target.schedule", sched_words);
      if (i >= 0) t->pipelined = i;
    } else if (!strcmp(key, "clock_ns")) {
      get_pos_num(p, v, "target.clock_ns", &t->clock_ns);
    } else if (!strcmp(key, "onchip_weight_limit_kb")) {
      get_int(p, v, "target.onchip_weight_limit_kb", 0, 1 << 20, &t->onchip_weight_limit_kb);
    } else if (!strcmp(key, "pragmas")) {
      if (check_map(p, v, "target.pragmas") <= 0) continue;
      FOR_PAIRS(v, jt) {
        const yaml_node_t *pk = node(p, jt->key), *pv = node(p, jt->value);
        if (!pragma_key(p, sval(pk), pv, &t->pipeline_ii, &t->in_parallel, &t->out_parallel))
          unknown_key(p, pk, "target.pragmas", "pipeline_ii, in_parallel, out_parallel");
      }
    } else {
      unknown_key(p, kk, "target",
                  "part, clock_ns, onchip_weight_limit_kb, pragmas, dsp_budget, bram18k_budget, "
                  "uram_budget, ddr_gbps, fold, dsp_packing, engine, port_bits, engine_plane_kb, "
                  "schedule");
    }
  }
  /* the packing needs the DSP48E2's 27-bit pre-adder (docs/hls.md); the
   * default part (xczu9eg) has it */
  const PrPart *pp = t->part ? pr_find(t->part) : NULL;
  if (t->dsp_packing && pp && !pp->dsp48e2)
    diag_error(p->dg, pack_loc,
               "target.dsp_packing needs DSP48E2 slices (UltraScale); %s has DSP48E1, whose 25-bit "
               "pre-adder cannot hold two 8-bit weights 18 bits apart",
               t->part);
  /* 128-bit beats need 128-bit HP ports (Zynq UltraScale+; Zynq-7000's
   * are 64-bit) */
  if (t->port_bits > 64 && pp && pp->hp_bits < t->port_bits)
    diag_error(p->dg, port_loc, "target.port_bits %d needs %d-bit HP ports; %s has %d-bit ones (use 64)",
               t->port_bits, t->port_bits, t->part, pp->hp_bits);
  /* whole planes are loaded and drained in wide beats only */
  if (t->engine_plane_kb != 0 && (t->engine != 1 || t->port_bits <= 8))
    diag_error(p->dg, plane_loc,
               "target.engine_plane_kb needs the shared engine with wide ports (target.engine: shared, "
               "target.port_bits: 64 or 128)");
}

static bool is_ident(const char *s) {
  if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
  return true;
}

/* shape: same | "scale_hw:K" -> 0 or K; -1 on error. */
static int read_shape_rule(P *p, const yaml_node_t *v, const char *name) {
  if (v->type == YAML_SCALAR_NODE) {
    const char *s = sval(v);
    if (!strcmp(s, "same")) return 0;
    if (!strncmp(s, "scale_hw:", 9)) {
      char *end;
      errno = 0;
      long k = strtol(s + 9, &end, 10);
      if (s[9] && !*end && errno == 0 && k >= 1 && k <= 64) return (int)k;
    }
    diag_error(p->dg, mark(p, v),
               "bad shape '%s' for custom layer '%s': expected same or scale_hw:K (K from 1 "
               "to 64)",
               s, name);
  } else {
    diag_error(p->dg, mark(p, v), "shape of custom layer '%s' must be same or scale_hw:K", name);
  }
  return -1;
}

static void read_custom(P *p, const yaml_node_t *nd) {
  int np = check_map(p, nd, "custom_layers");
  if (np <= 0) return;
  CfgConfig *c = p->c;
  c->custom = ar_array(p->ar, (size_t)np, sizeof *c->custom);
  FOR_PAIRS(nd, it) {
    const yaml_node_t *k = node(p, it->key), *v = node(p, it->value);
    const char *name = sval(k);
    IrCustomType ct = {.type = ar_strdup(p->ar, name), .loc = mark(p, k)};
    int bad = 0;
    if (lk_from_type(name) >= 0) {
      diag_error(p->dg, mark(p, k), "custom layer '%s' has the name of a built-in layer type",
                 name);
      bad = 1;
    }
    if (check_map(p, v, "a custom layer") < 0) continue;
    FOR_PAIRS(v, jt) {
      const yaml_node_t *kk = node(p, jt->key), *vv = node(p, jt->value);
      const char *key = sval(kk);
      if (!strcmp(key, "function")) {
        ct.fn = get_str(p, vv, "function");
        if (!ct.fn) {
          bad = 1;
        } else if (!is_ident(ct.fn)) {
          diag_error(p->dg, mark(p, vv), "function '%s' of custom layer '%s' is not a C identifier",
                     ct.fn, name);
          bad = 1;
        }
      } else if (!strcmp(key, "source")) {
        ct.source = get_str(p, vv, "source");
        bad |= !ct.source;
      } else if (!strcmp(key, "shape")) {
        ct.scale_hw = read_shape_rule(p, vv, name);
        bad |= ct.scale_hw < 0;
      } else if (!strcmp(key, "params")) {
        const char *b = get_str(p, vv, "params");
        if (b && (!strcmp(b, "true") || !strcmp(b, "false"))) {
          ct.params = !strcmp(b, "true");
        } else {
          if (b)
            diag_error(p->dg, mark(p, vv), "params of custom layer '%s' must be true or false",
                       name);
          bad = 1;
        }
      } else {
        unknown_key(p, kk, "a custom layer", "function, source, shape, params");
      }
    }
    if (!ct.fn && !bad) {
      diag_error(p->dg, mark(p, k),
                 "custom layer '%s' needs a 'function' (the plugin's C function)", name);
      bad = 1;
    }
    if (!bad) c->custom[c->ncustom++] = ct;
  }
}

static void read_types(P *p, const yaml_node_t *nd) {
  int np = check_map(p, nd, "types");
  if (np <= 0) return;
  CfgConfig *c = p->c;
  c->types = ar_array(p->ar, (size_t)np, sizeof *c->types);
  FOR_PAIRS(nd, it) {
    const yaml_node_t *k = node(p, it->key), *v = node(p, it->value);
    const char *name = sval(k);
    int kind = lk_from_type(name);
    if (kind >= 0 && lk_is(kind, LKF_PLUGIN)) kind = -1; /* the placeholder is no type */
    for (int i = 0; i < c->ncustom && kind < 0; i++)
      if (!strcmp(c->custom[i].type, name)) kind = LK_CUSTOM;
    if (kind < 0) {
      diag_error(p->dg, mark(p, k),
                 "'%s' is neither a Caffe layer type chaicc knows nor a layer declared under "
                 "custom_layers",
                 name);
      continue;
    }
    CfgPlace pl = get_place(p, v, "place");
    if (pl == CFG_UNSET) continue;
    c->types[c->ntype++] = (CfgTypeRule){ar_strdup(p->ar, name), kind, pl, mark(p, v)};
  }
}

static void read_layers(P *p, const yaml_node_t *nd) {
  int np = check_map(p, nd, "layers");
  if (np <= 0) return;
  CfgConfig *c = p->c;
  c->layers = ar_array(p->ar, (size_t)np, sizeof *c->layers);
  static const char *const weight_words[] = {"auto", "onchip", "axi", NULL};
  FOR_PAIRS(nd, it) {
    const yaml_node_t *k = node(p, it->key), *v = node(p, it->value);
    const char *pat = sval(k);
    CfgLayerRule r = {.pattern = ar_strdup(p->ar, pat), .loc = mark(p, k)};
    r.glob = strpbrk(pat, "*?[") != NULL;
    r.place_loc = r.loc;
    int bad = 0;
    if (v->type == YAML_SCALAR_NODE) {
      r.place = get_place(p, v, "place");
      r.place_loc = mark(p, v);
      bad = r.place == CFG_UNSET;
    } else if (check_map(p, v, "a layer rule") < 0) {
      bad = 1;
    } else {
      FOR_PAIRS(v, jt) {
        const yaml_node_t *kk = node(p, jt->key), *vv = node(p, jt->value);
        const char *key = sval(kk);
        if (!strcmp(key, "place")) {
          r.place = get_place(p, vv, "place");
          r.place_loc = mark(p, vv);
          bad |= r.place == CFG_UNSET;
        } else if (!strcmp(key, "weights")) {
          int w = get_enum(p, vv, "weights", weight_words);
          r.weights = w < 0 ? CFG_W_UNSET : (CfgWeights)(CFG_W_AUTO + w);
          bad |= w < 0;
        } else if (!strcmp(key, "segment_start")) {
          static const char *const seg_words[] = {"false", "true", NULL};
          int w = get_enum(p, vv, "segment_start", seg_words);
          r.seg_start = w == 1;
          r.seg_loc = mark(p, vv);
          bad |= w < 0;
        } else {
          int q = pragma_key(p, key, vv, &r.pipeline_ii, &r.in_parallel, &r.out_parallel);
          if (q == 0)
            unknown_key(p, kk, "a layer rule",
                        "place, weights, segment_start, pipeline_ii, in_parallel, out_parallel");
          bad |= q < 0;
        }
      }
    }
    if (!bad) c->layers[c->nlayer++] = r;
  }
}

/* ---- entry ---- */

static void yaml_fail(P *p, const yaml_parser_t *ps) {
  SrcLoc at = {p->file, (int)ps->problem_mark.line + 1, (int)ps->problem_mark.column + 1};
  const char *prob = ps->problem ? ps->problem : "cannot parse";
  if (ps->context)
    diag_error(p->dg, at, "malformed YAML: %s (%s at line %d, column %d)", prob, ps->context,
               (int)ps->context_mark.line + 1, (int)ps->context_mark.column + 1);
  else
    diag_error(p->dg, at, "malformed YAML: %s", prob);
}

CfgConfig *cfg_parse(const char *name, const char *text, size_t len, Arena *ar, Diag *dg) {
  int e0 = dg->nerrors;
  CfgConfig *c = ar_alloc(ar, sizeof *c);
  c->file = ar_strdup(ar, name);
  c->target.onchip_weight_limit_kb = -1;
  c->target.dsp_budget = c->target.bram18k_budget = c->target.uram_budget = -1;
  c->target.fold = 1;
  c->target.port_bits = 8;
  P p = {c->file, ar, dg, NULL, c};
  yaml_parser_t ps;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&ps)) {
    diag_error(dg, (SrcLoc){c->file, 0, 0}, "cannot initialize the YAML parser");
    return NULL;
  }
  yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
  if (!yaml_parser_load(&ps, &doc)) {
    yaml_fail(&p, &ps);
    yaml_parser_delete(&ps);
    return NULL;
  }
  p.doc = &doc;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root && !is_null(root) && root->type != YAML_MAPPING_NODE) {
    diag_error(dg, mark(&p, root), "the configuration must be a mapping (target, default, "
                                   "types, layers, custom_layers)");
  } else if (root && check_map(&p, root, "the configuration") > 0) {
    /* custom_layers first: types may name plugin types. */
    static const char *const sections[] = {"target", "default", "custom_layers", "types",
                                           "layers"};
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
      FOR_PAIRS(root, it) {
        const yaml_node_t *k = node(&p, it->key), *v = node(&p, it->value);
        if (strcmp(sval(k), sections[s])) continue;
        switch (s) {
        case 0: read_target(&p, k, v); break;
        case 1:
          c->dflt = get_place(&p, v, "default");
          c->dflt_loc = mark(&p, v);
          break;
        case 2: read_custom(&p, v); break;
        case 3: read_types(&p, v); break;
        default: read_layers(&p, v); break;
        }
      }
    }
    FOR_PAIRS(root, it) {
      const yaml_node_t *k = node(&p, it->key);
      int known = 0;
      for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
        known |= !strcmp(sval(k), sections[s]);
      if (!known)
        unknown_key(&p, k, "the configuration", "target, default, types, layers, custom_layers");
    }
  }
  yaml_document_delete(&doc);
  /* A second document is not read; say so rather than ignore it. */
  yaml_document_t more;
  if (yaml_parser_load(&ps, &more)) {
    yaml_node_t *r2 = yaml_document_get_root_node(&more);
    if (r2) diag_warn(dg, mark(&p, r2), "only the first YAML document is read");
    yaml_document_delete(&more);
  } else {
    yaml_fail(&p, &ps);
  }
  yaml_parser_delete(&ps);
  return dg->nerrors > e0 ? NULL : c;
}

CfgConfig *cfg_load(const char *path, Arena *ar, Diag *dg) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot open the configuration: %s", strerror(errno));
    return NULL;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      char *nb = cap < ((size_t)1 << 26) ? realloc(buf, cap * 2) : NULL;
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  int rerr = ferror(f);
  fclose(f);
  if (!buf || rerr) {
    free(buf);
    diag_error(dg, (SrcLoc){path, 0, 0}, "cannot read the configuration (too large or I/O error)");
    return NULL;
  }
  CfgConfig *c = cfg_parse(path, buf, len, ar, dg);
  free(buf);
  return c;
}

/* ---- queries ---- */

bool cfg_rule_matches(const CfgLayerRule *r, const char *name) {
  return r->glob ? fnmatch(r->pattern, name, 0) == 0 : strcmp(r->pattern, name) == 0;
}

const CfgLayerRule *cfg_layer_rule(const CfgConfig *c, const char *name) {
  if (!c) return NULL;
  const CfgLayerRule *glob = NULL;
  for (int i = 0; i < c->nlayer; i++) {
    const CfgLayerRule *r = &c->layers[i];
    if (!cfg_rule_matches(r, name)) continue;
    if (!r->glob) return r;
    glob = r;
  }
  return glob;
}

const CfgTypeRule *cfg_type_rule(const CfgConfig *c, const Layer *l) {
  if (!c) return NULL;
  const CfgTypeRule *canon = NULL;
  for (int i = 0; i < c->ntype; i++) {
    const CfgTypeRule *r = &c->types[i];
    if (!strcmp(r->type, l->type)) return r;
    if (r->kind == (int)l->kind && !lk_is(l->kind, LKF_PLUGIN) &&
        !strcmp(r->type, lk_info[l->kind].caffe_type))
      canon = r;
  }
  return canon;
}

const char *cfg_place_name(CfgPlace p) {
  switch (p) {
  case CFG_HW: return "hw";
  case CFG_SW: return "sw";
  case CFG_AUTO: return "auto";
  default: return "unset";
  }
}
