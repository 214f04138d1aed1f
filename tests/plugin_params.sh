#!/bin/bash
# plugin_params.sh BUILD_DIR - a plugin layer's parameter block is handed to
# the plugin: tests/nets/plugin_param.prototxt has `affine_param { scale: 3
# shift: -1.5 }` (unknown to chaicc's schema) on a plugin declared with
# `params: true` (tests/plugins/params.yaml); `chaicc compile --config`
# passes the block's text as the function's 5th argument, and the built
# program's output equals max(3 * x - 1.5, 0) exactly.  Runs from the repository root.
set -u
B=$(cd "${1:-build}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
NET=tests/nets/plugin_param.prototxt
python3 tests/npy_rand.py "$T/in.npy" 1x2x2x3 5
if ! "$B/chaicc" compile "$NET" -o "$T/proj" --config tests/plugins/params.yaml >"$T/c.log" 2>&1; then
  echo "FAIL compile --config (no WEIGHTS: the net has no learned blobs)"; cat "$T/c.log"; exit 1
fi
grep -n "affine_param" "$T/proj"/*.c | head -3
if ! (cmake -S "$T/proj" -B "$T/proj/build" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$T/b.log" 2>&1 &&
      make -C "$T/proj/build" >>"$T/b.log" 2>&1); then
  echo "FAIL build"; tail -20 "$T/b.log"; exit 1
fi
if ! "$T/proj/build/plugin_param" "$T/in.npy" -o "$T/out" >"$T/r.log" 2>&1; then
  echo "FAIL run"; cat "$T/r.log"; exit 1
fi
/usr/bin/python3 - "$T/in.npy" "$T/out/relu.npy" <<'PY'
import sys, struct
def load(p):
    b = open(p, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    d = b[10 + hl:]
    return struct.unpack("<%df" % (len(d) // 4), d)
x, y = load(sys.argv[1]), load(sys.argv[2])
want = [struct.unpack("<f", struct.pack("<f", 3.0 * v))[0] - 1.5 for v in x]
want = [max(struct.unpack("<f", struct.pack("<f", v))[0], 0.0) for v in want]
if len(y) == len(x) and all(a == b for a, b in zip(y, want)):
    print("ok   plugin received its parameter block: output == max(3 * x - 1.5, 0)")
    sys.exit(0)
print("FAIL plugin output differs from max(3 * x - 1.5, 0):", y[:4], want[:4])
sys.exit(1)
PY
