#!/bin/bash
# hls_budget.sh [BUILD_DIR] - the part as a budget (docs/hls.md): the
# part table and its YAML overrides, the resource line of `chaicc info
# --hls`, folding under the DSP budget, and `compile --target hls`
# refusing a design that does not fit, at the config's mark.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
CHAICC=$B/chaicc
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
LINE='^resources: DSP [0-9]+/[0-9]+ BRAM18K [0-9]+/[0-9]+ URAM [0-9]+/[0-9]+ on [a-z0-9-]+: (fits|does not fit \(.+\))$'
res() { "$CHAICC" info "$@" --hls 2>&1 | grep '^resources:'; }
net=tests/nets/$(ls tests/nets | grep -m1 '\.prototxt$')
[ -f "$net" ] || { echo "FAIL no net in tests/nets"; exit 1; }

# an unknown part: an error at the value's mark
printf 'target:\n  part: xc9zz999-x\n' >"$T/p.yaml"
if "$CHAICC" info "$net" --hls --config "$T/p.yaml" >"$T/o" 2>"$T/e"; then
  bad "unknown part accepted"
elif grep -q "p.yaml:2:9: error: unknown part 'xc9zz999-x'" "$T/e"; then ok "unknown part: error at its mark"
else bad "unknown part: diagnostic"; cat "$T/e"; fi
# an unknown target key warns (and still works); a bad budget is an error
printf 'target:\n  part: xc7z020-clg484-1\n  dsp_budgett: 10\n' >"$T/k.yaml"
if "$CHAICC" info "$net" --hls --config "$T/k.yaml" >"$T/o" 2>"$T/e" &&
   grep -q "k.yaml:3:3: warning: unknown key 'dsp_budgett' in target" "$T/e" &&
   grep -qE "$LINE" "$T/o" && grep -q ' on xc7z020-clg484-1: ' "$T/o" &&
   grep -q 'DSP [0-9]*/220 BRAM18K [0-9]*/280 URAM [0-9]*/0 ' "$T/o"; then
  ok "unknown target key warns; xc7z020 budget 220 DSP, 280 BRAM18K, 0 URAM"
else bad "unknown key / xc7z020 budget"; cat "$T/e"; grep '^resources' "$T/o"; fi
printf 'target:\n  dsp_budget: -3\n' >"$T/n.yaml"
if "$CHAICC" info "$net" --hls --config "$T/n.yaml" >/dev/null 2>"$T/e" || ! grep -q 'n.yaml:2:15: error' "$T/e"; then
  bad "negative dsp_budget"; cat "$T/e"
else ok "negative dsp_budget: error at its mark"; fi
# every part of the table, by device name with any package suffix
for p in xc7z020:220:280:0 xc7z045:900:1090:0 xczu3eg:360:432:0 xczu7ev:1728:624:96 xczu9eg:2520:1824:0; do
  IFS=: read -r d dsp bram uram <<<"$p"
  printf 'target:\n  part: %s-pkg-1\n' "$d" >"$T/t.yaml"
  r=$(res "$net" --config "$T/t.yaml")
  if echo "$r" | grep -qE "DSP [0-9]+/$dsp BRAM18K [0-9]+/$bram URAM [0-9]+/$uram on $d-pkg-1: "; then :
  else bad "part $d: $r"; fi
done
ok "part table: 5 devices"

M=../shared/models
if [ -d "$M" ]; then
  # every shared model fits the default part at the default config
  n=0
  for m in "$M"/*/; do
    r=$(res "$m/deploy.prototxt")
    if echo "$r" | grep -qE "$LINE" && echo "$r" | grep -q ' on xczu9eg-ffvb1156-2-e: fits$'; then n=$((n + 1))
    else bad "$(basename "$m") default config: $r"; fi
  done
  ok "$n shared models fit xczu9eg at the default config"
  # lenet, cifar10_quick, resnet20 and ultraface also fit xc7z020 (docs/hls.md)
  printf 'target:\n  part: xc7z020-clg484-1\n' >"$T/z7.yaml"
  for n in lenet_mnist cifar10_quick resnet20_cifar10 ultraface_slim320; do
    r=$(res "$M/$n/deploy.prototxt" --config "$T/z7.yaml")
    echo "$r" | grep -q ' URAM 0/0 on xc7z020-clg484-1: fits$' || bad "$n on xc7z020: $r"
  done
  ok "lenet, cifar10_quick, resnet20, ultraface fit xc7z020"
  # the GoogLeNet bench config: at most 1024 DSPs, stated in its resource line
  for y in googlenet_1024dsp googlenet_units googlenet_engine; do
    r=$(res bench/googlenet_v1.prototxt --config bench/$y.yaml)
    if echo "$r" | grep -qE '^resources: DSP [0-9]+/1024 .* on xczu9eg-ffvb1156-2-e: fits$'; then ok "$y: $r"
    else bad "$y: $r"; fi
  done
  R=$M/resnet20_cifar10/deploy.prototxt
  # folding under a DSP budget; off, the same design does not fit
  printf 'target:\n  dsp_budget: 300\n' >"$T/f.yaml"
  printf 'target:\n  dsp_budget: 300\n  fold: false\n' >"$T/nf.yaml"
  r1=$(res "$R" --config "$T/f.yaml"); r2=$(res "$R" --config "$T/nf.yaml")
  u=$(echo "$r1" | sed -n 's/^resources: DSP \([0-9]*\)\/300 .*: fits$/\1/p')
  if [ -n "$u" ] && [ "$u" -le 300 ] && echo "$r2" | grep -q ': does not fit (DSP [0-9]* > 300)$'; then
    ok "resnet20 folded to $u/300 DSPs; without folding: does not fit"
  else bad "folding: '$r1' / '$r2'"; fi
  # engine mode: DSPs left after folding go to requantization lanes (R
  # doublings, 3 DSPs per lane) while they fit and save cycles
  printf 'target:\n  engine: shared\n  dsp_budget: 1100\n' >"$T/g.yaml"
  printf 'target:\n  engine: shared\n  dsp_budget: 1100\n  fold: false\n' >"$T/ng.yaml"
  "$CHAICC" info "$R" --hls --config "$T/g.yaml" >"$T/gi" 2>&1
  "$CHAICC" info "$R" --hls --config "$T/ng.yaml" >"$T/ngi" 2>&1
  if python3 - "$T/gi" "$T/ngi" <<'PYEOF'
import re, sys
def parse(f):
    t = open(f).read()
    cyc = int(re.search(r'^hardware: .* (\d+) cycles', t, re.M).group(1))
    r = [int(x) for x in re.findall(r'^engine \d+ .*?, (\d+) requantization lanes', t, re.M)]
    op = [int(x) for x in re.findall(r'^engine \d+ .*?: \d+ x (\d+) MACs', t, re.M)]
    dsp = re.search(r'^resources: DSP (\d+)/(\d+) .*: fits$', t, re.M)
    g = re.search(r'; (\d+) growing steps with the DSPs left', t)
    return cyc, r, op, dsp, g
c1, r1, op1, d1, g1 = parse(sys.argv[1])
c0, r0, op0, d0, g0 = parse(sys.argv[2])
assert d1 and int(d1.group(1)) <= 1100, 'grown design over budget'
assert g1 and not g0, 'doublings line'
n = int(g1.group(1))
assert sum(a.bit_length() - b.bit_length() for a, b in zip(r1, r0)) == n, (r1, r0, n)
assert all(o % r == 0 for o, r in zip(op1, r1)), (op1, r1)
assert c1 < c0, (c1, c0)
print('R %s -> %s, %d doublings, cycles %d -> %d, DSP %s/1100' % (r0, r1, n, c0, c1, d1.group(1)))
PYEOF
  then ok "engine: requantization lanes grown within the DSP budget, fewer cycles"
  else bad "engine lane growth"; tail -4 "$T/gi"; tail -4 "$T/ngi"; fi
  printf 'target:\n  engine: shared\n  dsp_budget: %s\n' \
    "$(sed -n 's/^resources: DSP \([0-9]*\)\/.*/\1/p' "$T/ngi")" >"$T/g0.yaml"
  if "$CHAICC" info "$R" --hls --config "$T/g0.yaml" 2>&1 | grep -q 'growing steps with the DSPs left'; then
    bad "lanes doubled with no DSP left"
  else ok "engine: no DSP left, no lane doubled"; fi
  # growing never passes the pragmas: GoogLeNet's engines (1024 DSPs,
  # packed, 64-bit ports) stay within in_parallel x out_parallel, and
  # out_parallel 64 lets conv1's engine (3 input channels) take 64
  for op in 32 64; do
    { sed "s/out_parallel: 32/out_parallel: $op/" bench/googlenet_units.yaml
      printf '  engine: shared\n  dsp_packing: true\n  port_bits: 64\n'; } >"$T/gg$op.yaml"
    "$CHAICC" info bench/googlenet_v1.prototxt --hls --config "$T/gg$op.yaml" >"$T/gg$op" 2>&1
  done
  if python3 - "$T/gg32" "$T/gg64" <<'PYEOF'
import re, sys
def eng(f):
    t = open(f).read()
    assert re.search(r'^resources: DSP \d+/1024 .*: fits$', t, re.M), f
    assert re.search(r'growing steps with the DSPs left', t), f
    return [(int(a), int(b)) for a, b in re.findall(r'^engine \d+ .*?: (\d+) x (\d+) MACs', t, re.M)]
e32, e64 = eng(sys.argv[1]), eng(sys.argv[2])
assert all(ip <= 32 and op <= 32 for ip, op in e32), e32
assert all(ip <= 32 and op <= 64 for ip, op in e64) and e64[0] == (3, 64), e64
print(e32, e64)
PYEOF
  then ok "growing stays within the pragmas (GoogLeNet engines)"
  else bad "growing past the pragmas"; grep '^engine' "$T/gg32" "$T/gg64"; fi
  # a per-layer override that forces a large unroll is never folded
  printf 'target:\n  dsp_budget: 400\nlayers:\n  "Conv*":\n    in_parallel: 16\n    out_parallel: 16\n' >"$T/big.yaml"
  r=$(res "$R" --config "$T/big.yaml")
  if echo "$r" | grep -qE "$LINE" && echo "$r" | grep -q ': does not fit (DSP '; then ok "forced unroll reported as not fitting"
  else bad "forced unroll: $r"; fi
  # compile --target hls refuses it, at the config
  L=$M/lenet_mnist
  mkdir -p "$T/cal" && cp "$L/ref/input.npy" "$T/cal/"
  if "$CHAICC" quantize --deploy_model "$L/deploy.prototxt" --weights "$L/weights.caffemodel" \
       --quantized_deploy_model "$T/q.prototxt" --calibration_directory "$T/cal" --calibration_size 1 \
       --quant_type Xilinx --bitwidths 8,8,8 >"$T/ql" 2>&1; then
    printf 'target:\n  part: xc7z020-clg484-1\n  dsp_budget: 100\nlayers:\n  "*":\n    in_parallel: 16\n    out_parallel: 16\n' >"$T/c.yaml"
    for tg in hls all; do
      if "$CHAICC" compile "$T/q.prototxt" "$L/weights.caffemodel" -o "$T/out_$tg" --target $tg --config "$T/c.yaml" >"$T/o" 2>"$T/e"; then
        bad "compile --target $tg accepted a design that does not fit"
      elif grep -q 'c.yaml:3:15: error: the hardware design does not fit part xc7z020-clg484-1 (DSP ' "$T/e" &&
           [ ! -d "$T/out_$tg/hls" ]; then ok "compile --target $tg refuses it at the config's mark"
      else bad "compile --target $tg refusal"; cat "$T/e"; fi
    done
    # the memory term: per layer max(compute, memory), summed; README too
    printf 'target:\n  part: xc7z020\n  ddr_gbps: 0.1\n' >"$T/m.yaml"
    if "$CHAICC" compile "$T/q.prototxt" "$L/weights.caffemodel" -o "$T/out_m" --target hls --config "$T/m.yaml" >"$T/o" 2>"$T/e" &&
       "$CHAICC" info "$T/q.prototxt" "$L/weights.caffemodel" --hls --config "$T/m.yaml" >"$T/mi" 2>&1 &&
       python3 - "$T/mi" "$T/out_m/hls/README.md" <<'PYEOF'
import sys
info = open(sys.argv[1]).read().splitlines()
rows = [l.split() for l in info if l[:1].isdigit()]
tot = sum(max(int(r[8]), int(r[9])) for r in rows)
bounds = {r[10] for r in rows}
assert all(r[10] == ('memory' if int(r[9]) > int(r[8]) else 'compute') for r in rows)
seg = [l for l in info if 'segment 0 total' in l][0]
assert (' %d cycles ' % tot) in seg, (tot, seg)
assert 'memory' in bounds, bounds
md = open(sys.argv[2]).read()
res = [l for l in info if l.startswith('resources:')][0]
assert '| bound |' in md and ('    ' + res) in md, 'README'
for r in rows:
    assert ('| %s | %s |' % (r[0], r[1])) in md and ('| %s | %s | %s |' % (r[8], r[9], r[10])) in md, r[1]
print('%d layers, %d cycles' % (len(rows), tot))
PYEOF
    then ok "memory term: per layer max(compute, memory) (DDR 0.1 GB/s: memory-bound layers), README table = info"
    else bad "memory term"; cat "$T/e"; tail -5 "$T/mi"; fi
    if "$CHAICC" compile "$T/q.prototxt" "$L/weights.caffemodel" -o "$T/out_c" --target c --config "$T/c.yaml" >"$T/o" 2>"$T/e"; then
      ok "compile --target c ignores the budget"
    else bad "--target c refused"; cat "$T/e"; fi
  else bad "quantize lenet"; tail -3 "$T/ql"; fi
else
  echo "skip: $M not found"
fi
exit $fail
