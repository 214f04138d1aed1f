/* fuzz_textfmt.c - the protobuf text-format reader (tf_parse) on
 * caffe.NetParameter.  Property checked besides "no crash": whatever parses
 * is written back with tf_write_string, and that text must parse again and
 * write back to the same text (the writer's output is a fixed point). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "caffe.pb-c.h"
#include "fuzz_util.h"
#include "textfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Arena ar = {0};
  Diag dg = fz_diag();
  TfLocs *locs = NULL;
  ProtobufCMessage *m = tf_parse(&caffe__net_parameter__descriptor, "in.prototxt",
                                 (const char *)data, size, &ar, &dg, &locs);
  if ((m == NULL) != (dg.nerrors == 1)) abort(); /* exactly one error on failure */
  if (m) {
    (void)tf_loc_msg(locs, m);
    char *t1 = tf_write_string(m, &ar);
    ProtobufCMessage *m2 = tf_parse(&caffe__net_parameter__descriptor, "rt.prototxt",
                                    t1, strlen(t1), &ar, &dg, NULL);
    if (!m2) abort(); /* the writer produced text the reader rejects */
    char *t2 = tf_write_string(m2, &ar);
    if (strcmp(t1, t2) != 0) abort();
  }
  ar_free(&ar);
  return 0;
}
