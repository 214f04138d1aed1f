/* bench_load.c - time cm_load on one caffemodel and report peak memory.
 *
 * Usage: bench_load FILE.caffemodel
 * Prints "load_s=<seconds> peak_rss_mb=<MB> file_mb=<MB> ratio=<peak/file>"
 * where peak RSS is the process's ru_maxrss (so it includes the program
 * itself, a few MB).
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "caffemodel.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.caffemodel\n", argv[0]);
    return 2;
  }
  Arena ar = {0};
  Diag dg;
  diag_init(&dg, NULL);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CmModel *m = cm_load(argv[1], &ar, &dg);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!m) return 1;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double secs = (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  double rss_mb = (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB */
  double file_mb = (double)m->nbytes / (1024.0 * 1024.0);
  printf("load_s=%.3f peak_rss_mb=%.1f file_mb=%.1f ratio=%.3f\n", secs,
         rss_mb, file_mb, file_mb > 0 ? rss_mb / file_mb : 0.0);
  cm_free(m);
  ar_free(&ar);
  return 0;
}
