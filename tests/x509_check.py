#!/usr/bin/env python3
"""x509_check.py - for tests/x509.t: the certificates of TLS Certificate
messages as the independent tools see them.  Input on stdin: one line per
Certificate message, tshark's tls.handshake.certificate field (the DER of
each certificate in hex, comma-separated).  Output: with -m, each message
body rebuilt from the DERs (RFC 5246 7.4.2) in hex, one per line; without,
the lines t_x509 -m prints for the same messages, made from what
`openssl x509` says of each DER."""
import re
import subprocess
import sys

KEYS = {"rsaEncryption": "rsa", "id-ecPublicKey": "ec", "ED25519": "ed25519",
        "ED448": "ed448", "rsassaPss": "rsa-pss", "dsaEncryption": "dsa"}


def openssl(der, *args):
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout"] + list(args),
                       input=der, capture_output=True, check=True)
    return r.stdout.decode("utf-8")


def sans(der):
    ext = openssl(der, "-ext", "subjectAltName").splitlines()
    if len(ext) < 2:
        return []
    return [n[4:] for n in ext[1].strip().split(", ") if n.startswith("DNS:")]


def describe(i, der, out):
    f = dict(l.split("=", 1) for l in openssl(
        der, "-subject", "-issuer", "-serial", "-dates", "-fingerprint", "-sha256",
        "-nameopt", "RFC2253,-esc_msb", "-dateopt", "iso_8601").splitlines())
    text = openssl(der, "-text")
    alg = re.search(r"Public Key Algorithm: (\S+)", text).group(1)
    bits = re.search(r"Public-Key: \((\d+) bit\)", text)
    group = re.search(r"ASN1 OID: (\S+)", text)
    sig = re.search(r"Signature Algorithm: (\S+)", text).group(1)
    # openssl prints no size for EdDSA keys: RFC 8032 public keys of 32 and 57 bytes
    size = bits.group(1) if bits else {"ED25519": "256", "ED448": "456"}.get(alg, "0")
    key = "%s %s" % (KEYS.get(alg, alg), size)
    if group and KEYS.get(alg) == "ec":
        key += " " + group.group(1)
    flags = 0x08 if max(len(f["subject"].encode()), len(f["issuer"].encode())) > 511 else 0
    if i == 0:
        san = sans(der)
        if len(san) > 16 or any(len(n) > 253 for n in san):
            flags |= 0x10
    out.append("cert %u flags %u" % (i, flags))
    out.append("cert %u subject %s" % (i, f["subject"]))
    out.append("cert %u issuer %s" % (i, f["issuer"]))
    out.append("cert %u serial %s" % (i, f["serial"]))
    out.append("cert %u not_before %s" % (i, f["notBefore"].replace(" ", "T")))
    out.append("cert %u not_after %s" % (i, f["notAfter"].replace(" ", "T")))
    out.append("cert %u sha256 %s" % (i, f["sha256 Fingerprint"]))
    out.append("cert %u key %s" % (i, key))
    out.append("cert %u sig_alg %s" % (i, sig))


def main():
    body_only = sys.argv[1:] == ["-m"]
    for m, line in enumerate(sys.stdin):
        ders = [bytes.fromhex(h) for h in line.strip().split(",") if h]
        if body_only:
            lst = b"".join(len(d).to_bytes(3, "big") + d for d in ders)
            print((len(lst).to_bytes(3, "big") + lst).hex())
            continue
        out = ["msg %u flags %u total %u n %u" % (m, 2 if len(ders) > 8 else 0, len(ders),
                                                 min(len(ders), 8))]
        for i, d in enumerate(ders[:8]):
            describe(i, d, out)
        san = sans(ders[0]) if ders else []
        out.append("san_total %u" % len(san))
        out += ["san " + n for n in san[:16]]
        print("\n".join(out))


main()
