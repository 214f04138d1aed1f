/* cmd_deploy.c - `chaicc deploy TRAIN.prototxt [--input_shape N,C,H,W]
 * -o DEPLOY.prototxt`: loads a training/validation prototxt the way every
 * command does (the TEST phase, data layers as one Input, losses in their
 * deploy form; train.h) and writes the deploy prototxt, keeping a CHai
 * prototxt's weights pin (quant.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "loader.h"
#include "quant.h"
#include "textfmt.h"
#include "train.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: chaicc deploy NET.prototxt [--input_shape N,C,H,W] [--stage S]... [--level N]\n"
          "                     -o DEPLOY.prototxt\n"
          "  Writes the deploy form of a training/validation prototxt: the layers of\n"
          "  the TEST phase (include/exclude rules with phase, level and stage: the\n"
          "  file's `state`, plus each --stage, and --level in place of its level), data\n"
          "  layers as one Input (shape from --input_shape, or from a DummyData or\n"
          "  MemoryData layer), SoftmaxWithLoss as Softmax, SigmoidCrossEntropyLoss as\n"
          "  Sigmoid; Accuracy, Silence, the other losses and the label blobs are\n"
          "  dropped (a note names each).  -o - writes to stdout.\n");
}

int cmd_deploy(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int r = tr_parse_flag(argc, argv, &i, &chai_diag);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-o") && i + 1 < argc) {
      out = argv[++i];
    } else if (a[0] == '-' || in) {
      fprintf(stderr, "chaicc deploy: error: unexpected argument '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      in = a;
    }
  }
  if (!in || !out) {
    fprintf(stderr, "chaicc deploy: error: need NET.prototxt and -o DEPLOY.prototxt\n");
    usage(stderr);
    return 2;
  }
  Net *n = ld_load(in, NULL, &chai_arena, &chai_diag);
  if (!n) return 1;
  Caffe__NetParameter *np = tr_deploy_param(n);
  int tostdout = !strcmp(out, "-");
  FILE *f = tostdout ? stdout : fopen(out, "w");
  if (!f) {
    diag_error(&chai_diag, (SrcLoc){out, 0, 0}, "cannot write: %s", strerror(errno));
    return 1;
  }
  fprintf(f, "# deploy form of %s, written by %s\n", in, cli_cmdline());
  const char *pin = qt_pin_of(&chai_arena, in); /* its thresholds keep their weights */
  if (pin)
    fprintf(f, "# its thresholds go with the caffemodel chaicc quantize wrote (below):\n%s", pin);
  int bad = tf_write(f, &np->base, 2) != 0;
  if (!tostdout) bad |= fclose(f) != 0;
  if (bad) {
    diag_error(&chai_diag, (SrcLoc){out, 0, 0}, "cannot write: %s", strerror(errno));
    return 1;
  }
  return cli_status();
}
