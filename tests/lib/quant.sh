# tests/lib/quant.sh - the fixed-point end-to-end check shared by
# tests/test_compile_quant.sh and tests/kinds_e2e.sh (sourced, not run).
# Sourced from the repository root with the build directory as its
# argument (`. tests/lib/quant.sh BUILD_DIR`), it sets up what the checks
# use: CHAICC, MKMODEL, ROOT (the repository root), T (a scratch dir
# removed at exit), the counters fail=0 ncase=0, and have_tcl (1 when
# tclsh is present).
#
#   make_npy PATH SHAPE SEED       deterministic random float32 .npy
#   build_exe PROJ OUT             builds a generated project with gcc
#                                  against one runtime build per run
#   check NAME PROTO WEIGHTS INPUT MODE BW [CONFIG] [SWCONFIG]
#       quantize (calibrated on INPUT) -> compile --target all -> build ->
#       run -> bit-identical to `chaicc run` on the CHai prototxt; the
#       --target c program bit-identical to both; every HLS segment
#       testbench built with -Wall -Wextra -Werror and passing;
#       hls_check.py; run_hls.tcl under the fixture; with SWCONFIG the
#       all-software program equal to the segmented one.  Prints one
#       "ok"/"FAIL" line and sets fail=1 on failure.  QFLAGS_EXTRA: more
#       quantize flags; when quantize writes a caffemodel (--equalize,
#       --bias_correction) every later step reads that one, and `chaicc
#       run` of the CHai prototxt with the input weights must fail at its
#       weights pin (docs/quantization.md), and so must its `chaicc
#       deploy` form, which keeps the pin.
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

# proj_name PROJ: the generated project's program (and net source) name
proj_name() { sed -n 's/^project(\([^ ]*\) .*/\1/p' "$1/CMakeLists.txt"; }

# The runtime is the same for every project: built once.
RTLIB=$T/rt/librt.a
build_exe() { # PROJ OUT
  local P=$1 exe defs srcs
  if [ ! -f "$RTLIB" ]; then
    mkdir -p "$T/rt"
    (cd "$T/rt" && gcc -O2 -w -c -D_DEFAULT_SOURCE -I"$P/runtime" "$P"/runtime/*.c "$P"/runtime/x86/*.c && ar rcs librt.a ./*.o) || return 1
  fi
  exe=$(proj_name "$P")
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
      --calibration_directory "$d/cal" --calibration_size 1 --quant_type "$mode" --bitwidths "$bw,$bw,$bw" $extra ${QFLAGS_EXTRA:-} \
      >"$d/quant.log" 2>&1; then
    echo "FAIL $name $mode $bw: quantize"; tail -5 "$d/quant.log"; fail=1; return
  fi
  if [ -f "$d/q.caffemodel" ]; then
    # the pin: the CHai prototxt refuses the weights quantize started from
    if "$CHAICC" run "$d/q.prototxt" "$weights" --input "$input" >"$d/pin.log" 2>&1 ||
       ! grep -q "q.prototxt:3:1: error: these thresholds are for the weights chaicc quantize wrote to '$d/q.caffemodel'.*the caffemodel quantize started from" "$d/pin.log"; then
      echo "FAIL $name $mode $bw: the CHai prototxt ran with the input weights, not refused at its pin"; tail -3 "$d/pin.log"; fail=1; return
    fi
    # `chaicc deploy` keeps the pin (line 3 of its output, after its own two comment lines)
    if ! "$CHAICC" deploy "$d/q.prototxt" -o "$d/qd.prototxt" >"$d/deploy.log" 2>&1 ||
       "$CHAICC" run "$d/qd.prototxt" "$weights" --input "$input" >"$d/pin2.log" 2>&1 ||
       ! grep -q "qd.prototxt:3:1: error: these thresholds are for the weights chaicc quantize wrote" "$d/pin2.log"; then
      echo "FAIL $name $mode $bw: the deploy form of the CHai prototxt lost its weights pin"; tail -3 "$d/deploy.log" "$d/pin2.log"; fail=1; return
    fi
    if ! "$CHAICC" run "$d/qd.prototxt" "$d/q.caffemodel" --input "$input" >"$d/pin3.log" 2>&1; then
      echo "FAIL $name $mode $bw: the deploy form refuses the weights it is pinned to"; tail -3 "$d/pin3.log"; fail=1; return
    fi
    # quantize replaces the thresholds, so it takes the CHai prototxt with any weights
    # shellcheck disable=SC2086
    if ! "$CHAICC" quantize --deploy_model "$d/q.prototxt" --weights "$weights" --quantized_deploy_model "$d/rq.prototxt" \
        --calibration_directory "$d/cal" --calibration_size 1 --quant_type "$mode" --bitwidths "$bw,$bw,$bw" $extra \
        >"$d/requant.log" 2>&1; then
      echo "FAIL $name $mode $bw: quantize refused the pinned CHai prototxt with the input weights"; tail -3 "$d/requant.log"; fail=1; return
    fi
    weights=$d/q.caffemodel
  fi
  # shellcheck disable=SC2086
  if ! "$CHAICC" compile "$d/q.prototxt" "$weights" -o "$d/proj" --target all --tb-input "$input" $cfgopt \
      >"$d/compile.log" 2>&1; then
    echo "FAIL $name $mode $bw: compile"; tail -5 "$d/compile.log"; fail=1; return
  fi
  # the provenance header hashes the weights given (the pinned ones: hashed once, for the pin)
  local net
  net=$(proj_name "$d/proj")
  if ! grep -A1 "^ \* caffemodel: $weights\$" "$d/proj/$net.c" | grep -q "^ \*   sha256 $(sha256sum <"$weights" | cut -c1-64)\$"; then
    echo "FAIL $name $mode $bw: the provenance header does not give the sha256 of $weights"; head -8 "$d/proj/$net.c"; fail=1; return
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
