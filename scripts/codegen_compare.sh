#!/usr/bin/env bash
# codegen_compare.sh BASE_BUILD NEW_BUILD - the "no behaviour change" check
# of a refactoring: records both builds with scripts/codegen_snapshot.sh
# (every run -o output, quantized prototxt, info text, generated network
# code and HLS folder, and built program outputs, on the shared models and
# random nets) and requires the two trees to be byte-identical.
# BASE_BUILD may also be an existing snapshot directory (one holding no
# `chaicc` binary), to compare against a recorded baseline.
# Exit 0 when identical, 1 with the diff summary otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=${1:?usage: codegen_compare.sh BASE_BUILD|BASE_SNAPSHOT NEW_BUILD}
new=${2:?usage: codegen_compare.sh BASE_BUILD|BASE_SNAPSHOT NEW_BUILD}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
if [ -x "$base/chaicc" ]; then
  bash "$here/codegen_snapshot.sh" "$base" "$T/base" >/dev/null
  base=$T/base
fi
bash "$here/codegen_snapshot.sh" "$new" "$T/new" >/dev/null
if diff -r -q "$base" "$T/new" >"$T/diff"; then
  echo "identical: $(find "$T/new" -type f | wc -l) files"
else
  echo "DIFFERENT: $(wc -l <"$T/diff") entries"; head -40 "$T/diff"; exit 1
fi
