#!/bin/bash
# hls_check.sh [BUILD_DIR] - the synthesizable-subset checker
# (tests/hls_check.py) catches each violation it promises (one small file
# per rule) and accepts a clean file in the generated style.  The checker is
# run on every generated HLS source by tests/test_compile_quant.sh.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok_src='#include <stdint.h>
#define N 4
static const int8_t w[N] = {1, 2, 3, 4};
static int32_t sat(int64_t v) { return v > 127 ? 127 : v < -128 ? -128 : (int32_t)v; }
void top(int8_t *y) {
#pragma HLS INTERFACE m_axi port=y
  int32_t acc[N];
L_i: for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
    acc[i] = w[i];
  L_j: for (int j = 0; j < 3; j++) acc[i] += j; /* while (1) in a comment is fine */
    y[i] = (int8_t)sat(acc[i]);
  }
}'
printf '%s\n' "$ok_src" >"$T/ok.c"
if python3 tests/hls_check.py "$T/ok.c" >"$T/ok.log"; then
  echo "ok   clean file accepted"
else
  echo "FAIL clean file rejected"; cat "$T/ok.log"; fail=1
fi
# bad RULE SNIPPET: the snippet (a function body line) must be rejected
# with RULE.
bad() {
  local rule=$1 body=$2 f=$T/bad_$1_$RANDOM.c
  printf '#include <stdint.h>\n#include <stdlib.h>\n%s\n' "$body" >"$f"
  if python3 tests/hls_check.py "$f" >"$f.log"; then
    echo "FAIL $rule: not caught: $body"; fail=1
  elif ! grep -q ": $rule: " "$f.log"; then
    echo "FAIL $rule: caught as something else:"; cat "$f.log"; fail=1
  else
    echo "ok   $rule caught ($(grep ": $rule: " "$f.log" | head -1 | cut -d: -f3-))"
  fi
}
bad alloc 'void f(void) { int8_t *p = malloc(4); (void)p; }'
bad alloc 'void f(int8_t *p) { free(p); }'
bad alloc 'void f(void) { int8_t *p = calloc(4, 1); (void)p; }'
bad recursion 'int f(int n) { return n ? f(n - 1) : 0; }'
bad fptr 'static int g(int a) { return a; }
int f(int a) { int (*p)(int) = g; return p(a); }'
bad fptr 'typedef void (*cb_t)(int8_t *);'
bad float 'void f(int8_t *y) { float s = 0.5f; y[0] = (int8_t)s; }'
bad float 'void f(int8_t *y) { double s = 0.5; y[0] = (int8_t)s; }'
bad label 'void f(int8_t *y) { for (int i = 0; i < 4; i++) y[i] = 0; }'
bad label 'void f(int8_t *y) { int i = 0; while (i < 4) y[i++] = 0; }'
bad label 'void f(int8_t *y) { int i = 0; do { y[i++] = 0; } while (i < 4); }'
bad bounds 'void f(int8_t *y, int n) {
L: for (int i = 0; i < n; i++) y[i] = 0;
}'
bad bounds 'void f(int8_t *y) {
L: for (int i = 0; y[i] != 0; i++) y[i] = 1;
}'
bad vla 'void f(int8_t *y, int n) { int8_t t[n]; t[0] = 1; y[0] = t[0]; }'
bad vla 'void f(int8_t *y, int n) { int32_t acc[n * 2]; acc[0] = 0; y[0] = (int8_t)acc[0]; }'
bad ii 'static const int8_t w[64] = {0};
void f(const int8_t *x, int8_t *y) {
L_i: for (int i = 0; i < 8; i++) {
#pragma HLS PIPELINE II=1
  int32_t a = 0;
  L_k: for (int k = 0; k < 8; k++) a += x[k] * w[i * 8 + k];
  y[i] = (int8_t)a;
}
}'
bad burst 'void f(const int8_t *x, int8_t *y) {
L_c: for (int c = 0; c < 8; c++) {
#pragma HLS PIPELINE II=1
  y[c] = x[c * 64];
}
}'
exit $fail
