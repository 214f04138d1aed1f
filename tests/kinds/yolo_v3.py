"""numpy reference of yolo_v3.prototxt, from eric612/MobileNet-YOLO's
Yolov3DetectionOutputLayer::Forward_cpu: per scale, cell and anchor
(channels anchor-major: x, y, w, h, objectness, classes), the box
((x + sig) / W, (y + sig) / H, exp * bias / (W * anchors_scale), ...) and
every class with sig(class) * sig(objectness) above confidence_threshold;
all scales sorted by descending score (ties in generation order, chaicc's
deterministic rule), class-agnostic greedy NMS, rows [image, class + 1,
score, xmin, ymin, xmax, ymax]."""
from npref import conv, iou, sig


NC, NBOX, CONF, NMS = 2, 2, 0.3, 0.45
BIASES = [6, 8, 10, 12, 14, 18, 20, 24]
SCALE = [4, 8]
MASK = [0, 1, 2, 3]


def ref(x, blobs):
    x = x.astype(np.float64)
    heads = [conv(x, *blobs["head1"], 1, 1), conv(x, *blobs["head2"], 1, 2)]
    groups = len(MASK) // len(heads)
    rows = []
    for n in range(x.shape[0]):
        cand = []  # (score, class, box) in generation order
        for s, t in enumerate(heads):
            _, _, h, w = t.shape
            for cell in range(h * w):
                y, xx = divmod(cell, w)
                for k in range(NBOX):
                    v = t[n, k * (5 + NC):(k + 1) * (5 + NC)].reshape(5 + NC, -1)[:, cell]
                    an = MASK[s * groups + k]
                    cx, cy = (xx + sig(v[0])) / w, (y + sig(v[1])) / h
                    bw = np.exp(v[2]) * BIASES[2 * an] / (w * SCALE[s])
                    bh = np.exp(v[3]) * BIASES[2 * an + 1] / (h * SCALE[s])
                    box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
                    for c in range(NC):
                        score = sig(v[5 + c]) * sig(v[4])
                        if score > CONF:
                            cand.append((score, c, box))
        order = sorted(range(len(cand)), key=lambda i: -cand[i][0])  # stable
        kept = []
        for i in order:
            if all(iou(cand[i][2], cand[j][2]) <= NMS for j in kept):
                kept.append(i)
        rows += [[n, cand[i][1] + 1, cand[i][0], *cand[i][2]] for i in kept]
    if not rows:
        rows = [[n] + [-1] * 6 for n in range(x.shape[0])]
    return {"detection_out": np.array(rows, np.float32).reshape(1, 1, -1, 7)}
