#!/usr/bin/env bash
# vgg16_load.sh [BUILD_DIR] - loading a VGG-16-sized caffemodel (138 M
# parameters, 553 MB, random weights from chaicc-mkmodel): wall time and peak
# memory of the caffemodel reader alone (bench_load) and of `chaicc info`
# (parse + load + bind), against the file size.  With python3-opencv
# installed, OpenCV's readNetFromCaffe on the same file for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
T=${TMPDIR:-/tmp}/chaicc-vgg16
mkdir -p "$T"
W=$T/vgg16.caffemodel
if [ ! -f "$W" ]; then
  echo "writing $W ..."
  /usr/bin/env time -f "mkmodel: %e s, peak %M KB" "$B/chaicc-mkmodel" bench/vgg16.prototxt -o "$W" --seed 16 2>&1 ||
    "$B/chaicc-mkmodel" bench/vgg16.prototxt -o "$W" --seed 16
fi
ls -l "$W" | awk '{printf "file: %.1f MB\n", $5/1e6}'
for i in 1 2 3; do "$B/bench/bench_load" "$W"; done
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -f "chaicc info: %e s wall, peak RSS %M KB" "$B/chaicc" info bench/vgg16.prototxt "$W" >/dev/null
fi
if /usr/bin/python3 -c "import cv2" 2>/dev/null; then
  /usr/bin/python3 - "$W" <<'PY'
import resource, sys, time, cv2
t = time.time(); net = cv2.dnn.readNetFromCaffe("bench/vgg16.prototxt", sys.argv[1])
print("opencv %s readNetFromCaffe: %.2f s, peak RSS %d KB" % (cv2.__version__, time.time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
PY
fi
