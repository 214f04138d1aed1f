#!/usr/bin/env bash
# corpus.sh BUILD_DIR OUT_DIR - writes the seed corpora of the fuzz targets
# to OUT_DIR/<target>/ (nothing binary is committed: the seeds are made here
# from fuzz/seeds/, tests/ and ../shared/, which is optional).  BUILD_DIR
# must hold chaicc-mkmodel (a normal CMake build); without it the
# caffemodel seeds are limited to ../shared's small weight files.
# Deterministic: the same tree gives the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:?usage: corpus.sh BUILD_DIR OUT_DIR}
O=${2:?usage: corpus.sh BUILD_DIR OUT_DIR}
S=../shared
MK=$B/chaicc-mkmodel
[ -x "$MK" ] || MK=
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for t in textfmt load caffemodel npy image config; do mkdir -p "$O/$t"; done

# put TARGET NAME FILE: copies FILE in as NAME (first 64 KiB only)
put() { head -c 65536 "$3" > "$O/$1/$2"; }

# ---- prototxt: hand seeds, the repo's test nets, the shared models ----
i=0
for f in fuzz/seeds/prototxt/*.prototxt tests/diag/*.prototxt tests/nets/*.prototxt \
         fuzz/seeds/cmtext/*.txt; do
  i=$((i + 1)); put textfmt "p$i-$(basename "$f")" "$f"; put load "p$i-$(basename "$f")" "$f"
done
if [ -d "$S/models" ]; then
  for d in "$S"/models/*/; do
    m=$(basename "$d")
    for f in "$d"*.prototxt; do
      put textfmt "$m-$(basename "$f")" "$f"; put load "$m-$(basename "$f")" "$f"
    done
  done
fi

# ---- caffemodels, and prototxt + caffemodel pairs for the load target ----
pair() { # NAME PROTOTXT CAFFEMODEL
  { cat "$2"; printf '\n#@@caffemodel@@\n'; cat "$3"; } | head -c 65536 > "$O/load/w-$1"
  put caffemodel "$1.caffemodel" "$3"
}
if [ -n "$MK" ]; then
  for f in tests/diag/good.prototxt tests/nets/quant_xilinx_ok.prototxt \
           fuzz/seeds/prototxt/all_kinds.prototxt fuzz/seeds/prototxt/v1.prototxt \
           fuzz/seeds/prototxt/ssd.prototxt fuzz/seeds/prototxt/syntax.prototxt; do
    n=$(basename "$f" .prototxt)
    "$MK" "$f" -o "$T/$n.caffemodel" --seed 1 >/dev/null 2>&1 && pair "$n" "$f" "$T/$n.caffemodel"
  done
  for f in fuzz/seeds/cmtext/*.txt; do
    n=$(basename "$f" .txt)
    "$MK" --from-text "$f" -o "$T/t$n.caffemodel" >/dev/null 2>&1 &&
      put caffemodel "text-$n.caffemodel" "$T/t$n.caffemodel"
  done
fi
if [ -d "$S/models" ]; then
  for d in "$S"/models/*/; do
    m=$(basename "$d")
    w=$d/weights.caffemodel
    [ -f "$w" ] || continue
    if [ "$(stat -c %s "$w")" -le 65536 ]; then
      pair "$m" "$d/deploy.prototxt" "$w"
    else
      head -c 4096 "$w" > "$O/caffemodel/$m-head.caffemodel"
    fi
  done
fi
[ -f "$S/data/cifar10/mean.binaryproto" ] && put caffemodel mean.binaryproto "$S/data/cifar10/mean.binaryproto"

# ---- .npy: one per dtype and rank, by hand, and the small shared refs ----
npy() { # NAME DESCR SHAPE BYTES(printf format) ; v1 header padded to 64
  local h="{'descr': '$2', 'fortran_order': False, 'shape': $3, }"
  while [ $(( (10 + ${#h} + 1) % 64 )) != 0 ]; do h="$h "; done
  local n=$(( ${#h} + 1 ))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8)))";
    printf '%s\n' "$h"; printf "$4"; } > "$O/npy/$1.npy"
}
npy f4 '<f4' '(2,)' '\x00\x00\x80\x3f\x00\x00\x00\xc0'
npy f8 '<f8' '(1, 1)' '\x00\x00\x00\x00\x00\x00\xf0\x3f'
npy u1 '|u1' '(2, 2)' '\x00\x01\xfe\xff'
npy i1 '|i1' '(3,)' '\x80\x00\x7f'
npy i2 '<i2' '(1,)' '\x00\x80'
npy u2 '<u2' '(1,)' '\xff\xff'
npy i4 '<i4' '()' '\x01\x00\x00\x80'
npy i8 '<i8' '(1, 1, 1, 1, 1, 1, 1, 1)' '\x01\x00\x00\x00\x00\x00\x00\x80'
npy empty '<f4' '(0, 3)' ''
if [ -d "$S/models" ]; then
  # no `| head` here: under pipefail, head exiting early kills sort with
  # SIGPIPE (exit 141) whenever sort writes more than one buffer
  mapfile -t small < <(find "$S/models" -name '*.npy' -size -16k | LC_ALL=C sort)
  for f in "${small[@]:0:40}"; do
    put npy "$(echo "${f#"$S"/models/}" | tr / _)" "$f"
  done
fi

# ---- images ----
for f in fuzz/seeds/image/*; do put image "$(basename "$f")" "$f"; done
for f in "$S"/data/cifar10/*.png "$S"/data/faces/mtcnn_test1.jpg "$S"/data/faces/mtcnn_test2.jpg \
         "$S"/data/imagenet/fish-bike.jpg; do
  [ -f "$f" ] && put image "$(basename "$f")" "$f"
done
[ -x "$B/chaicc-mkppm" ] && "$B/chaicc-mkppm" 10,200,30 "$O/image/mk.ppm" 5

# ---- YAML configs ----
for f in fuzz/seeds/yaml/*.yaml tests/*.yaml tests/*/*.yaml docs/*.yaml examples/*.yaml; do
  [ -f "$f" ] && put config "$(echo "$f" | tr / _)" "$f"
done
for t in textfmt load caffemodel npy image config; do
  printf '%s: %d seeds\n' "$t" "$(ls "$O/$t" | wc -l)"
done
