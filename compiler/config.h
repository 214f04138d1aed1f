/* config.h - the YAML configuration file (schema: docs/config.md).
 *
 * cfg_load reads the placement rules (default / types / layers), the HLS
 * target settings and the plugin layer declarations (custom_layers) with
 * libyaml's document API.  Every value keeps its YAML mark so later stages
 * (the partitioner, the HLS backend) can point at the line that asked for
 * something.  Unknown keys are warnings; everything else that is wrong is an
 * error; all problems are reported before cfg_load returns NULL.
 *
 * Checks that need the network (a layer pattern that matches nothing, a
 * hardware request a limit forbids) are done by pt_assign (partition.h).
 */
#ifndef CHAI_CONFIG_H
#define CHAI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ir.h"

/* A placement request.  CFG_UNSET: this rule says nothing about placement. */
typedef enum CfgPlace { CFG_UNSET = 0, CFG_HW, CFG_SW, CFG_AUTO } CfgPlace;
/* Where a hardware layer reads its weights from. */
typedef enum CfgWeights { CFG_W_UNSET = 0, CFG_W_AUTO, CFG_W_ONCHIP, CFG_W_AXI } CfgWeights;

/* target: settings for the HLS backend.  Unset numbers are 0 (-1 for the
 * weight limit, where 0 is meaningful). */
typedef struct CfgTarget {
  const char *part;           /* FPGA part, or NULL */
  double clock_ns;            /* clock period, > 0 when given */
  int onchip_weight_limit_kb; /* -1 = not given */
  int pipeline_ii, in_parallel, out_parallel; /* pragmas; 0 = not given */
  /* the budget (docs/hls.md): overrides of the part table; 0 / -1 = not
   * given (-1 for the counts, where 0 is meaningful) */
  int dsp_budget, bram18k_budget, uram_budget; /* -1 = the part's */
  double ddr_gbps;            /* > 0 when given */
  int fold;                   /* 1 (default): fold under the budget; 0: off */
  int dsp_packing;            /* 1: two 8-bit products per DSP48E2 (WP486); 0 (default) */
  int engine;                 /* 0 (default): a unit per layer; 1: one shared
                                 convolution engine per segment (docs/hls.md) */
  int port_bits;              /* 8 (default), 64 or 128 (parts with 128-bit
                                 HP ports): the shared engine's and
                                 pooling's m_axi bursts move port_bits / 8
                                 bytes per beat */
  int pipelined;              /* 0 (default, schedule: serial): the
                                 hardware segments run one after another;
                                 1 (schedule: pipelined): they work on
                                 consecutive frames at once (docs/hls.md
                                 "Pipelined frames") */
  int engine_plane_kb;        /* 0 (default): the engine's line buffer
                                 rolls rows; N: a layer whose input (its
                                 channels padded to IP) and output planes
                                 each fit N KiB is buffered whole, one
                                 burst per channel (docs/hls.md "Whole
                                 planes"); -1: auto (the fastest
                                 plan that fits) */
  SrcLoc loc;                 /* the `target` key */
  SrcLoc part_loc;            /* the part value (loc when not given) */
  SrcLoc dsp_loc;             /* dsp_budget value (part_loc when not given) */
} CfgTarget;

/* types: <CaffeType>: hw|sw|auto */
typedef struct CfgTypeRule {
  const char *type; /* as written */
  int kind;         /* LayerKind, or LK_CUSTOM for a declared plugin type */
  CfgPlace place;
  SrcLoc loc;       /* the value's mark */
} CfgTypeRule;

/* layers: <name or fnmatch glob>: hw|sw|auto | {place, weights, ...} */
typedef struct CfgLayerRule {
  const char *pattern;
  bool glob;          /* pattern has *, ? or [ */
  CfgPlace place;     /* CFG_UNSET when the mapping has no `place` */
  CfgWeights weights;
  int in_parallel, out_parallel, pipeline_ii; /* 0 = inherit from target */
  bool seg_start;     /* segment_start: true */
  SrcLoc seg_loc;     /* its value */
  SrcLoc loc;         /* the pattern (key) */
  SrcLoc place_loc;   /* the place value, or loc when unset */
} CfgLayerRule;

typedef struct CfgConfig {
  const char *file;
  CfgTarget target;
  CfgPlace dflt;      /* `default:`; CFG_UNSET when absent */
  SrcLoc dflt_loc;
  int ntype;
  CfgTypeRule *types;
  int nlayer;
  CfgLayerRule *layers; /* file order (later globs win) */
  int ncustom;
  IrCustomType *custom; /* pass in ld_load_opts's LdOpts */
} CfgConfig;

/* Reads and validates a config file.  NULL (after reporting every problem,
 * with its file:line:col) on any error; warnings do not fail. */
CfgConfig *cfg_load(const char *path, Arena *ar, Diag *dg);
/* The same from text in memory; `name` is used in diagnostics. */
CfgConfig *cfg_parse(const char *name, const char *text, size_t len, Arena *ar, Diag *dg);

/* True when rule r's pattern names layer `name` (exactly, or as a glob). */
bool cfg_rule_matches(const CfgLayerRule *r, const char *name);
/* The rule that governs layer `name`: an exact name beats any glob, and
 * among globs the last matching entry wins.  NULL when none matches. */
const CfgLayerRule *cfg_layer_rule(const CfgConfig *c, const char *name);
/* The type rule for a layer: one written with the layer's own type string
 * first, else one naming its kind's canonical Caffe type.  NULL if none. */
const CfgTypeRule *cfg_type_rule(const CfgConfig *c, const Layer *l);
/* "hw", "sw", "auto" (or "unset"). */
const char *cfg_place_name(CfgPlace p);

#endif
