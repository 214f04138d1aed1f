#!/usr/bin/env bash
# bench/fidelity.sh [BUILD_DIR] - how close every shared model's quantized
# outputs are to float at XportDNN's default flags with 8 bits: `chaicc
# quantize` (Xilinx mode, --bitwidths 8,8,8, the default calibration
# method, 4 calibration inputs made by bench/fidelity_inputs.py), then the
# float net and the CHai prototxt each run on the model's reference input
# (ref/input.npy) with `chaicc run -o`, and `chaicc compare FLOAT QUANT`
# gives each output's cosine, SQNR and max abs error, and for detection
# outputs the recall and precision of the quantized boxes against the
# float ones (same label, IoU >= 0.9, rows with score >= 0.5: the issue's
# "keeps exactly its float detections" rule).
# Environment: CHAI_SHARED (default ../shared), MODELS (default: every
# model in $CHAI_SHARED/models), QFLAGS (extra quantize flags, e.g.
# "--bitwidths 6,6,6"), RUN (a chaicc used for quantize and run instead of
# BUILD_DIR/chaicc, e.g. an older build; compare is always BUILD_DIR's).
# Needs /usr/bin/python3 with numpy and cv2 for the inputs.  Run from the
# repository root.  Prints a Markdown table on stdout, the commands on
# stderr.
set -euo pipefail
B=${1:-build}
S=${CHAI_SHARED:-../shared}
CC=$B/chaicc
RUNCC=${RUN:-$CC}
PY=/usr/bin/python3
if [ ! -d "$S/models" ]; then
  echo "SKIP: $S/models not found (set CHAI_SHARED)"
  exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() { echo "+ $*" >&2; "$@"; }
MODELS=${MODELS:-$(ls "$S/models")}

echo "| model | output | cosine | SQNR dB | max abs error | boxes (score >= 0.5, IoU >= 0.9) |"
echo "|---|---|---|---|---|---|"
for name in $MODELS; do
  m=$S/models/$name
  [ -f "$m/deploy.prototxt" ] || { echo "| $name | - | not found |"; continue; }
  run "$PY" bench/fidelity_inputs.py "$m" "$T/$name.cal" 4 >&2
  q=$T/$name.q.prototxt
  # shellcheck disable=SC2086
  if ! run "$RUNCC" quantize --deploy_model "$m/deploy.prototxt" --weights "$m/weights.caffemodel" \
      --quantized_deploy_model "$q" --bitwidths 8,8,8 --calibration_directory "$T/$name.cal" \
      --calibration_size 4 ${QFLAGS:-} >"$T/q.log" 2>&1; then
    echo "| $name | - | quantize failed: $(grep -m1 error "$T/q.log" || true) |"
    continue
  fi
  grep -h "calibration auto\|equalization\|bias correction" "$T/q.log" >&2 || true # what auto chose
  run "$RUNCC" run "$m/deploy.prototxt" "$m/weights.caffemodel" --input "$m/ref/input.npy" \
    -o "$T/$name.f" >/dev/null 2>&1
  w=$m/weights.caffemodel # --equalize / --bias_correction write their own
  [ -f "$T/$name.q.caffemodel" ] && w=$T/$name.q.caffemodel
  run "$RUNCC" run "$q" "$w" --input "$m/ref/input.npy" \
    -o "$T/$name.x" >/dev/null 2>&1
  run "$CC" compare "$T/$name.f" "$T/$name.x" --iou 0.9 --min-score 0.5 >"$T/c.txt" || true
  while read -r _ path rest; do
    o=$(basename "${path%:}" .npy)
    case $rest in
      *"boxes as a set"*)
        echo "| $name | $o | - | - | - | $(sed 's/.*boxes: recall/recall/; s/; same label.*//' <<<"$rest")) |" ;;
      *)
        echo "| $name | $o | $(sed 's/.*cosine \([^,]*\),.*/\1/' <<<"$rest") |" \
             "$(sed 's/.*SQNR \([^ ]*\) dB.*/\1/' <<<"$rest") |" \
             "$(sed 's/^max |diff| \([^ ]*\) .*/\1/' <<<"$rest") | - |" ;;
    esac
  done <"$T/c.txt"
done
