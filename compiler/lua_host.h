/* lua_host.h - the Lua 5.4 template host.
 *
 * A template is a Lua file defining `function render(t)` that returns a
 * string.  It runs in its own environment (string, table, math, ipairs,
 * pairs, tostring, tonumber, type, select, error, assert, and
 * `import(name)`, which returns another template's environment, e.g. shared
 * helpers in "c/lib").  `t` is a FLAT table built from C with the lh_set_*
 * calls: strings, numbers, booleans, arrays of numbers or strings, and
 * arrays of flat tables (lh_list_begin/lh_item_begin).  Templates only
 * format: C computes every number and name.
 *
 * Templates are named without extension relative to templates/ ("c/conv");
 * they are embedded in chaicc at build time (cmake/embed.cmake), unless the
 * environment variable CHAI_TEMPLATE_DIR names a directory to read them
 * from instead.  Errors (missing template, syntax, runtime, render not
 * returning a string) are reported through the Diag at the template's
 * file:line.
 */
#ifndef CHAI_LUA_HOST_H
#define CHAI_LUA_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

/* A file embedded in the chaicc binary ("templates/c/conv.lua",
 * "runtime/rt_npy.c"); the table ends with path == NULL. */
typedef struct LhFile {
  const char *path;
  const unsigned char *data;
  size_t len;
} LhFile;
extern const LhFile lh_embedded[];
/* The embedded file with this path, or NULL. */
const LhFile *lh_file(const char *path);

typedef struct LhHost LhHost;

LhHost *lh_open(Diag *dg);
void lh_close(LhHost *h);

/* Starts the argument table of the next lh_render. */
void lh_begin(LhHost *h);
void lh_set_str(LhHost *h, const char *key, const char *v);
void lh_set_num(LhHost *h, const char *key, double v);
void lh_set_int(LhHost *h, const char *key, int64_t v);
void lh_set_bool(LhHost *h, const char *key, bool v);
void lh_set_ints(LhHost *h, const char *key, const int64_t *v, int n);
void lh_set_strs(LhHost *h, const char *key, const char *const *v, int n);
/* key = { {...}, {...} }: begin the list, then per item lh_item_begin,
 * lh_set_* calls, lh_item_end; then lh_list_end. */
void lh_list_begin(LhHost *h, const char *key);
void lh_item_begin(LhHost *h);
void lh_item_end(LhHost *h);
void lh_list_end(LhHost *h);

/* Discards the table built since lh_begin. */
void lh_drop(LhHost *h);
/* Calls template `name`'s render with the table built since lh_begin and
 * returns its string (in ar), or NULL after reporting an error. */
char *lh_render(LhHost *h, const char *name, Arena *ar);

#endif
