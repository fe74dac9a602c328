#!/usr/bin/python3
"""mkthreads.py OUT.pcap: a capture for tests/threads.t (standard library only).

Many batches' worth of packets for the reader thread of pcap-flows: 30,000
Ethernet frames of 600 TCP and UDP flows (about 9 MiB, past the 2,048 packets
and 512 KiB of one batch many times), every 97th UDP datagram sent as two
IPv4 fragments (reassembled datagrams are copied from the reassembly
buffer), one frame of 700,000 bytes (larger than an empty batch: the batch
grows), a frame whose recorded wire length is not believable (a warning
queued among the packets) and a record of an unknown link type would need
another file: pcap has one link type, so that warning comes from the test's
bad_* captures instead.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(ipb):
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00" + ipb


def main():
    out = open(sys.argv[1], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 1 << 20, 1))
    t = 1_700_000_000_000_000

    def rec(frame, wire=None):
        nonlocal t
        t += 1000 + (len(frame) % 7) * 10
        out.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame),
                              len(frame) if wire is None else wire))
        out.write(frame)

    seq = {}
    for i in range(30000):
        f = i % 600
        a = [10, 0, f // 250, f % 250 + 1]
        b = [192, 168, 1, 1 + f % 7]
        fwd = (i // 600) % 3 != 2
        src, dst = (a, b) if fwd else (b, a)
        body = bytes((i * 7 + k) & 0xFF for k in range(40 + (i * 13) % 900))
        if f % 2 == 0:
            sp, dp = (40000 + f, 443) if fwd else (443, 40000 + f)
            s = seq.get((f, fwd), 1000 + f)
            seq[(f, fwd)] = s + len(body)
            flags = 0x02 if i < 600 and fwd else 0x18
            tcp = struct.pack("!HHIIBBHHH", sp, dp, s, 0, 5 << 4, flags, 65535, 0, 0) + body
            rec(eth(ip4(src, dst, 6, tcp, ident=i & 0xFFFF)))
        else:
            sp, dp = (50000 + f, 53) if fwd else (53, 50000 + f)
            udp = struct.pack("!HHHH", sp, dp, 8 + len(body), 0) + body
            if i % 97 == 1 and len(udp) > 16:
                cut = (len(udp) // 2) & ~7
                rec(eth(ip4(src, dst, 17, udp[:cut], ident=i & 0xFFFF, frag=0x2000)))
                rec(eth(ip4(src, dst, 17, udp[cut:], ident=i & 0xFFFF, frag=cut // 8)))
            else:
                rec(eth(ip4(src, dst, 17, udp, ident=i & 0xFFFF)))
        if i == 15000:
            # 700,000 bytes: a 1,000-byte UDP datagram and a long trailer
            udp = struct.pack("!HHHH", 7, 7, 1008, 0) + bytes(1000)
            rec(eth(ip4([10, 9, 9, 9], [10, 9, 9, 8], 17, udp)).ljust(700_000, b"\xee"))
        if i == 20000:
            udp = struct.pack("!HHHH", 9, 9, 108, 0) + bytes(100)
            rec(eth(ip4([10, 9, 9, 7], [10, 9, 9, 6], 17, udp)), wire=0xF0000000)
    out.close()


main()
