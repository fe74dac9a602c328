#!/usr/bin/python3
"""mkpcap.py - small synthetic captures for tests/pcap-flows.t.

usage: mkpcap.py SCENARIO OUT [IN]

Scenarios (Ethernet, IPv4, microsecond pcap unless said):
  tcp-reuse     one TCP connection closed by FIN/FIN and its last ACK,
                then a new connection on the same ports (SYN, data, RST);
                then, on a second tuple, a connection that is still open
                when a SYN with a new initial sequence number comes
  ts-backwards  a UDP exchange whose third packet is stamped 2 s before
                the first, then one stamped 10 years ahead, then packets
                of another flow at the usual time
  linktype-147  two packets of link type 147 (USER0), which pcap-flows
                does not decode
  8021ad IN     IN (an Ethernet pcap whose frames carry two 802.1Q tags)
                with the outer tag's TPID rewritten to 0x88a8 (802.1ad)
  tls-late-fill a TLS connection to port 443 whose ClientHello comes in
                three segments: the first and the third at once, the
                second (the hole between them) 40 s later
  tls-late-quiet the same ClientHello's first and third segments, then two
                datagrams of another flow (not one pcap-flows parses) at
                10 s and 31 s, then the hole's segment stamped 20 s: the
                31 s datagram, of a flow whose parse is over, ends the
                wait before the clock steps back
  ttl-flows TTL SEED:N[,SEED:N...]
                for tests/audit.t: N UDP flows of 3 packets for each
                SEED, every field drawn from a small set by a generator
                seeded with (SEED, flow number) except the TTL, which is
                TTL: the same SEED makes the same flows byte for byte
Checksums are not computed (pcap-flows does not look at them).
"""
import struct
import sys

T0 = 1700000000


def pcap_header(linktype=1):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)


def record(ts, data, wirelen=None):
    sec = int(ts)
    usec = int(round((ts - sec) * 1e6))
    return struct.pack("<IIII", sec, usec, len(data), wirelen or len(data)) + data


def ipv4(src, dst, proto, payload, ttl=64, ident=1):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, ttl, proto, 0,
                       bytes(src), bytes(dst)) + payload


def eth(payload, etype=0x0800):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + struct.pack("!H", etype) + payload


def tcp(sport, dport, seq, ack, flags, data=b"", win=64240):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, win, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


A = [10, 0, 0, 1]
B = [10, 0, 0, 2]
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def tcp_reuse():
    out = []
    t = T0

    def pkt(src, dst, sp, dp, seq, ack, fl, data=b""):
        nonlocal t
        t += 0.01
        out.append(record(t, eth(ipv4(src, dst, 6, tcp(sp, dp, seq, ack, fl, data)))))

    # Connection 1: handshake, a request, FIN/FIN, last ACK.
    pkt(A, B, 40000, 80, 1000, 0, SYN)
    pkt(B, A, 80, 40000, 5000, 1001, SYN | ACK)
    pkt(A, B, 40000, 80, 1001, 5001, ACK)
    pkt(A, B, 40000, 80, 1001, 5001, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n")
    pkt(B, A, 80, 40000, 5001, 1019, FIN | ACK)
    pkt(A, B, 40000, 80, 1019, 5002, FIN | ACK)
    pkt(B, A, 80, 40000, 5002, 1020, ACK)
    # Connection 2, same ports, a second later: a new flow.
    t += 1
    pkt(A, B, 40000, 80, 9000, 0, SYN)
    pkt(B, A, 80, 40000, 7000, 9001, SYN | ACK)
    pkt(A, B, 40000, 80, 9001, 7001, ACK)
    pkt(A, B, 40000, 80, 9001, 7001, RST | ACK)
    # Connection 3 on other ports, open when a new SYN comes.
    pkt(A, B, 40001, 80, 100, 0, SYN)
    pkt(B, A, 80, 40001, 300, 101, SYN | ACK)
    pkt(A, B, 40001, 80, 101, 301, ACK)
    pkt(A, B, 40001, 80, 77777, 0, SYN)
    pkt(B, A, 80, 40001, 555, 77778, SYN | ACK)
    return pcap_header() + b"".join(out)


def client_hello(name):
    """A TLS 1.3 ClientHello record (RFC 8446 4.1.2) with server_name
    (RFC 6066 3), ALPN (RFC 7301) h2, supported_groups x25519 and
    supported_versions 1.3."""
    host = name.encode()
    sni = struct.pack("!HBH", len(host) + 3, 0, len(host)) + host
    alpn = struct.pack("!HB", 3, 2) + b"h2"
    exts = (struct.pack("!HH", 0, len(sni)) + sni
            + struct.pack("!HH", 16, len(alpn)) + alpn
            + struct.pack("!HHHH", 10, 4, 2, 0x001D)
            + struct.pack("!HHBH", 43, 3, 2, 0x0304))
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!HHH", 4, 0x1301, 0x1302)
            + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def tls_late_fill():
    out = []
    ch = client_hello("late.example")

    def pkt(t, src, dst, sp, dp, seq, ack, fl, data=b""):
        out.append(record(t, eth(ipv4(src, dst, 6, tcp(sp, dp, seq, ack, fl, data)))))

    pkt(T0, A, B, 40443, 443, 1000, 0, SYN)
    pkt(T0 + 0.01, B, A, 443, 40443, 5000, 1001, SYN | ACK)
    pkt(T0 + 0.02, A, B, 40443, 443, 1001, 5001, ACK)
    pkt(T0 + 0.03, A, B, 40443, 443, 1001, 5001, PSH | ACK, ch[:40])
    pkt(T0 + 0.04, A, B, 40443, 443, 1001 + 80, 5001, PSH | ACK, ch[80:])
    pkt(T0 + 40.04, A, B, 40443, 443, 1001 + 40, 5001, PSH | ACK, ch[40:80])
    pkt(T0 + 40.05, B, A, 443, 40443, 5001, 1001 + len(ch), ACK)
    return pcap_header() + b"".join(out)


def tls_late_quiet():
    out = []
    ch = client_hello("late.example")

    def pkt(t, src, dst, sp, dp, seq, ack, fl, data=b""):
        out.append(record(t, eth(ipv4(src, dst, 6, tcp(sp, dp, seq, ack, fl, data)))))

    def dgram(t, data):
        out.append(record(t, eth(ipv4(A, B, 17, udp(7000, 9999, data)))))

    pkt(T0, A, B, 40443, 443, 1000, 0, SYN)
    pkt(T0 + 0.01, B, A, 443, 40443, 5000, 1001, SYN | ACK)
    pkt(T0 + 0.02, A, B, 40443, 443, 1001, 5001, ACK)
    pkt(T0 + 0.03, A, B, 40443, 443, 1001, 5001, PSH | ACK, ch[:40])
    pkt(T0 + 0.04, A, B, 40443, 443, 1001 + 80, 5001, PSH | ACK, ch[80:])
    dgram(T0 + 10, b"\xff" * 8)
    dgram(T0 + 31, b"\xff" * 8)
    pkt(T0 + 20, A, B, 40443, 443, 1001 + 40, 5001, PSH | ACK, ch[40:80])
    pkt(T0 + 20.01, B, A, 443, 40443, 5001, 1001 + len(ch), ACK)
    return pcap_header() + b"".join(out)


def ts_backwards():
    out = []
    u = lambda src, dst, sp, dp, d: eth(ipv4(src, dst, 17, udp(sp, dp, d)))
    out.append(record(T0 + 10, u(A, B, 5000, 53, b"q1")))
    out.append(record(T0 + 10.5, u(B, A, 53, 5000, b"r1")))
    out.append(record(T0 + 8, u(A, B, 5000, 53, b"q2")))
    out.append(record(T0 + 10 * 365 * 86400, u(A, B, 5000, 53, b"q3")))
    out.append(record(T0 + 11, u(A, B, 6000, 123, b"n1")))
    out.append(record(T0 + 12, u(B, A, 123, 6000, b"n2")))
    return pcap_header() + b"".join(out)


def linktype_147():
    return pcap_header(147) + record(T0, b"\x01\x02\x03\x04") + record(T0 + 1, b"\x05\x06")


def dot1ad(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4:
        sys.exit("mkpcap: %s: only little-endian microsecond pcap is rewritten" % path)
    out = bytearray(data[:24])
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = bytearray(data[off + 16:off + 16 + incl])
        if frame[12:14] == b"\x81\x00":
            frame[12:14] = b"\x88\xa8"
        out += data[off:off + 16] + frame
        off += 16 + incl
    return bytes(out)


def ttl_flows(ttl, spec):
    import random
    out = []
    t = T0
    for part in spec.split(","):
        seed, n = (int(x) for x in part.split(":"))
        for k in range(n):
            r = random.Random(seed * 1000003 + k)
            a = [10, 0, 0, r.randrange(1, 5)]
            b = [10, 0, 1, r.randrange(1, 5)]
            sp, dp = r.choice((5000, 5001, 5002, 5003)), r.choice((53, 123, 443, 500))
            for i in range(3):
                t += 0.01
                data = bytes(r.choice(b"abcdefghijklmnop") for _ in range(36))
                src, dst, s1, d1 = (a, b, sp, dp) if i % 2 == 0 else (b, a, dp, sp)
                ip = ipv4(src, dst, 17, udp(s1, d1, data), ttl=ttl, ident=r.randrange(4))
                out.append(record(t, eth(ip)))
            t += 100
    return pcap_header() + b"".join(out)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sc, path = sys.argv[1], sys.argv[2]
    if sc == "tcp-reuse":
        data = tcp_reuse()
    elif sc == "ts-backwards":
        data = ts_backwards()
    elif sc == "tls-late-fill":
        data = tls_late_fill()
    elif sc == "tls-late-quiet":
        data = tls_late_quiet()
    elif sc == "linktype-147":
        data = linktype_147()
    elif sc == "8021ad":
        data = dot1ad(sys.argv[3])
    elif sc == "ttl-flows":
        data = ttl_flows(int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("mkpcap: unknown scenario %s" % sc)
    with open(path, "wb") as fp:
        fp.write(data)


if __name__ == "__main__":
    main()
