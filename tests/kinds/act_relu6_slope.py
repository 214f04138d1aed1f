"""numpy reference of act_relu6_slope.prototxt: ReLU6 with a negative
slope, y = min(max(x, 0), 6) + negative_slope * min(x, 0), the slope
from relu6_param (Caffe-ReLU6 add-on) or relu_param (NVIDIA Caffe)."""
import numpy as np


def ref(x, blobs):
    w, b = blobs['conv1']
    c = np.einsum('oc,nchw->nohw', w[:, :, 0, 0].astype(np.float64), x) + b[None, :, None, None]
    r6 = lambda s: np.minimum(np.maximum(c, 0), 6) + s * np.minimum(c, 0)
    return {'r6_fork': r6(0.1), 'r6_nv': r6(0.25)}
