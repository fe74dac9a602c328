#!/usr/bin/python3
"""app_tshark.py - compare pcap-flows' application metadata with tshark's.

usage: app_tshark.py PCAP_FLOWS FLOW_JSON CAPTURE...

For each CAPTURE: the flows of `PCAP_FLOWS --no-split CAPTURE | FLOW_JSON`
and the fields of `tshark -n -r CAPTURE -T fields`, keyed by (protocol,
the two endpoints unordered) of the frame's first IP layer, as pcap-flows
keys its flows.  Compared per key, as sets of values:

  sni       tls.sni and quic.sni     tls.handshake.extensions_server_name
  alpn      tls.alpn, server_alpn    tls.handshake.extensions_alpn_str
  host      http.host                http.host
  qname     dns.qname, dns.qnames    dns.qry.name
  ja3       tls.ja3                  tls.handshake.ja3
  ja3s      tls.ja3s                 tls.handshake.ja3s
  hassh     ssh.hassh                ssh.kex.hassh
  hassh_server  ssh.hassh_server     ssh.kex.hasshserver

http.host is the first request's: it must be one of tshark's values; the
other fields must be equal.  Output, tab-separated, one line per
difference: CAPTURE FIELD PROTO ENDPOINT_A ENDPOINT_B OURS THEIRS (the
sets joined by ','), then CAPTURE summary N (keys with a value compared).
"""
import json
import subprocess
import sys

FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport",
          "udp.srcport", "udp.dstport", "tls.handshake.extensions_server_name",
          "tls.handshake.extensions_alpn_str", "http.host", "dns.qry.name",
          "tls.handshake.ja3", "tls.handshake.ja3s", "ssh.kex.hassh", "ssh.kex.hasshserver"]
NAMES = ["sni", "alpn", "host", "qname", "ja3", "ja3s", "hassh", "hassh_server"]


def first(v):
    return v.split("|")[0] if v else ""


def key(proto, a, ap, b, bp):
    ea, eb = "%s:%s" % (a, ap), "%s:%s" % (b, bp)
    return (proto,) + tuple(sorted([ea, eb]))


def theirs(cap):
    cmd = ["tshark", "-n", "-r", cap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        c = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        src, dst = first(c[0]) or first(c[1]), first(c[2]) or first(c[3])
        if c[4]:
            proto, sp, dp = "tcp", first(c[4]), first(c[5])
        elif c[6]:
            proto, sp, dp = "udp", first(c[6]), first(c[7])
        else:
            continue
        if not src or not dst:
            continue
        # values of the innermost layers belong to the outer flow only
        # when there is one IP layer (tunnels are listed as exceptions)
        d = res.setdefault(key(proto, src, sp, dst, dp), {n: set() for n in NAMES})
        for n, v in zip(NAMES, c[8:]):
            for x in v.split("|") if v else []:
                for y in x.split(","):
                    if y:
                        d[n].add(y)
    return res


def flows(pf, fj, cap):
    """The flows of `pf --no-split cap | fj`, decoded."""
    p = subprocess.run("%s --no-split %s | %s" % (pf, cap, fj), shell=True, capture_output=True,
                       text=True)
    return [json.loads(line) for line in p.stdout.splitlines()]


def ours(pf, fj, cap):
    res = {}
    for f in flows(pf, fj, cap):
        if f["proto"] not in (6, 17):
            continue
        k = key("tcp" if f["proto"] == 6 else "udp", f["src"], f["sport"], f["dst"], f["dport"])
        d = res.setdefault(k, {n: set() for n in NAMES})
        tls, quic = f.get("tls", {}), f.get("quic", {})
        http, dns = f.get("http", {}), f.get("dns", {})
        for s in (tls.get("sni"), quic.get("sni")):
            if s:
                d["sni"].add(txt(s))
        for a in tls.get("alpn", []) + quic.get("alpn", []) + (
                [tls["server_alpn"]] if "server_alpn" in tls else []):
            d["alpn"].add(txt(a))
        if "host" in http:
            d["host"].add(txt(http["host"]))
        if "qname" in dns:
            d["qname"].add(txt(dns["qname"]))
        for q in dns.get("qnames", []):
            d["qname"].add(txt(q))
        for n in ("ja3", "ja3s"):
            if n in tls:
                d[n].add(tls[n])
        for n in ("hassh", "hassh_server"):
            if n in f.get("ssh", {}):
                d[n].add(f["ssh"][n])
    return res


def txt(v):
    """A text value of flow-json: a string, or {"hex": ...} for bytes that
    are not UTF-8 (shown as tshark shows them, U+FFFD for each bad byte)."""
    if isinstance(v, dict):
        return bytes.fromhex(v["hex"]).decode("utf-8", "replace")
    return v


def fmt(k):
    return "\t".join(k)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    pf, fj = sys.argv[1], sys.argv[2]
    for cap in sys.argv[3:]:
        name = cap.rsplit("/", 1)[-1]
        t, o = theirs(cap), ours(pf, fj, cap)
        n = 0
        for k in sorted(set(t) | set(o)):
            td = t.get(k, {x: set() for x in NAMES})
            od = o.get(k, {x: set() for x in NAMES})
            for f in NAMES:
                a, b = od[f], td[f]
                if not a and not b:
                    continue
                n += 1
                same = (a <= b and len(a) == 1) if f == "host" and b else a == b
                if not same:
                    print("%s\t%s\t%s\t%s\t%s" % (name, f, fmt(k), ",".join(sorted(a)),
                                                 ",".join(sorted(b))))
        print("%s\tsummary\t%d" % (name, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
