#!/usr/bin/python3
"""flowpic_ref.py - an independent FlowPic of a capture, for tests/flow-pic.t.

usage: flowpic_ref.py check CAPTURE X.npy INDEX.csv
       flowpic_ref.py craft OUT.pcap
       flowpic_ref.py gaps OUT.pcap
       flowpic_ref.py pngpix FILE.png

check: read CAPTURE with tshark (not with flowkit), make the original
FlowPic pictures from the definition (Shapira & Shavitt; the rules of
flow-pic(1), --flowpic-original) with numpy.histogram2d, and compare them,
byte for byte, with the rows of X.npy that INDEX.csv names.  Prints one
line per picture and exits 0 when every picture and the set of pictures
agree.

craft: write an Ethernet pcap whose flows sit on the rules' boundaries
(packets on window ends, spans of exactly 50 s, sizes 1500 and 1501,
10 and 11 packets, a flow shorter than one window).

gaps: a flow whose packets come in bursts hours apart.

pngpix: decode an 8-bit grey or RGB, non-interlaced PNG (zlib and the
five row filters of the PNG specification) and print its width, height,
colour type and the SHA-256 of its pixels: PNGs that libpng or zlib
versions compress differently compare equal when their pixels do.
"""
import hashlib
import zlib
import csv
import struct
import subprocess
import sys
from decimal import Decimal, ROUND_HALF_UP

import numpy as np

MTU = 1500
TPS = 60       # window
DELTA_T = 60   # step
MIN_TPS = 50   # span a kept window must exceed


def packets(cap):
    """Per packet: (epoch text, proto, src, sport, dst, dport, ip length)."""
    fields = ["frame.time_epoch", "ip.proto", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport",
              "udp.srcport", "udp.dstport", "ip.len"]
    cmd = ["tshark", "-n", "-r", cap, "-Y", "ip and (tcp or udp) and not icmp", "-T", "fields",
           "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        v = [x.split(",")[0] for x in line.split("\t")]
        t, proto, src, dst, tsp, tdp, usp, udp, iplen = v
        sport, dport = (tsp, tdp) if proto == "6" else (usp, udp)
        yield t, int(proto), src, int(sport), dst, int(dport), int(iplen)


def sessions(cap):
    """Unidirectional 5-tuple -> (times in s relative to its first packet,
    rounded to 1 us, sizes), in capture order."""
    d = {}
    for t, proto, src, sport, dst, dport, size in packets(cap):
        key = (src, sport, dst, dport, proto)
        if key not in d:
            d[key] = (Decimal(t), [], [])
        t0, ts, sizes = d[key]
        us = ((Decimal(t) - t0) * 1000000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        ts.append(int(us) / 1e6)
        sizes.append(size)
    return {k: (np.array(v[1], dtype=float), np.array(v[2], dtype=int)) for k, v in d.items()}


def flowpics(cap):
    pics = {}
    for key, (ts, sizes) in sessions(cap).items():
        if len(ts) <= 10:
            continue
        for t in range(int(ts[-1] / DELTA_T - TPS / DELTA_T) + 1):
            mask = (ts >= t * DELTA_T) & (ts <= t * DELTA_T + TPS)
            tm, sm = ts[mask], sizes[mask]
            if len(tm) > 10 and tm[-1] - tm[0] > MIN_TPS:
                norm = ((tm - tm[0]) / (tm[-1] - tm[0])) * MTU
                h, _, _ = np.histogram2d(sm, norm, bins=(range(0, MTU + 1), range(0, MTU + 1)))
                pics[(key, t)] = h.astype(np.uint16)
    return pics


def check(cap, xpath, index):
    ref = flowpics(cap)
    x = np.load(xpath)
    bad = 0
    if x.dtype != np.uint16 or x.shape[1:] != (1, MTU, MTU):
        print("X.npy is %s %s, not uint16 (N, 1, 1500, 1500)" % (x.dtype, x.shape))
        return 1
    ours = {}
    with open(index, newline="") as f:
        for row in csv.DictReader(f):
            src, sport, dst, dport = row["src"], int(row["sport"]), row["dst"], int(row["dport"])
            if row["dir"] == "down":
                src, sport, dst, dport = dst, dport, src, sport
            key = (src, sport, dst, dport, int(row["proto"]))
            ours[(key, int(row["window"]))] = int(row["row"])
    if len(ours) != x.shape[0]:
        print("index names %d rows, X holds %d" % (len(ours), x.shape[0]))
        bad += 1
    for k in sorted(set(ref) | set(ours)):
        if k not in ours:
            print("missing: %s window %d" % k)
            bad += 1
        elif k not in ref:
            print("extra: %s window %d" % k)
            bad += 1
        elif x[ours[k], 0].tobytes() != ref[k].tobytes():
            diff = np.argwhere(x[ours[k], 0] != ref[k])
            print("differs: %s window %d at %d cells, first (size, time) %s" %
                  (k[0], k[1], len(diff), tuple(diff[0])))
            bad += 1
        else:
            print("same: %s window %d (%d packets)" % (k[0], k[1], int(ref[k].sum())))
    print("pictures: %d reference, %d flow-pic" % (len(ref), len(ours)))
    return 1 if bad else 0


def craft(out, gaps=False):
    """Flows on the boundaries of the rules, Ethernet + IPv4 + UDP."""
    t0 = 1700000000
    recs = []

    def pkt(ts, a, b, sport, dport, iplen):
        payload = bytes(iplen - 28)
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, iplen, 1, 0x4000, 64, 17, 0,
                         bytes([10, 0, 0, a]), bytes([10, 0, 0, b])) + udp
        frame = bytes(6) + bytes([2, 0, 0, 0, 0, a]) + b"\x08\x00" + ip
        recs.append((ts, frame))

    if gaps:
        # G: three bursts of 12 packets over 55 s, 3 h and 30 h apart.
        for start in (0, 10800, 108000):
            for i in range(12):
                pkt(t0 + start + i * 5.0, 13, 14, 1006, 2006, 100 + i)
        write(out, recs)
        return
    # A: 1.5 s steps to 130.5 s, sizes cycling through 28..1501: windows
    # [0,60] and [60,120] (the packet at 60 s is in both), [120,180] dropped.
    for i in range(88):
        pkt(t0 + i * 1.5, 1, 2, 1000, 2000, [28, 100, 1499, 1500, 1501, 700][i % 6])
    # A's reverse direction: its own first packet at 0.25 s.
    for i in range(30):
        pkt(t0 + 0.25 + i * 2.0, 2, 1, 2000, 1000, 60 + i)
    # B: 12 packets spanning exactly 50 s: dropped.
    for i in range(12):
        pkt(t0 + 1 + i * (50 / 11), 3, 4, 1001, 2001, 200)
    # C: 12 packets spanning 50.000001 s, last one in the last time bin.
    for i in range(11):
        pkt(t0 + 2 + i * 4.0, 5, 6, 1002, 2002, 300 + i)
    pkt(t0 + 2 + 50.000001, 5, 6, 1002, 2002, 1234)
    # D: 11 packets, last at 55 s: the one window [0,60] is kept although
    # the flow is shorter than a window (the original's range()).
    for i in range(11):
        pkt(t0 + 3 + i * 5.5, 7, 8, 1003, 2003, 400)
    # E: 10 packets over 59 s: too few for the flow.
    for i in range(10):
        pkt(t0 + 4 + i * 6.5, 9, 10, 1004, 2004, 500)
    # F: 11 packets on [0, 60], 10 more on (60, 120) and one at 121 s:
    # window 0 holds 11 (kept), window 1 the 10 and the one at 60 s, which
    # both windows count (kept); [120, 180] is the dropped partial window.
    for i in range(11):
        pkt(t0 + 5 + i * 6.0, 11, 12, 1005, 2005, 64 + i)
    for i in range(1, 11):
        pkt(t0 + 5 + 60 + i * 5.9, 11, 12, 1005, 2005, 900)
    pkt(t0 + 5 + 121, 11, 12, 1005, 2005, 901)
    recs.sort(key=lambda r: r[0])
    write(out, recs)


def write(out, recs):
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for ts, frame in recs:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            if usec == 1000000:
                sec, usec = sec + 1, 0
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def pngpix(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack("!I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack("!IIBBBBB", body)
            assert depth == 8 and ctype in (0, 2) and interlace == 0, "unsupported PNG"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if ctype == 2 else 1
    raw, stride = zlib.decompress(idat), w * bpp
    prev, out = bytearray(stride), bytearray()
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    print("%dx%d type %d %s" % (w, h, ctype, hashlib.sha256(bytes(out)).hexdigest()))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "pngpix":
        pngpix(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:]))
    if len(sys.argv) == 3 and sys.argv[1] in ("craft", "gaps"):
        craft(sys.argv[2], sys.argv[1] == "gaps")
        sys.exit(0)
    sys.exit(__doc__)
