"""numpy reference of yolo2out_head.prototxt, from eric612/MobileNet-YOLO's
YoloDetectionOutputLayer::Forward_cpu: per head, cell and anchor k
(channels anchor-major: x, y, w, h, objectness, classes), the box
((x + sig) / W, (y + sig) / H, exp * bias[2k] / W, exp * bias[2k+1] / H),
the class of largest softmax probability p (first on ties) and score
sig(objectness) * p kept when >= confidence_threshold; both heads sorted by
descending score (ties in generation order, chaicc's deterministic rule),
class-agnostic greedy NMS, rows [image, class + 1, score, xmin, ymin,
xmax, ymax]."""
from npref import conv, iou, sig


NC, NBOX, CONF, NMS = 3, 2, 0.35, 0.3
BIASES = [3, 4, 5, 4.5]


def ref(x, blobs):
    x = x.astype(np.float64)
    heads = [conv(x, *blobs["head1"], 1, 1), conv(x, *blobs["head2"], 1, 2)]
    rows = []
    for n in range(x.shape[0]):
        cand = []  # (score, class, box) in generation order
        for t in heads:
            _, _, h, w = t.shape
            for cell in range(h * w):
                y, xx = divmod(cell, w)
                for k in range(NBOX):
                    v = t[n, k * (5 + NC):(k + 1) * (5 + NC)].reshape(5 + NC, -1)[:, cell]
                    cx, cy = (xx + sig(v[0])) / w, (y + sig(v[1])) / h
                    bw = np.exp(v[2]) * BIASES[2 * k] / w
                    bh = np.exp(v[3]) * BIASES[2 * k + 1] / h
                    box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
                    e = np.exp(v[5:] - v[5:].max())
                    prob = e / e.sum()
                    c = int(np.argmax(prob))
                    score = sig(v[4]) * prob[c]
                    if score >= CONF:
                        cand.append((score, c, box))
        order = sorted(range(len(cand)), key=lambda i: -cand[i][0])  # stable
        kept = []
        for i in order:
            if all(iou(cand[i][2], cand[j][2]) <= NMS for j in kept):
                kept.append(i)
        rows += [[n, cand[i][1] + 1, cand[i][0], *cand[i][2]] for i in kept]
        print("yolo2out_head: %d candidates, %d kept" % (len(cand), len(kept)))
    if not rows:
        rows = [[n] + [-1] * 6 for n in range(x.shape[0])]
    return {"detection_out": np.array(rows, np.float32).reshape(1, 1, -1, 7)}
