"""numpy reference of act_threshold.prototxt: Caffe's ThresholdLayer,
y = x > threshold ? 1 : 0 (default threshold 0), after a 1x1 convolution
computed in float32 as chaicc does (a comparison is exact only on the same
float values)."""
import numpy as np


def ref(x, blobs):
    w, b = blobs['conv1']
    c = (np.einsum('oc,nchw->nohw', w[:, :, 0, 0], x) + b[None, :, None, None]).astype(np.float32)
    return {t: (c > np.float32(v)).astype(np.float32)
            for t, v in (('thr_05', 0.5), ('thr_def', 0.0), ('thr_neg', -1.25))}
