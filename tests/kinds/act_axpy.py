"""numpy reference of act_axpy.prototxt: Axpy of the SENet Caffe ports
(hujie's axpy_layer.cpp): top = a[n][c] * x + y with bottoms (a, x, y);
here a = sigmoid(1x1 conv of the global average of x), x = 3x3 conv
(pad 1) of the input, y = the input."""
import numpy as np
from npref import conv


def ref(x, blobs):
    x = x.astype(np.float64)
    c1 = conv(x, *blobs['conv1'], pad='same')
    a = 1 / (1 + np.exp(-conv(c1.mean(axis=(2, 3), keepdims=True), *blobs['fc1'])))
    return {'axpy': a * c1 + x}
