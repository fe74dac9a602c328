#!/usr/bin/python3
"""audit_check.py - check flow-idx --audit's JSON against numpy.

usage: audit_check.py AUDIT.json PREFIX [PART...]

Loads the IDX pairs PREFIX-PART-images-idx3-ubyte / -labels-idx1-ubyte
of every PART (or PREFIX-images... without parts), recomputes from them,
as flow-idx(1) defines it, each position's mutual information with the
label (plug-in: H(V) + H(C) - H(V,C) from the counts; Miller-Madow: plus
((mV - 1) + (mC - 1) - (mVC - 1)) / (2 N ln 2), mX the occupied cells;
0 where the position holds one value), the label entropy, the images and
distinct images of each part, the duplicates within parts, the images in
more than one part and the identical images with different labels, and
compares them with the JSON (numbers within 1e-9).
Prints "ok N images, P positions" or the differences, exit 1.
"""
import hashlib
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idx_check  # noqa: E402


def entropy(counts, n):
    p = counts[counts > 0] / n
    return float(-(p * np.log2(p)).sum())


def main():
    doc = json.load(open(sys.argv[1]))
    prefix, parts = sys.argv[2], sys.argv[3:] or [None]
    xs, ys, bad = [], [], []
    seen, part_rows = {}, []
    for pi, part in enumerate(parts):
        x, y = idx_check.load(prefix + ("-" + part if part else ""))
        x = x.reshape(len(x), -1)
        xs.append(x)
        ys.append(y)
        digests = [hashlib.sha256(r.tobytes()).digest() for r in x]
        part_rows.append((part, len(x), len(set(digests))))
        for d, c in zip(digests, y):
            e = seen.setdefault(d, {"parts": set(), "classes": set(), "count": 0})
            e["parts"].add(pi)
            e["classes"].add(int(c))
            e["count"] += 1
    x, y = np.concatenate(xs), np.concatenate(ys)
    n, npos = x.shape
    classes = np.unique(y)
    hc = entropy(np.bincount(y, minlength=256).astype(float), n)

    def close(a, b, what):
        if abs(a - b) > 1e-9:
            bad.append("%s: json %r, numpy %r" % (what, a, b))

    close(doc["label_entropy_bits"], hc, "label entropy")
    if doc["images"] != n or doc["distinct"] != len(seen):
        bad.append("images %d/%d, distinct %d/%d" % (doc["images"], n, doc["distinct"], len(seen)))
    for got, (name, imgs, distinct) in zip(doc["parts"], part_rows):
        want = {"name": name, "images": imgs, "distinct": distinct, "duplicates": imgs - distinct}
        if got != want:
            bad.append("part: json %r, numpy %r" % (got, want))
    within = sum(r[1] - r[2] for r in part_rows)
    across = sum(1 for e in seen.values() if len(e["parts"]) > 1)
    confl = [e for e in seen.values() if len(e["classes"]) > 1]
    if doc["duplicates_within_parts"]["images"] != within:
        bad.append("within parts: json %d, numpy %d" % (doc["duplicates_within_parts"]["images"], within))
    if doc["across_parts"]["images"] != across:
        bad.append("across parts: json %d, numpy %d" % (doc["across_parts"]["images"], across))
    cl = doc["conflicting_labels"]
    if cl["distinct"] != len(confl) or cl["images"] != sum(e["count"] for e in confl):
        bad.append("conflicting: json %d/%d, numpy %d/%d" % (
            cl["distinct"], cl["images"], len(confl), sum(e["count"] for e in confl)))
    if len(doc["positions"]) != min(npos, 4096):
        bad.append("positions: json %d, images %d" % (len(doc["positions"]), npos))
    ln2 = np.log(2)
    for p in doc["positions"]:
        i = p["pos"]
        col = x[:, i].astype(np.int64)
        joint = np.zeros((256, 256))
        np.add.at(joint, (col, y.astype(np.int64)), 1)
        nv = joint.sum(axis=1)
        hv, hvc = entropy(nv, n), entropy(joint.ravel(), n)
        mv, mc, mvc = (nv > 0).sum(), len(classes), (joint > 0).sum()
        plug = hv + hc - hvc
        mm = plug + ((mv - 1) + (mc - 1) - (mvc - 1)) / (2 * n * ln2)
        if mv <= 1:
            plug = mm = 0.0
        close(p["mi_plugin_bits"], plug, "position %d plug-in MI" % i)
        close(p["mi_bits"], mm, "position %d Miller-Madow MI" % i)
        if p["values"] != mv:
            bad.append("position %d: values json %d, numpy %d" % (i, p["values"], mv))
    if bad:
        print("\n".join(bad[:40]))
        sys.exit(1)
    print("ok %d images, %d positions" % (n, len(doc["positions"])))


if __name__ == "__main__":
    main()
