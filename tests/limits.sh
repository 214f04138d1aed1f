#!/usr/bin/env bash
# limits.sh BUILD_DIR - inputs at and past the limits each give exactly the
# expected located error (and exit 1), never a crash or a silent overflow:
# enormous dimensions, shape products that overflow, deep nesting in the
# prototxt and the YAML config, caffemodel blobs whose declared size
# disagrees with their data, dangling bottoms, duplicate tops, a layer
# reading its own top, a bottom that names a later layer's top; and a
# failing compile/run leaves an existing output directory untouched.
# Run from the repository root; the inputs are written here, not stored.
set -u
B=${1:-build}
C=$B/chaicc
MK=$B/chaicc-mkmodel
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# expect NAME RC EXPECTED_STDERR CMD...  (TMP/ stands for the temp dir)
expect() {
  local name=$1 want_rc=$2 want=$3; shift 3
  "$@" > "$T/out" 2> "$T/err"
  local rc=$?
  sed -i "s|$T/|TMP/|g" "$T/err"
  if [ "$rc" != "$want_rc" ] || [ "$(cat "$T/err")" != "$want" ]; then
    echo "FAIL $name: exit $rc (want $want_rc)"
    echo "  got:  $(cat "$T/err")"
    echo "  want: $want"
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}
# net NAME INPUT_DECL LAYERS...: writes $T/NAME.prototxt
net() {
  local f=$T/$1.prototxt; shift
  printf 'name: "lim"\n%s\n' "$1" > "$f"; shift
  for l in "$@"; do printf 'layer { %s }\n' "$l" >> "$f"; done
}
IN='input: "data"
input_shape { dim: 1 dim: 2 dim: 8 dim: 8 }'

# ---- enormous dimensions and overflowing shape products ----
net huge_dim 'input: "data"
input_shape { dim: 1 dim: 3 dim: 100000000000 dim: 1 }' \
  'name: "r" type: "ReLU" bottom: "data" top: "r"'
expect huge_dim 1 "TMP/huge_dim.prototxt:3:47: error: input 'data': axis 2 is 100000000000; the blob would have more than 2147483647 elements" \
  "$C" info "$T/huge_dim.prototxt"
net product 'input: "data"
input_dim: 65536
input_dim: 65536
input_dim: 65536
input_dim: 65536' 'name: "r" type: "ReLU" bottom: "data" top: "r"'
expect product 1 "TMP/product.prototxt:6:1: error: input 'data': axis 1 is 65536; the blob would have more than 2147483647 elements" \
  "$C" info "$T/product.prototxt"
net negative 'input: "data"
input_shape { dim: 1 dim: -2 }' 'name: "r" type: "ReLU" bottom: "data" top: "r"'
expect negative 1 "TMP/negative.prototxt:3:22: error: input 'data': axis 1 is -2; sizes must not be negative" \
  "$C" info "$T/negative.prototxt"
net input_layer '' 'name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 100000 dim: 100000 } }'
expect input_layer 1 "TMP/input_layer.prototxt:3:1: error: layer 'in' (Input): blob size overflows: axis 2 is 100000, more than 2147483647 elements in all" \
  "$C" info "$T/input_layer.prototxt"
net conv_out "$IN" 'name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2000000000 kernel_size: 1 }'
expect conv_out 1 "TMP/conv_out.prototxt:4:1: error: layer 'c' (Convolution): blob size overflows: axis 2 is 8, more than 2147483647 elements in all" \
  "$C" info "$T/conv_out.prototxt"
net conv_stride "$IN" 'name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 3 kernel_size: 1 stride: 2000000000 }'
expect conv_stride 1 "TMP/conv_stride.prototxt:4:63: error: layer 'c' (Convolution): stride 2000000000 x 2000000000 is out of range" \
  "$C" info "$T/conv_stride.prototxt"
net reshape "$IN" 'name: "c" type: "Reshape" bottom: "data" top: "c" reshape_param { shape { dim: 0 dim: -1 dim: 4611686018427387904 } }'
expect reshape 1 "TMP/reshape.prototxt:4:98: error: layer 'c' (Reshape): shape dim 4611686018427387904 is invalid" \
  "$C" info "$T/reshape.prototxt"
net int_range "$IN" 'name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4294967296 kernel_size: 1 }'
expect int_range 1 "TMP/int_range.prototxt:4:95: error: value '4294967296' out of range for uint32 field 'num_output' in caffe.ConvolutionParameter" \
  "$C" info "$T/int_range.prototxt"

# ---- deep nesting (an unknown field inside a layer is skipped with its braces, up to the nesting limit) ----
{ for i in $(seq 1000); do printf 'layer { '; done; for i in $(seq 1000); do printf '} '; done; } > "$T/deep.prototxt"
expect deep_prototxt 1 "TMP/deep.prototxt:1:815: error: messages nested too deeply (more than 100 levels)" \
  "$C" info "$T/deep.prototxt"
{ printf 'layer { include '; for i in $(seq 1000); do printf '{ '; done; } > "$T/deep2.prototxt"
expect deep_braces 1 "TMP/deep2.prototxt:1:19: error: expected field name in message caffe.NetStateRule, got '{'" \
  "$C" info "$T/deep2.prototxt"
net ok "$IN" 'name: "r" type: "ReLU" bottom: "data" top: "r"'
{ printf 'layers:\n  x: '; for i in $(seq 1000); do printf '['; done; for i in $(seq 1000); do printf ']'; done; echo; } > "$T/deep.yaml"
expect deep_yaml 1 "TMP/deep.yaml:2:6: error: a layer rule must be a mapping" \
  "$C" info "$T/ok.prototxt" --config "$T/deep.yaml"
{ printf 'default: '; for i in $(seq 100000); do printf '{a: '; done; echo; } > "$T/deep2.yaml"
expect deep_yaml_open 1 "TMP/deep2.yaml:2:1: error: malformed YAML: did not find expected node content (while parsing a flow node at line 2, column 1)" \
  "$C" info "$T/ok.prototxt" --config "$T/deep2.yaml"

# ---- caffemodel blobs whose declared size disagrees with their data ----
net ip 'input: "data"
input_shape { dim: 1 dim: 2 }' 'name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 }'
cm() { # NAME BLOBS_TEXT: a caffemodel with one layer "ip"
  printf 'layer { name: "ip" type: "InnerProduct" %s }\n' "$2" > "$T/$1.txt"
  "$MK" --from-text "$T/$1.txt" -o "$T/$1.caffemodel" || { echo "mkmodel failed on $1"; exit 1; }
}
cm short 'blobs { shape { dim: 3 dim: 2 } data: 1 data: 2 data: 3 data: 4 data: 5 }'
expect blob_short 1 "TMP/short.caffemodel: error: layer 'ip' blob 0: shape 3x2 declares 6 values but the file holds 5" \
  "$C" info "$T/ip.prototxt" "$T/short.caffemodel"
cm long 'blobs { shape { dim: 3 dim: 2 } data: 1 data: 2 data: 3 data: 4 data: 5 data: 6 data: 7 }'
expect blob_long 1 "TMP/long.caffemodel: error: layer 'ip' blob 0: shape 3x2 declares 6 values but the file holds 7" \
  "$C" info "$T/ip.prototxt" "$T/long.caffemodel"
cm legacy 'blobs { num: 3 channels: 2 height: 1 width: 1 data: 1 }'
expect blob_legacy 1 "TMP/legacy.caffemodel: error: layer 'ip' blob 0: shape 3x2x1x1 declares 6 values but the file holds 1" \
  "$C" info "$T/ip.prototxt" "$T/legacy.caffemodel"
cm huge 'blobs { shape { dim: 3000000000 dim: 3000000000 dim: 3000000000 } data: 1 }'
expect blob_overflow 1 "TMP/huge.caffemodel: error: layer 'ip' blob 0: shape 3000000000x3000000000x3000000000 has more than 2^63 values" \
  "$C" info "$T/ip.prototxt" "$T/huge.caffemodel"
cm big 'blobs { shape { dim: 1000000000000 } data: 1 }'
expect blob_big 1 "TMP/big.caffemodel: error: layer 'ip' blob 0: shape 1000000000000 declares 1000000000000 values but the file holds 1" \
  "$C" info "$T/ip.prototxt" "$T/big.caffemodel"
cm negdim 'blobs { shape { dim: -3 dim: 2 } data: 1 }'
expect blob_negative 1 "TMP/negdim.caffemodel: error: layer 'ip' blob 0: negative shape dim at byte 33" \
  "$C" info "$T/ip.prototxt" "$T/negdim.caffemodel"
cm ndims 'blobs { shape { dim: 1 dim: 1 dim: 1 dim: 1 dim: 1 dim: 1 dim: 1 dim: 1 dim: 3 dim: 2 } }'
expect blob_rank 1 "TMP/ndims.caffemodel: error: layer 'ip' blob 0: shape has more than 8 dims at byte 35" \
  "$C" info "$T/ip.prototxt" "$T/ndims.caffemodel"

# ---- graph structure ----
net dangling "$IN" 'name: "r" type: "ReLU" bottom: "data" top: "r"' 'name: "d" type: "ReLU" bottom: "nowhere" top: "d"'
expect dangling 1 "TMP/dangling.prototxt:5:32: error: layer 'd' (ReLU): bottom 'nowhere' is not produced by any earlier layer or input" \
  "$C" info "$T/dangling.prototxt"
net dup_top "$IN" 'name: "s" type: "Slice" bottom: "data" top: "a" top: "a" slice_param { axis: 2 }'
expect dup_top 1 "TMP/dup_top.prototxt:4:57: error: layer 's' (Slice): top 'a' is listed twice" \
  "$C" info "$T/dup_top.prototxt"
net own_top "$IN" 'name: "e" type: "Eltwise" bottom: "data" bottom: "e" top: "e"'
expect own_top 1 "TMP/own_top.prototxt:4:50: error: layer 'e' (Eltwise): bottom 'e' is not produced by any earlier layer or input" \
  "$C" info "$T/own_top.prototxt"
net later_top "$IN" 'name: "a" type: "ReLU" bottom: "b" top: "a"' 'name: "b" type: "ReLU" bottom: "a" top: "b"'
expect later_top 1 "TMP/later_top.prototxt:4:32: error: layer 'a' (ReLU): bottom 'b' is not produced by any earlier layer or input" \
  "$C" info "$T/later_top.prototxt"

# ---- no lost work: a failing command leaves existing outputs alone ----
mkdir -p "$T/nlw/out"
echo keep > "$T/nlw/out/file"
head -c 40 "$T/short.caffemodel" > "$T/nlw/cut.caffemodel"
"$C" compile "$T/ip.prototxt" "$T/nlw/cut.caffemodel" -o "$T/nlw/out" > /dev/null 2>&1
rc1=$?
"$C" run "$T/ip.prototxt" "$T/nlw/cut.caffemodel" --input "$T/nlw/cut.caffemodel" -o "$T/nlw/out" > /dev/null 2>&1
rc2=$?
left=$(cd "$T/nlw" && find . -name '*tmp*' | head -n 3)
if [ $rc1 = 1 ] && [ $rc2 = 1 ] && [ "$(cat "$T/nlw/out/file")" = keep ] &&
   [ "$(ls "$T/nlw/out")" = file ] && [ -z "$left" ]; then
  pass=$((pass + 1))
else
  echo "FAIL no_lost_work: compile exit $rc1, run exit $rc2, out: $(ls "$T/nlw/out" | tr '\n' ' '), temp files: $left"
  fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
