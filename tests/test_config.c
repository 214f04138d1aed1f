/* test_config.c - the YAML config (cfg_*), the partitioner (pt_*), the
 * partitioned Graphviz output and plugin ("custom") layers.
 *
 * Diagnostics are compared as exact strings (file:line:col included).
 * Nets: tests/nets/part_*.prototxt (run from the repository root, as ctest
 * does).  Standalone Check executable: exit status 0 iff all pass. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "loader.h"
#include "partition.h"

#define SMALL "tests/nets/part_small.prototxt"
#define CUSTOM "tests/nets/part_custom.prototxt"

static Arena ar;
static Diag dg;
static FILE *dout;
static char *dbuf;
static size_t dlen;

static void setup(void) {
  memset(&ar, 0, sizeof ar);
  dout = open_memstream(&dbuf, &dlen);
  diag_init(&dg, dout);
}

static void teardown(void) {
  fclose(dout);
  free(dbuf);
  dbuf = NULL;
  ar_free(&ar);
}

/* Everything reported so far. */
static const char *diags(void) {
  fflush(dout);
  return dbuf ? dbuf : "";
}

static CfgConfig *parse(const char *text) {
  return cfg_parse("net.yaml", text, strlen(text), &ar, &dg);
}

static Net *load(const char *path, const CfgConfig *c) {
  LdOpts lo = {c ? c->custom : NULL, c ? c->ncustom : 0, false};
  return ld_load_opts(path, NULL, &lo, &ar, &dg);
}

static Layer *L(Net *n, const char *name) {
  Layer *l = ld_find_layer(n, name);
  ck_assert_msg(l != NULL, "no layer %s", name);
  return l;
}

/* Parses text, loads SMALL, runs pt_assign; returns its result. */
static int assign(const char *text, Net **out) {
  CfgConfig *c = parse(text);
  ck_assert_msg(c != NULL, "config failed: %s", diags());
  Net *n = load(SMALL, c);
  ck_assert_msg(n != NULL, "load failed: %s", diags());
  *out = n;
  return pt_assign(n, c);
}

/* ---- parsing ---- */

static const char full_example[] =
    "target:\n"
    "  part: xczu9eg-ffvb1156-2-e\n"
    "  clock_ns: 5.0\n"
    "  onchip_weight_limit_kb: 256\n"
    "  pragmas: {pipeline_ii: 1, in_parallel: 8, out_parallel: 16}\n"
    "default: auto\n"
    "types:\n"
    "  Pooling: sw\n"
    "layers:\n"
    "  \"conv1*\": hw\n"
    "  fc6: {place: sw}\n"
    "  conv3: {place: hw, weights: axi, in_parallel: 4}\n"
    "custom_layers:\n"
    "  MyUpsample: {function: my_upsample, source: plugins/up.c, shape: \"scale_hw:2\"}\n";

START_TEST(good_config) {
  CfgConfig *c = parse(full_example);
  ck_assert_str_eq(diags(), "");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(c->target.part, "xczu9eg-ffvb1156-2-e");
  ck_assert(c->target.clock_ns == 5.0);
  ck_assert_int_eq(c->target.onchip_weight_limit_kb, 256);
  ck_assert_int_eq(c->target.pipeline_ii, 1);
  ck_assert_int_eq(c->target.in_parallel, 8);
  ck_assert_int_eq(c->target.out_parallel, 16);
  ck_assert_int_eq(c->dflt, CFG_AUTO);
  ck_assert_int_eq(c->dflt_loc.line, 6);
  ck_assert_int_eq(c->dflt_loc.col, 10);
  ck_assert_int_eq(c->ntype, 1);
  ck_assert_str_eq(c->types[0].type, "Pooling");
  ck_assert_int_eq(c->types[0].kind, LK_POOL);
  ck_assert_int_eq(c->types[0].place, CFG_SW);
  ck_assert_int_eq(c->nlayer, 3);
  ck_assert(c->layers[0].glob);
  ck_assert_int_eq(c->layers[0].place, CFG_HW);
  ck_assert(!c->layers[1].glob);
  ck_assert_int_eq(c->layers[1].place, CFG_SW);
  ck_assert_int_eq(c->layers[2].weights, CFG_W_AXI);
  ck_assert_int_eq(c->layers[2].in_parallel, 4);
  ck_assert_int_eq(c->layers[2].place_loc.line, 12);
  ck_assert_int_eq(c->layers[2].place_loc.col, 18);
  ck_assert_int_eq(c->ncustom, 1);
  ck_assert_str_eq(c->custom[0].type, "MyUpsample");
  ck_assert_str_eq(c->custom[0].fn, "my_upsample");
  ck_assert_str_eq(c->custom[0].source, "plugins/up.c");
  ck_assert_int_eq(c->custom[0].scale_hw, 2);
}
END_TEST

START_TEST(engine_key) {
  CfgConfig *c = parse("target:\n  part: xczu9eg-ffvb1156-2-e\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.engine, 0); /* default: a unit per layer */
  c = parse("target:\n  engine: shared\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.engine, 1);
  c = parse("target:\n  engine: layers\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.engine, 0);
  ck_assert_str_eq(diags(), "");
  ck_assert_ptr_null(parse("target:\n  engine: one\n"));
  ck_assert_str_eq(diags(), "net.yaml:2:11: error: bad value 'one' for target.engine: expected one of layers, shared\n");
}
END_TEST

START_TEST(empty_config) {
  CfgConfig *c = parse("");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->dflt, CFG_UNSET);
  c = parse("# only a comment\ntypes:\nlayers:\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(diags(), "");
}
END_TEST

START_TEST(unknown_keys_warn) {
  CfgConfig *c = parse("target:\n  prat: x\n  pragmas: {ii: 2}\nlayer:\n  conv1: hw\n"
                       "layers:\n  conv1: {place: hw, wieghts: axi}\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(
      diags(),
      "net.yaml:2:3: warning: unknown key 'prat' in target (expected one of: part, clock_ns, "
      "onchip_weight_limit_kb, pragmas, dsp_budget, bram18k_budget, uram_budget, ddr_gbps, "
      "fold, dsp_packing, engine, port_bits, engine_plane_kb, schedule)\n"
      "net.yaml:3:13: warning: unknown key 'ii' in target.pragmas (expected one of: "
      "pipeline_ii, in_parallel, out_parallel)\n"
      "net.yaml:7:22: warning: unknown key 'wieghts' in a layer rule (expected one of: place, "
      "weights, segment_start, pipeline_ii, in_parallel, out_parallel)\n"
      "net.yaml:4:1: warning: unknown key 'layer' in the configuration (expected one of: "
      "target, default, types, layers, custom_layers)\n");
  ck_assert_int_eq(dg.nwarnings, 4);
  ck_assert_int_eq(dg.nerrors, 0);
}
END_TEST

START_TEST(bad_place_value) {
  ck_assert_ptr_null(parse("layers:\n  fc6: {place: fpga}\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:2:16: error: bad value 'fpga' for place: expected one of hw, sw, "
                   "auto\n");
}
END_TEST

START_TEST(bad_values_collected) {
  ck_assert_ptr_null(parse("default: maybe\n"
                           "target:\n"
                           "  clock_ns: -5\n"
                           "  onchip_weight_limit_kb: lots\n"
                           "types:\n"
                           "  Poolng: sw\n"
                           "  ReLU: [hw]\n"
                           "layers:\n"
                           "  conv1: {weights: dram}\n"
                           "  conv1: sw\n"));
  ck_assert_str_eq(
      diags(),
      "net.yaml:3:13: error: target.clock_ns must be a positive number\n"
      "net.yaml:4:27: error: target.onchip_weight_limit_kb must be an integer from 0 to "
      "1048576\n"
      "net.yaml:1:10: error: bad value 'maybe' for default: expected one of hw, sw, auto\n"
      "net.yaml:6:3: error: 'Poolng' is neither a Caffe layer type chaicc knows nor a layer "
      "declared under custom_layers\n"
      "net.yaml:7:9: error: place must be one of hw, sw, auto\n"
      "net.yaml:10:3: error: duplicate key 'conv1' in layers (first at line 9)\n");
  ck_assert_int_eq(dg.nerrors, 6);
}
END_TEST

/* dsp_packing: a boolean, and only on parts with DSP48E2 slices (the
 * error at the value, wherever the part is given). */
START_TEST(dsp_packing) {
  CfgConfig *c = parse("target:\n  dsp_packing: true\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.dsp_packing, 1);
  c = parse("target:\n  part: xczu3eg-sbva484-1-e\n  dsp_packing: false\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.dsp_packing, 0);
  ck_assert_int_eq(dg.nerrors, 0);
  ck_assert_ptr_null(parse("target:\n  dsp_packing: true\n  part: xc7z020-clg484-1\n"));
  ck_assert_ptr_null(parse("target:\n  dsp_packing: yes\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:2:16: error: target.dsp_packing needs DSP48E2 slices (UltraScale); "
                   "xc7z020-clg484-1 has DSP48E1, whose 25-bit pre-adder cannot hold two 8-bit "
                   "weights 18 bits apart\n"
                   "net.yaml:2:16: error: bad value 'yes' for target.dsp_packing: expected one of "
                   "false, true\n");
}
END_TEST

/* port_bits: 8 (the default), 64 or 128, anything else a located error;
 * 128 only on parts with 128-bit HP ports (the error at the value,
 * wherever the part is given). */
START_TEST(port_bits) {
  static const struct {
    const char *yaml;
    int bits;
  } ok[] = {
      {"target:\n  engine: shared\n", 8},
      {"target:\n  port_bits: 64\n", 64},
      {"target:\n  port_bits: 8\n", 8},
      {"target:\n  port_bits: 128\n", 128},
      {"target:\n  part: xczu3eg-sbva484-1-e\n  port_bits: 128\n", 128},
      {"target:\n  part: xc7z045-ffg900-2\n  port_bits: 64\n", 64},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    CfgConfig *c = parse(ok[i].yaml);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->target.port_bits, ok[i].bits);
  }
  ck_assert_int_eq(dg.nerrors, 0);
  ck_assert_ptr_null(parse("target:\n  port_bits: 32\n"));
  ck_assert_ptr_null(parse("target:\n  port_bits: 128\n  part: xc7z020-clg484-1\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:2:14: error: bad value '32' for target.port_bits: expected one of 8, "
                   "64, 128\n"
                   "net.yaml:2:14: error: target.port_bits 128 needs 128-bit HP ports; "
                   "xc7z020-clg484-1 has 64-bit ones (use 64)\n");
}
END_TEST

/* engine_plane_kb: a size in KiB or auto (-1), for the shared engine with
 * wide ports only (the error at the value). */
START_TEST(engine_plane_kb) {
  CfgConfig *c = parse("target:\n  engine: shared\n  port_bits: 128\n  engine_plane_kb: 150\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.engine_plane_kb, 150);
  ck_assert_int_eq(parse("target:\n  engine: shared\n")->target.engine_plane_kb, 0);
  ck_assert_int_eq(parse("target:\n  engine: shared\n  port_bits: 64\n  engine_plane_kb: auto\n")
                       ->target.engine_plane_kb,
                   -1);
  ck_assert_int_eq(dg.nerrors, 0);
  ck_assert_ptr_null(parse("target:\n  engine: shared\n  engine_plane_kb: 64\n"));
  ck_assert_ptr_null(parse("target:\n  port_bits: 64\n  engine_plane_kb: 64\n"));
  ck_assert_ptr_null(parse("target:\n  engine: shared\n  port_bits: 64\n  engine_plane_kb: -1\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:3:20: error: target.engine_plane_kb needs the shared engine with wide ports "
                   "(target.engine: shared, target.port_bits: 64 or 128)\n"
                   "net.yaml:3:20: error: target.engine_plane_kb needs the shared engine with wide ports "
                   "(target.engine: shared, target.port_bits: 64 or 128)\n"
                   "net.yaml:4:20: error: target.engine_plane_kb must be an integer from 0 to 1048576 or "
                   "'auto'\n");
}
END_TEST

START_TEST(schedule_and_segment_start) {
  CfgConfig *c = parse("target:\n  schedule: pipelined\nlayers:\n  conv2: {segment_start: true}\n"
                       "  conv3: {segment_start: false, place: hw}\n");
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->target.pipelined, 1);
  ck_assert_int_eq(c->nlayer, 2);
  ck_assert(c->layers[0].seg_start);
  ck_assert_int_eq(c->layers[0].seg_loc.line, 4);
  ck_assert(!c->layers[1].seg_start);
  ck_assert_int_eq(parse("target:\n  schedule: serial\n")->target.pipelined, 0);
  ck_assert_int_eq(parse("target:\n  engine: shared\n")->target.pipelined, 0);
  ck_assert_int_eq(dg.nerrors, 0);
  ck_assert_ptr_null(parse("target:\n  schedule: overlapped\nlayers:\n  conv2: {segment_start: 1}\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:2:13: error: bad value 'overlapped' for target.schedule: expected one "
                   "of serial, pipelined\n"
                   "net.yaml:4:26: error: bad value '1' for segment_start: expected one of false, "
                   "true\n");
}
END_TEST

START_TEST(malformed_yaml) {
  ck_assert_ptr_null(parse("layers:\n  conv1: hw\n  fc6: [sw\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:4:1: error: malformed YAML: did not find expected ',' or ']' "
                   "(while parsing a flow sequence at line 3, column 8)\n");
}
END_TEST

START_TEST(malformed_yaml_indent) {
  ck_assert_ptr_null(parse("types:\n  Pooling: sw\n bad: x\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:3:2: error: malformed YAML: did not find expected key (while "
                   "parsing a block mapping at line 1, column 1)\n");
}
END_TEST

START_TEST(not_a_mapping) {
  ck_assert_ptr_null(parse("- hw\n- sw\n"));
  ck_assert_str_eq(diags(),
                   "net.yaml:1:1: error: the configuration must be a mapping (target, default, "
                   "types, layers, custom_layers)\n");
}
END_TEST

START_TEST(custom_layer_errors) {
  ck_assert_ptr_null(parse("custom_layers:\n"
                           "  Convolution: {function: f}\n"
                           "  A: {source: a.c}\n"
                           "  B: {function: 2fast}\n"
                           "  C: {function: c, shape: double}\n"
                           "  D: {function: d, shape: \"scale_hw:0\", colour: red}\n"));
  ck_assert_str_eq(
      diags(),
      "net.yaml:2:3: error: custom layer 'Convolution' has the name of a built-in layer type\n"
      "net.yaml:3:3: error: custom layer 'A' needs a 'function' (the plugin's C function)\n"
      "net.yaml:4:17: error: function '2fast' of custom layer 'B' is not a C identifier\n"
      "net.yaml:5:27: error: bad shape 'double' for custom layer 'C': expected same or "
      "scale_hw:K (K from 1 to 64)\n"
      "net.yaml:6:27: error: bad shape 'scale_hw:0' for custom layer 'D': expected same or "
      "scale_hw:K (K from 1 to 64)\n"
      "net.yaml:6:41: warning: unknown key 'colour' in a custom layer (expected one of: "
      "function, source, shape, params)\n");
}
END_TEST

START_TEST(file_errors) {
  ck_assert_ptr_null(cfg_load("tests/nets/no_such_config.yaml", &ar, &dg));
  ck_assert_str_eq(diags(), "tests/nets/no_such_config.yaml: error: cannot open the "
                            "configuration: No such file or directory\n");
}
END_TEST

/* ---- rule lookup ---- */

START_TEST(rule_precedence_lookup) {
  CfgConfig *c = parse("layers:\n"
                       "  \"conv*\": sw\n"
                       "  conv2: hw\n"
                       "  \"conv[12]\": auto\n"
                       "  \"c*\": {weights: onchip}\n");
  ck_assert_ptr_nonnull(c);
  /* exact beats glob even when the glob comes later */
  ck_assert_str_eq(cfg_layer_rule(c, "conv2")->pattern, "conv2");
  /* the last matching glob wins */
  ck_assert_str_eq(cfg_layer_rule(c, "conv1")->pattern, "c*");
  ck_assert_str_eq(cfg_layer_rule(c, "cat")->pattern, "c*");
  ck_assert_ptr_null(cfg_layer_rule(c, "fc6"));
}
END_TEST

/* ---- partitioning ---- */

START_TEST(builtin_defaults) {
  Net *n = load(SMALL, NULL);
  ck_assert_ptr_nonnull(n);
  ck_assert_int_eq(pt_assign(n, NULL), 0);
  static const struct {
    const char *name;
    Placement pl;
    const char *why;
  } want[] = {
      {"data", PL_SW, "built-in default; no hardware kernel"},
      {"conv1", PL_HW, "built-in default"},
      {"relu1", PL_HW, "built-in default"},
      {"pool1", PL_HW, "built-in default"},
      {"conv2", PL_SW, "built-in default; fell back: kernel 9x9 is not one of 1, 3, 5, 7, 11"},
      {"conv3", PL_HW, "built-in default"},
      {"fc6", PL_SW, "built-in default; no hardware kernel"},
      {"prob", PL_SW, "built-in default; no hardware kernel"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    Layer *l = L(n, want[i].name);
    ck_assert_msg(l->place == want[i].pl, "%s placed %d", want[i].name, l->place);
    ck_assert_str_eq(pt_reason(l), want[i].why);
    ck_assert_ptr_null(l->place_loc.file);
  }
  ck_assert_str_eq(diags(), "");
}
END_TEST

START_TEST(precedence) {
  Net *n;
  ck_assert_int_eq(assign("default: sw\n"            /* 1 */
                          "types:\n"                 /* 2 */
                          "  Convolution: hw\n"      /* 3 */
                          "  ReLU: auto\n"           /* 4 */
                          "layers:\n"                /* 5 */
                          "  \"conv*\": auto\n"      /* 6 */
                          "  conv3: sw\n"            /* 7 */
                          "  \"conv[23]\": hw\n"     /* 8: conv2 violates a limit... */
                          "  conv2: auto\n"          /* 9: ...but the exact rule wins */
                          "  \"p*\": {weights: axi}\n", /* 10: no place: types/default decide */
                          &n),
                   0);
  ck_assert_str_eq(diags(), "");
  ck_assert_int_eq(L(n, "conv1")->place, PL_HW); /* glob conv* auto (conv[23] does not match) */
  ck_assert_str_eq(pt_reason(L(n, "conv1")), "layer rule at net.yaml:6:12");
  ck_assert_int_eq(L(n, "conv1")->place_loc.line, 6);
  ck_assert_int_eq(L(n, "conv2")->place, PL_SW);
  ck_assert_str_eq(pt_reason(L(n, "conv2")),
                   "layer rule at net.yaml:9:10; fell back: kernel 9x9 is not one of 1, 3, 5, "
                   "7, 11");
  ck_assert_int_eq(L(n, "conv3")->place, PL_SW); /* exact beats the later glob */
  ck_assert_str_eq(pt_reason(L(n, "conv3")), "layer rule at net.yaml:7:10");
  ck_assert_int_eq(L(n, "relu1")->place, PL_HW);
  ck_assert_str_eq(pt_reason(L(n, "relu1")), "type rule at net.yaml:4:9");
  ck_assert_int_eq(L(n, "pool1")->place, PL_SW); /* p* has no place: default sw */
  ck_assert_str_eq(pt_reason(L(n, "pool1")), "default at net.yaml:1:10");
  ck_assert_int_eq(L(n, "prob")->place, PL_SW);
  ck_assert_str_eq(pt_reason(L(n, "prob")), "default at net.yaml:1:10");
}
END_TEST

START_TEST(relu_follows_its_producer) {
  Net *n;
  ck_assert_int_eq(assign("layers:\n  conv1: sw\n", &n), 0);
  ck_assert_int_eq(L(n, "relu1")->place, PL_SW);
  ck_assert_str_eq(pt_reason(L(n, "relu1")),
                   "built-in default; fell back: ReLU is fused into 'conv1', which is placed in "
                   "software");
}
END_TEST

START_TEST(hw_request_violating_limit) {
  Net *n;
  ck_assert_int_eq(assign("layers:\n"
                          "  conv1: sw\n"
                          "  conv2: hw\n"
                          "  relu1: {place: hw}\n"
                          "  fc6: hw\n",
                          &n),
                   -1);
  ck_assert_str_eq(diags(),
                   "net.yaml:4:18: error: layer 'relu1' (ReLU) cannot be placed in hardware: "
                   "ReLU is fused into 'conv1', which is placed in software\n"
                   "net.yaml:3:10: error: layer 'conv2' (Convolution) cannot be placed in "
                   "hardware: kernel 9x9 is not one of 1, 3, 5, 7, 11\n"
                   "net.yaml:5:8: error: layer 'fc6' (InnerProduct) cannot be placed in "
                   "hardware: CHaiDNN has no hardware kernel for InnerProduct\n");
}
END_TEST

START_TEST(default_hw) {
  Net *n;
  /* default: hw forces hardware-capable kinds (conv2 cannot: error) and
   * leaves CPU-only kinds in software. */
  ck_assert_int_eq(assign("default: hw\n", &n), -1);
  ck_assert_str_eq(diags(), "net.yaml:1:10: error: layer 'conv2' (Convolution) cannot be "
                            "placed in hardware: kernel 9x9 is not one of 1, 3, 5, 7, 11\n");
  ck_assert_int_eq(L(n, "fc6")->place, PL_SW);
  ck_assert_str_eq(pt_reason(L(n, "fc6")), "default at net.yaml:1:10; no hardware kernel");
  ck_assert_int_eq(L(n, "conv3")->place, PL_HW);
}
END_TEST

START_TEST(type_rule_hw_without_kernel) {
  Net *n;
  ck_assert_int_eq(assign("types:\n  InnerProduct: hw\n  Softmax: sw\n", &n), -1);
  ck_assert_str_eq(diags(), "net.yaml:2:17: error: type 'InnerProduct' cannot be placed in "
                            "hardware: CHaiDNN has no hardware kernel for it\n");
}
END_TEST

/* With a shared engine a rule's lanes do not reach its convolutions:
 * warned at the rule (conv1, conv2 in hardware; conv3 falls back to
 * software; pool1 keeps its own lanes; no engine, no warning). */
START_TEST(engine_rule_lanes_warn) {
  Net *n;
  ck_assert_int_eq(assign("target:\n  engine: shared\nlayers:\n  conv1: {in_parallel: 4}\n"
                          "  \"conv*\": {out_parallel: 8}\n  pool1: {out_parallel: 2}\n",
                          &n),
                   0);
  ck_assert_str_eq(diags(),
                   "net.yaml:4:3: warning: in_parallel / out_parallel do not apply to layer "
                   "'conv1': with target.engine: shared its segment's engine computes it with "
                   "target.pragmas' lanes\n"
                   "net.yaml:5:3: warning: in_parallel / out_parallel do not apply to layer "
                   "'conv1' and 1 more convolution: with target.engine: shared its segment's "
                   "engine computes it with target.pragmas' lanes\n");
  size_t k = strlen(diags());
  ck_assert_int_eq(assign("layers:\n  conv1: {in_parallel: 4}\n", &n), 0);
  ck_assert_str_eq(diags() + k, "");
}
END_TEST

/* segment_start marks the hardware layers its rule governs (an exact
 * name beats a glob), and warns at its value when none runs in hardware */
START_TEST(segment_start_marks) {
  Net *n;
  ck_assert_int_eq(assign("layers:\n  \"conv*\": {segment_start: true}\n  conv3: hw\n"
                          "  fc6: {place: sw, segment_start: true}\n",
                          &n),
                   0);
  const char *want[] = {"conv1", "conv2", NULL};
  for (int i = 0; i < n->nlayer; i++) {
    const Layer *l = n->layers[i];
    bool in = false;
    for (int k = 0; want[k]; k++) in |= !strcmp(l->name, want[k]);
    ck_assert_msg(l->seg_start == (in && l->place == PL_HW), "%s", l->name);
  }
  ck_assert_str_eq(diags(), "net.yaml:4:35: warning: segment_start has no effect: no layer 'fc6' "
                            "runs in hardware\n");
}
END_TEST

START_TEST(unmatched_patterns) {
  Net *n;
  ck_assert_int_eq(assign("layers:\n  \"conv9*\": hw\n  fc7: sw\n  \"conv?\": sw\n", &n), -1);
  ck_assert_str_eq(diags(),
                   "net.yaml:2:3: error: layer pattern 'conv9*' matches no layer in "
                   "tests/nets/part_small.prototxt\n"
                   "net.yaml:3:3: error: no layer named 'fc7' in tests/nets/part_small.prototxt\n");
}
END_TEST

START_TEST(v1_and_alias_types) {
  /* A type rule written with the canonical name covers every spelling of
   * the kind; here through the registry, without a file. */
  CfgConfig *c = parse("types:\n  Convolution: sw\n  DepthwiseConvolution: hw\n");
  ck_assert_ptr_nonnull(c);
  Layer v1 = {.name = "c", .type = "CONVOLUTION", .kind = LK_CONV};
  Layer dw = {.name = "d", .type = "DepthwiseConvolution", .kind = LK_CONV};
  ck_assert_str_eq(cfg_type_rule(c, &v1)->type, "Convolution");
  ck_assert_str_eq(cfg_type_rule(c, &dw)->type, "DepthwiseConvolution");
}
END_TEST

START_TEST(limit_table) {
  /* Kinds with and without a hardware kernel (docs/partitioning.md). */
  ck_assert(pt_has_hw(LK_CONV) && pt_has_hw(LK_DECONV) && pt_has_hw(LK_POOL));
  ck_assert(pt_has_hw(LK_BN) && pt_has_hw(LK_SCALE) && pt_has_hw(LK_ELTWISE));
  ck_assert(pt_has_hw(LK_RELU) && pt_has_hw(LK_CONCAT));
  ck_assert(!pt_has_hw(LK_IP) && !pt_has_hw(LK_SOFTMAX) && !pt_has_hw(LK_PERMUTE));
  ck_assert(!pt_has_hw(LK_NORMALIZE) && !pt_has_hw(LK_DETOUT) && !pt_has_hw(LK_CUSTOM));
  Net *n = load(SMALL, NULL);
  ck_assert_ptr_nonnull(n);
  char why[256];
  Layer *c1 = L(n, "conv1");
  ck_assert(pt_hw_ok(c1, why, sizeof why));
  c1->p.conv.sw = 2;
  ck_assert(!pt_hw_ok(c1, why, sizeof why));
  ck_assert_str_eq(why, "stride 1x2: horizontal and vertical strides differ");
  c1->p.conv.sw = 1;
  c1->p.conv.dh = c1->p.conv.dw = 2;
  ck_assert(!pt_hw_ok(c1, why, sizeof why));
  ck_assert_str_eq(why, "dilation 2x2 is not 1 or 6");
  c1->p.conv.dh = c1->p.conv.dw = 6;
  ck_assert(pt_hw_ok(c1, why, sizeof why));
  c1->p.conv.kw = 5;
  ck_assert(!pt_hw_ok(c1, why, sizeof why));
  ck_assert_str_eq(why, "kernel 3x5 is not square");
  c1->p.conv.kw = 3;
  c1->top[0]->shape.d[1] = 4096;
  ck_assert(!pt_hw_ok(c1, why, sizeof why));
  ck_assert_str_eq(why, "4096 output feature maps (the hardware takes fewer than 4096)");
  Layer *p1 = L(n, "pool1");
  p1->p.pool.method = RT_POOL_STOCHASTIC;
  ck_assert(!pt_hw_ok(p1, why, sizeof why));
  ck_assert_str_eq(why, "STOCHASTIC pooling (the hardware does MAX and AVE)");
}
END_TEST

/* ---- Graphviz ---- */

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static const char small_dot[] =
    "digraph \"part_small\" {\n"
    "  label=\"part_small: 3 hardware (blue), 5 software (orange) layers\";\n"
    "  labelloc=t;\n"
    "  rankdir=TB;\n"
    "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
    "  edge [fontname=\"Helvetica\", fontsize=9];\n"
    "  L0 [fillcolor=\"#fdd0a2\", label=\"data\\nInput\\nSW\"];\n"
    "  L1 [fillcolor=\"#9ecae1\", label=\"conv1\\nConvolution\\nHW\"];\n"
    "  L2 [fillcolor=\"#9ecae1\", label=\"relu1\\nReLU\\nHW\"];\n"
    "  L3 [fillcolor=\"#fdd0a2\", label=\"pool1\\nPooling\\nSW\"];\n"
    "  L4 [fillcolor=\"#fdd0a2\", label=\"conv2\\nConvolution\\nSW\"];\n"
    "  L5 [fillcolor=\"#9ecae1\", label=\"conv3\\nConvolution\\nHW\"];\n"
    "  L6 [fillcolor=\"#fdd0a2\", label=\"fc6\\nInnerProduct\\nSW\"];\n"
    "  L7 [fillcolor=\"#fdd0a2\", label=\"prob\\nSoftmax\\nSW\"];\n"
    "  L0 -> L1 [label=\"1x3x16x16\"];\n"
    "  L1 -> L2 [label=\"1x8x16x16\"];\n"
    "  L2 -> L3 [label=\"1x8x16x16\"];\n"
    "  L3 -> L4 [label=\"1x8x8x8\"];\n"
    "  L4 -> L5 [label=\"1x8x8x8\"];\n"
    "  L5 -> L6 [label=\"1x8x8x8\"];\n"
    "  L6 -> L7 [label=\"1x10\"];\n"
    "  O7 [shape=ellipse, fillcolor=\"#ffffff\", label=\"prob\"];\n"
    "  L7 -> O7 [label=\"1x10\"];\n"
    "}\n";

START_TEST(dot_output) {
  Net *n;
  ck_assert_int_eq(assign("types:\n  Pooling: sw\n", &n), 0);
  char path[64], path2[64];
  snprintf(path, sizeof path, "/tmp/chai_test_config_%d.dot", (int)getpid());
  snprintf(path2, sizeof path2, "/tmp/chai_test_config_%d_2.dot", (int)getpid());
  ck_assert_int_eq(pt_write_dot(n, path, &dg), 0);
  ck_assert_int_eq(pt_write_dot(n, path2, &dg), 0);
  char *a = slurp(path), *b = slurp(path2);
  ck_assert_str_eq(a, small_dot);
  ck_assert_str_eq(a, b); /* deterministic */
  free(a);
  free(b);
  remove(path);
  remove(path2);
  ck_assert_int_eq(pt_write_dot(n, "/nonexistent-dir/x.dot", &dg), -1);
}
END_TEST

/* ---- plugin layers ---- */

START_TEST(custom_unknown_without_config) {
  ck_assert_ptr_null(load(CUSTOM, NULL));
  ck_assert_ptr_nonnull(strstr(diags(), "tests/nets/part_custom.prototxt:8:21: error: layer "
                                        "'up1': unknown layer type 'MyUpsample'"));
}
END_TEST

START_TEST(custom_loads_with_config) {
  CfgConfig *c = parse("custom_layers:\n"
                       "  MyUpsample: {function: my_upsample, shape: \"scale_hw:2\"}\n"
                       "types:\n"
                       "  MyUpsample: sw\n");
  ck_assert_ptr_nonnull(c);
  Net *n = load(CUSTOM, c);
  ck_assert_msg(n != NULL, "%s", diags());
  Layer *up = L(n, "up1");
  ck_assert_int_eq(up->kind, LK_CUSTOM);
  ck_assert_ptr_nonnull(up->custom);
  ck_assert_str_eq(up->custom->fn, "my_upsample");
  ck_assert_str_eq(up->p.custom.fn, "my_upsample");
  char ss[64];
  ck_assert_str_eq(rt_shape_str(&up->top[0]->shape, ss, sizeof ss), "1x4x16x16");
  ck_assert_str_eq(rt_shape_str(&L(n, "conv2")->top[0]->shape, ss, sizeof ss), "1x2x16x16");
  ck_assert_int_eq(pt_assign(n, c), 0);
  ck_assert_int_eq(up->place, PL_SW);
  ck_assert_str_eq(pt_reason(up), "type rule at net.yaml:4:15");
  ck_assert_int_eq(L(n, "conv2")->place, PL_HW);
}
END_TEST

START_TEST(custom_same_shape_and_hw_request) {
  CfgConfig *c = parse("custom_layers:\n"
                       "  MyUpsample: {function: up}\n"
                       "layers:\n"
                       "  up1: hw\n");
  ck_assert_ptr_nonnull(c);
  Net *n = load(CUSTOM, c);
  ck_assert_ptr_nonnull(n);
  char ss[64];
  ck_assert_str_eq(rt_shape_str(&L(n, "up1")->top[0]->shape, ss, sizeof ss), "1x4x8x8");
  ck_assert_int_eq(pt_assign(n, c), -1);
  ck_assert_str_eq(diags(), "net.yaml:4:8: error: layer 'up1' (MyUpsample) cannot be placed "
                            "in hardware: plugin layers (function 'up') run in software\n");
}
END_TEST

START_TEST(custom_type_hw_rule) {
  CfgConfig *c = parse("custom_layers:\n  MyUpsample: {function: up}\ntypes:\n"
                       "  MyUpsample: hw\n");
  Net *n = load(CUSTOM, c);
  ck_assert_int_eq(pt_assign(n, c), -1);
  ck_assert_str_eq(diags(), "net.yaml:4:15: error: type 'MyUpsample' cannot be placed in "
                            "hardware: plugin layers run in software\n");
}
END_TEST

/* A plugin the test supplies: doubles every value (shape "same"). */
static void twice(const float *in, const int is[4], float *out, const int os[4]) {
  int n = is[0] * is[1] * is[2] * is[3];
  ck_assert_int_eq(n, os[0] * os[1] * os[2] * os[3]);
  for (int i = 0; i < n; i++) out[i] = 2 * in[i];
}

START_TEST(custom_kernel_calls_plugin) {
  float in[6] = {1, 2, 3, 4, 5, 6}, out[6] = {0};
  rt_tensor b = {rt_shape4(1, 1, 2, 3), in}, t = {rt_shape4(1, 1, 2, 3), out};
  rt_args a = {.nb = 1, .nt = 1, .b = &b, .t = &t};
  rt_custom_param p = {.layer = "up1", .fn = "twice", .call = twice};
  rt_custom_f32(&p, &a);
  ck_assert(out[5] == 12.0f);
}
END_TEST

START_TEST(custom_kernel_refuses_in_interpreter) {
  float in[1] = {1}, out[1];
  rt_tensor b = {rt_shape4(1, 1, 1, 1), in}, t = {rt_shape4(1, 1, 1, 1), out};
  rt_args a = {.nb = 1, .nt = 1, .b = &b, .t = &t};
  rt_custom_param p = {.layer = "up1", .fn = "my_upsample"};
  rt_custom_f32(&p, &a); /* exits with status 1 */
}
END_TEST

static Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, good_config);
  tcase_add_test(tc, engine_key);
  tcase_add_test(tc, empty_config);
  tcase_add_test(tc, unknown_keys_warn);
  tcase_add_test(tc, bad_place_value);
  tcase_add_test(tc, bad_values_collected);
  tcase_add_test(tc, dsp_packing);
  tcase_add_test(tc, port_bits);
  tcase_add_test(tc, engine_plane_kb);
  tcase_add_test(tc, schedule_and_segment_start);
  tcase_add_test(tc, malformed_yaml);
  tcase_add_test(tc, malformed_yaml_indent);
  tcase_add_test(tc, not_a_mapping);
  tcase_add_test(tc, custom_layer_errors);
  tcase_add_test(tc, file_errors);
  tcase_add_test(tc, rule_precedence_lookup);
  suite_add_tcase(s, tc);
  TCase *tp = tcase_create("partition");
  tcase_add_checked_fixture(tp, setup, teardown);
  tcase_add_test(tp, builtin_defaults);
  tcase_add_test(tp, precedence);
  tcase_add_test(tp, relu_follows_its_producer);
  tcase_add_test(tp, hw_request_violating_limit);
  tcase_add_test(tp, default_hw);
  tcase_add_test(tp, type_rule_hw_without_kernel);
  tcase_add_test(tp, unmatched_patterns);
  tcase_add_test(tp, engine_rule_lanes_warn);
  tcase_add_test(tp, segment_start_marks);
  tcase_add_test(tp, v1_and_alias_types);
  tcase_add_test(tp, limit_table);
  tcase_add_test(tp, dot_output);
  suite_add_tcase(s, tp);
  TCase *tc2 = tcase_create("custom");
  tcase_add_checked_fixture(tc2, setup, teardown);
  tcase_add_test(tc2, custom_unknown_without_config);
  tcase_add_test(tc2, custom_loads_with_config);
  tcase_add_test(tc2, custom_same_shape_and_hw_request);
  tcase_add_test(tc2, custom_type_hw_rule);
  tcase_add_test(tc2, custom_kernel_calls_plugin);
  tcase_add_exit_test(tc2, custom_kernel_refuses_in_interpreter, 1);
  suite_add_tcase(s, tc2);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(config_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
