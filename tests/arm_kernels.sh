#!/bin/bash
# arm_kernels.sh [BUILD_DIR] - the runtime's fixed-point kernels on the
# Zynq CPUs: tests/arm_kernels.c (rt_fx_conv through the NEON GEMM and the
# other paths, rt_fx_ip, rt_fx_eltwise SUM, each against a direct int64
# reference, bit for bit, on random layers) cross-compiled with the
# runtime sources for AArch64 (-mcpu=cortex-a53) and ARMv7 NEON
# (-mcpu=cortex-a9 -mfpu=neon), run under qemu-user, and built for the
# host too; on ARM it also checks the float tile (arm/rt_conv_neon.c) and
# InnerProduct block (arm/rt_ip_neon.c),
# on AArch64 once more built with -DCHAI_STRICT_FP.  Skips with a message when a cross compiler or qemu is
# missing (Debian: gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
# qemu-user).  The sources are compiled here; BUILD_DIR only says whether
# this is the sanitizer pass (CHAI_SANITIZE=ON in its CMakeCache.txt).
# That pass builds and runs only the host program, with
# -fsanitize=address,undefined: the cross builds take no sanitizer, so
# their runs would repeat the normal pass's exactly.
# Runs from the repository root.
set -u
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SRC=$(ls runtime/*.c runtime/arm/*.c runtime/x86/*.c | grep -v -E '/rt_(image|idx)\.c$')
CASES=${ARM_KERNELS_CASES:-400}
fail=0
# build NAME CC FLAGS: the test program for one target.
build() {
  # shellcheck disable=SC2086
  $2 -std=c11 -O2 -Wall -Wextra -Werror -D_DEFAULT_SOURCE $3 -Iruntime tests/arm_kernels.c $SRC -lm \
    -o "$T/$1" >"$T/$1.log" 2>&1 || { echo "FAIL $1: build"; cat "$T/$1.log"; fail=1; return 1; }
}
# run LABEL RUNNER...: runs it.
run() {
  local label=$1
  shift
  if "$@" "$CASES" >"$T/out" 2>&1; then
    echo "ok   $label: $(tail -1 "$T/out")"
  else
    echo "FAIL $label:"; cat "$T/out"; fail=1
  fi
}
if grep -q '^CHAI_SANITIZE:BOOL=ON' "$B/CMakeCache.txt" 2>/dev/null; then
  echo "sanitizer pass: the host program only, with ASan and UBSan (the qemu runs are the normal pass's)"
  build host-san "${CC:-gcc}" "-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all" &&
    run "host, ASan+UBSan" "$T/host-san"
  exit $fail
fi
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc qemu-aarch64 qemu-arm; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found (apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user)"; exit 0; }
done
Q64=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
if build aarch64 aarch64-linux-gnu-gcc "-mcpu=cortex-a53"; then
  # Cortex-A53 has no SDOT (the SMLAL tiles); qemu's "max" CPU has it,
  # and CHAI_NO_SDOT=1 turns it off again
  run "aarch64 cortex-a53" "${Q64[@]}" -cpu cortex-a53 "$T/aarch64"
  run "aarch64 max (SDOT)" "${Q64[@]}" -cpu max "$T/aarch64"
  run "aarch64 max, CHAI_NO_SDOT=1" env CHAI_NO_SDOT=1 "${Q64[@]}" -cpu max "$T/aarch64"
fi
# CHAI_STRICT_FP: the float tile without FMA (rounded product, then sum)
if build aarch64-strict aarch64-linux-gnu-gcc "-mcpu=cortex-a53 -DCHAI_STRICT_FP -ffp-contract=off"; then
  run "aarch64 cortex-a53, CHAI_STRICT_FP" "${Q64[@]}" -cpu cortex-a53 "$T/aarch64-strict"
fi
if build armv7 arm-linux-gnueabihf-gcc "-mcpu=cortex-a9 -mfpu=neon -mfloat-abi=hard"; then
  run "armv7 cortex-a9" qemu-arm -L /usr/arm-linux-gnueabihf -cpu cortex-a9 "$T/armv7"
fi
build host "${CC:-gcc}" "" && run host "$T/host"
exit $fail
