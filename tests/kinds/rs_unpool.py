"""numpy reference of rs_unpool.prototxt: Caffe MAX pooling with its
argmax mask (flat index h * W + w in the input plane, first maximum
wins, ceil-rounded windows clipped to the input), and caffe-segnet's
Upsample: a zero top of the given size where top.flat[mask[i]] = x[i]
per (n, c) plane."""
from npref import conv

import math


def maxpool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = math.ceil((h - k) / s) + 1, math.ceil((w - k) / s) + 1
    y = np.zeros((n, c, oh, ow))
    m = np.zeros((n, c, oh, ow))
    for a in range(n):
        for q in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, at = -np.inf, -1
                    for u in range(i * s, min(i * s + k, h)):
                        for v in range(j * s, min(j * s + k, w)):
                            if x[a, q, u, v] > best:
                                best, at = x[a, q, u, v], u * w + v
                    y[a, q, i, j], m[a, q, i, j] = best, at
    return y, m


def unpool(x, m, oh, ow):
    n, c = x.shape[:2]
    y = np.zeros((n, c, oh * ow))
    for a in range(n):
        for q in range(c):
            for v, i in zip(x[a, q].reshape(-1), m[a, q].reshape(-1)):
                y[a, q, int(i)] = v
    return y.reshape(n, c, oh, ow)


def ref(x, blobs):
    y = conv(x, *blobs["conv1"], 1)
    p, m = maxpool(y, 2, 2)
    u = unpool(conv(p, *blobs["conv2"], 1), m, 7, 9)
    p2, m2 = maxpool(u, 3, 3)
    u2 = unpool(p2, m2, 9, 9)
    p3, m3 = maxpool(u2, 2, 2)  # 9x9 -> 5x5 (ceil)
    return {"upsample3": unpool(p3, m3, 2 * 5 - 1, 2 * 5 - 1)}
