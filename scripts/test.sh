#!/usr/bin/env bash
# test.sh - sets up, builds and runs the whole test suite twice: a normal
# build (build/) and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/).  Tests that need ../shared skip with a message when it is
# absent.  Exit status is non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
(cd build && ctest --output-on-failure -j"$(nproc)")
if [ "${CHAI_SKIP_ASAN:-0}" != 1 ]; then
  bash scripts/setup.sh build-asan -DCHAI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$(nproc)")
fi
