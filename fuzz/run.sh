#!/usr/bin/env bash
# run.sh [-B BUILD_DIR] [-o WORK_DIR] [-runs N] [-time SECONDS] [-seed S] [-fresh]
#        [-jobs J] [TARGET...]
#
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang, ASan and UBSan
# into BUILD_DIR/fuzz (fuzz/Makefile; shared by every WORK_DIR), regenerates their seed corpora
# (fuzz/corpus.sh) and runs each target for N executions or SECONDS of
# wall time, then prints one line per target with its execution count.
# Targets default to all of them: textfmt caffemodel npy image load config.
#
#   BUILD_DIR  a CMake build of chaicc (for chaicc-mkmodel seeds); default build
#   -o DIR     where corpora, logs and crashes go; default BUILD_DIR/fuzz
#   -runs N    stop each target after N executions
#   -time S    stop each target after S seconds (with -runs: whichever
#              comes first; with neither: -runs 20000)
#   -seed S    libFuzzer's random seed (default: time-based)
#   -fresh     start from the seeds only (drop the kept corpus)
#   -jobs J    run J targets at once (default 1)
#
# Inputs that libFuzzer finds interesting are kept in WORK_DIR/corpus
# (seeds are merged in again each run); a crash is written to
# WORK_DIR/artifacts/<target>-crash-* (or -timeout-, -leak-, -oom-) and
# the run exits 1.  Logs are in
# WORK_DIR/log/<target>.log.  Exit 77 if clang or libFuzzer is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build F= RUNS= TIME= SEED= FRESH=0 JOBS=1 TARGETS=()
while [ $# -gt 0 ]; do
  case $1 in
    -B) B=$2; shift 2 ;;
    -o) F=$2; shift 2 ;;
    -runs) RUNS=$2; shift 2 ;;
    -seed) SEED=$2; shift 2 ;;
    -fresh) FRESH=1; shift ;;
    -time) TIME=$2; shift 2 ;;
    -jobs) JOBS=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(textfmt caffemodel npy image load config)
F=${F:-$B/fuzz}
BIN=$(cd "$B" 2>/dev/null && pwd)/fuzz || { echo "run.sh: no build dir $B"; exit 1; }
[ -n "$RUNS$TIME" ] || RUNS=20000

if ! command -v clang >/dev/null; then
  echo "run.sh: clang not found (apt-get install clang): fuzzing skipped"; exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     clang -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "run.sh: clang cannot link libFuzzer (-fsanitize=fuzzer): fuzzing skipped"; exit 77
fi
mkdir -p "$F/log" "$BIN"
# flock: concurrent runs (ctest on two build types, a long run) share $BIN
if ! flock "$BIN/.lock" make -s -f fuzz/Makefile O="$BIN" -j"$(nproc)" > "$F/log/build.log" 2>&1; then
  cat "$F/log/build.log"; echo "run.sh: building the fuzz targets failed"; exit 1
fi
rm -rf "$F/seeds"
[ "$FRESH" = 1 ] && rm -rf "$F/corpus"
bash fuzz/corpus.sh "$B" "$F/seeds" > "$F/log/corpus.log" 2>&1 ||
  { rc=$?; tail -n 20 "$F/log/corpus.log"; echo "run.sh: corpus.sh failed (exit $rc)"; exit 1; }

declare -A MAXLEN=([textfmt]=65536 [load]=65536 [caffemodel]=65536 [npy]=16384 [image]=65536 [config]=8192)
run_one() {
  local t=$1 bin=$BIN/fuzz_$t
  [ -x "$bin" ] || { echo "$t: no binary $bin"; return 1; }
  mkdir -p "$F/corpus/$t" "$F/artifacts"
  local lim=()
  [ -n "$RUNS" ] && lim+=(-runs="$RUNS")
  [ -n "$TIME" ] && lim+=(-max_total_time="$TIME")
  [ -n "$SEED" ] && lim+=(-seed="$SEED")
  # -timeout: one input taking > 10 s is a hang; -rss_limit_mb: a leak or
  # an unchecked size; detect_leaks: LeakSanitizer after every input.
  (cd "$F" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "corpus/$t" "seeds/$t" "${lim[@]}" -max_len="${MAXLEN[$t]}" \
      -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t-" > "log/$t.log" 2>&1)
  local rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$F/log/$t.log" | tail -1)
  local cov
  cov=$(grep -o 'cov: [0-9]*' "$F/log/$t.log" | tail -1)
  if [ $rc = 0 ]; then
    printf '%-10s ok    %10s execs  %s  corpus %s\n' "$t" "${execs:-?}" "$cov" "$(ls "$F/corpus/$t" | wc -l)"
  else
    printf '%-10s FAIL  %10s execs  exit %d, see %s\n' "$t" "${execs:-?}" $rc "$F/log/$t.log"
    grep -m5 -E 'ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$F/log/$t.log" | sed 's/^/    /'
    return 1
  fi
}

fail=0
rm -f "$F"/log/*.failed
for t in "${TARGETS[@]}"; do
  if [ "$JOBS" -le 1 ]; then
    run_one "$t" || fail=1
  else
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    (run_one "$t" || touch "$F/log/$t.failed") &
  fi
done
wait
ls "$F"/log/*.failed >/dev/null 2>&1 && fail=1
exit $fail
