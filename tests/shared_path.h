/* shared_path.h - where the tests find ../shared (read-only test material).
 * CHAI_SHARED overrides; else ../shared next to the source tree.  Returns
 * NULL (and the test prints SKIP) when it is absent. */
#ifndef CHAI_TEST_SHARED_PATH_H
#define CHAI_TEST_SHARED_PATH_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline const char *shared_dir(void) {
  static char buf[4096];
  const char *env = getenv("CHAI_SHARED");
  struct stat st;
  if (env && *env) {
    snprintf(buf, sizeof buf, "%s", env);
  } else {
    snprintf(buf, sizeof buf, "%s/../shared", CHAI_SOURCE_DIR);
  }
  char probe[4200];
  snprintf(probe, sizeof probe, "%s/models", buf);
  if (stat(probe, &st) != 0) {
    printf("SKIP: %s not found (set CHAI_SHARED to run the shared-model tests)\n", buf);
    return NULL;
  }
  return buf;
}

#endif
