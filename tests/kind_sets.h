/* kind_sets.h - bit sets over layer kinds for the registry tests
 * (test_kind.c, test_kind_fx.c). */
#ifndef CHAI_TEST_KIND_SETS_H
#define CHAI_TEST_KIND_SETS_H

#include "ir.h"

#define B(k) (1ull << LK_##k)
/* The kinds the tests' sets were pinned for (those before the table
 * existed): a kind added later is checked by the invariants, not by the
 * lists, so adding one edits no test. */
#define PINNED                                                                             \
  (B(INPUT) | B(CONV) | B(DECONV) | B(IP) | B(POOL) | B(RELU) | B(PRELU) | B(BN) | B(SCALE) | \
   B(BIAS) | B(ELTWISE) | B(CONCAT) | B(SLICE) | B(SPLIT) | B(CROP) | B(SOFTMAX) |           \
   B(DROPOUT) | B(POWER) | B(LRN) | B(SIGMOID) | B(TANH) | B(FLATTEN) | B(RESHAPE) |        \
   B(PERMUTE) | B(NORMALIZE) | B(PRIORBOX) | B(DETOUT) | B(ARGMAX) | B(CUSTOM))

#endif
