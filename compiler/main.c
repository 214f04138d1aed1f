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
  fprintf(f, "usage: chaicc <command> [options]\n\ncommands:\n");
  for (int i = 0; cli_commands[i].name; i++)
    fprintf(f, "  %-9s %-34s %s\n", cli_commands[i].name, cli_commands[i].args,
            cli_commands[i].summary);
  fprintf(f, "\noptions:\n"
             "  -h, --help   this help (also: chaicc <command> --help)\n"
             "  --version    print the version\n"
             "\nexit status: 0 success, 1 input error, 2 usage error, 3 internal error.\n"
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
