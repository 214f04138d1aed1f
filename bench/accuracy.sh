#!/usr/bin/env bash
# bench/accuracy.sh [BUILD_DIR] - reproduces the quantization accuracy table
# of docs/accuracy.md: float, Xilinx 8 and 6 bit, DynamicFixed auto 8 bit,
# for lenet_mnist (calibrated on the first 32 MNIST test images) and
# resnet20_cifar10 (calibrated on ../shared/data/cifar10/calib), each with
# `chaicc quantize` (default calibration method) then `chaicc eval`.
# Environment: CHAI_SHARED (default ../shared), THREADS (default 2),
# LIMIT (evaluate only the first N items), MODELS ("lenet resnet20";
# also "cifar10_quick cifar10_full_v1", the other CIFAR-10 nets, checked so
# calibration choices are not fitted to resnet20).
# Run from the repository root.  Prints a Markdown table on stdout and every
# command on stderr.
set -euo pipefail
B=${1:-build}
S=${CHAI_SHARED:-../shared}
THREADS=${THREADS:-2}
MODELS=${MODELS:-"lenet resnet20"}
CC=$B/chaicc
if [ ! -d "$S/models" ]; then
  echo "SKIP: $S not found (set CHAI_SHARED)"
  exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LIM=()
[ -n "${LIMIT:-}" ] && LIM=(--limit "$LIMIT")

run() { echo "+ $*" >&2; "$@"; }

# eval MODEL_ROW DEPLOY WEIGHTS DATASET [prep flags...]: one table row
evalrow() {
  local label=$1 deploy=$2 weights=$3 ds=$4
  shift 4
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(run "$CC" eval "$deploy" "$weights" --dataset "$ds" --threads "$THREADS" "${LIM[@]}" "$@")
  t1=$(date +%s.%N)
  printf '| %s | %s | %.1f s |\n' "$label" "${out#top1=}" "$(awk "BEGIN{print $t1 - $t0}")"
}

# quantize + eval for the three fixed-point configurations
qrows() {
  local name=$1 deploy=$2 weights=$3 ds=$4 calib=$5 csize=$6
  shift 6
  local extra=("$@") cfg
  for cfg in "Xilinx 8,8,8" "Xilinx 6,6,6" "DynamicFixed 8,8,8 auto"; do
    set -- $cfg
    local qt=$1 bw=$2 fl=${3:-}
    set -- "${extra[@]}"
    local q="$T/$name-$qt-${bw%%,*}.prototxt"
    local flf=()
    [ -n "$fl" ] && flf=(--fl_bitwidths "$fl")
    run "$CC" quantize --quant_type "$qt" --deploy_model "$deploy" --weights "$weights" \
      --quantized_deploy_model "$q" --bitwidths "$bw" "${flf[@]}" \
      --calibration_directory "$calib" --calibration_size "$csize" "$@" >&2
    evalrow "$name | $qt ${bw%%,*}-bit${fl:+ fl $fl}" "$q" "$weights" "$ds" "$@"
  done
}

echo "| model | mode | top-1 | time ($THREADS threads) |"
echo "|---|---|---|---|"
M=$S/models
if [[ " $MODELS " == *" lenet "* ]]; then
  MN="mnist:$S/data/mnist/t10k-images-idx3-ubyte.gz,$S/data/mnist/t10k-labels-idx1-ubyte.gz"
  D=$M/lenet_mnist/deploy.prototxt W=$M/lenet_mnist/weights.caffemodel
  # the 32 calibration tensors: the first 32 test images, pixel * 1/256
  run "$CC" eval "$D" "$W" --dataset "$MN" --limit 32 --threads 1 --save-inputs "$T/mnist32" >/dev/null
  evalrow "lenet_mnist | float" "$D" "$W" "$MN"
  qrows lenet_mnist "$D" "$W" "$MN" "$T/mnist32" 32 --dims 1,28,28
fi
CF="list:$S/data/cifar10/test/labels.txt"
PP=(--dims 3,32,32 --channel_swap 0,1,2 --raw_scale 255 --mean_file "$S/data/cifar10/mean.binaryproto")
for name in resnet20_cifar10 cifar10_quick cifar10_full_v1; do
  [[ " $MODELS " == *" ${name%_cifar10} "* || " $MODELS " == *" $name "* ]] || continue
  D=$M/$name/deploy.prototxt W=$M/$name/weights.caffemodel
  evalrow "$name | float" "$D" "$W" "$CF" "${PP[@]}"
  qrows "$name" "$D" "$W" "$CF" "$S/data/cifar10/calib" 100 "${PP[@]}"
done
