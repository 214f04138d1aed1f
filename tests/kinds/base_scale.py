"""numpy reference of base_scale.prototxt: 1x1 convolution, then Scale
with bias (per channel y = s*x + b)."""


def ref(x, blobs):
    w, b = blobs["conv1"]
    y = np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x) + b[None, :, None, None]
    s, t = blobs["sc1"]
    return {"sc1": y * s[None, :, None, None] + t[None, :, None, None]}
