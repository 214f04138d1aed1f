#!/bin/bash
# arm_kernels.sh [BUILD_DIR] - the runtime's fixed-point kernels on the
# Zynq CPUs: tests/arm_kernels.c (rt_fx_conv through the NEON GEMM and the
# other paths, rt_fx_ip, rt_fx_eltwise SUM, each against a direct int64
# reference, bit for bit, on random layers) cross-compiled with the
# runtime sources for AArch64 (-mcpu=cortex-a53) and ARMv7 NEON
# (-mcpu=cortex-a9 -mfpu=neon), run under qemu-user, and built for the
# host too.  Skips with a message when a cross compiler or qemu is
# missing (Debian: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
# qemu-user).  BUILD_DIR is unused (the sources are compiled here).
# Runs from the repository root.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc qemu-aarch64 qemu-arm; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found (apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user)"; exit 0; }
done
SRC=$(ls runtime/*.c runtime/arm/*.c runtime/x86/*.c | grep -v -E '/rt_(image|idx)\.c$')
CASES=${ARM_KERNELS_CASES:-500}
fail=0
# target NAME CC FLAGS RUNNER...: builds the test with CC FLAGS, runs it.
target() {
  local name=$1 cc=$2 flags=$3
  shift 3
  # shellcheck disable=SC2086
  if ! $cc -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE $flags -Iruntime tests/arm_kernels.c \
      $SRC -lm -o "$T/$name" >"$T/$name.log" 2>&1; then
    echo "FAIL $name: build"; cat "$T/$name.log"; fail=1; return
  fi
  if "$@" "$T/$name" "$CASES" >"$T/$name.out" 2>&1; then
    echo "ok   $name: $(tail -1 "$T/$name.out")"
  else
    echo "FAIL $name:"; cat "$T/$name.out"; fail=1
  fi
}
target aarch64 aarch64-linux-gnu-gcc "-mcpu=cortex-a53" qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu cortex-a53
target armv7 arm-linux-gnueabihf-gcc "-mcpu=cortex-a9 -mfpu=neon -mfloat-abi=hard" \
  qemu-arm -L /usr/arm-linux-gnueabihf -cpu cortex-a9
target host "${CC:-gcc}" ""
exit $fail
