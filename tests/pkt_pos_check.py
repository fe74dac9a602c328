#!/usr/bin/env python3
"""pkt_pos_check.py - compare pkt_locate's field positions with tshark's.

usage: pkt_pos_check.py CAPTURE POSITIONS

POSITIONS is the output of `t_pkt -p CAPTURE`.  tshark's PDML gives the
position and size of every field it dissects; the fields the decoder
locates are taken from the first link header, the first IP header at
each depth (depth 1, 2... inside ICMP and ICMPv6 errors) and the
transport header right after it; tunnels' inner headers are tshark's
alone and left out.  Every field tshark shows must be in the table at the same offset and
length, and every field of the table stored whole (and not flagged as of
a cut header) must be one tshark shows.
Prints "ok N" (fields compared) or the differences, exit 1.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

# tshark field -> (kind, length to expect; None: the field's own size)
MAP = {
    "eth.dst": "macdst", "eth.src": "macsrc", "sll.src.eth": "macsrc",
    "ip.len": "iplen", "ip.id": "ipid", "ip.ttl": "ttl", "ip.checksum": "ipcsum",
    "ip.src": "saddr", "ip.dst": "daddr",
    "ipv6.flow": "flowlabel", "ipv6.plen": "iplen", "ipv6.hlim": "ttl",
    "ipv6.src": "saddr", "ipv6.dst": "daddr",
    "tcp.srcport": "sport", "tcp.dstport": "dport", "tcp.seq_raw": "seq",
    "tcp.ack_raw": "ack", "tcp.checksum": "l4csum",
    "udp.srcport": "sport", "udp.dstport": "dport", "udp.length": "udplen",
    "udp.checksum": "l4csum",
    "sctp.srcport": "sport", "sctp.dstport": "dport", "sctp.checksum": "l4csum",
    "icmp.checksum": "l4csum", "icmpv6.checksum": "l4csum",
}
IP = ("ip", "ipv6")
TRANS = ("tcp", "udp", "sctp", "icmp", "icmpv6")


def fields(proto, depth, out):
    """The mapped fields directly in proto (not in nested protos)."""
    stack = list(proto)
    if proto.get("name") == "sll":
        # The decoder takes the address for a MAC only with ARPHRD_ETHER.
        ht = [e for e in proto.iter("field") if e.get("name") == "sll.hatype"]
        if not ht or ht[0].get("show") != "1":
            stack = [e for e in stack if e.get("name") != "sll.src.eth"]
    while stack:
        e = stack.pop()
        if e.tag == "proto":
            continue
        name = e.get("name", "")
        if name in MAP and e.get("pos") is not None and e.get("hide") != "yes":
            out.add((depth, MAP[name], int(e.get("pos")), int(e.get("size"))))
        if name == "tcp.options.timestamp.tsval":
            out.add((depth, "tcpts", int(e.get("pos")), 8))
        stack.extend(list(e))


def level(protos, depth, out):
    """protos: the protocol elements at one depth, in order."""
    names = [p.get("name") for p in protos]
    if depth == 0:
        for p in protos:
            if p.get("name") in ("eth", "sll"):
                fields(p, 0, out)
                break
    links = 0
    for i, p in enumerate(protos):
        # An Ethernet frame inside (a pseudowire, a bridged tunnel) is not decoded.
        links += p.get("name") in ("eth", "pwethcw")
        if depth == 0 and links > 1:
            break
        if p.get("name") in IP:
            fields(p, depth, out)
            if i + 1 < len(protos) and names[i + 1] in TRANS:
                t = protos[i + 1]
                fields(t, depth, out)
                if names[i + 1] in ("icmp", "icmpv6"):
                    level([c for c in t if c.tag == "proto"], depth + 1, out)
            break


def main():
    cap, posf = sys.argv[1], sys.argv[2]
    pdml = subprocess.run(["tshark", "-n", "-r", cap, "-T", "pdml"], capture_output=True,
                          check=False).stdout
    theirs = {}
    for no, pkt in enumerate(ET.fromstring(pdml).iter("packet"), 1):
        s = set()
        level([p for p in pkt if p.tag == "proto"], 0, s)
        theirs[no] = s
    ours, cut = {}, {}
    for line in open(posf):
        no, depth, kind, off, ln, have, flags = line.split("\t")
        key = (int(depth), kind, int(off), int(ln))
        if int(have) == int(ln) and not int(flags) & 1:
            ours.setdefault(int(no), set()).add(key)
        else:
            cut.setdefault(int(no), set()).add(key)
    bad, n = [], 0
    for no in sorted(set(theirs) | set(ours)):
        t, o = theirs.get(no, set()), ours.get(no, set())
        n += len(t & (o | cut.get(no, set())))
        for k in sorted(t - o - cut.get(no, set())):
            bad.append("packet %d: tshark has %s" % (no, k))
        for k in sorted(o - t):
            bad.append("packet %d: pkt_locate has %s" % (no, k))
    if bad:
        print("\n".join(bad[:40]))
        sys.exit(1)
    print("ok", n)


if __name__ == "__main__":
    main()
