#!/usr/bin/python3
"""idx_check.py - independent checks of flow-idx output with numpy.

Run with Debian's /usr/bin/python3 (it has numpy).

  idx_check.py load PREFIX
      load PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte with numpy,
      check magic, counts and sizes; print "N ROWS COLS".
  idx_check.py expect FLOWS.jsonl PREFIX [options]
      recompute every image and label from `flow-json -a` output (the
      session bytes as hex) and compare with the IDX files.  Options:
      --layer network|link|payload, --framing, --trailer, --rows N,
      --cols N, --pad B, --dedup file|all|none, --classes FILE,
      --mask-addr (zero IPv4/IPv6 addresses; network layer only),
      --max-per-class N with --cap-keep first|largest (the first N of
      each class in input order, or the N longest sessions, ties to the
      earlier, written in input order), --sample F --seed S (a flow is
      kept when the first 53 bits of SHA-256("flowkit sample", S, its
      identity) / 2^53 < F; the identity as flow-idx(1) defines it).
  idx_check.py split WHOLE PART...
      the parts hold no image in common, and together hold exactly the
      (image, label) pairs of WHOLE (a prefix written without --split).
  idx_check.py ustc PCAP PREFIX [--l7]
      rebuild USTC-TK2016 AllLayers images straight from a classic pcap
      file as SplitCap 2.1 writes them (TCP and UDP sessions only, one per
      bidirectional 5-tuple, every packet kept, each record's orig_len
      equal to its incl_len, byte-identical sessions removed) with
      struct, and compare with PREFIX (written unlabeled); --l7: the
      transport payloads instead, 1-byte payloads left out (as SplitCap
      does), empty sessions left out.
  idx_check.py splitcap OUT
      write a small Ethernet capture for the SplitCap rules: TCP and UDP
      sessions with 1-byte payloads, a frame cut by the snapshot length,
      ICMP, and a TCP session whose only payloads are 1 byte long.
  idx_check.py seed001 PCAP PREFIX [--anon]
      the same for seed 001 on a raw-IP capture (see seed001()).
"""
import hashlib
import ipaddress
import json
import os
import struct
import sys

import numpy as np


def load(prefix):
    with open(prefix + "-images-idx3-ubyte", "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    assert magic == 0x00000803, "image magic %08x" % magic
    assert len(raw) == 16 + n * rows * cols, "image file size"
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)
    with open(prefix + "-labels-idx1-ubyte", "rb") as f:
        raw = f.read()
    magic, m = struct.unpack(">II", raw[:8])
    assert magic == 0x00000801, "label magic %08x" % magic
    assert len(raw) == 8 + m, "label file size"
    assert m == n, "images %d, labels %d" % (n, m)
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    return images, labels


def mask_addr(b, quote=False):
    b = bytearray(b)
    if b and b[0] >> 4 == 4 and len(b) >= 20:
        b[12:20] = bytes(8)
        q = (b[0] & 15) * 4 + 8
        # An ICMP error (RFC 792: types 3, 4, 5, 11, 12) quotes a header.
        if not quote and b[9] == 1 and len(b) > q and b[q - 8] in (3, 4, 5, 11, 12) and \
                struct.unpack(">H", b[6:8])[0] & 0x1FFF == 0:
            b[q:] = mask_addr(bytes(b[q:]), True)
    elif b and b[0] >> 4 == 6:
        end = min(len(b), 40)
        if end > 8:
            b[8:end] = bytes(end - 8)
        # An ICMPv6 error (RFC 4443: types below 128) right after the header.
        if not quote and len(b) > 48 and b[6] == 58 and b[40] < 128:
            b[48:] = mask_addr(bytes(b[48:]), True)
    return bytes(b)


def session(flow, a):
    if a["layer"] == "payload":
        return bytes.fromhex(flow.get("payload", ""))
    pb = flow.get("pkt_bytes")
    if not pb:
        return b""
    ip_lens = flow.get("packets", {}).get("ip_len", [])
    out = b""
    first = True
    for p in pb["packets"]:
        d = bytes.fromhex(p["hex"])
        ll = p["link_len"]
        if pb["layer"] == "network":
            assert a["layer"] == "network"
            captured = p["incl_len"] - ll
            hdr = 0
        elif a["layer"] == "network":
            d = d[ll:]
            captured = p["incl_len"] - ll
            hdr = 0
        else:
            captured = p["incl_len"]
            hdr = ll
        want = captured
        ipl = ip_lens[p["index"]] if p["index"] < len(ip_lens) else 0
        if not a["trailer"] and not a["framing"] and ipl and hdr + ipl < want:
            want = hdr + ipl
        keep = d[:want]
        if a["mask_addr"]:
            keep = mask_addr(keep)
        if a["framing"]:
            if first:
                out += struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, p["linktype"])
            ts = p["ts_ns"]
            out += struct.pack(">IIII", ts // 10**9, ts % 10**9 // 1000, p["incl_len"], p["orig_len"])
        first = False
        out += keep
        if len(keep) < want:
            break
    return out


def image(b, rows, cols, pad):
    n = rows * cols
    b = b[:n]
    return b + bytes([pad]) * (n - len(b))


def expect(argv):
    flows_path, prefix = argv[0], argv[1]
    a = {"layer": "network", "framing": False, "trailer": False, "rows": 28, "cols": 28,
         "pad": 0, "dedup": "file", "classes": None, "mask_addr": False,
         "max_per_class": 0, "cap_keep": "first", "sample": 1.0, "seed": 0}
    i = 2
    while i < len(argv):
        k = argv[i][2:].replace("-", "_")
        if k in ("framing", "trailer", "mask_addr"):
            a[k] = True
            i += 1
            continue
        v = argv[i + 1]
        a[k] = int(v) if k in ("rows", "cols", "pad", "max_per_class", "seed") else v
        if k == "sample":
            a[k] = float(v)
        i += 2
    classes = {}
    fixed = a["classes"] is not None
    if fixed:
        for line in open(a["classes"]):
            line = line.strip()
            if line and not line.startswith("#"):
                name, cid = line.rsplit(None, 1)
                classes[name] = int(cid)
    want_imgs, want_labels, seen, lens, count = [], [], set(), [], {}
    for line in open(flows_path):
        flow = json.loads(line)
        if "ipv" not in flow:
            continue
        label = flow.get("label")
        if label is None:
            cls = 255
        elif label in classes:
            cls = classes[label]
        elif fixed:
            cls = 255
        else:
            cls = classes[label] = len(classes)
        if a["sample"] < 1 and not sampled_in(flow, a["seed"], a["sample"]):
            continue
        b = session(flow, a)
        if not b:
            continue
        if a["dedup"] != "none":
            key = hashlib.sha256(b).digest()
            if a["dedup"] == "file":
                key = (flow.get("source", {}).get("file", ""), key)
            if key in seen:
                continue
            seen.add(key)
        if a["max_per_class"] and a["cap_keep"] == "first":
            if count.get(cls, 0) >= a["max_per_class"]:
                continue
            count[cls] = count.get(cls, 0) + 1
        want_imgs.append(image(b, a["rows"], a["cols"], a["pad"]))
        want_labels.append(cls)
        lens.append(len(b))
    if a["max_per_class"] and a["cap_keep"] == "largest":
        labels_a, lens_a = np.array(want_labels), np.array(lens)
        order = np.arange(len(lens))
        keep = np.zeros(len(lens), bool)
        for c in set(want_labels):
            idx = order[labels_a == c]
            # longest first; of equal lengths, the earlier (a stable sort)
            ranked = idx[np.argsort(-lens_a[idx], kind="stable")]
            keep[ranked[:a["max_per_class"]]] = True
        want_imgs = [x for x, k in zip(want_imgs, keep) if k]
        want_labels = [x for x, k in zip(want_labels, keep) if k]
    images, labels = load(prefix)
    n, rows, cols = images.shape
    if (rows, cols) != (a["rows"], a["cols"]):
        sys.exit("shape %dx%d, expected %dx%d" % (rows, cols, a["rows"], a["cols"]))
    if n != len(want_imgs):
        sys.exit("%d images, expected %d" % (n, len(want_imgs)))
    for k in range(n):
        got = images[k].tobytes()
        if got != want_imgs[k]:
            first = next(j for j in range(len(got)) if got[j] != want_imgs[k][j])
            sys.exit("image %d differs from byte %d: got %s want %s" %
                     (k, first, got[first:first + 8].hex(), want_imgs[k][first:first + 8].hex()))
        if labels[k] != want_labels[k]:
            sys.exit("label %d: got %d want %d" % (k, labels[k], want_labels[k]))
    if not fixed:
        names = {}
        for line in open(prefix + "-classes.txt"):
            cid, name = line.rstrip("\n").split(" ", 1)
            names[name] = int(cid)
        if names != classes:
            sys.exit("classes.txt %r, expected %r" % (names, classes))
    print("ok %d" % n)


def sampled_in(flow, seed, fraction):
    """The sample rule of flow-idx(1), from its definition."""
    def addr(text):
        b = ipaddress.ip_address(text).packed
        return b + bytes(16 - len(b))
    src = flow.get("source", {})
    name = src.get("file", "").encode()
    h = hashlib.sha256()
    h.update(b"flowkit sample")
    h.update(struct.pack(">QQ", seed, len(name)) + name)
    h.update(struct.pack(">QBBH", src.get("first_pkt", 0), flow["ipv"], flow["proto"], flow["sport"]))
    h.update(addr(flow["src"]) + addr(flow["dst"]))
    h.update(struct.pack(">QQ", flow["dport"], flow["first_ns"]))
    u = (int.from_bytes(h.digest()[:8], "big") >> 11) / 2.0**53
    return u < fraction


def split(argv):
    whole_i, whole_l = load(argv[0])
    pairs, where = [], {}
    for k, prefix in enumerate(argv[1:]):
        imgs, labs = load(prefix)
        for j in range(len(imgs)):
            b = imgs[j].tobytes()
            if where.setdefault(b, k) != k:
                sys.exit("an image is in %s and %s" % (argv[1 + where[b]], prefix))
            pairs.append((b, int(labs[j])))
    want = sorted((whole_i[j].tobytes(), int(whole_l[j])) for j in range(len(whole_i)))
    if sorted(pairs) != want:
        sys.exit("the parts hold %d pairs, the whole %d, or other ones" % (len(pairs), len(want)))
    print("ok %d parts, %d images, no image in two parts" % (len(argv) - 1, len(pairs)))


def read_pcap(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit("%s: not a classic pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", raw[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(e + "IIII", raw[off:off + 16])
        data = raw[off + 16:off + 16 + incl]
        off += 16 + incl
        usec = frac // 1000 if nano else frac
        yield linktype, sec, usec, incl, orig, data


def five_tuple(lt, d):
    """The bidirectional key of an Ethernet (VLAN-tagged or not) IPv4/IPv6 frame."""
    if lt != 1 or len(d) < 14:
        return None
    et, o = struct.unpack(">H", d[12:14])[0], 14
    while et in (0x8100, 0x88A8) and len(d) >= o + 4:
        et, o = struct.unpack(">H", d[o + 2:o + 4])[0], o + 4
    if et == 0x0800 and len(d) >= o + 20:
        ihl = (d[o] & 15) * 4
        proto, src, dst, t = d[o + 9], d[o + 12:o + 16], d[o + 16:o + 20], o + ihl
        if struct.unpack(">H", d[o + 6:o + 8])[0] & 0x1FFF:
            return None  # later fragments: no ports
    elif et == 0x86DD and len(d) >= o + 40:
        proto, src, dst, t = d[o + 6], d[o + 8:o + 24], d[o + 24:o + 40], o + 40
    else:
        return None
    if proto not in (6, 17) or len(d) < t + 4:
        return None  # SplitCap makes sessions of TCP and UDP only
    sp, dp = struct.unpack(">HH", d[t:t + 4])
    a, b = (src, sp), (dst, dp)
    return (proto,) + (a + b if a <= b else b + a)


def l7(lt, d):
    """The transport payload of an Ethernet IPv4/IPv6 TCP or UDP frame."""
    et, o = struct.unpack(">H", d[12:14])[0], 14
    while et in (0x8100, 0x88A8) and len(d) >= o + 4:
        et, o = struct.unpack(">H", d[o + 2:o + 4])[0], o + 4
    if et == 0x0800:
        end = o + struct.unpack(">H", d[o + 2:o + 4])[0]
        proto, t = d[o + 9], o + (d[o] & 15) * 4
    else:
        end = o + 40 + struct.unpack(">H", d[o + 4:o + 6])[0]
        proto, t = d[o + 6], o + 40
    if proto == 6:
        t += (d[t + 12] >> 4) * 4
    elif proto == 17:
        t += 8
    else:
        return b""
    return d[t:min(end, len(d))]


def ustc(argv):
    pcap, prefix = argv[0], argv[1]
    layer7 = "--l7" in argv
    sessions, order = {}, []
    for lt, sec, usec, incl, orig, d in read_pcap(pcap):
        k = five_tuple(lt, d)
        if k is None:
            continue
        if k not in sessions:
            sessions[k] = b"" if layer7 else struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, lt)
            order.append(k)
        if layer7:
            pl = l7(lt, d)
            if len(pl) != 1:  # SplitCap's L7 output leaves out 1-byte payloads
                sessions[k] += pl
        else:
            # SplitCap writes the captured length as the wire length too
            sessions[k] += struct.pack(">IIII", sec, usec, incl, incl) + d
    want, seen = [], set()
    for k in order:
        if not sessions[k]:
            continue
        h = hashlib.sha256(sessions[k]).digest()
        if h in seen:
            continue
        seen.add(h)
        want.append(image(sessions[k], 28, 28, 0))
    images, _ = load(prefix)
    got = [images[j].tobytes() for j in range(len(images))]
    if sorted(got) != sorted(want):
        sys.exit("%d images, expected %d; %d in common" %
                 (len(got), len(want), len(set(got) & set(want))))
    print("ok %d sessions" % len(got))


def seed001(argv):
    """Seed 001 on a raw-IP (DLT 101) capture: IPv4 TCP/UDP only; TCP packets
    with SYN, FIN or ACK and no payload dropped; DNS queries (destination
    port 53) dropped; one session per (unordered addresses, unordered ports);
    IP packets concatenated; addresses replaced by the first 4 bytes of
    SHA-256 of their dotted-quad text when --anon; sessions with equal bytes
    removed, first wins; unlabeled."""
    pcap, prefix = argv[0], argv[1]
    anon = "--anon" in argv
    sessions, order = {}, []
    for lt, sec, usec, incl, orig, d in read_pcap(pcap):
        if lt != 101 or len(d) < 20 or d[0] >> 4 != 4:
            continue
        ihl = (d[0] & 15) * 4
        tot = struct.unpack(">H", d[2:4])[0]
        proto = d[9]
        if proto not in (6, 17) or len(d) < ihl + 8:
            continue
        sp, dp = struct.unpack(">HH", d[ihl:ihl + 4])
        if proto == 6:
            doff = (d[ihl + 12] >> 4) * 4
            flags = d[ihl + 13]
            if flags & 0x13 and len(d) - ihl - doff <= 0:
                continue
        if dp == 53:
            continue
        pkt = d[:max(tot, 0) or len(d)]
        if anon:
            def h(a):
                return hashlib.sha256(".".join(str(x) for x in a).encode()).digest()[:4]
            pkt = pkt[:12] + h(pkt[12:16]) + h(pkt[16:20]) + pkt[20:]
        k = (tuple(sorted((d[12:16], d[16:20]))), tuple(sorted((sp, dp))))
        if k not in sessions:
            sessions[k] = b""
            order.append(k)
        sessions[k] += pkt
    want, seen = [], set()
    for k in order:
        hsh = hashlib.sha256(sessions[k]).digest()
        if hsh in seen:
            continue
        seen.add(hsh)
        want.append(image(sessions[k], 28, 28, 0))
    images, _ = load(prefix)
    got = [images[j].tobytes() for j in range(len(images))]
    if got != want:
        if sorted(got) == sorted(want):
            sys.exit("same %d images in another order" % len(got))
        sys.exit("%d images, expected %d; %d in common" %
                 (len(got), len(want), len(set(got) & set(want))))
    print("ok %d sessions" % len(got))


def splitcap(argv):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import mkpcap as m
    a, b, c = [10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3]
    t = m.T0
    out = [m.pcap_header()]

    def put(frame, wirelen=None):
        nonlocal t
        t += 0.01
        out.append(m.record(t, frame, wirelen))
    S, A, P, F = m.SYN, m.ACK, m.PSH, m.FIN
    put(m.eth(m.ipv4(a, b, 6, m.tcp(40000, 80, 100, 0, S))))
    put(m.eth(m.ipv4(b, a, 6, m.tcp(80, 40000, 500, 101, S | A))))
    put(m.eth(m.ipv4(a, b, 6, m.tcp(40000, 80, 101, 501, A))))
    put(m.eth(m.ipv4(a, b, 6, m.tcp(40000, 80, 101, 501, P | A, b"G"))))
    put(m.eth(m.ipv4(a, b, 6, m.tcp(40000, 80, 102, 501, P | A, b"ET / HTTP/1.0\r\n\r\n"))))
    put(m.eth(m.ipv4(b, a, 6, m.tcp(80, 40000, 501, 120, P | A, b"H"))))
    put(m.eth(m.ipv4(b, a, 6, m.tcp(80, 40000, 502, 120, P | A, b"TTP/1.0 200 OK\r\n\r\n"))))
    big = m.eth(m.ipv4(b, a, 6, m.tcp(80, 40000, 521, 120, P | A, bytes(range(256)) * 2)))
    put(big[:200], len(big))  # cut by the snapshot length: incl 200, orig more
    # UDP: a 1-byte datagram, an empty one, a 10-byte one
    put(m.eth(m.ipv4(a, c, 17, m.udp(5000, 6000, b"x"))))
    put(m.eth(m.ipv4(c, a, 17, m.udp(6000, 5000, b""))))
    put(m.eth(m.ipv4(a, c, 17, m.udp(5000, 6000, b"0123456789"))))
    # ICMP echo request and reply: no SplitCap session
    put(m.eth(m.ipv4(a, c, 1, b"\x08\x00\x00\x00\x00\x01\x00\x01abcdefgh")))
    put(m.eth(m.ipv4(c, a, 1, b"\x00\x00\x00\x00\x00\x01\x00\x01abcdefgh")))
    # a telnet-like TCP session of 1-byte payloads only: no L7 session
    for i, ch in enumerate(b"ls\r"):
        put(m.eth(m.ipv4(a, b, 6, m.tcp(40001, 23, 1000 + i, 1, P | A, bytes([ch])))))
        put(m.eth(m.ipv4(b, a, 6, m.tcp(23, 40001, 1, 1001 + i, P | A, bytes([ch])))))
    put(m.eth(m.ipv4(a, b, 6, m.tcp(40000, 80, 120, 1033, F | A))))
    with open(argv[0], "wb") as f:
        f.write(b"".join(out))


def main():
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "load":
        images, _ = load(argv[0])
        print("%d %d %d" % images.shape)
    elif cmd == "expect":
        expect(argv)
    elif cmd == "split":
        split(argv)
    elif cmd == "ustc":
        ustc(argv)
    elif cmd == "seed001":
        seed001(argv)
    elif cmd == "splitcap":
        splitcap(argv)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
