"""numpy reference of act_log.prototxt: Caffe's LogLayer,
y = log(shift + scale * x) / ln(base) (base -1 = e), after a 1x1
convolution, and Caffe's ExpLayer (defaults: y = exp(x))."""
import numpy as np
from npref import conv


def ref(x, blobs):
    c = conv(x.astype(np.float64), *blobs['conv1'])
    e = np.exp(c)
    return {
        'log_b2': np.log(30 + 0.5 * c) / np.log(2),
        'log_def': np.log(e),
        'log_b10': np.log(1 + 3 * e) / np.log(10),
    }
