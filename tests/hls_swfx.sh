#!/bin/bash
# hls_swfx.sh [BUILD_DIR] - the generated <net>_swfx.c (fixed-point layers
# placed in software; the host's .c #includes it) also compiles on its own
# with -Wall -Wextra -Werror: no unused static function (issue 12: Q_relu1
# of cifar10_quick at Xilinx 8 and 6 bits).
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
CHAICC=$B/chaicc
M=../shared/models/cifar10_quick
[ -d "$M" ] || { echo "skip: $M not found"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
mkdir -p "$T/cal" && cp "$M/ref/input.npy" "$T/cal/"
for bw in 8 6; do
  if ! "$CHAICC" quantize --deploy_model "$M/deploy.prototxt" --weights "$M/weights.caffemodel" \
      --quantized_deploy_model "$T/q$bw.prototxt" --calibration_directory "$T/cal" --calibration_size 1 \
      --quant_type Xilinx --bitwidths "$bw,$bw,$bw" >"$T/log" 2>&1 ||
     ! "$CHAICC" compile "$T/q$bw.prototxt" "$M/weights.caffemodel" -o "$T/p$bw" --target all >>"$T/log" 2>&1; then
    echo "FAIL cifar10_quick Xilinx $bw: quantize/compile"; tail -3 "$T/log"; fail=1; continue
  fi
  f=$(ls "$T/p$bw/hls/"*_swfx.c 2>/dev/null)
  if [ -z "$f" ]; then echo "FAIL cifar10_quick Xilinx $bw: no _swfx.c (the case this test is about)"; fail=1; continue; fi
  if (cd "$T/p$bw/hls" && gcc -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas -I. -c "$(basename "$f")" -o "$T/sw.o") >"$T/cc" 2>&1; then
    echo "ok   cifar10_quick Xilinx $bw: $(basename "$f") compiles alone with -Wall -Wextra -Werror ($(grep -c '^void ' "$f") functions)"
  else
    echo "FAIL cifar10_quick Xilinx $bw: $(basename "$f") standalone"; head -5 "$T/cc"; fail=1
  fi
done
exit $fail
