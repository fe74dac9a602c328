#!/bin/sh
# flowrec-py.t - scripts/flowrec.py, the Python reader written from flowrec(5):
# the EXAMPLES stream of the man page, streams encoded here from the spec,
# every check a strict reader makes, and agreement with flow-json on every
# stream built from tests/data/*.jsonl (those parts skip while flow-json is
# not built).
. "${0%/*}/lib.sh"

/usr/bin/python3 - "$FK_ROOT" "$FK_BIN" "$FK_DATA" "$T" <<'PYEOF'
import glob, json, math, os, re, struct, subprocess, sys

ROOT, BIN, DATA, TMP = sys.argv[1:5]
BIN = os.path.abspath(BIN)
PY = "/usr/bin/python3"
SCRIPT = os.path.join(ROOT, "scripts", "flowrec.py")
FLOW_JSON = os.path.join(BIN, "flow-json")
HAVE_FJ = os.access(FLOW_JSON, os.X_OK)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import flowrec

n_tests = 0
n_failed = 0


def ok(cond, desc, *diag):
    global n_tests, n_failed
    n_tests += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n_tests, desc))
    if not cond:
        n_failed += 1
        for d in diag:
            for line in str(d).splitlines()[:40]:
                sys.stderr.write("# %s\n" % line)
    sys.stdout.flush()
    return cond


def skip(desc, why):
    global n_tests
    n_tests += 1
    print("ok %d - %s # SKIP %s" % (n_tests, desc, why))


def tmpfile(name, data):
    p = os.path.join(TMP, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def run(argv, data=None):
    p = subprocess.run(argv, input=data if data is not None else b"",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def pyrec(args, data=None):
    return run([PY, SCRIPT] + args, data)


def parse_lines(out):
    """JSON Lines -> list of objects as nested lists of (key, value) pairs,
    so that comparing them also compares the order of the keys."""
    return [json.loads(l, object_pairs_hook=lambda p: p)
            for l in out.decode("utf-8").splitlines()]


def ordered(obj):
    return json.loads(json.dumps(obj), object_pairs_hook=lambda p: p)


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "line %d differs:\n  got:  %s\n  want: %s" % (i + 1, x, y)
    return "line counts differ: got %d, want %d" % (len(a), len(b))


# ------------------------------------------------------------ an encoder
# Written here, independently of flowrec.py, from flowrec(5).

MAGIC = bytes.fromhex("89464c4f570d0a1a")


def rec(t, body, resv=0):
    return struct.pack(">IHH", 8 + len(body), t, resv) + body


def el(i, v):
    return struct.pack(">HI", i, len(v)) + v


def header(creator=b"flowkit 0.1.0", prov=(), notes=(), extra=(), major=1, minor=0,
           magic=MAGIC, resv=0):
    body = magic + struct.pack(">BBH", major, minor, resv)
    if creator is not None:
        body += el(1, creator)
    body += b"".join(el(2, p) for p in prov) + b"".join(el(3, n) for n in notes)
    body += b"".join(el(i, v) for i, v in extra)
    return rec(1, body)


def addr(a):
    import ipaddress
    b = ipaddress.ip_address(a).packed
    return b + bytes(16 - len(b))


def flow(elems=(), ipv=4, proto=6, end=1, resv=0, flags=0, src="192.0.2.1",
         dst="198.51.100.2", sport=1234, dport=80, stf=0, dtf=0,
         first=1000, last=2000, sp=1, dp=1, sb=60, db=60, sl3=40, dl3=40,
         srcb=None):
    body = struct.pack(">BBBBI", ipv, proto, end, resv, flags)
    body += (srcb if srcb is not None else addr(src)) + addr(dst)
    body += struct.pack(">HHHHQQQQQQQQ", sport, dport, stf, dtf, first, last,
                        sp, dp, sb, db, sl3, dl3)
    body += b"".join(el(i, v) for i, v in elems)
    return rec(2, body)


def end(records, packets, nbytes):
    return rec(3, struct.pack(">QQQ", records, packets, nbytes))


def segment(flows, hdr=None, extra_recs=()):
    """A whole segment with the right END counts."""
    p = b = 0
    for f in flows:
        sp, dp, sb, db = struct.unpack_from(">QQQQ", f, 72)
        p += sp + dp
        b += sb + db
    return (hdr or header()) + b"".join(flows) + b"".join(extra_recs) + end(len(flows), p, b)


def pkt(t=0, wire=60, ip=40, l4=20, pay=0, d=0, pf=0, ttl=64, tos=0, tcpf=0, win=0):
    return struct.pack(">QIIIIBBBBHH", t, wire, ip, l4, pay, d, pf, ttl, tos, tcpf, win)


def packets(entries, count=None):
    return struct.pack(">I", len(entries) if count is None else count) + b"".join(entries)


def pb(layer, pkts, count=None, resv=b"\0\0\0"):
    v = bytes([layer]) + resv + struct.pack(">I", len(pkts) if count is None else count)
    for index, ts, orig, incl, lt, ll, data in pkts:
        v += struct.pack(">IQIIHHI", index, ts, orig, incl, lt, ll, len(data)) + data
    return v


def features(pairs, count=None):
    v = struct.pack(">H", len(pairs) if count is None else count)
    for name, x in pairs:
        v += bytes([len(name)]) + name + struct.pack(">d", x)
    return v


def meta(fields):
    return b"".join(struct.pack(">BH", t, len(v)) + v for t, v in fields)


u16 = lambda x: struct.pack(">H", x)
u32 = lambda x: struct.pack(">I", x)

# ------------------------------------------------- the man page's example

man = open(os.path.join(ROOT, "man", "flowrec.5"), encoding="utf-8").read()
ex = man[man.index(".Sh EXAMPLES"):]
hexlines = re.findall(r"^([0-9a-f]{8})  ((?:[0-9a-f]{2} {1,2})+)", ex, re.M)
example = bytes.fromhex("".join(h for _, h in hexlines).replace(" ", ""))
offsets_ok = all(int(o, 16) == 16 * i for i, (o, _) in enumerate(hexlines))
ok(len(example) == 299 and offsets_ok, "man page hex dump parses to 299 bytes",
   "got %d bytes" % len(example))
# The example's JSON Lines form, from which the page makes it with flow-json -r
# (tests/man-examples.t checks that it gives the hex dump).
with open(os.path.join(DATA, "flowrec-example.jsonl"), encoding="utf-8") as fo:
    man_json = [json.loads(l, object_pairs_hook=lambda p: p) for l in fo]

rebuilt = segment([flow(
    [(4, b"dns"), (1, packets([pkt(0, 74, 60, 40, 32, 0, 0, 64), pkt(1234567, 90, 76, 56, 48, 1, 0, 57)]))],
    proto=17, end=3, src="192.0.2.1", dst="198.51.100.53", sport=53124, dport=53,
    first=1700000000000000000, last=1700000000001234567, sp=1, dp=1, sb=74, db=90,
    sl3=60, dl3=76)], header(prov=[b"pcap-flows dns.pcap"]))
ok(rebuilt == example, "man page hex dump equals the stream encoded here from the tables")

ex_path = tmpfile("example.flows", example)
rc, out, err = pyrec(["--all", ex_path])
got = parse_lines(out)
ok(rc == 0 and got == man_json, "flowrec.py --all prints the man page's JSON",
   err, first_diff(got, man_json))

flows = list(flowrec.iter_flows(ex_path))
ok(len(flows) == 1 and flows[0]["packets"]["ip_len"] == [60, 76] and flows[0]["label"] == "dns",
   "iter_flows gives dicts with packets as lists")
kinds = [k for k, _ in flowrec.iter_records(ex_path)]
ok(kinds == ["header", "flow", "end"], "iter_records yields header, flow, end", kinds)
try:
    import numpy
    f = next(flowrec.iter_flows(ex_path, as_numpy=True))
    ok(isinstance(f["packets"]["ip_len"], numpy.ndarray) and f["packets"]["t_ns"].tolist() == [0, 1234567]
       and f["packets"]["dir"].dtype == numpy.uint8, "as_numpy=True gives numpy arrays")
except ImportError:
    skip("as_numpy=True gives numpy arrays", "numpy not installed")
with open(ex_path, "rb") as fo:
    ok(len(list(flowrec.iter_flows(fo))) == 1, "iter_flows reads an open binary file")

# ------------------------------------------------ a stream using everything

NAN, INF = float("nan"), float("inf")
rich_a = flow([
    (0x0004, b"caf\xe9"),
    (0x0005, struct.pack(">Q", 17) + "cap/ü.pcap".encode()),
    (0x4006, bytes.fromhex("0011223344aa") + bytes.fromhex("66778899bbcc")),
    (0x0007, b"\x01" + u32(100) + b"\x03" + u32(0x12140) + b"\x09" + u32(7)),
    (0x0001, packets([pkt(0, 86, 72, 40, 0, 0, 0, 64, 0, 0x02, 65535),
                      pkt(1000, 86, 72, 40, 0, 1, 0, 58, 0, 0x12, 28960),
                      pkt(2000, 79, 65, 25, 5, 0, 0x81, 64, 0x10, 0x18, 502)])),
    (0x4002, pb(1, [(0, 1600000000123456789, 74, 74, 1, 14, bytes.fromhex("deadbeef")),
                    (3, 1600000000123460789, 1514, 60, 1, 14, b"")])),
    (0x4003, b"hello"),
    (0x0008, features([(b"a.mean", 1.5), (b"x_nan", NAN), (b"p", INF), (b"n", -INF),
                       (b"z", -0.0)])),
    (0x4010, meta([(1, u16(0x0303)), (3, b"example.com"), (4, b"h2"), (4, b"http/1.1"),
                   (5, u16(0x1301) + u16(0x1302)), (200, b"\xff"), (200, b"")])),
    (0x4012, meta([(1, u16(0x1234)), (2, b"example.com"), (4, b"\x00"),
                   (5, bytes([93, 184, 216, 34])), (5, addr("::ffff:192.0.2.1")),
                   (6, b"a\x00b")])),
    (0x4011, meta([(1, b"GET"), (6, u16(200))])),
    (0x4013, meta([(1, u32(1)), (4, b"\x01\x02")])),
    (0x0123, b"\xaa"),
    (0x4124, b""),
], ipv=6, proto=6, end=9, flags=0x80000201, src="2001:db8::1", dst="2001:db8::1:0:0:1",
   sport=50000, dport=443, stf=0x1b, dtf=0x13, first=1600000000123456789,
   last=1600000000128456789, sp=3, dp=2, sb=300, db=200, sl3=250, dl3=150)
rich_b = flow([], proto=1, end=0, sport=0x0800, dport=0x1234, first=10**18, last=10**18,
              sp=1, dp=1, sb=98, db=98, sl3=84, dl3=84)
rich = (segment([rich_a, rich_b],
                header(prov=[b"pcap-flows -o 'a b.flows' x.pcap", b"flow-anon -K key.file"],
                       notes=[b"anon.ip=cryptopan key=fp:ab12cd34"],
                       extra=[(0x0010, b"\x01\x02")], minor=3),
                extra_recs=[rec(77, b"abcd")])
        + segment([]))
rich_header = {"flowrec": "1.3", "creator": "flowkit 0.1.0",
               "provenance": ["pcap-flows -o 'a b.flows' x.pcap", "flow-anon -K key.file"],
               "notes": ["anon.ip=cryptopan key=fp:ab12cd34"], "elem_0x0010": "0102"}
rich_a_core = {
    "ipv": 6, "proto": 6, "src": "2001:db8::1", "sport": 50000, "dst": "2001:db8::1:0:0:1",
    "dport": 443, "first_ns": 1600000000123456789, "last_ns": 1600000000128456789,
    "src_pkts": 3, "dst_pkts": 2, "src_bytes": 300, "dst_bytes": 200, "src_l3_bytes": 250,
    "dst_l3_bytes": 150, "src_tcp_flags": 0x1b, "dst_tcp_flags": 0x13, "end": 9,
    "flags": ["anonymized", "bit9", "bit31"]}
rich_a_elems = [
    ("label", {"hex": "636166e9"}),
    ("source", {"file": "cap/ü.pcap", "first_pkt": 17}),
    ("mac", {"src": "00:11:22:33:44:aa", "dst": "66:77:88:99:bb:cc"}),
    ("encap", [{"kind": "vlan", "value": 100}, {"kind": "mpls", "value": 0x12140},
               {"kind": 9, "value": 7}]),
    ("packets", {"t_ns": [0, 1000, 2000], "wire_len": [86, 86, 79], "ip_len": [72, 72, 65],
                 "l4_len": [40, 40, 25], "payload_len": [0, 0, 5], "dir": [0, 1, 0],
                 "pflags": [0, 0, 0x81], "ttl": [64, 58, 64], "tos": [0, 0, 0x10],
                 "tcp_flags": [0x02, 0x12, 0x18], "window": [65535, 28960, 502]}),
    ("pkt_bytes", {"layer": "link", "packets": [
        {"index": 0, "ts_ns": 1600000000123456789, "orig_len": 74, "incl_len": 74,
         "linktype": 1, "link_len": 14, "hex": "deadbeef"},
        {"index": 3, "ts_ns": 1600000000123460789, "orig_len": 1514, "incl_len": 60,
         "linktype": 1, "link_len": 14, "hex": ""}]}),
    ("payload", "68656c6c6f"),
    ("features", {"a.mean": 1.5, "x_nan": "nan", "p": "inf", "n": "-inf", "z": -0.0}),
    ("tls", {"client_version": 0x0303, "sni": "example.com", "alpn": ["h2", "http/1.1"],
             "ciphers": [0x1301, 0x1302],
             "unknown": [{"tag": 200, "hex": "ff"}, {"tag": 200, "hex": ""}]}),
    ("dns", {"id": 0x1234, "qname": "example.com", "rcode": 0,
             "answer_addr": ["93.184.216.34", "::ffff:192.0.2.1"],
             "answer_name": [{"hex": "610062"}]}),
    ("http", {"method": "GET", "status": 200}),
    ("quic", {"version": 1, "dcid": "0102"}),
    ("elem_0x0123", "aa"),
    ("elem_0x4124", ""),
]
rich_b_json = {"ipv": 4, "proto": 1, "src": "192.0.2.1", "sport": 0x0800,
               "dst": "198.51.100.2", "dport": 0x1234, "first_ns": 10**18, "last_ns": 10**18,
               "src_pkts": 1, "dst_pkts": 1, "src_bytes": 98, "dst_bytes": 98,
               "src_l3_bytes": 84, "dst_l3_bytes": 84, "src_tcp_flags": 0,
               "dst_tcp_flags": 0, "end": "unknown", "flags": []}
hdr2 = {"flowrec": "1.0", "creator": "flowkit 0.1.0"}


def rich_flow(sel):
    d = dict(rich_a_core)
    for k, v in rich_a_elems:
        if k in sel or k not in ("packets", "pkt_bytes", "payload"):
            d[k] = v
    return d


rich_path = tmpfile("rich.flows", rich)
want_all = [ordered(x) for x in (rich_header, rich_flow(("packets", "pkt_bytes", "payload")),
                                 rich_b_json, hdr2)]
rc, out, err = pyrec(["-a", rich_path])
got = parse_lines(out)
ok(rc == 0 and got == want_all, "every element decoded as the JSON mapping says (-a)",
   err, first_diff(got, want_all))
want_def = [ordered(x) for x in (rich_flow(()), rich_b_json)]
rc, out, err = pyrec([rich_path])
got = parse_lines(out)
ok(rc == 0 and got == want_def, "without options: flows only, no packets or bytes",
   err, first_diff(got, want_def))
want_p = [ordered(x) for x in (rich_header, rich_flow(("packets",)), rich_b_json, hdr2)]
rc, out, err = pyrec(["-H", "-p", rich_path])
ok(rc == 0 and parse_lines(out) == want_p, "-H -p: headers and packets, no bytes", err)
want_x = [ordered(x) for x in (rich_flow(("pkt_bytes", "payload")), rich_b_json)]
rc, out, err = pyrec(["--bytes", rich_path])
ok(rc == 0 and parse_lines(out) == want_x, "--bytes: packet bytes and payload", err)

with flowrec.Reader(rich_path) as r:
    items = list(r)
ok(r.skipped == 1 and [k for k, _ in items] == ["header", "flow", "flow", "end", "header", "end"],
   "a record of unknown type inside a segment is skipped and counted")
fa = items[1][1]
ok(isinstance(fa["label"], flowrec.RawText) and fa["payload"] == b"hello"
   and fa["pkt_bytes"]["packets"][0]["data"] == b"\xde\xad\xbe\xef"
   and math.isnan(fa["features"]["x_nan"]) and fa["tls"]["unknown"][0]["value"] == b"\xff",
   "API values: RawText, bytes, floats")

rc, out, err = pyrec(["-a", rich_path, ex_path])
rc2, out2, _ = pyrec(["-a"], rich + example)
rc3, out3, _ = pyrec(["-a", rich_path])
rc4, out4, _ = pyrec(["-a", ex_path])
ok(rc == rc2 == 0 and out == out2 == out3 + out4,
   "concatenated streams read like the files one after the other")

rc, out, err = pyrec([], b"")
ok(rc == 0 and out == b"" and err == "", "empty input: no output, exit 0")
rc, out, err = pyrec(["-H"], segment([]))
ok(rc == 0 and parse_lines(out) == [ordered(hdr2)], "header-only segment: one header line")

v6 = [("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::", "2001:db8::"),
      ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
      ("::ffff:10.1.2.3", "::ffff:10.1.2.3"), ("::ffff:0:0", "::ffff:0.0.0.0"),
      ("::1.2.3.4", "::1.2.3.4"), ("::1:0", "::0.1.0.0"), ("::102", "::102"),
      ("::ffff", "::ffff"), ("0:0:0:0:0:1:0:0", "::1:0:0"),
      ("fe80::ABCD:0:0:1", "fe80::abcd:0:0:1")]
s = segment([flow(ipv=6, src=a, dst="::1") for a, _ in v6])
got = [f["src"] for f in flowrec.iter_flows(tmpfile("v6.flows", s))]
ok(got == [w for _, w in v6], "IPv6 addresses in RFC 5952 form", got)

unsorted_hdr = header(creator=None, prov=[b"p1"], notes=[b"n1"],
                      extra=[(1, b"c"), (2, b"p2"), (0x20, b"")]) + end(0, 0, 0)
rc, out, err = pyrec(["-H"], unsorted_hdr)
want = [ordered({"flowrec": "1.0", "provenance": ["p1", "p2"], "notes": ["n1"], "creator": "c",
                 "elem_0x0020": "", "order": [2, 3, 1, 2, 32]})]
ok(rc == 0 and parse_lines(out) == want, 'header elements out of order: an "order" key',
   err, first_diff(parse_lines(out), want))
nan_bits = [0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0x7FF8000000000005]
fv = struct.pack(">H", 4) + b"".join(bytes([2]) + b"n%d" % i + struct.pack(">Q", b)
                                      for i, b in enumerate(nan_bits))
nan_stream = segment([flow([(8, fv)])])
rc, out, err = pyrec([], nan_stream)
got = parse_lines(out)[0][-1] if rc == 0 else None
ok(got == ("features", [("n0", "nan"), ("n1", "-nan"), ("n2", "nan:0x7ff0000000000001"),
                        ("n3", "nan:0x7ff8000000000005")]), "NaN features keep their bits", got)

# ------------------------------------------------------------ rejections

E = example
FO, FL = 64, 203                     # offset and length of the example's flow record


def patch(b, off, new):
    return b[:off] + new + b[off + len(new):]


def badflow(elems=(), **kw):
    return segment([flow(elems, **kw)])


def badflow_end(f, records=1, pk=2, by=120):
    return header() + f + end(records, pk, by)


pk2 = [pkt(), pkt(d=1)]
bad = [
    ("bad magic", patch(E, 8, b"\x89FLOW\n\n\x1a"), "bad magic"),
    ("major version 2", patch(E, 16, b"\x02"), "version 2.0"),
    ("header reserved field", patch(E, 18, b"\x00\x01"), "reserved"),
    ("prefix reserved field (flow)", patch(E, FO + 6, b"\x00\x01"), "reserved"),
    ("record length below 8", patch(E, FO, u32(7)), "length 7"),
    ("FLOW shorter than 120", header() + rec(2, bytes(100)) + end(0, 0, 0), "FLOW record length"),
    ("END of 33 bytes", header() + rec(3, bytes(25)), "END record length"),
    ("HEADER above 1 MiB", patch(E, 0, u32((1 << 20) + 1)), "HEADER record length"),
    ("record above 16 MiB", patch(E, FO, u32((16 << 20) + 1)), "length"),
    ("header without CREATOR", header(creator=None) + end(0, 0, 0), "CREATOR"),
    ("two CREATORs", header(extra=[(1, b"x")]) + end(0, 0, 0), "CREATOR"),
    ("unknown critical header element", header(extra=[(0x8010, b"")]) + end(0, 0, 0),
     "critical"),
    ("duplicate unknown header element", header(extra=[(0x10, b""), (0x10, b"")]) + end(0, 0, 0),
     "duplicate"),
    ("257 PROVENANCE elements", header(prov=[b"x"] * 257) + end(0, 0, 0), "PROVENANCE"),
    ("header text above 65535 bytes", header(notes=[b"x" * 65536]) + end(0, 0, 0), "65535"),
    ("element longer than the record",
     header() + rec(2, flow()[8:] + struct.pack(">HI", 4, 99) + b"abc") + end(1, 2, 120),
     "exceeds"),
    ("partial element header", header() + rec(2, flow()[8:] + b"\x00\x04") + end(1, 2, 120),
     "element header"),
    ("duplicate element", badflow([(4, b"a"), (4, b"b")]), "duplicate element 0x0004"),
    ("unknown critical element", badflow([(0x8123, b"")]), "unknown critical element 0x8123"),
    ("65 elements", badflow([(0x100 + i, b"") for i in range(65)]), "64"),
    ("u64 at 2^63", badflow(sb=1 << 63), "2^63"),
    ("last_ns before first_ns", badflow(first=5, last=4), "before"),
    ("IP version 5", badflow(ipv=5), "IP version"),
    ("flow reserved byte", badflow(resv=1), "reserved"),
    ("IPv4 address padding", badflow(srcb=bytes([10, 0, 0, 1, 0, 0, 0, 1]) + bytes(8)),
     "IPv4"),
    ("END records count wrong", header() + flow() + end(2, 2, 120), "END counts"),
    ("END packets count wrong", header() + flow() + end(1, 3, 120), "END counts"),
    ("END bytes count wrong", header() + flow() + end(1, 2, 121), "END counts"),
    ("END u64 at 2^63", header() + end(0, 0, 1 << 63), "2^63"),
    ("PACKETS length mismatch", badflow([(1, packets(pk2)[:-1])]), "PACKETS"),
    ("PACKETS count above the flow's packets", badflow([(1, packets(pk2 + [pkt()]))]), "PACKETS"),
    ("PACKETS dir 2", badflow([(1, packets([pkt(), pkt(d=2)]))]), "dir 2"),
    ("PACKETS t_ns at 2^63", badflow([(1, packets([pkt(t=1 << 63)]))]), "beyond"),
    ("PACKETS t_ns beyond last_ns - first_ns", badflow([(1, packets([pkt(), pkt(t=1001)]))]),
     "beyond"),
    ("PKTBYTES layer 2", badflow([(0x4002, pb(2, []))]), "layer"),
    ("PKTBYTES reserved", badflow([(0x4002, pb(0, [], resv=b"\0\0\1"))]), "reserved"),
    ("PKTBYTES index not increasing", badflow([(0x4002, pb(0, [(1, 0, 1, 1, 1, 0, b"a"),
                                                             (1, 0, 1, 1, 1, 0, b"b")]))]),
     "index"),
    ("PKTBYTES index beyond the flow", badflow([(0x4002, pb(0, [(2, 0, 1, 1, 1, 0, b"a")]))]),
     "index"),
    ("PKTBYTES stored length beyond the element",
     badflow([(0x4002, pb(0, [(0, 0, 100, 100, 1, 0, b"abc")])[:-1])]), "stored length"),
    ("PKTBYTES link_len above incl_len", badflow([(0x4002, pb(1, [(0, 0, 9, 9, 1, 10, b"")]))]),
     "link_len"),
    ("PKTBYTES layer 0: more bytes than captured after the link header",
     badflow([(0x4002, pb(0, [(0, 0, 20, 16, 1, 14, b"abc")]))]), "more than captured"),
    ("PKTBYTES layer 1: more bytes than captured",
     badflow([(0x4002, pb(1, [(0, 0, 20, 2, 1, 0, b"abc")]))]), "more than captured"),
    ("PKTBYTES bytes left over", badflow([(0x4002, pb(0, [(0, 0, 1, 1, 1, 0, b"a")]) + b"z")]),
     "left"),
    ("PKTBYTES count above the packets present", badflow([(0x4002, pb(0, [], count=1))]),
     "truncated"),
    ("LABEL of 1025 bytes", badflow([(4, b"x" * 1025)]), "LABEL"),
    ("SOURCE of 7 bytes", badflow([(5, b"\0" * 7)]), "SOURCE"),
    ("SOURCE name of 4097 bytes", badflow([(5, bytes(8) + b"x" * 4097)]), "SOURCE"),
    ("MAC of 11 bytes", badflow([(0x4006, bytes(11))]), "MAC"),
    ("ENCAP of 7 bytes", badflow([(7, bytes(7))]), "ENCAP"),
    ("ENCAP of 33 entries", badflow([(7, bytes(165))]), "ENCAP"),
    ("FEATURES duplicate name", badflow([(8, features([(b"a", 1.0), (b"a", 2.0)]))]),
     "duplicate"),
    ("FEATURES name with a space", badflow([(8, features([(b"a b", 1.0)]))]), "0x21"),
    ("FEATURES empty name", badflow([(8, features([(b"", 1.0)]))]), "empty name"),
    ("FEATURES count above 4096", badflow([(8, features([], count=4097))]), "4096"),
    ("FEATURES bytes left over", badflow([(8, features([(b"a", 1.0)]) + b"\0")]), "left"),
    ("TLS tags descending", badflow([(0x4010, meta([(3, b"a"), (1, u16(1))]))]), "tag 1 after"),
    ("TLS sni repeated", badflow([(0x4010, meta([(3, b"a"), (3, b"b")]))]), "repeated"),
    ("TLS u16 of 3 bytes", badflow([(0x4010, meta([(1, b"abc")]))]), "length 3"),
    ("TLS odd u16list", badflow([(0x4010, meta([(5, b"abc")]))]), "odd"),
    ("DNS addr of 5 bytes", badflow([(0x4012, meta([(5, bytes(5))]))]), "length 5"),
    ("HTTP field beyond the element", badflow([(0x4011, meta([(1, b"GET")])[:-1])]), "exceeds"),
    ("QUIC 1025 fields", badflow([(0x4013, meta([(9, b"")] * 1025))]), "1024"),
    ("HEADER inside a segment", header() + header() + end(0, 0, 0), "END record missing"),
    ("FLOW before any HEADER", flow() + header() + end(0, 0, 0), "not a flowrec stream"),
    ("FLOW after END", segment([]) + flow() + end(1, 2, 120), "outside a segment"),
    ("END outside a segment", segment([]) + end(0, 0, 0), "outside a segment"),
    ("unknown record type outside a segment", segment([]) + rec(77, b""), "outside a segment"),
    ("a pcap file", bytes.fromhex("d4c3b2a102000400") + bytes(16), "pcap"),
    ("a pcapng file", bytes.fromhex("0a0d0d0a1c000000") + bytes(20), "pcapng"),
    ("JSON text", b'{"ipv":4}\n', "flow-json -r"),
]
import io


def reject_msg(data):
    """The FlowrecError message for data, or None when it is accepted."""
    try:
        for _ in flowrec.Reader(io.BytesIO(data), name="stdin"):
            pass
    except flowrec.FlowrecError as e:
        return str(e) if e.offset is not None else "no offset: " + str(e)
    return None


for desc, data, want in bad:
    msg = reject_msg(data)
    ok(msg is not None and want in msg and msg.startswith("stdin: offset "),
       "rejects: %s" % desc, "got: %s" % msg)
try:
    import numpy
    for desc, data, want in [b for b in bad if b[0].startswith("PACKETS")]:
        try:
            list(flowrec.iter_records(io.BytesIO(data), as_numpy=True))
            msg = None
        except flowrec.FlowrecError as e:
            msg = str(e)
        ok(msg is not None and want in msg, "rejects with as_numpy=True: %s" % desc, msg)
except ImportError:
    skip("rejects with as_numpy=True", "numpy not installed")
# The command line reports them as "prog: input: offset N: record M: what", exit 1.
for desc, data, want in [b for b in bad if b[0] in ("bad magic", "duplicate element",
                                                      "END packets count wrong")]:
    rc, out, err = pyrec([], data)
    ok(rc == 1 and re.match(r"flowrec\.py: stdin: offset \d+: record \d+: .*%s" % re.escape(want),
                            err), "command line rejects: %s" % desc, err)

# Error position: the duplicate element of the second record.
dup = header() + flow([(4, b"a"), (4, b"b")]) + end(1, 2, 120)
try:
    list(flowrec.iter_records(tmpfile("dup.flows", dup)))
    e = None
except flowrec.FlowrecError as x:
    e = x
hl = len(header())
ok(e is not None and e.offset == hl and e.record == 2,
   "error names the offset and number of the record",
   "offset %s record %s" % (e and e.offset, e and e.record))

fails = []
for n in range(1, len(E)):
    try:
        list(flowrec.iter_records(tmpfile("t.flows", E[:n])))
        fails.append(n)
    except flowrec.FlowrecError as x:
        if "truncated" not in str(x):
            fails.append(n)
ok(not fails, "every truncation of the example stream is reported as truncated",
   "not reported for lengths %s" % fails[:20])
rc, out, err = pyrec(["-a"], E[:FO + FL])
ok(rc == 1 and "stream truncated after 2 records" in err and len(parse_lines(out)) == 2,
   "stream cut after the flow: flows printed, then truncated, exit 1", err)

# Accepted oddities.
good = [
    ("unknown end reason and flag bits", badflow(end=200, flags=0xffffff00)),
    ("minor version 9", segment([flow()], header(minor=9))),
    ("header elements in any order", header(creator=None, notes=[b"n"], extra=[(1, b"c")])
     + end(0, 0, 0)),
    ("unknown non-critical elements, identifying or not", badflow([(0x3fff, b"x"), (0x7fff, b"")])),
    ("empty metadata elements", badflow([(0x4010, b""), (0x4011, b""), (0x4012, b""),
                                         (0x4013, b"")])),
    ("64 elements", badflow([(0x100 + i, b"") for i in range(64)])),
    ("PACKETS of 0 entries", badflow([(1, packets([]))])),
    ("NaN and infinite features", badflow([(8, features([(b"n", NAN), (b"i", -INF)]))])),
    ("unknown metadata tags repeated", badflow([(0x4012, meta([(0, b""), (0, b"x"), (255, b"")]))])),
    ("u64 at 2^63-1", segment([flow(first=(1 << 63) - 1, last=(1 << 63) - 1)])),
    ("LABEL of 1024 bytes", badflow([(4, b"x" * 1024)])),
    ("PKTBYTES stored bytes equal to the captured bytes",
     badflow([(0x4002, pb(0, [(0, 0, 20, 17, 1, 14, b"abc")])),
              (0x4003, b"")])),
    ("PACKETS t_ns equal to last_ns - first_ns", badflow([(1, packets([pkt(), pkt(t=1000)]))])),
    ("unknown record type of 16 MiB inside a segment",
     header() + struct.pack(">IHH", 16 << 20, 99, 0) + bytes((16 << 20) - 8) + end(0, 0, 0)),
]
for desc, data in good:
    msg = reject_msg(data)
    ok(msg is None, "accepts: %s" % desc, msg)

# Command line.
rc, out, err = pyrec(["-h"])
ok(rc == 0 and b"Usage:" in out and b"--all" in out, "-h prints the usage, exit 0")
rc, out, err = pyrec(["-q"], example)
ok(rc == 2 and "usage" in err, "bad option: exit 2")
rc, out, err = pyrec([os.path.join(TMP, "no-such-file"), ex_path])
ok(rc == 1 and "no-such-file" in err and len(parse_lines(out)) == 1,
   "missing file: message, the next file is still read, exit 1", err)
rc, out, err = pyrec(["-", ex_path], example)
ok(rc == 0 and len(parse_lines(out)) == 2, '"-" reads standard input')
if os.path.exists("/dev/full"):
    with open("/dev/full", "wb") as full:
        p = subprocess.run([PY, SCRIPT, "-a", rich_path], stdout=full, stderr=subprocess.PIPE)
    ok(p.returncode == 1 and b"write error" in p.stderr, "> /dev/full: write error, exit 1",
       p.stderr)

# ------------------------------------------------ agreement with flow-json

def fj(args, data=None):
    return run([FLOW_JSON] + args, data)


if not HAVE_FJ:
    skip("flowrec.py and flow-json agree", "flow-json not built (%s)" % FLOW_JSON)
else:
    streams = [("man page example", example),
               ("stream using every element", rich.replace(rec(77, b"abcd"), b""))]
    for path in sorted(glob.glob(os.path.join(DATA, "*.jsonl"))):
        with open(path, "rb") as fo:
            rc, out, err = run([FLOW_JSON, "-r"], fo.read())
        name = os.path.basename(path)
        if rc != 0:
            skip("flow-json -r %s" % name, "flow-json -r rejects it: %s" % err.strip()[:200])
            continue
        streams.append((name, out))
    for name, data in streams:
        p = tmpfile("cmp.flows", data)
        for opts in (["-a"], []):
            rc1, o1, e1 = fj(opts + [p])
            rc2, o2, e2 = pyrec(opts + [p])
            g1, g2 = parse_lines(o1), parse_lines(o2)
            ok(rc1 == rc2 == 0 and g1 == g2 and len(g1) > 0,
               "%s: flowrec.py %s and flow-json %s print the same JSON"
               % (name, " ".join(opts), " ".join(opts)),
               "exit %d/%d %s %s" % (rc1, rc2, e1, e2), first_diff(g2, g1))
        rc1, o1, _ = fj(["-a"], data + data)
        rc2, o2, _ = pyrec(["-a"], data + data)
        ok(rc1 == rc2 == 0 and parse_lines(o1) == parse_lines(o2),
           "%s: twice concatenated, the same JSON" % name)
    # records -> JSON (flowrec.py) -> records (flow-json -r) is byte-identical.
    rc, js, err = pyrec(["-a", rich_path])
    rc2, back, err2 = fj(["-r"], js)
    ok(rc == rc2 == 0 and back == rich.replace(rec(77, b"abcd"), b""),
       "flowrec.py -a | flow-json -r gives back the bytes (unknown record dropped)", err2)
    for desc, data in (("the man page example", example),
                       ("a header out of order", unsorted_hdr),
                       ("NaN features", nan_stream)):
        rc, js, err = pyrec(["-a"], data)
        rc2, back, err2 = fj(["-r"], js)
        ok(rc == rc2 == 0 and back == data,
           "%s: flowrec.py -a | flow-json -r gives back the bytes" % desc, err, err2)
    # Both readers reject the same streams.
    for desc, data, _ in bad:
        rc, out, err = fj([], data)
        ok(rc == 1 and err, "flow-json also rejects: %s" % desc,
           "flowrec(5) makes this stream invalid; flow-json exited %d: %s" % (rc, err))
    for desc, data in good:
        rc, out, err = fj([], data)
        ok(rc == 0, "flow-json also accepts: %s" % desc, "exit %d: %s" % (rc, err))

print("1..%d" % n_tests)
sys.exit(1 if n_failed else 0)
PYEOF
exit $?
