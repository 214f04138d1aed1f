/* textfmt.h - protobuf text format reader and writer.
 *
 * Generic over protobuf-c descriptors: any message type (and any field added
 * to a .proto later) is read and written with no per-field code.
 *
 * Reader.  Accepts the text format as Caffe and protobuf's TextFormat write
 * it: `f: v`, `f { ... }`, `f: { ... }`, `f < ... >`, repeated fields by
 * repetition or as a list `f: [v, v]` / `f [{...}, {...}]`, enums by name or
 * number, bools true/false/True/False/t/f/1/0, integers in decimal, 0x hex
 * and 0 octal, floats in every C form plus a trailing f, inf, -inf, nan;
 * strings in '...' or "..." with C escapes (\n \t \xHH \ooo \uXXXX ...),
 * adjacent literals concatenated; `#` comments; optional `;` or `,` after a
 * field.  A non-repeated field given twice keeps the last value (a message
 * is replaced, not merged).  Unknown fields, extensions `[x.y]` and missing
 * required fields are errors.  Nesting is limited to TF_MAX_DEPTH messages.
 *
 * Messages are built with the descriptor's init function and filled the
 * way protobuf-c's unpacker fills them (has_ flags, oneof cases, n_ counts),
 * so protobuf_c_message_pack() and friends work on them.  All their memory
 * (messages, arrays, strings) comes from the Arena: never pass them to
 * protobuf_c_message_free_unpacked(); ar_free() releases them.
 *
 * Every error is one located line, "file:line:col: error: ...", pointing
 * at the offending token; parsing stops at the first one.
 *
 * Lenient messages.  tf_parse_opts can name one message type (e.g.
 * "caffe.LayerParameter") whose unknown fields, and those of every message
 * written inside it, are not errors: each is skipped (a scalar value, or a
 * `{...}` / `<...>` / `[...]` value with its brackets balanced) and
 * recorded in the location table with its name, location, raw text and
 * the lenient message it belongs to, for the caller to report or use
 * (tf_unknown).
 */
#ifndef CHAI_TEXTFMT_H
#define CHAI_TEXTFMT_H

#include <stddef.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "diag.h"
#include "tf_locs.h"

#define TF_MAX_DEPTH 100


/* Parses text[0..len) (need not be NUL-terminated, may hold any bytes) as a
 * message of type desc.  file names the input in diagnostics.  Returns the
 * message, or NULL after reporting exactly one error to dg (NULL dg means
 * chai_diag).  If locs_out is non-NULL it receives the location table (or
 * NULL on error). */
ProtobufCMessage *tf_parse(const ProtobufCMessageDescriptor *desc,
                           const char *file, const char *text, size_t len,
                           Arena *ar, Diag *dg, TfLocs **locs_out);

/* Reads the file at path and parses it like tf_parse.  A file that cannot
 * be read is reported as "cannot open 'path': reason". */
ProtobufCMessage *tf_parse_file(const ProtobufCMessageDescriptor *desc,
                                const char *path, Arena *ar, Diag *dg,
                                TfLocs **locs_out);

/* Options of tf_parse_opts.  lenient: full name of the message type whose
 * unknown fields are skipped and recorded (NULL: none; needs locs_out). */
typedef struct TfOpts {
  const char *lenient;
} TfOpts;


/* tf_parse / tf_parse_file with options (NULL: as tf_parse). */
ProtobufCMessage *tf_parse_opts(const ProtobufCMessageDescriptor *desc,
                                const char *file, const char *text,
                                size_t len, Arena *ar, Diag *dg,
                                TfLocs **locs_out, const TfOpts *opts);
ProtobufCMessage *tf_parse_file_opts(const ProtobufCMessageDescriptor *desc,
                                     const char *path, Arena *ar, Diag *dg,
                                     TfLocs **locs_out, const TfOpts *opts);



/* Bytes of one value of a field of type t in a protobuf-c message (the
 * element size of a repeated field's array). */
size_t tf_type_size(ProtobufCType t);

/* Writes m in text format: present fields in descriptor order (by number),
 * except that a field called "name" comes first; nested messages as
 * `f {` ... `}` indented by indent_step spaces per level; enums by name,
 * strings escaped, floats in the shortest form that reads back exactly.
 * Returns 0, or -1 if the stream reported an error. */
int tf_write(FILE *out, const ProtobufCMessage *m, int indent_step);

/* tf_write with indent 2 into a NUL-terminated arena string. */
char *tf_write_string(const ProtobufCMessage *m, Arena *ar);

#endif
