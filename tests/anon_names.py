#!/usr/bin/python3
"""anon_names.py - the leak test of flow-anon --names over application
metadata (run by tests/flow-anon.t).

  anon_names.py FK_BIN KEY OTHERKEY TMPDIR CAPTURE...

For each capture: pcap-flows, then flow-anon with --names hash, drop and
keep.  The originals are collected twice, independently: from flow-json's
metadata of the unanonymized flows, and from tshark's fields for the
capture (server names, certificate strings, DNS names and addresses,
HTTP host, URI, agent and server comments, QUIC connection ids, SSH
banner comments).  Asserted, one line "ok ..." or "not ok ..." each:

- hash and drop: no original is a metadata value, nor (for 4 bytes and
  more) inside any value of the flow records but the stored bytes;
- hash and drop: the stored bytes (pkt_bytes, payload) hold none of the
  names the flow's metadata holds, as text or DNS labels, and the DNS
  answer addresses there are the pseudonyms of the metadata's;
  QUIC long-header packets are blanked after their version;
- keep: every original metadata value survives;
- SSH and APP elements survive every mode; the SSH banners keep their
  software word;
- one key: the same original gives the same pseudonym in every record,
  field and run, two originals never the same one; another key gives
  other pseudonyms.
"""
import json
import re
import subprocess
import sys

FK_BIN, KEY, KEY2, TMP = sys.argv[1:5]
CAPS = sys.argv[5:]
results = []


def check(cond, what):
    results.append(("ok " if cond else "not ok ") + what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, check=True, **kw).stdout


def records(path):
    out = run([FK_BIN + "/flow-json", "-a", path], text=True)
    return [json.loads(l) for l in out.splitlines() if '"flowrec"' not in l]


META = ("tls", "http", "dns", "quic", "ssh", "app")
# What --names covers, by the table of flow-anon(1): the whole value, or
# (software) the comments after the first word.
WHOLE = {"tls": ("sni", "cert_subject", "cert_issuer", "cert_san_dns", "cert_serial",
                 "cert_sha256"),
         "http": ("host", "uri", "user_agent"),
         "dns": ("qname", "qnames", "answer_name"),
         "quic": ("sni", "dcid", "scid")}
SOFTWARE = {"http": ("server",), "ssh": ("client_banner", "server_banner")}
NAMES = {("tls", "sni"), ("tls", "cert_subject"), ("tls", "cert_issuer"), ("tls", "cert_san_dns"),
         ("http", "host"), ("dns", "qname"), ("dns", "qnames"), ("dns", "answer_name"),
         ("quic", "sni")}


def values(v):
    return v if isinstance(v, list) else [v]


def dn_values(dn):
    """The attribute values of an RFC 4514 name (no escapes in ours)."""
    return [p.split("=", 1)[1] for p in re.split(r"(?<!\\)[,+]", dn) if "=" in p]


def originals(recs):
    """(element, key, value) of every covered value, and the DNS answers."""
    out, addrs = [], set()
    for r in recs:
        for el, keys in WHOLE.items():
            for k in keys:
                for v in values(r.get(el, {}).get(k, [])):
                    if v != "":
                        out.append((el, k, v))
        for el, keys in SOFTWARE.items():
            for k in keys:
                for v in values(r.get(el, {}).get(k, [])):
                    if " " in v:
                        out.append((el, k, v.split(" ", 1)[1]))
        for a in values(r.get("dns", {}).get("answer_addr", [])):
            addrs.add(a)
    return out, addrs


TSHARK_FIELDS = ("tls.handshake.extensions_server_name", "x509sat.printableString",
                 "x509sat.uTF8String", "x509ce.dNSName", "x509af.serialNumber", "dns.qry.name",
                 "dns.resp.name", "dns.cname", "dns.a", "dns.aaaa", "http.host",
                 "http.request.uri", "http.user_agent", "http.server", "ssh.protocol")


def tshark_strings(cap):
    args = ["tshark", "-n", "-r", cap, "-T", "fields", "-E", "separator=\t",
            "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    for f in TSHARK_FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    got = {f: set() for f in TSHARK_FIELDS}
    for line in out.splitlines():
        for f, cell in zip(TSHARK_FIELDS, line.split("\t")):
            for v in cell.split("\x1f"):
                if v:
                    got[f].add(v)
    strs = set()
    for f, vs in got.items():
        for v in vs:
            if f in ("http.server", "ssh.protocol"):
                if " " in v:  # the first word, the software, is kept
                    strs.add(v.split(" ", 1)[1])
            elif f in ("dns.a", "dns.aaaa"):
                continue  # addresses: checked against the flow addresses below
            elif f == "x509af.serialNumber":
                strs.add(v.upper())
            else:
                strs.add(v)
    return strs, got.get("dns.a", set()) | got.get("dns.aaaa", set())


def text_of(r):
    """A record as text without its stored bytes."""
    return json.dumps({k: v for k, v in r.items() if k not in ("pkt_bytes", "payload")}).lower()


def meta_values(r):
    out = []
    for el in META:
        for k, v in r.get(el, {}).items():
            out += [str(x) for x in values(v)]
    return out


def stored(r):
    """The stored bytes of a record: each packet's, and the payload."""
    out = [bytes.fromhex(p["hex"]) for p in r.get("pkt_bytes", {}).get("packets", [])]
    if "payload" in r:
        out.append(bytes.fromhex(r["payload"]))
    return out


def wire_labels(name):
    return [bytes([len(l)]) + l.encode().lower() for l in name.split(".") if 3 <= len(l) <= 63]


def in_bytes(needle, blobs):
    n = needle.lower()
    return any(n in b.lower() for b in blobs)


def addr_bytes(a):
    import ipaddress
    return ipaddress.ip_address(a).packed


pseudo = {}   # (class, original) -> pseudonym over every capture and run
seen_ps = {}
all_orig = 0
for cap in CAPS:
    name = cap.rsplit("/", 1)[-1]
    fl = "%s/%s.flows" % (TMP, name)
    with open(fl, "wb") as f:
        f.write(run([FK_BIN + "/pcap-flows", cap]))
    orig = records(fl)
    ours, answers = originals(orig)
    theirs, t_addrs = tshark_strings(cap)
    all_orig += len(ours)
    outs = {}
    for mode in ("hash", "drop", "keep"):
        ao = "%s/%s.%s" % (TMP, name, mode)
        with open(ao, "wb") as f:
            f.write(run([FK_BIN + "/flow-anon", "-k", KEY, "--names", mode, fl]))
        outs[mode] = records(ao)
        check(len(outs[mode]) == len(orig), "%s --names %s: as many records" % (name, mode))
    # --- no original in hash and drop
    for mode in ("hash", "drop"):
        leaks = []
        for x, y in zip(orig, outs[mode]):
            o, _ = originals([x])
            mv = set(meta_values(y))
            t = text_of(y)
            for el, k, v in o:
                if v in mv or (len(v) >= 4 and v.lower() in t):
                    leaks.append("%s.%s=%s" % (el, k, v))
        check(not leaks, "%s --names %s: no original of the metadata in the records %s"
              % (name, mode, leaks[:3]))
        t_all = "\n".join(text_of(y) for y in outs[mode])
        mv_all = set(v for y in outs[mode] for v in meta_values(y))
        tl = sorted(v for v in theirs if v in mv_all or (len(v) >= 4 and v.lower() in t_all))
        check(not tl, "%s --names %s: none of tshark's %d strings in the records %s"
              % (name, mode, len(theirs), tl[:3]))
        # tshark's DNS answers appear only as pseudonyms
        ta = sorted(a for a in t_addrs if any(a in values(y.get("dns", {}).get("answer_addr", []))
                                              or a in (y["src"], y["dst"]) for y in outs[mode]))
        check(not ta, "%s --names %s: tshark's DNS answers only as pseudonyms %s" % (name, mode, ta[:3]))
        # stored bytes: the flow's names, as text and as DNS labels
        leaks = []
        for x, y in zip(orig, outs[mode]):
            blobs = stored(y)
            for el, k, v in originals([x])[0]:
                if (el, k) in NAMES or k in ("uri", "user_agent", "server", "client_banner",
                                             "server_banner"):
                    parts = dn_values(v) if k in ("cert_subject", "cert_issuer") else [v]
                    for p in parts:
                        if len(p) >= 3 and in_bytes(p.encode(), blobs):
                            leaks.append("%s.%s=%s" % (el, k, p))
                    if el == "dns":
                        for lab in wire_labels(v):
                            if in_bytes(lab, blobs):
                                leaks.append("dns label %r" % lab)
                elif k == "cert_serial" and len(v) >= 8 and bytes.fromhex(v.lstrip("-")) in b"".join(blobs):
                    leaks.append("serial " + v)
                elif el == "quic" and k in ("dcid", "scid") and len(v) >= 8 and \
                        any(bytes.fromhex(v) in b for b in blobs):
                    leaks.append("%s %s" % (k, v))
            for a in values(x.get("dns", {}).get("answer_addr", [])):
                raw = addr_bytes(a)
                if any(len(raw).to_bytes(2, "big") + raw in b for b in blobs):
                    leaks.append("answer " + a)
        check(not leaks, "%s --names %s: the flow's names are blanked in its stored bytes %s"
              % (name, mode, leaks[:3]))
    # the answers in stored DNS packets are the pseudonyms of the metadata's
    miss, want = [], 0
    for x, y in zip(orig, outs["hash"]):
        xb, yb = stored(x), stored(y)
        for a, b in zip(values(x.get("dns", {}).get("answer_addr", [])),
                        values(y.get("dns", {}).get("answer_addr", []))):
            ra, rb = addr_bytes(a), addr_bytes(b)
            pre = len(ra).to_bytes(2, "big")
            if any(pre + ra in s for s in xb):
                want += 1
                if not any(pre + rb in s for s in yb):
                    miss.append(a)
    check(not miss, "%s: %d stored DNS answers became their metadata pseudonyms %s"
          % (name, want, miss[:3]))
    # QUIC: long-header packets blanked after their version, in PAYLOAD
    # and in the stored packets (where PACKETS says their payload starts)
    bad = seen = 0
    for y in outs["hash"]:
        if "quic" not in y:
            continue
        if y.get("payload"):
            p = bytes.fromhex(y["payload"])
            seen += 1
            bad += bool(p[0] & 0x80 and any(p[5:y["packets"]["payload_len"][0]]))
        pb = y.get("pkt_bytes", {})
        for sp in pb.get("packets", []):
            i, h = sp["index"], bytes.fromhex(sp["hex"])
            off = (sp["link_len"] if pb["layer"] == "link" else 0) + \
                y["packets"]["ip_len"][i] - y["packets"]["payload_len"][i]
            if off < len(h) and h[off] & 0x80:
                seen += 1
                bad += any(h[off + 5:])
    check(bad == 0 and (seen > 0) == any("quic" in x for x in orig),
          "%s: %d QUIC long-header packets blanked after the version (%d not)" % (name, seen, bad))
    # --- keep: every original survives; answers are still mapped
    lost = []
    for x, y in zip(orig, outs["keep"]):
        for el, k, v in originals([x])[0]:
            got = values(y.get(el, {}).get(k, []))
            if not any(v == g or g.endswith(" " + v) for g in got):
                lost.append("%s.%s" % (el, k))
    check(not lost, "%s --names keep: every original survives %s" % (name, lost[:3]))
    # --- SSH and APP elements survive, banners keep their software
    bad = []
    for mode in ("hash", "drop", "keep"):
        for x, y in zip(orig, outs[mode]):
            for el in ("ssh", "app"):
                if el in x and el not in y:
                    bad.append("%s %s" % (mode, el))
            if "app" in x and y.get("app") != x["app"]:
                bad.append("%s app changed" % mode)
            for k in ("client_banner", "server_banner"):
                if k in x.get("ssh", {}):
                    if y["ssh"].get(k, "").split(" ")[0] != x["ssh"][k].split(" ")[0]:
                        bad.append("%s %s" % (mode, k))
            for k in ("hassh", "hassh_server", "hassh_algs", "hassh_server_algs"):
                if x.get("ssh", {}).get(k) != y.get("ssh", {}).get(k):
                    bad.append("%s %s" % (mode, k))
    check(not bad, "%s: SSH and APP elements kept in every mode, banners' software and HASSH kept %s"
          % (name, bad[:3]))
    # --- consistency of the pseudonyms with one key
    for x, y in zip(orig, outs["hash"]):
        for el, keys in WHOLE.items():
            for k in keys:
                xs, ys = values(x.get(el, {}).get(k, [])), values(y.get(el, {}).get(k, []))
                if len(xs) != len(ys):
                    pseudo.setdefault(("count", el, k), set()).add("mismatch")
                for a, b in zip(xs, ys):
                    if a == "":
                        if b != "":
                            pseudo.setdefault(("empty", el, k), set()).add(b)
                        continue
                    cls = "name" if (el, k) in NAMES else k if k in ("dcid", "scid") else "text"
                    if (el, k) in NAMES:
                        a = a.lower()
                    pseudo.setdefault((cls, a), set()).add(b)
                    seen_ps.setdefault((cls, b), set()).add(a)
    again = "%s/%s.again" % (TMP, name)
    with open(again, "wb") as f:
        f.write(run([FK_BIN + "/flow-anon", "-k", KEY, "--names", "hash", fl]))
    ra = records(again)
    check([meta_values(a) for a in ra] == [meta_values(b) for b in outs["hash"]],
          "%s: a second run gives the same pseudonyms" % name)
    o2 = "%s/%s.key2" % (TMP, name)
    with open(o2, "wb") as f:
        f.write(run([FK_BIN + "/flow-anon", "-k", KEY2, "--names", "hash", fl]))
    r2 = records(o2)
    same = [k for x, y in zip(outs["hash"], r2) for el in ("tls", "http", "dns", "quic")
            for k in ("sni", "host", "qname") if k in x.get(el, {}) and x[el][k] == y[el][k]]
    check(not same, "%s: another key, other pseudonyms %s" % (name, same[:3]))

bad = sorted(k for k, v in pseudo.items() if len(v) != 1)
check(not bad, "one original, one pseudonym, across records, fields and captures %s" % bad[:3])
bad = sorted(k for k, v in seen_ps.items() if len(v) != 1)
check(not bad, "two originals never share a pseudonym %s" % bad[:3])
check(all_orig > 50, "%d original values checked" % all_orig)
print("\n".join(results))
