/* cli.h - subcommands of the chaicc CLI, one file each (cmd_*.c). */
#ifndef CHAI_CLI_H
#define CHAI_CLI_H

typedef struct CliCommand {
  const char *name;
  int (*fn)(int argc, char **argv); /* argv[0] is the command name */
  const char *args;                 /* synopsis for --help */
  const char *summary;
} CliCommand;

extern const CliCommand cli_commands[];

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_deploy(int argc, char **argv);

/* Records the full command line (for provenance headers). */
void cli_argv0(int argc, char **argv);
/* The command line as one string (quoted where needed). */
const char *cli_cmdline(void);
/* Exit status for the global diagnostics: 1 if any error, else 0. */
int cli_status(void);

#endif
