#!/bin/bash
# cross_compile.sh BUILD_DIR - the generated project cross-compiles for the
# Zynq CPUs with its toolchain files (cmake/aarch64-linux-gnu.cmake,
# Cortex-A53; cmake/arm-linux-gnueabihf.cmake, Cortex-A9 NEON), runs under
# qemu-user, and its outputs agree with the host build's (1e-5 relative;
# the projects compile with -ffp-contract=off, so no FMA contraction).
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
for m in lenet_mnist resnet20_cifar10; do
  d=$T/$m
  if ! "$CHAICC" compile "$M/$m/deploy.prototxt" "$M/$m/weights.caffemodel" -o "$d/proj" >"$T/$m.log" 2>&1; then
    echo "FAIL $m: compile"; cat "$T/$m.log"; fail=1; continue
  fi
  exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$d/proj/CMakeLists.txt")
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
    if ! "${run[@]}" "$d/proj/build-$tgt/$exe" "$M/$m/ref/input.npy" -o "$d/out-$tgt" >"$T/$m-$tgt.run" 2>&1; then
      echo "FAIL $m $tgt: run"; cat "$T/$m-$tgt.run"; fail=1; continue
    fi
    t1=$(date +%s.%N)
    if [ "$tgt" != host ]; then
      if ! "$CHAICC" compare "$d/out-host" "$d/out-$tgt" --rtol 1e-5 >"$T/$m-$tgt.cmp" 2>&1; then
        echo "FAIL $m $tgt: outputs differ from the host build's"; cat "$T/$m-$tgt.cmp"; fail=1; continue
      fi
      file "$d/proj/build-$tgt/$exe" 2>/dev/null | grep -q "ARM\|aarch64" ||
        { command -v file >/dev/null && { echo "FAIL $m $tgt: not an ARM executable"; fail=1; continue; }; }
    fi
    printf 'ok   %-18s %-20s build+run %.1fs\n' "$m" "$tgt" "$(echo "$t1 - $t0" | bc)"
  done
done
exit $fail
