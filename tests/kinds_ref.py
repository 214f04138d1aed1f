"""kinds_ref.py NET.prototxt WEIGHTS INPUT.npy OUTDIR

Checks the float outputs `chaicc run -o OUTDIR` wrote for a test net of
tests/kinds/ against an independent reference, chosen by the net's
directive line (see tests/kinds_e2e.sh):

  # ref: opencv   OpenCV's dnn module (cv2.dnn.readNetFromCaffe) on the
                  same prototxt, weights and input
  # ref: numpy    tests/kinds/<net>.py: ref(x, blobs) -> {layer: array},
                  blobs read from the caffemodel by tests/lib/caffeblobs.py

Every network output must exist in OUTDIR as <layer>.npy (layer name
sanitized as chaicc does), have the reference's shape, and agree within
TOL (1e-4) of the largest |reference| value (+1e-6 absolute).  Prints one
line per output; exit 0 all agree, 1 a mismatch, 77 the reference tool
is missing (cv2/numpy not installed).
"""
import os
import re
import sys

TOL = 1e-4

try:
    import numpy as np
except ImportError:
    print("skip: numpy not found (apt-get install python3-numpy)")
    sys.exit(77)


def safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def directive(path, key):
    with open(path) as fh:
        for line in fh:
            m = re.match(r"\s*#\s*%s:\s*(.*?)\s*$" % key, line)
            if m:
                return m.group(1)
    return None


def opencv_ref(net, weights, x):
    try:
        import cv2
    except ImportError:
        print("skip: cv2 not found (apt-get install python3-opencv; run with /usr/bin/python3)")
        sys.exit(77)
    n = cv2.dnn.readNetFromCaffe(net, weights)
    n.setInput(x)
    names = list(n.getUnconnectedOutLayersNames())
    outs = n.forward(names)
    return dict(zip(names, outs))


def numpy_ref(net, weights, x):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
    import caffeblobs
    script = os.path.splitext(net)[0] + ".py"
    scope = {"__file__": script, "np": np}
    with open(script) as fh:
        exec(compile(fh.read(), script, "exec"), scope)
    return scope["ref"](x, caffeblobs.blobs(weights))


def main():
    net, weights, inp, outdir = sys.argv[1:5]
    how = (directive(net, "ref") or "").split()
    if not how:
        print("FAIL %s: no '# ref:' line" % net)
        return 1
    x = np.load(inp).astype(np.float32)
    if how[0] == "opencv":
        ref = opencv_ref(net, weights, x)
    elif how[0] == "numpy":
        ref = numpy_ref(net, weights, x)
    else:
        print("FAIL %s: unknown reference '%s'" % (net, how[0]))
        return 1
    bad = 0
    for name in sorted(ref):
        r = np.asarray(ref[name], dtype=np.float32)
        f = os.path.join(outdir, safe(name) + ".npy")
        if not os.path.exists(f):
            print("FAIL %s: chaicc wrote no output %s" % (name, f))
            bad += 1
            continue
        c = np.load(f)
        if c.size == r.size and c.shape != r.shape and (
                r.ndim < c.ndim and c.shape == r.shape + (1,) * (c.ndim - r.ndim)):
            c = c.reshape(r.shape)  # OpenCV drops trailing 1-dims of 2-D outputs
        if c.shape != r.shape:
            print("FAIL %s: shape %s, reference %s" % (name, c.shape, r.shape))
            bad += 1
            continue
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        err = float(np.max(np.abs(c - r))) if r.size else 0.0
        if not np.all(np.isfinite(c)) or err > TOL * scale + 1e-6:
            print("FAIL %s: max |diff| %.3g > %.0e x max |ref| %.3g" % (name, err, TOL, scale))
            bad += 1
        else:
            print("ok   %s %s: max |diff| %.3g, %.2g relative (%s)" %
                  (name, "x".join(map(str, r.shape)), err, err / scale if scale else 0.0, how[0]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
