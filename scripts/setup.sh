#!/usr/bin/env bash
# setup.sh [BUILD_DIR] [cmake options...] - installs what chaicc needs on a
# Debian 12 machine (idempotent: apt-get only runs when something is
# missing) and builds it.  Needs root (or sudo) only for the install step.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
  libyaml-dev liblua5.4-dev lua5.4 check libjpeg-dev libpng-dev zlib1g-dev
  python3 python3-numpy python3-opencv tcl clang libclang-rt-14-dev valgrind
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
B=${1:-build}
shift || true
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$B" -j"$(nproc)"
