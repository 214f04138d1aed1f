/* frames_check.c - the pipelined frames of a generated program
 * (<prefix>_run_frames, docs/hls.md "Pipelined frames") against its serial
 * run: NFRAMES different inputs through <prefix>_run one at a time, then
 * all of them through <prefix>_run_frames, whose every frame must give
 * the serial bytes; then one serial run again (the buffers are back on
 * copy 0).  The frames' outputs must differ from each other, or a frame
 * reading another one's buffers would go unseen.
 *
 * Built by tests/hls_engine.sh with the generated <net>.c and the runtime:
 *   gcc -DNET_H='"net.h"' -DPFX=net -DUPFX=NET -DOUT_COUNTS='{10}' ...
 * `frames_check T` first calls <prefix>_init(T): with T > 1 the stages of
 * a step run at once on the stage threads; without T they run in turn.
 * Exit 0 and one "frames:" line when they agree, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include NET_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define RUN CAT(PFX, _run)
#define RUN_FRAMES CAT(PFX, _run_frames)
#define INIT CAT(PFX, _init)
#define CLOSE CAT(PFX, _close)
#define IN_COUNT CAT(UPFX, _INPUT_COUNT)
#define NOUT CAT(UPFX, _NUM_OUTPUTS)
#define STAGES CAT(UPFX, _STAGES)
#define NFRAMES (2 * STAGES + 1) /* every buffer copy reused twice */

static const long counts[NOUT] = OUT_COUNTS;

/* Output k of frame f of run r (0: serial, 1: frames, 2: serial again). */
static float *outbuf[3][NFRAMES][NOUT];

int main(int argc, char **argv) {
  static float in[NFRAMES][IN_COUNT];
  int threads = argc > 1 ? atoi(argv[1]) : 0;
  if (threads && INIT(threads)) {
    printf("frames: %s_init(%d) failed\n", NET_H, threads);
    return 1;
  }
  uint32_t s = 12345;
  for (int f = 0; f < NFRAMES; f++)
    for (long i = 0; i < IN_COUNT; i++) {
      s = s * 1664525u + 1013904223u;
      in[f][i] = (float)((int32_t)(s >> 8) - (1 << 23)) / (float)(1 << 23) * 2.0f;
    }
  for (int r = 0; r < 3; r++)
    for (int f = 0; f < NFRAMES; f++)
      for (int k = 0; k < NOUT; k++)
        if (!(outbuf[r][f][k] = calloc((size_t)counts[k], sizeof(float)))) return 1;
  const float *ins[NFRAMES];
  for (int f = 0; f < NFRAMES; f++) {
    ins[f] = in[f];
    RUN(in[f], outbuf[0][f]);
  }
  float *const *outs[NFRAMES];
  for (int f = 0; f < NFRAMES; f++) outs[f] = outbuf[1][f];
  RUN_FRAMES(NFRAMES, ins, outs);
  RUN(in[NFRAMES - 1], outbuf[2][NFRAMES - 1]);
  int bad = 0, distinct = 0;
  for (int f = 0; f < NFRAMES; f++)
    for (int k = 0; k < NOUT; k++) {
      size_t n = (size_t)counts[k] * sizeof(float);
      if (memcmp(outbuf[0][f][k], outbuf[1][f][k], n)) {
        printf("frames: frame %d output %d differs from the serial run\n", f, k);
        bad = 1;
      }
      if (f && memcmp(outbuf[0][f][k], outbuf[0][0][k], n)) distinct = 1;
    }
  for (int k = 0; k < NOUT; k++)
    if (memcmp(outbuf[2][NFRAMES - 1][k], outbuf[0][NFRAMES - 1][k],
               (size_t)counts[k] * sizeof(float))) {
      printf("frames: a serial run after the frames differs (output %d)\n", k);
      bad = 1;
    }
  if (!distinct) {
    printf("frames: every frame gave the same outputs; the check would not see a mix-up\n");
    bad = 1;
  }
  if (!bad)
    printf("frames: %d frames over %d stages %s = the serial run, byte for byte\n", NFRAMES,
           STAGES, threads > 1 ? "at once on the stage threads" : "in turn");
  CLOSE();
  return bad;
}
