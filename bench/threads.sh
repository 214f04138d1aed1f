#!/usr/bin/env bash
# threads.sh BUILD_DIR [RUNS] [BENCH] - the worker pool's speed-up (a
# benchmark, not a test; docs/codegen.md "Threads"): builds resnet20_cifar10
# and ultraface_slim320 from ../shared/models (CHAI_SHARED) in float and
# 8 bits (Xilinx 8, calibrated on the model's ref/input.npy) with `chaicc
# compile` + cmake Release, then runs each program RUNS times (default 5)
# with `--bench BENCH` (default 500) for --threads 1 and --threads 2,
# alternating, and prints per program the best and the median of the runs'
# mean ms per inference, the speed-up of the medians and how long the
# busier of the 2 threads spent inside its chunks (the `busy` column).  The load average
# is printed before and after: wall clock means something only on an idle
# machine, and the cross-CPU line (bench/xcore.c) says what sharing data
# between the two CPUs costs at the time.  Skips (exit 0) when the shared
# models are absent.
set -uo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${1:-build}" && pwd) || exit 2
RUNS=${2:-5}
BENCH=${3:-500}
S=${CHAI_SHARED:-../shared}
CHAICC=$B/chaicc
if [ ! -d "$S/models/resnet20_cifar10" ] || [ ! -d "$S/models/ultraface_slim320" ]; then
  echo "SKIP: $S/models not found (set CHAI_SHARED): nothing to measure"
  exit 0
fi
[ -x "$CHAICC" ] || { echo "no $CHAICC (build first)"; exit 2; }
T=${CHAI_BENCH_DIR:-$(mktemp -d)}
[ -n "${CHAI_BENCH_DIR:-}" ] || trap 'rm -rf "$T"' EXIT
mkdir -p "$T"

# prog NAME PROTO WEIGHTS: compile and build $T/NAME/exe (cmake Release).
prog() {
  local d=$T/$1
  mkdir -p "$d"
  "$CHAICC" compile "$2" "$3" -o "$d/proj" >"$d/compile.log" 2>&1 &&
    cmake -S "$d/proj" -B "$d/build" -DCMAKE_BUILD_TYPE=Release >"$d/cmake.log" 2>&1 &&
    cmake --build "$d/build" -j 2 >"$d/make.log" 2>&1 || {
    echo "FAIL $1: compile or build (logs in $d)"; return 1; }
  local exe
  exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$d/proj/CMakeLists.txt")
  ln -sf "$d/build/$exe" "$d/exe"
}

# quant NAME PROTO WEIGHTS INPUT: 8-bit Xilinx prototxt calibrated on INPUT.
quant() {
  local d=$T/$1
  mkdir -p "$d/cal"
  cp "$4" "$d/cal/input.npy"
  "$CHAICC" quantize --deploy_model "$2" --weights "$3" --quantized_deploy_model "$d/q.prototxt" \
    --calibration_directory "$d/cal" --calibration_size 1 --quant_type Xilinx --bitwidths 8,8,8 \
    >"$d/quant.log" 2>&1 || { echo "FAIL $1: quantize (log $d/quant.log)"; return 1; }
  prog "$1" "$d/q.prototxt" "$3"
}

names=()
for m in resnet20_cifar10 ultraface_slim320; do
  M=$S/models/$m
  prog "$m" "$M/deploy.prototxt" "$M/weights.caffemodel" && names+=("$m")
  quant "$m.x8" "$M/deploy.prototxt" "$M/weights.caffemodel" "$M/ref/input.npy" && names+=("$m.x8")
done

# stat FILE: "best median" of the numbers in FILE
stat() { sort -g "$1" | awk '{v[NR] = $1} END {printf "%.3f %.3f", v[1], v[int((NR + 1) / 2)]}'; }

# what handing data between two CPUs costs now (bench/xcore.c): on a VM it
# changes over time (likely the vCPU placement) and bounds small layers' speed-up
if [ "$(nproc)" -ge 2 ] && cc -O2 -pthread -o "$T/xcore" bench/xcore.c 2>"$T/xcore.log"; then
  "$T/xcore"
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs of --bench $BENCH per cell, mean ms"
# busy: with 2 threads, the median over the runs of the busier thread's
# time inside its chunks (the program's "pool:" lines, rt_par_stats): about
# half the 1-thread time when both threads compute at full speed (the rest
# of the 2-thread time is waiting and the serial layers); near the 1-thread
# time when each thread's half of the work ran about twice as slowly
printf '%-22s %16s %16s %8s %8s\n' program "1 thr best/med" "2 thr best/med" speed-up "busy"
for n in "${names[@]}"; do
  m=${n%.x8}
  in=$S/models/$m/ref/input.npy
  : >"$T/$n.t1"; : >"$T/$n.t2"; : >"$T/$n.busy"
  for _ in $(seq "$RUNS"); do
    for t in 1 2; do
      "$T/$n/exe" "$in" --bench "$BENCH" --threads $t 2>/dev/null >"$T/$n.out"
      sed -n 's/^bench: .* \([0-9.]*\) ms per inference.*/\1/p' "$T/$n.out" >>"$T/$n.t$t"
      [ $t = 2 ] && awk '/^pool: / { v = $(NF - 5); if (v > m) m = v } END { if (m != "") print m }' \
        "$T/$n.out" >>"$T/$n.busy"
    done
  done
  read -r b1 m1 <<<"$(stat "$T/$n.t1")"
  read -r b2 m2 <<<"$(stat "$T/$n.t2")"
  read -r _ mb <<<"$(stat "$T/$n.busy")"
  printf '%-22s %7s / %6s %7s / %6s %7.2fx %8s\n' "$n" "$b1" "$m1" "$b2" "$m2" \
    "$(awk -v a="$m1" -v b="$m2" 'BEGIN {print (b > 0 ? a / b : 0)}')" "$mb"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
