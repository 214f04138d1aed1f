/* xcore.c - what sharing data between two CPUs costs on this machine
 * (bench/threads.sh prints it above its table; docs/codegen.md "Threads").
 *
 * A thread pool's speed-up on small layers is bounded by how fast two
 * cores hand data to each other, and on a virtual machine that cost
 * changes from one hour to the next (most likely with where the host
 * places the vCPUs: one L3 or two).  Three figures, threads pinned to CPUs 0
 * and 1:
 *   - the median round trip of a flag between the two threads (spinning);
 *   - reading 512 KB that the other CPU wrote, against reading it after
 *     writing it here (ratio);
 *   - writing 512 KB whose lines the other CPU has just read (shared),
 *     against lines only this CPU holds (ratio).
 * A benchmark, not a test: it prints and exits 0 (1 on a setup error). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SZ (512 * 1024)
#define TRIPS 100000
#define ROUNDS 400

static _Alignas(64) unsigned char buf[SZ];
static _Alignas(64) volatile unsigned ping;
static _Alignas(64) volatile unsigned pong;
static volatile long sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static long read_all(void) {
  long s = 0;
  for (int j = 0; j < SZ; j += 64) s += buf[j];
  return s;
}

/* The partner: answers TRIPS pings, then per round does what the mode
 * of the round (pong value) asks: 1 = write the buffer, 2 = read it. */
static void *partner(void *arg) {
  (void)arg;
  pin(1);
  for (unsigned i = 1; i <= TRIPS; i++) {
    while (ping != i) {
    }
    pong = i;
  }
  for (unsigned i = TRIPS + 1; i <= TRIPS + 2 * ROUNDS; i++) {
    while (ping != i) {
    }
    if (i % 2) memset(buf, (int)i, SZ);
    else sink += read_all();
    pong = i;
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  static double rt[TRIPS];
  pthread_t th;
  pin(0);
  if (pthread_create(&th, NULL, partner, NULL) != 0) return 1;
  for (unsigned i = 1; i <= TRIPS; i++) {
    double a = now();
    ping = i;
    while (pong != i) {
    }
    rt[i - 1] = now() - a;
  }
  qsort(rt, TRIPS, sizeof *rt, cmp);
  /* remote: the partner wrote (odd i) / read (even i) the buffer first */
  double rd_remote = 0, wr_shared = 0, rd_local = 0, wr_local = 0;
  for (unsigned i = TRIPS + 1; i <= TRIPS + 2 * ROUNDS; i++) {
    ping = i;
    while (pong != i) {
    }
    double a = now();
    if (i % 2) sink += read_all();
    else memset(buf, (int)i, SZ);
    double t = now() - a;
    if (i % 2) rd_remote += t;
    else wr_shared += t;
  }
  pthread_join(th, NULL);
  for (int r = 0; r < ROUNDS; r++) {
    memset(buf, r, SZ);
    double a = now();
    sink += read_all();
    rd_local += now() - a;
    sink += read_all();
    a = now();
    memset(buf, r + 1, SZ);
    wr_local += now() - a;
  }
  printf("cross-CPU: round trip %.2f us (median of %d); reading 512 KB the other CPU wrote %.2fx, "
         "writing 512 KB it read %.2fx the local time\n",
         rt[TRIPS / 2] * 1e6, TRIPS, rd_remote / rd_local, wr_shared / wr_local);
  return 0;
}
