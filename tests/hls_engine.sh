#!/bin/bash
# hls_engine.sh [BUILD_DIR] - the shared convolution engine (`target.engine:
# shared`, docs/hls.md "Shared engine") on lenet and resnet20, and on
# resnet20 with dsp_packing and an odd OP, and on lenet and resnet20 with
# `port_bits: 64` (8-byte beats; lenet's 28-wide rows start inside beats)
# and `port_bits: 128` (16-byte chai_b128 beats), and on lenet and resnet20
# with `port_bits: 128, engine_plane_kb: 8` (whole planes for some layers,
# rolling rows for the others, both in one engine; resnet20 also with
# 64-bit ports, and with `engine_plane_kb: auto`) (8-bit Xilinx):
#  * tests/lib/quant.sh's check with the engine config: the --target all
#    program bit-identical to `chaicc run` (and to --target c), every
#    segment testbench PASS (-Wall -Wextra -Werror), hls_check.py (subset
#    with descriptor bounds, ii, burst), run_hls.tcl under the fixture;
#  * hls_ii.py --exact --burst on the segments; the multipliers the
#    pipelined loops instantiate equal the engines' IP x OP of
#    `info --hls`, and info counts each engine's DSPs once;
#  * the dynamic check (tests/hls_dyn.sh NET_engine): counted figures equal
#    the static ones;
#  * `engine: layers` (the default) generates the same segments as no
#    config;
#  * 64- and 128-bit ports: the burst beats the testbench counts (every
#    layer once) equal info's estimate of them;
#  * grouped and depthwise layers bundled on the engine (yoloface50k_dw
#    with 128-bit ports, with and without auto planes; tests/nets/cg_conv with the engine, packed,
#    with planes, and in the dynamic check): the same checks, and the
#    bundled channels per group in the descriptor;
#  * info's split line: the MAC loop and init + output stage iterations
#    the testbench counts equal it; on GoogLeNet (googlenet_plane.yaml)
#    each segment's parts add up to its total and the lane bound is the
#    sum of the MAC loops at full lanes;
#  * pipelined frames (docs/hls.md "Pipelined frames"): resnet20 cut in
#    three segments by segment_start (the checks above, 3 testbenches,
#    the dynamic check);
#    its and GoogLeNet's (bench/googlenet_1024dsp.yaml: 5 segments, at
#    most 1024 DSPs, at least 151.8 fps) frame interval is the slowest
#    segment's or the memory's, the latency the segments' sum; the
#    generated program's <prefix>_run_frames gives the serial run's bytes
#    on 7 different frames (tests/frames_check.c), the stages of a step in
#    turn and at once on the stage threads, and in turn does not once the
#    frames' buffer copies are taken out of its chai_slot (the check bites);
#  * 64-bit pooling (docs/hls.md "Pooling"): tests/nets/pool_wide and
#    tests/kinds/rs_pool_stream (random weights, chaicc-mkmodel --seed 1)
#    with `port_bits: 64` and `128`, with the engine and without (per-layer
#    convolutions): the same quant.sh check, every Pooling function on
#    fm64 / fm128 alone, hls_ii.py --exact --burst, and the dynamic check;
#  * negative cases: a TRIPCOUNT whose range misses a layer's value and a
#    bound that is a plain variable fail the subset check; the engine's
#    weight buffer without its reshape fails the II proof; with 64-bit
#    and 128-bit ports, a byte-wide read in a beat burst (the engine's,
#    pooling's) fails the burst rule, the line buffer / ob without their 8
#    (16) banks along the row fail the II proof, and so does pooling's
#    line buffer without its banks along the row.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=tests/lib/quant.sh
. tests/lib/quant.sh "${1:-build}"
M=../shared/models
if [ ! -d "$M" ]; then
  echo "skip: $M not found (shared models)"
  exit 0
fi
printf 'target:\n  engine: shared\n' >"$T/engine.yaml"
printf 'target:\n  engine: layers\n' >"$T/layers.yaml"
printf 'target:\n  engine: shared\n  dsp_packing: true\n  pragmas:\n    out_parallel: 5\n' >"$T/pack.yaml"
printf 'target:\n  engine: shared\n  port_bits: 64\n' >"$T/w64.yaml"
printf 'target:\n  port_bits: 64\n' >"$T/pool64.yaml"
printf 'target:\n  engine: shared\n  port_bits: 128\n' >"$T/w128.yaml"
printf 'target:\n  port_bits: 128\n' >"$T/pool128.yaml"
# whole planes (docs/hls.md "Whole planes") for the layers whose planes fit
# 8 KiB, rolling rows for the others (as tests/hls_dyn.sh NET_plane128)
printf 'target:\n  engine: shared\n  port_bits: 128\n  engine_plane_kb: 8\n' >"$T/plane128.yaml"
printf 'target:\n  engine: shared\n  port_bits: 128\n  engine_plane_kb: auto\n' >"$T/auto128.yaml"
printf 'target:\n  engine: shared\n  port_bits: 64\n  engine_plane_kb: 8\n' >"$T/plane64.yaml"
# pipelined frames (docs/hls.md "Pipelined frames"): resnet20 cut into
# three segments, each its own engine
printf 'target:\n  engine: shared\n  port_bits: 128\n  schedule: pipelined\nlayers:\n  Convolution8: {segment_start: true}\n  Convolution14: {segment_start: true}\n' >"$T/pipe.yaml"

for c in lenet_mnist resnet20_cifar10 resnet20_cifar10:pack lenet_mnist:w64 resnet20_cifar10:w64 lenet_mnist:w128 \
         resnet20_cifar10:w128 lenet_mnist:plane128 resnet20_cifar10:plane128 resnet20_cifar10:auto128 \
         resnet20_cifar10:plane64 yoloface50k_dw:w128 yoloface50k_dw:auto128 resnet20_cifar10:pipe; do
  n=${c%:*} cfg=$T/engine.yaml
  [ "$c" != "$n" ] && cfg=$T/${c#*:}.yaml
  QFLAGS_EXTRA="" check "${c/:/_}" "$M/$n/deploy.prototxt" "$M/$n/weights.caffemodel" "$M/$n/ref/input.npy" Xilinx 8 "$cfg"
  d=$T/${c/:/_}.Xilinx8
  H=$d/proj/hls
  [ -d "$H" ] || continue
  if ! python3 tests/hls_ii.py --exact --burst -q "$H"/*_seg[0-9]*.c >"$d/ii.log" 2>&1; then
    echo "FAIL $c: engine II / burst proof"; grep -v '^ok' "$d/ii.log" | head -5; fail=1; continue
  fi
  "$CHAICC" info "$d/q.prototxt" "$M/$n/weights.caffemodel" --hls --config "$cfg" >"$d/info" 2>&1
  muls=$(sed -n 's/^multipliers: \([0-9]*\).*/\1/p' "$d/ii.log")
  eng=$(sed -n 's/^engine .* MACs (\([0-9]*\) multipliers.*/\1/p' "$d/info" | awk '{s += $1} END {print s + 0}')
  ne=$(grep -c '^engine ' "$d/info")
  nconv=$(grep -c '_conv(fm\(64\|128\)*, wts\(64\|128\)*, [0-9]*);' "$H"/*_seg[0-9]*.c | awk -F: '{s += $2} END {print s}')
  nlay=$(awk '$3 == "Convolution"' "$d/info" | wc -l)
  edsp=$(awk '$3 == "Convolution" && $12 > 0' "$d/info" | wc -l)
  if [ "$ne" -lt 1 ] || [ "$muls" != "$eng" ] || [ "$nconv" != "$nlay" ] || [ "$edsp" != "$ne" ]; then
    echo "FAIL $c: code and info --hls disagree: $muls multipliers in the code, engines $eng; $nconv engine calls, $nlay convolutions; $edsp rows with engine DSPs, $ne engines"
    fail=1; continue
  fi
  echo "ok   $c: engine II 1 proven and bursts (--exact); $muls multipliers = info's $ne engine(s); $nconv calls = $nlay convolutions; $(tail -1 "$d/info" | sed 's/^resources: //')"
  if [ "${c#*:}" = plane128 ] || [ "${c#*:}" = plane64 ]; then # both modes in one engine: the plane table holds 0s and 1s
    pl=$(sed -n '/^static const int32_t [A-Za-z0-9_]*_d_plane\[[0-9]*\] = {$/,/^};$/p' "$H"/*_seg[0-9]*.c |
         sed '1d; $d' | tr -d ' \n')
    if [[ ",$pl," == *,0,* && ",$pl," == *,1,* ]]; then
      echo "ok   $c: whole-plane and rolling layers on one engine (plane: $pl)"
    else
      echo "FAIL $c: expected whole-plane and rolling layers, plane table '$pl'"; fail=1
    fi
  fi
  if [ "${c#*:}" = auto128 ]; then # auto: a cap chosen, a plan that fits and is no slower than without planes
    w=$T/${n}_w128.Xilinx8/info
    kb=$(sed -n 's/^planes: engine_plane_kb auto: \([0-9]*\) KiB .*/\1/p' "$d/info")
    fa=$(sed -n 's/^hardware: .* \([0-9]*\) cycles = .*/\1/p' "$d/info")
    fw=$(sed -n 's/^hardware: .* \([0-9]*\) cycles = .*/\1/p' "$w" 2>/dev/null)
    if [ -n "$kb" ] && [ "$kb" -gt 0 ] && [ -n "$fw" ] && [ "$fa" -le "$fw" ] && tail -1 "$d/info" | grep -q ': fits$'; then
      echo "ok   $c: auto chose $kb KiB: $fa cycles (rolling rows: $fw), fits"
    else
      echo "FAIL $c: auto cap '$kb', $fa cycles against $fw without planes"; tail -1 "$d/info"; fail=1
    fi
  fi
  [ "$c" != "$n" ] && continue
  # engine: layers is the default: the same segment sources as no config
  "$CHAICC" compile "$d/q.prototxt" "$M/$n/weights.caffemodel" -o "$d/dflt" --target hls >/dev/null 2>&1
  "$CHAICC" compile "$d/q.prototxt" "$M/$n/weights.caffemodel" -o "$d/lay" --target hls --config "$T/layers.yaml" >/dev/null 2>&1
  same=1
  for f in "$d/dflt/hls/"*_seg*.c; do
    cmp -s <(sed 1,3d "$f") <(sed 1,3d "$d/lay/hls/$(basename "$f")") || same=0
  done
  if [ $same = 1 ] && ! grep -q '_conv(fm, wts' "$d/dflt/hls/"*_seg[0-9]*.c; then
    echo "ok   $n: engine: layers = no config (per-layer units, same sources after the provenance lines)"
  else
    echo "FAIL $n: engine: layers differs from the default"; fail=1
  fi
done

# net_check PROTO NAME CONFIG: a test net with random weights (chaicc-mkmodel
# --seed 1) and input, made once, through the quant.sh check with CONFIG;
# fails only when the weights or input cannot be made
net_check() {
  local p=$1 n=$2 k=$3 shape
  if [ ! -f "$T/$n.npy" ]; then
    shape=$("$CHAICC" info "$p" | sed -n 's/^input  [^ ]* //p' | head -n 1)
    "$MKMODEL" "$p" -o "$T/$n.caffemodel" --seed 1 >/dev/null 2>&1 && make_npy "$T/$n.npy" "$shape" 7 ||
      { echo "FAIL $n: random weights / input"; fail=1; return 1; }
  fi
  QFLAGS_EXTRA="" check "${n}_$k" "$p" "$T/$n.caffemodel" "$T/$n.npy" Xilinx 8 "$T/$k.yaml"
  return 0 # check records its own failure; the caller's steps need its project
}

# 64- and 128-bit pooling on test nets (random weights), with and without
# the engine
for c in tests/nets/pool_wide:w64 tests/nets/pool_wide:pool64 tests/kinds/rs_pool_stream:w64 \
         tests/kinds/rs_pool_stream:pool64 tests/nets/pool_wide:w128 tests/nets/pool_wide:pool128 \
         tests/kinds/rs_pool_stream:w128 tests/kinds/rs_pool_stream:pool128 tests/nets/pool_wide:plane128 \
         tests/kinds/rs_pool_stream:plane128; do
  p=${c%:*}.prototxt n=$(basename "${c%:*}") k=${c#*:}
  net_check "$p" "$n" "$k" || continue
  H=$T/${n}_$k.Xilinx8/proj/hls
  [ -d "$H" ] || continue
  npool=$(grep -c 'type: *"Pooling"' "$p")
  port='uint64_t \*fm64'
  case $k in *128) port='chai_b128 \*fm128' ;; esac # the config's own width only
  nw=$(grep -c "^static void Q_[A-Za-z0-9_]*($port) {\$" "$H"/*_seg[0-9]*.c | awk -F: '{s += $2} END {print s}')
  if ! python3 tests/hls_ii.py --exact --burst -q "$H"/*_seg[0-9]*.c >"$T/${n}_$k.ii" 2>&1; then
    echo "FAIL $n $k: II / burst proof"; grep -v '^ok' "$T/${n}_$k.ii" | head -5; fail=1
  elif [ "$nw" != "$npool" ]; then
    echo "FAIL $n $k: $nw pooling functions on ${port/\\/}, $npool Pooling layers"; fail=1
  else
    echo "ok   $n $k: $nw pooling functions on ${port/\\/} alone, II 1 proven and bursts (--exact)"
  fi
  if [ "$k" = plane128 ]; then # whole planes: some pooling functions buffer the plane (pl), one burst each way
    np=$(grep -c '_lx: for (int b = 0; b < [0-9]*; b++) {$' "$H"/*_seg[0-9]*.c | awk -F: '{s += $2} END {print s}')
    npl=$(grep -c '^  [a-z0-9_]* pl\[[0-9]*\]\[[0-9]*\];$' "$H"/*_seg[0-9]*.c | awk -F: '{s += $2} END {print s}')
    if [ "${npl:-0}" -ge 1 ]; then
      echo "ok   $n $k: $npl pooling functions buffer whole planes ($np wide row / plane loads in all)"
    else
      echo "FAIL $n $k: no pooling function buffers a whole plane"; fail=1
    fi
  fi
done

# grouped and depthwise layers (docs/hls.md "Grouped and depthwise
# layers"): tests/nets/cg_conv (depthwise, grouped with dilation, random
# weights) on the engine, packed with OP 5, and with 128-bit planes: the
# quant.sh check and the II / burst proof; its depthwise layer (8 groups
# of 1 x 1 channels) runs bundled, 8 groups per engine group (4 with OP 5)
for k in engine pack plane128; do
  n=cg_conv p=tests/nets/cg_conv.prototxt
  net_check "$p" "$n" "$k" || continue
  H=$T/${n}_$k.Xilinx8/proj/hls
  [ -d "$H" ] || continue
  icg=$(sed -n '/^static const int32_t [A-Za-z0-9_]*_conv_d_icg\[[0-9]*\] = {$/,/^};$/p' "$H"/*_seg0.c | sed '1d; $d' | tr -d ' \n')
  want="3,8,8"; [ $k = pack ] && want="3,4,8"
  if ! python3 tests/hls_ii.py --exact --burst -q "$H"/*_seg[0-9]*.c >"$T/${n}_$k.ii" 2>&1; then
    echo "FAIL $n $k: II / burst proof"; grep -v '^ok' "$T/${n}_$k.ii" | head -5; fail=1
  elif [ "$icg" != "$want" ]; then
    echo "FAIL $n $k: engine input channels per group $icg, expected $want (depthwise bundled)"; fail=1
  else
    echo "ok   $n $k: II 1 proven and bursts (--exact); engine input channels per group $icg (depthwise 8 x 1 bundled)"
  fi
done

# the dynamic check (counted per-iteration figures = the static ones)
if out=$(CHAI_DYN_KEEP=$T/dyn bash tests/hls_dyn.sh "$B" lenet_mnist_engine resnet20_cifar10_engine \
           lenet_mnist_engine64 resnet20_cifar10_engine64 pool_wide_engine64 pool_wide_pool64 \
           rs_pool_stream_engine64 rs_pool_stream_pool64 lenet_mnist_engine128 resnet20_cifar10_engine128 \
           pool_wide_engine128 pool_wide_pool128 rs_pool_stream_engine128 rs_pool_stream_pool128 \
           lenet_mnist_plane128 resnet20_cifar10_plane128 resnet20_cifar10_plane64 pool_wide_plane128 \
           rs_pool_stream_plane128 cg_conv_engine cg_conv_plane128 resnet20_cifar10_pipe 2>&1) &&
   ! echo "$out" | grep -q '^FAIL'; then
  echo "$out" | grep '_engine\|_pool64\|_pool128\|_plane\|_pipe'
else
  echo "FAIL dynamic check of the engine"; echo "$out" | grep -v '^ok' | head -8; fail=1
fi
# 64- and 128-bit ports: the beats the testbench's burst loops ran (every
# layer once) equal the estimate's (info's engine line)
# (NET:BITS:CONFIG: the check's config name, and the dynamic check's net
# suffix from which its counted table is named)
for nb in lenet_mnist:64:w64:engine64 resnet20_cifar10:64:w64:engine64 lenet_mnist:128:w128:engine128 \
          resnet20_cifar10:128:w128:engine128 lenet_mnist:128:plane128:plane128 \
          resnet20_cifar10:128:plane128:plane128 resnet20_cifar10:64:plane64:plane64; do
  IFS=: read -r n b cf dn <<<"$nb"
  i=$T/${n}_$cf.Xilinx8/info
  dy=$(ls "$T"/dyn/${n}_$dn.*.dyn 2>/dev/null | head -1)
  [ -f "$i" ] && [ -n "$dy" ] || { echo "FAIL $n $b-bit: no info or counted table"; fail=1; continue; }
  grep -q "^engine .* $b-bit ports, bursts" "$i" || { echo "FAIL $n $b-bit: info's engine line is not $b-bit"; fail=1; continue; }
  est=$(sed -n 's/^engine .*-bit ports, bursts \([0-9]*\) weight + \([0-9]*\) line-buffer + \([0-9]*\) drain beats ([0-9]* + [0-9]* + [0-9]* bursts)$/\1 \2 \3/p' "$i")
  cnt=$(for l in wl lx dx; do awk -v l="_conv_$l" '$1 == "loop" && substr($2, length($2) - length(l) + 1) == l {s += $4} END {printf "%d ", s}' "$dy"; done)
  if [ -n "$est" ] && [ "$est " = "$cnt" ]; then
    echo "ok   $n $cf: burst beats counted in the testbench = the estimate's (weight, line buffer, drain: $est)"
  else
    echo "FAIL $n $cf: burst beats counted ($cnt) differ from the estimate's ($est)"; fail=1
  fi
  # info's split line: the MAC loop's and the init + output stage's cycles
  # are the iterations the testbench ran in those loops (II 1)
  sp=$(sed -n 's/^     segment 0 split: MAC loop \([0-9]*\) ([0-9]* at full lanes), init + output stage \([0-9]*\),.*/\1 \2/p' "$i")
  cnt=$(for l in "mac" "init|out"; do awk -v l="_conv_($l)\$" '$1 == "loop" && $2 ~ l {s += $4} END {printf "%d ", s}' "$dy"; done)
  if [ -n "$sp" ] && [ "$sp " = "$cnt" ]; then
    echo "ok   $n $cf: MAC loop and init + output stage iterations counted = info's split line ($sp)"
  else
    echo "FAIL $n $cf: MAC loop / init + output stage counted ($cnt) differ from the split line ($sp)"; fail=1
  fi
done
# the split lines add up to their segment's total, and the lane bound is the
# sum of the MAC loops at full lanes (GoogLeNet, three engines, whole planes)
"$CHAICC" info bench/googlenet_v1.prototxt --hls --config bench/googlenet_plane.yaml >"$T/gsplit" 2>&1
if out=$(python3 - "$T/gsplit" <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
tot = {int(a): int(b) for a, b in re.findall(r'^     segment (\d+) total: \d+ MACs, (\d+) cycles', t, re.M)}
sp = re.findall(r'^     segment (\d+) split: MAC loop (\d+) \((\d+) at full lanes\), init \+ output stage (\d+), '
                r'bursts (\d+) \+ (\d+) \+ (\d+), conversion steps (\d+), memory-bound excess (\d+), other kinds (\d+)$', t, re.M)
assert len(sp) == len(tot) == 3, (len(sp), len(tot))
full = 0
for r in sp:
    v = [int(x) for x in r]
    assert v[2] <= v[1], 'full lanes above the loop: %s' % (r,)
    assert sum(v[1:2] + v[3:]) == tot[v[0]], 'segment %d: parts %d, total %d' % (v[0], sum(v[1:2] + v[3:]), tot[v[0]])
    full += v[2]
lb = re.search(r'^lane bound: (\d+) cycles = ([0-9.]+) fps', t, re.M)
assert lb and int(lb.group(1)) == full, (lb and lb.group(1), full)
print('3 segments add up; lane bound %s cycles = %s fps' % (lb.group(1), lb.group(2)))
PYEOF
); then echo "ok   googlenet_plane split lines: $out"
else echo "FAIL googlenet_plane split lines: $out"; fail=1; fi

# pipelined frames: the frame interval is the slowest segment's total, or
# the DDR / HP-port time of every segment's traffic when larger; the
# hardware line's fps is the interval's and its cycles the latency (the
# segments' sum); the lane bound is the slowest segment's.  resnet20 with
# two segment_start cuts (compiled and checked above: 3 segments, 3
# testbenches) and GoogLeNet with bench/googlenet_1024dsp.yaml: 5 segments,
# at most 1024 DSPs, at least CHaiDNN's 151.8 fps
pipe_check() { # INFO SEGMENTS MIN_FPS
  python3 - "$@" <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
nseg, minfps = int(sys.argv[2]), float(sys.argv[3])
tot = [int(x) for x in re.findall(r'^     segment \d+ total: \d+ MACs, (\d+) cycles', t, re.M)]
full = [int(x) for x in re.findall(r'^     segment \d+ split: MAC loop \d+ \((\d+) at full lanes\)', t, re.M)]
hw = re.search(r'^hardware: (\d+) segments, \d+ of \d+ MACs, (\d+) cycles = [0-9.]+ ms latency, ([0-9.]+) fps pipelined at ([0-9.]+) MHz$', t, re.M)
pl = re.search(r'^pipelined: frame interval (\d+) cycles = [0-9.]+ ms, ([0-9.]+) fps \((segment (\d+), the slowest|memory: every segment.s traffic at once); '
               r'every segment.s bytes take (\d+) cycles of DDR, their beats (\d+) cycles of the 4 HP ports\); latency (\d+) cycles', t, re.M)
lb = re.search(r"^lane bound: (\d+) cycles = [0-9.]+ fps \(the slowest segment's", t, re.M)
res = re.search(r'^resources: DSP (\d+)/(\d+) .*: fits$', t, re.M)
assert hw and pl and lb and res, 'lines missing'
assert int(hw.group(1)) == nseg == len(tot) == len(full), (hw.group(1), nseg, len(tot), len(full))
iv, ddr, hp = int(pl.group(1)), int(pl.group(5)), int(pl.group(6))
assert iv == max(tot + [ddr, hp]), (iv, tot, ddr, hp)
if pl.group(4): assert tot[int(pl.group(4))] == iv, (pl.group(4), tot)
assert int(hw.group(2)) == int(pl.group(7)) == sum(tot), (hw.group(2), pl.group(7), sum(tot))
fps = 1e6 * float(hw.group(4)) / iv
assert abs(fps - float(hw.group(3))) < 0.06 and hw.group(3) == pl.group(2), (fps, hw.group(3), pl.group(2))
assert int(lb.group(1)) == max(full), (lb.group(1), full)
assert fps >= minfps, 'fps %.1f below %.1f' % (fps, minfps)
print('%d segments, interval %d cycles = %.1f fps (slowest %s), latency %d, DSP %s/%s'
      % (nseg, iv, fps, pl.group(4), sum(tot), res.group(1), res.group(2)))
PYEOF
}
d=$T/resnet20_cifar10_pipe.Xilinx8
if [ -f "$d/info" ] && ntb=$(ls "$d"/proj/hls/tb_*_seg[0-9]*.c | wc -l) && [ "$ntb" = 3 ] &&
   out=$(pipe_check "$d/info" 3 0 2>&1); then echo "ok   resnet20 pipelined: $ntb testbenches; $out"
else echo "FAIL resnet20 pipelined: ${out:-no info / testbenches}"; fail=1; fi
# frames_check NETC OUT [THREADS]: builds tests/frames_check.c with the
# project's (base name $base) generated NETC (and the runtime quant.sh
# built) and runs it (with THREADS: the stages of a step at once on the
# stage threads)
base=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$d/proj/CMakeLists.txt" 2>/dev/null)
frames_check() {
  local P=$d/proj up oc
  up=$(sed -n 's/^#define \([A-Z0-9_]*\)_STAGES [0-9]*$/\1/p' "$P/$base.h")
  oc="{$(sed -n 's/^#define [A-Z0-9_]*_OUTPUT[0-9]*_COUNT \([0-9]*\)$/\1/p' "$P/$base.h" | paste -sd,)}"
  local wts=()
  [ -f "$P/${base}_weights.S" ] && wts=("$P/${base}_weights.S" -Wa,-I"$P")
  [ -n "$up" ] && [ -f "$RTLIB" ] &&
  gcc -O2 -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -DNET_H="\"$base.h\"" \
    -DPFX="$(sed -n 's/^int \([A-Za-z0-9_]*\)_run_frames(.*/\1/p' "$P/$base.h")" -DUPFX="$up" -DOUT_COUNTS="$oc" -I"$P" -I"$P/runtime" \
    tests/frames_check.c "$1" "${wts[@]}" "$RTLIB" -ljpeg -lpng -lm -lpthread -o "$2" && "$2" ${3:+"$3"}
}
sed 's/^  fx64 = fx64_slot\[k\];$/  (void)k;/; s/^  act = act_slot\[k\];$//' "$d/proj/$base.c" >"$d/noslot.c" 2>/dev/null
if out=$(frames_check "$d/proj/$base.c" "$d/frames" 2>&1) && tout=$("$d/frames" 3 2>&1) &&
   ! grep -q 'fx64 = fx64_slot\[k\]' "$d/noslot.c" &&
   ! nout=$(frames_check "$d/noslot.c" "$d/noslot" 2>&1) && echo "$nout" | grep -q 'differs from the serial run'
then echo "ok   resnet20 pipelined $out; $tout; without the buffer copies: $(echo "$nout" | grep -c differs) frame outputs differ"
else echo "FAIL resnet20 pipelined frames: $out / ${tout:-} / ${nout:-}"; fail=1; fi
"$CHAICC" info bench/googlenet_v1.prototxt --hls --config bench/googlenet_1024dsp.yaml >"$T/gpipe" 2>&1
# (and info names the software layers the interval leaves out: the LRNs)
if out=$(pipe_check "$T/gpipe" 5 151.8 2>&1) && grep -q '^resources: DSP [0-9]*/1024 .* on xczu9eg-ffvb1156-2-e: fits$' "$T/gpipe" &&
   grep -q '^software: pool1/norm1 (LRN), conv2/norm2 (LRN), loss3/classifier (InnerProduct), prob (Softmax): 4 layers on the CPU per frame, not in the interval' "$T/gpipe"
then echo "ok   googlenet_1024dsp pipelined: $out"
else echo "FAIL googlenet_1024dsp pipelined: $out"; fail=1; fi

# negative cases on lenet's engine
S=$(ls "$T"/lenet_mnist.Xilinx8/proj/hls/*_seg0.c 2>/dev/null | head -1)
if [ -n "$S" ]; then
  neg() { # WHAT TOOL SED-EXPR EXPECT
    sed "$3" "$S" >"$T/neg.c"
    if cmp -s "$T/neg.c" "$S"; then
      echo "FAIL negative ($1): the mutation did not apply"; fail=1; return
    fi
    if out=$(python3 "tests/$2" "$T/neg.c" 2>&1); then
      echo "FAIL negative ($1): accepted"; fail=1
    elif echo "$out" | grep -q "$4"; then
      echo "ok   negative ($1) rejected: $(echo "$out" | grep "$4" | head -1 | sed 's/^.*neg.c:[0-9]*: //; s/  */ /g')"
    else
      echo "FAIL negative ($1): rejected for another reason"; echo "$out" | head -3; fail=1
    fi
  }
  neg "TRIPCOUNT max below a layer's output rows" hls_check.py \
    '/_oy: for/{n;s/max=[0-9]*/max=1/}' 'bounds: loop bounds are not constants: for (int oy'
  neg "a bound that is not a descriptor" hls_check.py \
    's/const int d_oh = \([A-Za-z0-9_]*\)\[L\];/int d_oh = \1[L];/' 'bounds: loop bounds are not constants: for (int oy'
  neg "weight buffer not reshaped" hls_ii.py \
    '/ARRAY_RESHAPE variable=wb /d' 'FAIL .*_conv_mac .*proven *64'
fi
# negative cases on the wide beats, 64-bit (uint64_t) and 128-bit
# (chai_b128, 16 banks along the row): a byte-wide fm read inside a wide
# burst, lb / ob without their banks along the row (lenet's engine), and
# the same read and pooling's line buffer without its banks (pool_wide
# without the engine; pool_e: 3x3 s2, its line buffer 3 x (2 PB + 1) banks)
for bits in 64 128; do
  pb=$((bits / 8))
  if [ $bits = 64 ]; then ty=uint64_t lane=v; else ty=chai_b128 lane='v.w[0]'; fi
  port=fm$bits
  # the beat read "const TY v = CHAI_MR(fmB, [a / PB + b]);" plus a byte read of fm
  byte="s/const $ty v = CHAI_MR($port, \\[a \\/ $pb + b\\]);/$ty v = CHAI_MR($port, [a \\/ $pb + b]); $lane += (uint8_t)CHAI_MR(fm, [a + $pb * b]);/"
  S=$(ls "$T"/lenet_mnist_w$bits.Xilinx8/proj/hls/*_seg0.c 2>/dev/null | head -1)
  if [ -n "$S" ]; then
    neg "a byte-wide fm read inside the $bits-bit line-buffer burst" hls_check.py \
      "s/^static void \\([A-Za-z0-9_]*_conv\\)($ty \\*$port, const $ty \\*wts$bits, int L)/static void \\1($ty *$port, const $ty *wts$bits, int L, const int8_t *fm)/; $byte" \
      "a byte-wide access in a $bits-bit burst loop"
    neg "$bits-bit line buffer without its $pb banks along the row" hls_ii.py \
      "/ARRAY_PARTITION variable=lb cyclic factor=$pb dim=2/d" "FAIL .*_conv_lx .*proven *$((pb / 2))"
    neg "$bits-bit drain reading ob beyond its banks" hls_ii.py \
      "/ARRAY_PARTITION variable=ob cyclic factor=$pb dim=2/d" "FAIL .*_conv_dx .*proven *$((pb / 2))"
  fi
  S=$(ls "$T"/pool_wide_pool$bits.Xilinx8/proj/hls/*_seg0.c 2>/dev/null | head -1)
  if [ -n "$S" ]; then
    neg "a byte-wide fm read inside pooling's $bits-bit row burst" hls_check.py \
      "/^static void Q_pool_e($ty \\*$port) {\$/,/^}\$/{s/^static void Q_pool_e($ty \\*$port)/static void Q_pool_e($ty *$port, const int8_t *fm)/; $byte}" \
      "a byte-wide access in a $bits-bit burst loop"
    neg "$bits-bit pooling's line buffer without its banks along the row" hls_ii.py \
      "/^static void Q_pool_e(/,/^}\$/{/ARRAY_PARTITION variable=lb cyclic factor=$((2 * pb + 1)) dim=2/d}" 'FAIL .*Q_pool_e_ox .*proven'
  fi
done
# negative case on whole-plane pooling (pool_wide, 128-bit): pl without its
# banks along the plane's rows puts a window's rows in one bank
S=$(ls "$T"/pool_wide_plane128.Xilinx8/proj/hls/*_seg0.c 2>/dev/null | head -1)
if [ -n "$S" ]; then
  neg "whole-plane pooling's pl without its row banks" hls_ii.py \
    '0,/ARRAY_PARTITION variable=pl cyclic factor=[0-9]* dim=1/{/ARRAY_PARTITION variable=pl cyclic factor=[0-9]* dim=1/d}' \
    'FAIL .*_ox .*proven'
fi
exit $fail
