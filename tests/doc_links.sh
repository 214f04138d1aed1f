#!/usr/bin/env bash
# doc_links.sh [BUILD_DIR] - the documentation's cross references resolve
# (tests/doc_links.py): every relative markdown link of docs/*.md and
# README.md reaches an existing file and heading anchor, and every quoted
# section reference (docs/hls.md "Shared engine") in the docs, sources,
# templates, tests, bench and scripts names an existing section.
# BUILD_DIR is unused; ctest passes it to every test.
set -uo pipefail
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 0; }
exec python3 "$(cd "$(dirname "$0")/.." && pwd)/tests/doc_links.py"
