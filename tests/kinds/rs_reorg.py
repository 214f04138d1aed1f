"""numpy reference of rs_reorg.prototxt, written from darknet's
reorg_cpu(x, w, h, c, batch, stride, forward, out) as the YOLOv2 Caffe
ports call it (w, h, c of the bottom; forward = reverse):
    in_index  = i + w*(j + h*(k + c*b))
    c2 = k % (c/s^2), off = k / (c/s^2)
    out_index = (i*s + off%s) + w*s*((j*s + off/s) + h*s*(c2 + (c/s^2)*b))
    forward ? out[out_index] = x[in_index] : out[in_index] = x[out_index]
"""
from npref import conv



def reorg(x, s, forward):
    n, c, h, w = x.shape
    oc = c // (s * s)
    flat = x.reshape(-1)
    out = np.zeros_like(flat)
    for b in range(n):
        for k in range(c):
            for j in range(h):
                for i in range(w):
                    ii = i + w * (j + h * (k + c * b))
                    c2, off = k % oc, k // oc
                    oi = (i * s + off % s) + w * s * ((j * s + off // s) + h * s * (c2 + oc * b))
                    if forward:
                        out[oi] = flat[ii]
                    else:
                        out[ii] = flat[oi]
    if forward:
        return out.reshape(n, oc, h * s, w * s)
    return out.reshape(n, c * s * s, h // s, w // s)


def ref(x, blobs):
    y = conv(x, *blobs["conv1"])
    r = reorg(y, 2, False)
    z = conv(r, *blobs["conv2"])
    return {"back": reorg(z, 2, True)}
