#!/usr/bin/env bash
# blob_encodings.sh BUILD_DIR - every BlobProto encoding the Caffe forks
# write loads to the same weights: for two nets (convolutions; BatchNorm,
# Scale, PReLU, InnerProduct), chaicc-mkmodel writes the same random weights
# as data (float), double_data, raw_data FLOAT and raw_data DOUBLE, and
# `chaicc run` gives bit-identical outputs from each.  For fp16, the writer
# first rounds every value to the nearest fp16 (--fp16-values, ties to
# even), so `--encoding float --fp16-values` and `--encoding raw-fp16` hold
# the same values: their outputs must be identical too (and differ from the
# unrounded ones, so the rounding really happened).  Runs from the root.
set -u
B=${1:-build}
C=$B/chaicc
M=$B/chaicc-mkmodel
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
for net in cg_conv cg_misc; do
  P=tests/nets/$net.prototxt
  shape=$(sed -n 's/.*shape { dim: \([0-9]*\) dim: \([0-9]*\) dim: \([0-9]*\) dim: \([0-9]*\) }.*/\1x\2x\3x\4/p' "$P" | head -1)
  python3 tests/npy_rand.py "$T/in.npy" "$shape" 7
  for enc in float double raw-float raw-double raw-fp16 float16ref; do
    if [ $enc = float16ref ]; then opt=(--encoding float --fp16-values); else opt=(--encoding $enc); fi
    if ! $M "$P" -o "$T/$enc.caffemodel" --seed 5 "${opt[@]}" 2>"$T/err"; then
      echo "FAIL $net: mkmodel ${opt[*]}"; cat "$T/err"; fail=1; continue
    fi
    if ! $C run "$P" "$T/$enc.caffemodel" --input "$T/in.npy" -o "$T/$net.$enc" >/dev/null 2>"$T/err"; then
      echo "FAIL $net: run with ${opt[*]}"; cat "$T/err"; fail=1
    fi
  done
  if ! ls "$T/$net.float"/*.npy >/dev/null 2>&1; then
    echo "FAIL $net: run wrote no outputs"; fail=1
  fi
  for enc in double raw-float raw-double; do
    if diff -r "$T/$net.float" "$T/$net.$enc" >/dev/null; then
      echo "ok   $net: $enc outputs identical to float"
    else
      echo "FAIL $net: $enc outputs differ from float"; fail=1
    fi
  done
  if diff -r "$T/$net.float16ref" "$T/$net.raw-fp16" >/dev/null; then
    echo "ok   $net: raw-fp16 outputs identical to fp16-rounded float"
  else
    echo "FAIL $net: raw-fp16 outputs differ from fp16-rounded float"; fail=1
  fi
  if diff -r "$T/$net.float" "$T/$net.raw-fp16" >/dev/null; then
    echo "FAIL $net: raw-fp16 outputs equal the unrounded ones (no rounding?)"; fail=1
  fi
  # An independent fp16 decoder: OpenCV reads raw_data FLOAT16 itself; its
  # outputs from raw-fp16 must equal its outputs from the rounded floats.
  if /usr/bin/python3 -c "import cv2" 2>/dev/null; then
    for enc in raw-fp16 float16ref; do
      mkdir -p "$T/cv.$enc"
      /usr/bin/python3 - "$P" "$T/$enc.caffemodel" "$T/in.npy" "$T/cv.$enc" <<'PY'
import sys, cv2, numpy as np
net = cv2.dnn.readNetFromCaffe(sys.argv[1], sys.argv[2])
net.setInput(np.load(sys.argv[3]))
names = net.getUnconnectedOutLayersNames()
for n, o in zip(names, net.forward(names)):
    np.save(sys.argv[4] + "/" + n + ".npy", o)
PY
    done
    if ls "$T/cv.raw-fp16"/*.npy >/dev/null 2>&1 && diff -r "$T/cv.raw-fp16" "$T/cv.float16ref" >/dev/null; then
      echo "ok   $net: OpenCV decodes raw-fp16 to the same values"
    else
      echo "FAIL $net: OpenCV outputs differ between raw-fp16 and fp16-rounded float"; fail=1
    fi
  fi
  sz_f=$(stat -c %s "$T/float.caffemodel"); sz_h=$(stat -c %s "$T/raw-fp16.caffemodel")
  echo "     $net: caffemodel bytes float $sz_f, raw-fp16 $sz_h"
done
exit $fail
