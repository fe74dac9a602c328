#!/bin/sh
# python.t - the flowkit Python package (python/flowkit): flowkit.to_pandas
# against flow-json, the independent decoder, on every stream pcap-flows
# makes from tests/data's captures (and on the JSON Lines fixtures): every
# field of every record is compared.  Then the errors (truncations at every
# byte, bad magic, invalid elements) and the column selection.  Skips when
# numpy or pandas is missing, or the tools are not built.
. "${0%/*}/lib.sh"

/usr/bin/python3 - "$FK_ROOT" "$FK_BIN" "$FK_DATA" "$T" <<'PYEOF'
import glob, io, json, math, os, struct, subprocess, sys

ROOT, BIN, DATA, TMP = sys.argv[1:5]
PCAP_FLOWS = os.path.join(BIN, "pcap-flows")
FLOW_JSON = os.path.join(BIN, "flow-json")
try:
    import numpy as np
    import pandas as pd
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(0)
if not (os.access(PCAP_FLOWS, os.X_OK) and os.access(FLOW_JSON, os.X_OK)):
    print("1..0 # SKIP the tools are not built in %s" % BIN)
    sys.exit(0)
sys.path.insert(0, os.path.join(ROOT, "python"))
import flowkit

sys.path.insert(0, os.path.join(ROOT, "tests"))
from fktap import ok, skip, done


def run(argv, data=b""):
    p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


# ------------------------------------------------------------ the comparison
# Written from flowrec(5)'s JSON mapping, not from flowkit's Python code.

FLAGS = ["anonymized", "pkts_truncated", "bytes_truncated", "unidirectional",
         "initiator_guessed", "fragments", "snaplen", "ts_backwards", "payload_truncated"]
CORE_INT = ["ipv", "proto", "sport", "dport", "src_pkts", "dst_pkts", "src_bytes",
            "dst_bytes", "src_l3_bytes", "dst_l3_bytes", "src_tcp_flags", "dst_tcp_flags"]


def missing(v):
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def jtext(v):
    """flow-json's text: a str, or {"hex": ...} for bytes that are not UTF-8."""
    if isinstance(v, bytes):
        return {"hex": v.hex()}
    return v


def jval(v):
    """A DataFrame cell as flow-json would print it (metadata, tables)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, bytes) and type(v) is bytes:
        return v.hex()
    if isinstance(v, bytes):            # RawText
        return {"hex": bytes(v).hex()}
    if isinstance(v, list):
        return [jval(x) for x in v]
    if isinstance(v, dict) and set(v) == {"tag", "value"}:     # unknown metadata tags
        return {"tag": v["tag"], "hex": v["value"].hex()}
    if isinstance(v, float) and v == int(v):
        return int(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def jfeature(v):
    if math.isnan(v):
        bits = struct.unpack(">Q", struct.pack(">d", v))[0]
        return {0x7FF8000000000000: "nan", 0xFFF8000000000000: "-nan"}.get(
            bits, "nan:0x%016x" % bits)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def compare(js, df):
    """The first difference between flow-json's flows and the DataFrame, or None."""
    if len(js) != len(df):
        return "%d flows in flow-json, %d rows" % (len(js), len(df))
    first = df["first_ns"].astype("int64").tolist() if len(df) else []
    last = df["last_ns"].astype("int64").tolist() if len(df) else []
    rows = df.to_dict("records")
    for i, (j, r) in enumerate(zip(js, rows)):
        where = "flow %d" % (i + 1)
        for k in CORE_INT:
            if j[k] != int(r[k]):
                return "%s: %s %r != %r" % (where, k, j[k], r[k])
        for k in ("src", "dst"):
            if j[k] != r[k]:
                return "%s: %s %r != %r" % (where, k, j[k], r[k])
        if j["first_ns"] != first[i] or j["last_ns"] != last[i]:
            return "%s: times" % where
        if str(j["end"]) != r["end"]:
            return "%s: end %r != %r" % (where, j["end"], r["end"])
        mask = 0
        for name in j["flags"]:
            mask |= 1 << (FLAGS.index(name) if name in FLAGS else int(name[3:]))
        if mask != int(r["flags"]):
            return "%s: flags %r != %r" % (where, j["flags"], r["flags"])
        seen = set()
        for key, v in j.items():
            if key in CORE_INT or key in ("src", "dst", "first_ns", "last_ns", "end", "flags"):
                continue
            if key == "packets":
                for f, col in v.items():
                    c = "packets." + f
                    seen.add(c)
                    if r[c] is None or r[c].tolist() != col:
                        return "%s: %s differs" % (where, c)
            elif key == "pkt_bytes":
                got = {"layer": r["pkt_bytes.layer"], "packets": [
                    {f: int(r["pkt_bytes." + f][n]) for f in
                     ("index", "ts_ns", "orig_len", "incl_len", "linktype", "link_len")}
                    for n in range(len(r["pkt_bytes.index"]))]}
                for n, p in enumerate(got["packets"]):
                    p["hex"] = r["pkt_bytes.hex"][n].hex()
                seen.update(c for c in r if c.startswith("pkt_bytes."))
                if got != v:
                    return "%s: pkt_bytes differ" % where
            elif key == "payload":
                seen.add(key)
                if r[key].hex() != v:
                    return "%s: payload differs" % where
            elif key == "label":
                seen.add(key)
                if jtext(r[key]) != v:
                    return "%s: label %r != %r" % (where, r[key], v)
            elif key == "source":
                seen.update(("source.file", "source.first_pkt"))
                if jtext(r["source.file"]) != v["file"] or \
                        int(r["source.first_pkt"]) != v["first_pkt"]:
                    return "%s: source differs" % where
            elif key == "mac":
                seen.update(("mac.src", "mac.dst"))
                if (r["mac.src"], r["mac.dst"]) != (v["src"], v["dst"]):
                    return "%s: mac differs" % where
            elif key == "encap":
                seen.update(("encap.kind", "encap.value"))
                got = [{"kind": a, "value": int(b)}
                       for a, b in zip(r["encap.kind"], r["encap.value"])]
                if got != v:
                    return "%s: encap %r != %r" % (where, got, v)
            elif key == "features":
                for name, x in v.items():
                    c = "features." + name
                    seen.add(c)
                    if jfeature(r[c]) != x:
                        return "%s: %s %r != %r" % (where, c, r[c], x)
            elif key in ("tls", "http", "dns", "quic", "ssh", "app"):
                for name, x in v.items():
                    c = key + "." + name
                    seen.add(c)
                    if c not in r or jval(r[c]) != x:
                        return "%s: %s %r != %r" % (where, c, r.get(c), x)
            elif key.startswith("elem_0x"):
                seen.add(key)
                if r[key].hex() != v:
                    return "%s: %s differs" % (where, key)
            else:
                return "%s: JSON key %s not compared" % (where, key)
        for c, x in r.items():
            if "." in c or c in ("payload", "label") or c.startswith("elem_0x"):
                if c not in seen and not missing(x):
                    return "%s: %s is %r, flow-json has none" % (where, c, x)
    return None


def flowjson(path):
    rc, out, err = run([FLOW_JSON, "-a", path])
    if rc:
        raise RuntimeError("flow-json: " + err)
    return [j for j in map(json.loads, out.splitlines()) if "flowrec" not in j]


streams = []
for cap in sorted(glob.glob(os.path.join(DATA, "*.pcap*"))):
    rc, out, err = run([PCAP_FLOWS, "-l", "x", cap])
    if rc == 0 and out:
        streams.append((os.path.basename(cap), out))
for fx in sorted(glob.glob(os.path.join(DATA, "*.jsonl"))):
    with open(fx, "rb") as f:
        rc, out, err = run([FLOW_JSON, "-r"], f.read())
    if rc == 0 and out:
        streams.append((os.path.basename(fx), out))
ok(len(streams) > 50, "test streams made from tests/data: %d" % len(streams))
nflows = 0
for name, data in streams:
    p = os.path.join(TMP, "s.flows")
    with open(p, "wb") as f:
        f.write(data)
    js = flowjson(p)
    try:
        df = flowkit.to_pandas(p)
        d = compare(js, df)
    except Exception as e:
        d = "%s: %s" % (type(e).__name__, e)
    nflows += len(js)
    ok(d is None, "%s: to_pandas agrees with flow-json -a (%d flows)" % (name, len(js)), d)
big = b"".join(d for _, d in streams)
p = os.path.join(TMP, "all.flows")
with open(p, "wb") as f:
    f.write(big)
js = flowjson(p)
df = flowkit.to_pandas(p)
ok(compare(js, df) is None and len(df) == nflows,
   "all streams concatenated: every field of the %d flows agrees" % nflows, compare(js, df))
rc, out, _ = run([FLOW_JSON, "-H", p])
nseg = sum(1 for l in out.splitlines() if b'"flowrec"' in l)
ok(len(df.attrs["headers"]) == nseg > len(streams) - 1,
   "one header per segment in df.attrs (%d)" % nseg)
ok(compare(js, flowkit.to_pandas(big)) is None and
   compare(js, flowkit.to_pandas(io.BytesIO(big))) is None,
   "bytes and a binary file object read as the path")

env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
pm = subprocess.run(["/usr/bin/python3", "-m", "flowkit", "-a", p], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, env=env)
rc, fo, _ = run([FLOW_JSON, "-a", p])
ok(pm.returncode == 0 and [json.loads(l) for l in pm.stdout.splitlines()] ==
   [json.loads(l) for l in fo.splitlines()], "python3 -m flowkit -a prints what flow-json -a does",
   pm.stderr)

# ------------------------------------------------------------------ types
ok(str(df["first_ns"].dtype) == "datetime64[ns]" and str(df["src_bytes"].dtype) == "int64"
   and str(df["sport"].dtype) == "uint16" and df["src"].map(type).eq(str).all(),
   "typed columns: datetime64[ns] times, int64 counters, uint16 ports, text addresses")
tls = df[df["tls.sni"].notna()]
ok(len(tls) > 0 and df["tls.sni"].isna().sum() > 0 and df["tls.cipher"].dtype == np.float64
   and math.isnan(df.loc[df["tls.sni"].isna(), "tls.cipher"].iloc[0]),
   "missing metadata as None and NaN")
pk = df["packets.ip_len"].dropna()
ok(len(pk) > 0 and all(isinstance(a, np.ndarray) and a.dtype == np.uint32 for a in pk),
   "per-packet arrays are numpy arrays of their field's width")

# ---------------------------------------------------------------- columns
sel = flowkit.to_pandas(p, columns=["src", "dport", "label", "tls.sni"])
ok(list(sel.columns) == ["src", "dport", "label", "tls.sni"] and
   sel["tls.sni"].equals(df["tls.sni"]) and sel["label"].equals(df["label"]),
   "columns= selects, in registry order, with the same values")
sel = flowkit.to_pandas(p, columns=["dns"])
ok(sel.columns.tolist() == [c for c in df.columns if c.startswith("dns.")],
   'an element key ("dns") stands for its columns')


def value_error(fn, *args):
    """The message of the ValueError fn(*args) raises, or None."""
    try:
        fn(*args)
    except ValueError as x:
        return str(x)
    return None


e = value_error(flowkit.to_pandas, p, ["nosuch"])
ok(e is not None and "nosuch" in e, "an unknown column is a ValueError naming it", e)
ok(len(flowkit.to_pandas(b"")) == 0, "an empty stream: no rows")

# ----------------------------------------------------------- read_packets
# One row per packet.  The reference is flow-json -p's "packets" table of
# each flow, numbered by hand here; to_pandas' per-packet arrays,
# concatenated, must give the same columns with the same dtypes.
PKT = ["t_ns", "wire_len", "ip_len", "l4_len", "payload_len", "dir", "pflags", "ttl", "tos",
       "tcp_flags", "window"]
PKT_DT = ["int64", "uint32", "uint32", "uint32", "uint32", "uint8", "uint8", "uint8", "uint8",
          "uint16", "uint16"]
FLOWCOLS = ["src", "dport", "first_ns", "end", "label", "source.first_pkt"]


def long_diff(path):
    """The first difference of read_packets(path) from flow-json -p and from
    to_pandas, or None; and the number of packet rows."""
    rc, out, err = run([FLOW_JSON, "-p", path])
    if rc:
        return "flow-json -p: " + err, 0
    js = [j for j in map(json.loads, out.splitlines()) if "flowrec" not in j]
    want = {c: [] for c in ["flow", "pkt"] + PKT}
    rep = {c: [] for c in FLOWCOLS}
    for i, j in enumerate(js):
        t = j.get("packets", {"t_ns": []})
        for k in range(len(t["t_ns"])):
            want["flow"].append(i)
            want["pkt"].append(k)
            for f in PKT:
                want[f].append(t[f][k])
            for c, v in (("src", j["src"]), ("dport", j["dport"]), ("first_ns", j["first_ns"]),
                         ("end", str(j["end"])), ("label", j.get("label")),
                         ("source.first_pkt", j.get("source", {}).get("first_pkt"))):
                rep[c].append(v)
    lp = flowkit.read_packets(path, columns=FLOWCOLS)
    if list(lp.columns) != ["flow", "pkt"] + ["packets." + f for f in PKT] + FLOWCOLS:
        return "columns %r" % list(lp.columns), 0
    if len(lp) != len(want["flow"]):
        return "%d rows, flow-json -p has %d packets" % (len(lp), len(want["flow"])), 0
    for c in ["flow", "pkt"] + PKT:
        col = lp[c if c in ("flow", "pkt") else "packets." + c]
        if str(col.dtype) != (PKT_DT[PKT.index(c)] if c in PKT else "int64"):
            return "%s: dtype %s" % (c, col.dtype), 0
        if col.tolist() != want[c]:
            return "%s differs from flow-json -p" % c, 0
    got = {"src": lp["src"].tolist(), "dport": lp["dport"].tolist(),
           "first_ns": lp["first_ns"].astype("int64").tolist(),
           "end": lp["end"].astype(str).tolist(),
           "label": [None if missing(x) else jtext(x) for x in lp["label"]],
           "source.first_pkt": [None if missing(x) else int(x) for x in lp["source.first_pkt"]]}
    for c in FLOWCOLS:
        if got[c] != rep[c]:
            return "%s (repeated) differs from flow-json -p" % c, 0
    # against to_pandas: the arrays concatenated, the flow columns by row
    df = flowkit.to_pandas(path, columns=["packets"] + FLOWCOLS)
    for f in PKT:
        arr = [a for a in df["packets." + f] if a is not None]
        cat = np.concatenate(arr) if arr else np.zeros(0, dtype=PKT_DT[PKT.index(f)])
        if cat.dtype != lp["packets." + f].dtype or not np.array_equal(cat, lp["packets." + f]):
            return "packets.%s differs from to_pandas' arrays" % f, 0
    n = np.array([0 if a is None else len(a) for a in df["packets.t_ns"]], dtype=np.int64)
    if not np.array_equal(np.repeat(np.arange(len(df)), n), lp["flow"].to_numpy()):
        return "flow is not to_pandas' row", 0
    for c in FLOWCOLS:
        x = df[c].take(lp["flow"].to_numpy()).reset_index(drop=True)
        if x.dtype != lp[c].dtype or not x.equals(lp[c]):
            return "%s differs from to_pandas' (dtype %s, %s)" % (c, x.dtype, lp[c].dtype), 0
    return None, len(lp)


npk = 0
fails = []
for name, data in streams:
    q = os.path.join(TMP, "p.flows")
    with open(q, "wb") as f:
        f.write(data)
    try:
        d, k = long_diff(q)
    except Exception as e:
        d, k = "%s: %s" % (type(e).__name__, e), 0
    npk += k
    if d is not None:
        fails.append("%s: %s" % (name, d))
ok(not fails and npk > 1000, "read_packets on each of the %d streams agrees with flow-json -p and"
   " to_pandas (%d packets)" % (len(streams), npk), *fails[:5])
d, k = long_diff(p)
ok(d is None and k == npk, "read_packets on all streams concatenated: the same %d packets" % k, d)
from flowkit import frame as fkframe
saved = fkframe._CHUNK
fkframe._CHUNK = 3
try:
    d, k = long_diff(p)
finally:
    fkframe._CHUNK = saved
ok(d is None and k == npk, "read_packets with PACKETS gathered by chunks of 3 entries", d)
names, cols, _ = flowkit.read_packet_columns(p, ["label"])
lp = flowkit.read_packets(p, ["label"])
ok(names == list(lp.columns) and all(np.array_equal(cols[c], lp[c].to_numpy()) for c in names)
   and isinstance(cols["packets.dir"], np.ndarray),
   "read_packet_columns: the same columns as numpy arrays")
sel = flowkit.read_packets(p, columns=["pkt", "tls.sni", "packets.ttl", "flow", "dport",
                                      "packets.dir"])
ok(list(sel.columns) == ["flow", "pkt", "packets.dir", "packets.ttl", "dport", "tls.sni"]
   and sel["packets.ttl"].equals(lp["packets.ttl"]) and
   sel["tls.sni"].equals(df["tls.sni"].take(lp["flow"].to_numpy()).reset_index(drop=True)),
   "read_packets columns=: the packets fields named, the flow columns in to_pandas' order")
e = value_error(flowkit.read_packets, p, ["packets.nosuch"])
ok(e is not None and "packets.nosuch" in e, "read_packets: an unknown column is a ValueError", e)
EMPTY_DT = {"flow": "int64", "pkt": "int64", "packets.t_ns": "int64",
            "packets.wire_len": "uint32", "packets.ip_len": "uint32", "packets.l4_len": "uint32",
            "packets.payload_len": "uint32", "packets.dir": "uint8", "packets.pflags": "uint8",
            "packets.ttl": "uint8", "packets.tos": "uint8", "packets.tcp_flags": "uint16",
            "packets.window": "uint16", "dport": "uint16", "first_ns": "datetime64[ns]",
            "end": "category", "label": "object", "source.first_pkt": "Int64"}
e0 = flowkit.read_packets(b"", columns=["dport", "first_ns", "end", "label", "source.first_pkt"])
ok(len(e0) == 0 and {c: str(t) for c, t in e0.dtypes.items()} == EMPTY_DT,
   "read_packets of an empty stream: no rows, every column with its dtype",
   e0.dtypes.to_dict())
rc, out, _ = run([FLOW_JSON, "-H", p])
rc2, nopk, err = run([FLOW_JSON, "-r"], out)
e0 = flowkit.read_packets(nopk, columns=["dport", "first_ns", "end", "label", "source.first_pkt"])
ok(rc == rc2 == 0 and len(flowkit.to_pandas(nopk)) == nflows and len(e0) == 0 and
   {c: str(t) for c, t in e0.dtypes.items()} == EMPTY_DT,
   "read_packets of %d flows without PACKETS: no rows, every column with its dtype" % nflows, err)

# ----------------------------------------------------------------- errors
small = min((d for _, d in streams if d.count(b"\x89FLOW\r\n\x1a") == 1
             and len(flowkit.read_columns(d, ["ipv"])[1]["ipv"]) >= 2), key=len)
hl = struct.unpack(">I", small[:4])[0]


def err_of(data, fn=flowkit.to_pandas):
    try:
        fn(data)
    except flowkit.FlowrecError as e:
        return e
    return None


def read_err(data):
    return err_of(data, flowkit.read_columns)


fails = []
for n in range(1, len(small)):
    e = err_of(small[:n]) if n % 7 == 0 else read_err(small[:n])
    if e is None or "truncated" not in str(e) or e.offset is None or "offset %d" % e.offset \
            not in str(e):
        fails.append((n, str(e)))
ok(not fails, "every truncation of a %d-byte stream: FlowrecError 'truncated' with the offset"
   % len(small), fails[:5])
fails = []
for n in range(1, len(small)):
    a, b = err_of(small[:n]), err_of(small[:n], flowkit.read_packets)
    if a is None or b is None or (str(a), a.offset, a.record) != (str(b), b.offset, b.record):
        fails.append((n, str(a), str(b)))
ok(not fails, "every truncation: read_packets raises to_pandas' FlowrecError", fails[:5])
e = err_of(small[:hl + 50])
ok(e is not None and str(e) == "bytes: offset %d: stream truncated after 1 records" % (hl + 50),
   "truncated inside a flow record: the message names the end offset", e)
bad = small[:8] + b"\x89FLOW\n\n\x1a" + small[16:]
e = err_of(bad)
ok(e is not None and "bad magic" in str(e) and e.offset == 0 and e.record == 1,
   "bad magic: named, offset 0, record 1", e)
e = err_of(small + bad)
ok(e is not None and "bad magic" in str(e) and e.offset == len(small),
   "bad magic of a second segment: its offset", e)
# a second flow with a bad core field, and a duplicate element: the first error wins,
# with the offset and record number flowrec's strict reader gives
fo = hl
fl = struct.unpack(">I", small[fo:fo + 4])[0]
flows2 = small[fo:fo + fl]
cases = [("IP version 5", small[:fo] + flows2[:8] + b"\x05" + flows2[9:] + small[fo + fl:]),
         ("reserved", small[:fo] + flows2[:11] + b"\x01" + flows2[12:] + small[fo + fl:]),
         ("END counts", small[:-32] + small[-32:-24] + struct.pack(">Q", 99) + small[-16:])]


def strict_place(data):
    """(offset, record) of the strict reader's error on data, or None."""
    try:
        list(flowkit.iter_records(io.BytesIO(data)))
    except flowkit.FlowrecError as x:
        return (x.offset, x.record)
    return None


for desc, data in cases:
    e = err_of(data)
    want = strict_place(data)
    ok(e is not None and desc in str(e) and want == (e.offset, e.record),
       "%s: rejected at the offset and record of the strict reader %s" % (desc, want), e)
# element errors only when the element is decoded
elem = struct.pack(">HI", 0x4012, 3) + b"\x05\x00\x05"      # DNS addr field cut
rec = flows2 + elem
rec = struct.pack(">I", len(rec)) + rec[4:]
data = small[:fo] + rec + small[fo + fl:]
e = err_of(data)
ok(e is not None and "DNS" in str(e) and e.offset == fo and e.record == 2,
   "an invalid DNS element: FlowrecError at its record", e)
try:
    n = len(flowkit.to_pandas(data, columns=["src"]))
except flowkit.FlowrecError:
    n = None
ok(n is not None, "the same stream with columns=['src']: DNS is not decoded, no error")
dup = struct.pack(">HI", 4, 1) + b"a"
rec = flows2 + dup + dup
rec = struct.pack(">I", len(rec)) + rec[4:]
e = err_of(small[:fo] + rec + small[fo + fl:])
ok(e is not None and "duplicate element 0x0004" in str(e), "duplicate element", e)
e = err_of(b"\xd4\xc3\xb2\xa1" + bytes(20))
ok(e is not None and "pcap" in str(e), "a pcap file: named as one", e)

# ------------------------------------------------ paths of the array decoder
# PACKETS entries are gathered a chunk of whole flows at a time: with chunks
# of 3 entries every flow boundary is a chunk boundary somewhere.
from flowkit import frame as fkframe
saved = fkframe._CHUNK
fkframe._CHUNK = 3
try:
    d = compare(js, flowkit.to_pandas(p))
finally:
    fkframe._CHUNK = saved
ok(d is None, "PACKETS gathered by chunks of 3 entries: every field still agrees", d)
# short texts are told apart by a hash of their bytes, checked against the
# bytes: with a hash that is the same for all, the check sends them all to
# the per-value path, and the result is the same
saved = fkframe._MIX
fkframe._MIX = np.zeros_like(saved)
try:
    d = compare(js, flowkit.to_pandas(p))
finally:
    fkframe._MIX = saved
ok(d is None, "texts with every hash alike: every field still agrees", d)


def split_elems(rec):
    """The (id, value) elements of a flow record, by flowrec(5)'s framing."""
    out, i = [], 120
    while i < len(rec):
        eid, n = struct.unpack(">HI", rec[i:i + 6])
        out.append((eid, rec[i + 6:i + 6 + n]))
        i += 6 + n
    return out


def make_rec(rec, elems):
    body = rec[4:120] + b"".join(struct.pack(">HI", e, len(v)) + v for e, v in elems)
    return struct.pack(">I", 4 + len(body)) + body


def first_two(data):
    """(start of the first flow, first flow record, second, the rest) of a stream."""
    a = struct.unpack(">I", data[:4])[0]
    n1 = struct.unpack(">I", data[a:a + 4])[0]
    n2 = struct.unpack(">I", data[a + n1:a + n1 + 4])[0]
    return a, data[a:a + n1], data[a + n1:a + n1 + n2], data[a + n1 + n2:]


def flowjson_of(data):
    q = os.path.join(TMP, "case.flows")
    with open(q, "wb") as f:
        f.write(data)
    return flowjson(q)


def two_with_packets(data):
    if data.count(b"\x89FLOW\r\n\x1a") != 1 or len(flowjson_of(data)) < 2:
        return False
    a, f1, f2, rest = first_two(data)
    if any(v is None for v in flowkit.read_columns(data, ["packets.dir"])[1]["packets.dir"]):
        return False
    return (f1[4:6] == f2[4:6] == b"\x00\x02" and len(split_elems(f1)) > 2
            and 1 in [e for e, _ in split_elems(f1)] and 1 in [e for e, _ in split_elems(f2)])


# the first flow's PACKETS moved to its end: at another rank than the other
# flows' (the decoder puts the tables back in stream order)
base = min((d for _, d in streams if two_with_packets(d)), key=len)
at, f1, f2, rest = first_two(base)
el = split_elems(f1)
data = base[:at] + make_rec(f1, [x for x in el if x[0] != 1] + [x for x in el if x[0] == 1]) \
    + f2 + rest
d = compare(flowjson_of(data), flowkit.to_pandas(data))
ok(d is None, "elements in another order in one flow: every field agrees", d)
# more than 64 distinct element ids in the stream: unknown private elements,
# 40 in each of the first two flows; then one of them twice in the second
r1 = make_rec(f1, split_elems(f1) + [(0x3000 + k, b"%d" % k) for k in range(40)])
priv = [(0x3040 + k, b"x") for k in range(40)]
data = base[:at] + r1 + make_rec(f2, split_elems(f2) + priv) + rest
d = compare(flowjson_of(data), flowkit.to_pandas(data))
ok(d is None, "80 unknown element ids in two flows: the elem_0x columns agree", d)
data = base[:at] + r1 + make_rec(f2, split_elems(f2) + priv + [priv[-1]]) + rest
e = err_of(data)
want = strict_place(data)
ok(e is not None and "duplicate element 0x3067" in str(e) and want == (e.offset, e.record)
   == (at + len(r1), 3), "a duplicate among more than 64 ids: found, at the strict reader's place",
   e)
# a PACKETS entry with dir 2 in the second flow: read_packets names it as to_pandas does
el2 = split_elems(f2)
el2 = [(i, v[:4 + 24] + b"\x02" + v[4 + 25:] if i == 1 else v) for i, v in el2]
data = base[:at] + f1 + make_rec(f2, el2) + rest
a, b = err_of(data), err_of(data, flowkit.read_packets)
ok(a is not None and b is not None and "entry 0: dir 2 is not 0 or 1" in str(b) and
   (str(a), a.offset, a.record) == (str(b), b.offset, b.record) == (str(b), at + len(f1), 3),
   "a PACKETS entry with dir 2: read_packets raises to_pandas' error", a, b)
# a file whose last flow record is cut: the error names the file and the offset
q = os.path.join(TMP, "cut.flows")
with open(q, "wb") as f:
    f.write(base[:at + len(f1) + len(f2) - 1])
e = err_of(q)
ok(e is not None and str(e) == "%s: offset %d: stream truncated after 2 records"
   % (q, at + len(f1) + len(f2) - 1), "a file cut inside a flow record: named with the offset", e)
e = err_of(q, flowkit.read_packets)
ok(e is not None and str(e) == "%s: offset %d: stream truncated after 2 records"
   % (q, at + len(f1) + len(f2) - 1), "read_packets of that file: the same error", e)

# Hostile input: random byte changes, cuts and splices of a real stream.  Each
# one either loads or raises FlowrecError, never another exception, and
# to_pandas rejects exactly what the strict reader rejects when every
# column (so every element) is decoded.
import random
rng = random.Random(15)
seed = min((d for _, d in streams if b"tls" in d or b"\x40\x12" in d), key=len)
other, mismatch, lmismatch = [], [], []
for k in range(1000):
    b = bytearray(seed)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(b))
        if op < 0.6:
            b[i] = rng.randrange(256)
        elif op < 0.8:
            b[i:i + rng.randint(1, 8)] = b""
        else:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    b = bytes(b)
    try:
        flowkit.to_pandas(b)
        mine = None
    except flowkit.FlowrecError as e:
        mine = e.offset
    except Exception as e:
        other.append("%s: %s" % (type(e).__name__, e))
        continue
    try:
        list(flowkit.iter_records(io.BytesIO(b)))
        strict = None
    except flowkit.FlowrecError as e:
        strict = e.offset
    if mine != strict:
        mismatch.append((k, mine, strict))
    got = []
    for fn in (flowkit.read_packets, lambda x: flowkit.to_pandas(x, columns=["packets"])):
        try:
            fn(b)
            got.append(None)
        except flowkit.FlowrecError as e:
            got.append((str(e), e.offset, e.record))
        except Exception as e:
            other.append("%s: %s" % (type(e).__name__, e))
    if len(got) == 2 and got[0] != got[1]:
        lmismatch.append((k,) + tuple(got))
ok(not other, "1000 mutated streams: only FlowrecError is raised", other[:5])
ok(not mismatch, "1000 mutated streams: to_pandas rejects what the strict reader rejects, at the same offset",
   mismatch[:5])
ok(not lmismatch, "1000 mutated streams: read_packets raises what to_pandas(columns=['packets'])"
   " raises", lmismatch[:5])
done()
PYEOF
exit $?
