#!/usr/bin/env python3
"""cic_check.py - recompute flow-stats' cicflowmeter columns with numpy.

usage: cic_check.py PACKETS.jsonl DEFAULT.jsonl COMPAT.jsonl

PACKETS.jsonl is `flow-json -p` of a stream; DEFAULT.jsonl and
COMPAT.jsonl are `flow-stats --set cicflowmeter -f jsonl` of the same
stream without and with `--compat cicflowmeter`.  Every numeric column of
every flow whose packet table is complete is recomputed here from the
per-packet arrays and the definitions in flow-stats(1), CICFLOWMETER
(numpy's mean, std(ddof=1), var(ddof=1); plain loops for bulks,
subflows and active/idle periods), in both modes, and compared: integers,
minima and maxima exactly, the others within REL.  Prints one line per
disagreement and a summary; exit 1 if any.
"""
import json
import math
import sys
from datetime import datetime, timezone

import numpy as np

REL = 1e-12


def mean(x):
    return float(np.mean(x)) if len(x) else 0.0


def sstd(x):
    return float(np.std(x, ddof=1)) if len(x) > 1 else 0.0


def four(x, empty):
    """mean, sample std, max, min; `empty` (0 or nan) for no values."""
    if not len(x):
        return [empty] * 4
    return [mean(x), sstd(x), float(np.max(x)), float(np.min(x))]


def div(a, b, java):
    if b:
        return a / b
    if not java:
        return 0.0
    return math.inf if a else math.nan


def bulks(ts, lens, dirs, per_dir, second):
    """(bulks, packets, bytes, duration) per direction (0, 1): runs of >= 4
    data packets, gaps <= 1 s, ended (per_dir) by data the other way."""
    out = {0: [0, 0, 0, 0], 1: [0, 0, 0, 0]}
    run = {0: None, 1: None}  # [start, last, pkts, bytes]
    for t, n, d in zip(ts, lens, dirs):
        if n == 0:
            continue
        k = d if per_dir else 1
        if per_dir:
            run[1 - d] = None
        r = run[k]
        if r is None or t - r[1] > second:
            run[k] = [t, t, 1, n]
            continue
        r[2] += 1
        r[3] += n
        o = out[k]
        if r[2] == 4:
            o[0] += 1
            o[1] += 4
            o[2] += r[3]
            o[3] += t - r[0]
        elif r[2] > 4:
            o[1] += 1
            o[2] += n
            o[3] += t - r[1]
        r[1] = t
    return out


def expected(f, compat):
    p = f["packets"]
    v6 = f["ipv"] == 6
    tcp = f["proto"] == 6
    n = len(p["t_ns"])
    first_dir = p["dir"][0]
    fwd = [d == (first_dir if compat else 0) for d in p["dir"]]
    if compat:  # integer microseconds (IPv6: milliseconds) of the absolute time
        q = 1000000 if v6 else 1000
        ts = [(f["first_ns"] + t) // q for t in p["t_ns"]]
        ts = [t - ts[0] for t in ts]
        per_us, second = 1, 1000000
    else:
        ts = list(p["t_ns"])
        per_us, second = 1000, 1000000000
    ip = np.array(p["ip_len"], float)
    pl = np.array(p["payload_len"], float)
    l4 = np.array(p["l4_len"], float)
    lens = pl if compat else ip
    hdr = np.clip((l4 - pl) if compat else (ip - pl), 0, None)
    flags = [0 if compat and v6 else x for x in p["tcp_flags"]]
    wins = [0 if compat and v6 else x for x in p["window"]]
    F = np.array(fwd)
    B = ~F
    t = np.array(ts, dtype=np.int64)
    dur = (ts[-1] if compat else f["last_ns"] - f["first_ns"])
    dur_s = dur / (1e6 if compat else 1e9)
    e = {}
    e["Flow Duration"] = dur / per_us
    e["Tot Fwd Pkts"] = int(F.sum())
    e["Tot Bwd Pkts"] = int(B.sum())
    e["TotLen Fwd Pkts"] = float(lens[F].sum())
    e["TotLen Bwd Pkts"] = float(lens[B].sum())
    for name, m in (("Fwd", F), ("Bwd", B)):
        x = lens[m]
        e[name + " Pkt Len Max"] = float(x.max()) if len(x) else 0.0
        e[name + " Pkt Len Min"] = float(x.min()) if len(x) else 0.0
        e[name + " Pkt Len Mean"] = mean(x)
        e[name + " Pkt Len Std"] = sstd(x)
    e["Flow Byts/s"] = div(float(lens.sum()), dur_s, compat)
    e["Flow Pkts/s"] = div(float(n), dur_s, compat)
    iat = np.diff(t) / per_us
    for k, v in zip(("Mean", "Std", "Max", "Min"), four(iat, math.nan if compat else 0.0)):
        e["Flow IAT " + k] = v
    for name, m in (("Fwd", F), ("Bwd", B)):
        x = np.diff(t[m]) / per_us
        vals = [float(x.sum())] + four(x, 0.0) if m.sum() > 1 else [0.0] * 5
        for k, v in zip(("Tot", "Mean", "Std", "Max", "Min"), vals):
            e[name + " IAT " + k] = v
    first = np.arange(n) == 0
    for bit, fl in ((8, "PSH"), (32, "URG")):
        has = np.array([bool(x & bit) for x in flags])
        if compat:
            has &= first
        e["Fwd %s Flags" % fl] = int((has & F).sum())
        e["Bwd %s Flags" % fl] = int((has & B).sum())
    e["Fwd Header Len"] = float(hdr[F].sum())
    e["Bwd Header Len"] = float(hdr[B].sum())
    e["Fwd Pkts/s"] = F.sum() / dur_s if dur > 0 else 0.0
    e["Bwd Pkts/s"] = B.sum() / dur_s if dur > 0 else 0.0
    al = np.concatenate([lens[:1], lens]) if compat else lens
    e["Pkt Len Min"] = float(al.min())
    e["Pkt Len Max"] = float(al.max())
    e["Pkt Len Mean"] = mean(al)
    e["Pkt Len Std"] = sstd(al)
    e["Pkt Len Var"] = float(np.var(al, ddof=1)) if len(al) > 1 else 0.0
    for bit, name in ((1, "FIN Flag Cnt"), (2, "SYN Flag Cnt"), (4, "RST Flag Cnt"),
                      (8, "PSH Flag Cnt"), (16, "ACK Flag Cnt"), (32, "URG Flag Cnt"),
                      (128, "CWE Flag Count"), (64, "ECE Flag Cnt")):
        e[name] = sum(1 for x in flags if x & bit)
    nf, nb = int(F.sum()), int(B.sum())
    e["Down/Up Ratio"] = (nb // nf if compat else nb / nf) if nf else 0.0
    e["Pkt Size Avg"] = float(al.sum()) / n
    e["Fwd Seg Size Avg"] = mean(pl[F])
    e["Bwd Seg Size Avg"] = mean(pl[B])
    bk = bulks(ts, [int(x) for x in pl], [0 if x else 1 for x in fwd], not compat, second)
    if compat:
        bk = {0: [0, 0, 0, 0], 1: bk[1]}
    for name, d in (("Fwd", 0), ("Bwd", 1)):
        nbk, pk, by, du = bk[d]
        if compat:
            vals = [by // nbk if nbk else 0, pk // nbk if nbk else 0,
                    math.trunc(by / (du / 1e6)) if du else 0]
        else:
            vals = [by / nbk if nbk else 0, pk / nbk if nbk else 0, by / (du / 1e9) if du else 0]
        e[name + " Byts/b Avg"], e[name + " Pkts/b Avg"], e[name + " Blk Rate Avg"] = vals
    gaps = int((np.diff(t) > second).sum())
    for name, m in (("Fwd", F), ("Bwd", B)):
        by = int(pl[m].sum()) if compat else int(ip[m].sum())
        if compat:
            e["Subflow %s Pkts" % name] = int(m.sum()) // gaps if gaps else 0
            e["Subflow %s Byts" % name] = by // gaps if gaps else 0
        else:
            e["Subflow %s Pkts" % name] = m.sum() / (gaps + 1)
            e["Subflow %s Byts" % name] = by / (gaps + 1)
    fw = [w for w, x in zip(wins, fwd) if x]
    bw = [w for w, x in zip(wins, fwd) if not x]
    if compat:
        e["Init Fwd Win Byts"] = fw[0] if tcp and fw else 0
        e["Init Bwd Win Byts"] = bw[-1] if tcp and bw else 0
    else:
        e["Init Fwd Win Byts"] = fw[0] if tcp and fw else None
        e["Init Bwd Win Byts"] = bw[0] if tcp and bw else None
    act = (pl > 0) & F
    if compat:
        act &= ~first
    e["Fwd Act Data Pkts"] = int(act.sum())
    seg = hdr[F] if compat else pl[F]
    e["Fwd Seg Size Min"] = float(seg.min()) if len(seg) else 0.0
    active, idle = [], []
    if compat:  # looked at only after gaps over 1 s, 5 s activity timeout
        s0 = s1 = 0
        for a, b in zip(ts, ts[1:]):
            if b - a > second:
                if b - s1 > 5000000:
                    if s1 - s0 > 0:
                        active.append(s1 - s0)
                    idle.append(b - s1)
                    s0 = s1 = b
                else:
                    s1 = b
        if s1 - s0 > 0:
            active.append(s1 - s0)
        if f["end"] != "fin" and 120000000 - s1 > 0:
            idle.append(120000000 - s1)
    else:
        s0 = ts[0]
        for a, b in zip(ts, ts[1:]):
            if b - a > 5e9:
                active.append(a - s0)
                idle.append(b - a)
                s0 = b
        active.append(ts[-1] - s0)
    for name, x in (("Active", active), ("Idle", idle)):
        for k, v in zip(("Mean", "Std", "Max", "Min"), four(np.array(x, float) / per_us, 0.0)):
            e[name + " " + k] = v
    sec = f["first_ns"] // 10**9
    dt = datetime.fromtimestamp(sec, timezone.utc)
    if compat:
        e["Timestamp"] = dt.strftime("%d/%m/%Y %I:%M:%S %p")
    else:
        frac = f["first_ns"] % 10**9
        e["Timestamp"] = dt.strftime("%Y-%m-%d %H:%M:%S") + (
            ".%06d" % (frac // 1000) if frac % 1000 == 0 else ".%09d" % frac)
    e["Flow ID"] = "%s-%s-%d-%d-%d" % (f["src"], f["dst"], f["sport"], f["dport"], f["proto"])
    return e


def same(a, b):
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        if b == "Infinity":
            return a == math.inf
        if b == "NaN":
            return isinstance(a, float) and math.isnan(a)
        return a == b
    if isinstance(a, float) and (math.isnan(a) or math.isinf(a)):
        return False
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b))


def main():
    bad = rows = 0
    java = {"Infinity": 0, "NaN": 0}
    with open(sys.argv[1]) as fp, open(sys.argv[2]) as fd, open(sys.argv[3]) as fc:
        for i, (lp, ld, lc) in enumerate(zip(fp, fd, fc), 1):
            f = json.loads(lp)
            if "packets" not in f or "pkts_truncated" in f.get("flags", []):
                continue
            rows += 1
            for compat, got in ((False, json.loads(ld)), (True, json.loads(lc))):
                for k, v in expected(f, compat).items():
                    if got[k] in java:
                        java[got[k]] += 1
                    if not same(v, got[k]):
                        bad += 1
                        if bad <= 30:
                            print("row %d %s %s: want %r, got %r" % (
                                i, "compat" if compat else "default", k, v, got[k]))
    print("%d rows, %d disagreements; compat Infinity %d, NaN %d" % (
        rows, bad, java["Infinity"], java["NaN"]))
    sys.exit(1 if bad or rows == 0 else 0)


main()
