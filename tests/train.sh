#!/usr/bin/env bash
# train.sh BUILD_DIR - training prototxts and the batch rule (issue 13).
#   1. tests/train/cifar_train_test.prototxt (Data layers split by phase,
#      Accuracy in TEST, SoftmaxWithLoss) and its V1 form run with
#      --input_shape and give the outputs of the deploy cut
#      cifar_deploy.prototxt bit for bit;
#   2. `chaicc deploy` writes a deploy file that loads in chaicc with the
#      same outputs, and in OpenCV (cv2.dnn, /usr/bin/python3) within 1e-4
#      of the largest output (skipped with a message without python3-opencv);
#   3. the batch rule (docs/cli.md): a program compiled for batch 10 (float,
#      and quantized from the training file) runs batch 1, 3 and 10 inputs
#      with the outputs of `chaicc run` (float within 1e-5, fixed point bit
#      for bit) and rejects batch 11; a net whose items are not separate
#      compiles for its batch only, with a note, and rejects batch 3;
#   4. include/exclude rules on stage and level, with the file's `state`
#      and --stage / --level (tests/train/stages.prototxt);
#   5. the data layer's transform_param (scale, mean_value, mean_file)
#      prepares image inputs; command-line options take precedence.
# Needs no ../shared.  Run from the repository root.
set -u
B=${1:-build}
C=$B/chaicc
M=$B/chaicc-mkmodel
D=tests/train
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
npy() { python3 tests/npy_rand.py "$1" "$2" "$3" 1; }

$M $D/cifar_deploy.prototxt -o "$T/w.caffemodel" --seed 1 || { echo "mkmodel failed"; exit 1; }
npy "$T/x2.npy" 2x3x32x32 5
npy "$T/x1.npy" 1x3x32x32 6

# 1. training files against the deploy cut, bit for bit
$C run $D/cifar_deploy.prototxt "$T/w.caffemodel" --input "$T/x2.npy" -o "$T/ref" >/dev/null || bad "run deploy cut"
$C run $D/cifar_train_test.prototxt "$T/w.caffemodel" --input "$T/x2.npy" --input_shape 2,3,32,32 \
  -o "$T/tt" >/dev/null 2>"$T/tt.err" || { bad "run train_test"; cat "$T/tt.err"; }
if cmp -s "$T/ref/prob.npy" "$T/tt/loss.npy"; then ok; else bad "train_test output differs from the deploy cut"; fi
for want in "'accuracy' (Accuracy): dropped" "'loss' (SoftmaxWithLoss): runs as Softmax"; do
  if grep -q "$want" "$T/tt.err"; then ok; else bad "no note $want"; cat "$T/tt.err"; fi
done
$C run $D/cifar_train_test_v1.prototxt "$T/w.caffemodel" --input "$T/x2.npy" --input_shape 2,3,32,32 \
  -o "$T/v1" >/dev/null 2>&1 || bad "run V1 train_test"
if cmp -s "$T/ref/prob.npy" "$T/v1/loss.npy"; then ok; else bad "V1 train_test output differs from the deploy cut"; fi
# the data layer's batch follows the input (ld_set_batch on the converted layer)
$C run $D/cifar_train_test.prototxt "$T/w.caffemodel" --input "$T/x1.npy" --input_shape 2,3,32,32 \
  -o "$T/tt1" >/dev/null 2>&1 || bad "run train_test with a batch-1 input"
$C run $D/cifar_deploy.prototxt "$T/w.caffemodel" --input "$T/x1.npy" -o "$T/ref1" >/dev/null || bad "run deploy batch 1"
if cmp -s "$T/ref1/prob.npy" "$T/tt1/loss.npy"; then ok; else bad "batch-1 run of train_test differs"; fi

# 2. chaicc deploy: loads in chaicc (same outputs) and in OpenCV
for f in cifar_train_test cifar_train_test_v1; do
  if ! $C deploy $D/$f.prototxt --input_shape 2,3,32,32 -o "$T/$f.deploy" 2>/dev/null; then
    bad "deploy $f"; continue
  fi
  if grep -qE 'Accuracy|SoftmaxWithLoss|include|label|"Data"' "$T/$f.deploy"; then bad "$f.deploy keeps training layers"; fi
  $C run "$T/$f.deploy" "$T/w.caffemodel" --input "$T/x2.npy" -o "$T/d.$f" >/dev/null 2>"$T/d.err" || bad "run $f.deploy"
  if [ -s "$T/d.err" ]; then bad "$f.deploy loads with diagnostics"; cat "$T/d.err"; fi
  if cmp -s "$T/ref/prob.npy" "$T/d.$f/loss.npy"; then ok; else bad "$f.deploy output differs"; fi
done
if /usr/bin/python3 -c 'import cv2, numpy' 2>/dev/null; then
  for f in cifar_train_test cifar_train_test_v1; do
    if /usr/bin/python3 - "$T/$f.deploy" "$T/w.caffemodel" "$T/x2.npy" "$T/ref/prob.npy" <<'EOF'; then ok; else bad "OpenCV on $f.deploy"; fi
import sys, cv2, numpy as np
net = cv2.dnn.readNetFromCaffe(sys.argv[1], sys.argv[2])
net.setInput(np.load(sys.argv[3]))
y, r = net.forward(), np.load(sys.argv[4])
err = float(np.abs(y - r).max()) / float(np.abs(r).max())
print("opencv %s: max |diff| %.3g of the largest output" % (sys.argv[1].split("/")[-1], err))
sys.exit(0 if y.shape == r.shape and err <= 1e-4 else 1)
EOF
  done
else
  echo "skip: /usr/bin/python3 has no cv2/numpy (apt-get install python3-opencv): OpenCV not checked"
fi

# 3. the batch rule
PROG=CIFAR10_small
# PROJ_DIR -> PROJ_DIR/build/<net>: the runtime built once (as in
# test_compile_quant.sh), main.c and the net warning-free
build_prog() {
  local P=$1 exe defs srcs
  if [ ! -f "$T/rt/librt.a" ]; then
    mkdir -p "$T/rt"
    (cd "$T/rt" && gcc -O2 -w -c -D_DEFAULT_SOURCE -I"$P/runtime" "$P"/runtime/*.c "$P"/runtime/x86/*.c &&
      ar rcs librt.a ./*.o) || return 1
  fi
  exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$P/CMakeLists.txt")
  defs=$(sed -n 's/^target_compile_definitions([^ ]* PRIVATE \(.*\))/\1/p' "$P/CMakeLists.txt" | sed 's/\([^ ]*\)/-D\1/g')
  srcs="$P/main.c $P/$exe.c"
  [ -f "$P/${exe}_weights.S" ] && srcs="$srcs $P/${exe}_weights.S"
  mkdir -p "$P/build"
  # shellcheck disable=SC2086
  gcc -O2 -std=c11 -Wall -Wextra -Werror $defs -Wa,-I"$P" -I"$P" -I"$P/runtime" $srcs "$T/rt/librt.a" \
    -ljpeg -lpng -lm -o "$P/build/$exe" 2>"$P/build.log" || { cat "$P/build.log"; return 1; }
}
for b in 1 3 10 11; do npy "$T/b$b.npy" ${b}x3x32x32 $((20 + b)); done
mkdir -p "$T/cal" && cp "$T/b3.npy" "$T/cal/input.npy"
$C deploy $D/cifar_train_test.prototxt --input_shape 10,3,32,32 -o "$T/d10.prototxt" 2>/dev/null || bad "deploy batch 10"
$C quantize --deploy_model $D/cifar_train_test.prototxt --input_shape 10,3,32,32 --weights "$T/w.caffemodel" \
  --quantized_deploy_model "$T/q10.prototxt" --calibration_directory "$T/cal" --calibration_size 1 \
  --quant_type Xilinx --bitwidths 8,8,8 >"$T/q.log" 2>&1 || { bad "quantize the training file"; cat "$T/q.log"; }
for kind in float quant; do
  proto=$T/d10.prototxt rtol=1e-5
  [ $kind = quant ] && proto=$T/q10.prototxt rtol=0
  if ! $C compile "$proto" "$T/w.caffemodel" -o "$T/p.$kind" >/dev/null 2>&1 || ! build_prog "$T/p.$kind"; then
    bad "compile/build the batch-10 $kind program"; continue
  fi
  for b in 1 3 10; do
    "$T/p.$kind/build/$PROG" "$T/b$b.npy" -o "$T/g.$kind.$b" >"$T/g.log" 2>&1 || { bad "$kind program on batch $b"; cat "$T/g.log"; continue; }
    $C run "$proto" "$T/w.caffemodel" --input "$T/b$b.npy" -o "$T/r.$kind.$b" >/dev/null 2>&1
    if $C compare "$T/r.$kind.$b" "$T/g.$kind.$b" --rtol $rtol >"$T/c.log" 2>&1; then ok
    else bad "$kind program on batch $b differs from chaicc run"; cat "$T/c.log"; fi
  done
  if "$T/p.$kind/build/$PROG" "$T/b11.npy" >/dev/null 2>"$T/e.log"; then bad "$kind program accepted batch 11"
  elif grep -q "batch 11; this program runs batch 1 to 10" "$T/e.log"; then ok
  else bad "$kind program: batch 11 message"; cat "$T/e.log"; fi
done
# items not separate (2 x 5k after the reshape): batch 10 only, with a note
cat >"$T/mix.prototxt" <<'EOF'
name: "mix"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 10 dim: 4 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }
layer { name: "r" type: "Reshape" bottom: "ip" top: "r" reshape_param { shape { dim: 2 dim: -1 } } }
layer { name: "s" type: "Sigmoid" bottom: "r" top: "s" }
EOF
$M "$T/mix.prototxt" -o "$T/mix.caffemodel" || bad "mkmodel mix"
npy "$T/m10.npy" 10x4 3
npy "$T/m3.npy" 3x4 4
if $C compile "$T/mix.prototxt" "$T/mix.caffemodel" -o "$T/p.mix" >/dev/null 2>"$T/mix.err" && build_prog "$T/p.mix"; then
  if grep -q "note: the program accepts batch 10 only" "$T/mix.err"; then ok; else bad "no batch note"; cat "$T/mix.err"; fi
  "$T/p.mix/build/mix" "$T/m10.npy" -o "$T/g.mix" >/dev/null 2>&1 || bad "mix program on batch 10"
  $C run "$T/mix.prototxt" "$T/mix.caffemodel" --input "$T/m10.npy" -o "$T/r.mix" >/dev/null 2>&1
  $C compare "$T/r.mix" "$T/g.mix" --rtol 1e-5 >/dev/null 2>&1 && ok || bad "mix program differs from chaicc run"
  if "$T/p.mix/build/mix" "$T/m3.npy" >/dev/null 2>"$T/e.log"; then bad "mix program accepted batch 3"
  elif grep -q "batch 3; this program runs batch 10 only" "$T/e.log"; then ok
  else bad "mix program: batch 3 message"; cat "$T/e.log"; fi
else
  bad "compile/build mix"; cat "$T/mix.err"
fi
# 4. NetState stages and levels (--stage, --level; the file's own `state`)
stage_cut() { $C deploy $D/stages.prototxt "$@" -o - 2>/dev/null | sed -n 's/^  name: "\(.*\)"$/\1/p' | tr '\n' ' '; }
for c in "|data conv always_file not_fast upto1 " \
         "--stage deploy|data conv always_file only_deploy not_fast upto1 " \
         "--stage=deploy --stage fast --level 2|data conv always_file only_deploy level2 both " \
         "--level=-3|data conv always_file not_fast upto1 "; do
  args=${c%%|*} want=${c#*|}
  # shellcheck disable=SC2086
  got=$(stage_cut $args)
  if [ "$got" = "$want" ]; then ok; else bad "stages [$args]: kept '$got', want '$want'"; fi
done
for a in "--level x" "--level" "--stage" "--stage="; do
  # shellcheck disable=SC2086
  if $C deploy $D/stages.prototxt -o - $a >/dev/null 2>"$T/st.err"; then bad "accepted $a"
  elif [ $? = 2 ] && grep -q "error: .*--\(level\|stage\)" "$T/st.err"; then ok
  else bad "$a: exit/message"; cat "$T/st.err"; fi
done
# 5. the data layer's transform_param prepares images (docs/cli.md): the
#    training file with an image gives the deploy cut's outputs with the
#    equivalent options, bit for bit; options given still win
python3 -c "
import random; random.seed(3)
open('$T/img.ppm','wb').write(b'P6 40 36 255\n'+bytes(random.randrange(256) for _ in range(40*36*3)))"
python3 tests/npy_rand.py "$T/mean.npy" 3x32x32 7 1
sed 's|mean_file: "examples/cifar10/mean.binaryproto"|scale: 0.5 mean_value: 10 mean_value: 20 mean_value: 30|' \
  $D/cifar_train_test.prototxt >"$T/tf_mv.prototxt"
sed 's|mean_file: "examples/cifar10/mean.binaryproto"|mean_file: "mean.npy" scale: 2|' \
  $D/cifar_train_test.prototxt >"$T/tf_mf.prototxt"
# tf_case NAME TRAIN_FILE "TRAIN OPTIONS" "DEPLOY OPTIONS" EXPECTED-DIAGNOSTIC
tf_case() {
  # shellcheck disable=SC2086
  $C run "$2" "$T/w.caffemodel" --input "$T/img.ppm" --input_shape 1,3,32,32 $3 -o "$T/tf_$1" \
    >/dev/null 2>"$T/tf_$1.err" || { bad "tf $1: run"; cat "$T/tf_$1.err"; return; }
  # shellcheck disable=SC2086
  $C run $D/cifar_deploy.prototxt "$T/w.caffemodel" --input "$T/img.ppm" $4 -o "$T/tfd_$1" >/dev/null 2>&1
  if cmp -s "$T/tf_$1/loss.npy" "$T/tfd_$1/prob.npy"; then ok; else bad "tf $1: differs from deploy with [$4]"; fi
  if grep -q -- "$5" "$T/tf_$1.err"; then ok; else bad "tf $1: no '$5'"; cat "$T/tf_$1.err"; fi
}
tf_case mv "$T/tf_mv.prototxt" "" "--input_scale 0.5 --mean_value 10,20,30" \
  "transform_param (--input_scale 0.5, --mean_value 10,20,30)"
tf_case override "$T/tf_mv.prototxt" "--input_scale 0.25" "--input_scale 0.25 --mean_value 10,20,30" \
  "transform_param (--mean_value 10,20,30)"
tf_case mf "$T/tf_mf.prototxt" "" "--input_scale 2 --mean_file $T/mean.npy" "--mean_file $T/mean.npy"
tf_case missing $D/cifar_train_test.prototxt "" "--mean_value 0,0,0" \
  "warning: layer 'cifar': transform_param mean_file 'examples/cifar10/mean.binaryproto' not found"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
