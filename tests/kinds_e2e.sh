#!/bin/bash
# kinds_e2e.sh BUILD_DIR - every layer kind's synthetic test nets,
# tests/kinds/*.prototxt, end to end.  Each net (deploy form, one Input,
# random weights from `chaicc-mkmodel --seed 1`, a deterministic random
# input) goes through:
#   1. float: `chaicc run -o` against an independent reference chosen by
#      the net's `# ref:` line (tests/kinds_ref.py): `opencv` (OpenCV's
#      dnn module, 1e-4 of the largest |value|) or `numpy`
#      (tests/kinds/<net>.py); skipped with a message when the reference
#      tool (python3-opencv / numpy) is missing;
#   2. float C: `chaicc compile`, built with gcc, run; its outputs equal
#      `chaicc run --passes -o` within 1e-5 relative (`chaicc compare`);
#   3. fixed point, for each MODE:BITS of the net's `# quant:` line
#      (default `Xilinx:8 DynamicFixed:8`; `none` for a float-only kind): quantize, compile --target all
#      and --target c, build, run, bit-identical to `chaicc run` on the
#      CHai prototxt, HLS testbenches clean and passing
#      (tests/lib/quant.sh check).
# Optional directive `# quantize-flags: F` adds quantize flags F (tests/lib/quant.sh
# QFLAGS_EXTRA). Optional directive `# input-range: R` sets the input's value range
# [-R, R) (default 2; e.g. Log needs positive values: `# input-offset:`
# is not supported, use a layer such as AbsVal/Power before it).
# CHAI_KINDS=glob limits the nets (e.g. CHAI_KINDS='act_*').
# Runs from the repository root.
set -u
# setup (CHAICC, MKMODEL, ROOT, T, counters) and make_npy, build_exe, check:
# shellcheck source=tests/lib/quant.sh
. tests/lib/quant.sh "${1:-build}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

directive() { # FILE KEY: the value of the first "# KEY: value" line
  sed -n "s/^[[:space:]]*#[[:space:]]*$2:[[:space:]]*//p" "$1" | head -n 1
}

nets=$(ls tests/kinds/${CHAI_KINDS:-*}.prototxt 2>/dev/null)
[ -n "$nets" ] || { echo "FAIL: no nets in tests/kinds/"; exit 1; }
nskip=0
for p in $nets; do
  n=$(basename "$p" .prototxt)
  d=$T/$n
  mkdir -p "$d"
  if ! "$MKMODEL" "$p" -o "$d/w.caffemodel" --seed 1 >"$d/mk.log" 2>&1; then
    echo "FAIL $n: chaicc-mkmodel"; tail -3 "$d/mk.log"; fail=1; continue
  fi
  shape=$("$CHAICC" info "$p" | sed -n 's/^input  [^ ]* //p' | head -n 1)
  [ -n "$shape" ] || { echo "FAIL $n: no input shape from chaicc info"; fail=1; continue; }
  range=$(directive "$p" input-range); range=${range:-2}
  python3 tests/npy_rand.py "$d/x.npy" "$shape" 7 "$range"
  # 1. float against the reference
  if ! "$CHAICC" run "$p" "$d/w.caffemodel" --input "$d/x.npy" -o "$d/f" >"$d/run.log" 2>&1; then
    echo "FAIL $n: chaicc run"; tail -3 "$d/run.log"; fail=1; continue
  fi
  "$PY" tests/kinds_ref.py "$p" "$d/w.caffemodel" "$d/x.npy" "$d/f" >"$d/ref.log" 2>&1
  rc=$?
  case $rc in
    0) sed "s/^/     $n: /" "$d/ref.log" ;;
    77) nskip=$((nskip + 1)); echo "skip $n float reference: $(head -n 1 "$d/ref.log")" ;;
    *) echo "FAIL $n: float outputs against the $(directive "$p" ref) reference"; sed 's/^/    /' "$d/ref.log"; fail=1 ;;
  esac
  # 2. the float C program against `chaicc run --passes`
  if ! "$CHAICC" run "$p" "$d/w.caffemodel" --input "$d/x.npy" --passes -o "$d/fp" >"$d/runp.log" 2>&1 ||
     ! "$CHAICC" compile "$p" "$d/w.caffemodel" -o "$d/fproj" >"$d/fcomp.log" 2>&1 ||
     ! build_exe "$d/fproj" "$d/fexe" 2>"$d/fbuild.log" ||
     ! "$d/fexe" "$d/x.npy" -o "$d/fgen" >"$d/fgen.log" 2>&1; then
    echo "FAIL $n: float C program"; tail -n 3 "$d/runp.log" "$d/fcomp.log" "$d/fbuild.log" "$d/fgen.log"; fail=1
  elif ! "$CHAICC" compare "$d/fp" "$d/fgen" --rtol 1e-5 >"$d/fcmp.log" 2>&1; then
    echo "FAIL $n: float C program differs from chaicc run --passes"; grep -v '^ok' "$d/fcmp.log" | head -5; fail=1
  else
    echo "ok   $n: float C program == chaicc run --passes (1e-5)"
  fi
  # 3. fixed point
  modes=$(directive "$p" quant); modes=${modes:-Xilinx:8 DynamicFixed:8}
  [ "$modes" = none ] && { echo "     $n: no fixed point ('# quant: none')"; modes=; }
  QFLAGS_EXTRA=$(directive "$p" quantize-flags) # e.g. --equalize on
  for mb in $modes; do
    check "$n" "$p" "$d/w.caffemodel" "$d/x.npy" "${mb%:*}" "${mb#*:}"
  done
  rm -rf "$d/fproj" "$d/fexe"
done
echo "kinds_e2e: $(echo "$nets" | wc -w) nets, $ncase fixed-point cases, $nskip float references skipped"
exit $fail
