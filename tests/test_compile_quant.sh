#!/bin/bash
# test_compile_quant.sh BUILD_DIR - fixed-point code generation end to end
# (docs/hls.md).  For each case: `chaicc quantize` (calibrated on the
# case's input), `chaicc compile --target all` (the program calls the HLS
# segments: C simulation) and `chaicc compile --target c` (all software:
# the runtime's rt_fx_* kernels), build both C projects, run them and
# require three-way BIT IDENTITY: --target c program == --target all
# program == `chaicc run` on the CHai prototxt (`chaicc compare --rtol 0`;
# outputs are dequantized codes or float layers computed from them, so
# equal floats mean equal codes); then
# build every hardware segment's testbench with
# `gcc -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas` and run it (it
# compares each output code with the simulator's), run tests/hls_check.py
# on every HLS source and run run_hls.tcl under tclsh with the stand-in
# Vivado commands of tests/hls_fixture.tcl.
#
# Coverage:
#   shared models (../shared/models, skipped when absent): Xilinx 8,
#     Xilinx 6, DynamicFixed 8 and DynamicFixed 6 (fl auto) for every model
#     except the three largest detectors (retinaface_mnet25_deconv,
#     ultraface_slim320, yufacedetect_ssd), which run Xilinx 8 and
#     DynamicFixed 8 only (CHAI_QUANT_FULL=1: all four everywhere);
#   random nets: tests/gen_net.py seeds 1..20 (CHAI_QUANT_SEEDS=N), each in
#     Xilinx and DynamicFixed mode, 8 bits for odd seeds and 6 for even;
#   AXI weights: resnet20 and two random nets with a config forcing every
#     weight over AXI and other parallelism pragmas;
#   hardware vs software: lenet, resnet20 and random nets compiled with
#     `default: sw` (no hardware segment) give the same outputs as with
#     segments.
# Runs from the repository root.
set -u
# setup (CHAICC, MKMODEL, ROOT, T, counters) and make_npy, build_exe, check:
# shellcheck source=tests/lib/quant.sh
. tests/lib/quant.sh "${1:-build}"

printf 'target:\n  onchip_weight_limit_kb: 0\n  clock_ns: 4\n  pragmas:\n    in_parallel: 4\n    out_parallel: 8\n    pipeline_ii: 2\n' >"$T/axi.yaml"
printf 'default: sw\n' >"$T/sw.yaml"

if [ -d ../shared/models ]; then
  for m in ../shared/models/*/; do
    m=${m%/}; n=$(basename "$m")
    modes="Xilinx:8 Xilinx:6 DynamicFixed:8 DynamicFixed:6"
    case $n in
      retinaface_mnet25_deconv|ultraface_slim320|yufacedetect_ssd)
        [ "${CHAI_QUANT_FULL:-0}" = 1 ] || modes="Xilinx:8 DynamicFixed:8" ;;
    esac
    for mb in $modes; do
      sw=""
      case "$n:$mb" in lenet_mnist:Xilinx:8|resnet20_cifar10:DynamicFixed:8) sw=$T/sw.yaml ;; esac
      check "$n" "$m/deploy.prototxt" "$m/weights.caffemodel" "$m/ref/input.npy" "${mb%:*}" "${mb#*:}" "" "$sw"
    done
  done
  m=../shared/models/resnet20_cifar10
  check resnet20_axi "$m/deploy.prototxt" "$m/weights.caffemodel" "$m/ref/input.npy" Xilinx 6 "$T/axi.yaml"
else
  echo "skip: ../shared/models not found (shared models not checked)"
fi

# A dead depthwise channel (gamma 1e-9 folded in; its float output is its
# beta, 0.5): bit-identical everywhere, and its quantized output must be
# that constant, not the 0 a multiplier below 2^-32 gave.
p=tests/nets/q_deadch.prototxt
python3 - "$T/deadch.txt" <<'PY'
import random, sys
r = random.Random(5)
def blob(shape, vals=None):
    n = 1
    for d in shape: n *= d
    vals = vals if vals is not None else [round(r.uniform(-0.3, 0.3), 6) for _ in range(n)]
    return ("blobs { shape { " + " ".join("dim: %d" % d for d in shape) + " } "
            + " ".join("data: %r" % v for v in vals) + " }")
gamma = [1.0] * 8
gamma[1] = 1e-9
beta = [0.3, 0.5, 0.2, 0.4, 0.1, 0.3, 0.2, 0.25]
L = [("conv1", [blob([8, 4, 3, 3]), blob([8])]), ("dw", [blob([8, 1, 3, 3])]),
     ("dw_bn", [blob([8], [0.0] * 8), blob([8], [1.0] * 8), blob([1], [1.0])]),
     ("dw_sc", [blob([8], gamma), blob([8], beta)]), ("pw", [blob([8, 8, 1, 1]), blob([8])])]
with open(sys.argv[1], "w") as f:
    f.write('name: "q_deadch"\n')
    for name, blobs in L:
        f.write('layer { name: "%s" %s }\n' % (name, " ".join(blobs)))
PY
if "$MKMODEL" --from-text "$T/deadch.txt" -o "$T/deadch.caffemodel" >/dev/null; then
  make_npy "$T/deadch.npy" 1x4x16x16 3
  check deadch "$p" "$T/deadch.caffemodel" "$T/deadch.npy" Xilinx 8
  if "$CHAICC" run "$T/deadch.Xilinx8/q.prototxt" "$T/deadch.caffemodel" --input "$T/deadch.npy" \
       --dump "$T/deadch.dump" >/dev/null 2>&1 &&
     python3 - "$T/deadch.dump/relu2.npy" <<'PY'; then
import ast, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<H", b[8:10])[0]
h = ast.literal_eval(b[10:10 + n].decode())
assert h["descr"] == "<f4" and h["shape"] == (1, 8, 16, 16), h
v = struct.unpack("<2048f", b[10 + n:])[256:512]  # channel 1
sys.exit(0 if len(set(v)) == 1 and abs(v[0] - 0.5) < 0.03 else 1)
PY
    echo "ok   deadch: the dead channel keeps its constant 0.5 in fixed point"
  else
    echo "FAIL deadch: the dead channel's fixed-point output is not its constant 0.5"; fail=1
  fi
else
  echo "FAIL deadch: mkmodel --from-text"; fail=1
fi

for s in $(seq 1 "${CHAI_QUANT_SEEDS:-20}"); do
  p=$T/rnd$s.prototxt
  python3 tests/gen_net.py "$s" -o "$p"
  "$MKMODEL" "$p" -o "$T/rnd$s.caffemodel" --seed "$s" >/dev/null || { echo "FAIL rnd$s: mkmodel"; fail=1; continue; }
  shape=$("$CHAICC" info "$p" | sed -n 's/^input  [^ ]* //p' | head -1)
  make_npy "$T/rnd$s.npy" "$shape" "$s"
  bw=$((s % 2 ? 8 : 6))
  cfg=""; sw=""
  [ "$s" -le 2 ] && cfg=$T/axi.yaml
  [ "$s" -ge 3 ] && [ "$s" -le 5 ] && sw=$T/sw.yaml
  check "rnd$s" "$p" "$T/rnd$s.caffemodel" "$T/rnd$s.npy" Xilinx "$bw" "$cfg" "$sw"
  check "rnd$s" "$p" "$T/rnd$s.caffemodel" "$T/rnd$s.npy" DynamicFixed "$bw" "$cfg" "$sw"
done
# Determinism: the same quantized compile twice gives byte-identical trees.
q=$(ls -d "$T"/*.Xilinx*/q.prototxt 2>/dev/null | head -1)
if [ -n "$q" ]; then
  w=$T/rnd1.caffemodel; [ -f "$w" ] || w=../shared/models/lenet_mnist/weights.caffemodel
  case $q in */rnd1.*) ;; *) q=$(ls "$T"/rnd1.Xilinx*/q.prototxt 2>/dev/null | head -1) ;; esac
  if [ -n "$q" ] && "$CHAICC" compile "$q" "$w" -o "$T/det" --target all >/dev/null 2>&1 &&
     mv "$T/det" "$T/det1" && "$CHAICC" compile "$q" "$w" -o "$T/det" --target all >/dev/null 2>&1 &&
     diff -r "$T/det1" "$T/det" >/dev/null; then
    echo "ok   determinism of a quantized compile (diff -r)"
  else
    echo "FAIL determinism of a quantized compile"; fail=1
  fi
  rm -rf "$T/det" "$T/det1"
  if [ -n "$q" ] && "$CHAICC" compile "$q" "$w" -o "$T/det" >/dev/null 2>&1 &&
     mv "$T/det" "$T/det1" && "$CHAICC" compile "$q" "$w" -o "$T/det" >/dev/null 2>&1 &&
     diff -r "$T/det1" "$T/det" >/dev/null; then
    echo "ok   determinism of a quantized --target c compile (diff -r)"
  else
    echo "FAIL determinism of a quantized --target c compile"; fail=1
  fi
fi
echo "$ncase cases"
exit $fail
