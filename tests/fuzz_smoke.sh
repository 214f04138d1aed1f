#!/usr/bin/env bash
# fuzz_smoke.sh BUILD_DIR - a short run of every libFuzzer target (fuzz/):
# builds them with clang + ASan + UBSan (into BUILD_DIR/fuzz), starts from
# the generated seeds only, and runs each for 15000 executions or 12
# seconds, whichever comes first, with a fixed seed.  Fails on any crash,
# hang, leak or sanitizer report; the inputs and logs of a failure are
# kept in BUILD_DIR/fuzz-smoke-fail/.  Skips (exit 0 with a message) when
# clang or libFuzzer is missing (apt-get install clang).  The long runs
# are documented in docs/robustness.md.
set -u
B=${1:-build}
W=$(mktemp -d "${TMPDIR:-/tmp}/chai-fuzz-smoke.XXXXXX")
trap 'rm -rf "$W"' EXIT
bash fuzz/run.sh -B "$B" -o "$W" -runs 15000 -time 12 -seed 1
rc=$?
if [ $rc = 77 ]; then echo "SKIP: no clang/libFuzzer"; exit 0; fi
if [ $rc != 0 ]; then
  rm -rf "$B/fuzz-smoke-fail"; mkdir -p "$B/fuzz-smoke-fail"
  cp -r "$W"/log "$W"/artifacts "$B/fuzz-smoke-fail/" 2>/dev/null
  echo "fuzz_smoke: failing inputs and logs in $B/fuzz-smoke-fail/"
fi
exit $rc
