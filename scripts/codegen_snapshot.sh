#!/usr/bin/env bash
# codegen_snapshot.sh BUILD_DIR OUT_DIR - records everything chaicc computes
# and generates, so that two builds can be compared byte for byte with
# `diff -r` (scripts/codegen_compare.sh does both and the diff).
#
# For every model in ../shared/models (its ref/input.npy as input), and for
# random nets from tests/gen_net.py (seeds 1..CHAI_SNAP_SEEDS, default 4;
# CHAI_SNAP_MODELS=GLOB limits the shared models, e.g. 'lenet*'):
#   - `chaicc info` (plain, --passes, --hls) and `chaicc run -o` in float;
#   - `chaicc compile` in float: the generated network code, and the outputs
#     of the built program on the input;
#   - for Xilinx 8/6 and DynamicFixed 8/6 (the three largest detectors: the
#     8-bit modes only, as tests/test_compile_quant.sh does): the quantized
#     prototxt, `chaicc run -o`, `compile --target c` and `--target all`
#     (network code and the hls/ folder), and the outputs of both built
#     programs.
# Generated projects are kept without runtime/, CMakeLists.txt and cmake/:
# the runtime copy and build files may change without changing behaviour.
# Every command runs in OUT_DIR with relative output paths, so provenance
# headers (which quote the command line) do not depend on OUT_DIR.
# Programs are built with the first project's own CMake build for the
# runtime objects (whatever flags it uses per file), then each network is
# compiled and linked against those objects.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:?usage: codegen_snapshot.sh BUILD_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: codegen_snapshot.sh BUILD_DIR OUT_DIR}
SHARED=$ROOT/../shared/models
[ -d "$SHARED" ] && SHARED=$(cd "$SHARED" && pwd)
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
SCR=$(mktemp -d); trap 'rm -rf "$SCR"' EXIT
CHAICC=$B/chaicc

# rtobjs PROJ: the runtime objects, built once per snapshot with PROJ's CMake.
rtobjs() {
  if [ ! -f "$SCR/rt.list" ]; then
    cmake -S "$1" -B "$SCR/rtb" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$SCR/rtb" -j2 >/dev/null
    find "$SCR/rtb" -path '*/runtime/*' -name '*.o' | sort >"$SCR/rt.list"
  fi
  cat "$SCR/rt.list"
}

# prog PROJ EXE: build a generated project's program against the runtime objects.
prog() {
  local P=$1 exe defs srcs
  exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$P/CMakeLists.txt")
  defs=$(sed -n 's/^target_compile_definitions([^ ]* PRIVATE \(.*\))/\1/p' "$P/CMakeLists.txt" | head -1 | sed 's/\([^ ]*\)/-D\1/g')
  srcs="$P/main.c $P/$exe.c"
  [ -f "$P/${exe}_weights.S" ] && srcs="$srcs $P/${exe}_weights.S"
  # shellcheck disable=SC2086,SC2046
  gcc -O2 -w -std=c11 -ffp-contract=off $defs -DCHAI_IMAGE_INPUT=1 -Wa,-I"$P" -I"$P" -I"$P/runtime" \
    $srcs $(rtobjs "$P") -ljpeg -lpng -lz -lm -lpthread -o "$2"
}

# strip PROJ: drop the runtime copy and build files from a kept project.
strip_proj() { rm -rf "$1/runtime" "$1/CMakeLists.txt" "$1/cmake"; }

# model NAME PROTO WEIGHTS INPUT MODES
model() {
  local name=$1 proto=$2 weights=$3 input=$4 modes=$5 d mb mode bw extra
  d=$OUT/$name; mkdir -p "$d"; cd "$d"
  cp "$input" input.npy
  for o in "" --passes --hls; do
    "$CHAICC" info "$proto" "$weights" $o >"info$o.txt" 2>&1 || echo "exit $?" >>"info$o.txt"
  done
  "$CHAICC" run "$proto" "$weights" --input input.npy -o run_f32 >run_f32.log 2>&1 || echo "exit $?" >>run_f32.log
  if "$CHAICC" compile "$proto" "$weights" -o c_f32 >c_f32.log 2>&1; then
    prog c_f32 "$SCR/$name.f32" && "$SCR/$name.f32" input.npy -o c_f32.out >/dev/null 2>&1 || echo "program failed" >>c_f32.log
    strip_proj c_f32
  else echo "exit $?" >>c_f32.log; fi
  for mb in $modes; do
    mode=${mb%:*}; bw=${mb#*:}; extra=""
    [ "$mode" = DynamicFixed ] && extra="--fl_bitwidths auto"
    local q=$mode$bw
    mkdir -p "$q/cal"; cp input.npy "$q/cal/input.npy"
    # shellcheck disable=SC2086
    if ! "$CHAICC" quantize --deploy_model "$proto" --weights "$weights" --quantized_deploy_model "$q/q.prototxt" \
        --calibration_directory "$q/cal" --calibration_size 1 --quant_type "$mode" --bitwidths "$bw,$bw,$bw" $extra \
        >"$q/quant.log" 2>&1; then echo "exit $?" >>"$q/quant.log"; continue; fi
    "$CHAICC" run "$q/q.prototxt" "$weights" --input input.npy -o "$q/run" >"$q/run.log" 2>&1 || echo "exit $?" >>"$q/run.log"
    "$CHAICC" info "$q/q.prototxt" "$weights" --hls >"$q/info_hls.txt" 2>&1 || echo "exit $?" >>"$q/info_hls.txt"
    for t in c all; do
      local tb=""
      [ $t = all ] && tb="--tb-input input.npy"
      # shellcheck disable=SC2086
      if "$CHAICC" compile "$q/q.prototxt" "$weights" -o "$q/$t" --target $t $tb >"$q/$t.log" 2>&1; then
        prog "$q/$t" "$SCR/$name.$q.$t" && "$SCR/$name.$q.$t" input.npy -o "$q/$t.out" >/dev/null 2>&1 ||
          echo "program failed" >>"$q/$t.log"
        strip_proj "$q/$t"
      else echo "exit $?" >>"$q/$t.log"; fi
    done
    rm -rf "$q/cal"
  done
  cd "$OUT"
}

if [ -d "$SHARED" ]; then
  for m in "$SHARED"/${CHAI_SNAP_MODELS:-*}/; do
    m=${m%/}; n=$(basename "$m")
    modes="Xilinx:8 Xilinx:6 DynamicFixed:8 DynamicFixed:6"
    case $n in
      retinaface_mnet25_deconv|ultraface_slim320|yufacedetect_ssd) modes="Xilinx:8 DynamicFixed:8" ;;
    esac
    echo "snapshot: $n"
    model "$n" "$m/deploy.prototxt" "$m/weights.caffemodel" "$m/ref/input.npy" "$modes"
  done
else
  echo "skip: ../shared/models not found (shared models not recorded)"
fi
for s in $(seq 1 "${CHAI_SNAP_SEEDS:-4}"); do
  mkdir -p "$OUT/rnd$s"
  python3 "$ROOT/tests/gen_net.py" "$s" -o "$OUT/rnd$s/net.prototxt"
  "$B/chaicc-mkmodel" "$OUT/rnd$s/net.prototxt" -o "$OUT/rnd$s/net.caffemodel" --seed "$s" >/dev/null
  shape=$("$CHAICC" info "$OUT/rnd$s/net.prototxt" | sed -n 's/^input  [^ ]* //p' | head -1)
  python3 "$ROOT/tests/npy_rand.py" "$OUT/rnd$s/in.npy" "$shape" "$s"
  echo "snapshot: rnd$s"
  model "rnd$s" net.prototxt net.caffemodel in.npy \
    "Xilinx:$((s % 2 ? 8 : 6)) DynamicFixed:$((s % 2 ? 8 : 6))"
done
echo "snapshot: $(find "$OUT" -type f | wc -l) files in $OUT"
