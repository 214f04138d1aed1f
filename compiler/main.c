/* main.c - the chaicc command line.
 *
 * Exit codes: 0 success, 1 input error (a located diagnostic was printed),
 * 2 usage error, 3 internal error (out of memory and the like). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "loader.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: chaicc <command> [options]\n"
          "\n"
          "commands:\n"
          "  info DEPLOY [WEIGHTS]          layers, shapes, parameters and MACs\n"
          "  run DEPLOY WEIGHTS --input X   run the network (float, or fixed point for a CHai prototxt)\n"
          "  quantize --deploy_model D --weights W --quantized_deploy_model OUT [...]\n"
          "                                 XportDNN-compatible quantizer\n"
          "  compile DEPLOY WEIGHTS -o DIR  emit a standalone C project\n"
          "\n"
          "options:\n"
          "  -h, --help       this help (also: chaicc <command> --help)\n"
          "  --version        print the version\n"
          "\n"
          "See docs/cli.md for every option.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("chaicc %s\n", CHAI_VERSION);
    return 0;
  }
  cli_argv0(argc, argv);
  for (int i = 0; cli_commands[i].name; i++)
    if (!strcmp(cmd, cli_commands[i].name)) {
      int rc = cli_commands[i].fn(argc - 1, argv + 1);
      ld_cleanup();
      ar_free(&chai_arena);
      return rc;
    }
  fprintf(stderr, "chaicc: error: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
