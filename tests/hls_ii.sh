#!/bin/bash
# hls_ii.sh [BUILD_DIR] - the static II proof (tests/hls_ii.py,
# docs/hls.md): it rejects the pre-issue-12 convolution pattern (weight ROM
# read 128 times, feature map 8 times per iteration: II >= 64) and an
# m_axi-bound loop, and the fill loop and pooling window before the line
# buffers as not bursts (--burst); on the code chaicc generates for a few nets every
# pipelined loop's II pragma equals the proven II (--exact), and the II
# `chaicc info --hls` reports for each convolution and pooling layer (the
# one its estimate uses) equals the checker's figure for that layer's main
# loop, and the multipliers the generated pipelined loops instantiate equal
# the MAC multipliers of info's convolution rows (IP x OP, or IP x
# ceil(OP/2) with target.dsp_packing: resnet20 and lenet with it too).
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
CHAICC=$B/chaicc
MKMODEL=$B/chaicc-mkmodel
PY=python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# negative tests
out=$($PY tests/hls_ii.py tests/hls_ii/old_conv.c 2>&1); rc=$?
ii=$(echo "$out" | sed -n 's/.*Q_Convolution2_ict .* proven *\([0-9]*\)  Q_Convolution2_w .*/\1/p')
if [ $rc -ne 0 ] && [ -n "$ii" ] && [ "$ii" -ge 64 ]; then
  echo "ok   old conv pattern rejected: _ict proven II $ii (weight ROM), requested 1"
else
  echo "FAIL old conv pattern: rc=$rc"; echo "$out"; fail=1
fi
out=$($PY tests/hls_ii.py tests/hls_ii/maxi_only.c 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q 'FAIL f .* L_t .* proven    8  m_axi fm (8 reads)'; then
  echo "ok   m_axi-bound loop rejected: proven II 8"
else
  echo "FAIL m_axi-bound loop: rc=$rc"; echo "$out"; fail=1
fi

# the m_axi patterns before the line buffers: not bursts
out=$($PY tests/hls_ii.py -q --burst tests/hls_ii/old_fill.c 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q '^NOBURST Q_conv2 .* Q_conv2_fill .*address step 144 between iterations' &&
   echo "$out" | grep -q '^NOBURST Q_pool2 .* Q_pool2_ox .*inside an unrolled loop'; then
  echo "ok   old fill loop (step H x W) and pooling window (unrolled m_axi reads) rejected as not bursts"
else
  echo "FAIL old fill / pooling patterns: rc=$rc"; echo "$out"; fail=1
fi

# generated code: pragma II == proven II, every m_axi access of a
# pipelined loop a burst (but the exempt ones), and == info --hls
compare() { # NAME QPROTO WEIGHTS [CONFIG]
  local name=$1 q=$2 w=$3 cfg=${4:-} opt=""
  [ -n "$cfg" ] && opt="--config $cfg"
  # shellcheck disable=SC2086
  if ! "$CHAICC" compile "$q" "$w" -o "$T/$name" --target hls $opt >"$T/$name.log" 2>&1; then
    echo "FAIL $name: compile"; tail -3 "$T/$name.log"; fail=1; return
  fi
  local srcs=() f
  for f in "$T/$name"/hls/*_seg*.c; do case $f in */tb_*) ;; *) srcs+=("$f") ;; esac; done
  if ! $PY tests/hls_check.py "${srcs[@]}" >"$T/$name.subset" 2>&1; then
    echo "FAIL $name: outside the synthesizable subset"; head -5 "$T/$name.subset"; fail=1; return
  fi
  if ! $PY tests/hls_ii.py --exact --burst "$T/$name"/hls/*_seg*.c >"$T/$name.ii" 2>&1; then
    echo "FAIL $name: a pipelined loop's II pragma is not its proven II, or an m_axi access is not a burst"
    grep -v '^ok' "$T/$name.ii" | head -5; fail=1; return
  fi
  # shellcheck disable=SC2086
  "$CHAICC" info "$q" "$w" --hls $opt >"$T/$name.info" 2>&1
  local cmp
  if ! cmp=$($PY - "$T/$name.info" "$T/$name.ii" <<'PYEOF'
import re, sys
info = open(sys.argv[1]).read().splitlines()
rows = [l.split() for l in open(sys.argv[2]) if l.startswith('ok')]
loop = {'Convolution': '_ict', 'Deconvolution': '_ict', 'Pooling': '_ox'}
n = bad = 0
for l in info:
    f = l.split()
    if len(f) < 5 or not f[0].isdigit() or f[2] not in loop:
        continue
    name = re.sub(r'[^A-Za-z0-9_]', '_', f[1])
    hit = [r for r in rows if r[1].endswith('_' + name) and r[2] == r[1] + loop[f[2]]]
    if not hit:
        continue  # placed in software by the quantized plan
    n += 1
    if int(hit[0][9]) != int(f[3]):
        bad += 1
        print("  %s: info II %s, proven %s" % (f[1], f[3], hit[0][9]))
muls = int([l for l in open(sys.argv[2]) if l.startswith('multipliers:')][0].split()[1])
# info's DSP column of a convolution: its MAC multipliers (IP x OP, or
# IP x ceil(OP/2) with dsp_packing) + 3 for the output requantization
macs = sum(int(f[11]) - 3 for f in (l.split() for l in info)
           if len(f) > 12 and f[0].isdigit() and f[2] in ('Convolution', 'Deconvolution'))
if muls != macs:
    bad += 1
    print('  the generated loops instantiate %d multipliers, info counts %d' % (muls, macs))
print('%d layers compared, %d multipliers' % (n, muls))
sys.exit(1 if bad or n == 0 else 0)
PYEOF
  ); then echo "FAIL $name: info --hls differs from the generated code"; echo "$cmp"; fail=1; return; fi
  echo "ok   $name: $(grep -c '^ok' "$T/$name.ii") pipelined loops at their proven II, $cmp (= info's conv DSPs less the requantization's); $(tail -1 "$T/$name.info" | sed 's/^resources: //')"
}
quant() { # NAME PROTO WEIGHTS INPUT -> $T/NAME.q.prototxt
  mkdir -p "$T/cal_$1" && cp "$4" "$T/cal_$1/input.npy"
  "$CHAICC" quantize --deploy_model "$2" --weights "$3" --quantized_deploy_model "$T/$1.q.prototxt" \
    --calibration_directory "$T/cal_$1" --calibration_size 1 --quant_type Xilinx --bitwidths 8,8,8 >"$T/$1.ql" 2>&1
}
M=../shared/models
if [ -d "$M" ]; then
  for n in lenet_mnist resnet20_cifar10 yoloface50k_dw; do
    if quant "$n" "$M/$n/deploy.prototxt" "$M/$n/weights.caffemodel" "$M/$n/ref/input.npy"; then
      compare "$n" "$T/$n.q.prototxt" "$M/$n/weights.caffemodel"
    else echo "FAIL $n: quantize"; fail=1; fi
  done
  printf 'target:\n  onchip_weight_limit_kb: 0\n  pragmas:\n    in_parallel: 4\n    out_parallel: 8\n' >"$T/axi.yaml"
  compare resnet20_axi "$T/resnet20_cifar10.q.prototxt" "$M/resnet20_cifar10/weights.caffemodel" "$T/axi.yaml"
  # two 8-bit products per DSP48E2 (fx_mul2): half the MAC multipliers,
  # on-chip and AXI weights, with odd OP (a plain product for the last lane)
  printf 'target:\n  dsp_packing: true\n' >"$T/pack.yaml"
  compare resnet20_pack "$T/resnet20_cifar10.q.prototxt" "$M/resnet20_cifar10/weights.caffemodel" "$T/pack.yaml"
  printf 'target:\n  dsp_packing: true\n  onchip_weight_limit_kb: 0\n  pragmas:\n    in_parallel: 4\n    out_parallel: 5\n' >"$T/pack5.yaml"
  compare lenet_pack5 "$T/lenet_mnist.q.prototxt" "$M/lenet_mnist/weights.caffemodel" "$T/pack5.yaml"
else
  echo "skip: $M not found (shared models)"
fi
exit $fail
