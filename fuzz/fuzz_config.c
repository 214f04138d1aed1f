/* fuzz_config.c - the YAML configuration reader (cfg_parse), and the rule
 * lookups on whatever loads.  Besides "no crash": cfg_parse returns NULL
 * exactly when it reported an error. */
#include <stdlib.h>

#include "arena.h"
#include "config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Arena ar = {0};
  Diag dg = fz_diag();
  CfgConfig *c = cfg_parse("in.yaml", (const char *)data, size, &ar, &dg);
  if ((c == NULL) != (dg.nerrors > 0)) abort();
  if (c) {
    (void)cfg_layer_rule(c, "conv1");
    (void)cfg_layer_rule(c, "");
    (void)cfg_place_name(c->dflt);
  }
  ar_free(&ar);
  return 0;
}
