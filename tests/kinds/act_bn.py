"""numpy reference of act_bn.prototxt: BN of the SegNet fork in INFERENCE
mode (caffe-segnet bn_layer.cpp): y = scale[c] * x + shift[c] with the
learned blobs scale and shift of 1 x C x 1 x 1; after a 3x3 convolution
(pad 1) and followed by ReLU, and alone on the input."""
import numpy as np
from npref import conv


def bn(x, scale, shift):
    return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)


def ref(x, blobs):
    x = x.astype(np.float64)
    c = conv(x, *blobs['conv1'], pad=1)
    return {'relu1': np.maximum(bn(c, *blobs['conv1_bn']), 0), 'bn_in': bn(x, *blobs['bn_in'])}
