/* stats.h - per-layer parameter and MAC counts (for `info` and reports). */
#ifndef CHAI_STATS_H
#define CHAI_STATS_H

#include "ir.h"

/* Number of learned values (sum of the weight blobs' element counts). */
long long st_params(const Layer *l);
/* Multiply-accumulates of one forward pass (convolution-like kinds and
 * InnerProduct; 0 for the others). */
long long st_macs(const Layer *l);

#endif
