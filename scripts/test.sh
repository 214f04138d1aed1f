#!/usr/bin/env bash
# test.sh - sets up, builds and runs the whole test suite twice: a normal
# build (build/) and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/).  Tests that need ../shared skip with a message when it is
# absent.  Exit status is non-zero if any test fails.  The second pass
# leaves out guide and fuzz_smoke: both ignore BUILD_DIR and build their own
# binaries (guide an unsanitized scratch tree, fuzz_smoke clang+ASan fuzzers
# run with a fixed seed), so a second run would repeat the first exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
(cd build && ctest --output-on-failure -j"$(nproc)")
if [ "${CHAI_SKIP_ASAN:-0}" != 1 ]; then
  bash scripts/setup.sh build-asan -DCHAI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$(nproc)" \
    -E '^(guide|fuzz_smoke)$')
fi
