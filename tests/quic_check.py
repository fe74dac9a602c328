#!/usr/bin/env python3
"""quic_check.py - compare the CRYPTO bytes common/quic.c reassembles with tshark.

    quic_check.py QUIC_OUT TSHARK_OUT

QUIC_OUT is `t_quic -c FILE`: one line per UDP flow,
    cport sport version flags client_initials server_initials dcid server_hex client_hex
TSHARK_OUT is `tshark -Y 'tls.handshake.type == 1 || tls.handshake.type == 2'
-T fields -e udp.srcport -e udp.dstport -e tls.handshake.type
-e tls.handshake.extensions_server_name`.

The ClientHello is read here from its definition (RFC 8446 4.1.2, the
server_name extension of RFC 6066 3), not with flowkit's code.  Prints one
line per client port, "PORT ours=SNI tshark=SNI" ("-" for none), with
"ServerHello" when the server's CRYPTO bytes start with a whole ServerHello
(ours) or tshark saw one, and exits 1 when a line differs.
"""
import sys


def handshake(data, want_type):
    """The body of the first handshake message if it is whole and of want_type."""
    if len(data) < 4 or data[0] != want_type:
        return None
    n = int.from_bytes(data[1:4], "big")
    return data[4:4 + n] if len(data) >= 4 + n else None


def sni(body):
    """The host_name of a ClientHello body, "-" when it has none."""
    p = 2 + 32                      # legacy_version, random
    p += 1 + body[p]                # legacy_session_id
    p += 2 + int.from_bytes(body[p:p + 2], "big")   # cipher_suites
    p += 1 + body[p]                # legacy_compression_methods
    end = p + 2 + int.from_bytes(body[p:p + 2], "big")
    p += 2
    while p + 4 <= end:
        typ = int.from_bytes(body[p:p + 2], "big")
        n = int.from_bytes(body[p + 2:p + 4], "big")
        ext = body[p + 4:p + 4 + n]
        p += 4 + n
        if typ != 0:
            continue
        q = 2                       # server_name_list length
        while q + 3 <= len(ext):
            kind, m = ext[q], int.from_bytes(ext[q + 1:q + 3], "big")
            if kind == 0:
                return ext[q + 3:q + 3 + m].decode("ascii", "replace")
            q += 3 + m
    return "-"


def main():
    ours, theirs = {}, {}
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) != 9 or not int(f[3], 16) & 0x0002:   # QUIC_F_DECRYPTED
            continue
        server = bytes.fromhex(f[7]) if f[7] != "-" else b""
        client = bytes.fromhex(f[8]) if f[8] != "-" else b""
        ch = handshake(client, 1)
        ours[f[0]] = [sni(ch) if ch is not None else "(no whole ClientHello)",
                      handshake(server, 2) is not None]
    for line in open(sys.argv[2]):
        f = line.rstrip("\n").split("\t")
        if len(f) < 4 or not f[0]:
            continue
        types = f[2].split(",")
        if "1" in types:
            t = theirs.setdefault(f[0], ["-", False])
            if f[3]:
                t[0] = f[3]
        if "2" in types:
            theirs.setdefault(f[1], ["-", False])[1] = True
    bad = 0
    for port in sorted(set(ours) | set(theirs), key=int):
        o, t = ours.get(port, ["(not decrypted)", False]), theirs.get(port, ["(none)", False])
        print("%s ours=%s%s tshark=%s%s" % (port, o[0], " ServerHello" if o[1] else "",
                                           t[0], " ServerHello" if t[1] else ""))
        bad += o != t
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
