/* lua_host.c - Lua 5.4 template host (see lua_host.h). */
#include "lua_host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>

struct LhHost {
  lua_State *L;
  Diag *dg;
  int base;  /* stack height before lh_begin */
};

static const char *const REG_CACHE = "chai.templates";
static const char *const REG_BASE = "chai.base";

const LhFile *lh_file(const char *path) {
  for (const LhFile *f = lh_embedded; f->path; f++)
    if (!strcmp(f->path, path)) return f;
  return NULL;
}

/* Reads dir/name.lua into a malloc'ed buffer. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Pushes template `name`'s environment (loading and running it once), or
 * pushes an error message and returns non-zero.  The chunk's errors carry
 * "<file>:<line>:" prefixes from its chunk name. */
static int load_env(lua_State *L, const char *name) {
  lua_getfield(L, LUA_REGISTRYINDEX, REG_CACHE);
  if (lua_getfield(L, -1, name) == LUA_TTABLE) {
    lua_remove(L, -2);
    return 0;
  }
  lua_pop(L, 2);
  for (const char *c = name; *c; c++)
    if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '/' || *c == '-')) {
      lua_pushfstring(L, "bad template name '%s'", name);
      return 1;
    }
  const char *dir = getenv("CHAI_TEMPLATE_DIR");
  char path[4096], chunk[4200];
  const char *src;
  size_t len;
  char *owned = NULL;
  if (dir && *dir) {
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    owned = read_file(path, &len);
    if (!owned) {
      lua_pushfstring(L, "%s: template '%s' not found (CHAI_TEMPLATE_DIR)", path, name);
      return 1;
    }
    src = owned;
  } else {
    snprintf(path, sizeof path, "templates/%s.lua", name);
    const LhFile *f = lh_file(path);
    if (!f) {
      lua_pushfstring(L, "%s: template '%s' is not built into chaicc", path, name);
      return 1;
    }
    src = (const char *)f->data;
    len = f->len;
  }
  snprintf(chunk, sizeof chunk, "@%s", path);
  int rc = luaL_loadbufferx(L, src, len, chunk, "t");
  free(owned);
  if (rc) return 1;
  lua_newtable(L); /* env */
  lua_newtable(L); /* its metatable */
  lua_getfield(L, LUA_REGISTRYINDEX, REG_BASE);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setupvalue(L, -3, 1); /* _ENV of the chunk */
  lua_insert(L, -2);        /* env, chunk */
  if (lua_pcall(L, 0, 0, 0)) {
    lua_remove(L, -2);
    return 1;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, REG_CACHE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  return 0;
}

/* import(name): another template's environment (shared helpers). */
static int l_import(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (load_env(L, name)) return lua_error(L);
  return 1;
}

LhHost *lh_open(Diag *dg) {
  LhHost *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->L = luaL_newstate();
  h->dg = dg;
  lua_State *L = h->L;
  luaL_openlibs(L);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, REG_CACHE);
  lua_newtable(L); /* base environment: pure functions only (no io/os) */
  static const char *const keep[] = {"string", "table", "math", "utf8", "ipairs", "pairs",
                                     "tostring", "tonumber", "type", "select", "error",
                                     "assert", "next", "rawget", "rawlen", "pcall", NULL};
  for (int i = 0; keep[i]; i++) {
    lua_getglobal(L, keep[i]);
    lua_setfield(L, -2, keep[i]);
  }
  lua_pushcfunction(L, l_import);
  lua_setfield(L, -2, "import");
  lua_setfield(L, LUA_REGISTRYINDEX, REG_BASE);
  return h;
}

void lh_close(LhHost *h) {
  if (!h) return;
  lua_close(h->L);
  free(h);
}

void lh_begin(LhHost *h) {
  h->base = lua_gettop(h->L);
  lua_newtable(h->L);
}
void lh_set_str(LhHost *h, const char *key, const char *v) {
  lua_pushstring(h->L, v ? v : "");
  lua_setfield(h->L, -2, key);
}
void lh_set_num(LhHost *h, const char *key, double v) {
  lua_pushnumber(h->L, v);
  lua_setfield(h->L, -2, key);
}
void lh_set_int(LhHost *h, const char *key, int64_t v) {
  lua_pushinteger(h->L, (lua_Integer)v);
  lua_setfield(h->L, -2, key);
}
void lh_set_bool(LhHost *h, const char *key, bool v) {
  lua_pushboolean(h->L, v);
  lua_setfield(h->L, -2, key);
}
void lh_set_ints(LhHost *h, const char *key, const int64_t *v, int n) {
  lua_createtable(h->L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushinteger(h->L, (lua_Integer)v[i]);
    lua_rawseti(h->L, -2, i + 1);
  }
  lua_setfield(h->L, -2, key);
}
void lh_set_strs(LhHost *h, const char *key, const char *const *v, int n) {
  lua_createtable(h->L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(h->L, v[i] ? v[i] : "");
    lua_rawseti(h->L, -2, i + 1);
  }
  lua_setfield(h->L, -2, key);
}
void lh_list_begin(LhHost *h, const char *key) {
  lua_pushstring(h->L, key);
  lua_newtable(h->L);
}
void lh_item_begin(LhHost *h) { lua_newtable(h->L); }
void lh_item_end(LhHost *h) {
  lua_rawseti(h->L, -2, (lua_Integer)lua_rawlen(h->L, -2) + 1);
}
void lh_list_end(LhHost *h) { lua_settable(h->L, -3); }

void lh_drop(LhHost *h) { lua_settop(h->L, h->base); }

/* Reports a Lua error message "file:line: text" at file:line. */
static void report(LhHost *h, const char *name, const char *msg, Arena *ar) {
  SrcLoc loc = {ar_printf(ar, "templates/%s.lua", name), 0, 0};
  const char *p = msg;
  while ((p = strchr(p, ':'))) {
    char *end;
    long line = strtol(p + 1, &end, 10);
    if (end > p + 1 && *end == ':' && line > 0) {
      loc.file = ar_strndup(ar, msg, (size_t)(p - msg));
      loc.line = (int)line;
      msg = end + 1;
      while (*msg == ' ') msg++;
      break;
    }
    p++;
  }
  diag_error(h->dg, loc, "template %s: %s", name, msg);
}

char *lh_render(LhHost *h, const char *name, Arena *ar) {
  lua_State *L = h->L;
  char *out = NULL;
  /* stack: ... t */
  if (load_env(L, name)) {
    report(h, name, lua_tostring(L, -1) ? lua_tostring(L, -1) : "error", ar);
    goto done;
  }
  if (lua_getfield(L, -1, "render") != LUA_TFUNCTION) {
    report(h, name, "defines no function render(t)", ar);
    goto done;
  }
  lua_pushvalue(L, -3); /* t */
  if (lua_pcall(L, 1, 1, 0)) {
    const char *m = lua_tostring(L, -1);
    report(h, name, m ? m : "error object is not a string", ar);
    goto done;
  }
  if (lua_type(L, -1) != LUA_TSTRING) {
    report(h, name, "render(t) did not return a string", ar);
    goto done;
  }
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  out = ar_strndup(ar, s, len);
done:
  lua_settop(L, h->base);
  return out;
}
