/* train.h - training-net to deploy-net rewrite.
 *
 * A Caffe train_val prototxt differs from its deploy cut in three ways:
 * layers selected by NetState rules (include/exclude on phase, level and
 * stage), data layers in place of an Input, and loss/metric layers at the
 * end.  The loader (loader.c) collects the layers of the file as TrLayer
 * entries, asks tr_keep which meet the TEST state, and hands the list to
 * tr_rewrite, which turns it into the deploy net Caffe would run for
 * inference:
 *   - data layers (Data, ImageData, HDF5Data, MemoryData, WindowData,
 *     DummyData, AnnotatedData, VideoData, a Python layer with no bottom)
 *     become one Input of their first top, shaped by --input_shape or by
 *     the layer itself (DummyData shape/num..width, MemoryData);
 *   - SoftmaxWithLoss becomes Softmax, SigmoidCrossEntropyLoss Sigmoid (on
 *     their first bottom); Accuracy, Silence and the other losses are
 *     dropped with a note;
 *   - the label tops of data layers are pruned, with every layer reading a
 *     pruned blob, and then every layer whose outputs were all read only by
 *     dropped layers.
 * tr_deploy_param writes the loaded net back as a deploy NetParameter
 * (`chaicc deploy`, and quantize's output for a training file).
 */
#ifndef CHAI_TRAIN_H
#define CHAI_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "caffe.pb-c.h"
#include "ir.h"

/* One layer of the file, normalized (V1 `layers` converted). */
typedef struct TrLayer {
  Caffe__LayerParameter *lp;
  const char *type;             /* as written ("Data", "SOFTMAX_LOSS") */
  const ProtobufCMessage *orig; /* the block in the file (locations) */
  bool v1;                      /* from a V1 `layers` block */
} TrLayer;

/* --input_shape N,C,H,W as given on the command line (nd 0: not given). */
typedef struct TrShape {
  int nd;
  int64_t d[RT_MAXDIM];
} TrShape;

/* The process-wide --input_shape the loader applies (set by the commands
 * through tr_parse_flag). */
extern TrShape tr_input_shape;

/* --stage S (repeatable) and --level N as given on the command line: the
 * NetState a training prototxt's include/exclude rules are evaluated in,
 * as `caffe test --stage --level` gives it. */
#define TR_MAXSTAGE 16
typedef struct TrState {
  int nstage;
  char *stage[TR_MAXSTAGE];
  bool has_level;
  int level;
} TrState;
extern TrState tr_state;

/* The state the loader evaluates rules in: phase TEST; the file's `state`
 * stages plus tr_state's; tr_state's level when given, else the file's
 * (0 without one).  Arena-allocated. */
Caffe__NetState *tr_net_state(const Caffe__NetState *file, Arena *ar);

/* Parses "N,C,H,W" (1 to RT_MAXDIM positive integers) into *s.  Returns 0,
 * or -1 after reporting the bad value under the option's name. */
int tr_parse_shape(const char *v, TrShape *s, Diag *dg);
/* Consumes --input_shape V, --stage S or --level N (or --name=V, dashes
 * or underscores) at argv[*i] into tr_input_shape / tr_state: 1 when
 * consumed, 0 when argv[*i] is another argument, -1 on a bad or missing
 * value (reported). */
int tr_parse_flag(int argc, char **argv, int *i, Diag *dg);

/* Caffe's Net::StateMeetsRule: rule r holds in the TEST phase with the
 * net state st (NULL: level 0, no stage). */
bool tr_rule_met(const Caffe__NetState *st, const Caffe__NetStateRule *r);
/* Caffe's FilterNet for one layer: kept when it has no include rule and
 * meets no exclude rule, or when it meets some include rule. */
bool tr_keep(const Caffe__NetState *st, const Caffe__LayerParameter *lp);

/* Rewrites L[0..*nl) of net n into its deploy form (see above), in place:
 * first drops the layers tr_keep rejects for state st (NULL: the default
 * state), then rewrites the rest; *nl shrinks by the dropped layers.
 * shape is --input_shape (NULL or nd 0: not given).  Notes and errors are
 * located at the layers.  Sets n->from_train when a data or loss layer was
 * rewritten or dropped.  Returns 0, or -1 after reporting an error. */
int tr_rewrite(Net *n, const Caffe__NetState *st, TrLayer *L, int *nl, const TrShape *shape);

/* The loaded net as a deploy NetParameter (arena-allocated): legacy inputs
 * as `input`/`input_shape`, every layer as a `layer` block with its
 * registry type name and without include/exclude/phase/loss_weight. */
Caffe__NetParameter *tr_deploy_param(const Net *n);

#endif
