-- tb.lua - tb_<net>_seg<k>.c: C testbench of one hardware segment.  Feeds
-- the segment inputs the compiler took from its simulator (chaicc run's
-- fixed-point contract), runs the top function and compares every output
-- code bit for bit.  Prints PASS or FAIL; returns non-zero on a mismatch.
local clib = import("c/lib")

function render(t)
  local s = {clib.provenance(t, "c")}
  s[#s + 1] = ([[
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "%s_hw.h"

%s
]]):format(t.base, t.wideport and
    ("/* the memories as %d-bit words (the engine's %s / %s ports); fm and\n * wts are their bytes */\nstatic %s %s[(%s_FM_SIZE + %d) / %d];\nstatic %s %s[(%s_WTS_SIZE + %d) / %d];\n"):format(
        8 * t.PB, t.pfm, t.pwts, t.bt, t.pfm, t.PREFIX, t.PB - 1, t.PB, t.bt, t.pwts, t.PREFIX, t.PB - 1, t.PB) or
    ("static int8_t fm[%s_FM_SIZE];\nstatic int8_t wts[%s_WTS_SIZE];\n"):format(t.PREFIX, t.PREFIX))
  for i, x in ipairs(t.ins) do
    s[#s + 1] = ("/* input %d: %s */\nstatic const int8_t in%d[%d] = {\n%s};\n"):format(i - 1, x.what, i - 1, x.count, x.body)
  end
  for i, x in ipairs(t.outs) do
    s[#s + 1] = ("/* output %d: %s */\nstatic const int8_t out%d[%d] = {\n%s};\n"):format(i - 1, x.what, i - 1, x.count, x.body)
  end
  s[#s + 1] = "\nint main(int argc, char **argv) {\n  long bad = 0;\n"
  if t.wideport then
    s[#s + 1] = ("  int8_t *const fm = (int8_t *)%s, *const wts = (int8_t *)%s;\n"):format(t.pfm, t.pwts)
  end
  -- (64-bit ports for pooling alone, no weight memory: nothing to read)
  if t.uses_wts or (t.wideport and t.wbytes > 0) then
    s[#s + 1] = ([[
  const char *wf = argc > 1 ? argv[1] : "%s";
  FILE *f = fopen(wf, "rb");
  if (!f || fread(wts, 1, %s, f) != (size_t)%d) {
    printf("FAIL: cannot read %%s\n", wf);
    if (f) fclose(f);
    return 2;
  }
  fclose(f);
]]):format(t.wfile, t.wideport and ("(size_t)%d"):format(t.wbytes) or "sizeof wts", t.wbytes)
  else
    s[#s + 1] = "  (void)argc;\n  (void)argv;\n"
    if t.wideport then s[#s + 1] = "  (void)wts;\n" end
  end
  for i, x in ipairs(t.ins) do
    s[#s + 1] = ("  memcpy(fm + %d, in%d, sizeof in%d);\n"):format(x.off, i - 1, i - 1)
  end
  s[#s + 1] = ("  %s(fm, wts%s);\n#ifdef CHAI_HLS_COUNT\n  chai_hls_count_report(stdout);\n#endif\n"):format(t.top,
      t.wideport and (", %s, %s"):format(t.pfm, t.pwts) or "")
  for i, x in ipairs(t.outs) do
    s[#s + 1] = ([[
  for (long i = 0; i < %d; i++)
    if (fm[%d + i] != out%d[i]) {
      if (bad < 5) printf("mismatch %s[%%ld]: got %%d, expected %%d\n", i, fm[%d + i], out%d[i]);
      bad++;
    }
]]):format(x.count, x.off, i - 1, x.name, x.off, i - 1)
  end
  s[#s + 1] = ([[
  if (bad) {
    printf("FAIL: %s: %%ld codes differ\n", bad);
    return 1;
  }
  printf("PASS: %s (%d outputs, %d codes)\n");
  return 0;
}
]]):format(t.top, t.top, #t.outs, t.ncodes)
  return table.concat(s)
end
