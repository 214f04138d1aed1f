#!/usr/bin/env bash
# vgg16_compile.sh [BUILD_DIR] [--run] - a VGG-16-sized net (138 M
# parameters, random weights from chaicc-mkmodel; see vgg16_load.sh):
# wall time and peak memory of `chaicc compile` (targets: < 10 s), and the
# generated project's configure + build time (target: < 60 s; the 553 MB of
# weights go to vgg16_weights.bin, linked with .incbin).  With --run, also
# one inference (--bench 1) of the generated program on a random input.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build RUN=0
for a in "$@"; do case "$a" in --run) RUN=1 ;; *) B=$a ;; esac; done
T=${TMPDIR:-/tmp}/chaicc-vgg16
mkdir -p "$T"
W=$T/vgg16.caffemodel
[ -f "$W" ] || "$B/chaicc-mkmodel" bench/vgg16.prototxt -o "$W" --seed 16
rm -rf "$T/proj"
/usr/bin/time -f "chaicc compile: %e s wall, %U s user, peak RSS %M KB" \
  "$B/chaicc" compile bench/vgg16.prototxt "$W" -o "$T/proj"
du -sh "$T/proj" | awk '{print "project: " $1}'
ls -l "$T/proj"/*.c "$T/proj"/*.bin | awk '{printf "  %-40s %10.1f MB\n", $NF, $5/1e6}'
t0=$(date +%s.%N)
cmake -S "$T/proj" -B "$T/proj/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
t1=$(date +%s.%N)
make -C "$T/proj/build" -j"$(nproc)" >/dev/null
t2=$(date +%s.%N)
printf 'cmake configure: %.1f s, build (make -j%d): %.1f s\n' "$(echo "$t1 - $t0" | bc)" "$(nproc)" "$(echo "$t2 - $t1" | bc)"
ls -l "$T/proj/build" | awk '$NF ~ /^VGG|vgg/ {printf "executable: %.1f MB\n", $5/1e6}'
if [ "$RUN" = 1 ]; then
  /usr/bin/python3 - "$T/in.npy" <<'PY'
import struct, sys
n = 3 * 224 * 224
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }"
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
x, v = 1, []
for i in range(n):
    x = (1103515245 * x + 12345) % 2147483648
    v.append(x / 2147483648.0 * 2 - 1)
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%df" % n, *v))
PY
  exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$T/proj/CMakeLists.txt")
  "$T/proj/build/$exe" "$T/in.npy" --bench 1 | head -1
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
