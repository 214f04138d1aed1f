#!/usr/bin/env bash
# part_info.sh BUILD_DIR - `chaicc info --config/--graph` end to end: the
# placement table, exit codes (0 ok, 1 config/placement error, 2 usage),
# the plugin-layer config, and byte-identical DOT output on reruns.
# Run from the repository root.
set -u
C=${1:-build}/chaicc
N=tests/nets
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=$((fail+1)); }

cat >"$T/ok.yaml" <<'Y'
default: auto
types:
  Pooling: sw
layers:
  "conv*": auto
  fc6: {place: sw}
Y
"$C" info $N/part_small.prototxt --config "$T/ok.yaml" --graph "$T/a.dot" >"$T/out" 2>"$T/err" || no "ok config exit $?"
grep -q "^  pool1  *Pooling  *SW  type rule at $T/ok.yaml:3:12\$" "$T/out" || no "pool1 type rule line"
grep -q "^  conv2  *Convolution  *SW  layer rule at $T/ok.yaml:5:12; fell back: kernel 9x9 is not one of 1, 3, 5, 7, 11\$" "$T/out" || no "conv2 fallback line"
grep -q "^placement: 3 hardware, 5 software\$" "$T/out" || no "counts"
"$C" info $N/part_small.prototxt --config "$T/ok.yaml" --graph "$T/b.dot" >/dev/null 2>&1
cmp -s "$T/a.dot" "$T/b.dot" || no "dot output differs between runs"
ls "$T"/*.tmp* >/dev/null 2>&1 && no "temporary file left behind"

printf 'layers:\n  conv2: hw\n' >"$T/hw.yaml"
"$C" info $N/part_small.prototxt --config "$T/hw.yaml" >/dev/null 2>"$T/err"
[ $? = 1 ] || no "hw request violating a limit: exit should be 1"
grep -qx "$T/hw.yaml:2:10: error: layer 'conv2' (Convolution) cannot be placed in hardware: kernel 9x9 is not one of 1, 3, 5, 7, 11" "$T/err" || no "limit error text"

printf 'layers: [\n' >"$T/bad.yaml"
"$C" info $N/part_small.prototxt --config "$T/bad.yaml" >/dev/null 2>"$T/err"
[ $? = 1 ] || no "malformed YAML: exit should be 1"
grep -q "^$T/bad.yaml:2:1: error: malformed YAML: " "$T/err" || no "malformed YAML text"

"$C" info $N/part_custom.prototxt >/dev/null 2>&1 && no "custom layer loads without a config"
printf 'custom_layers:\n  MyUpsample: {function: my_up, shape: "scale_hw:2"}\n' >"$T/c.yaml"
"$C" info $N/part_custom.prototxt --config "$T/c.yaml" >"$T/out" 2>"$T/err" || no "custom config exit $?"
grep -q "^  up1  *MyUpsample  *SW  built-in default; no hardware kernel\$" "$T/out" || no "custom placement"

"$C" info $N/part_small.prototxt --config >/dev/null 2>&1
[ $? = 2 ] || no "--config without a file: exit should be 2"

[ $fail = 0 ] && echo "part_info: all passed"
exit $((fail != 0))
