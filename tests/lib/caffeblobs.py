"""caffeblobs.py - the learned blobs of a .caffemodel, for numpy test
references (tests/kinds_ref.py).  A minimal protobuf wire-format reader
(no protobuf module on the test machines): NetParameter.layer (100) and
the V1 NetParameter.layers (2); per layer its name and its BlobProto
blobs with shape (BlobShape dims, or legacy num/channels/height/width)
and values from `data` (packed or not) or `double_data`.

    blobs(path) -> {layer name: [numpy float32 array, ...]}
"""
import struct

import numpy as np


def _varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def _fields(b):
    """Yields (field number, wire type, value) of one message's bytes;
    value is an int (varint, fixed) or a bytes slice (length-delimited)."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = _varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield f, wt, v


def _blob(b):
    dims, legacy, data, ddata = [], {}, [], []
    for f, wt, v in _fields(b):
        if f == 7:  # BlobShape
            for g, gwt, gv in _fields(v):
                if g == 1 and gwt == 2:
                    j = 0
                    while j < len(gv):
                        d, j = _varint(gv, j)
                        dims.append(d)
                elif g == 1:
                    dims.append(gv)
        elif f in (1, 2, 3, 4) and wt == 0:
            legacy[f] = v
        elif f == 5:
            data.extend(struct.unpack("<%df" % (len(v) // 4), v) if wt == 2
                        else struct.unpack("<f", v))
        elif f == 8:
            ddata.extend(struct.unpack("<%dd" % (len(v) // 8), v) if wt == 2
                         else struct.unpack("<d", v))
    if not dims and legacy:
        dims = [legacy.get(k, 1) for k in (1, 2, 3, 4)]
    vals = np.array(data if data else ddata, dtype=np.float32)
    return vals.reshape(dims) if dims else vals


def blobs(path):
    with open(path, "rb") as fh:
        b = fh.read()
    out = {}
    for f, wt, v in _fields(b):
        if wt != 2 or f not in (100, 2):
            continue
        name, bl = None, []
        name_field, blob_field = (1, 7) if f == 100 else (4, 6)
        for g, gwt, gv in _fields(v):
            if g == name_field and gwt == 2:
                name = gv.decode()
            elif g == blob_field and gwt == 2:
                bl.append(_blob(gv))
        if name is not None:
            out[name] = bl
    return out
