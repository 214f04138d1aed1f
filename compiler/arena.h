/* arena.h - bump allocator for the compiler.  Everything the compiler builds
 * (IR, parsed messages, strings) lives in one arena freed once at exit.
 * Allocation failure aborts with a message (out of memory is not an input
 * error).  Memory is zeroed. */
#ifndef CHAI_ARENA_H
#define CHAI_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  ArenaBlock *head;
  size_t total;
} Arena;

void *ar_alloc(Arena *a, size_t n);              /* zeroed, 16-aligned */
void *ar_array(Arena *a, size_t n, size_t size); /* overflow-checked */
char *ar_strdup(Arena *a, const char *s);
char *ar_strndup(Arena *a, const char *s, size_t n);
char *ar_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ar_free(Arena *a);

/* The compiler's process-wide arena. */
extern Arena chai_arena;

#endif
