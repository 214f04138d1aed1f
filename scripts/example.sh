#!/usr/bin/env bash
# example.sh - sets up, builds chaicc, and runs the bundled example
# (examples/color: a hand-made dominant-colour classifier) on three images
# it draws itself: each line should name the colour of its image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
O=build/example
mkdir -p $O
build/chaicc-mkmodel --from-text examples/color/weights.txt -o $O/colornet.caffemodel
build/chaicc-mkppm 200,60,50 $O/red.ppm
build/chaicc-mkppm 40,180,70 $O/green.ppm
build/chaicc-mkppm 30,60,190 $O/blue.ppm
for c in red green blue; do
  top=$(build/chaicc run examples/color/deploy.prototxt $O/colornet.caffemodel \
          --input $O/$c.ppm --dims 3,32,32 --top 1 | sed -n 's/.*top-1: \([0-9]*\).*/\1/p')
  echo "$c.ppm -> $(sed -n "$((top + 1))p" examples/color/labels.txt)"
done
