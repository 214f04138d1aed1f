#!/usr/bin/env python3
"""npy_rand.py PATH SHAPE SEED [R] - writes a float32 .npy of shape SHAPE
(dims joined by 'x', e.g. 1x3x32x32) holding uniform values in [-R, R)
(R = 2 by default)
from a linear congruential generator seeded with SEED: the same bytes on
every machine, without numpy.  Used by the end-to-end tests and
scripts/codegen_snapshot.sh for inputs of random nets."""
import struct
import sys

path, shape, seed = sys.argv[1], tuple(int(x) for x in sys.argv[2].split("x")), int(sys.argv[3])
r = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
n = 1
for d in shape:
    n *= d
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
    ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
x, vals = seed, []
for i in range(n):
    x = (1103515245 * x + 12345) % 2147483648
    vals.append(x / 2147483648.0 * (2 * r) - r)
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(struct.pack("<%df" % n, *vals))
