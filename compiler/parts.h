/* parts.h - built-in table of FPGA parts: the resource budget of the HLS
 * backend (docs/hls.md, "The part as a budget").
 *
 * A part is named as Vivado names it (xczu9eg-ffvb1156-2-e); the device is
 * the name up to the first '-' (xczu9eg), and the table is keyed by device.
 * Figures are the programmable-logic totals of Xilinx data sheets DS190
 * (Zynq-7000) and DS891 (Zynq UltraScale+ MPSoC); ddr_gbps is the peak
 * bandwidth of the processing system's DDR on the device's typical
 * evaluation board (the board is named in `board`). */
#ifndef CHAI_PARTS_H
#define CHAI_PARTS_H

#include <stddef.h>

typedef struct PrPart {
  const char *device; /* e.g. "xczu9eg" */
  const char *board;  /* the board ddr_gbps assumes */
  int dsp;            /* DSP48E1 / DSP48E2 slices */
  int bram18k;        /* 18 Kb block RAMs (twice the 36 Kb count) */
  int uram;           /* 288 Kb UltraRAMs */
  int lut, ff;
  double ddr_gbps;    /* GB/s (1e9 bytes per second) */
  int dsp48e2;        /* 1: UltraScale DSP48E2 (27-bit pre-adder, so two
                         8-bit products can share one multiplier: WP486);
                         0: 7-series DSP48E1 (25-bit) */
  int hp_bits;        /* data width of the PS high-performance AXI ports
                         the accelerator's m_axi masters use: 64 on
                         Zynq-7000 (S_AXI_HP0-3, UG585), 128 on Zynq
                         UltraScale+ (S_AXI_HP0-3_FPD, UG1085) */
} PrPart;

/* The entry whose device is the prefix of part up to its first '-'
 * (case-insensitive), or NULL. */
const PrPart *pr_find(const char *part);
/* The known devices, comma-separated, into buf (for a diagnostic). */
void pr_list(char *buf, size_t n);

#endif
