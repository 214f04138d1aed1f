/* test_textfmt.c - unit tests for the protobuf text format reader/writer.
 *
 * Uses the test schema tests/textfmt/tft.proto (compiled with protoc-c into
 * tft.pb-c.[ch]).  Standalone Check executable: exit status 0 iff all pass.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfmt.h"
#include "tft.pb-c.h"

static Arena ar;
static Diag dg;
static char *dbuf; /* diagnostics captured by the last parse */
static size_t dlen;

static Diag quiet; /* diagnostics to /dev/null */

static void setup(void) {
  memset(&ar, 0, sizeof ar);
  diag_init(&quiet, fopen("/dev/null", "w"));
}
static void teardown(void) {
  fclose(quiet.out);
  ar_free(&ar);
  free(dbuf);
  dbuf = NULL;
}

/* Parses text as desc with diagnostics captured into dbuf. */
static ProtobufCMessage *parse_as(const ProtobufCMessageDescriptor *d,
                                  const char *text, TfLocs **locs) {
  free(dbuf);
  dbuf = NULL;
  FILE *f = open_memstream(&dbuf, &dlen);
  diag_init(&dg, f);
  ProtobufCMessage *m = tf_parse(d, "t.txt", text, strlen(text), &ar, &dg, locs);
  fclose(f);
  return m;
}

/* Parses text as tft.All and asserts success. */
static Tft__All *ok(const char *text) {
  Tft__All *m = (Tft__All *)parse_as(&tft__all__descriptor, text, NULL);
  ck_assert_msg(m != NULL, "parse failed for <%s>: %s", text, dbuf);
  ck_assert_int_eq(dg.nerrors, 0);
  ck_assert(protobuf_c_message_check(&m->base));
  return m;
}

/* Asserts that text fails with exactly the one diagnostic line want. */
static void bad(const ProtobufCMessageDescriptor *d, const char *text,
                const char *want) {
  ProtobufCMessage *m = parse_as(d, text, NULL);
  ck_assert_msg(m == NULL, "parse of <%s> should fail", text);
  ck_assert_int_eq(dg.nerrors, 1);
  char line[512];
  snprintf(line, sizeof line, "%s\n", want);
  ck_assert_str_eq(dbuf, line);
}

START_TEST(test_integers) {
  Tft__All *m = ok("i32: -2147483648 i64: -9223372036854775808 "
                   "u32: 4294967295 u64: 18446744073709551615 "
                   "s32: 0x7fffffff s64: -0x10 f32: 017 f64: 0X1F "
                   "sf32: -0 sf64: 9223372036854775807");
  ck_assert(m->has_i32 && m->i32 == INT32_MIN);
  ck_assert(m->has_i64 && m->i64 == INT64_MIN);
  ck_assert(m->has_u32 && m->u32 == UINT32_MAX);
  ck_assert(m->has_u64 && m->u64 == UINT64_MAX);
  ck_assert(m->has_s32 && m->s32 == INT32_MAX);
  ck_assert(m->has_s64 && m->s64 == -16);
  ck_assert(m->has_f32 && m->f32 == 15);
  ck_assert(m->has_f64 && m->f64 == 31);
  ck_assert(m->has_sf32 && m->sf32 == 0);
  ck_assert(m->has_sf64 && m->sf64 == INT64_MAX);
  ck_assert(!m->has_fl && !m->has_b);
}
END_TEST

START_TEST(test_floats) {
  static const struct {
    const char *text;
    double want;
  } cases[] = {
      {"fl: 1", 1},          {"fl: 1.0", 1},      {"fl: .5", 0.5},
      {"fl: 1e-3", 1e-3},    {"fl: 1E+3", 1e3},   {"fl: 0.5f", 0.5},
      {"fl: -2.5", -2.5},    {"fl: 1.5F", 1.5},   {"fl: 0x10", 16},
      {"fl: 3.", 3},         {"fl: -7", -7},      {"fl: 2e2f", 200},
      {"fl: 0.1", 0.1f},     {"fl: 1e40", INFINITY},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    Tft__All *m = ok(cases[i].text);
    ck_assert_msg(m->has_fl && m->fl == (float)cases[i].want, "%s -> %g",
                  cases[i].text, m->fl);
  }
  Tft__All *m = ok("fl: -inf db: inf");
  ck_assert(isinf(m->fl) && m->fl < 0 && isinf(m->db) && m->db > 0);
  m = ok("fl: nan db: -Infinity");
  ck_assert(isnan(m->fl) && isinf(m->db) && m->db < 0);
  m = ok("db: 0.1");
  ck_assert(m->has_db && m->db == 0.1);
  ck_assert(!m->has_fdef && m->fdef == 0.5f); /* default kept, not set */
}
END_TEST

START_TEST(test_bools) {
  const char *t[] = {"true", "True", "t", "1"};
  const char *f[] = {"false", "False", "f", "0"};
  for (int i = 0; i < 4; i++) {
    char buf[64];
    snprintf(buf, sizeof buf, "b: %s", t[i]);
    Tft__All *m = ok(buf);
    ck_assert(m->has_b && m->b);
    snprintf(buf, sizeof buf, "b: %s", f[i]);
    m = ok(buf);
    ck_assert(m->has_b && !m->b);
  }
  Tft__All *m = ok("rb: [true, f, 1]");
  ck_assert_uint_eq(m->n_rb, 3);
  ck_assert(m->rb[0] && !m->rb[1] && m->rb[2]);
}
END_TEST

START_TEST(test_strings) {
  Tft__All *m = ok("str: \"a\\n\\t\\\\\\\"\\'b\" name: 'it''s' \"!\"");
  ck_assert_str_eq(m->str, "a\n\t\\\"'b");
  ck_assert_str_eq(m->name, "its!");
  m = ok("str: '\\x41\\x4a\\101\\7\\0101\\?' ");
  ck_assert_str_eq(m->str, "AJA\a\b1?");
  m = ok("str: '\\u00e9\\U0001F600'");
  ck_assert_str_eq(m->str, "\xc3\xa9\xf0\x9f\x98\x80");
  m = ok("str: \"\"");
  ck_assert_str_eq(m->str, "");
  ck_assert_ptr_ne(m->str, tft__all__sdef__default_value);
  m = ok("by: 'a\\000b\\xff' rby: ['x', \"\"]");
  ck_assert(m->has_by);
  ck_assert_uint_eq(m->by.len, 4);
  ck_assert(!memcmp(m->by.data, "a\0b\xff", 4));
  ck_assert_uint_eq(m->n_rby, 2);
  ck_assert_uint_eq(m->rby[1].len, 0);
  m = ok("rs: 'a' rs: \"b\" 'c' rs: ['d', 'e']");
  ck_assert_uint_eq(m->n_rs, 4);
  ck_assert_str_eq(m->rs[1], "bc");
  ck_assert_str_eq(m->rs[3], "e");
  m = ok("");
  ck_assert_str_eq(m->sdef, "dflt");
}
END_TEST

START_TEST(test_enums) {
  Tft__All *m = ok("color: GREEN rc: [RED, 2, -1, DARK] rc: BLUE "
                   "nested { mode: B }");
  ck_assert(m->has_color && m->color == TFT__COLOR__GREEN);
  ck_assert_uint_eq(m->n_rc, 5);
  ck_assert_int_eq(m->rc[1], TFT__COLOR__BLUE);
  ck_assert_int_eq(m->rc[2], TFT__COLOR__DARK);
  ck_assert_int_eq(m->rc[3], TFT__COLOR__DARK);
  ck_assert_int_eq(m->nested->mode, TFT__ALL__NESTED__MODE__B);
  ck_assert(m->nested->has_mode);
  m = ok("");
  ck_assert(!m->has_color && m->color == TFT__COLOR__BLUE);
}
END_TEST

START_TEST(test_nesting) {
  Tft__All *m = ok("inner { a: 1 kids { a: 2 } kids: { a: 3 } kids < a: 4 > }\n"
                   "rinner: { s: 'x' } rinner { } rinner < c: GREEN >\n"
                   "rinner: [{a: 5}, <a: 6>] rinner []\n");
  ck_assert(m->inner && m->inner->a == 1);
  ck_assert_uint_eq(m->inner->n_kids, 3);
  ck_assert_int_eq(m->inner->kids[2]->a, 4);
  ck_assert_uint_eq(m->n_rinner, 5);
  ck_assert_str_eq(m->rinner[0]->s, "x");
  ck_assert(!m->rinner[1]->has_a);
  ck_assert_int_eq(m->rinner[2]->c, TFT__COLOR__GREEN);
  ck_assert_int_eq(m->rinner[4]->a, 6);
  m = ok("ri: [1, -2, 0x3] ri: 4; ri: 5, ri: [] rf: [1, 2.5, -inf]");
  ck_assert_uint_eq(m->n_ri, 5);
  ck_assert_int_eq(m->ri[1], -2);
  ck_assert_int_eq(m->ri[4], 5);
  ck_assert_uint_eq(m->n_rf, 3);
  ck_assert(m->rf[1] == 2.5f);
  /* many elements: arrays grow; earlier message elements stay valid */
  char *big = malloc(20000 * 20 + 1), *o = big;
  for (int i = 0; i < 20000; i++) o += sprintf(o, "rinner{a:%d}", i);
  m = ok(big);
  free(big);
  ck_assert_uint_eq(m->n_rinner, 20000);
  for (int i = 0; i < 20000; i++) ck_assert_int_eq(m->rinner[i]->a, i);
}
END_TEST

START_TEST(test_comments_separators) {
  Tft__All *m = ok("# header\n i32: 1; # trailing\n"
                   "inner {a: 2,};\n# i64: 5\nname: 'n#x' # done");
  ck_assert_int_eq(m->i32, 1);
  ck_assert_int_eq(m->inner->a, 2);
  ck_assert(!m->has_i64);
  ck_assert_str_eq(m->name, "n#x");
}
END_TEST

START_TEST(test_last_wins_and_oneof) {
  Tft__All *m = ok("i32: 1 i32: 2 inner { a: 1 } inner { s: 'q' } str: 'a' "
                   "str: 'b'");
  ck_assert_int_eq(m->i32, 2);
  ck_assert(!m->inner->has_a);
  ck_assert_str_eq(m->inner->s, "q");
  ck_assert_str_eq(m->str, "b");
  m = ok("oi: 7");
  ck_assert_int_eq(m->choice_case, TFT__ALL__CHOICE_OI);
  ck_assert_int_eq(m->oi, 7);
  m = ok("oi: 7 om { a: 1 }");
  ck_assert_int_eq(m->choice_case, TFT__ALL__CHOICE_OM);
  ck_assert_int_eq(m->om->a, 1);
  m = ok("os: 'z'");
  ck_assert_int_eq(m->choice_case, TFT__ALL__CHOICE_OS);
  ck_assert_str_eq(m->os, "z");
}
END_TEST

START_TEST(test_required) {
  Tft__Req *r = (Tft__Req *)parse_as(&tft__req__descriptor, "x: 3", NULL);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->x, 3);
  bad(&tft__req__descriptor, "y: 1\n",
      "t.txt:2:1: error: missing required field 'x' in message tft.Req");
}
END_TEST

START_TEST(test_locations) {
  TfLocs *locs;
  Tft__All *m = (Tft__All *)parse_as(&tft__all__descriptor,
                                     "i32: 1\n"
                                     "  inner {\n"
                                     "    a: 2\n"
                                     "    a: 3 }\n"
                                     "rinner { } rinner: [ {}, {s: 'x'} ]\n",
                                     &locs);
  ck_assert_ptr_nonnull(m);
  ck_assert_ptr_nonnull(locs);
  SrcLoc l = tf_loc_msg(locs, &m->base);
  ck_assert_str_eq(l.file, "t.txt");
  ck_assert(l.line == 1 && l.col == 1);
  l = tf_loc_field(locs, &m->base, 1);
  ck_assert(l.line == 1 && l.col == 1);
  l = tf_loc_field(locs, &m->base, 17);
  ck_assert(l.line == 2 && l.col == 3);
  l = tf_loc_msg(locs, &m->inner->base);
  ck_assert(l.line == 2 && l.col == 3);
  l = tf_loc_field(locs, &m->inner->base, 1); /* last occurrence */
  ck_assert(l.line == 4 && l.col == 5);
  l = tf_loc_field(locs, &m->inner->base, 2); /* absent: the message */
  ck_assert(l.line == 2 && l.col == 3);
  ck_assert_uint_eq(m->n_rinner, 3);
  l = tf_loc_msg(locs, &m->rinner[0]->base);
  ck_assert(l.line == 5 && l.col == 1);
  l = tf_loc_msg(locs, &m->rinner[2]->base); /* list element: its brace */
  ck_assert(l.line == 5 && l.col == 26);
  l = tf_loc_field(locs, &m->rinner[2]->base, 2);
  ck_assert(l.line == 5 && l.col == 27);
  l = tf_loc_field(locs, &m->base, 24);
  ck_assert(l.line == 5 && l.col == 12);
  Tft__Inner other = TFT__INNER__INIT;
  l = tf_loc_msg(locs, &other.base);
  ck_assert(l.line == 0 && l.file != NULL);
  l = tf_loc_msg(NULL, &m->base);
  ck_assert(l.file == NULL);
}
END_TEST

/* Bad inputs with their exact diagnostic. */
START_TEST(test_errors) {
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"kernal_size: 3",
       "t.txt:1:1: error: unknown field 'kernal_size' in message tft.All"},
      {"inner {\n  a: 1\n  zz: 2 }",
       "t.txt:3:3: error: unknown field 'zz' in message tft.Inner"},
      {"i32: abc",
       "t.txt:1:6: error: expected integer for field 'i32' in tft.All, got "
       "'abc'"},
      {"i32: 1.5",
       "t.txt:1:6: error: expected integer for field 'i32' in tft.All, got "
       "'1.5'"},
      {"i32: -x",
       "t.txt:1:6: error: expected integer for field 'i32' in tft.All, got "
       "'-x'"},
      {"i32: 09",
       "t.txt:1:6: error: expected integer for field 'i32' in tft.All, got "
       "'09'"},
      {"i32: }",
       "t.txt:1:6: error: expected integer for field 'i32' in tft.All, got "
       "'}'"},
      {"i32:",
       "t.txt:1:5: error: expected integer for field 'i32' in tft.All, got "
       "end of file"},
      {"i32: 2147483648",
       "t.txt:1:6: error: value '2147483648' out of range for int32 field "
       "'i32' in tft.All"},
      {"i32: -2147483649",
       "t.txt:1:6: error: value '-2147483649' out of range for int32 field "
       "'i32' in tft.All"},
      {"u32: 4294967296",
       "t.txt:1:6: error: value '4294967296' out of range for uint32 field "
       "'u32' in tft.All"},
      {"u32: -1",
       "t.txt:1:6: error: value '-1' out of range for uint32 field 'u32' in "
       "tft.All"},
      {"u64: 18446744073709551616",
       "t.txt:1:6: error: value '18446744073709551616' out of range for "
       "uint64 field 'u64' in tft.All"},
      {"i64: 9223372036854775808",
       "t.txt:1:6: error: value '9223372036854775808' out of range for int64 "
       "field 'i64' in tft.All"},
      {"fl: abc",
       "t.txt:1:5: error: expected number for field 'fl' in tft.All, got "
       "'abc'"},
      {"fl: 1.2.3",
       "t.txt:1:5: error: expected number for field 'fl' in tft.All, got "
       "'1.2.3'"},
      {"fl: 1e",
       "t.txt:1:5: error: expected number for field 'fl' in tft.All, got "
       "'1e'"},
      {"db: 'x'",
       "t.txt:1:5: error: expected number for field 'db' in tft.All, got "
       "''x''"},
      {"b: yes",
       "t.txt:1:4: error: expected true or false for field 'b' in tft.All, "
       "got 'yes'"},
      {"b: 2",
       "t.txt:1:4: error: expected true or false for field 'b' in tft.All, "
       "got '2'"},
      {"color: FOO",
       "t.txt:1:8: error: unknown enum value 'FOO' for field 'color' "
       "(tft.Color)"},
      {"color: 7",
       "t.txt:1:8: error: unknown enum value '7' for field 'color' "
       "(tft.Color)"},
      {"nested { mode: C }",
       "t.txt:1:16: error: unknown enum value 'C' for field 'mode' "
       "(tft.All.Nested.Mode)"},
      {"color: 'RED'",
       "t.txt:1:8: error: expected enum value for field 'color' in tft.All, "
       "got ''RED''"},
      {"str: 5",
       "t.txt:1:6: error: expected string for field 'str' in tft.All, got "
       "'5'"},
      {"str: \"abc\ni32: 1", "t.txt:1:6: error: unterminated string"},
      {"\n  str: 'abc", "t.txt:2:8: error: unterminated string"},
      {"str: 'ab\\'", "t.txt:1:6: error: unterminated string"},
      {"str: 'a\\qb'",
       "t.txt:1:8: error: invalid escape sequence '\\q' in string"},
      {"str: 'a\\xg'",
       "t.txt:1:8: error: invalid escape sequence '\\x' in string"},
      {"str: '\\400'", "t.txt:1:7: error: octal escape out of range in string"},
      {"str: '\\uD800'",
       "t.txt:1:7: error: invalid escape sequence '\\u' in string"},
      {"i32 1",
       "t.txt:1:5: error: expected ':' after field 'i32' in tft.All, got '1'"},
      {"inner: 1",
       "t.txt:1:8: error: expected '{' after field 'inner' in tft.All, got "
       "'1'"},
      {"layer {\n  inner {\n",
       "t.txt:1:1: error: unknown field 'layer' in message tft.All"},
      {"rinner {\n  kids { a: 1 }\n",
       "t.txt:3:1: error: unexpected end of file inside message 'rinner' "
       "(tft.Inner) opened at 1:1"},
      {"inner { a: 1 >",
       "t.txt:1:14: error: expected '}' to close message 'inner' (tft.Inner) "
       "opened at 1:1, got '>'"},
      {"}", "t.txt:1:1: error: expected field name in message tft.All, got "
            "'}'"},
      {"i32: 1 5",
       "t.txt:1:8: error: expected field name in message tft.All, got '5'"},
      {"[ext.x]: 1",
       "t.txt:1:1: error: extension fields are not supported (in message "
       "tft.All)"},
      {"i32: [1]",
       "t.txt:1:6: error: list value for non-repeated field 'i32' in tft.All"},
      {"ri: [1 2]",
       "t.txt:1:8: error: expected ',' or ']' in list for field 'ri' in "
       "tft.All, got '2'"},
      {"ri: [1,\n2,",
       "t.txt:2:3: error: expected integer for field 'ri' in tft.All, got "
       "end of file"},
      {"rinner: [{a: 1}\n",
       "t.txt:2:1: error: unexpected end of file inside list for field "
       "'rinner' opened at 1:9"},
      {"ri: [1,]",
       "t.txt:1:8: error: expected integer for field 'ri' in tft.All, got "
       "']'"},
      {"i32: 1 @", "t.txt:1:8: error: unexpected character '@'"},
      {"i32: 1\n\x01", "t.txt:2:1: error: unexpected character '\\x01'"},
      {"\xff", "t.txt:1:1: error: unexpected character '\\xff'"},
      {"oi: 1 os: 2",
       "t.txt:1:11: error: expected string for field 'os' in tft.All, got "
       "'2'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    bad(&tft__all__descriptor, cases[i].text, cases[i].want);
  /* an embedded NUL byte is an error, not end of input */
  ProtobufCMessage *m = tf_parse(&tft__all__descriptor, "n.txt", "i32: 1\0", 7,
                                 &ar, &quiet, NULL);
  ck_assert_ptr_null(m);
  /* long tokens are truncated in messages */
  bad(&tft__all__descriptor,
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1",
      "t.txt:1:1: error: unknown field 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "...' in message tft.All");
}
END_TEST

START_TEST(test_depth) {
  char buf[4096], *o;
  for (int depth = 100; depth <= 101; depth++) {
    o = buf;
    o += sprintf(o, "inner ");
    for (int i = 1; i < depth; i++) o += sprintf(o, "{ kids ");
    o += sprintf(o, "{ a: 1 ");
    for (int i = 0; i < depth; i++) o += sprintf(o, "}");
    ProtobufCMessage *m = parse_as(&tft__all__descriptor, buf, NULL);
    if (depth == 100) {
      ck_assert_msg(m != NULL, "%s", dbuf);
    } else {
      ck_assert_ptr_null(m);
      char want[128];
      snprintf(want, sizeof want,
               "t.txt:1:%d: error: messages nested too deeply (more than 100 "
               "levels)\n",
               7 + 7 * 100);
      ck_assert_str_eq(dbuf, want);
    }
  }
  /* very deep garbage fails cleanly without recursing */
  size_t n = 1000000;
  char *deep = malloc(n * 8 + 1);
  o = deep;
  for (size_t i = 0; i < n; i++) o += sprintf(o, "kids { ");
  ProtobufCMessage *m = tf_parse(&tft__inner__descriptor, "d", deep,
                                 (size_t)(o - deep), &ar, &quiet, NULL);
  free(deep);
  ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_random_bytes) {
  /* No crash on arbitrary input (a poor man's fuzzer; ASan in CI). */
  static const char alphabet[] = "{}<>[]:;,-'\"\\#\n 0123456789.eExXfinatru_"
                                 "i32rinnerkidsstrcolorREDBLUE\x00\xff";
  srand(12345);
  char buf[256];
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = (size_t)(rand() % (int)sizeof buf);
    for (size_t i = 0; i < n; i++)
      buf[i] = rand() % 4 ? alphabet[rand() % (int)(sizeof alphabet - 1)]
                          : (char)rand();
    TfLocs *locs;
    ProtobufCMessage *m =
        tf_parse(&tft__all__descriptor, "r", buf, n, &ar, &quiet, &locs);
    if (m) {
      ck_assert(protobuf_c_message_check(m));
      char *s = tf_write_string(m, &ar);
      ck_assert_ptr_nonnull(tf_parse(&tft__all__descriptor, "w", s, strlen(s),
                                     &ar, &quiet, NULL));
    }
  }
}
END_TEST

/* Packs m into a malloc'd buffer. */
static uint8_t *pack(const ProtobufCMessage *m, size_t *n) {
  *n = protobuf_c_message_get_packed_size(m);
  uint8_t *b = malloc(*n + 1);
  ck_assert_uint_eq(protobuf_c_message_pack(m, b), *n);
  return b;
}

static const char *rich =
    "i32: -5 i64: 1234567890123 u32: 7 u64: 0xffffffffffffffff s32: -3\n"
    "s64: -4 f32: 5 f64: 6 sf32: -7 sf64: -8 fl: 0.1 db: 3.14159265358979\n"
    "b: true str: 'tab\\there \"q\" \\\\ \\001 \xc3\xa9' by: '\\000\\377z'\n"
    "color: RED inner { a: 1 s: 'in' kids { a: 2 kids { c: GREEN } } }\n"
    "name: \"first\" ri: [1, 2, 3] rf: [1e-7, 3.4028235e38, -0, 1.5]\n"
    "rs: ['', 'x'] rinner { } rinner { a: 9 } rc: [BLUE, DARK]\n"
    "rb: [true, false] rby: 'b' os: 'one' fdef: 0.25 nested { mode: A }\n"
    "rd: [0.1, 1e300, -inf, 5e-324] sdef: 'dflt'\n";

START_TEST(test_round_trip) {
  Tft__All *m = ok(rich);
  size_t n1, n2;
  uint8_t *b1 = pack(&m->base, &n1);
  char *text = tf_write_string(&m->base, &ar);
  Tft__All *m2 = ok(text);
  uint8_t *b2 = pack(&m2->base, &n2);
  ck_assert_uint_eq(n1, n2);
  ck_assert_msg(!memcmp(b1, b2, n1), "round trip differs:\n%s", text);
  /* writing again is a fixed point */
  ck_assert_str_eq(tf_write_string(&m2->base, &ar), text);
  /* and unpacking through protobuf-c gives the same bytes */
  ProtobufCMessage *u =
      protobuf_c_message_unpack(&tft__all__descriptor, NULL, n1, b1);
  ck_assert_ptr_nonnull(u);
  size_t n3;
  uint8_t *b3 = pack(u, &n3);
  ck_assert(n3 == n1 && !memcmp(b3, b1, n1));
  protobuf_c_message_free_unpacked(u, NULL);
  free(b1);
  free(b2);
  free(b3);
}
END_TEST

START_TEST(test_writer_golden) {
  Tft__All *m = ok("i32: 3 inner < kids { a: 1 } s: \"a\\n\" > fl: 0.1 "
                   "name: 'n' rf: [1, 2.5] color: DARK db: 1e-05 b: f "
                   "by: '\\x80' oi: -1 nested { }");
  const char *want = "name: \"n\"\n"
                     "i32: 3\n"
                     "fl: 0.1\n"
                     "db: 1e-05\n"
                     "b: false\n"
                     "by: \"\\200\"\n"
                     "color: DARK\n"
                     "inner {\n"
                     "  s: \"a\\n\"\n"
                     "  kids {\n"
                     "    a: 1\n"
                     "  }\n"
                     "}\n"
                     "rf: 1\n"
                     "rf: 2.5\n"
                     "oi: -1\n"
                     "nested {\n"
                     "}\n";
  ck_assert_str_eq(tf_write_string(&m->base, &ar), want);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_int_eq(tf_write(f, &m->inner->base, 4), 0);
  fclose(f);
  ck_assert_str_eq(buf, "s: \"a\\n\"\nkids {\n    a: 1\n}\n");
  free(buf);
  ck_assert_str_eq(tf_write_string(&ok("")->base, &ar), "");
}
END_TEST

START_TEST(test_parse_file) {
  free(dbuf);
  dbuf = NULL;
  FILE *f = open_memstream(&dbuf, &dlen);
  diag_init(&dg, f);
  TfLocs *locs = (TfLocs *)1;
  ProtobufCMessage *m = tf_parse_file(&tft__all__descriptor,
                                      "/nonexistent/x.prototxt", &ar, &dg,
                                      &locs);
  fclose(f);
  ck_assert_ptr_null(m);
  ck_assert_ptr_null(locs);
  ck_assert_str_eq(dbuf, "chaicc: error: cannot open '/nonexistent/x.prototxt'"
                         ": No such file or directory\n");
  char path[] = "/tmp/tftestXXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  f = fdopen(fd, "w");
  fputs("i32: 42\ninner { a: 1 }\n", f);
  fclose(f);
  diag_init(&dg, NULL);
  Tft__All *a =
      (Tft__All *)tf_parse_file(&tft__all__descriptor, path, &ar, &dg, &locs);
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(a->i32, 42);
  SrcLoc l = tf_loc_msg(locs, &a->inner->base);
  ck_assert_str_eq(l.file, path);
  ck_assert(l.line == 2 && l.col == 1);
  remove(path);
}
END_TEST

/* Lenient mode (tf_parse_opts): unknown fields of tft.Inner are skipped
 * and recorded with their location and text, in file order; known fields
 * around them still parse; tft.All (not lenient) keeps the error; an
 * unbalanced skipped value is a located error. */
START_TEST(test_lenient) {
  const TfOpts o = {"tft.Inner"};
  const char *text =
      "inner { a: 1 foo_param { x: [1, {y: 2}] z < w: \"}\" > } s: 'k'\n"
      "  bar: -2.5e3; baz: ENUM_V, q: 'a' \"b\" kids { nope: 1 } c: GREEN }\n";
  TfLocs *locs = NULL;
  Tft__All *m = (Tft__All *)tf_parse_opts(&tft__all__descriptor, "t.txt", text, strlen(text),
                                          &ar, &quiet, &locs, &o);
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq(m->inner->a, 1);
  ck_assert_str_eq(m->inner->s, "k");
  ck_assert_int_eq(m->inner->c, TFT__COLOR__GREEN);
  ck_assert_int_eq((int)m->inner->n_kids, 1);
  const char *names[] = {"foo_param", "bar", "baz", "q", "nope"};
  const char *texts[] = {"{ x: [1, {y: 2}] z < w: \"}\" > }", ": -2.5e3", ": ENUM_V",
                         ": 'a' \"b\"", ": 1"};
  const int lines[] = {1, 2, 2, 2, 2}, cols[] = {14, 3, 16, 29, 47};
  const TfUnknown *u = tf_unknown(locs);
  for (int i = 0; i < 5; i++, u = u->next) {
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(u->name, names[i]);
    ck_assert_str_eq(u->text, texts[i]);
    ck_assert_int_eq(u->line, lines[i]);
    ck_assert_int_eq(u->col, cols[i]);
    ck_assert_ptr_eq(u->m, i < 4 ? &m->inner->base : &m->inner->kids[0]->base);
    ck_assert_ptr_eq(u->owner, u->m); /* kids are tft.Inner: lenient themselves */
  }
  ck_assert_ptr_null(u);
  /* Unknown fields of messages inside a lenient one are skipped too, owned
   * by the innermost lenient message around them. */
  const TfOpts all = {"tft.All"};
  const char *deep = "inner { zz: 1 kids { q { r: 2 } } } yy: 3";
  Tft__All *d = (Tft__All *)tf_parse_opts(&tft__all__descriptor, "t.txt", deep, strlen(deep),
                                          &ar, &quiet, &locs, &all);
  ck_assert_ptr_nonnull(d);
  u = tf_unknown(locs);
  const ProtobufCMessage *in_m[] = {&d->inner->base, &d->inner->kids[0]->base, &d->base};
  const char *dnames[] = {"zz", "q", "yy"};
  for (int i = 0; i < 3; i++, u = u->next) {
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(u->name, dnames[i]);
    ck_assert_ptr_eq(u->m, in_m[i]);
    ck_assert_ptr_eq(u->owner, &d->base);
  }
  ck_assert_ptr_null(u);
  u = tf_unknown(NULL);
  ck_assert_ptr_null(u);

  /* Not lenient elsewhere, nor without options. */
  ck_assert_ptr_null(tf_parse_opts(&tft__all__descriptor, "t.txt", "zz: 1", 5, &ar, &quiet,
                                   &locs, &o));
  bad(&tft__all__descriptor, "inner { zz: 1 }", "t.txt:1:9: error: unknown field 'zz' in message tft.Inner");
  /* Unbalanced or missing values. */
  const char *bads[][2] = {
      {"inner { zz { a: [1 } }", "t.txt:1:20: error: expected ']' in unknown field 'zz' opened at 1:12, got '}'"},
      {"inner { zz { a: 1 ", "t.txt:1:19: error: unexpected end of file inside unknown field 'zz' opened at 1:12"},
      {"inner { zz 1 }", "t.txt:1:12: error: expected ':' or '{' after field 'zz', got '1'"},
      {"inner { zz: }", "t.txt:1:13: error: expected a value for field 'zz', got '}'"},
  };
  for (int i = 0; i < 4; i++) {
    free(dbuf);
    dbuf = NULL;
    FILE *f = open_memstream(&dbuf, &dlen);
    diag_init(&dg, f);
    ck_assert_ptr_null(tf_parse_opts(&tft__all__descriptor, "t.txt", bads[i][0],
                                     strlen(bads[i][0]), &ar, &dg, &locs, &o));
    fclose(f);
    ck_assert_int_eq(dg.nerrors, 1);
    char line[512];
    snprintf(line, sizeof line, "%s\n", bads[i][1]);
    ck_assert_str_eq(dbuf, line);
  }
}
END_TEST

Suite *textfmt_suite(void) {
  Suite *s = suite_create("textfmt");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_integers);
  tcase_add_test(tc, test_floats);
  tcase_add_test(tc, test_bools);
  tcase_add_test(tc, test_strings);
  tcase_add_test(tc, test_enums);
  tcase_add_test(tc, test_nesting);
  tcase_add_test(tc, test_comments_separators);
  tcase_add_test(tc, test_last_wins_and_oneof);
  tcase_add_test(tc, test_required);
  tcase_add_test(tc, test_locations);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_depth);
  tcase_add_test(tc, test_random_bytes);
  tcase_add_test(tc, test_lenient);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_writer_golden);
  tcase_add_test(tc, test_parse_file);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(textfmt_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
