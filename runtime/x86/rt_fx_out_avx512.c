/* x86/rt_fx_out_avx512.c - the output stage of rt_fx_out.c with AVX-512,
 * 16 accumulators per step, any relu kind and any 0 <= sh <= 63
 * (|M| < 2^31): each lane is rt_fx_requant's direct branch,
 * rsh(acc * M, sh) in 64 bits (|product| < 2^62, plus 2^(sh-1) - (x < 0)
 * via the sign shift), clamped to [qmin, qmax] in 64 bits, then narrowed;
 * LEAKY computes both multipliers and keeps the one of the lane's sign
 * (oq_make, oq_apply in rt_fx_x86.h). */
#include "rt_fx_x86.h"

#if FX_AVX2
FX_TARGET_AVX512 int64_t fx_outq32_512(const rt_fx_outq *q, int c, const int32_t *acc,
                                       int16_t *y, int64_t n) {
  if (!outq_512_ok(q, c)) return 0;
  const oq512 k = oq_make(q, c);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256((__m256i *)(y + i),
                        oq_apply(&k, _mm512_loadu_si512((const void *)(acc + i))));
  return i;
}
#endif
