/* arm/rt_fx_out_neon.c - the output stage of rt_fx_out.c with NEON
 * (AArch64, ARMv7 NEON): oqn_apply8 (rt_fx_arm.h) over 8 accumulators at
 * a time. */
#include "rt_fx_arm.h"

#if FX_NEON
int64_t fx_outq32_neon(const rt_fx_outq *q, int c, const int32_t *acc, int16_t *y, int64_t n) {
  if (!oqn_ok(q, c)) return 0;
  const oqn k = oqn_make(q, c);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vst1q_s16(y + i, oqn_apply8(&k, acc + i));
  return i;
}
#endif
