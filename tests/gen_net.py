#!/usr/bin/env python3
"""gen_net.py SEED [-o NET.prototxt] - writes a small random valid Caffe
prototxt (python3 standard library only): an input of random shape, then a
random chain of blocks - Convolution (kernel 1/3/5, stride, padding,
groups, depthwise, dilation, with or without bias), BatchNorm + Scale,
ReLU / leaky ReLU, Pooling (MAX / AVE, padded, global), residual Eltwise
(SUM with coefficients, MAX, PROD), inception-style Concat, Deconvolution -
and optionally a classifier tail (InnerProduct, Softmax).  Same seed, same
file.  Weights come from `chaicc-mkmodel NET -o NET.caffemodel --seed N`.
"""
import random
import sys


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.lines = []
        self.n = 0

    def name(self, kind):
        self.n += 1
        return "%s%d" % (kind, self.n)

    def add(self, text):
        self.lines.append(text)

    def conv(self, bottom, shape, oc=None, k=None, s=None, relu=None, bn=None, group=None):
        r = self.r
        c, h, w = shape
        k = k if k is not None else r.choice([1, 3, 3, 5])
        while k > 1 and (k > h or k > w):
            k -= 2
        dil = 2 if k == 3 and h >= 7 and w >= 7 and r.random() < 0.15 else 1
        ek = dil * (k - 1) + 1
        pad = r.choice([0, ek // 2, ek // 2])
        s = s if s is not None else (2 if min(h, w) >= 8 and r.random() < 0.3 else 1)
        if group is None:
            group = 1
            if r.random() < 0.2:
                group = c  # depthwise
            elif c % 2 == 0 and r.random() < 0.15:
                group = 2
        oc = oc if oc is not None else (c if group == c else r.choice([4, 6, 8, 12, 16]))
        if oc % group:
            oc = group * max(1, oc // group)
        oh = (h + 2 * pad - ek) // s + 1
        ow = (w + 2 * pad - ek) // s + 1
        name = self.name("conv")
        bias = "" if r.random() < 0.8 else " bias_term: false"
        extra = (" group: %d" % group if group > 1 else "") + (" dilation: %d" % dil if dil > 1 else "")
        self.add('layer { name: "%s" type: "Convolution" bottom: "%s" top: "%s"\n'
                 '  convolution_param { num_output: %d kernel_size: %d stride: %d pad: %d%s%s } }'
                 % (name, bottom, name, oc, k, s, pad, extra, bias))
        top = name
        if bn if bn is not None else r.random() < 0.3:
            b = self.name("bn")
            self.add('layer { name: "%s" type: "BatchNorm" bottom: "%s" top: "%s" }' % (b, top, top))
            sc = self.name("scale")
            self.add('layer { name: "%s" type: "Scale" bottom: "%s" top: "%s" scale_param { bias_term: true } }'
                     % (sc, top, top))
        if relu if relu is not None else r.random() < 0.7:
            top = self.relu(top)
        return top, (oc, oh, ow)

    def relu(self, bottom, inplace=True):
        name = self.name("relu")
        slope = " relu_param { negative_slope: 0.1 }" if self.r.random() < 0.15 else ""
        top = bottom if inplace else name
        self.add('layer { name: "%s" type: "ReLU" bottom: "%s" top: "%s"%s }' % (name, bottom, top, slope))
        return top

    def pool(self, bottom, shape):
        r = self.r
        c, h, w = shape
        name = self.name("pool")
        method = r.choice(["MAX", "AVE"])
        if min(h, w) <= 3 or r.random() < 0.1:
            self.add('layer { name: "%s" type: "Pooling" bottom: "%s" top: "%s"\n'
                     '  pooling_param { pool: %s global_pooling: true } }' % (name, bottom, name, method))
            return name, (c, 1, 1)
        k = r.choice([2, 3])
        s = r.choice([1, 2, 2])
        pad = 1 if k == 3 and r.random() < 0.4 else 0
        # Caffe's ceil rounding, last window starting inside the padded input
        oh = -(-(h + 2 * pad - k) // s) + 1
        ow = -(-(w + 2 * pad - k) // s) + 1
        if pad:
            if (oh - 1) * s >= h + pad:
                oh -= 1
            if (ow - 1) * s >= w + pad:
                ow -= 1
        self.add('layer { name: "%s" type: "Pooling" bottom: "%s" top: "%s"\n'
                 '  pooling_param { pool: %s kernel_size: %d stride: %d pad: %d } }'
                 % (name, bottom, name, method, k, s, pad))
        return name, (c, oh, ow)

    def residual(self, bottom, shape):
        r = self.r
        br, bs = self.conv(bottom, shape, oc=shape[0], k=3, s=1, group=1)
        if bs != shape:
            return br, bs
        name = self.name("elt")
        op = r.choice(["SUM", "SUM", "SUM", "MAX", "PROD"])
        coeff = " coeff: 1 coeff: -0.5" if op == "SUM" and r.random() < 0.3 else ""
        self.add('layer { name: "%s" type: "Eltwise" bottom: "%s" bottom: "%s" top: "%s"\n'
                 '  eltwise_param { operation: %s%s } }' % (name, bottom, br, name, op, coeff))
        top = name
        if r.random() < 0.5:
            top = self.relu(top)
        return top, shape

    def inception(self, bottom, shape):
        r = self.r
        c, h, w = shape
        tops, oc = [], 0
        for k in r.sample([1, 3, 5], r.choice([2, 3])):
            if k > min(h, w):
                k = 1
            t, s = self.conv(bottom, shape, k=k, s=1, group=1)
            if s[1:] != (h, w):  # keep the spatial size (pad k//2)
                continue
            tops.append(t)
            oc += s[0]
        if len(tops) < 2:
            return (tops[0], (oc, h, w)) if tops else (bottom, shape)
        name = self.name("cat")
        self.add('layer { name: "%s" type: "Concat" %s top: "%s" }'
                 % (name, " ".join('bottom: "%s"' % t for t in tops), name))
        return name, (oc, h, w)

    def deconv(self, bottom, shape):
        c, h, w = shape
        name = self.name("deconv")
        oc = self.r.choice([4, 8])
        self.add('layer { name: "%s" type: "Deconvolution" bottom: "%s" top: "%s"\n'
                 '  convolution_param { num_output: %d kernel_size: 2 stride: 2 } }' % (name, bottom, name, oc))
        return name, (oc, 2 * h, 2 * w)

    def net(self):
        r = self.r
        c, h, w = r.choice([1, 3, 4]), r.randint(8, 20), r.randint(8, 20)
        self.add('name: "rnd"')
        self.add('layer { name: "data" type: "Input" top: "data"\n'
                 '  input_param { shape { dim: 1 dim: %d dim: %d dim: %d } } }' % (c, h, w))
        top, shape = self.conv("data", (c, h, w), relu=True)
        for _ in range(r.randint(3, 7)):
            kind = r.choice(["conv", "conv", "pool", "residual", "inception", "relu", "deconv"])
            if kind == "conv":
                top, shape = self.conv(top, shape)
            elif kind == "pool":
                top, shape = self.pool(top, shape)
            elif kind == "residual":
                top, shape = self.residual(top, shape)
            elif kind == "inception":
                top, shape = self.inception(top, shape)
            elif kind == "relu":
                top = self.relu(top, inplace=False)
            elif shape[1] * shape[2] <= 144:
                top, shape = self.deconv(top, shape)
        if r.random() < 0.5:
            ip = self.name("ip")
            self.add('layer { name: "%s" type: "InnerProduct" bottom: "%s" top: "%s"\n'
                     '  inner_product_param { num_output: %d } }' % (ip, top, ip, r.choice([5, 10])))
            self.add('layer { name: "prob" type: "Softmax" bottom: "%s" top: "prob" }' % ip)
        return "\n".join(self.lines) + "\n"


def main(argv):
    if len(argv) < 2:
        print("usage: gen_net.py SEED [-o NET.prototxt]", file=sys.stderr)
        return 2
    text = Gen(int(argv[1])).net()
    if len(argv) >= 4 and argv[2] == "-o":
        with open(argv[3], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
