#!/usr/bin/python3
"""cert_tshark.py - the certificates of pcap-flows' TLS flows against tshark's.

usage: cert_tshark.py PCAP_FLOWS FLOW_JSON CAPTURE...

For each CAPTURE: the first TLS <= 1.2 Certificate message of each TCP
connection as tshark's X.509 dissector shows it (`tshark -T pdml`, the
packets with a Certificate handshake message), and the tls.cert_* fields
of `PCAP_FLOWS --no-split CAPTURE | FLOW_JSON`, keyed by the two
endpoints.  Compared, certificate by certificate in message order:

  serial   tls.cert_serial (as an integer)     x509af.serialNumber
  subject  tls.cert_subject                    x509af.subject rdnSequence
  issuer   tls.cert_issuer                     x509af.issuer rdnSequence
  san      tls.cert_san_dns (server's, <= 16)  x509ce.dNSName of its subjectAltName
  count    tls.cert_count                      certificates in the message

Names: tshark's RDN items, each attribute's type mapped to its short
name and its value as tshark shows it, joined the RFC 4514 way (the last
RDN first, ",", "+" inside an RDN) without escapes; ours are unescaped
before comparing.  A name with an attribute type not in the map below is
not compared (counted as skipped).

Output, tab-separated: CAPTURE FIELD ENDPOINT_A ENDPOINT_B INDEX OURS
THEIRS for each difference, then CAPTURE summary CERTS SKIPPED.
"""
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from app_tshark import flows, key, txt  # tests/app_tshark.py, next to this file

SHORT = {"id-at-commonName": "CN", "id-at-organizationName": "O",
         "id-at-organizationalUnitName": "OU", "id-at-localityName": "L",
         "id-at-stateOrProvinceName": "ST", "id-at-countryName": "C",
         "id-at-streetAddress": "street", "id-domainComponent": "DC",
         "id-at-serialNumber": "serialNumber", "pkcs-9-at-emailAddress": "emailAddress",
         "id-at-businessCategory": "businessCategory", "id-at-postalCode": "postalCode",
         "id-at-givenName": "GN", "id-at-surname": "SN", "id-at-title": "title",
         "jurisdictionOfIncorporationStateOrProvinceName": "jurisdictionST",
         "jurisdictionOfIncorporationCountryName": "jurisdictionC"}


def field(el, name):
    for f in el.iter("field"):
        if f.get("name") == name:
            return f
    return None


def rdn_text(el):
    """A name as flow-json writes it, made from tshark's RDN items (the
    last first), or None when an attribute type is not in SHORT."""
    rdns = []
    for item in el.iter("field"):
        if item.get("name") != "x509if.RDNSequence_item":
            continue
        avas = []
        for ava in item:
            oid = field(ava, "x509if.oid")
            m = re.search(r"\(([^)]*)\)$", oid.get("showname", "")) if oid is not None else None
            if not m or m.group(1) not in SHORT:
                return None
            leaves = [f for f in ava.iter("field") if len(f) == 0 and f is not oid]
            avas.append("%s=%s" % (SHORT[m.group(1)], leaves[-1].get("show") if leaves else ""))
        rdns.append("+".join(avas))
    return ",".join(reversed(rdns))


def cert_of(c):
    tbs = field(c, "x509af.signedCertificate_element")
    if tbs is None:
        return None
    serial = field(tbs, "x509af.serialNumber")
    out = {"serial": int(serial.get("value"), 16) if serial is not None else None}
    for n in ("subject", "issuer"):
        f = None
        for x in tbs:  # the direct child, not the one of an extension
            if x.get("name") == "x509af." + n:
                f = x
        out[n] = rdn_text(f) if f is not None else ""
    san = []
    for ext in tbs.iter("field"):
        if ext.get("name") != "x509af.Extension_element":
            continue
        eid = field(ext, "x509af.extension.id")
        if eid is not None and eid.get("show") == "2.5.29.17":
            san += [d.get("show") for d in ext.iter("field") if d.get("name") == "x509ce.dNSName"]
    out["san"] = san
    return out


def theirs(cap):
    cmd = ["tshark", "-n", "-r", cap, "-Y", "tls.handshake.type == 11", "-T", "pdml"]
    xml = subprocess.run(cmd, capture_output=True).stdout
    res = {}
    for pkt in ET.fromstring(xml).iter("packet"):
        src, dst = field(pkt, "ip.src"), field(pkt, "ip.dst")
        if src is None:  # (an Element without children is false: no `or` here)
            src, dst = field(pkt, "ipv6.src"), field(pkt, "ipv6.dst")
        sp, dp = field(pkt, "tcp.srcport"), field(pkt, "tcp.dstport")
        if src is None or dst is None or sp is None or dp is None:
            continue
        k = key("tcp", src.get("show"), sp.get("show"), dst.get("show"), dp.get("show"))[1:]
        if k in res:
            continue
        for hs in pkt.iter("field"):
            if hs.get("name") != "tls.handshake":
                continue
            t = field(hs, "tls.handshake.type")
            if t is None or t.get("show") != "11":
                continue
            certs = [cert_of(c) for c in hs.iter("field") if c.get("name") == "tls.handshake.certificate"]
            res[k] = [c for c in certs if c is not None]
            break
    return res


def unescape(s):
    return re.sub(r"\\(.)", r"\1", s)


def ours(pf, fj, cap):
    res = {}
    for f in flows(pf, fj, cap):
        tls = f.get("tls", {})
        if f["proto"] != 6 or "cert_count" not in tls:
            continue
        k = key("tcp", f["src"], f["sport"], f["dst"], f["dport"])[1:]
        certs = []
        for i, s in enumerate(tls.get("cert_serial", [])):
            certs.append({"serial": int(s, 16) if s else None,
                          "subject": unescape(txt(tls["cert_subject"][i])),
                          "issuer": unescape(txt(tls["cert_issuer"][i])),
                          "san": [txt(x) for x in tls.get("cert_san_dns", [])] if i == 0 else []})
        res[k] = (tls["cert_count"], certs)
    return res


def compare(name, t, o):
    """Print the differences of one capture and its summary line."""
    n = skipped = 0
    for k in sorted(set(t) | set(o)):
        ea, eb = k
        if k not in o or k not in t:
            print("%s\tpresence\t%s\t%s\t-\t%s\t%s" % (name, ea, eb, k in o, k in t))
            continue
        count, oc = o[k]
        tc = t[k]
        if count != len(tc):
            print("%s\tcount\t%s\t%s\t-\t%d\t%d" % (name, ea, eb, count, len(tc)))
        for i, (a, b) in enumerate(zip(oc, tc)):
            n += 1
            for f in ("serial", "subject", "issuer", "san"):
                if b[f] is None:
                    skipped += 1
                    continue
                x, y = a[f], b[f]
                if f == "san":
                    y = y[:16]
                if x != y:
                    print("%s\t%s\t%s\t%s\t%d\t%s\t%s" % (name, f, ea, eb, i, x, y))
    print("%s\tsummary\t%d\t%d" % (name, n, skipped))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    for c in sys.argv[3:]:
        compare(c.rsplit("/", 1)[-1], theirs(c), ours(sys.argv[1], sys.argv[2], c))
