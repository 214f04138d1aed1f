#!/usr/bin/python3
"""fidelity_inputs.py MODEL_DIR OUT_DIR [N] - N (default 4) calibration
inputs for a shared model, as float32 .npy tensors (1 x C x H x W) that
`chaicc quantize --calibration_directory` reads as they are, preprocessed
by the rules of the model's model.json (input: color, mean or mean_file,
scale, transpose_hw; resize with bilinear interpolation).

Which inputs, so that none is the model's reference input (ref/input.npy,
on which bench/fidelity.sh measures) when the data allows:
  image models: the photos of ../data/faces (sorted), the reference photo
    last, so it is used only when N exceeds the others; CIFAR-10 models: the
    first N images of ../data/cifar10/calib (training images);
  MNIST models ("idx"): test images 1..N (the reference is image 0);
  random-input models ("random_seed": s): uniform [-1, 1) with seeds
    s+1 .. s+N.
"""
import gzip
import json
import os
import sys

import cv2
import numpy as np


def prep(img, spec, base, c, h, w):
    color = spec.get("color", "BGR")
    if color == "RGB":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif color == "GRAY":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    th, tw = (w, h) if spec.get("transpose_hw") else (h, w)
    img = cv2.resize(img, (tw, th), interpolation=cv2.INTER_LINEAR)
    x = img.astype(np.float32).reshape(th, tw, -1)
    if "mean_file" in spec:
        m = np.load(os.path.join(base, spec["mean_file"])).astype(np.float32)
        x = x - m.transpose(1, 2, 0)
    elif "mean" in spec:
        x = x - np.array(spec["mean"], dtype=np.float32)
    x = (x * float(spec.get("scale", 1.0))).transpose(2, 0, 1)
    if spec.get("transpose_hw"):
        x = x.transpose(0, 2, 1)
    return np.ascontiguousarray(x.reshape(1, c, h, w), dtype=np.float32)


def main():
    mdir, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    spec = json.load(open(os.path.join(mdir, "model.json")))["input"]
    _, c, h, w = spec["shape"]
    data = os.path.normpath(os.path.join(mdir, "..", "..", "data"))
    os.makedirs(out, exist_ok=True)
    xs = []
    if "random_seed" in spec:
        s = spec["random_seed"]
        xs = [np.random.RandomState(s + k).uniform(-1, 1, size=(1, c, h, w)).astype(np.float32)
              for k in range(1, n + 1)]
    elif "idx" in spec:
        with gzip.open(os.path.join(mdir, spec["idx"][0]), "rb") as f:
            raw = f.read()
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        for k in range(1, n + 1):
            px = np.frombuffer(raw[16 + k * rows * cols:16 + (k + 1) * rows * cols], dtype=np.uint8)
            x = px.astype(np.float32).reshape(1, 1, rows, cols) * float(spec.get("scale", 1.0))
            xs.append(x)
    else:
        ref = os.path.basename(spec["image"])
        if "cifar10" in spec["image"]:
            d = os.path.join(data, "cifar10", "calib")
        else:
            d = os.path.join(data, "faces")
        names = sorted(f for f in os.listdir(d) if f.lower().endswith((".jpg", ".png")))
        names = [f for f in names if f != ref] + [f for f in names if f == ref]
        for f in names[:n]:
            img = cv2.imread(os.path.join(d, f), cv2.IMREAD_COLOR)
            xs.append(prep(img, spec, mdir, c, h, w))
    for k, x in enumerate(xs):
        np.save(os.path.join(out, "%02d.npy" % k), x)
    print("%s: %d inputs" % (out, len(xs)))


if __name__ == "__main__":
    main()
