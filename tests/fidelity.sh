#!/bin/bash
# fidelity.sh BUILD_DIR - the output fidelity report and constant tensors
# at the command line (the metrics themselves: tests/test_fidelity.c):
#   1. `chaicc compare` prints cosine and SQNR: a tensor against itself
#      (cosine 1.000000, SQNR inf) and against another one (cosine below 1,
#      exit 1);
#   2. shared yufacedetect_ssd (skipped when ../shared is absent),
#      quantized with 8-bit default flags (Xilinx, default calibration) on
#      its reference input: the CHai prototxt has no precision_param on the
#      priors' Concat, `run --compare-float` keeps exactly the float net's
#      detections (recall and precision 1 at IoU >= 0.9, score >= 0.5),
#      and the generated C computes no PriorBox (the priors are a constant
#      array).
# Runs from the repository root.
set -u
B=${1:-build}
CHAICC=$B/chaicc
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

python3 tests/npy_rand.py "$T/a.npy" 2x50 1 && python3 tests/npy_rand.py "$T/b.npy" 2x50 2
out=$("$CHAICC" compare "$T/a.npy" "$T/a.npy")
case $out in *"cosine 1.000000, SQNR inf dB, max |err| 0 "*) ok "compare: a tensor against itself" ;;
  *) bad "compare a a: '$out'" ;; esac
if out=$("$CHAICC" compare "$T/a.npy" "$T/b.npy"); then bad "compare a b: exit 0"; fi
case $out in "DIFF "*"; cosine "[-0]*", SQNR "*" dB, max |err| "*) ok "compare: two different tensors" ;;
  *) bad "compare a b: '$out'" ;; esac

m=../shared/models/yufacedetect_ssd
if [ ! -d "$m" ]; then
  echo "skip: $m not found (the SSD checks)"
  exit $fail
fi
mkdir "$T/cal" && cp "$m/ref/input.npy" "$T/cal/"
if ! "$CHAICC" quantize --deploy_model "$m/deploy.prototxt" --weights "$m/weights.caffemodel" \
    --quantized_deploy_model "$T/q.prototxt" --bitwidths 8,8,8 \
    --calibration_directory "$T/cal" >"$T/q.log" 2>&1; then
  bad "yufacedetect_ssd: quantize"; cat "$T/q.log"; exit 1
fi
if awk '/name: "mbox_priorbox"/{p=1} p&&/precision_param/{f=1} p&&/^}/{p=0} END{exit !f}' "$T/q.prototxt"; then
  bad "yufacedetect_ssd: the priors' Concat has a precision_param"
else
  ok "yufacedetect_ssd: no precision_param on the priors' Concat"
fi
"$CHAICC" run "$T/q.prototxt" "$m/weights.caffemodel" --input "$m/ref/input.npy" \
  --compare-float --iou 0.9 --min-score 0.5 >"$T/run.txt" 2>&1
if grep -q "detection_out .*boxes: recall 1.0000, precision 1.0000 (1 of 1 matched, 1 found" "$T/run.txt"; then
  ok "yufacedetect_ssd 8-bit: the float net's detections, exactly"
else
  bad "yufacedetect_ssd 8-bit detections"; grep -A3 "output fidelity" "$T/run.txt"
fi
if "$CHAICC" compile "$T/q.prototxt" "$m/weights.caffemodel" -o "$T/c" --target c >/dev/null 2>&1 &&
   ! grep -q "rt_priorbox_f32" "$T"/c/*.c && grep -q "W_const_" "$T"/c/*.c; then
  ok "yufacedetect_ssd: the generated C holds the priors as constants"
else
  bad "yufacedetect_ssd: generated C still computes PriorBox"
fi
exit $fail
