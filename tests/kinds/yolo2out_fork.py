"""numpy reference of yolo2out_fork.prototxt, from gklz1982/caffe-yolov2's
DetectionOutputLayer::Forward_cpu and the caffe-yolov2 lineage's bbox_util.hpp
helpers (get_region_box, class_index_and_score, ApplyNms): per cell and
anchor k of the side x side head (channels anchor-major: x, y, w, h,
objectness, classes), the box ((x + sig) / side, (y + sig) / side,
exp * bias[2k] / side, exp * bias[2k+1] / side), the class of largest softmax
probability p (first on ties), score sig(objectness) * p kept when >=
confidence_threshold, in generation order (no sort); greedy NMS in that
order on the boxes' corners clipped to [0, 1] (a box survives at overlap <=
nms_threshold, chaicc's rule at equality); rows [image, class, score, x, y,
w, h]."""
from npref import conv, iou, sig


NC, NBOX, CONF, NMS, SIDE = 4, 2, 0.2, 0.3, 4
BIASES = [1.5, 2, 2.5, 1.8]


def ref(x, blobs):
    x = x.astype(np.float64)
    t = conv(x, *blobs["head"], 1, 2)
    rows = []
    for n in range(x.shape[0]):
        cand = []  # (score, class, center-size box, clipped corners)
        for cell in range(SIDE * SIDE):
            y, xx = divmod(cell, SIDE)
            for k in range(NBOX):
                v = t[n, k * (5 + NC):(k + 1) * (5 + NC)].reshape(5 + NC, -1)[:, cell]
                cx, cy = (xx + sig(v[0])) / SIDE, (y + sig(v[1])) / SIDE
                bw = np.exp(v[2]) * BIASES[2 * k] / SIDE
                bh = np.exp(v[3]) * BIASES[2 * k + 1] / SIDE
                corners = np.clip([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 0, 1)
                e = np.exp(v[5:] - v[5:].max())
                prob = e / e.sum()
                c = int(np.argmax(prob))
                score = sig(v[4]) * prob[c]
                if score >= CONF:
                    cand.append((score, c, (cx, cy, bw, bh), corners))
        kept = []
        for i in range(len(cand)):
            if all(iou(cand[i][3], cand[j][3]) <= NMS for j in kept):
                kept.append(i)
        rows += [[n, cand[i][1], cand[i][0], *cand[i][2]] for i in kept]
        print("yolo2out_fork: %d candidates, %d kept" % (len(cand), len(kept)))
    if not rows:
        rows = [[n] + [-1] * 6 for n in range(x.shape[0])]
    return {"detection_out": np.array(rows, np.float32).reshape(1, 1, -1, 7)}
