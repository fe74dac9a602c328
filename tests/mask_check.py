#!/usr/bin/python3
"""mask_check.py - no byte of a masked header field survives flow-idx --mask.

usage: mask_check.py ORIG FLOWS.jsonl PLAIN MASKED LAYER [FLOWS PLAIN MASKED LAYER]...

ORIG is the capture before it was cut (a classic pcap); the flows were
made from it or from a copy cut by `editcap -s` (snapshot length), with
`pcap-flows --link [--bytes N]`, and FLOWS.jsonl is their `flow-json -a`
output.  PLAIN and MASKED are the flow-idx prefixes written from the same
flows with --dedup none, LAYER (network or link) and --mask none and
--mask all.  Several sets made from one capture are checked with one
run of tshark.

Where each header field sits comes from tshark's PDML of ORIG (pos and
size; the fields pkt_pos_check.py maps, at depth 0 and in the header an
ICMP error quotes), so the positions of a field the cut left only partly
stored are known.  Each image byte is traced back to its frame and
offset by walking the stored packets as flow-idx(1) says it builds a
session; then every byte of a masked field must be 0 in MASKED (of the
IPv6 flow label, the low nibble of its first byte), every other byte
equal in both, and PLAIN must hold the frame's bytes.
Prints "ok B bytes checked, M masked, C in fields cut short" or the
differences, exit 1.
"""
import json
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idx_check  # noqa: E402  (its pcap reader)
import pkt_pos_check  # noqa: E402  (the tshark field map)

MASKED_KINDS = {"macdst", "macsrc", "saddr", "daddr", "sport", "dport", "ipid", "flowlabel",
                "ttl", "ipcsum", "l4csum", "seq", "ack", "tcpts"}


def frames(path):
    """[(ts in microseconds, bytes)] of a classic pcap, in file order."""
    return [(sec * 10**6 + usec, data) for _, sec, usec, _, _, data in idx_check.read_pcap(path)]


def fields_of(path):
    """frame number (from 1) -> [(pos, size, kind)] of the masked fields."""
    pdml = subprocess.run(["tshark", "-n", "-r", path, "-T", "pdml"], capture_output=True,
                          check=True).stdout
    out = {}
    for no, pkt in enumerate(ET.fromstring(pdml).iter("packet"), 1):
        s = set()
        pkt_pos_check.level([p for p in pkt if p.tag == "proto"], 0, s)
        out[no] = [(pos, size, kind) for depth, kind, pos, size in s
                   if depth <= 1 and kind in MASKED_KINDS]
    return out


def images(prefix):
    raw = open(prefix + "-images-idx3-ubyte", "rb").read()
    _, n, rows, cols = struct.unpack(">IIII", raw[:16])
    il = rows * cols
    return [raw[16 + i * il:16 + (i + 1) * il] for i in range(n)]


def check(fr, by_ts, fields, flows_path, plain_p, masked_p, layer, bad, tot):
    """One set: adds to bad (messages) and tot (bytes, masked, cut)."""
    plain, masked = images(plain_p), images(masked_p)
    k = 0
    for line in open(flows_path):
        flow = json.loads(line)
        if "ipv" not in flow or not flow.get("pkt_bytes"):
            continue
        if k >= len(plain):
            bad.append("%s: more sessions than images" % flows_path)
            return
        ip_lens = flow.get("packets", {}).get("ip_len", [])
        im_p, im_m, j = plain[k], masked[k], 0
        for p in flow["pkt_bytes"]["packets"]:
            d = bytes.fromhex(p["hex"])
            ll = p["link_len"]
            no = [n for n in by_ts.get(p["ts_ns"] // 1000, []) if fr[n - 1][1].startswith(d)]
            if len(no) != 1:
                bad.append("%s: session %d: packet at %d: %d frames match"
                           % (flows_path, k, p["ts_ns"], len(no)))
                break
            no = no[0]
            start = ll if layer == "network" else 0
            hdr = 0 if layer == "network" else ll
            want = p["incl_len"] - start
            ipl = ip_lens[p["index"]] if p["index"] < len(ip_lens) else 0
            if ipl and hdr + ipl < want:
                want = hdr + ipl
            keep = min(want, len(d) - start)
            stored_end = start + keep  # frame offset where the stored bytes end
            # The masked bits of each frame offset, and whether its field is cut.
            m, cutf = {}, {}
            for pos, size, kind in fields[no]:
                for b in range(pos, pos + size):
                    bits = 0x0F if kind == "flowlabel" and b == pos else 0xFF
                    m[b] = m.get(b, 0) | bits
                    cutf[b] = cutf.get(b, False) or pos + size > stored_end
            for off in range(start, stored_end):
                if j >= len(im_p):
                    break
                v = d[off]
                where = "%s: session %d byte %d (frame %d offset %d)" % (flows_path, k, j, no, off)
                if im_p[j] != v:
                    bad.append("%s: plain %d, the frame %d" % (where, im_p[j], v))
                bits = m.get(off, 0)
                if im_m[j] & bits or (im_m[j] & ~bits & 0xFF) != (v & ~bits & 0xFF):
                    bad.append("%s: masked %d, plain %d, mask bits %02x%s" % (
                        where, im_m[j], v, bits, " (field cut)" if cutf.get(off) else ""))
                tot[0] += 1
                if bits:
                    tot[1] += 1
                    tot[2] += cutf[off]
                j += 1
            if keep < want or j >= len(im_p):
                break
        k += 1
    if k != len(plain):
        bad.append("%s: %d images, %d sessions" % (flows_path, len(plain), k))


def main():
    if len(sys.argv) < 6 or (len(sys.argv) - 2) % 4:
        sys.exit(__doc__)
    orig = sys.argv[1]
    fr = frames(orig)
    by_ts = {}
    for no, (ts, _) in enumerate(fr, 1):
        by_ts.setdefault(ts, []).append(no)
    fields = fields_of(orig)
    bad, tot = [], [0, 0, 0]
    for i in range(2, len(sys.argv), 4):
        check(fr, by_ts, fields, *sys.argv[i:i + 4], bad, tot)
    if bad:
        print("\n".join(bad[:40]))
        sys.exit(1)
    print("ok %d bytes checked, %d masked, %d in fields cut short" % tuple(tot))


if __name__ == "__main__":
    main()
