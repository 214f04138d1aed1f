"""numpy reference of yolo_region.prototxt, from OpenCV 4.6's Region layer
(modules/dnn/src/layers/region_layer.cpp, as its darknet importer runs it
after a Permute to N x H x W x C): one row per (image, cell y, cell x,
anchor) of [x, y, w, h, objectness, class scores], then OpenCV's per-class
NMS (NMSFast_: scores above thresh by descending score, kept when the
overlap with every kept box is at most nms_threshold)."""
from npref import conv, sig


CLASSES, NUM, THRESH, NMS = 3, 2, 0.2, 0.4
BIASES = [2.5, 3.0, 4.0, 2.0]


def iou(a, b):
    # boxes as [x, y, w, h] (top-left corner), OpenCV's Rect2f jaccard
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def nms(rows):
    boxes = [(r[0] - r[2] / 2, r[1] - r[3] / 2, r[2], r[3]) for r in rows]
    for k in range(CLASSES):
        s = rows[:, 5 + k].copy()
        rows[:, 5 + k] = 0
        kept = []
        for i in sorted(range(len(s)), key=lambda i: -s[i]):
            if s[i] > THRESH and all(iou(boxes[i], boxes[j]) <= NMS for j in kept):
                kept.append(i)
        for i in kept:
            rows[i, 5 + k] = s[i]
    return rows


def ref(x, blobs):
    w, b = blobs["conv1"]
    t = conv(x, w, b, 1)
    n, _, h, wd = t.shape
    cs = 5 + CLASSES
    t = t.reshape(n, NUM, cs, h, wd).transpose(0, 3, 4, 1, 2)  # N, H, W, anchor, cell
    o = np.zeros_like(t)
    ys, xs = np.meshgrid(np.arange(h), np.arange(wd), indexing="ij")
    o[..., 0] = (xs[None, :, :, None] + sig(t[..., 0])) / wd
    o[..., 1] = (ys[None, :, :, None] + sig(t[..., 1])) / h
    o[..., 2] = np.exp(t[..., 2]) * np.array(BIASES[0::2]) / wd
    o[..., 3] = np.exp(t[..., 3]) * np.array(BIASES[1::2]) / h
    obj = sig(t[..., 4])
    o[..., 4] = obj
    e = np.exp(t[..., 5:] - t[..., 5:].max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True) * obj[..., None]
    o[..., 5:] = np.where(p > THRESH, p, 0)
    out = [nms(o[i].reshape(-1, cs).copy()) for i in range(n)]
    return {"region": np.concatenate(out).astype(np.float32)}
