/* cli.c - the command table and shared CLI helpers. */
#include "cli.h"

#include <string.h>

#include "arena.h"
#include "diag.h"

const CliCommand cli_commands[] = {
    {"info", cmd_info, "DEPLOY [WEIGHTS]", "layers, shapes, parameters, MACs (--passes, --config, --graph)"},
    {"run", cmd_run, "DEPLOY [WEIGHTS] --input X", "run the net: float, or fixed point for a CHai prototxt"},
    {"quantize", cmd_quantize, "--deploy_model D --weights W ...", "XportDNN-compatible quantizer (writes a CHai prototxt)"},
    {"eval", cmd_eval, "DEPLOY [WEIGHTS] --dataset ...", "top-1 accuracy over a labelled data set"},
    {"compare", cmd_compare, "A B [--rtol R]", "compare .npy files or directories of them"},
    {"compile", cmd_compile, "DEPLOY [WEIGHTS] -o DIR", "emit a standalone C (and HLS) project"},
    {"deploy", cmd_deploy, "TRAIN --input_shape S -o D", "write the deploy prototxt of a training prototxt"},
    {NULL, NULL, NULL, NULL},
};

static const char *cmdline = "chaicc";

void cli_argv0(int argc, char **argv) {
  size_t n = 0;
  for (int i = 0; i < argc; i++) n += strlen(argv[i]) * 2 + 3;
  char *s = ar_alloc(&chai_arena, n + 1), *p = s;
  for (int i = 0; i < argc; i++) {
    const char *a = i == 0 ? "chaicc" : argv[i];
    int quote = a[0] == 0 || strpbrk(a, " \t\"'\\$`") != NULL;
    if (i) *p++ = ' ';
    if (quote) *p++ = '\'';
    for (; *a; a++) {
      if (quote && *a == '\'') {
        memcpy(p, "'\\''", 4);
        p += 4;
      } else {
        *p++ = *a;
      }
    }
    if (quote) *p++ = '\'';
  }
  *p = 0;
  cmdline = s;
}

const char *cli_cmdline(void) { return cmdline; }

int cli_status(void) { return chai_diag.nerrors ? 1 : 0; }
