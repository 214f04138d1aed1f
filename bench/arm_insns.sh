#!/bin/bash
# arm_insns.sh [BUILD_DIR] [MODEL...] - executed instructions of the
# generated programs on the Zynq CPUs, counted under qemu-user with the
# project's TCG plugin (bench/insn_count.c), in MACs per executed
# instruction.  A benchmark, not a test (not in ctest).
#
# For each model of ../shared/models (default: resnet20_cifar10
# cifar10_quick ultraface_slim320) it compiles the float net and the
# 8-bit one (chaicc quantize with its defaults, Xilinx mode, bit widths
# 8,8,8, calibrated on the model's ref/input.npy), builds both with the
# project's toolchain files (cmake/aarch64-linux-gnu.cmake,
# cmake/arm-linux-gnueabihf.cmake; Release) and runs them under qemu:
#   aarch64  qemu-aarch64 -cpu cortex-a53 (Zynq UltraScale+, no SDOT)
#   a64+dot  qemu-aarch64 -cpu max, 8-bit only (has SDOT: the runtime's
#            dot-product path, as on Cortex-A55 and later)
#   armhf    qemu-arm -cpu cortex-a9 (Zynq-7000)
# Instructions per inference = (count at --bench 11 - count at --bench 1)
# / 10, which removes loading and the first run.  MACs are chaicc info's.
# With ARM_INSNS_LAYERS=1 in the environment it also prints the per-layer split of
# the --bench 11 run (ARM_INSNS_TARGETS and ARM_INSNS_MODES narrow the
# rows, e.g. "aarch64 armhf" and "8-bit"): the plugin records the counter at each
# clock_gettime the program makes around a layer (its --bench profile),
# so each layer gets its own instructions per inference.
# The programs run with --threads ${ARM_INSNS_THREADS:-1}: with more, the
# count adds the worker pool's spinning (rt_par.c), which is not work and
# varies from run to run.
#
# Needs aarch64-linux-gnu-gcc, arm-linux-gnueabihf-gcc, qemu-aarch64,
# qemu-arm and a host gcc; skips with a message when one is missing or
# ../shared/models is absent.  Runs from the repository root.
set -u
B=$(cd "${1:-build}" && pwd)
shift || true
CHAICC=$B/chaicc
M=../shared/models
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(resnet20_cifar10 cifar10_quick ultraface_slim320)
for tool in gcc aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc qemu-aarch64 qemu-arm cmake; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found"; exit 0; }
done
[ -d "$M" ] || { echo "skip: $M not found"; exit 0; }
[ -x "$CHAICC" ] || { echo "arm_insns: $CHAICC not built"; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PLUGIN=$T/insn_count.so
gcc -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -o "$PLUGIN" bench/insn_count.c ||
  { echo "arm_insns: cannot build the plugin"; exit 2; }

# count TARGET CPU EXE INPUT N OUT: runs EXE --bench N under the plugin;
# OUT.cnt gets the plugin's file, OUT.txt the program's output.
count() {
  local tgt=$1 cpu=$2 exe=$3 input=$4 n=$5 out=$6 q mark
  case $tgt in
    aarch64|a64*) q=(qemu-aarch64 -L /usr/aarch64-linux-gnu) mark=113 ;; # clock_gettime
    *) q=(qemu-arm -L /usr/arm-linux-gnueabihf) mark=403 ;;          # clock_gettime64
  esac
  "${q[@]}" -cpu "$cpu" -plugin "$PLUGIN,out=$out.cnt,mark=$mark" "$exe" "$input" --bench "$n" \
    --threads "${ARM_INSNS_THREADS:-1}" \
    >"$out.txt" 2>&1
}

# layers OUT1 OUT11: the per-layer split (instructions per inference of
# each layer of the --bench 11 run, from its marks), or a note when the
# marks do not have the expected pattern: 2L for the first run, 1, then
# per run 1 + 2L + 1, then 1.
layers() {
  awk -v macs="$T/macs.txt" '
    FNR == 1 { f++ }
    f == 1 { split($0, a, " "); mac[a[1]] = a[2]; next }
    f == 2 && /^  / { name[L++] = $1; next }
    f == 3 && $1 == "mark" { m[n++] = $2 }
    END {
      N = 11
      if (L == 0 || n != 2 * L + 1 + N * (2 * L + 2) + 1) {
        printf "    (no per-layer split: %d clock marks for %d layers)\n", n, L; exit
      }
      for (r = 1; r < N; r++) { # runs 2..11
        b = 2 * L + 1 + r * (2 * L + 2) + 1
        for (l = 0; l < L; l++) c[l] += m[b + 2 * l + 1] - m[b + 2 * l]
      }
      for (l = 0; l < L; l++) {
        per = c[l] / (N - 1)
        if (per < 1000) continue
        k = name[l]; mp = ((k in mac) && per > 0) ? sprintf("%6.2f", mac[k] / per) : "     -"
        printf "    %-28s %12.0f instr  %12s MACs  %s MACs/instr\n", k, per, (k in mac) ? mac[k] : "-", mp
      }
    }' "$T/macs.txt" "$1.txt" "$2.cnt"
}

printf '%-20s %-6s %-8s %12s %14s %10s\n' model mode target MACs instr/inference MACs/instr
for m in "${MODELS[@]}"; do
  d=$M/$m
  [ -f "$d/deploy.prototxt" ] || { echo "skip $m: $d not found"; continue; }
  "$CHAICC" info "$d/deploy.prototxt" "$d/weights.caffemodel" >"$T/$m.info" 2>&1 ||
    { echo "FAIL $m: info"; continue; }
  macs=$(sed -n 's/^total: .* \([0-9][0-9]*\) MACs$/\1/p' "$T/$m.info")
  # per-layer MACs by layer name (the name is the first column; the MACs the last)
  awk 'NR > 1 && $NF ~ /^[0-9]+$/ { print $1, $NF }' "$T/$m.info" >"$T/macs.txt"
  mkdir -p "$T/calib-$m"
  ln -sf "$(cd "$d/ref" && pwd)/input.npy" "$T/calib-$m/input.npy"
  if ! "$CHAICC" quantize --deploy_model "$d/deploy.prototxt" --weights "$d/weights.caffemodel" \
      --quantized_deploy_model "$T/$m-q8.prototxt" --bitwidths 8,8,8 \
      --calibration_directory "$T/calib-$m" --calibration_size 1 >"$T/$m-quant.log" 2>&1; then
    echo "FAIL $m: quantize"; cat "$T/$m-quant.log"; continue
  fi
  for mode in ${ARM_INSNS_MODES:-float 8-bit}; do
    proto=$d/deploy.prototxt
    [ "$mode" = 8-bit ] && proto=$T/$m-q8.prototxt
    p=$T/$m-$mode
    if ! "$CHAICC" compile "$proto" "$d/weights.caffemodel" --target c -o "$p" >"$p.log" 2>&1; then
      echo "FAIL $m $mode: compile"; cat "$p.log"; continue
    fi
    exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$p/CMakeLists.txt")
    for tgt in ${ARM_INSNS_TARGETS:-aarch64 a64+dot armhf}; do
      case $tgt in
        aarch64) tc=aarch64-linux-gnu cpu=cortex-a53 ;;
        a64+dot) tc=aarch64-linux-gnu cpu=max; [ "$mode" = 8-bit ] || continue ;;
        armhf) tc=arm-linux-gnueabihf cpu=cortex-a9 ;;
      esac
      bd=$p/build-$tc
      if [ ! -x "$bd/$exe" ] && ! (cd "$p" && cmake -S . -B "build-$tc" -DCMAKE_TOOLCHAIN_FILE=cmake/$tc.cmake \
            >"$p-$tc.log" 2>&1 && make -C "build-$tc" -j2 >>"$p-$tc.log" 2>&1); then
        echo "FAIL $m $mode $tgt: build"; tail -20 "$p-$tc.log"; continue
      fi
      o1=$p-$tgt-1 o11=$p-$tgt-11
      if ! count "$tgt" "$cpu" "$bd/$exe" "$d/ref/input.npy" 1 "$o1" ||
         ! count "$tgt" "$cpu" "$bd/$exe" "$d/ref/input.npy" 11 "$o11"; then
        echo "FAIL $m $mode $tgt: run"; cat "$o1.txt" "$o11.txt" | tail -20; continue
      fi
      c1=$(sed -n 's/^insns //p' "$o1.cnt") c11=$(sed -n 's/^insns //p' "$o11.cnt")
      awk -v m="$m" -v mode="$mode" -v t="$tgt" -v macs="$macs" -v a="$c1" -v b="$c11" 'BEGIN {
        per = (b - a) / 10
        printf "%-20s %-6s %-8s %12d %14.0f %10.2f\n", m, mode, t, macs, per, (per > 0 ? macs / per : 0) }'
      if [ "${ARM_INSNS_LAYERS:-0}" = 1 ]; then layers "$o1" "$o11"; fi
    done
  done
done
