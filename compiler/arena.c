/* arena.c - bump allocator (see arena.h). */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
  ArenaBlock *next;
  size_t used, cap;
  _Alignas(16) unsigned char mem[];
};

Arena chai_arena;

static void oom(size_t n) {
  fprintf(stderr, "chaicc: fatal: out of memory allocating %zu bytes\n", n);
  exit(3);
}

void *ar_alloc(Arena *a, size_t n) {
  size_t need = (n + 15) & ~(size_t)15;
  if (need < n) oom(n);
  ArenaBlock *b = a->head;
  if (!b || b->cap - b->used < need) {
    size_t cap = need > (1u << 20) ? need : (1u << 20);
    if (cap > SIZE_MAX - sizeof(ArenaBlock)) oom(n);
    b = malloc(sizeof(ArenaBlock) + cap);
    if (!b) oom(n);
    b->used = 0;
    b->cap = cap;
    if (need >= (1u << 20) && a->head) {
      /* big allocation: keep the current block as head for small ones */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
    a->total += cap;
  }
  void *p = b->mem + b->used;
  b->used += need;
  memset(p, 0, n);
  return p;
}

void *ar_array(Arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
  return ar_alloc(a, n * size != 0 ? n * size : 1);
}

char *ar_strndup(Arena *a, const char *s, size_t n) {
  char *p = ar_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *ar_strdup(Arena *a, const char *s) { return ar_strndup(a, s, strlen(s)); }

char *ar_printf(Arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = ar_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void ar_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
  a->total = 0;
}
