"""numpy reference of act_bn_learn.prototxt: BN of the SegNet fork in its
default LEARN mode (caffe-segnet bn_layer.cpp): each channel normalized
with the mean and variance E[x^2] - E[x]^2 of this input over N, H and W,
eps 1e-9, then y = scale * xn + shift."""
import numpy as np


def ref(x, blobs):
    w, b = blobs['conv1']
    c = np.einsum('oc,nchw->nohw', w[:, :, 0, 0].astype(np.float64), x) + b[None, :, None, None]
    m = c.mean(axis=(0, 2, 3), keepdims=True)
    v = (c * c).mean(axis=(0, 2, 3), keepdims=True) - m * m
    scale, shift = blobs['conv1_bn']
    return {'conv1_bn': (c - m) / np.sqrt(v + 1e-9) * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)}
