#!/usr/bin/env python3
"""compare_refs.py DUMP_DIR REF_DIR: compares every reference .npy with the
blob of the same name that `chaicc run --dump` wrote; prints the error
relative to the largest magnitude of the reference blob.  A developer aid
(the test suite's own check is tests/test_e2e_shared.c)."""
import json, os, sys
import numpy as np

dump, ref = sys.argv[1], sys.argv[2]
man = json.load(open(os.path.join(ref, "manifest.json")))
worst = 0.0
for l in man["layers"]:
    if not l.get("file"):
        continue
    r = np.load(os.path.join(ref, l["file"]))
    p = os.path.join(dump, l["file"])
    if not os.path.exists(p):
        print(f"{l['layer']:40s} MISSING"); worst = 1e9; continue
    d = np.load(p)
    if l["type"] == "DetectionOutput":
        ok = d.shape == r.shape and np.allclose(np.sort(d.reshape(-1, 7), axis=0), np.sort(r.reshape(-1, 7), axis=0), atol=1e-4)
        print(f"{l['layer']:40s} detout {'ok' if ok else 'DIFF'} {d.shape} {r.shape}"); continue
    if d.size != r.size:
        print(f"{l['layer']:40s} SHAPE {d.shape} vs {r.shape}"); worst = 1e9; continue
    e = float(np.abs(d.reshape(-1) - r.reshape(-1)).max() / max(1e-30, np.abs(r).max()))
    worst = max(worst, e)
    print(f"{l['layer']:40s} {l['type']:16s} {e:.2e}{'  <-- BAD' if e > 1e-4 else ''}")
print("worst", worst)
