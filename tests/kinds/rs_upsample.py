"""numpy reference of rs_upsample.prototxt: 3x3 convolution (pad 1),
nearest-neighbour upsampling by 2 (darknet2caffe: top (y, x) = bottom
(y // 2, x // 2)), 1x1 convolution."""


def conv(x, w, b, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, o, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("oc,nchw->nohw", w[:, :, i, j], xp[:, :, i:i + oh, j:j + ow])
    return y + b[None, :, None, None]


def ref(x, blobs):
    y = conv(x, *blobs["conv1"], 1)
    u = y.repeat(2, axis=2).repeat(2, axis=3)
    return {"conv2": conv(u, *blobs["conv2"], 0)}
