#!/usr/bin/env python3
"""flowkit.flowrec - read flowkit flowrec streams (format 1.0, see flowrec(5)).

Usage:
    flowrec.py [-a|--all] [-H|--header] [-p|--packets] [-x|--bytes] [FILE...]
    (python3 -m flowkit takes the same options)

    Prints the flows of each FILE (or of standard input, also given as "-")
    as JSON Lines, in the mapping of flowrec(5) used by flow-json(1):
      -H, --header   a header line before each segment
      -p, --packets  the per-packet arrays ("packets")
      -x, --bytes    the packet bytes and payload ("pkt_bytes", "payload")
      -a, --all      all of the above (same output as "flow-json -a")
    Exit status: 0 ok, 1 a data or I/O error (reported, then the next FILE),
    2 bad usage.

Library (plain Python 3; numpy is imported only when arrays are asked for):
    from flowkit import flowrec
    for flow in flowrec.iter_flows("x.flows"):
        flow["src"], flow["dport"], flow.get("label")
        flow["packets"]["ip_len"]          # list, or numpy array with as_numpy=True
    for kind, rec in flowrec.iter_records("x.flows"):
        ...                                # kind is "header", "flow" or "end"

Flow and header dicts have the keys of the JSON mapping of flowrec(5), in
the same order; END records give {"records", "packets", "bytes"}.  Values
are Python values rather than JSON text: binary data (payload, unknown
elements, "bytes" metadata fields, unknown metadata tags under "value", and
the stored packet bytes, under "data" instead of "hex") are bytes objects;
text that is not valid UTF-8 or holds a NUL is a RawText (a bytes subclass)
instead of a str; features are floats, a NaN being a NaN instance (a float
that keeps its bit pattern in .bits).  to_json() turns a flow or header
dict into the JSON object flow-json prints.

The reader is strict: every check of flowrec(5) is made, and a violation
raises FlowrecError, whose str() names the input, the byte offset and the
record number.  The code follows flowrec(5) and nothing else.
"""

import json
import math
import os
import struct
import sys

__all__ = ["FlowrecError", "RawText", "NaN", "Reader", "iter_records", "iter_flows",
           "to_json", "main"]

MAGIC = b"\x89FLOW\r\n\x1a"
VERSION_MAJOR = 1

REC_HEADER, REC_FLOW, REC_END = 1, 2, 3
MAX_RECORD = 16 << 20
MAX_HEADER = 1 << 20
FLOW_CORE = 120
END_LEN = 32

MAX_HDR_ELEMS = 1024
MAX_HDR_TEXT = 65535
MAX_PROVENANCE = 256
MAX_NOTES = 256
MAX_FLOW_ELEMS = 64
MAX_PKTS = 262144
MAX_PKT_STORED = 262144
MAX_LABEL = 1024
MAX_SOURCE_NAME = 4096
MAX_ENCAP = 32
MAX_FEATURES = 4096
MAX_META_FIELDS = 1024
U64_LIMIT = 1 << 63

CRITICAL = 0x8000

END_NAMES = ["unknown", "fin", "rst", "idle", "active", "eof", "evicted", "reused"]
FLAG_NAMES = ["anonymized", "pkts_truncated", "bytes_truncated", "unidirectional",
              "initiator_guessed", "fragments", "snaplen", "ts_backwards",
              "payload_truncated"]
ENCAP_NAMES = {1: "vlan", 2: "svlan", 3: "mpls", 4: "pppoe"}
PKT_FIELDS = ["t_ns", "wire_len", "ip_len", "l4_len", "payload_len", "dir",
              "pflags", "ttl", "tos", "tcp_flags", "window"]
PKT_DTYPES = ["int64", "uint32", "uint32", "uint32", "uint32", "uint8",
              "uint8", "uint8", "uint8", "uint16", "uint16"]

# Metadata field tables: tag -> (name, type, multi).
META = {
    0x4010: {1: ("client_version", "u16", False), 2: ("server_version", "u16", False),
             3: ("sni", "str", False), 4: ("alpn", "str", True),
             5: ("ciphers", "u16list", False), 6: ("cipher", "u16", False),
             7: ("extensions", "u16list", False), 8: ("groups", "u16list", False),
             9: ("cert_subject", "str", True), 10: ("cert_issuer", "str", True),
             11: ("ja3", "str", False), 12: ("ja4", "str", False),
             13: ("ja3s", "str", False), 14: ("ja4_r", "str", False),
             15: ("ja4_o", "str", False), 16: ("server_alpn", "str", False),
             17: ("sigalgs", "u16list", False), 18: ("versions", "u16list", False),
             19: ("record_version", "u16", False), 20: ("pq_groups", "u16list", False),
             21: ("server_group", "u16", False),
             22: ("server_extensions", "u16list", False), 23: ("ech", "u8", False),
             24: ("resume_offered", "u8", False), 25: ("resumed", "u8", False),
             # certificates (common/x509.c)
             64: ("cert_count", "u16", False), 65: ("cert_flags", "u8", False),
             66: ("cert_entry_flags", "u8", True), 67: ("cert_serial", "str", True),
             68: ("cert_not_before", "str", True), 69: ("cert_not_after", "str", True),
             70: ("cert_sha256", "bytes", True), 71: ("cert_key_type", "str", True),
             72: ("cert_key_group", "str", True), 73: ("cert_key_bits", "u16", True),
             74: ("cert_sig_alg", "str", True), 75: ("cert_san_dns", "str", True)},
    0x4011: {1: ("method", "str", False), 2: ("uri", "str", False),
             3: ("version", "str", False), 4: ("host", "str", False),
             5: ("user_agent", "str", False), 6: ("status", "u16", False),
             7: ("content_type", "str", False), 8: ("server", "str", False),
             9: ("requests", "u32", False), 10: ("responses", "u32", False)},
    0x4012: {1: ("id", "u16", False), 2: ("qname", "str", False),
             3: ("qtype", "u16", False), 4: ("rcode", "u8", False),
             5: ("answer_addr", "addr", True), 6: ("answer_name", "str", True),
             7: ("messages", "u32", False), 8: ("qnames", "str", True)},
    0x4013: {1: ("version", "u32", False), 2: ("sni", "str", False),
             3: ("alpn", "str", True), 4: ("dcid", "bytes", False),
             5: ("scid", "bytes", False)},
    0x4014: {1: ("client_banner", "str", False), 2: ("server_banner", "str", False),
             3: ("hassh", "str", False), 4: ("hassh_server", "str", False),
             5: ("hassh_algs", "str", False), 6: ("hassh_server_algs", "str", False)},
    0x0015: {1: ("proto", "str", False), 2: ("detect", "str", False),
             3: ("status", "u16", False)},
}
ELEM_KEYS = {0x0001: "packets", 0x4002: "pkt_bytes", 0x4003: "payload",
             0x0004: "label", 0x0005: "source", 0x4006: "mac", 0x0007: "encap",
             0x0008: "features", 0x4010: "tls", 0x4011: "http", 0x4012: "dns",
             0x4013: "quic", 0x4014: "ssh", 0x0015: "app"}

_PREFIX = struct.Struct(">IHH")
_ELEM = struct.Struct(">HI")
_CORE = struct.Struct(">BBBBI16s16sHHHHQQQQQQQQ")
_END = struct.Struct(">QQQ")
_PKT = struct.Struct(">QIIIIBBBBHH")
_PB = struct.Struct(">IQIIHHI")
_META = struct.Struct(">BH")
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")


class FlowrecError(Exception):
    """A stream that flowrec(5) does not allow, or a read error.

    Attributes: msg (what is wrong), name (the input), offset (byte offset of
    the record, or of the end of input for a truncation), record (record
    number from 1, all types counted; None when not about one record).
    """

    def __init__(self, msg, name=None, offset=None, record=None):
        Exception.__init__(self, msg)
        self.msg, self.name, self.offset, self.record = msg, name, offset, record

    def __str__(self):
        parts = []
        if self.name is not None:
            parts.append(self.name)
        if self.offset is not None:
            parts.append("offset %d" % self.offset)
        if self.record is not None:
            parts.append("record %d" % self.record)
        parts.append(self.msg)
        return ": ".join(parts)


class _Bad(Exception):
    """Raised by the record decoders; the reader adds name, offset, record."""


class NaN(float):
    """A NaN feature value; .bits is its IEEE 754 bit pattern (an int)."""

    def __new__(cls, bits):
        v = float.__new__(cls, "nan")
        v.bits = bits
        return v

    def __repr__(self):
        return "NaN(0x%016x)" % self.bits


class RawText(bytes):
    """Text that is not valid UTF-8 or holds a NUL byte: kept as bytes."""

    def __repr__(self):
        return "RawText(%s)" % bytes.__repr__(self)


def _text(b):
    b = bytes(b)
    if b"\0" in b:
        return RawText(b)
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return RawText(b)


def _ip6(b):
    w = struct.unpack(">8H", b)
    if w[:5] == (0, 0, 0, 0, 0) and w[5] == 0xFFFF:
        return "::ffff:%d.%d.%d.%d" % tuple(b[12:16])
    if w[:6] == (0, 0, 0, 0, 0, 0) and w[6] != 0:
        return "::%d.%d.%d.%d" % tuple(b[12:16])
    best, best_n, i = -1, 0, 0
    while i < 8:
        if w[i] == 0:
            j = i
            while j < 8 and w[j] == 0:
                j += 1
            if j - i > best_n:
                best, best_n = i, j - i
            i = j
        else:
            i += 1
    if best_n < 2:
        return ":".join("%x" % x for x in w)
    return (":".join("%x" % x for x in w[:best]) + "::" +
            ":".join("%x" % x for x in w[best + best_n:]))


def _addr(b):
    if len(b) == 4:
        return "%d.%d.%d.%d" % tuple(b)
    return _ip6(bytes(b))


def _mac(b):
    return ":".join("%02x" % x for x in b)


def _u64(v, what):
    if v >= U64_LIMIT:
        raise _Bad("%s %d is not below 2^63" % (what, v))
    return v


# ---------------------------------------------------------------- elements

def _elements(buf, pos, limit_count, what):
    """Split buf[pos:] into (id, value) pairs; framing checks only."""
    out = []
    end = len(buf)
    mv = memoryview(buf)
    while pos < end:
        if end - pos < _ELEM.size:
            raise _Bad("%d bytes left, too short for an element header" % (end - pos))
        eid, n = _ELEM.unpack_from(buf, pos)
        pos += _ELEM.size
        if n > end - pos:
            raise _Bad("element 0x%04x: length %d exceeds the %d bytes left in the record"
                       % (eid, n, end - pos))
        if len(out) == limit_count:
            raise _Bad("more than %d elements in a %s" % (limit_count, what))
        out.append((eid, mv[pos:pos + n]))
        pos += n
    return out


def _decode_header(buf):
    if buf[8:16] != MAGIC:
        raise _Bad("bad magic (not a flowrec header)")
    major, minor, resv = buf[16], buf[17], (buf[18] << 8) | buf[19]
    if major != VERSION_MAJOR:
        raise _Bad("unsupported flowrec version %d.%d (this reader knows %d.x)"
                   % (major, minor, VERSION_MAJOR))
    if resv:
        raise _Bad("header reserved field is 0x%04x, not zero" % resv)
    # Keys in the order their kinds first appear in the record, as in the
    # JSON mapping; "provenance" and "notes" only when there are some.
    h = {"flowrec": "%d.%d" % (major, minor)}
    ids = []
    for eid, val in _elements(buf, 20, MAX_HDR_ELEMS, "header"):
        ids.append(eid)
        if eid in (1, 2, 3):
            if len(val) > MAX_HDR_TEXT:
                raise _Bad("header element 0x%04x: text of %d bytes exceeds %d"
                           % (eid, len(val), MAX_HDR_TEXT))
            if eid == 1:
                if "creator" in h:
                    raise _Bad("duplicate header element 0x0001 (CREATOR)")
                h["creator"] = _text(val)
            else:
                key, limit, what = (("provenance", MAX_PROVENANCE, "PROVENANCE") if eid == 2
                                    else ("notes", MAX_NOTES, "NOTE"))
                lst = h.setdefault(key, [])
                if len(lst) == limit:
                    raise _Bad("more than %d %s elements" % (limit, what))
                lst.append(_text(val))
            continue
        if eid & CRITICAL:
            raise _Bad("unknown critical header element 0x%04x" % eid)
        key = "elem_0x%04x" % eid
        if key in h:
            raise _Bad("duplicate header element 0x%04x" % eid)
        h[key] = bytes(val)
    if "creator" not in h:
        raise _Bad("header has no CREATOR element")
    # When the record order is not the order the keys list the elements in,
    # "order" keeps it (flowrec(5), JSON Lines mapping).
    listed = []
    for k, v in h.items():
        if k == "creator":
            listed.append(1)
        elif k == "provenance":
            listed += [2] * len(v)
        elif k == "notes":
            listed += [3] * len(v)
        elif k.startswith("elem_0x"):
            listed.append(int(k[7:], 16))
    if ids != listed:
        h["order"] = ids
    return h


def _np():
    try:
        import numpy
    except ImportError:
        raise ImportError("flowrec: as_numpy=True needs numpy, which is not installed") \
            from None
    return numpy


_NP_DTYPE = None


def _packets(val, npkts, span, as_numpy):
    if len(val) < 4:
        raise _Bad("PACKETS: value of %d bytes has no count" % len(val))
    count = struct.unpack_from(">I", val, 0)[0]
    if count > MAX_PKTS:
        raise _Bad("PACKETS: %d entries exceed %d" % (count, MAX_PKTS))
    if len(val) != 4 + 32 * count:
        raise _Bad("PACKETS: length %d does not match %d entries" % (len(val), count))
    if count > npkts:
        raise _Bad("PACKETS: %d entries exceed the flow's %d packets" % (count, npkts))
    body = bytes(val[4:])
    if as_numpy:
        np = _np()
        global _NP_DTYPE
        if _NP_DTYPE is None:
            _NP_DTYPE = np.dtype([("t_ns", ">u8"), ("wire_len", ">u4"), ("ip_len", ">u4"),
                                  ("l4_len", ">u4"), ("payload_len", ">u4"), ("dir", "u1"),
                                  ("pflags", "u1"), ("ttl", "u1"), ("tos", "u1"),
                                  ("tcp_flags", ">u2"), ("window", ">u2")])
        a = np.frombuffer(body, dtype=_NP_DTYPE, count=count)
        if count and (a["t_ns"] > np.uint64(span)).any():
            i = int(np.argmax(a["t_ns"] > np.uint64(span)))
            raise _Bad("PACKETS: entry %d: t_ns %d beyond last_ns - first_ns (%d)"
                       % (i, a["t_ns"][i], span))
        if count and (a["dir"] > 1).any():
            i = int(np.argmax(a["dir"] > 1))
            raise _Bad("PACKETS: entry %d: dir %d is not 0 or 1" % (i, a["dir"][i]))
        return {f: a[f].astype(t) for f, t in zip(PKT_FIELDS, PKT_DTYPES)}
    rows = list(_PKT.iter_unpack(body))
    cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in PKT_FIELDS]
    for i, t in enumerate(cols[0]):
        if t > span:
            raise _Bad("PACKETS: entry %d: t_ns %d beyond last_ns - first_ns (%d)"
                       % (i, t, span))
    for i, d in enumerate(cols[5]):
        if d > 1:
            raise _Bad("PACKETS: entry %d: dir %d is not 0 or 1" % (i, d))
    return dict(zip(PKT_FIELDS, cols))


def _pkt_bytes(val, npkts):
    if len(val) < 8:
        raise _Bad("PKTBYTES: value of %d bytes is shorter than 8" % len(val))
    layer = val[0]
    if layer > 1:
        raise _Bad("PKTBYTES: layer %d is not 0 or 1" % layer)
    if val[1] or val[2] or val[3]:
        raise _Bad("PKTBYTES: reserved bytes are not zero")
    count = struct.unpack_from(">I", val, 4)[0]
    if count > MAX_PKTS:
        raise _Bad("PKTBYTES: %d packets exceed %d" % (count, MAX_PKTS))
    pos, end, prev = 8, len(val), -1
    pkts = []
    for i in range(count):
        if end - pos < _PB.size:
            raise _Bad("PKTBYTES: packet %d: header truncated" % i)
        index, ts, orig, incl, lt, ll, n = _PB.unpack_from(val, pos)
        pos += _PB.size
        if index <= prev:
            raise _Bad("PKTBYTES: packet %d: index %d not above the previous %d"
                       % (i, index, prev))
        if index >= npkts:
            raise _Bad("PKTBYTES: packet %d: index %d not below the flow's %d packets"
                       % (i, index, npkts))
        if ts >= U64_LIMIT:
            raise _Bad("PKTBYTES: packet %d: ts_ns %d is not below 2^63" % (i, ts))
        if n > MAX_PKT_STORED:
            raise _Bad("PKTBYTES: packet %d: %d stored bytes exceed %d" % (i, n, MAX_PKT_STORED))
        if ll > incl:
            raise _Bad("PKTBYTES: packet %d: link_len %d exceeds incl_len %d" % (i, ll, incl))
        if n > incl - (ll if layer == 0 else 0):
            raise _Bad("PKTBYTES: packet %d: %d bytes stored, more than captured" % (i, n))
        if n > end - pos:
            raise _Bad("PKTBYTES: packet %d: stored length %d exceeds element" % (i, n))
        pkts.append({"index": index, "ts_ns": ts, "orig_len": orig, "incl_len": incl,
                     "linktype": lt, "link_len": ll, "data": bytes(val[pos:pos + n])})
        pos += n
        prev = index
    if pos != end:
        raise _Bad("PKTBYTES: %d bytes left after %d packets" % (end - pos, count))
    return {"layer": "network" if layer == 0 else "link", "packets": pkts}


def _source(val):
    if len(val) < 8:
        raise _Bad("SOURCE: value of %d bytes is shorter than 8" % len(val))
    if len(val) - 8 > MAX_SOURCE_NAME:
        raise _Bad("SOURCE: file name of %d bytes exceeds %d" % (len(val) - 8, MAX_SOURCE_NAME))
    first = _U64.unpack_from(val, 0)[0]
    if first >= U64_LIMIT:
        raise _Bad("SOURCE: first_pkt %d is not below 2^63" % first)
    return {"file": _text(val[8:]), "first_pkt": first}


def _encap(val):
    if len(val) % 5 or len(val) > 5 * MAX_ENCAP:
        raise _Bad("ENCAP: length %d is not a multiple of 5 up to %d"
                   % (len(val), 5 * MAX_ENCAP))
    out = []
    for pos in range(0, len(val), 5):
        kind = val[pos]
        value = struct.unpack_from(">I", val, pos + 1)[0]
        out.append({"kind": ENCAP_NAMES.get(kind, kind), "value": value})
    return out


def _features(val):
    if len(val) < 2:
        raise _Bad("FEATURES: value of %d bytes has no count" % len(val))
    count = (val[0] << 8) | val[1]
    if count > MAX_FEATURES:
        raise _Bad("FEATURES: %d entries exceed %d" % (count, MAX_FEATURES))
    pos, end = 2, len(val)
    out = {}
    for i in range(count):
        if pos >= end:
            raise _Bad("FEATURES: entry %d truncated" % i)
        k = val[pos]
        if k == 0:
            raise _Bad("FEATURES: entry %d: empty name" % i)
        if end - pos < 1 + k + 8:
            raise _Bad("FEATURES: entry %d truncated" % i)
        raw = bytes(val[pos + 1:pos + 1 + k])
        if any(c < 0x21 or c > 0x7E for c in raw):
            raise _Bad("FEATURES: entry %d: name has a byte outside 0x21-0x7e" % i)
        name = raw.decode("ascii")
        if name in out:
            raise _Bad("FEATURES: duplicate name %s" % name)
        bits = _U64.unpack_from(val, pos + 1 + k)[0]
        x = _F64.unpack_from(val, pos + 1 + k)[0]
        out[name] = NaN(bits) if x != x else x
        pos += 1 + k + 8
    if pos != end:
        raise _Bad("FEATURES: %d bytes left after %d entries" % (end - pos, count))
    return out


_META_LEN = {"u8": (1,), "u16": (2,), "u32": (4,), "addr": (4, 16)}


def _meta(eid, val):
    table = META[eid]
    ename = ELEM_KEYS[eid].upper()
    out = {}
    unknown = []
    pos, end, prev, nfield = 0, len(val), -1, 0
    while pos < end:
        if end - pos < 3:
            raise _Bad("%s: field %d: header truncated" % (ename, nfield))
        tag, n = _META.unpack_from(val, pos)
        pos += 3
        if n > end - pos:
            raise _Bad("%s: field %d: length %d exceeds element" % (ename, nfield, n))
        if nfield == MAX_META_FIELDS:
            raise _Bad("%s: more than %d fields" % (ename, MAX_META_FIELDS))
        if tag < prev:
            raise _Bad("%s: field %d: tag %d after tag %d" % (ename, nfield, tag, prev))
        v = val[pos:pos + n]
        pos += n
        nfield += 1
        f = table.get(tag)
        if f is None:
            unknown.append({"tag": tag, "value": bytes(v)})
            prev = tag
            continue
        name, typ, multi = f
        if tag == prev and not multi:
            raise _Bad("%s: tag %d (%s) repeated" % (ename, tag, name))
        prev = tag
        if typ in _META_LEN and n not in _META_LEN[typ]:
            raise _Bad("%s: tag %d (%s): length %d wrong for %s" % (ename, tag, name, n, typ))
        if typ == "u16list" and n % 2:
            raise _Bad("%s: tag %d (%s): odd length %d" % (ename, tag, name, n))
        if typ in ("u8", "u16", "u32"):
            x = int.from_bytes(v, "big")
        elif typ == "str":
            x = _text(v)
        elif typ == "bytes":
            x = bytes(v)
        elif typ == "u16list":
            x = list(struct.unpack(">%dH" % (n // 2), v))
        else:
            x = _addr(v)
        if multi:
            out.setdefault(name, []).append(x)
        else:
            out[name] = x
    if unknown:
        out["unknown"] = unknown
    return out


def _decode_flow(buf, as_numpy):
    (ipv, proto, endr, resv, flags, src, dst, sport, dport, stf, dtf, first, last,
     sp, dp, sb, db, sl3, dl3) = _CORE.unpack_from(buf, 8)
    if ipv not in (4, 6):
        raise _Bad("IP version %d is not 4 or 6" % ipv)
    if resv:
        raise _Bad("flow reserved byte is %d, not zero" % resv)
    if ipv == 4 and (any(src[4:]) or any(dst[4:])):
        raise _Bad("IPv4 address with non-zero bytes 4-15")
    for name, v in (("first_ns", first), ("last_ns", last), ("src_pkts", sp),
                    ("dst_pkts", dp), ("src_bytes", sb), ("dst_bytes", db),
                    ("src_l3_bytes", sl3), ("dst_l3_bytes", dl3)):
        _u64(v, name)
    if last < first:
        raise _Bad("last_ns %d is before first_ns %d" % (last, first))
    f = {"ipv": ipv, "proto": proto,
         "src": _addr(src[:4]) if ipv == 4 else _addr(src), "sport": sport,
         "dst": _addr(dst[:4]) if ipv == 4 else _addr(dst), "dport": dport,
         "first_ns": first, "last_ns": last, "src_pkts": sp, "dst_pkts": dp,
         "src_bytes": sb, "dst_bytes": db, "src_l3_bytes": sl3, "dst_l3_bytes": dl3,
         "src_tcp_flags": stf, "dst_tcp_flags": dtf,
         "end": END_NAMES[endr] if endr < len(END_NAMES) else endr,
         "flags": [FLAG_NAMES[b] if b < len(FLAG_NAMES) else "bit%d" % b
                   for b in range(32) if flags >> b & 1]}
    npkts = sp + dp
    seen = set()
    for eid, val in _elements(buf, FLOW_CORE, MAX_FLOW_ELEMS, "flow record"):
        if eid in seen:
            raise _Bad("duplicate element 0x%04x" % eid)
        seen.add(eid)
        key = ELEM_KEYS.get(eid)
        if key is None:
            if eid & CRITICAL:
                raise _Bad("unknown critical element 0x%04x" % eid)
            f["elem_0x%04x" % eid] = bytes(val)
        elif eid == 0x0001:
            f[key] = _packets(val, npkts, last - first, as_numpy)
        elif eid == 0x4002:
            f[key] = _pkt_bytes(val, npkts)
        elif eid == 0x4003:
            f[key] = bytes(val)
        elif eid == 0x0004:
            if len(val) > MAX_LABEL:
                raise _Bad("LABEL: %d bytes exceed %d" % (len(val), MAX_LABEL))
            f[key] = _text(val)
        elif eid == 0x0005:
            f[key] = _source(val)
        elif eid == 0x4006:
            if len(val) != 12:
                raise _Bad("MAC: length %d is not 12" % len(val))
            f[key] = {"src": _mac(val[:6]), "dst": _mac(val[6:])}
        elif eid == 0x0007:
            f[key] = _encap(val)
        elif eid == 0x0008:
            f[key] = _features(val)
        else:
            f[key] = _meta(eid, val)
    return f, npkts, sb + db


# ------------------------------------------------------------------ reader

def _foreign(b):
    """A hint when the first bytes look like another format, else None."""
    if b[:4] in (b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d",
                 b"\x4d\x3c\xb2\xa1"):
        return "a pcap capture (use pcap-flows)"
    if b[:4] == b"\x0a\x0d\x0d\x0a":
        return "a pcapng capture (use pcap-flows)"
    if b.lstrip()[:1] in (b"{", b"["):
        return "JSON text (use flow-json -r)"
    return None


class Reader:
    """Strict reader of one flowrec input.

    Reader(src, name=None, as_numpy=False): src is a path, "-" for standard
    input, or a binary file object (not closed by the reader).  Iterating
    yields ("header", dict), ("flow", dict), ("end", dict); FlowrecError is
    raised on the first violation of flowrec(5).  After iteration, .skipped
    is the number of records of unknown type skipped and .records the number
    of records read.
    """

    def __init__(self, src, name=None, as_numpy=False):
        self._own = False
        if isinstance(src, (str, bytes, os.PathLike)):
            if src in ("-", b"-"):
                self._f = sys.stdin.buffer
                self.name = name or "stdin"
            else:
                self._f = open(src, "rb")
                self._own = True
                self.name = name or os.fsdecode(src)
        else:
            self._f = getattr(src, "buffer", src)
            self.name = name or getattr(src, "name", None) or "stream"
            if not isinstance(self.name, str):
                self.name = str(self.name)
        self.as_numpy = as_numpy
        self.offset = 0
        self.records = 0
        self.skipped = 0

    def close(self):
        if self._own:
            self._f.close()
            self._own = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read(self, n):
        chunks, got = [], 0
        while got < n:
            try:
                b = self._f.read(n - got)
            except OSError as e:
                raise FlowrecError("read error: %s" % e.strerror, self.name, self.offset)
            if not b:
                break
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def _truncated(self, pos):
        return FlowrecError("stream truncated after %d records" % self.records,
                            self.name, pos)

    def __iter__(self):
        in_seg = False
        nflows = npkts = nbytes = 0
        while True:
            start = self.offset
            pre = self._read(8)
            if not pre:
                if in_seg:
                    raise self._truncated(start)
                return
            recno = self.records + 1

            def bad(msg, start=start, recno=recno):
                return FlowrecError(msg, self.name, start, recno)

            if len(pre) < 8:
                if recno == 1 and _foreign(pre):
                    raise bad("not a flowrec stream: looks like " + _foreign(pre))
                raise self._truncated(start + len(pre))
            length, rtype, resv = _PREFIX.unpack(pre)
            if recno == 1 and (rtype != REC_HEADER or resv):
                hint = _foreign(pre)
                raise bad("not a flowrec stream" + (": looks like " + hint if hint else
                                                    " (no HEADER record at the start)"))
            if resv:
                raise bad("record prefix reserved field is 0x%04x, not zero" % resv)
            if length < 8 or length > MAX_RECORD:
                raise bad("record length %d outside 8..%d" % (length, MAX_RECORD))
            if rtype == REC_HEADER:
                lo, hi, what = 20, MAX_HEADER, "HEADER"
            elif rtype == REC_FLOW:
                lo, hi, what = FLOW_CORE, MAX_RECORD, "FLOW"
            elif rtype == REC_END:
                lo, hi, what = END_LEN, END_LEN, "END"
            else:
                lo, hi, what = 8, MAX_RECORD, "type %d" % rtype
            if not lo <= length <= hi:
                raise bad("%s record length %d outside %d..%d" % (what, length, lo, hi))
            if rtype == REC_HEADER and in_seg:
                raise bad("HEADER inside a segment (END record missing)")
            if rtype != REC_HEADER and not in_seg:
                raise bad("%s record outside a segment (HEADER expected)" % what)
            body = self._read(length - 8)
            if len(body) < length - 8:
                raise self._truncated(start + 8 + len(body))
            buf = pre + body
            self.offset = start + length
            self.records = recno
            try:
                if rtype == REC_HEADER:
                    item = ("header", _decode_header(buf))
                    in_seg = True
                    nflows = npkts = nbytes = 0
                elif rtype == REC_FLOW:
                    f, p, b = _decode_flow(buf, self.as_numpy)
                    nflows += 1
                    npkts += p
                    nbytes += b
                    item = ("flow", f)
                elif rtype == REC_END:
                    e = dict(zip(("records", "packets", "bytes"), _END.unpack_from(buf, 8)))
                    for k in ("records", "packets", "bytes"):
                        _u64(e[k], "END " + k)
                    # The sums saturate at 2^63 - 1 (flowrec(5), END record).
                    npkts = min(npkts, U64_LIMIT - 1)
                    nbytes = min(nbytes, U64_LIMIT - 1)
                    if (e["records"], e["packets"], e["bytes"]) != (nflows, npkts, nbytes):
                        raise _Bad("END counts (records %d, packets %d, bytes %d) differ from "
                                   "the segment (records %d, packets %d, bytes %d)"
                                   % (e["records"], e["packets"], e["bytes"],
                                      nflows, npkts, nbytes))
                    in_seg = False
                    item = ("end", e)
                else:
                    self.skipped += 1
                    continue
            except _Bad as e:
                raise bad(str(e))
            yield item


def iter_records(src, as_numpy=False):
    """Yield ("header"|"flow"|"end", dict) for each record of src (a path,
    "-", or a binary file object); raises FlowrecError on invalid data."""
    with Reader(src, as_numpy=as_numpy) as r:
        for item in r:
            yield item


def iter_flows(src, as_numpy=False):
    """Yield one dict per flow of src (see the module docstring).  With
    as_numpy=True the "packets" columns are numpy arrays (t_ns int64, the
    others unsigned of their field's width); ImportError without numpy."""
    for kind, rec in iter_records(src, as_numpy=as_numpy):
        if kind == "flow":
            yield rec


# -------------------------------------------------------------------- JSON

def _jtext(v):
    return {"hex": bytes(v).hex()} if isinstance(v, RawText) else v


def _jf64(v):
    if math.isnan(v):
        bits = getattr(v, "bits", None)
        if bits is None:
            bits = _U64.unpack(_F64.pack(v))[0]
        if bits == 0x7FF8000000000000:
            return "nan"
        if bits == 0xFFF8000000000000:
            return "-nan"
        return "nan:0x%016x" % bits
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _jlist(v):
    return v.tolist() if hasattr(v, "tolist") else list(v)


def to_json(rec, packets=True, pkt_bytes=True):
    """The JSON object (a dict, keys in order) that flow-json prints for a
    flow or header dict of this module.  packets=False leaves out "packets";
    pkt_bytes=False leaves out "pkt_bytes" and "payload"."""
    out = {}
    for k, v in rec.items():
        if k in ("creator", "label"):
            out[k] = _jtext(v)
        elif k in ("provenance", "notes"):
            out[k] = [_jtext(x) for x in v]
        elif k == "order":
            out[k] = list(v)
        elif k == "source":
            out[k] = {"file": _jtext(v["file"]), "first_pkt": v["first_pkt"]}
        elif k == "packets":
            if packets:
                out[k] = {f: _jlist(v[f]) for f in PKT_FIELDS}
        elif k == "pkt_bytes":
            if pkt_bytes:
                out[k] = {"layer": v["layer"], "packets": [
                    {"index": p["index"], "ts_ns": p["ts_ns"], "orig_len": p["orig_len"],
                     "incl_len": p["incl_len"], "linktype": p["linktype"],
                     "link_len": p["link_len"], "hex": p["data"].hex()}
                    for p in v["packets"]]}
        elif k == "payload":
            if pkt_bytes:
                out[k] = v.hex()
        elif k == "features":
            out[k] = {n: _jf64(x) for n, x in v.items()}
        elif k in ("tls", "http", "dns", "quic", "ssh", "app"):
            m = {}
            for n, x in v.items():
                if n == "unknown":
                    m[n] = [{"tag": u["tag"], "hex": u["value"].hex()} for u in x]
                elif isinstance(x, RawText):
                    m[n] = _jtext(x)
                elif isinstance(x, bytes):
                    m[n] = x.hex()
                elif isinstance(x, list):
                    # repeated bytes fields (cert_sha256) are hex, as single ones
                    m[n] = [y.hex() if type(y) is bytes else _jtext(y) for y in x]
                else:
                    m[n] = x
            out[k] = m
        elif k.startswith("elem_0x"):
            out[k] = v.hex()
        else:
            out[k] = v
    return out


# -------------------------------------------------------------------- main

def _usage_error(prog, msg):
    sys.stderr.write("%s: %s\nusage: %s [-a] [-H] [-p] [-x] [FILE...]\n" % (prog, msg, prog))
    return 2



# The long options of the command line and the short ones they stand for.
_LONG = {"--help": "h", "--all": "a", "--header": "H", "--packets": "p", "--bytes": "x"}


def main(argv=None):
    """The command line; returns the exit status."""
    import signal
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    argv = sys.argv[1:] if argv is None else argv
    prog = os.path.basename(sys.argv[0]) or "flowrec.py"
    header = packets = pbytes = False
    files = []
    only_files = False
    for a in argv:
        if only_files or a == "-" or not a.startswith("-"):
            files.append(a)
        elif a == "--":
            only_files = True
        else:
            if a.startswith("--"):
                if a not in _LONG:
                    return _usage_error(prog, "unknown option %s" % a)
                letters = _LONG[a]
            else:
                letters = a[1:]
            for c in letters:
                if c == "h":
                    sys.stdout.write(__doc__)
                    return 0
                if c not in "aHpx":
                    return _usage_error(prog, "unknown option -%s" % c)
                header = header or c in "aH"
                packets = packets or c in "ap"
                pbytes = pbytes or c in "ax"
    if not files:
        files = ["-"]
    if "-" in files and sys.stdin.isatty():
        sys.stderr.write("%s: stdin: refusing to read binary data from a terminal\n" % prog)
        return 2
    out = sys.stdout.buffer
    status = 0
    try:
        for path in files:
            try:
                r = Reader(path)
            except OSError as e:
                sys.stderr.write("%s: %s: %s\n" % (prog, path, e.strerror))
                status = 1
                continue
            try:
                with r:
                    for kind, rec in r:
                        if kind == "flow" or (kind == "header" and header):
                            obj = to_json(rec, packets=packets, pkt_bytes=pbytes)
                            out.write(json.dumps(obj, ensure_ascii=False,
                                                 separators=(",", ":")).encode("utf-8"))
                            out.write(b"\n")
            except FlowrecError as e:
                out.flush()
                sys.stderr.write("%s: %s\n" % (prog, e))
                status = 1
        out.flush()
    except OSError as e:
        # Only writes get here: input errors are FlowrecError or caught above.
        sys.stderr.write("%s: write error: %s\n" % (prog, e.strerror))
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
