#!/bin/bash
# hls_zcat.sh BUILD_DIR - zero-copy Concat (docs/hls.md "Zero-copy
# Concat").  Each case compiles a quantized net with --target all and
# requires the generated C program bit-identical to `chaicc run` and every
# HLS segment testbench (gcc -Wall -Wextra -Werror) to PASS, then whether
# the Concat `cat` was done in place: no Q_cat function or call in the
# segment sources, its README and `chaicc info --hls` rows "in place" with
# 0 cycles - or, where the copy is not exact, still a copy function.
#   1. tests/kinds/rs_inception (Xilinx 8-bit, as quantized): in place,
#      also on the shared engine with 64-bit ports (slices that start
#      inside a beat: the drain's read-modify-write);
#   2. the same with branch b4's threshold changed: its part needs a
#      requantization, so the Concat keeps its copy;
#   3. a Concat of the net input and a convolution, every threshold equal
#      (all parts identities): the net input is not written by a segment
#      step, so the Concat keeps its copy;
#   4. the copy's DSPs: 0 for identity parts (info given the WEIGHTS), 3
#      per lane when a part requantizes or without the WEIGHTS.
# Runs from the repository root.
set -u
# shellcheck source=tests/lib/quant.sh
. tests/lib/quant.sh "${1:-build}"

# run_q NAME QPROTO WEIGHTS INPUT [CONFIG]: compile --target all, build,
# run, compare with chaicc run (bit-identical), build and run the
# testbenches.
run_q() {
  local d=$T/$1 s k base n=0 cfg=()
  [ -n "${5:-}" ] && cfg=(--config "$5")
  mkdir -p "$d"
  if ! "$CHAICC" compile "$2" "$3" -o "$d/proj" --target all --tb-input "$4" "${cfg[@]}" >"$d/compile.log" 2>&1 ||
     ! build_exe "$d/proj" "$d/exe" 2>"$d/build.log" || ! "$d/exe" "$4" -o "$d/gen" >"$d/gen.log" 2>&1 ||
     ! "$CHAICC" run "$2" "$3" --input "$4" -o "$d/ref" >"$d/ref.log" 2>&1; then
    echo "FAIL $1: compile, build or run"; tail -3 "$d/compile.log" "$d/build.log" "$d/gen.log" "$d/ref.log"; return 1
  fi
  if ! "$CHAICC" compare "$d/ref" "$d/gen" --rtol 0 >"$d/cmp.log" 2>&1; then
    echo "FAIL $1: the C program is not bit-identical to chaicc run"; grep -v '^ok' "$d/cmp.log" | head -5; return 1
  fi
  for s in $(cd "$d/proj/hls" && ls ./*_seg*.c | grep -v '/tb_'); do
    s=${s#./}; k=${s%.c}; k=${k##*_seg}; base=${s%_seg*.c}
    if ! (cd "$d/proj/hls" && gcc -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas -O1 -I. "$s" \
          "tb_${base}_seg$k.c" -o "tb$k" && "./tb$k" "${base}_hw_weights.bin") >"$d/tb$k.log" 2>&1 ||
       ! grep -q '^PASS' "$d/tb$k.log"; then
      echo "FAIL $1: testbench $k"; tail -3 "$d/tb$k.log"; return 1
    fi
    n=$((n + 1))
  done
  [ $n -gt 0 ] || { echo "FAIL $1: no hardware segment"; return 1; }
  echo "ok   $1: C program == chaicc run bit-identical, $n segment testbenches PASS"
}

# inplace NAME QPROTO WEIGHTS yes|no [CONFIG]: whether cat was done in
# place.
inplace() {
  local d=$T/$1 fns row info cfg=()
  [ -n "${5:-}" ] && cfg=(--config "$5")
  fns=$(cat "$d/proj/hls/"*_seg*.c | grep -v '^ *//' | grep -c '\bQ_cat\b')
  row=$(grep -c '^| [0-9]* | cat | .*| 0 | 0 | in place' "$d/proj/hls/README.md")
  info=$("$CHAICC" info "$2" "$3" --hls "${cfg[@]}" | awk '$2 == "cat" && $3 == "Concat"')
  if [ "$4" = yes ]; then
    if [ "$fns" != 0 ] || [ "$row" != 1 ] || ! echo "$info" | awk '{ exit !($9 == 0 && $10 == 0 && $11 == "inplace") }'; then
      echo "FAIL $1: cat not in place ($fns Q_cat lines, README rows $row, info: $info)"; return 1
    fi
    echo "ok   $1: cat in place (no Q_cat in the segments, 0 cycles in README and info)"
  else
    if [ "$fns" = 0 ] || [ "$row" != 0 ] || echo "$info" | grep -q inplace || [ -z "$info" ]; then
      echo "FAIL $1: cat should keep its copy ($fns Q_cat lines, README rows $row, info: $info)"; return 1
    fi
    echo "ok   $1: cat keeps its copy function ($fns Q_cat lines)"
  fi
}

# quant_net K PROTO SHAPE MSEED NSEED: random weights $T/wK.caffemodel
# (chaicc-mkmodel --seed MSEED), a random input $T/xK.npy of SHAPE (seed
# NSEED), and PROTO quantized on it (Xilinx 8-bit) into $T/qK.prototxt;
# exits on failure.
quant_net() {
  "$MKMODEL" "$2" -o "$T/w$1.caffemodel" --seed "$4" >/dev/null || { echo "FAIL: chaicc-mkmodel"; exit 1; }
  make_npy "$T/x$1.npy" "$3" "$5"
  mkdir -p "$T/cal$1" && cp "$T/x$1.npy" "$T/cal$1/input.npy"
  if ! "$CHAICC" quantize --deploy_model "$2" --weights "$T/w$1.caffemodel" --quantized_deploy_model "$T/q$1.prototxt" \
      --calibration_directory "$T/cal$1" --calibration_size 1 --quant_type Xilinx --bitwidths 8,8,8 >"$T/q$1.log" 2>&1; then
    echo "FAIL: quantize"; tail -3 "$T/q$1.log"; exit 1
  fi
}

# 1. the inception block, as quantized
P=tests/kinds/rs_inception.prototxt
quant_net "" "$P" 1x3x10x10 1 7
{ run_q inception "$T/q.prototxt" "$T/w.caffemodel" "$T/x.npy" &&
  inplace inception "$T/q.prototxt" "$T/w.caffemodel" yes; } || fail=1
printf 'target:\n  engine: shared\n  port_bits: 64\n' >"$T/e64.yaml"
{ run_q inception_engine64 "$T/q.prototxt" "$T/w.caffemodel" "$T/x.npy" "$T/e64.yaml" &&
  inplace inception_engine64 "$T/q.prototxt" "$T/w.caffemodel" yes "$T/e64.yaml"; } || fail=1

# 1b. `info --hls` on the prototxt alone predicts what the quantized plan
# makes of MAX pooling (it keeps its input's scale, cb_scale_kept: an
# identity requantization, 0 DSPs) and of the Concat (zero-copy: 0
# cycles, bound "inplace"): the same Pooling and Concat rows
rows() { "$CHAICC" info "$@" --hls 2>&1 | awk '$3 == "Pooling" { print $2, $12 } $3 == "Concat" { print $2, $9, $11, $12 }'; }
a=$(rows "$P" | tr '\n' ';'); b=$(rows "$T/q.prototxt" "$T/w.caffemodel" | tr '\n' ';')
c=$(rows "$T/q.prototxt" | tr '\n' ';')
if [ "$a" = "b4p 0;cat 0 inplace 0;" ] && [ "$a" = "$b" ] && [ "$c" = "$b" ]; then
  echo "ok   inception: the prototxt alone (float or CHai) predicts the quantized plan's b4p (0 DSPs) and cat (in place)"
else
  echo "FAIL inception: Pooling / Concat rows, prototxt alone '$a', CHai alone '$c', quantized '$b'"; fail=1
fi

# 2. branch b4 (its convolution and ReLU) in another format than the Concat
python3 - "$T/q.prototxt" "$T/q2.prototxt" <<'PYEOF'
import re, sys
s = open(sys.argv[1]).read()
def edit(m):
    b = m.group(0)
    if re.search(r'name: "b4(_relu)?"', b):
        b, n = re.subn(r'th_layer_out: [0-9.e+-]+', 'th_layer_out: 3.5', b)
        assert n == 1
    return b
t = re.sub(r'layer \{.*?\n\}', edit, s, flags=re.S)
assert t.count('th_layer_out: 3.5') == 2
open(sys.argv[2], 'w').write(t)
PYEOF
{ run_q scales "$T/q2.prototxt" "$T/w.caffemodel" "$T/x.npy" &&
  inplace scales "$T/q2.prototxt" "$T/w.caffemodel" no; } || fail=1

# 3. a Concat reading the net input, every format the same
cat >"$T/in.prototxt" <<'NETEOF'
name: "cat_input"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 6 dim: 6 } } }
layer { name: "c1" type: "Convolution" bottom: "data" top: "c1"
  convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "cat" type: "Concat" bottom: "data" bottom: "c1" top: "cat" }
layer { name: "head" type: "Convolution" bottom: "cat" top: "head"
  convolution_param { num_output: 2 kernel_size: 1 } }
NETEOF
quant_net 3 "$T/in.prototxt" 1x3x6x6 2 3
sed -i 's/th_layer_\(in\|out\): [0-9.e+-]*/th_layer_\1: 2.0/' "$T/q3.prototxt"
{ run_q net_input "$T/q3.prototxt" "$T/w3.caffemodel" "$T/x3.npy" &&
  inplace net_input "$T/q3.prototxt" "$T/w3.caffemodel" no; } || fail=1
# 4. DSPs of a copy: none when every part is an identity (a saturating
# copy: from the quantized plan given the WEIGHTS; without them from a
# CHai prototxt's thresholds, all 2.0 in q3.prototxt, or on the float
# prototxt as the quantizer will make it), 3 per lane when a part
# requantizes: given the WEIGHTS only that part's, without them (q2's
# thresholds show b4 in another format) every lane's
dsp() { "$CHAICC" info "$@" --hls | awk '$2 == "cat" && $3 == "Concat" { print $12 }'; }
d_id=$(dsp "$T/q3.prototxt" "$T/w3.caffemodel"); d_th=$(dsp "$T/q3.prototxt"); d_fl=$(dsp "$T/in.prototxt")
d_rq=$(dsp "$T/q2.prototxt" "$T/w.caffemodel"); d_q2=$(dsp "$T/q2.prototxt")
if [ "$d_id" = 0 ] && [ "$d_th" = 0 ] && [ "$d_fl" = 0 ] && [ "${d_rq:-0}" -gt 0 ] && [ "${d_q2:-0}" -gt 0 ]; then
  echo "ok   Concat DSPs: identity copy 0 (from the thresholds alone 0, float prototxt 0), requantizing $d_rq (from the thresholds alone $d_q2)"
else echo "FAIL Concat DSPs: identity '$d_id' / '$d_th' / float '$d_fl', requantizing '$d_rq' / '$d_q2'"; fail=1; fi
[ -n "${CHAI_ZCAT_KEEP:-}" ] && cp -r "$T" "$CHAI_ZCAT_KEEP"
exit $fail
