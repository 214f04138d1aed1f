#!/usr/bin/env bash
# corrupt_models.sh BUILD_DIR - corrupts every shared model (../shared/models)
# in deterministic, seeded ways and checks that `chaicc info DEPLOY WEIGHTS`
# never crashes, hangs or trips a sanitizer on the result:
#   prototxt:   truncations, bit flips, swapped and duplicated byte ranges,
#               swapped lines;
#   caffemodel: truncations (densely in the first bytes, then spread out),
#               bit flips (mostly in the first 4 KiB, where the structure
#               is), swapped and duplicated byte ranges.
# Each run must either fail cleanly (exit 1, at least one "error:" line,
# every diagnostic line located: "FILE[:LINE:COL]: error|warning|note: ")
# or succeed: a corrupted caffemodel may load only when the result is the
# one of the intact files (the bytes changed were weight values or fields
# nobody reads); a corrupted prototxt may load (a flipped comment or name,
# a cut at a layer boundary are still valid networks) and is counted.
# Failing variants are kept in BUILD_DIR/corrupt-fail/ to reproduce.
# CHAI_CORRUPT_N (default 36, about 190 variants per model) scales the number of variants per kind.
# Skips (exit 0) when ../shared is absent.
set -u
B=${1:-build}
C=$B/chaicc
S=../shared/models
[ -d "$S" ] || { echo "SKIP: $S not found"; exit 0; }
[ -x "$C" ] || { echo "no $C"; exit 1; }
N=${CHAI_CORRUPT_N:-36}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$C" "$T/chaicc" && C=$T/chaicc # immune to a concurrent rebuild
KEEP=$B/corrupt-fail
rm -rf "$KEEP"
pass=0 fail=0 ok_pt=0 ok_cm=0 total=0

# deterministic PRNG (64-bit LCG, same numbers with every bash version)
seed=1
rnd() { # rnd N -> R in [0, N)
  seed=$(( seed * 6364136223846793005 + 1442695040888963407 ))
  R=$(( ((seed >> 33) & 0x7fffffff) % $1 ))
}
slice() { tail -c +$(( $2 + 1 )) "$1" | head -c "$3"; } # FILE OFF LEN
truncate_to() { head -c "$2" "$1" > "$3"; }            # IN K OUT
flip() { # IN POS BIT OUT
  cp "$1" "$4"
  local v
  v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\x$(printf %02x $(( v ^ (1 << $3) )))" | dd of="$4" bs=1 seek="$2" conv=notrunc status=none
}
swap() { # IN A C L OUT (A+L <= C)
  { head -c "$2" "$1"; slice "$1" "$3" "$4"; slice "$1" $(( $2 + $4 )) $(( $3 - $2 - $4 ))
    slice "$1" "$2" "$4"; tail -c +$(( $3 + $4 + 1 )) "$1"; } > "$5"
}
dup() { # IN A L OUT: bytes [A, A+L) twice
  { head -c $(( $2 + $3 )) "$1"; slice "$1" "$2" "$3"; tail -c +$(( $2 + $3 + 1 )) "$1"; } > "$4"
}
swap_lines() { # IN I J OUT (1-based, I < J)
  awk -v i="$2" -v j="$3" '{ l[NR] = $0 } END { t = l[i]; l[i] = l[j]; l[j] = t;
    for (k = 1; k <= NR; k++) print l[k] }' "$1" > "$4"
}

# check WHAT PROTOTXT WEIGHTS BADFILE REF_STDOUT
check() {
  local what=$1 pt=$2 w=$3 bad=$4 ref=$5
  total=$((total + 1))
  timeout 20 "$C" info "$pt" "$w" > "$T/out" 2> "$T/err"
  local rc=$? why=
  if [ $rc -ge 124 ]; then
    why="exit $rc (signal, timeout or crash)"
  elif grep -qE 'Sanitizer|runtime error|^SUMMARY|Assertion' "$T/err"; then
    why="sanitizer report"
  elif [ $rc = 0 ]; then
    if [ "$bad" = "$w" ]; then
      if cmp -s "$T/out" "$ref"; then ok_cm=$((ok_cm + 1)); else why="corrupted caffemodel accepted with a different result"; fi
    else
      ok_pt=$((ok_pt + 1))
    fi
  elif [ $rc != 1 ]; then
    why="exit $rc, want 1"
  elif ! grep -q 'error: ' "$T/err"; then
    why="exit 1 without an error: line"
  elif grep -vqE '^[^ ].*: (error|warning|note): ' "$T/err"; then
    why="unlocated or malformed diagnostic: $(grep -vE '^[^ ].*: (error|warning|note): ' "$T/err" | head -n 1)"
  fi
  if [ -n "$why" ]; then
    fail=$((fail + 1))
    mkdir -p "$KEEP"
    local k
    k=$KEEP/$fail-$(basename "$bad")
    cp "$bad" "$k"
    echo "FAIL $what: $why (kept as $k)"
    head -n 5 "$T/err" | sed 's/^/    /'
  else
    pass=$((pass + 1))
  fi
}

for d in "$S"/*/; do
  m=$(basename "$d")
  pt=$d/deploy.prototxt w=$d/weights.caffemodel
  [ -f "$pt" ] && [ -f "$w" ] || continue
  seed=$(( $(printf %s "$m" | cksum | cut -d' ' -f1) ))
  "$C" info "$pt" "$w" > "$T/ref" 2>/dev/null || { echo "FAIL $m: the intact model does not load"; fail=$((fail + 1)); continue; }
  P=$T/$m.prototxt W=$T/$m.caffemodel
  ps=$(stat -c %s "$pt") ws=$(stat -c %s "$w")
  nl=$(wc -l < "$pt")
  for ((i = 0; i < N; i++)); do # truncations
    rnd "$ps"; truncate_to "$pt" "$R" "$P"; check "$m prototxt cut at $R" "$P" "$w" "$P" "$T/ref"
    if ((i < N / 2)); then rnd 256; else rnd "$ws"; fi
    truncate_to "$w" "$R" "$W"; check "$m caffemodel cut at $R" "$pt" "$W" "$W" "$T/ref"
  done
  truncate_to "$w" $((ws - 1)) "$W"; check "$m caffemodel cut at $((ws - 1))" "$pt" "$W" "$W" "$T/ref"
  for ((i = 0; i < N; i++)); do # bit flips
    rnd "$ps"; p=$R; rnd 8; flip "$pt" "$p" "$R" "$P"; check "$m prototxt bit $R of byte $p" "$P" "$w" "$P" "$T/ref"
    if ((i % 4)); then rnd $(( ws < 4096 ? ws : 4096 )); else rnd "$ws"; fi
    p=$R; rnd 8; flip "$w" "$p" "$R" "$W"; check "$m caffemodel bit $R of byte $p" "$pt" "$W" "$W" "$T/ref"
  done
  for ((i = 0; i < N / 4; i++)); do # swapped and duplicated ranges, swapped lines
    rnd 16; L=$((R + 1)); rnd $((ps - 2 * L)); a=$R; rnd $((ps - 2 * L - a)); c=$((a + L + R))
    swap "$pt" "$a" "$c" "$L" "$P"; check "$m prototxt swap $a/$c len $L" "$P" "$w" "$P" "$T/ref"
    rnd 64; L=$((R + 1)); rnd 4096; a=$R; rnd $((ws - a - 2 * L)); c=$((a + L + R))
    swap "$w" "$a" "$c" "$L" "$W"; check "$m caffemodel swap $a/$c len $L" "$pt" "$W" "$W" "$T/ref"
    rnd 40; L=$((R + 1)); rnd $((ps - L)); dup "$pt" "$R" "$L" "$P"; check "$m prototxt dup $R len $L" "$P" "$w" "$P" "$T/ref"
    rnd 40; L=$((R + 1)); rnd $((ws - L)); dup "$w" "$R" "$L" "$W"; check "$m caffemodel dup $R len $L" "$pt" "$W" "$W" "$T/ref"
    rnd $((nl - 1)); a=$((R + 1)); rnd $((nl - a)); c=$((a + 1 + R))
    swap_lines "$pt" "$a" "$c" "$P"; check "$m prototxt lines $a<->$c" "$P" "$w" "$P" "$T/ref"
  done
done
echo "$total variants: $pass passed ($ok_pt corrupted prototxts and $ok_cm corrupted caffemodels still loaded), $fail failed"
[ "$fail" = 0 ]
