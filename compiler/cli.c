/* cli.c - the command table and shared CLI helpers. */
#include "cli.h"

#include <string.h>

#include "arena.h"
#include "diag.h"

const CliCommand cli_commands[] = {
    {"info", cmd_info},
    {"run", cmd_run},
    {"quantize", cmd_quantize},
    {"eval", cmd_eval},
    {"compare", cmd_compare},
    {"compile", cmd_compile},
    {NULL, NULL},
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
