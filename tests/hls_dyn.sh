#!/bin/bash
# hls_dyn.sh [BUILD_DIR] [NET...] - the dynamic confirmation of the static
# II proof (docs/hls.md "Dynamic II check").  For each net (8-bit Xilinx;
# by default the nets of tests/hls_ii.sh (with the dsp_packing ones) and
# cifar10_quick, or the shared
# models named) every segment's testbench is built twice with gcc
# -std=c99 -Wall -Wextra -Werror: plainly (it must PASS, bit-exact) and
# with -DCHAI_HLS_COUNT, where chai_fx.h's access macros count, per
# pipelined-loop iteration, the distinct words per bank of every on-chip
# array and the m_axi beats per port and direction.  That run must PASS too,
# and for every pipelined loop its per-iteration maxima must equal
# tests/hls_ii.py's static figures (--counts), and the II they give must
# equal the loop's pragma.  Negative cases: a wrong partition pragma (the
# static figure moves, the counted one does not) and a wrong partition
# descriptor (the counted figure moves), and a read that bypasses the
# macros, must all be rejected.  CHAI_DYN_KEEP=DIR keeps the counted
# (NET.SEG.dyn) and static (NET.SEG.st) tables.  A net named NET_engine
# is NET compiled with `target.engine: shared`, NET_engine64 with
# `port_bits: 64` too (the engine's and pooling's m_axi beats are 8
# bytes), NET_pool64 with `port_bits: 64` alone (pooling's beats, the
# convolutions per layer); NET_engine128 / NET_pool128 likewise with
# `port_bits: 128` (16-byte chai_b128 beats), NET_plane128 with the engine,
# `port_bits: 128` and `engine_plane_kb: 8` (docs/hls.md "Whole planes"),
# NET_plane64 the same with `port_bits: 64`; resnet20_cifar10_pipe is
# resnet20 cut into three pipelined segments (docs/hls.md "Pipelined
# frames").
# NET may also be a test net with random
# weights (chaicc-mkmodel --seed 1) and input: tests/kinds/NET.prototxt
# or tests/nets/NET.prototxt.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
shift || true
CHAICC=$B/chaicc
PY=python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
CC="gcc -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas -O1 -I."

# compare STATIC DYNAMIC: exit 0 when every pipelined loop's counts agree;
# prints "L loops, A figures" or the differences.
compare() {
  $PY - "$1" "$2" <<'PYEOF'
import sys
st, dy = {}, {}
for l in open(sys.argv[1]):
    f = l.split()
    if f[0] == 'loop':
        st[f[2]] = (int(f[4]), int(f[6]), {})
    else:
        st[f[1]][2][f[2]] = int(f[3])
lost = None
for l in open(sys.argv[2]):
    f = l.split()
    if not f:
        continue
    if f[0] == 'loop':
        dy[f[1]] = (int(f[3]), int(f[5]), {})
    elif f[0] == 'count':
        dy[f[1]][2][f[2]] = int(f[3])
    elif f[0] == 'lost':
        lost = int(f[1])
bad, n = [], 0
if lost != 0:
    bad.append('%s accesses outside a pipelined iteration or over the buffer' % lost)
for lab, (req, proven, keys) in st.items():
    if lab not in dy:
        bad.append('%s: never ran in the testbench' % lab)
        continue
    iters, ii, dkeys = dy[lab]
    for k in sorted(set(keys) | set(dkeys)):
        if keys.get(k) != dkeys.get(k):
            bad.append('%s %s: static %s, counted %s' % (lab, k, keys.get(k, '-'), dkeys.get(k, '-')))
        n += 1
    if not ii == req == proven:
        bad.append('%s: pragma II %d, proven %d, counted %d' % (lab, req, proven, ii))
for lab in dy:
    if lab not in st:
        bad.append('%s: counted, but not a pipelined loop of the static proof' % lab)
for b in bad[:8]:
    print('  ' + b)
if not bad:
    top = max(st, key=lambda l: (dy[l][1], l))
    print('%d loops (%d at II 1), %d figures equal, largest II %d (%s: %s)' % (
        len(st), sum(1 for l in st if dy[l][1] == 1), n, dy[top][1], top,
        ', '.join('%s %d' % kv for kv in sorted(dy[top][2].items()))))
sys.exit(1 if bad else 0)
PYEOF
}

# cycles STATIC DYNAMIC README SEG: the estimate's compute cycles equal the
# counted ones.  Counted: every pipelined loop of the segment, its
# iterations in the testbench run times its II; estimate: the compute
# cycles of the generated project's README.md table (chaicc's plan for
# this code, conversion steps included), per layer (function Q_<layer>,
# with its _cv<k> / _post steps) and per segment.  Prints "C cycles" or the
# differences.
cycles() {
  $PY - "$@" <<'PYEOF'
import re, sys
st, dy, readme, seg = sys.argv[1:5]
fn_of, cnt = {}, {}
for l in open(st):
    f = l.split()
    if f and f[0] == 'loop':
        fn_of[f[2]] = re.sub(r'_(cv[0-9]+|post)$', '', f[1])
for l in open(dy):
    f = l.split()
    if f and f[0] == 'loop':
        cnt[f[1]] = int(f[3]) * int(f[5])
per = {}
for lab, fn in fn_of.items():
    per[fn] = per.get(fn, 0) + cnt.get(lab, 0)
bad, est = [], {}
for l in open(readme):
    f = [c.strip() for c in l.strip().strip('|').split('|')]
    if len(f) >= 6 and f[0] == seg and f[4].isdigit():
        est['Q_' + re.sub(r'[^A-Za-z0-9_]', '_', f[1])] = int(f[4])
for fn, c in sorted(est.items()):
    if fn in per and per[fn] != c:
        bad.append('%s: estimate %d cycles, counted %d' % (fn, c, per[fn]))
n, tot = sum(per.values()), sum(est.values())
if not est:
    bad.append('no segment %s rows in %s' % (seg, readme))
elif tot != n:
    bad.append('segment %s: estimate %d compute cycles, counted %d' % (seg, tot, n))
for b in bad[:8]:
    print('  ' + b)
if not bad:
    print('%d cycles' % n)
sys.exit(1 if bad else 0)
PYEOF
}

# check DIR NAME: build and run every segment's testbench in DIR (an HLS
# project) plainly and counted, and compare the counts with the static ones.
check() {
  local d=$1 name=$2 seg base k tbs tot=""
  for seg in "$d"/*_seg*.c; do
    case $seg in */tb_*) continue ;; esac
    base=$(basename "$seg" .c)
    k=${base##*_seg}
    tbs="tb_${base%_seg*}_seg$k.c"
    if ! (cd "$d" && $CC "$base.c" "$tbs" -o tb_plain && ./tb_plain) >"$T/$name.$k.plain" 2>&1 ||
       ! grep -q '^PASS' "$T/$name.$k.plain"; then
      echo "FAIL $name seg$k: plain testbench"; tail -3 "$T/$name.$k.plain"; return 1
    fi
    if ! (cd "$d" && $CC -DCHAI_HLS_COUNT "$base.c" "$tbs" -o tb_count && ./tb_count) >"$T/$name.$k.dyn" 2>&1 ||
       ! grep -q '^PASS' "$T/$name.$k.dyn"; then
      echo "FAIL $name seg$k: counting testbench"; tail -3 "$T/$name.$k.dyn"; return 1
    fi
    $PY tests/hls_ii.py --counts "$T/$name.$k.st" "$seg" >/dev/null 2>&1
    [ -n "${CHAI_DYN_KEEP:-}" ] && mkdir -p "$CHAI_DYN_KEEP" &&
      cp "$T/$name.$k.dyn" "$T/$name.$k.st" "$CHAI_DYN_KEEP/"
    if ! out=$(compare "$T/$name.$k.st" "$T/$name.$k.dyn"); then
      echo "FAIL $name seg$k: counted figures differ from the static ones"; echo "$out"; return 1
    fi
    if [ -f "$d/README.md" ]; then
      if ! cyc=$(cycles "$T/$name.$k.st" "$T/$name.$k.dyn" "$d/README.md" "$k"); then
        echo "FAIL $name seg$k: the estimate's compute cycles differ from the counted ones"; echo "$cyc"; return 1
      fi
      out="$out, $cyc = the estimate"
    fi
    tot="$tot seg$k: $out;"
  done
  echo "ok   $name:$tot"
}

quant() { # NAME PROTO WEIGHTS INPUT -> $T/NAME.q.prototxt
  mkdir -p "$T/cal_$1" && cp "$4" "$T/cal_$1/input.npy"
  "$CHAICC" quantize --deploy_model "$2" --weights "$3" --quantized_deploy_model "$T/$1.q.prototxt" \
    --calibration_directory "$T/cal_$1" --calibration_size 1 --quant_type Xilinx --bitwidths 8,8,8 >"$T/$1.ql" 2>&1
}
# test net MODEL (tests/kinds or tests/nets): random weights and input
# ($T/MODEL.caffemodel, $T/MODEL.npy), quantized
tnet() {
  local p=tests/kinds/$1.prototxt shape
  [ -f "$p" ] || p=tests/nets/$1.prototxt
  shape=$("$CHAICC" info "$p" 2>/dev/null | sed -n 's/^input  [^ ]* //p' | head -n 1)
  [ -n "$shape" ] && "$B/chaicc-mkmodel" "$p" -o "$T/$1.caffemodel" --seed 1 >/dev/null 2>&1 &&
    python3 tests/npy_rand.py "$T/$1.npy" "$shape" 7 2 && quant "$1" "$p" "$T/$1.caffemodel" "$T/$1.npy"
}
net() { # NAME MODEL [CONFIG]: quantize, compile --target hls, check
  local name=$1 m=$2 cfg=${3:-} opt="" w=$M/$2/weights.caffemodel
  [ -n "$cfg" ] && opt="--config $cfg"
  if [ ! -d "$M/$m" ]; then
    w=$T/$m.caffemodel
    [ -f "$T/$m.q.prototxt" ] || tnet "$m" || { echo "FAIL $name: random weights or quantize"; fail=1; return; }
  fi
  [ -f "$T/$m.q.prototxt" ] || quant "$m" "$M/$m/deploy.prototxt" "$w" "$M/$m/ref/input.npy" ||
    { echo "FAIL $name: quantize"; fail=1; return; }
  # shellcheck disable=SC2086
  if ! "$CHAICC" compile "$T/$m.q.prototxt" "$w" -o "$T/$name" --target hls $opt \
      >"$T/$name.log" 2>&1; then
    echo "FAIL $name: compile"; tail -3 "$T/$name.log"; fail=1; return
  fi
  check "$T/$name/hls" "$name" || fail=1
}

M=../shared/models
if [ ! -d "$M" ]; then
  echo "skip: $M not found (shared models)"
  exit 0
fi
nets=${*:-lenet_mnist cifar10_quick resnet20_cifar10 yoloface50k_dw resnet20_axi resnet20_pack lenet_pack5}
printf 'target:\n  onchip_weight_limit_kb: 0\n  pragmas:\n    in_parallel: 4\n    out_parallel: 8\n' >"$T/axi.yaml"
printf 'target:\n  dsp_packing: true\n' >"$T/pack.yaml"
printf 'target:\n  engine: shared\n' >"$T/engine.yaml"
printf 'target:\n  engine: shared\n  port_bits: 64\n' >"$T/engine64.yaml"
printf 'target:\n  port_bits: 64\n' >"$T/pool64.yaml"
printf 'target:\n  engine: shared\n  port_bits: 128\n' >"$T/engine128.yaml"
printf 'target:\n  port_bits: 128\n' >"$T/pool128.yaml"
# whole planes for the layers whose planes fit 8 KiB (resnet20: its 16x16
# and 8x8 stages; lenet: conv2), rolling rows for the others
printf 'target:\n  engine: shared\n  port_bits: 128\n  engine_plane_kb: 8\n' >"$T/plane128.yaml"
printf 'target:\n  engine: shared\n  port_bits: 64\n  engine_plane_kb: 8\n' >"$T/plane64.yaml"
# resnet20 cut into three segments, each its own engine, pipelined over
# frames (docs/hls.md "Pipelined frames")
printf 'target:\n  engine: shared\n  port_bits: 128\n  schedule: pipelined\nlayers:\n  Convolution8: {segment_start: true}\n  Convolution14: {segment_start: true}\n' >"$T/pipe.yaml"
printf 'target:\n  dsp_packing: true\n  onchip_weight_limit_kb: 0\n  pragmas:\n    in_parallel: 4\n    out_parallel: 5\n' >"$T/pack5.yaml"
for n in $nets; do
  case $n in
    resnet20_axi) net "$n" resnet20_cifar10 "$T/axi.yaml" ;;
    resnet20_pack) net "$n" resnet20_cifar10 "$T/pack.yaml" ;;
    lenet_pack5) net "$n" lenet_mnist "$T/pack5.yaml" ;;
    resnet20_cifar10_pipe) net "$n" resnet20_cifar10 "$T/pipe.yaml" ;;
    *_engine) net "$n" "${n%_engine}" "$T/engine.yaml" ;; # the shared engine (docs/hls.md)
    *_engine64) net "$n" "${n%_engine64}" "$T/engine64.yaml" ;; # its 64-bit bursts
    *_pool64) net "$n" "${n%_pool64}" "$T/pool64.yaml" ;; # 64-bit pooling, per-layer convolutions
    *_engine128) net "$n" "${n%_engine128}" "$T/engine128.yaml" ;; # its 128-bit bursts
    *_pool128) net "$n" "${n%_pool128}" "$T/pool128.yaml" ;; # 128-bit pooling, per-layer convolutions
    *_plane128) net "$n" "${n%_plane128}" "$T/plane128.yaml" ;; # the engine's whole-plane bursts
    *_plane64) net "$n" "${n%_plane64}" "$T/plane64.yaml" ;; # the same in 64-bit beats
    *) net "$n" "$n" ;;
  esac
done

# negative cases, on a copy of lenet's project (compiled above or here)
[ -d "$T/lenet_mnist/hls" ] || net lenet_mnist lenet_mnist >/dev/null
neg() { # WHAT SED-EXPR: the mutated project must be rejected
  rm -rf "$T/neg" && cp -r "$T/lenet_mnist/hls" "$T/neg"
  sed -i "$2" "$T/neg"/*_seg0.c
  if cmp -s "$T/neg/LeNet_seg0.c" "$T/lenet_mnist/hls/LeNet_seg0.c"; then
    echo "FAIL negative ($1): the mutation did not apply"; fail=1
  elif out=$(check "$T/neg" neg); then
    echo "FAIL negative ($1): accepted"; echo "$out"; fail=1
  else
    echo "ok   negative ($1) rejected: $(echo "$out" | sed -n 2p | sed 's/^ *//')"
  fi
}
neg "acc partitioned cyclic 8 in the pragma only" \
  '0,/ARRAY_PARTITION variable=acc complete dim=2/s//ARRAY_PARTITION variable=acc cyclic factor=8 dim=2/'
neg "acc counted as cyclic 8" \
  '0,/CHAI_ARRAY2(acc, \([0-9]*\), CHAI_NONE, 0, 16, CHAI_COMPLETE, 0)/s//CHAI_ARRAY2(acc, \1, CHAI_NONE, 0, 16, CHAI_CYCLIC, 8)/'
neg "a pool line-buffer read bypassing the count" \
  '0,/CHAI_MR(x0, \[(p \* 24 + iy) \* 24 + x\])/s//x0[(p * 24 + iy) * 24 + x]/'
exit $fail
