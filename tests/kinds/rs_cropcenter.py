"""numpy reference of rs_cropcenter.prototxt: 3x3 valid convolution, then
x[:, :, 2:-2, 1:-1], then x[:, 1:-1, :, 1:-1] (waifu2x-caffe CropCenter)."""


def ref(x, blobs):
    w, b = blobs["conv1"]
    n, c, h, wd = x.shape
    oh, ow = h - 2, wd - 2
    y = np.zeros((n, w.shape[0], oh, ow))
    for i in range(3):
        for j in range(3):
            y += np.einsum("oc,nchw->nohw", w[:, :, i, j], x[:, :, i:i + oh, j:j + ow])
    y += b[None, :, None, None]
    y = y[:, :, 2:-2, 1:-1]
    return {"crop2": y[:, 1:-1, :, 1:-1]}
