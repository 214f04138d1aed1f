#!/usr/bin/env bash
# vs_opencv.sh [BUILD_DIR] [--native] [--runs N] [--models "a b c"] - time per
# inference of chaicc's generated C executables against OpenCV dnn (one
# thread) on the shared models, in one run, with the ratio chaicc / OpenCV.
#
# For each model: `chaicc compile`, build the project with -O3 (Release; with
# --native also -march=native), run `./<net> ref/input.npy --bench N
# --threads 1` (one thread, as OpenCV here; one
# warm-up inference, then N) and bench/vs_opencv.py (readNetFromCaffe,
# setNumThreads(1), one warm-up, N forwards) on the same input.
# 8 bits: `chaicc quantize --bitwidths 8,8,8` calibrated on ref/input.npy,
# then two executables from the CHai prototxt: `--target c` (all software:
# the runtime's rt_fx_* kernels; column 8-bit) and `--target all` (the
# program calls the HLS C of the hardware segments, C simulation; column
# hls-sim).  Both are bit-identical to `chaicc run` (tests/test_compile_quant.sh).
# Needs python3-opencv (installed with apt-get when missing and root).
set -uo pipefail
cd "$(dirname "$0")/.."
B=build NATIVE=0 RUNS=50
MODELS="lenet_mnist cifar10_quick resnet20_cifar10 ultraface_slim320 yufacedetect_ssd"
while [ $# -gt 0 ]; do
  case "$1" in
  --native) NATIVE=1 ;;
  --runs) RUNS=$2; shift ;;
  --models) MODELS=$2; shift ;;
  -*) echo "usage: $0 [BUILD_DIR] [--native] [--runs N] [--models LIST]" >&2; exit 2 ;;
  *) B=$1 ;;
  esac
  shift
done
B=$(cd "$B" && pwd)
M=../shared/models
[ -d "$M" ] || { echo "skip: $M not found"; exit 0; }
if ! /usr/bin/python3 -c "import cv2" 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq --no-install-recommends python3-opencv >/dev/null
  else
    echo "skip: python3-opencv missing (apt-get install python3-opencv)"; exit 0
  fi
fi
T=${TMPDIR:-/tmp}/chaicc-vs-opencv
mkdir -p "$T"
FLAGS="-O3"
[ "$NATIVE" = 1 ] && FLAGS="-O3 -march=native"

# build_bench NAME PROTO WEIGHTS INPUT [8bit [TARGET]] -> prints ms per
# inference or "-"
build_bench() {
  local d=$T/$1
  rm -rf "$d/proj"
  "$B/chaicc" compile "$2" "$3" -o "$d/proj" --target "${6:-c}" >"$d/compile.log" 2>&1 || { echo "- (compile failed)"; return; }
  cmake -S "$d/proj" -B "$d/proj/build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="$FLAGS" >"$d/build.log" 2>&1 &&
    make -C "$d/proj/build" -j2 >>"$d/build.log" 2>&1 || { echo "- (build failed)"; return; }
  local exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$d/proj/CMakeLists.txt")
  if [ -n "${5:-}" ] && ! grep -qE 'int(8|16)_t' "$d/proj"/*.c; then
    echo "- (chaicc compile emits float code for this CHai prototxt)"; return
  fi
  "$d/proj/build/$exe" "$4" --bench "$RUNS" --threads 1 >"$d/bench.log" 2>&1 || { echo "- (run failed)"; return; }
  sed -n 's/^bench: .*(min \([0-9.]*\), median \([0-9.]*\))/\1 \2/p' "$d/bench.log"
}

printf '%-18s %16s %16s %7s %7s %10s %7s %10s %7s\n' model "chaicc min/med" "opencv min/med" "r(min)" "r(med)" \
  "8-bit min" "r(min)" "hls-sim" "r(min)"
for m in $MODELS; do
  md=$M/$m
  [ -d "$md" ] || { echo "$m: missing"; continue; }
  mkdir -p "$T/$m"
  ocvp=$md/deploy.prototxt
  [ -f "$md/opencv_deploy.prototxt" ] && ocvp=$md/opencv_deploy.prototxt
  f=$(build_bench "$m" "$md/deploy.prototxt" "$md/weights.caffemodel" "$md/ref/input.npy")
  o=$(/usr/bin/python3 bench/vs_opencv.py "$ocvp" "$md/weights.caffemodel" "$md/ref/input.npy" "$RUNS" |
      sed -n 's/.*(min \([0-9.]*\), median \([0-9.]*\))/\1 \2/p')
  # 8-bit: a CHai prototxt from chaicc quantize, compiled like the float one
  q="-" h="-"
  mkdir -p "$T/$m/q" "$T/$m/h" "$T/$m/calib"
  ln -sf "$(pwd)/$md/ref/input.npy" "$T/$m/calib/input.npy"
  if "$B/chaicc" quantize --deploy_model "$md/deploy.prototxt" --weights "$md/weights.caffemodel" \
      --quantized_deploy_model "$T/$m/q/q.prototxt" --bitwidths 8,8,8 \
      --calibration_directory "$T/$m/calib" --calibration_size 1 >"$T/$m/q/quant.log" 2>&1; then
    q=$(build_bench "$m/q" "$T/$m/q/q.prototxt" "$md/weights.caffemodel" "$md/ref/input.npy" 8bit c)
    h=$(build_bench "$m/h" "$T/$m/q/q.prototxt" "$md/weights.caffemodel" "$md/ref/input.npy" 8bit all)
  else
    q="- (quantize failed)"
  fi
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2fx", a / b; else print "-" }'; }
  fm=${f%% *} om=${o%% *} qm=${q%% *} hm=${h%% *}
  printf '%-18s %16s %16s %7s %7s %10s %7s %10s %7s\n' "$m" "${f/ //}" "${o/ //}" "$(ratio "$fm" "$om")" \
    "$(ratio "${f##* }" "${o##* }")" "$qm" "$(ratio "$qm" "$om")" "$hm" "$(ratio "$hm" "$om")"
  [ "${q#- }" != "$q" ] && echo "    8-bit: ${q#- } (logs in $T/$m/q)"
  [ "${h#- }" != "$h" ] && echo "    hls-sim: ${h#- } (logs in $T/$m/h)"
done
echo "flags: $FLAGS, $RUNS runs after one warm-up, one thread, ms per inference; ratio = chaicc / opencv"
echo "$(gcc --version | head -1); $(lscpu | sed -n 's/^Model name: *//p'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
