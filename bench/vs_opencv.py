#!/usr/bin/python3
"""vs_opencv.py PROTOTXT WEIGHTS INPUT.npy N - time OpenCV dnn on one Caffe
model: one thread, the CPU backend, readNetFromCaffe, one warm-up forward,
then N timed forwards.  Prints "opencv <version> <mean> ms (min <ms>,
median <ms>)" per inference.  Used by bench/vs_opencv.sh."""
import sys
import time

import cv2
import numpy as np


def main():
    proto, weights, inp, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromCaffe(proto, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = np.load(inp).astype(np.float32)
    if x.ndim == 3:
        x = x[None]
    outs = net.getUnconnectedOutLayersNames()
    net.setInput(x)
    net.forward(outs)  # warm-up (allocations, layer setup)
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        net.setInput(x)
        net.forward(outs)
        ts.append(time.perf_counter() - t0)
    ts.sort()
    print("opencv %s %.4f ms (min %.4f, median %.4f)" % (
        cv2.__version__, sum(ts) / n * 1e3, ts[0] * 1e3, ts[n // 2] * 1e3))


if __name__ == "__main__":
    main()
