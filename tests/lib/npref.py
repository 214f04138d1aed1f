"""npref.py - numpy building blocks shared by the reference scripts of
tests/kinds/ (imported by them; tests/kinds_ref.py puts tests/lib on the
path).  Everything computes in float64."""
import numpy as np


def conv(x, w, b, pad=0, stride=1):
    """Caffe Convolution (group 1, dilation 1): x N x C x H x W, weights
    O x C x kh x kw, bias O; pad on both sides of both axes, or "same"
    for kh // 2."""
    x = np.asarray(x, np.float64)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    if pad == "same":
        pad = kh // 2
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            win = xp[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
            y += np.einsum("oc,nchw->nohw", w[:, :, i, j].astype(np.float64), win)
    return y + np.asarray(b, np.float64)[None, :, None, None]


def sig(v):
    """Logistic sigmoid."""
    return 1.0 / (1.0 + np.exp(-v))


def iou(a, b):
    """Jaccard overlap of two boxes given as corners [x0, y0, x1, y1]."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
