#!/bin/bash
# plugin_compile.sh BUILD_DIR - plugin (custom_layers) layers in generated
# code: tests/nets/plugin_up.prototxt uses two plugin types declared in
# tests/plugins/plugins.yaml (abs.c: |x|; upsample2.c: nearest x2).
# `chaicc compile --config` copies the sources into OUTDIR/plugins/, the
# project builds and its output equals the hand-computed 0.5 * up2(|x|) + 1
# exactly.  Without --config the unknown types are located errors (golden
# tests/plugins/no_config.expected, exit 1).  Runs from the repository root.
set -u
B=$(cd "${1:-build}" && pwd)
CHAICC=$B/chaicc
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
NET=tests/nets/plugin_up.prototxt
# The net has no learned blobs: a caffemodel naming the net and one layer.
/usr/bin/python3 -c "
import sys
lay = b'\x0a\x03aff' + b'\x12\x05Power'
sys.stdout.buffer.write(b'\x0a\x09plugin_up' + b'\xa2\x06' + bytes([len(lay)]) + lay)" >"$T/w.caffemodel"
# input 1x2x2x3 = -6..5 and the expected output 1x2x4x6, by hand
/usr/bin/python3 - "$T" <<'PY'
import struct, sys
def npy(path, shape, vals):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        f.write(struct.pack("<%df" % len(vals), *vals))
x = [float(v) for v in range(-6, 6)]
y = [0.5 * abs(x[(c * 2 + h // 2) * 3 + w // 2]) + 1 for c in range(2) for h in range(4) for w in range(6)]
npy(sys.argv[1] + "/in.npy", (1, 2, 2, 3), x)
npy(sys.argv[1] + "/expected.npy", (1, 2, 4, 6), y)
PY

# 1. without the config: located errors, exit 1, nothing written
"$CHAICC" compile "$NET" "$T/w.caffemodel" -o "$T/none" >"$T/none.out" 2>"$T/none.err"
rc=$?
if [ $rc != 1 ] || ! diff -u tests/plugins/no_config.expected "$T/none.err" || [ -e "$T/none" ]; then
  echo "FAIL unknown plugin type without --config (rc $rc)"; fail=1
else
  echo "ok   unknown type without --config: located errors, exit 1"
fi

# 2. with the config: compile, build, run, compare bit for bit
if ! "$CHAICC" compile "$NET" "$T/w.caffemodel" -o "$T/proj" --config tests/plugins/plugins.yaml >"$T/c.log" 2>&1; then
  echo "FAIL compile --config"; cat "$T/c.log"; exit 1
fi
for f in plugins/abs.c plugins/upsample2.c; do
  cmp -s "$T/proj/$f" "tests/$f" || { echo "FAIL $f not copied into the project"; fail=1; }
done
grep -q "plugins/abs.c plugins/upsample2.c" "$T/proj/CMakeLists.txt" || { echo "FAIL plugin sources not in CMakeLists.txt"; fail=1; }
if ! (cmake -S "$T/proj" -B "$T/proj/build" >"$T/b.log" 2>&1 && make -C "$T/proj/build" >>"$T/b.log" 2>&1); then
  echo "FAIL build"; tail -20 "$T/b.log"; exit 1
fi
if ! "$T/proj/build/plugin_up" "$T/in.npy" -o "$T/out" >"$T/r.log" 2>&1; then
  echo "FAIL run"; cat "$T/r.log"; exit 1
fi
if cmp -s <(tail -c 192 "$T/out/aff.npy") <(tail -c 192 "$T/expected.npy"); then
  echo "ok   plugin net output equals the hand-computed one"
else
  echo "FAIL plugin net output differs from 0.5 * up2(|x|) + 1"; fail=1
fi

# 3. a declared plugin whose source is missing: error at the declaration
sed 's/source: abs.c/source: missing.c/' tests/plugins/plugins.yaml >tests/plugins/.missing.yaml.$$
"$CHAICC" compile "$NET" "$T/w.caffemodel" -o "$T/miss" --config tests/plugins/.missing.yaml.$$ 2>"$T/miss.err"
rc=$?
rm -f tests/plugins/.missing.yaml.$$
if [ $rc = 1 ] && grep -q "^tests/plugins/.missing.yaml.$$:3:3: error: cannot read the source of plugin 'MyAbs'" "$T/miss.err" && [ ! -e "$T/miss" ]; then
  echo "ok   missing plugin source: located error"
else
  echo "FAIL missing plugin source (rc $rc)"; cat "$T/miss.err"; fail=1
fi
# 4. a net whose one layer is a plugin (no intermediate blob): the project
#    builds with -Wall -Wextra -Werror (no unused activation arena)
cat >"$T/lone.prototxt" <<'NET'
name: "lone"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 2 dim: 3 } } }
layer { name: "abs" type: "MyAbs" bottom: "data" top: "abs" }
NET
if "$CHAICC" compile "$T/lone.prototxt" -o "$T/lone" --config tests/plugins/plugins.yaml >"$T/l.log" 2>&1 &&
   cmake -S "$T/lone" -B "$T/lone/build" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >>"$T/l.log" 2>&1 &&
   make -C "$T/lone/build" >>"$T/l.log" 2>&1 && "$T/lone/build/lone" "$T/in.npy" -o "$T/lo" >>"$T/l.log" 2>&1; then
  echo "ok   lone plugin layer: builds warning-free and runs"
else
  echo "FAIL lone plugin layer"; tail -20 "$T/l.log"; fail=1
fi
exit $fail
