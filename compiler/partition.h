/* partition.h - hardware/software partitioning (docs/partitioning.md).
 *
 * pt_assign gives every layer a placement (Layer.place), the YAML mark that
 * decided it (Layer.place_loc; no file for built-in decisions) and a reason
 * (pt_reason).  Precedence: a layer rule (exact name, else the last matching
 * glob) > a type rule > `default:` > the built-in default (CHaiDNN's
 * supported-layer table).  Hardware limits are checked in one table indexed
 * by LayerKind: a `hw` request a limit forbids is an error naming the layer,
 * the limit and the YAML line; an `auto` layer that violates a limit falls
 * back to software and the reason says why.
 */
#ifndef CHAI_PARTITION_H
#define CHAI_PARTITION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ir.h"

/* Places every layer of n.  cfg may be NULL (built-in defaults only).
 * Also reports layer patterns that match no layer, and type rules asking
 * for hardware for a kind that has no hardware kernel.  Returns 0, or -1
 * after reporting every error through n->dg. */
int pt_assign(Net *n, const CfgConfig *cfg);

/* Why l got its placement: "built-in default", "type rule at f:3:12",
 * "layer rule at f:7:14", "...; fell back: <limit>", "no hardware kernel".
 * "not assigned" before pt_assign. */
const char *pt_reason(const Layer *l);

/* Whether kind k has a hardware kernel at all (lk_has_hw: its LayerOps
 * has hw_limits). */
bool pt_has_hw(LayerKind k);

/* ---- For the kinds' hw_limits slots (ir.h LayerOps) ---- */
/* Feature-map limits of the CHaiDNN kernels: channels must be fewer. */
enum { PT_MAX_FMAPS = 4096, PT_MAX_FMAPS_BN = 2048 };
/* Formats the violated limit into why[0..n); returns false. */
bool pt_fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* True when bottom 0 and top 0 have fewer than lim channels (axis 1);
 * else pt_fail with the offending count. */
bool pt_fmaps_below(const Layer *l, int lim, char *why, size_t n);
/* Checks l against its kind's hardware limits (the same table pt_assign
 * uses).  Returns true when l may go to hardware; otherwise writes the
 * violated limit into why[0..n) ("kernel 9x9 is not one of 1, 3, 5, 7,
 * 11"). */
bool pt_hw_ok(const Layer *l, char *why, size_t n);

/* Writes the partitioned graph as Graphviz DOT to path (temp file + rename):
 * layers are boxes filled by placement, edges carry blob shapes.  Returns 0,
 * or -1 after reporting through dg. */
int pt_write_dot(const Net *n, const char *path, Diag *dg);

#endif
