"""numpy reference of rs_upsample.prototxt: 3x3 convolution (pad 1),
nearest-neighbour upsampling by 2 (darknet2caffe: top (y, x) = bottom
(y // 2, x // 2)), 1x1 convolution."""
from npref import conv



def ref(x, blobs):
    y = conv(x, *blobs["conv1"], 1)
    u = y.repeat(2, axis=2).repeat(2, axis=3)
    return {"conv2": conv(u, *blobs["conv2"], 0)}
