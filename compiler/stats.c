/* stats.c - parameter and MAC counts (see stats.h). */
#include "stats.h"

long long st_params(const Layer *l) {
  long long p = 0;
  for (int k = 0; k < l->nweight; k++) p += rt_shape_count(&l->weight[k].expect);
  return p;
}

long long st_macs(const Layer *l) {
  if (l->ntop < 1 || l->nbottom < 1 || !l->top[0]->shaped) return 0;
  const LayerOps *ops = lk_ops(l);
  return ops->macs ? ops->macs(l) : 0;
}
