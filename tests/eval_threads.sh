#!/usr/bin/env bash
# tests/eval_threads.sh BUILD_DIR - `chaicc eval` gives the same result for
# any thread count, in float and with the fixed-point simulator (lenet_mnist
# quantized on 8 MNIST images); skipped without ../shared.
set -euo pipefail
B=${1:-build}
S=${CHAI_SHARED:-../shared}
if [ ! -d "$S/models/lenet_mnist" ]; then
  echo "SKIP: $S not found (set CHAI_SHARED)"
  exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
D=$S/models/lenet_mnist/deploy.prototxt
W=$S/models/lenet_mnist/weights.caffemodel
MN="mnist:$S/data/mnist/t10k-images-idx3-ubyte.gz,$S/data/mnist/t10k-labels-idx1-ubyte.gz"
"$B/chaicc" eval "$D" "$W" --dataset "$MN" --limit 8 --threads 1 --save-inputs "$T/cal" >/dev/null 2>&1
ls "$T/cal/00007.npy" >/dev/null
"$B/chaicc" quantize --deploy_model "$D" --weights "$W" --quantized_deploy_model "$T/q.prototxt" \
  --bitwidths 8,8,8 --calibration_directory "$T/cal" --calibration_size 8 --dims 1,28,28 >/dev/null 2>&1
for net in "$D" "$T/q.prototxt"; do
  a=$("$B/chaicc" eval "$net" "$W" --dataset "$MN" --limit 300 --threads 1 2>/dev/null)
  b=$("$B/chaicc" eval "$net" "$W" --dataset "$MN" --limit 300 --threads 3 2>/dev/null)
  echo "$net: 1 thread: $a; 3 threads: $b"
  [ "$a" = "$b" ] || { echo "FAIL: results differ"; exit 1; }
  case "$a" in top1=*"(2"*"/300)") ;; *) echo "FAIL: unexpected '$a'"; exit 1 ;; esac
done
# --float on the quantized prototxt is the float net
f=$("$B/chaicc" eval "$T/q.prototxt" "$W" --dataset "$MN" --limit 300 --float 2>/dev/null)
g=$("$B/chaicc" eval "$D" "$W" --dataset "$MN" --limit 300 2>/dev/null)
[ "$f" = "$g" ] || { echo "FAIL: --float '$f' vs float '$g'"; exit 1; }
# run: --dump-raw writes int8 codes for 8-bit layers and a manifest
"$B/chaicc" run "$T/q.prototxt" "$W" --input "$T/cal/00000.npy" --dump-raw "$T/raw" --compare-float >"$T/cmp.txt"
grep -q "conv1 .*Convolution" "$T/cmp.txt"
head -c 80 "$T/raw/conv1.npy" | grep -q "'|i1'"
grep -q '"dtype": "|i1"' "$T/raw/manifest.json"
echo "PASS"
