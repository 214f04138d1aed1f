#!/usr/bin/env bash
# threads.sh BUILD_DIR - the generated program's worker pool (--threads,
# docs/codegen.md "Threads"): every program below is built once and run
# with --threads 1, 2, 3 and 7 (7: more threads than the units of its
# small layers); the output directories (every .npy and manifest.json)
# must be byte-identical.  Quantized programs must also stay
# bit-identical to `chaicc run`.  Nets: tests/nets/threads.prototxt
# (layers big enough to be split: padded, pointwise, depthwise, stride-2
# and grouped convolutions with partial channel blocks, Eltwise,
# InnerProduct, batch 2) in float, 8-bit Xilinx and 8-bit DynamicFixed;
# tests/nets/cg_conv and
# tests/kinds/rs_upsample (small: the serial path with a pool present);
# and, when ../shared/models exists, resnet20_cifar10 and
# ultraface_slim320 in float and 8 bits.  Also the option plumbing:
# `chaicc compile --threads N` is the program's default, the program's
# --threads overrides it, bad counts are usage errors.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib/quant.sh "${1:-build}"
S=${CHAI_SHARED:-../shared}

# same NAME PROTO WEIGHTS INPUT [8bit]: compile, build, run with 1, 2, 3
# and 7 threads, compare the outputs byte for byte (and with chaicc run
# for a quantized net).
same() {
  local name=$1 proto=$2 weights=$3 input=$4 q=${5:-} d=$T/$1 n
  ncase=$((ncase + 1))
  mkdir -p "$d"
  if ! "$CHAICC" compile "$proto" "$weights" -o "$d/proj" >"$d/compile.log" 2>&1 ||
     ! build_exe "$d/proj" "$d/exe" 2>"$d/build.log"; then
    echo "FAIL $name: compile or build"; tail -5 "$d/compile.log" "$d/build.log"; fail=1; return
  fi
  for n in 1 2 3 7; do
    if ! "$d/exe" "$input" -o "$d/out$n" --threads $n >"$d/run$n.log" 2>&1; then
      echo "FAIL $name: --threads $n"; tail -3 "$d/run$n.log"; fail=1; return
    fi
  done
  for n in 2 3 7; do
    if ! diff -r -q "$d/out1" "$d/out$n" >"$d/diff$n.log"; then
      echo "FAIL $name: --threads $n differs from --threads 1"; head -5 "$d/diff$n.log"; fail=1; return
    fi
  done
  if [ -n "$q" ]; then
    if ! "$CHAICC" run "$proto" "$weights" --input "$input" -o "$d/ref" >"$d/ref.log" 2>&1 ||
       ! "$CHAICC" compare "$d/ref" "$d/out2" --rtol 0 >"$d/cmp.log" 2>&1; then
      echo "FAIL $name: --threads 2 not bit-identical to chaicc run"; grep -v '^ok' "$d/cmp.log" | head -5
      fail=1; return
    fi
  fi
  echo "ok   $name: --threads 1 = 2 = 3 = 7 ($(ls "$d/out1" | wc -l) files)${q:+, = chaicc run}"
}

# quant NAME PROTO WEIGHTS INPUT MODE BITS: a CHai prototxt calibrated on
# INPUT, then `same`.
quant() {
  local d=$T/$1.q extra=""
  mkdir -p "$d/cal"
  cp "$4" "$d/cal/input.npy"
  [ "$5" = DynamicFixed ] && extra="--fl_bitwidths auto"
  # shellcheck disable=SC2086
  if ! "$CHAICC" quantize --deploy_model "$2" --weights "$3" --quantized_deploy_model "$d/q.prototxt" \
      --calibration_directory "$d/cal" --calibration_size 1 --quant_type "$5" --bitwidths "$6,$6,$6" \
      $extra >"$d/quant.log" 2>&1; then
    echo "FAIL $1: quantize"; tail -3 "$d/quant.log"; fail=1; return
  fi
  same "$1" "$d/q.prototxt" "$3" "$4" 8bit
}

for net in tests/nets/threads tests/nets/cg_conv tests/kinds/rs_upsample; do
  n=$(basename "$net")
  "$MKMODEL" "$net.prototxt" -o "$T/$n.caffemodel" --seed 3 >/dev/null || { echo "FAIL $n: mkmodel"; fail=1; continue; }
  shape=$("$CHAICC" info "$net.prototxt" | sed -n 's/^input  [^ ]* //p' | head -1)
  make_npy "$T/$n.npy" "$shape" 5
  same "$n" "$net.prototxt" "$T/$n.caffemodel" "$T/$n.npy"
  [ "$n" = rs_upsample ] && continue
  quant "$n.x8" "$net.prototxt" "$T/$n.caffemodel" "$T/$n.npy" Xilinx 8
done
quant threads.d8 tests/nets/threads.prototxt "$T/threads.caffemodel" "$T/threads.npy" DynamicFixed 8

# The float program's cut (docs/codegen.md "Threads"): conv_b, pointwise
# over 576 positions, in units of 96 (6 per image: 288 / 288 positions
# for two threads on one image, where units of 128 gave 384 / 192), and
# the Softmax's 288 positions in 5 units of 64 on the pool.
ncase=$((ncase + 1))
c=$T/threads/proj/threads.c
if ! grep -q 'const int P0 = b \* 96, P1 = P0 + 96 < 576' "$c"; then
  echo "FAIL threads: conv_b is not cut into units of 96 positions"; fail=1
elif ! grep -q 'rt_par_for(5, L_sm_down_part, &io, NULL);' "$c"; then
  echo "FAIL threads: sm_down is not split into 5 units on the pool"; fail=1
else
  echo "ok   threads: conv_b in units of 96 positions, sm_down in 5 units on the pool"
fi

if [ -d "$S/models" ]; then
  for m in resnet20_cifar10 ultraface_slim320; do
    M=$S/models/$m
    same "$m" "$M/deploy.prototxt" "$M/weights.caffemodel" "$M/ref/input.npy"
    quant "$m.x8" "$M/deploy.prototxt" "$M/weights.caffemodel" "$M/ref/input.npy" Xilinx 8
  done
else
  echo "SKIP: $S/models not found (set CHAI_SHARED): shared models not checked"
fi

# The option: compile-time default, run-time override, usage errors.
d=$T/threads
ncase=$((ncase + 1))
"$CHAICC" compile tests/nets/threads.prototxt "$T/threads.caffemodel" -o "$d/p3" --threads 3 >/dev/null 2>&1 &&
  build_exe "$d/p3" "$d/exe3" 2>/dev/null
if ! grep -q '^#define THREADS_THREADS 3$' "$d/p3/threads.h"; then
  echo "FAIL compile --threads 3 did not set THREADS_THREADS"; fail=1
elif ! "$d/exe3" "$T/threads.npy" --bench 1 | grep -q '^bench: 1 runs, 3 threads,'; then
  echo "FAIL the compiled default (3) is not the program's thread count"; fail=1
elif ! "$d/exe3" "$T/threads.npy" --bench 1 --threads 1 | grep -q '^bench: 1 runs, 1 thread,'; then
  echo "FAIL --threads 1 does not override the compiled default"; fail=1
else
  echo "ok   compile --threads 3: the default; the program's --threads overrides it"
fi
for bad in -1 x 257 ''; do
  ncase=$((ncase + 1))
  "$d/exe3" "$T/threads.npy" --threads "$bad" >/dev/null 2>&1
  rc=$?
  [ $rc = 2 ] || { echo "FAIL program --threads '$bad': exit $rc, want 2"; fail=1; }
  "$CHAICC" compile tests/nets/threads.prototxt "$T/threads.caffemodel" -o "$d/bad" --threads "$bad" >/dev/null 2>&1
  rc=$?
  [ $rc = 2 ] || { echo "FAIL chaicc compile --threads '$bad': exit $rc, want 2"; fail=1; }
done
[ $fail = 0 ] && echo "ok   bad --threads values are usage errors (exit 2)"

echo "$ncase cases"
[ $fail = 0 ] && echo PASS || echo FAIL
exit $fail
