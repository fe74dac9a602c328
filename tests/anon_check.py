#!/usr/bin/python3
"""anon_check.py - helpers of tests/flow-anon.t (Debian python3, standard library only).

  anon_check.py pcap JSONL OUTPREFIX [all]
      Rebuild captures from the "pkt_bytes" of flow-json -x output: one
      pcap per link type, OUTPREFIX-LT.pcap (network-layer bytes as
      LINKTYPE_RAW, 101).  Only packets stored whole (the stored bytes are
      all the captured bytes, and nothing was cut by the snapshot length)
      are written, so that every checksum can be verified, unless "all"
      is given.  Prints the file names.

  anon_check.py seen FIELDS ANONFIELDS
      The original addresses and MACs (FIELDS, as for leak) that tshark
      still finds in the rebuilt anonymized captures (ANONFIELDS, the same
      tshark fields).  Exit 1 when there is one.

  anon_check.py leak FIELDS STREAM JSONL [ORIGJSONL|- ["ADDR ..."]]
      FIELDS is tshark -T fields output (-e ip.src -e ip.dst -e ipv6.src
      -e ipv6.dst -e eth.src -e eth.dst, -E occurrence=a, comma-separated
      values, tab-separated fields).  Reports every original address or MAC
      found in STREAM (raw bytes, network order) or in JSONL (as text, in
      any string value; hex strings are searched for the raw bytes).
      Exit 1 when something leaked.  Skipped, and listed as skipped:
      loopback addresses, addresses and MACs made of at most two distinct
      byte values (0.0.0.0, ff:ff:..., 48.48.48.48 = "0000", 00:..:01), which fill counters, padding and crafted
      payloads; and, when ORIGJSONL (flow-json -x of the original stream)
      is given, those that occur in the payload of an original TCP, UDP or
      SCTP flow: application data is not anonymized (flow-anon(1)); and
      the addresses listed in the last argument (application data inside
      tunnels, which the test names one by one).

  anon_check.py paypcap JSONL ORIGJSONL OUTPREFIX
      Rebuild the PAYLOAD elements of the UDP and SCTP flows of JSONL
      (flow-json -p -x output) as packets, OUTPREFIX-pay.pcap (LINKTYPE_RAW):
      the payload is cut into per-packet slices by the "payload_len" of the
      per-packet table, and each slice is wrapped in an IPv4 header from
      198.51.100.1 to 198.51.100.2 and a UDP or SCTP common header with the
      ports of the same flow in ORIGJSONL (the original stream, flows in
      the same order), so that tshark finds the tunnels by port as it does
      in the captures.

  anon_check.py fields PCAP ...
      Every address and MAC that tshark decodes in a header or control
      field of the captures (the protocols of HDR_PROTOS: link, IP, ICMP,
      transport, tunnel and label headers, not application data), one
      "field value" a line.

  anon_check.py cmp ORIGFIELDS ANONFIELDS
      The original addresses and MACs (fields output) that turn up in the
      anonymized ones; loopback and fill patterns skipped.  Exit 1 when
      there is one; the last line counts them.

  anon_check.py ports FULLJSONL CUTJSONL
      FULLJSONL is flow-json -x of an original stream whose packets are
      stored whole, CUTJSONL of the same flows stored with a small byte
      budget and anonymized with --ports zero.  tshark finds every port
      field (TCP, UDP, SCTP, tunnels and quotes included) in the first
      packet of each flow of FULLJSONL; whatever part of those fields the
      cut packet stores must be zero.  Exit 1 when a port byte survives.

  anon_check.py gre PCAP OUT PROTO
      A crafted capture from PCAP (Ethernet, IPv4, GRE without options,
      as gre_sample.pcap): the GRE protocol of every packet replaced by
      PROTO (hex); for 8847 an MPLS label (16, bottom of stack) is put
      in front of the payload, the outer IP lengths grown to match.

  anon_check.py same ORIGJSONL ANONJSONL
      Every copy of a rewritten header is rewritten the same way: for the
      UDP tunnel and SCTP flows (flow-json -p -x), each per-packet slice
      of the original PAYLOAD is found in the original stored packet, and
      the anonymized slice must equal the anonymized packet's bytes at the
      same place.  Prints the slices compared and those that differ.

  anon_check.py map JSONL
      Print "src dst" of every flow, for the consistency test.
"""
import ipaddress
import json
import re
import struct
import sys


def cmd_pcap(jsonl, prefix, every=""):
    out = {}
    for line in open(jsonl):
        rec = json.loads(line)
        pb = rec.get("pkt_bytes")
        if not pb:
            continue
        layer = pb["layer"]
        for p in pb["packets"]:
            data = bytes.fromhex(p["hex"])
            whole_frame = p["incl_len"] == p["orig_len"]
            if layer == "link":
                stored_all = len(data) == p["incl_len"]
                lt = p["linktype"]
            else:
                stored_all = len(data) == p["incl_len"] - p["link_len"]
                lt = 101
            if not (whole_frame and stored_all) and every != "all":
                continue
            f = out.get(lt)
            if f is None:
                name = "%s-%d.pcap" % (prefix, lt)
                f = open(name, "wb")
                f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, lt))
                out[lt] = f
                print(name)
            ts = p["ts_ns"]
            orig = len(data) if stored_all else max(len(data), p["orig_len"] - (p["link_len"] if layer != "link" else 0))
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(data), orig))
            f.write(data)
    for f in out.values():
        f.close()


ZERO_ONES = {b"\0" * 4, b"\xff" * 4, b"\0" * 16, b"\xff" * 16, b"\0" * 6, b"\xff" * 6}


def weak(b):
    """An IPv4 address with two zero bytes or more (10.0.0.1 = 0a 00 00 01),
    or bytes in sequence (12.13.14.15, a ping payload): such patterns turn
    up by chance in binary data (a TCP checksum ending in 0a, a zero urgent
    pointer, a NOP option), so they are not searched as raw bytes; the
    text check and the tshark check of flow-anon.t still see them."""
    seq = all(b[i + 1] == (b[i] + 1) & 0xFF for i in range(len(b) - 1))
    return (len(b) == 4 and b.count(0) >= 2) or seq


def fill(b):
    """At most two distinct byte values (0.0.0.0, 48.48.48.48 = "0000",
    aa:aa:aa:aa:aa:aa, 00:00:00:00:00:01): such patterns fill counters,
    padding, zero-extended fields and crafted payloads, so finding them
    proves nothing."""
    return len(set(b)) <= 2


def loopback(a):
    """127.0.0.0/8 and ::1 name every host's own loopback: they identify
    nobody, and 7f 00 00 01 turns up at random in binary data (a TCP
    checksum ending in 7f, a zero urgent pointer, a NOP option)."""
    return a.is_loopback


def originals(fields):
    addrs, macs = set(), set()
    for line in open(fields):
        cols = line.rstrip("\n").split("\t")
        for i, col in enumerate(cols):
            for v in col.split(","):
                v = v.strip()
                if not v:
                    continue
                if i < 4:
                    try:
                        addrs.add(ipaddress.ip_address(v))
                    except ValueError:
                        pass
                else:
                    if re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", v):
                        macs.add(bytes.fromhex(v.replace(":", "")))
    return addrs, macs


ADDR_RE = re.compile(r"[0-9A-Fa-f:.]{2,}")


def payload_bytes(jsonl):
    """The PAYLOAD elements of the original flows whose payload is
    application data (TCP, UDP, SCTP): what flow-anon documents as not
    anonymized.  Tunnels and ICMP are not exempt."""
    out = []
    for line in open(jsonl):
        rec = json.loads(line)
        if rec.get("proto") in (6, 17, 132) and "payload" in rec:
            out.append(bytes.fromhex(rec["payload"]))
    return b"\x00".join(out)


def cmd_leak(fields, stream, jsonl, origjson=None, known=""):
    addrs, macs = originals(fields)
    pay = payload_bytes(origjson) if origjson and origjson != "-" else b""
    exempt = set(x.packed for x in addrs if x.packed in pay) | set(m for m in macs if m in pay)
    for k in known.split():
        exempt.add(ipaddress.ip_address(k).packed)
    raw = open(stream, "rb").read()
    text = open(jsonl).read()
    leaks, skipped = [], []
    # Text: every token of a string value that parses as an address.
    seen_text = set()
    hexes = []
    for line in text.splitlines():
        rec = json.loads(line)
        stack = [rec]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
            elif isinstance(v, str):
                if re.fullmatch(r"[0-9a-f]+", v) and len(v) % 2 == 0 and len(v) >= 8:
                    hexes.append(v)
                for tok in ADDR_RE.findall(v):
                    try:
                        seen_text.add(ipaddress.ip_address(tok))
                    except ValueError:
                        if re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", tok):
                            seen_text.add(bytes.fromhex(tok.replace(":", "")))
    for a in sorted(addrs, key=lambda x: (x.version, x.packed)):
        b = a.packed
        if fill(b) or b in exempt or loopback(a):
            skipped.append(str(a) + ("(payload)" if b in exempt else ""))
            continue
        if b in raw and not weak(b):
            leaks.append("%s as raw bytes at offset %d" % (a, raw.index(b)))
        if a in seen_text:
            leaks.append("%s as text" % a)
    for m in sorted(macs):
        t = ":".join("%02x" % x for x in m)
        if fill(m) or m in exempt:
            skipped.append(t + ("(payload)" if m in exempt else ""))
            continue
        if m in raw and not weak(m):
            leaks.append("MAC %s as raw bytes at offset %d" % (t, raw.index(m)))
        if m in seen_text:
            leaks.append("MAC %s as text" % t)
    for lk in leaks:
        print("leak: " + lk)
    print("checked %d addresses, %d MACs; skipped %s" % (len(addrs), len(macs), " ".join(skipped) or "none"))
    return 1 if leaks else 0


def cmd_seen(fields, anonfields):
    addrs, macs = originals(fields)
    a2, m2 = originals(anonfields)
    bad = sorted(str(a) for a in addrs & a2 if not fill(a.packed)) + \
        sorted(m.hex() for m in macs & m2 if not fill(m))
    for x in bad:
        print("seen: " + x)
    print("%d addresses and %d MACs decoded by tshark in the anonymized packets" % (len(a2), len(m2)))
    return 1 if bad else 0


def flow_lines(jsonl):
    for line in open(jsonl):
        rec = json.loads(line)
        if "flowrec" not in rec:
            yield rec


def cmd_paypcap(jsonl, origjsonl, prefix):
    name = prefix + "-pay.pcap"
    f = open(name, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 101))
    ts = 0
    for rec, orig in zip(flow_lines(jsonl), flow_lines(origjsonl)):
        if rec.get("proto") not in (17, 132) or not rec.get("payload"):
            continue
        pay = bytes.fromhex(rec["payload"])
        lens = (rec.get("packets") or {}).get("payload_len") or [len(pay)]
        at = 0
        for n in lens:
            sl = pay[at:at + n]
            at += n
            if not sl:
                continue
            if rec["proto"] == 17:
                l4 = struct.pack(">HHHH", orig["sport"], orig["dport"], 8 + len(sl), 0) + sl
            else:
                l4 = struct.pack(">HHII", orig["sport"], orig["dport"], 0, 0) + sl
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, rec["proto"], 0,
                             bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]))
            d = ip + l4
            ts += 1
            f.write(struct.pack("<IIII", ts, 0, len(d), len(d)))
            f.write(d)
    f.close()
    print(name)


# Header and control protocols, as tshark names them: what flow-anon
# promises to rewrite.  Application protocols (DNS, HTTP, NTP...) are not
# in the list: their data is not anonymized (flow-anon(1)).
HDR_PROTOS = {"eth", "vlan", "ieee8021ad", "sll", "ip", "ipv6", "icmp", "icmpv6", "tcp", "udp",
              "sctp", "gre", "erspan", "vxlan", "geneve", "teredo", "gtp", "mpls", "ppp",
              "pppoes", "nsh", "wccp", "igmp", "mip"}
MAC_RE = re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}")
# Byte strings (options, payloads, nonces) print as colon-separated hex
# that may parse as an IPv6 address or a MAC: such fields are not
# address fields.
BLOB_RE = re.compile(r"payload|option|data|nonce|reserved|padding|bytes|key|cookie|tsval|timestamp|information")


def pairs(kv):
    return kv


def walk(node, out):
    if isinstance(node, list):
        for k, v in (x for x in node if isinstance(x, tuple)):
            if isinstance(v, list) and v and isinstance(v[0], tuple):
                walk(v, out)
            elif isinstance(v, str):
                out.append((k, v))


def cmd_fields(*pcaps):
    import subprocess
    for p in pcaps:
        js = subprocess.run(["tshark", "-n", "-r", p, "-T", "json", "-J", " ".join(sorted(HDR_PROTOS))],
                            capture_output=True).stdout.decode("utf-8", "replace")
        if not js.strip():
            continue
        for pkt in json.loads(js, object_pairs_hook=pairs):
            src = dict(pkt).get("_source")
            layers = dict(src).get("layers") if src else None
            vals = []
            for proto, tree in layers or []:
                if proto.split(".")[0] in HDR_PROTOS and isinstance(tree, list):
                    walk(tree, vals)
            for k, v in vals:
                if k.split(".")[0] not in HDR_PROTOS or k.endswith("_resolved") or k.endswith(".oui"):
                    continue
                if k == "ipv6.opt" or BLOB_RE.search(k.split(".", 1)[-1]) and not k.endswith(".prefix"):
                    continue
                v = v.strip().lower()
                if MAC_RE.fullmatch(v):
                    print(k, v)
                    continue
                try:
                    print(k, ipaddress.ip_address(v))
                except ValueError:
                    pass


def read_fields(path):
    out = {}
    for line in open(path):
        k, _, v = line.strip().partition(" ")
        out.setdefault(v, k)
    return out


def skippable(v):
    if MAC_RE.fullmatch(v):
        return fill(bytes.fromhex(v.replace(":", "")))
    a = ipaddress.ip_address(v)
    return fill(a.packed) or loopback(a)


def cmd_cmp(origf, anonf):
    orig, anon = read_fields(origf), read_fields(anonf)
    bad = sorted(v for v in orig if v in anon and not skippable(v))
    for v in bad:
        print("leak: %s %s (originally %s)" % (anon[v], v, orig[v]))
    print("%d leaks; %d original and %d anonymized header values" % (len(bad), len(orig), len(anon)))
    return 1 if bad else 0


def raw_fields(node, out):
    if isinstance(node, list):
        for k, v in (x for x in node if isinstance(x, tuple)):
            if isinstance(v, list) and v and isinstance(v[0], tuple):
                raw_fields(v, out)
            elif k.endswith("port_raw") and isinstance(v, list) and len(v) >= 3 and \
                    not isinstance(v[0], list):
                out.append((k, int(v[1]), int(v[2])))
            elif k.endswith("port_raw") and isinstance(v, list):
                for x in v:
                    if isinstance(x, list) and len(x) >= 3:
                        out.append((k, int(x[1]), int(x[2])))


def cmd_ports(fulljsonl, cutjsonl):
    import subprocess
    import tempfile
    full = [r for r in flow_lines(fulljsonl)]
    cut = [r for r in flow_lines(cutjsonl)]
    bad, checked = [], 0
    with tempfile.TemporaryDirectory() as d:
        groups = {}
        for i, rec in enumerate(full):
            pb = rec.get("pkt_bytes")
            if not pb or not pb["packets"]:
                continue
            p = pb["packets"][0]
            lt = p["linktype"] if pb["layer"] == "link" else 101
            groups.setdefault(lt, []).append((i, bytes.fromhex(p["hex"])))
        for lt, pkts in groups.items():
            name = "%s/%d.pcap" % (d, lt)
            with open(name, "wb") as f:
                f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, lt))
                for _, data in pkts:
                    f.write(struct.pack("<IIII", 0, 0, len(data), len(data)) + data)
            js = subprocess.run(["tshark", "-n", "-r", name, "-T", "json", "-x", "-J", "tcp udp sctp"],
                                capture_output=True).stdout.decode("utf-8", "replace")
            frames = json.loads(js, object_pairs_hook=pairs) if js.strip() else []
            for (i, _), fr in zip(pkts, frames):
                src = dict(dict(fr).get("_source") or [])
                ranges = []
                for proto, tree in src.get("layers") or []:
                    raw_fields(tree if isinstance(tree, list) else [], ranges)
                cp = (cut[i].get("pkt_bytes") or {}).get("packets") or []
                if not cp:
                    continue
                data = bytes.fromhex(cp[0]["hex"])
                for k, off, ln in ranges:
                    have = data[off:off + ln]
                    if not have:
                        continue
                    checked += 1
                    if any(have):
                        bad.append("flow %d: %s at %d: %s stored" % (i, k, off, have.hex()))
    for b in bad:
        print("port: " + b)
    print("%d port fields checked, %d not zero" % (checked, len(bad)))
    return 1 if bad else 0


def cmd_gre(pcap, out, proto):
    proto = int(proto, 16)
    d = open(pcap, "rb").read()
    o = [d[:24]]
    at = 24
    while at + 16 <= len(d):
        ts, us, incl, orig = struct.unpack("<IIII", d[at:at + 16])
        pkt = bytearray(d[at + 16:at + 16 + incl])
        at += 16 + incl
        ihl = (pkt[14] & 15) * 4
        g = 14 + ihl
        if pkt[12:14] == b"\x08\x00" and pkt[23] == 47 and pkt[g:g + 2] == b"\0\0":
            pkt[g + 2:g + 4] = struct.pack(">H", proto)
            if proto == 0x8847:
                pkt[g + 4:g + 4] = struct.pack(">I", 16 << 12 | 1 << 8 | 64)
                struct.pack_into(">H", pkt, 16, struct.unpack(">H", pkt[16:18])[0] + 4)
                incl += 4
                orig += 4
        o.append(struct.pack("<IIII", ts, us, incl, orig) + bytes(pkt))
    open(out, "wb").write(b"".join(o))


TUNNEL_PORTS = (3544, 4789, 6081, 2152)


def slices(rec):
    pay = bytes.fromhex(rec.get("payload", ""))
    out, at = [], 0
    for n in (rec.get("packets") or {}).get("payload_len") or []:
        out.append(pay[at:at + n])
        at += n
    return out


def cmd_same(origjsonl, anonjsonl):
    compared = differ = 0
    for o, a in zip(flow_lines(origjsonl), flow_lines(anonjsonl)):
        tun = o.get("proto") == 17 and (o["sport"] in TUNNEL_PORTS or o["dport"] in TUNNEL_PORTS)
        if not (tun or o.get("proto") == 132) or "payload" not in a or "pkt_bytes" not in o:
            continue
        os_, as_ = slices(o), slices(a)
        op = {p["index"]: bytes.fromhex(p["hex"]) for p in o["pkt_bytes"]["packets"]}
        ap = {p["index"]: bytes.fromhex(p["hex"]) for p in a["pkt_bytes"]["packets"]}
        for i, (x, y) in enumerate(zip(os_, as_)):
            if i not in op or i not in ap or len(x) < 8 or len(x) != len(y):
                continue
            at = op[i].rfind(x)
            if at < 0:
                continue
            compared += 1
            if ap[i][at:at + len(y)] != y:
                differ += 1
                print("differ: %s %s:%d packet %d" % (o["src"], o["dport"], o["sport"], i))
    print("%d slices compared, %d differ" % (compared, differ))
    return 1 if differ or not compared else 0


def cmd_map(jsonl):
    for line in open(jsonl):
        rec = json.loads(line)
        if "src" in rec:
            print(rec["src"], rec["dst"])


def main(argv):
    if len(argv) >= 2 and argv[1] == "pcap" and len(argv) in (4, 5):
        cmd_pcap(*argv[2:])
        return 0
    if len(argv) >= 2 and argv[1] == "leak" and len(argv) in (5, 6, 7):
        return cmd_leak(*argv[2:])
    if len(argv) >= 2 and argv[1] == "seen" and len(argv) == 4:
        return cmd_seen(argv[2], argv[3])
    if len(argv) == 5 and argv[1] == "paypcap":
        cmd_paypcap(*argv[2:])
        return 0
    if len(argv) >= 3 and argv[1] == "fields":
        cmd_fields(*argv[2:])
        return 0
    if len(argv) == 5 and argv[1] == "gre":
        cmd_gre(*argv[2:])
        return 0
    if len(argv) == 4 and argv[1] == "same":
        return cmd_same(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "ports":
        return cmd_ports(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "cmp":
        return cmd_cmp(argv[2], argv[3])
    if len(argv) >= 2 and argv[1] == "map" and len(argv) == 3:
        cmd_map(argv[2])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
