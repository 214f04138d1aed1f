#!/usr/bin/env bash
# example.sh - sets up and builds chaicc, then runs its main job on the
# bundled example (examples/color: a hand-made dominant-colour classifier):
#   1. chaicc compile: the float net -> a standalone C project, built and run
#      on three images it draws (a red, a green and a blue one);
#   2. chaicc quantize with XportDNN's flags (Xilinx mode, 8 bits), then
#      chaicc compile --target all: the fixed-point executable, plus the
#      Vivado HLS project whose testbench is run here with gcc (C simulation).
# Each line printed names the colour the network sees: a person can check it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
C=build/chaicc
O=build/example
rm -rf "$O"
mkdir -p "$O/calib"
build/chaicc-mkmodel --from-text examples/color/weights.txt -o $O/colornet.caffemodel
for spec in 200,60,50:red 40,180,70:green 30,60,190:blue; do
  build/chaicc-mkppm "${spec%%:*}" "$O/calib/${spec##*:}.ppm"
done
label() { sed -n "$(( $1 + 1 ))p" examples/color/labels.txt; }
classify() { # PROGRAM: prints "image -> colour" for the three images
  for c in red green blue; do
    top=$("$1" "$O/calib/$c.ppm" --top 1 | sed -n 's/.*top-1: \([0-9]*\).*/\1/p')
    echo "  $c.ppm -> $(label "$top")"
  done
}

echo "== float: chaicc compile"
$C compile examples/color/deploy.prototxt $O/colornet.caffemodel -o $O/float --dims 3,32,32
cmake -S $O/float -B $O/float/build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build $O/float/build -j"$(nproc)" >/dev/null
classify $O/float/build/colornet

echo "== 8-bit: chaicc quantize (XportDNN flags) + chaicc compile --target all"
$C quantize --quant_type Xilinx --deploy_model examples/color/deploy.prototxt \
  --weights $O/colornet.caffemodel --quantized_deploy_model $O/colornet_q.prototxt \
  --bitwidths 8,8,8 --calibration_directory $O/calib --calibration_size 3 --dims 3,32,32
$C compile $O/colornet_q.prototxt $O/colornet.caffemodel -o $O/q8 --dims 3,32,32 --target all
cmake -S $O/q8 -B $O/q8/build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build $O/q8/build -j"$(nproc)" >/dev/null
classify $O/q8/build/colornet
echo "== HLS C simulation of the hardware segment (testbench, gcc)"
(cd $O/q8/hls && gcc -std=c99 -O2 -I. colornet_seg0.c tb_colornet_seg0.c -o tb && ./tb)
