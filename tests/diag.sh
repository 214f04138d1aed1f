#!/usr/bin/env bash
# diag.sh BUILD_DIR - golden diagnostics: every bad input in tests/diag gives
# exactly the expected located error lines on stderr and a non-zero exit
# (1 for input errors), never a crash.  Run from the repository root.
# CHAI_UPDATE_GOLDEN=1 rewrites the .expected files (review the diff!).
set -u
B=${1:-build}
C=$B/chaicc
M=$B/chaicc-mkmodel
D=tests/diag
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# check NAME EXPECTED_RC CMD... : compares stderr with $D/NAME.expected
check() {
  local name=$1 want=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  sed -i "s|$T/|TMP/|g" "$T/err"
  if [ "${CHAI_UPDATE_GOLDEN:-0}" = 1 ]; then cp "$T/err" "$D/$name.expected"; fi
  if [ "$rc" != "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; cat "$T/err"; fail=$((fail+1)); return
  fi
  if ! diff -u "$D/$name.expected" "$T/err"; then
    echo "FAIL $name: diagnostics differ"; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}

$M $D/good.prototxt -o "$T/good.caffemodel" --seed 3 || { echo "mkmodel failed"; exit 1; }
$M $D/other_shape.prototxt -o "$T/other.caffemodel" --seed 3 || exit 1
check good 0 $C info $D/good.prototxt "$T/good.caffemodel"
for f in misspelt_field unknown_type missing_bottom bad_group kernel_too_big truncated bad_value several_errors; do
  check $f 1 $C info $D/$f.prototxt
done
# issue 13: unknown fields in layers, no cascade, plugin parameter blocks
for f in unknown_param unknown_param_type cascade; do
  check $f 1 $C info $D/$f.prototxt
done
check plugin_param 0 $C info $D/plugin_param.prototxt --config $D/plugin_param.yaml
# held-out models: an unknown field inside the parameters of a data layer or
# a dropped metric is a warning; inside a kept layer's, an error (no setup)
check unread_fields 1 $C info $D/unread_fields.prototxt --input_shape 1,3,8,8
# weightless nets: no WEIGHTS, an empty caffemodel and a name-only one (the
# 15 bytes Caffe writes: field 1, length 13, "relu_only_net") all run; a
# net with learned blobs needs WEIGHTS; a prototxt is not a caffemodel.
python3 tests/npy_rand.py "$T/wl.npy" 1x2x4x4 3
: >"$T/empty.caffemodel"
printf '\x0a\x0drelu_only_net' >"$T/name.caffemodel"
check weightless 0 $C run $D/weightless.prototxt --input "$T/wl.npy" -o "$T/wl0"
check weightless 0 $C run $D/weightless.prototxt "$T/empty.caffemodel" --input "$T/wl.npy" -o "$T/wl1"
check weightless 0 $C run $D/weightless.prototxt "$T/name.caffemodel" --input "$T/wl.npy" -o "$T/wl2"
if [ "$(stat -c %s "$T/name.caffemodel")" != 15 ] || ! cmp -s "$T/wl0/pool.npy" "$T/wl1/pool.npy" ||
   ! cmp -s "$T/wl0/pool.npy" "$T/wl2/pool.npy"; then
  echo "FAIL weightless: outputs differ or missing"; fail=$((fail+1))
fi
python3 tests/npy_rand.py "$T/g.npy" 1x1x8x8 3
check missing_weights 1 $C run $D/good.prototxt --input "$T/g.npy"
check weights_is_prototxt 1 $C run $D/good.prototxt $D/good.prototxt --input "$T/g.npy"
check rs_bad_params 1 $C info $D/rs_bad_params.prototxt # issue 13 resample kinds
# darknet2caffe pooling: tried only when Caffe's shapes disagree, and kept
# only when the fork's agree (tests/kinds/rs_pool_darknet is the good case)
check pool_dialect 1 $C info $D/pool_dialect.prototxt
check blob_shape 1 $C info $D/good.prototxt "$T/other.caffemodel"
head -c 300 "$T/good.caffemodel" > "$T/trunc.caffemodel"
check truncated_caffemodel 1 $C info $D/good.prototxt "$T/trunc.caffemodel"
check missing_file 1 $C info $D/no_such_file.prototxt
check usage 2 $C frobnicate
check run_no_input 2 $C run $D/good.prototxt "$T/good.caffemodel"
# issue 13, training prototxts: the located error asking for --input_shape,
# a bad --input_shape value (usage error)
check train_no_shape 1 $C info $D/train_no_shape.prototxt
check bad_input_shape 2 $C info $D/train_no_shape.prototxt --input_shape 1,0,28,28
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
