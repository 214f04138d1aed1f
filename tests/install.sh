#!/bin/bash
# install.sh BUILD_DIR - `cmake --install BUILD --prefix P` installs
# libchai_rt.a, the runtime headers under P/include/chaicc/, the pkg-config
# file chaicc-runtime.pc and the tools (chaicc, chaicc-mkmodel,
# chaicc-mkppm); a small C program builds against the installed runtime
# with `pkg-config --cflags --libs chaicc-runtime` and runs a kernel.
set -u
B=$(cd "${1:-build}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
if ! cmake --install "$B" --prefix "$T/p" >"$T/install.log" 2>&1; then
  echo "FAIL cmake --install"; cat "$T/install.log"; exit 1
fi
LIBDIR=$(ls -d "$T"/p/lib*/pkgconfig | head -1)
LIBDIR=${LIBDIR%/pkgconfig}
for f in "$LIBDIR/libchai_rt.a" "$LIBDIR/pkgconfig/chaicc-runtime.pc" \
         "$T/p/include/chaicc/rt_tensor.h" "$T/p/include/chaicc/rt_layers.h" \
         "$T/p/include/chaicc/rt_npy.h" "$T/p/bin/chaicc" "$T/p/bin/chaicc-mkmodel"; do
  [ -e "$f" ] || { echo "FAIL not installed: ${f#$T/p/}"; fail=1; }
done
"$T/p/bin/chaicc" --help >/dev/null 2>&1 || "$T/p/bin/chaicc" help >/dev/null 2>&1 ||
  { echo "FAIL installed chaicc does not run"; fail=1; }
cat >"$T/prog.c" <<'C'
#include <stdio.h>
#include <rt_layers.h>
#include <rt_npy.h>

int main(int argc, char **argv) {
  float in[4] = {-1.0f, 2.0f, -3.0f, 4.0f}, out[4];
  rt_tensor b = {{2, {1, 4}}, in}, t = {{2, {1, 4}}, out};
  rt_relu_param p = {.negative_slope = 0.5f};
  rt_args a = {1, 1, 0, &b, &t, NULL, NULL, 0};
  rt_relu_f32(&p, &a);
  char err[256];
  int64_t d[2] = {1, 4};
  if (argc > 1 && rt_npy_write(argv[1], "<f4", out, 2, d, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  printf("%g %g %g %g\n", out[0], out[1], out[2], out[3]);
  return 0;
}
C
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
if ! flags=$(pkg-config --cflags --libs chaicc-runtime); then
  echo "FAIL pkg-config chaicc-runtime"; exit 1
fi
# a sanitizer build installs an instrumented library: link the program likewise
san=""
grep -q '^CHAI_SANITIZE:BOOL=ON' "$B/CMakeCache.txt" 2>/dev/null && san="-fsanitize=address,undefined"
if ! cc -std=c11 -Wall -Wextra -Werror $san "$T/prog.c" -o "$T/prog" $flags 2>"$T/cc.log"; then
  echo "FAIL building against the installed runtime ($flags)"; cat "$T/cc.log"; exit 1
fi
out=$("$T/prog" "$T/x.npy")
if [ "$out" = "-0.5 2 -1.5 4" ] && [ -s "$T/x.npy" ]; then
  echo "ok   program built with pkg-config --cflags --libs chaicc-runtime runs: $out"
else
  echo "FAIL program output '$out'"; fail=1
fi
[ $fail = 0 ] && echo "ok   installed: lib, include/chaicc, pkg-config, bin"
exit $fail
