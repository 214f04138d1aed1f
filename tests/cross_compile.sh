#!/bin/bash
# cross_compile.sh BUILD_DIR - the generated project cross-compiles for the
# Zynq CPUs with its toolchain files (cmake/aarch64-linux-gnu.cmake,
# Cortex-A53; cmake/arm-linux-gnueabihf.cmake, Cortex-A9 NEON), runs under
# qemu-user, and its outputs agree with the host build's (float: 1e-5
# relative, ARM builds use the NEON multiply-accumulate, so the last bits
# may differ; 8-bit programs: the same bytes, runtime/arm/ included).
# Installs nothing: skips with a message when the cross compilers, qemu
# or ../shared/models are missing (Debian: gcc-aarch64-linux-gnu
# gcc-arm-linux-gnueabihf qemu-user).  Runs from the repository root.
set -u
B=$(cd "${1:-build}" && pwd)
CHAICC=$B/chaicc
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=../shared/models
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc qemu-aarch64 qemu-arm; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found (apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user)"; exit 0; }
done
[ -d "$M" ] || { echo "skip: $M not found"; exit 0; }
fail=0
# cross NAME PROTOTXT WEIGHTS INPUT EXACT: compile, build for the host and
# both ARM targets, run, compare with the host's outputs (EXACT=1: the
# same bytes, for fixed-point programs; else 1e-5 relative).
cross() {
  local m=$1 proto=$2 weights=$3 input=$4 exact=$5 d=$T/$1
  if ! "$CHAICC" compile "$proto" "$weights" -o "$d/proj" >"$T/$m.log" 2>&1; then
    echo "FAIL $m: compile"; cat "$T/$m.log"; fail=1; return
  fi
  local exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$d/proj/CMakeLists.txt")
  for tgt in host aarch64-linux-gnu arm-linux-gnueabihf; do
    t0=$(date +%s.%N)
    tc=()
    [ "$tgt" = host ] || tc=(-DCMAKE_TOOLCHAIN_FILE=cmake/$tgt.cmake)
    if ! (cd "$d/proj" && cmake -S . -B "build-$tgt" "${tc[@]}" >"$T/$m-$tgt.log" 2>&1 &&
          make -C "build-$tgt" -j2 >>"$T/$m-$tgt.log" 2>&1); then
      echo "FAIL $m $tgt: build"; tail -20 "$T/$m-$tgt.log"; fail=1; continue
    fi
    run=()
    case $tgt in
      aarch64-linux-gnu) run=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
      arm-linux-gnueabihf) run=(qemu-arm -L /usr/arm-linux-gnueabihf) ;;
    esac
    if [ "$tgt" != host ] && grep -q "CHAI_IMAGE_INPUT:BOOL=ON" "$d/proj/build-$tgt/CMakeCache.txt"; then
      echo "FAIL $m $tgt: image input should be off when cross compiling"; fail=1
    fi
    if ! "${run[@]}" "$d/proj/build-$tgt/$exe" "$input" -o "$d/out-$tgt" >"$T/$m-$tgt.run" 2>&1; then
      echo "FAIL $m $tgt: run"; cat "$T/$m-$tgt.run"; fail=1; continue
    fi
    t1=$(date +%s.%N)
    if [ "$tgt" != host ]; then
      if [ "$exact" = 1 ]; then
        local f bad=0
        for f in "$d/out-host"/*.npy; do
          cmp -s "$f" "$d/out-$tgt/${f##*/}" || { echo "FAIL $m $tgt: ${f##*/} differs from the host build's"; bad=1; }
        done
        [ "$bad" = 0 ] || { fail=1; continue; }
      elif ! "$CHAICC" compare "$d/out-host" "$d/out-$tgt" --rtol 1e-5 >"$T/$m-$tgt.cmp" 2>&1; then
        echo "FAIL $m $tgt: outputs differ from the host build's"; cat "$T/$m-$tgt.cmp"; fail=1; continue
      fi
      file "$d/proj/build-$tgt/$exe" 2>/dev/null | grep -q "ARM\|aarch64" ||
        { command -v file >/dev/null && { echo "FAIL $m $tgt: not an ARM executable"; fail=1; continue; }; }
    fi
    printf 'ok   %-22s %-20s build+run %.1fs%s\n' "$m" "$tgt" "$(echo "$t1 - $t0" | bc)" \
      "$([ "$exact" = 1 ] && [ "$tgt" != host ] && echo ', bit-identical')"
  done
}

for m in lenet_mnist resnet20_cifar10; do
  cross "$m" "$M/$m/deploy.prototxt" "$M/$m/weights.caffemodel" "$M/$m/ref/input.npy" 0
done
# Fixed point (the runtime's portable rt_fx_* kernels on ARM, its SIMD ones
# on the host): 8-bit Xilinx-mode CHai prototxts calibrated on the model's
# own input; the programs must give the same bytes on every target
# (lenet_mnist: its float InnerProduct rows through arm/rt_ip_neon.c).
for m in resnet20_cifar10 ultraface_slim320 lenet_mnist; do
  mkdir -p "$T/calib-$m"
  ln -s "$(cd "$M/$m/ref" && pwd)/input.npy" "$T/calib-$m/input.npy"
  if ! "$CHAICC" quantize --deploy_model "$M/$m/deploy.prototxt" --weights "$M/$m/weights.caffemodel" \
      --quantized_deploy_model "$T/$m-q8.prototxt" --bitwidths 8,8,8 \
      --calibration_directory "$T/calib-$m" --calibration_size 1 >"$T/$m-quant.log" 2>&1; then
    echo "FAIL $m: quantize"; cat "$T/$m-quant.log"; fail=1; continue
  fi
  cross "$m-q8" "$T/$m-q8.prototxt" "$M/$m/weights.caffemodel" "$M/$m/ref/input.npy" 1
done
exit $fail
