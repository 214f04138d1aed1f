/* parts.c - the built-in part table (see parts.h).
 *
 * Sources: DS190 "Zynq-7000 SoC Data Sheet: Overview" (Table: Zynq-7000
 * SoC family, programmable logic) and DS891 "Zynq UltraScale+ MPSoC Data
 * Sheet: Overview" (the EG and EV device tables).  BRAM18K is twice the
 * data sheets' 36 Kb block count.  DDR: the peak of the PS DDR interface
 * of the board (bus width x transfer rate):
 *   ZC702, ZC706   DDR3 32-bit x 1066 MT/s  = 4.26 GB/s
 *   Ultra96        LPDDR4 32-bit x 1066 MT/s = 4.26 GB/s
 *   ZCU104, ZCU102 DDR4 64-bit x 2400 MT/s  = 19.2 GB/s
 * (peaks; sustained DMA reaches well below them, see docs/hls.md).
 * DSP slice: Zynq-7000 has DSP48E1 (UG479: 25 x 18 multiplier, 25-bit
 * pre-adder), Zynq UltraScale+ DSP48E2 (UG579: 27 x 18, 27-bit
 * pre-adder).  HP ports (the PL masters' path to DDR): 64-bit on
 * Zynq-7000 (UG585, AXI_HP), 128-bit on Zynq UltraScale+ (UG1085,
 * S_AXI_HP_FPD). */
#include "parts.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const PrPart parts[] = {
    /* device    board      DSP   BRAM18K URAM  LUT      FF      DDR GB/s  DSP48E2 HP bits */
    {"xc7z020", "ZC702", 220, 280, 0, 53200, 106400, 4.26, 0, 64},
    {"xc7z045", "ZC706", 900, 1090, 0, 218600, 437200, 4.26, 0, 64},
    {"xczu3eg", "Ultra96", 360, 432, 0, 70560, 141120, 4.26, 1, 128},
    {"xczu7ev", "ZCU104", 1728, 624, 96, 230400, 460800, 19.2, 1, 128},
    {"xczu9eg", "ZCU102", 2520, 1824, 0, 274080, 548160, 19.2, 1, 128},
};

const PrPart *pr_find(const char *part) {
  if (!part) return NULL;
  size_t n = strcspn(part, "-");
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (strlen(parts[i].device) == n && !strncasecmp(part, parts[i].device, n)) return &parts[i];
  return NULL;
}

void pr_list(char *buf, size_t n) {
  size_t k = 0;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0] && k < n; i++) {
    int w = snprintf(buf + k, n - k, "%s%s", i ? ", " : "", parts[i].device);
    if (w < 0) break;
    k += (size_t)w;
  }
}
