/* fuzz_util.h - shared helpers for the libFuzzer targets in fuzz/.
 *
 * fz_diag: a diagnostics sink that discards its text (the targets look at
 * return values, not messages; stderr stays readable).
 * fz_file: the readers under test that take a path get the fuzz input
 * through one memfd per process, named /proc/self/fd/N, so no file is
 * created on disk and nothing is left behind.  Targets are compiled with
 * -D_GNU_SOURCE (memfd_create). */
#ifndef CHAI_FUZZ_UTIL_H
#define CHAI_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diag.h"

/* A fresh Diag that writes to /dev/null. */
static inline Diag fz_diag(void) {
  static FILE *null;
  if (!null) null = fopen("/dev/null", "w");
  if (!null) abort();
  Diag d;
  diag_init(&d, null);
  return d;
}

/* Replaces the contents of memfd slot `slot` (0..3) with data[0..n) and
 * returns a path that opens it. */
static inline const char *fz_file(int slot, const uint8_t *data, size_t n) {
  static int fd[4] = {-1, -1, -1, -1};
  static char path[4][64];
  if (fd[slot] < 0) {
    fd[slot] = memfd_create("chai_fuzz", 0);
    if (fd[slot] < 0) abort();
    snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
  }
  if (ftruncate(fd[slot], 0)) abort();
  size_t off = 0;
  while (off < n) {
    ssize_t w = pwrite(fd[slot], data + off, n - off, (off_t)off);
    if (w <= 0) abort();
    off += (size_t)w;
  }
  return path[slot];
}

#endif
