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
B=$(cd "${1:-build}" && pwd)
CHAICC=$B/chaicc
MKMODEL=$B/chaicc-mkmodel
ROOT=$(pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ncase=0
have_tcl=1
command -v tclsh >/dev/null || { have_tcl=0; echo "skip: tclsh not found (apt-get install tcl): run_hls.tcl not checked"; }

make_npy() { # PATH CxHxW-style shape SEED
  python3 "$ROOT/tests/npy_rand.py" "$1" "$2" "$3"
}

# The runtime is the same for every project: built once.
RTLIB=$T/rt/librt.a
build_exe() { # PROJ OUT
  local P=$1 exe defs srcs
  if [ ! -f "$RTLIB" ]; then
    mkdir -p "$T/rt"
    (cd "$T/rt" && gcc -O2 -w -c -D_DEFAULT_SOURCE -I"$P/runtime" "$P"/runtime/*.c "$P"/runtime/x86/*.c && ar rcs librt.a ./*.o) || return 1
  fi
  exe=$(sed -n 's/^project(\([^ ]*\) .*/\1/p' "$P/CMakeLists.txt")
  defs=$(sed -n 's/^target_compile_definitions([^ ]* PRIVATE \(.*\))/\1/p' "$P/CMakeLists.txt" | sed 's/\([^ ]*\)/-D\1/g')
  srcs="$P/main.c $P/$exe.c"
  [ -f "$P/${exe}_weights.S" ] && srcs="$srcs $P/${exe}_weights.S"
  # shellcheck disable=SC2086
  gcc -O2 -w -std=c11 $defs -Wa,-I"$P" -I"$P" -I"$P/runtime" $srcs "$RTLIB" -ljpeg -lpng -lm -o "$2"
}

# check NAME PROTO WEIGHTS INPUT MODE BW [CONFIG] [SWCONFIG]
check() {
  local name=$1 proto=$2 weights=$3 input=$4 mode=$5 bw=$6 cfg=${7:-} swcfg=${8:-}
  local d=$T/$name.$mode$bw extra="" cfgopt=""
  ncase=$((ncase + 1))
  mkdir -p "$d/cal"
  cp "$input" "$d/cal/input.npy"
  [ "$mode" = DynamicFixed ] && extra="--fl_bitwidths auto"
  [ -n "$cfg" ] && cfgopt="--config $cfg"
  # shellcheck disable=SC2086
  if ! "$CHAICC" quantize --deploy_model "$proto" --weights "$weights" --quantized_deploy_model "$d/q.prototxt" \
      --calibration_directory "$d/cal" --calibration_size 1 --quant_type "$mode" --bitwidths "$bw,$bw,$bw" $extra \
      >"$d/quant.log" 2>&1; then
    echo "FAIL $name $mode $bw: quantize"; tail -5 "$d/quant.log"; fail=1; return
  fi
  # shellcheck disable=SC2086
  if ! "$CHAICC" compile "$d/q.prototxt" "$weights" -o "$d/proj" --target all --tb-input "$input" $cfgopt \
      >"$d/compile.log" 2>&1; then
    echo "FAIL $name $mode $bw: compile"; tail -5 "$d/compile.log"; fail=1; return
  fi
  if ! build_exe "$d/proj" "$d/exe" 2>"$d/build.log"; then
    echo "FAIL $name $mode $bw: build"; head -20 "$d/build.log"; fail=1; return
  fi
  if ! "$d/exe" "$input" -o "$d/gen" >"$d/gen.log" 2>&1; then
    echo "FAIL $name $mode $bw: generated program"; tail "$d/gen.log"; fail=1; return
  fi
  if ! "$CHAICC" run "$d/q.prototxt" "$weights" --input "$input" -o "$d/ref" >"$d/ref.log" 2>&1; then
    echo "FAIL $name $mode $bw: chaicc run"; tail -5 "$d/ref.log"; fail=1; return
  fi
  if ! "$CHAICC" compare "$d/ref" "$d/gen" --rtol 0 >"$d/cmp.log" 2>&1; then
    echo "FAIL $name $mode $bw: outputs are not bit-identical to chaicc run"; grep -v '^ok' "$d/cmp.log" | head -5; fail=1; return
  fi
  # the all-software program (--target c): runtime kernels, no hls/
  # shellcheck disable=SC2086
  if ! "$CHAICC" compile "$d/q.prototxt" "$weights" -o "$d/cproj" --target c $cfgopt >"$d/ccompile.log" 2>&1 ||
     ! build_exe "$d/cproj" "$d/cexe" 2>"$d/cbuild.log" || ! "$d/cexe" "$input" -o "$d/cgen" >"$d/cgen.log" 2>&1; then
    echo "FAIL $name $mode $bw: --target c program"; tail -5 "$d/ccompile.log" "$d/cbuild.log" "$d/cgen.log"; fail=1; return
  fi
  if [ -d "$d/cproj/hls" ]; then
    echo "FAIL $name $mode $bw: --target c wrote hls/"; fail=1; return
  fi
  if ! "$CHAICC" compare "$d/ref" "$d/cgen" --rtol 0 >"$d/ccmp.log" 2>&1 ||
     ! "$CHAICC" compare "$d/gen" "$d/cgen" --rtol 0 >>"$d/ccmp.log" 2>&1; then
    echo "FAIL $name $mode $bw: --target c program not bit-identical to --target all / chaicc run"; grep -v '^ok' "$d/ccmp.log" | head -5; fail=1; return
  fi
  local H=$d/proj/hls nseg=0 s k base srcs
  srcs=$(cd "$H" && ls ./*_seg*.c ./*_swfx.c ./chai_fx.h ./*_hw.h 2>/dev/null | grep -v '/tb_')
  # shellcheck disable=SC2086
  if ! (cd "$H" && python3 "$ROOT/tests/hls_check.py" $srcs) >"$d/check.log" 2>&1; then
    echo "FAIL $name $mode $bw: outside the synthesizable subset"; head "$d/check.log"; fail=1; return
  fi
  for s in $(cd "$H" && ls ./*_seg*.c 2>/dev/null | grep -v '/tb_'); do
    s=${s#./}; k=${s%.c}; k=${k##*_seg}; base=${s%_seg*.c}
    if ! (cd "$H" && gcc -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas -O1 -I. "$s" "tb_${base}_seg$k.c" -o "tb$k") \
        >"$d/tb$k.build" 2>&1; then
      echo "FAIL $name $mode $bw: testbench $k does not compile cleanly"; head "$d/tb$k.build"; fail=1; return
    fi
    if ! (cd "$H" && "./tb$k" "${base}_hw_weights.bin") >"$d/tb$k.log" 2>&1; then
      echo "FAIL $name $mode $bw: testbench $k"; cat "$d/tb$k.log"; fail=1; return
    fi
    nseg=$((nseg + 1))
  done
  if [ $have_tcl = 1 ] && ! tclsh "$ROOT/tests/hls_fixture.tcl" "$H/run_hls.tcl" >"$d/tcl.log" 2>&1; then
    echo "FAIL $name $mode $bw: run_hls.tcl under the fixture"; tail -3 "$d/tcl.log"; fail=1; return
  fi
  local note=""
  [ -f "$H/"*_hw_weights.bin ] 2>/dev/null && note=", AXI weights"
  if [ -n "$swcfg" ]; then
    if ! "$CHAICC" compile "$d/q.prototxt" "$weights" -o "$d/swproj" --config "$swcfg" >"$d/sw.log" 2>&1 ||
       ! build_exe "$d/swproj" "$d/swexe" 2>>"$d/sw.log" || ! "$d/swexe" "$input" -o "$d/swgen" >>"$d/sw.log" 2>&1; then
      echo "FAIL $name $mode $bw: all-software build"; tail -5 "$d/sw.log"; fail=1; return
    fi
    if ls "$d/swproj/hls/"*_seg*.c >/dev/null 2>&1; then
      echo "FAIL $name $mode $bw: default: sw still made hardware segments"; fail=1; return
    fi
    if ! "$CHAICC" compare "$d/gen" "$d/swgen" --rtol 0 >"$d/swcmp.log" 2>&1; then
      echo "FAIL $name $mode $bw: hardware-segment and all-software programs differ"; grep -v '^ok' "$d/swcmp.log" | head -5; fail=1; return
    fi
    note="$note, = all-software program"
  fi
  printf 'ok   %-26s %-12s %d-bit: c == all == run bit-identical (%d outputs), %d segment testbenches PASS%s\n' \
    "$name" "$mode" "$bw" "$(grep -c '^ok' "$d/cmp.log")" "$nseg" "$note"
  rm -rf "$d/proj/build" "$d"/swproj "$d/exe" "$d/swexe" "$d/cproj" "$d/cexe"
}

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
