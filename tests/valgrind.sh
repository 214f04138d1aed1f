#!/usr/bin/env bash
# valgrind.sh BUILD_DIR - runs chaicc under valgrind (memcheck, full leak
# check) on shared models: `run` with the reference input on models that
# cover every layer family (V1 files, LRN, SSD, residual, deconvolution,
# PReLU/Slice/Concat), `run` on a PNG with the image preprocessing and a
# binaryproto mean, the graph passes, and `info` with weights on every
# model.  Any memcheck error or definite/indirect leak fails the test.
# Skips (exit 0 with a message) when valgrind is missing, when ../shared is
# absent, and for a sanitizer build (ASan and valgrind do not mix).
set -u
B=${1:-build}
C=$B/chaicc
S=../shared
command -v valgrind >/dev/null || { echo "SKIP: valgrind not found (apt-get install valgrind)"; exit 0; }
[ -d "$S/models" ] || { echo "SKIP: $S/models not found"; exit 0; }
if grep -q '^CHAI_SANITIZE:BOOL=ON' "$B/CMakeCache.txt" 2>/dev/null ||
   nm -u "$C" 2>/dev/null | grep -q __asan_; then
  echo "SKIP: $B is a sanitizer build"; exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$C" "$T/chaicc" && C=$T/chaicc # immune to a concurrent rebuild
pass=0 fail=0
vg() { # NAME CMD...
  local name=$1; shift
  if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect "$@" > "$T/out" 2> "$T/err"; then
    pass=$((pass + 1))
  else
    echo "FAIL $name: exit $?"; head -n 30 "$T/err"; fail=$((fail + 1))
  fi
}
for m in lenet_mnist lenet_mnist_v1 cifar10_full_v1 resnet20_cifar10 yufacedetect_ssd \
         retinaface_mnet25_deconv mtcnn_det4 ultraface_slim320; do
  M=$S/models/$m
  [ -f "$M/ref/input.npy" ] || continue
  vg "run $m" "$C" run "$M/deploy.prototxt" "$M/weights.caffemodel" --input "$M/ref/input.npy" -o "$T/o-$m"
done
M=$S/models/cifar10_quick
if [ -f "$S/data/cifar10/cat10.png" ]; then
  vg "run cifar10_quick on a PNG" "$C" run "$M/deploy.prototxt" "$M/weights.caffemodel" \
    --input "$S/data/cifar10/cat10.png" --dims 3,32,32 --channel_swap 0,1,2 --raw_scale 255 \
    --mean_file "$S/data/cifar10/mean.binaryproto" -o "$T/o-png"
fi
M=$S/models/resnet20_cifar10
vg "run --passes resnet20" "$C" run "$M/deploy.prototxt" "$M/weights.caffemodel" \
  --input "$M/ref/input.npy" --passes -o "$T/o-passes"
for M in "$S"/models/*/; do
  vg "info $(basename "$M")" "$C" info "$M/deploy.prototxt" "$M/weights.caffemodel"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
