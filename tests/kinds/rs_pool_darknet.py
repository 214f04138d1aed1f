"""numpy reference of rs_pool_darknet.prototxt: the pooling of
ChenYingpeng/caffe-yolov3's Caffe (caffe_layers/pooling_layer), no pad:
Caffe's ceil-rounded window count, plus one when kernel - stride is odd;
windows clipped to the input; AVE divides by the clipped window."""
from npref import conv

import math

import numpy as np


def pool(x, k, s, ave):
    n, c, h, w = x.shape
    extra = 1 if (k - s) % 2 == 1 else 0
    oh = math.ceil((h - k) / s) + 1 + extra
    ow = math.ceil((w - k) / s) + 1 + extra
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * s:min(i * s + k, h), j * s:min(j * s + k, w)]
            y[:, :, i, j] = win.mean(axis=(2, 3)) if ave else win.max(axis=(2, 3))
    return y


def ref(x, blobs):
    c1 = conv(x, *blobs["conv1"], 1)
    cat = np.concatenate([pool(c1, 2, 1, False), c1], axis=1)
    return {"pool2": pool(cat, 3, 2, True), "pool3": pool(cat, 2, 2, False)}
