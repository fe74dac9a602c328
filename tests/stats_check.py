#!/usr/bin/env python3
"""stats_check.py - recompute flow-stats' features with numpy, independently.

usage: stats_check.py PACKETS.jsonl STATS.jsonl IDLE_GAP_SECONDS

PACKETS.jsonl is `flow-json -p` of a stream, STATS.jsonl `flow-stats -f
jsonl` of the same stream.  Every column of every row is recomputed here
from the per-packet arrays, from the definitions of flow-stats(1),
FEATURES, written with numpy's textbook functions (np.mean, np.var,
np.median, np.quantile; central moments as means of powers of
deviations), and compared: values that are integers, minima, maxima,
ranges, medians and quantiles must be equal to the last bit; the others
(means of non-integers, deviations, moments) within REL of each other,
since a one-pass recurrence and numpy's pairwise sums round differently.
Prints one line per disagreement and a summary; exit 1 if any.
"""
import json
import math
import re
import sys
from fractions import Fraction

import numpy as np

REL = 1e-12

SEQS = ["wire_len_nz", "ip_len_nz", "l4_len_nz", "wire_len", "ip_len", "l4_len",
        "payload_len", "data_len", "iat", "win",
        "active", "idle", "burst_pkts", "burst_bytes"]
FLAGS = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"]


def sequences(f, gap_ns):
    """{(seq, dir): np.array} for dir in '', 'src_', 'dst_'."""
    p = f["packets"]
    t = np.array(p["t_ns"], dtype=np.int64)
    d = np.array(p["dir"])
    masks = {"": np.ones(len(t), bool), "src_": d == 0, "dst_": d == 1}
    out = {}
    for k, m in masks.items():
        out[("wire_len", k)] = np.array(p["wire_len"], float)[m]
        out[("ip_len", k)] = np.array(p["ip_len"], float)[m]
        out[("l4_len", k)] = np.array(p["l4_len"], float)[m]
        for s in ("wire_len", "ip_len", "l4_len"):
            out[(s + "_nz", k)] = out[(s, k)][out[(s, k)] > 0]
        pl = np.array(p["payload_len"], float)[m]
        out[("payload_len", k)] = pl
        out[("data_len", k)] = pl[pl > 0]
        tm = t[m]
        gaps = np.diff(tm)
        out[("iat", k)] = gaps / 1e9
        out[("win", k)] = np.array(p["window"], float)[m] if f["proto"] == 6 else np.array([])
        # active periods: runs of packets split where a gap exceeds the idle gap
        act, idle = [], []
        if len(tm):
            start = tm[0]
            for i, g in enumerate(gaps):
                if g > gap_ns:
                    act.append((tm[i] - start) / 1e9)
                    idle.append(g / 1e9)
                    start = tm[i + 1]
            act.append((tm[-1] - start) / 1e9)
        out[("active", k)] = np.array(act)
        out[("idle", k)] = np.array(idle)
    # bursts: maximal runs of consecutive packets of one direction
    bp = {"": [], "src_": [], "dst_": []}
    bb = {"": [], "src_": [], "dst_": []}
    wl = p["wire_len"]
    i = 0
    while i < len(d):
        j = i
        while j < len(d) and d[j] == d[i]:
            j += 1
        k = "src_" if d[i] == 0 else "dst_"
        for key in ("", k):
            bp[key].append(j - i)
            bb[key].append(sum(wl[i:j]))
        i = j
    for k in bp:
        out[("burst_pkts", k)] = np.array(bp[k], float)
        out[("burst_bytes", k)] = np.array(bb[k], float)
    return out


MOMENTS = {}
SKIP = ("skip", True)
RUN_SEQS = ("wire_len", "ip_len", "l4_len", "payload_len", "iat")
RUN_STATS = ("count", "sum", "mean", "std", "var", "sstd", "svar", "min", "max", "range",
             "skew", "kurt", "cv")


def exact_moments(x, key):
    """The mean and central moments m2, m3, m4 of x, as rationals (cached
    per sequence of the current flow)."""
    if key not in MOMENTS:
        fx = [Fraction(float(v)) for v in x]
        n = len(fx)
        mean = sum(fx) / n
        dev = [v - mean for v in fx]
        d2 = [d * d for d in dev]
        MOMENTS[key] = (mean, sum(d2) / n, sum(a * b for a, b in zip(d2, dev)) / n,
                        sum(d * d for d in d2) / n)
    return MOMENTS[key]


def stat(x, s, key):
    """(value, exact?) of statistic s of x."""
    n = len(x)
    if s == "count":
        return float(n), True
    if n == 0:
        return 0.0, True
    integer = bool(np.all(x == np.floor(x)))
    if s == "sum":
        return float(np.sum(x)), integer
    if s == "mean":
        return float(np.mean(x)), integer
    if s in ("min", "max", "range"):
        return float({"min": np.min(x), "max": np.max(x), "range": np.max(x) - np.min(x)}[s]), True
    if s == "median":
        return float(np.median(x)), True
    if s.startswith("p"):
        return float(np.quantile(x, float(s[1:]) / 100)), True
    # Moments exactly, in rationals (every double is one): the reference
    # has no rounding error but the last conversion to a double.
    mean, m2, m3, m4 = exact_moments(x, key)
    if s in ("var", "std"):
        return (float(m2) if s == "var" else math.sqrt(m2)), False
    if s in ("svar", "sstd"):
        v = m2 * n / (n - 1) if n > 1 else Fraction(0)
        return (float(v) if s == "svar" else math.sqrt(v)), False
    if s == "cv":
        return (0.0 if mean == 0 else math.sqrt(m2 / (mean * mean)) * (1 if mean > 0 else -1)), False
    if m2 == 0:
        return 0.0, True
    if s == "skew":
        return math.copysign(math.sqrt(m3 * m3 / m2 ** 3), m3) if m3 else 0.0, False
    if s == "kurt":
        return float(m4 / (m2 * m2) - 3), False
    raise KeyError(s)


SEQ_RE = re.compile(r"^(src_|dst_)?(%s)_([\w.]+)$" % "|".join(SEQS))
WA = {"packet_lengths": "wire_len", "ip_lengths": "ip_len", "trans_lengths": "l4_len",
      "app_lengths": "payload_len", "iats": "iat"}


def expected(f, col, seqs):
    """(value, exact?) of column col of flow f, or None for an empty cell."""
    pk = f.get("packets")
    truncated = "pkts_truncated" in f.get("flags", [])
    m = re.match(r"^feature\.(\w+)\.(up_|down_)?(\w+)$", col)
    from_table = m or SEQ_RE.match(col) or re.match(r"^((src_|dst_)(%s)_count|(src_|dst_)init_win|splt_\w+)$" % "|".join(FLAGS), col)
    if from_table and pk is None:
        return None
    if m:  # wa1kpcap: sequence of absolute values; up/down: entries > 0 / < 0
        seq, ud, s = WA[m.group(1)], m.group(2), m.group(3)
        p = f["packets"]
        if seq == "iat":
            x = seqs[("iat", "")]
        else:
            v = np.array(p[seq], float)
            sign = np.where(np.array(p["dir"]) == 0, 1.0, -1.0)
            signed = v * sign
            if ud == "up_":
                x = signed[signed > 0]
            elif ud == "down_":
                x = -signed[signed < 0]
            else:
                x = np.abs(signed)
        return stat(x, s, (seq, ud))
    m = re.match(r"^(src_|dst_)(\w+)_count$", col)
    if m and m.group(2) in FLAGS:
        if truncated and "fk.wire_len.all.n" in f.get("features", {}):
            return SKIP
        if truncated:
            return None
        bit = 1 << FLAGS.index(m.group(2))
        d = 0 if m.group(1) == "src_" else 1
        return float(sum(1 for fl, dd in zip(pk["tcp_flags"], pk["dir"]) if dd == d and fl & bit)), True
    m = SEQ_RE.match(col)
    if m:
        if truncated and "fk.wire_len.all.n" in f.get("features", {}) and \
                m.group(2) in RUN_SEQS and m.group(3) in RUN_STATS:
            return SKIP  # from the running aggregates: flow-stats.t compares them
        if pk is None or truncated:
            return None
        key = (m.group(2), m.group(1) or "")
        return stat(seqs[key], m.group(3), key)
    m = re.match(r"^(src_|dst_)init_win$", col)
    if m:
        d = 0 if m.group(1) == "src_" else 1
        w = [w for w, dd in zip(pk["window"], pk["dir"]) if dd == d]
        return (float(w[0]), True) if w and f["proto"] == 6 else None
    m = re.match(r"^splt_(len|dir)_(\d+)$", col)
    if m:
        k = int(m.group(2)) - 1
        if k >= len(pk["dir"]):
            return None if truncated else (-1.0, True)
        return float(pk["ip_len"][k] if m.group(1) == "len" else pk["dir"][k]), True
    dur = (f["last_ns"] - f["first_ns"]) / 1e9
    pk_all = f["src_pkts"] + f["dst_pkts"]
    by_all = f["src_bytes"] + f["dst_bytes"]
    simple = {
        "duration_s": dur,
        "pkts_per_s": pk_all / dur if dur else 0.0,
        "bytes_per_s": by_all / dur if dur else 0.0,
        "src_pkts_per_s": f["src_pkts"] / dur if dur else 0.0,
        "dst_pkts_per_s": f["dst_pkts"] / dur if dur else 0.0,
        "src_bytes_per_s": f["src_bytes"] / dur if dur else 0.0,
        "dst_bytes_per_s": f["dst_bytes"] / dur if dur else 0.0,
        "down_up_pkts": f["dst_pkts"] / f["src_pkts"] if f["src_pkts"] else 0.0,
        "down_up_bytes": f["dst_bytes"] / f["src_bytes"] if f["src_bytes"] else 0.0,
        "stats_capped": 1.0 if truncated else 0.0,
        "pkts_stored": float(len(pk["dir"])) if pk else 0.0,
        "pkts": float(pk_all),
    }
    if col in simple:
        return simple[col], True
    if col == "label":
        return f.get("label"), True
    if col in f:
        return f[col], True
    raise KeyError(col)


def main():
    gap_ns = float(sys.argv[3]) * 1e9
    bad = checked = exact = 0
    worst = 0.0
    with open(sys.argv[1]) as fp, open(sys.argv[2]) as fs:
        for n, (lp, ls) in enumerate(zip(fp, fs), 1):
            f, row = json.loads(lp), json.loads(ls)
            MOMENTS.clear()
            seqs = sequences(f, gap_ns) if "packets" in f else {}
            for col, got in row.items():
                want = (float(n), True) if col == "row" else expected(f, col, seqs)
                if want is SKIP:
                    continue
                checked += 1
                if want is None or want[0] is None:
                    if got is not None:
                        print("row %d %s: got %r, want empty" % (n, col, got))
                        bad += 1
                    continue
                w, is_exact = want
                if isinstance(w, str) or isinstance(got, str):
                    ok = w == got
                elif got is None:
                    ok = False
                elif is_exact:
                    ok = float(got) == float(w)
                else:
                    # relative, but absolute near 0 for the unitless
                    # skew, kurt and cv (whose true value may be 0)
                    unitless = col.endswith(("skew", "kurt", "cv"))
                    scale = max(abs(w), 1.0) if unitless else abs(w)
                    err = abs(float(got) - w) / scale if scale else abs(float(got))
                    worst = max(worst, err)
                    ok = err <= REL
                if ok and not isinstance(w, str) and got is not None and float(got) == float(w):
                    exact += 1
                if not ok:
                    print("row %d %s: got %r, want %r" % (n, col, got, w))
                    bad += 1
    print("%d values checked, %d bit-exact, %d disagree; worst relative difference %.3g"
          % (checked, exact, bad, worst))
    sys.exit(1 if bad or checked == 0 else 0)


main()
