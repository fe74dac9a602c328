"""flowkit.frame - a flowrec stream as flat, typed columns, decoded with numpy.

read_columns(src, columns=None) returns (names, {name: numpy array}, headers);
flowkit.to_pandas wraps it in a DataFrame.  read_packet_columns is the same
with one entry per packet (flowkit.read_packets): the PACKETS columns as
they are gathered, the flow columns repeated.  The stream is read into memory
(a file is mapped), the records are found in one pass over their prefixes,
the 120-byte cores are gathered in one copy and decoded with one
structured dtype, the elements of every flow are split by a loop over
element positions (one numpy step per element rank, not per flow), and an
element is decoded only when one of its columns is asked for.  Gathers go
through _Window, a view of the bytes with an item at every byte offset.
The PACKETS tables are copied, a chunk of whole flows at a time, into one
native column per field, and each flow's array is a view of its slice of
that column; short texts (labels, names) are converted once per distinct
value, found with a hash of their bytes that is checked against the bytes.

Checked as flowrec(5) says: the record framing, the segment structure and
the END counts, every core field, the element framing (duplicates, unknown
critical elements, at most 64), and every element that is decoded.  An
element whose columns are not asked for is not validated; iterate with
flowkit.flowrec.iter_records for the complete check.  A violation raises
flowrec.FlowrecError naming the input, the byte offset and the record number.
"""

import bisect
import gc
import mmap
from itertools import repeat
from operator import getitem
import os
import stat
import struct
import sys

import numpy as np

from . import flowrec as fr

__all__ = ["read_columns", "read_packet_columns", "column_names", "CORE_COLUMNS"]

CORE_COLUMNS = ["ipv", "proto", "src", "sport", "dst", "dport", "first_ns", "last_ns",
                "src_pkts", "dst_pkts", "src_bytes", "dst_bytes", "src_l3_bytes",
                "dst_l3_bytes", "src_tcp_flags", "dst_tcp_flags", "end", "flags"]

_CORE_DT = np.dtype([("len", ">u4"), ("type", ">u2"), ("resv0", ">u2"),
                     ("ipv", "u1"), ("proto", "u1"), ("end", "u1"), ("resv", "u1"),
                     ("flags", ">u4"), ("src", "V16"), ("dst", "V16"),
                     ("sport", ">u2"), ("dport", ">u2"),
                     ("src_tcp_flags", ">u2"), ("dst_tcp_flags", ">u2"),
                     ("first_ns", ">u8"), ("last_ns", ">u8"),
                     ("src_pkts", ">u8"), ("dst_pkts", ">u8"),
                     ("src_bytes", ">u8"), ("dst_bytes", ">u8"),
                     ("src_l3_bytes", ">u8"), ("dst_l3_bytes", ">u8")])
_U64_FIELDS = ["first_ns", "last_ns", "src_pkts", "dst_pkts", "src_bytes", "dst_bytes",
               "src_l3_bytes", "dst_l3_bytes"]
_PKT_DT = np.dtype([("t_ns", ">u8"), ("wire_len", ">u4"), ("ip_len", ">u4"),
                    ("l4_len", ">u4"), ("payload_len", ">u4"), ("dir", "u1"),
                    ("pflags", "u1"), ("ttl", "u1"), ("tos", "u1"),
                    ("tcp_flags", ">u2"), ("window", ">u2")])
_PB_FIELDS = ["index", "ts_ns", "orig_len", "incl_len", "linktype", "link_len"]
_PB_DTYPES = ["uint32", "int64", "uint32", "uint32", "uint16", "uint16"]

_F64_BITS = struct.Struct(">d")
_U64_BITS = struct.Struct(">Q")
_KEY_ELEM = {v: k for k, v in fr.ELEM_KEYS.items()}
_META_KEYS = ("tls", "http", "dns", "quic", "ssh", "app")


def _element_columns(key):
    """The fixed column names of element key (features: none, they are named by the data)."""
    if key == "packets":
        return ["packets." + f for f in fr.PKT_FIELDS]
    if key == "pkt_bytes":
        return ["pkt_bytes.layer"] + ["pkt_bytes." + f for f in _PB_FIELDS] + ["pkt_bytes.hex"]
    if key == "payload" or key == "label":
        return [key]
    if key == "source":
        return ["source.file", "source.first_pkt"]
    if key == "mac":
        return ["mac.src", "mac.dst"]
    if key == "encap":
        return ["encap.kind", "encap.value"]
    if key == "features":
        return []
    table = fr.META[_KEY_ELEM[key]]
    return [key + "." + table[t][0] for t in sorted(table)]


def column_names():
    """Every fixed column name to_pandas knows, in registry order (features.NAME
    and elem_0xHHHH columns depend on the data and are not listed)."""
    out = list(CORE_COLUMNS)
    for key in ("packets", "pkt_bytes", "payload", "label", "source", "mac", "encap") + \
            _META_KEYS:
        out += _element_columns(key)
    return out


_ALL = None


def _owner(name):
    """The element key a column belongs to, "" for the core; ValueError if unknown."""
    global _ALL
    if _ALL is None:
        _ALL = set(column_names())
    if name in CORE_COLUMNS:
        return ""
    if name in fr.ELEM_KEYS.values():
        return name
    if name.startswith("features.") and len(name) > 9:
        return "features"
    if name.startswith("elem_0x") and len(name) == 11:
        try:
            int(name[7:], 16)
            return name
        except ValueError:
            pass
    if name in _ALL:
        return name.split(".", 1)[0]
    raise ValueError("flowkit: unknown column %r (see flowkit.column_names())" % name)


# ------------------------------------------------------------------ input

def _slurp(src):
    """(bytes, name) of a path, "-", bytes-like object or binary file object."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src), "bytes"
    if isinstance(src, (str, os.PathLike)):
        if src == "-":
            return sys.stdin.buffer.read(), "stdin"
        with open(src, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                # mapped, not copied; the arrays made from it keep it alive
                try:
                    return _map(f.fileno()), os.fsdecode(src)
                except (OSError, ValueError):
                    pass
            return f.read(), os.fsdecode(src)
    f = getattr(src, "buffer", src)
    name = getattr(src, "name", None)
    return f.read(), name if isinstance(name, str) else "stream"


def _map(fd):
    """A read-only mapping of file fd, its pages mapped at once where the
    system allows it (one call rather than a page fault every few pages)."""
    flags = getattr(mmap, "MAP_POPULATE", 0)
    if flags:
        try:
            return mmap.mmap(fd, 0, flags=mmap.MAP_SHARED | flags, prot=mmap.PROT_READ)
        except (OSError, ValueError):
            pass
    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)


class _Errors:
    """The earliest of the errors found, by byte offset: records before it are valid."""

    def __init__(self, name):
        self.name, self.best = name, None

    def add(self, msg, offset, record):
        if self.best is None or offset < self.best.offset:
            self.best = fr.FlowrecError(msg, self.name, offset, record)

    def raise_first(self):
        if self.best is not None:
            raise self.best


_PREFIX2 = struct.Struct(">II")     # length, then type and reserved as one word
_FLOW_WORD = fr.REC_FLOW << 16


def _scan(data, errs):
    """One pass over the records: flow offsets, decoded headers, END records,
    and the offsets of the other records (for record numbers).  Inside a
    segment a tight loop steps over the FLOW records; anything else (and
    every error) goes through the checks of the general case."""
    unpack = fr._PREFIX.unpack_from
    unpack2 = _PREFIX2.unpack_from
    n = len(data)
    pos = 0
    in_seg = False
    foff = []
    add = foff.append
    others = []          # offsets of non-flow records, ascending
    headers = []         # (offset, header dict)
    ends = []            # (offset, recno, flows before it, records, packets, bytes)
    seg_start = 0        # flows before the current segment
    flow_word, core_len, max_len = _FLOW_WORD, fr.FLOW_CORE, fr.MAX_RECORD
    while pos < n:
        if in_seg:
            last = n - 8
            while pos <= last:
                length, word = unpack2(data, pos)
                nxt = pos + length
                if word != flow_word or length < core_len or length > max_len or nxt > n:
                    break
                add(pos)
                pos = nxt
            if pos >= n:
                break
        recno = len(foff) + len(others)
        if n - pos < 8:
            if recno == 0 and fr._foreign(data[pos:]):
                errs.add("not a flowrec stream: looks like " + fr._foreign(data[pos:]), pos, 1)
            else:
                errs.add("stream truncated after %d records" % recno, n, None)
            break
        length, rtype, resv = unpack(data, pos)
        recno += 1
        if recno == 1 and (rtype != fr.REC_HEADER or resv):
            hint = fr._foreign(data[pos:pos + 8])
            errs.add("not a flowrec stream" + (": looks like " + hint if hint else
                                               " (no HEADER record at the start)"), pos, recno)
            break
        if resv:
            errs.add("record prefix reserved field is 0x%04x, not zero" % resv, pos, recno)
            break
        if rtype == fr.REC_HEADER:
            lo, hi, what = 20, fr.MAX_HEADER, "HEADER"
        elif rtype == fr.REC_FLOW:
            lo, hi, what = fr.FLOW_CORE, fr.MAX_RECORD, "FLOW"
        elif rtype == fr.REC_END:
            lo, hi, what = fr.END_LEN, fr.END_LEN, "END"
        else:
            lo, hi, what = 8, fr.MAX_RECORD, "type %d" % rtype
        if length < 8 or length > fr.MAX_RECORD:
            errs.add("record length %d outside 8..%d" % (length, fr.MAX_RECORD), pos, recno)
            break
        if not lo <= length <= hi:
            errs.add("%s record length %d outside %d..%d" % (what, length, lo, hi), pos, recno)
            break
        if rtype == fr.REC_HEADER and in_seg:
            errs.add("HEADER inside a segment (END record missing)", pos, recno)
            break
        if rtype != fr.REC_HEADER and not in_seg:
            errs.add("%s record outside a segment (HEADER expected)" % what, pos, recno)
            break
        if length > n - pos:
            errs.add("stream truncated after %d records" % (recno - 1), n, None)
            break
        if rtype == fr.REC_FLOW:    # (the loop above takes every valid one)
            add(pos)
            pos += length
            continue
        buf = data[pos:pos + length]
        others.append(pos)
        if rtype == fr.REC_HEADER:
            try:
                headers.append((pos, fr._decode_header(buf)))
            except fr._Bad as e:
                errs.add(str(e), pos, recno)
                break
            in_seg = True
            seg_start = len(foff)
        elif rtype == fr.REC_END:
            ends.append((pos, recno, seg_start, len(foff)) + fr._END.unpack_from(buf, 8))
            in_seg = False
        pos += length
    if in_seg and errs.best is None:
        errs.add("stream truncated after %d records" % (len(foff) + len(others)), n, None)
    return foff, others, headers, ends


def _recno(others, i, off):
    """The record number of flow i at byte offset off."""
    return i + 1 + bisect.bisect_left(others, off)


# ---------------------------------------------------------------- columns

_A4 = None


# the address fields of a core as words: the first 4 bytes, the next 4, the last 8
_ADDR_DT = np.dtype({"names": ["s0", "s1", "s2", "d0", "d1", "d2"],
                     "formats": [">u4", ">u4", ">u8", ">u4", ">u4", ">u8"],
                     "offsets": [16, 20, 24, 32, 36, 40], "itemsize": 120})


def _addresses(core, names, ipv):
    """{name: text} of the address fields names ("src", "dst") of the cores,
    as flowrec(5) and flow-json write them; each distinct address of the
    fields together is formatted once."""
    if not names:
        return {}
    w = core.view(_ADDR_DT)
    n = len(core)
    v4 = ipv == 4
    v6 = ~v4
    out = {c: np.empty(n, dtype=object) for c in names}
    n4 = int(np.count_nonzero(v4))
    if n4:
        words = np.concatenate([w[c[0] + "0"][v4] for c in names])
        u, inv = np.unique(words, return_inverse=True)
        txt = np.array(["%d.%d.%d.%d" % (x >> 24, x >> 16 & 255, x >> 8 & 255, x & 255)
                        for x in u.tolist()], dtype=object)[inv.ravel()]
        for k, c in enumerate(names):
            out[c][v4] = txt[k * n4:(k + 1) * n4]
    n6 = n - n4
    if n6:
        rows = np.concatenate([core[c][v6] for c in names])
        u, inv = np.unique(rows, return_inverse=True)
        txt = np.array([fr._addr(bytes(x)) for x in u], dtype=object)[inv.ravel()]
        for k, c in enumerate(names):
            out[c][v6] = txt[k * n6:(k + 1) * n6]
    return out


_BE = {1: "u1", 2: ">u2", 4: ">u4", 8: ">u8"}


class _Window:
    """w = _Window(u8, dtype); w[pos]: the items of dtype at the byte offsets
    pos of u8 (each leaving room for a whole item), gathered in one copy.
    The gather goes through a plain-bytes view of every byte offset, faster
    than through a structured one."""

    def __init__(self, u8, dtype):
        self.dt = np.dtype(dtype)
        size = self.dt.itemsize
        count = max(len(u8) - size + 1, 0)
        self.raw = np.ndarray((count,), dtype="V%d" % size, buffer=u8, strides=(1,))

    def __getitem__(self, pos):
        return self.raw[pos].view(self.dt)


def _gather_u(u8, pos, width):
    """Big-endian unsigned integers of width bytes at the offsets pos (uint64)."""
    if not len(pos):
        return np.zeros(0, dtype=np.uint64)
    return _Window(u8, _BE[width])[pos].astype(np.uint64)


_TEXT_WIDE = 64        # values up to this long are told apart by array operations
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                 0x27D4EB2F165667C5, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
                dtype=np.uint64)


def _distinct_short(u8, vo, vl):
    """(first, inv) for values of at most _TEXT_WIDE bytes: value k is the
    same bytes as value first[inv[k]], and the values first[] are distinct;
    None when the values are longer or the hashes do not tell them apart."""
    m = len(vo)
    wide = int(vl.max())
    words = max((wide + 7) // 8, 1)
    if wide > _TEXT_WIDE or int(vo.max()) + 8 * words > len(u8):
        return None
    b = _Window(u8, "V%d" % (8 * words))[vo].view(np.uint8).reshape(m, 8 * words)
    b[np.arange(8 * words) >= vl[:, None]] = 0
    w = b.view(np.uint64)
    h = vl.astype(np.uint64) * _MIX[-1]
    for j in range(words):
        h ^= w[:, j] * _MIX[j]
        h ^= h >> np.uint64(29)
    _, first, inv = np.unique(h, return_index=True, return_inverse=True)
    inv = inv.ravel()
    if not ((w == w[first][inv]).all() and (vl == vl[first][inv]).all()):
        return None
    return first, inv


def _texts(data, vo, vl, conv):
    """conv(bytes) of each value, computed once per distinct value: a list."""
    if len(vo):
        got = _distinct_short(np.frombuffer(data, dtype=np.uint8), vo, vl)
        if got is not None:
            first, inv = got
            u = np.empty(len(first), dtype=object)
            u[:] = [conv(data[o:o + n]) for o, n in zip(vo[first].tolist(),
                                                         vl[first].tolist())]
            return u[inv].tolist()
    d = {}
    codes = [d.setdefault(data[o:o + n], len(d)) for o, n in zip(vo.tolist(), vl.tolist())]
    u = np.empty(len(d), dtype=object)
    u[:] = [conv(b) for b in d]
    return u[codes].tolist() if codes else []


_ELEM_DT = np.dtype([("id", ">u2"), ("len", ">u4")])
# flow element ids with the CRITICAL bit that this reader does not know
_CRIT_UNKNOWN = np.zeros(65536, dtype=bool)
_CRIT_UNKNOWN[fr.CRITICAL:] = True
_CRIT_UNKNOWN[[e for e in fr.ELEM_KEYS if e & fr.CRITICAL]] = False


def _split_elements(u8, off, length, others, errs):
    """(flow index, id, value offset, value length) arrays of every element."""
    n = len(off)
    pos = off + 120
    end = off + length
    hdr = _Window(u8, _ELEM_DT)
    fl, ids, vo, vl = [], [], [], []
    idx = np.arange(n)
    rank = 0
    while True:
        act = pos < end
        if not act.all():
            idx, pos, end = idx[act], pos[act], end[act]
        if not len(idx):
            break
        if rank == fr.MAX_FLOW_ELEMS:
            i = int(idx[0])
            errs.add("more than %d elements in a flow record" % fr.MAX_FLOW_ELEMS,
                     int(off[i]), _recno(others, i, int(off[i])))
            break
        short = end - pos < 6
        if short.any():
            i = int(idx[short][0])
            errs.add("%d bytes left, too short for an element header"
                     % int((end - pos)[short][0]), int(off[i]), _recno(others, i, int(off[i])))
            keep = ~short
            idx, pos, end = idx[keep], pos[keep], end[keep]
        h = hdr[pos]
        eid = h["id"].astype(np.int64)
        ln = h["len"].astype(np.int64)
        over = ln > end - pos - 6
        if over.any():
            k = int(np.argmax(over))
            i = int(idx[k])
            errs.add("element 0x%04x: length %d exceeds the %d bytes left in the record"
                     % (int(eid[k]), int(ln[k]), int(end[k] - pos[k] - 6)),
                     int(off[i]), _recno(others, i, int(off[i])))
            keep = ~over
            idx, pos, end, eid, ln = idx[keep], pos[keep], end[keep], eid[keep], ln[keep]
        fl.append(idx)
        ids.append(eid)
        vo.append(pos + 6)
        vl.append(ln)
        pos = pos + 6 + ln
        rank += 1
    if not fl:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z
    dup = _duplicates(n, fl, ids)
    parts = [fl, ids, vo, vl]
    del fl, ids, vo, vl
    for k, x in enumerate(parts):      # each list freed once joined: a lower peak
        parts[k] = np.concatenate(x)
        x.clear()
    fl, ids, vo, vl = parts
    if len(dup):
        i = int(fl[dup].min())
        e = int(ids[dup][fl[dup] == i].min())
        errs.add("duplicate element 0x%04x" % e, int(off[i]), _recno(others, i, int(off[i])))
    crit = _CRIT_UNKNOWN[ids]
    if crit.any():
        i = int(fl[crit].min())
        e = int(ids[crit & (fl == i)][0])
        errs.add("unknown critical element 0x%04x" % e, int(off[i]),
                 _recno(others, i, int(off[i])))
    return fl, ids, vo, vl


def _duplicates(n, fl, ids):
    """The positions, in the concatenation of the ranks, of the elements whose
    id an earlier element of the same flow has.  fl and ids are lists of
    arrays, one per rank (a flow at most once in each).  With at most 64
    distinct ids a bit mask per flow finds them; otherwise a sort does."""
    allids = np.concatenate(ids)
    seen = np.bincount(allids, minlength=65536)
    distinct = np.nonzero(seen)[0]
    if len(distinct) > 64:
        allfl = np.concatenate(fl)
        key = allfl * 65536 + allids
        o = np.argsort(key, kind="stable")
        ks = key[o]
        return o[np.nonzero(ks[1:] == ks[:-1])[0] + 1]
    code = np.zeros(65536, dtype=np.uint64)
    code[distinct] = np.left_shift(np.uint64(1), np.arange(len(distinct), dtype=np.uint64))
    mask = np.zeros(n, dtype=np.uint64)
    out, base = [], 0
    for f, e in zip(fl, ids):
        bit = code[e]
        m = mask[f]
        d = np.nonzero(m & bit)[0]
        if len(d):
            out.append(d + base)
        mask[f] = m | bit
        base += len(f)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


class _Present:
    """The element ids found (sorted(p), e in p) and, made when first asked
    for, the mask of the elements of one id (p.get(e), None if absent)."""

    def __init__(self, ids):
        self.ids = ids
        self.found = np.flatnonzero(np.bincount(ids, minlength=65536)).tolist() \
            if len(ids) else []
        self.masks = {}

    def __iter__(self):
        return iter(self.found)

    def get(self, e):
        if e not in self.masks:
            self.masks[e] = self.ids == e if e in self.found else None
        return self.masks[e]


def _obj(n):
    return np.full(n, None, dtype=object)


def _nan(n):
    return np.full(n, np.nan)


class _Ctx:
    def __init__(self, data, u8, off, others, errs, core):
        self.data, self.u8, self.off, self.others, self.errs = data, u8, off, others, errs
        self.core = core

    def bad(self, i, msg):
        o = int(self.off[i])
        self.errs.add(msg, o, _recno(self.others, i, o))


def _each(ctx, fl, vo, vl, fn):
    """fn(i, value) for every element; a _Bad becomes an error of flow i."""
    data = ctx.data
    for i, o, n in zip(fl.tolist(), vo.tolist(), vl.tolist()):
        try:
            fn(i, data[o:o + n])
        except fr._Bad as e:
            ctx.bad(i, str(e))


def _dec_packets(ctx, n, fl, vo, vl, want, out, table=None):
    """The PACKETS tables of every flow: the entries gathered, a chunk of whole
    flows at a time, into one native column per field, checked per flow with
    array reductions; each flow's array is a view of its slice of a column.
    Flows and their views are made in stream order, so that the objects lie
    in memory in the order pandas and the garbage collector will visit them.
    With a dict table, no views are made: table gets "count", the entries of
    each of the n flows (int64), and the columns asked for, by field name."""
    u8 = ctx.u8
    if len(fl) > 1 and (fl[1:] < fl[:-1]).any():     # in stream order
        o = np.argsort(fl, kind="stable")
        fl, vo, vl = fl[o], vo[o], vl[o]
    short = vl < 4
    cnt = _gather_u(u8, np.where(short, 0, vo), 4).astype(np.int64)
    core = ctx.core
    npk = (core["src_pkts"][fl].astype(np.int64) + core["dst_pkts"][fl].astype(np.int64))
    bad = short | (cnt > fr.MAX_PKTS) | (vl != 4 + 32 * cnt) | (cnt > npk)
    if bad.any():
        # the exact message from the strict decoder
        for k in np.nonzero(bad)[0][:1].tolist():
            i = int(fl[k])
            try:
                fr._packets(ctx.data[vo[k]:vo[k] + vl[k]], int(npk[k]), 0, False)
            except fr._Bad as e:
                ctx.bad(i, str(e))
        ok = ~bad
        fl, vo, cnt = fl[ok], vo[ok], cnt[ok]
    m = len(fl)
    stops = np.cumsum(cnt)
    starts = stops - cnt
    total = int(stops[-1]) if m else 0
    # The columns asked for, and t_ns and dir for the checks, filled through
    # a chunk of whole flows at a time (no table-sized temporaries).
    names = [(f, t) for f, t in zip(fr.PKT_FIELDS, fr.PKT_DTYPES)
             if "packets." + f in want or f in ("t_ns", "dir")]
    cols = {f: np.empty(total, dtype=t) for f, t in names}
    raw = _Window(u8, _PKT_DT).raw
    base = vo + 4 - 32 * starts
    bounds = np.searchsorted(stops, np.arange(_CHUNK, total, _CHUNK), side="left") + 1
    bounds = np.unique(np.concatenate([[0], bounds, [m]]).astype(np.int64))
    for k0, k1 in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        s0, s1 = int(starts[k0]), int(stops[k1 - 1])
        if s1 == s0:
            continue
        pos = np.repeat(base[k0:k1], cnt[k0:k1])
        pos += np.arange(s0, s1, dtype=np.int64) * 32
        ent = raw[pos].view(_PKT_DT)
        for f, _ in names:
            cols[f][s0:s1] = ent[f]
    # checks, per flow: the largest t_ns and dir
    has = cnt > 0
    if has.any():
        span = (core["last_ns"][fl] - core["first_ns"][fl]).astype(np.uint64)
        at = starts[has]
        tbig = np.zeros(m, dtype=bool)
        dbig = np.zeros(m, dtype=bool)
        tbig[has] = np.maximum.reduceat(cols["t_ns"].view(np.uint64), at) > span[has]
        dbig[has] = np.maximum.reduceat(cols["dir"], at) > 1
        bad = tbig | dbig
        if bad.any():
            k = int(np.argmax(bad))         # the earliest flow with a bad entry
            t = cols["t_ns"][starts[k]:stops[k]].view(np.uint64)
            d = cols["dir"][starts[k]:stops[k]]
            e = int(np.argmax((t > span[k]) | (d > 1)))
            if d[e] > 1 and not t[e] > span[k]:
                msg = "PACKETS: entry %d: dir %d is not 0 or 1" % (e, d[e])
            else:
                msg = ("PACKETS: entry %d: t_ns %d beyond last_ns - first_ns (%d)"
                       % (e, t[e], span[k]))
            ctx.bad(int(fl[k]), msg)
    if table is not None:
        count = np.zeros(n, dtype=np.int64)
        count[fl] = cnt
        table["count"] = count
        table.update((f, cols[f]) for f, _ in names if "packets." + f in want)
        return
    # slice objects are tracked by the cycle collector, which would walk the
    # growing heap many times while they are made: not one can be in a cycle
    enabled = gc.isenabled()
    gc.disable()
    try:
        slices = list(map(slice, starts.tolist(), stops.tolist()))
    finally:
        if enabled:
            gc.enable()
    every = m == n      # every flow has the element (fl is then 0..n-1)
    for f, _ in names:
        name = "packets." + f
        if name not in want:
            continue
        views = np.fromiter(map(getitem, repeat(cols[f]), slices), dtype=object, count=m)
        if every:
            out[name] = views
        else:
            o = _obj(n)
            o[fl] = views
            out[name] = o


_CHUNK = 1 << 18        # packet entries gathered at a time


def _scatter(n, idx, vals):
    """An object array of n None with vals (any objects, arrays too) at idx."""
    o = _obj(n)
    if idx:
        tmp = np.empty(len(vals), dtype=object)
        if any(issubclass(t, (list, np.ndarray)) for t in set(map(type, vals))):
            for k, v in enumerate(vals):
                tmp[k] = v
        else:
            tmp[:] = vals
        o[idx] = tmp
    return o


def _dec_fast(ctx, key, fl, vo, vl, cols):
    """Label, payload, and source and MAC when their lengths are right, decoded
    as arrays into cols; False when key is not one of them (or a length is wrong:
    the strict decoder then names the error)."""
    data, u8 = ctx.data, ctx.u8
    idx = fl.tolist()
    if key == "label":
        bad = vl > fr.MAX_LABEL
        if bad.any():
            k = int(np.argmax(bad))
            ctx.bad(int(fl[k]), "LABEL: %d bytes exceed %d" % (vl[k], fr.MAX_LABEL))
        cols["label"] = (idx, _texts(data, vo, vl, fr._text))
    elif key == "payload":
        cols["payload"] = (idx, _texts(data, vo, vl, bytes))
    elif key == "source" and not ((vl < 8) | (vl > 8 + fr.MAX_SOURCE_NAME)).any():
        first = _gather_u(u8, vo, 8)
        bad = first >= np.uint64(fr.U64_LIMIT)
        if bad.any():
            k = int(np.argmax(bad))
            ctx.bad(int(fl[k]), "SOURCE: first_pkt %d is not below 2^63" % first[k])
        cols["source.file"] = (idx, _texts(data, vo + 8, vl - 8, fr._text))
        cols["source.first_pkt"] = (idx, first.astype(np.int64).tolist())
    elif key == "mac" and (vl == 12).all():
        cols["mac.src"] = (idx, _texts(data, vo, vl - 6, fr._mac))
        cols["mac.dst"] = (idx, _texts(data, vo + 6, vl - 6, fr._mac))
    elif key in _META_KEYS:
        _dec_meta(ctx, key, fl, vo, vl, cols)
    elif key == "pkt_bytes":
        _dec_pkt_bytes(ctx, fl, vo, vl, cols)
    else:
        return False
    return True


_PB_DT = np.dtype([("index", ">u4"), ("ts_ns", ">u8"), ("orig_len", ">u4"), ("incl_len", ">u4"),
                   ("linktype", ">u2"), ("link_len", ">u2"), ("n", ">u4")])


def _dec_pkt_bytes(ctx, fl, vo, vl, cols):
    """PKTBYTES of every flow: the stored packets split by rank and checked
    as arrays; an element found wrong goes to the strict decoder."""
    u8, data, core = ctx.u8, ctx.data, ctx.core
    m = len(fl)
    short = vl < 8
    at = np.where(short, 0, vo)
    layer = u8[at] if m else np.zeros(0, np.uint8)
    resv = (u8[at + 1] | u8[at + 2] | u8[at + 3]) if m else layer
    cnt = _gather_u(u8, at + 4, 4).astype(np.int64)
    bad = short | (layer > 1) | (resv != 0) | (cnt > fr.MAX_PKTS)
    npk = (core["src_pkts"][fl].astype(np.int64) + core["dst_pkts"][fl].astype(np.int64))
    el = np.nonzero(~bad)[0]
    pos, end, left = vo[el] + 8, vo[el] + vl[el], cnt[el]
    prev = np.full(len(el), -1, dtype=np.int64)
    span = np.arange(28)
    got = []
    rank = 0
    while len(el):
        done = left == 0
        bad[el[done & (pos != end)]] = True
        act = ~done
        el, pos, end, left, prev = el[act], pos[act], end[act], left[act], prev[act]
        trunc = end - pos < 28
        bad[el[trunc]] = True
        ok = ~trunc
        el, pos, end, left, prev = el[ok], pos[ok], end[ok], left[ok], prev[ok]
        if not len(el):
            break
        h = u8[pos[:, None] + span].copy().view(_PB_DT).ravel()
        index = h["index"].astype(np.int64)
        n = h["n"].astype(np.int64)
        ll = h["link_len"].astype(np.int64)
        incl = h["incl_len"].astype(np.int64)
        wrong = ((index <= prev) | (index >= npk[el]) | (h["ts_ns"] >= np.uint64(fr.U64_LIMIT))
                 | (n > fr.MAX_PKT_STORED) | (ll > incl)
                 | (n > incl - np.where(layer[el] == 0, ll, 0)) | (n > end - pos - 28))
        bad[el[wrong]] = True
        ok = ~wrong
        el, pos, end, left, index, n, h = el[ok], pos[ok], end[ok], left[ok], index[ok], \
            n[ok], h[ok]
        got.append((el, np.full(len(el), rank), pos + 28, n, h))
        pos, prev, left = pos + 28 + n, index, left - 1
        rank += 1
    for k in np.nonzero(bad)[0].tolist():
        try:
            fr._pkt_bytes(data[int(vo[k]):int(vo[k] + vl[k])], int(npk[k]))
            ctx.bad(int(fl[k]), "PKTBYTES: element rejected")
        except fr._Bad as e:
            ctx.bad(int(fl[k]), str(e))
    good = np.nonzero(~bad)[0]
    if got:
        e_all, r_all, d_all, n_all = (np.concatenate([g[i] for g in got]) for i in range(4))
        h_all = np.concatenate([g[4] for g in got])
        keep = ~bad[e_all]
        e_all, r_all, d_all, n_all, h_all = e_all[keep], r_all[keep], d_all[keep], \
            n_all[keep], h_all[keep]
        order = np.lexsort((r_all, e_all))
        d_all, n_all, h_all = d_all[order], n_all[order], h_all[order]
    else:
        d_all = n_all = np.zeros(0, dtype=np.int64)
        h_all = np.zeros(0, dtype=_PB_DT)
    c = cnt[good]
    stops = np.cumsum(c).tolist()
    starts = [0] + stops[:-1]
    idx = fl[good].tolist()
    names = np.array(["network", "link"], dtype=object)
    cols["pkt_bytes.layer"] = (idx, names[layer[good]].tolist())
    for f, t in zip(_PB_FIELDS, _PB_DTYPES):
        col = h_all[f].astype(t)
        cols["pkt_bytes." + f] = (idx, [col[a:b] for a, b in zip(starts, stops)])
    blobs = [data[a:a + b] for a, b in zip(d_all.tolist(), n_all.tolist())]
    cols["pkt_bytes.hex"] = (idx, [blobs[a:b] for a, b in zip(starts, stops)])


_META_WIDTH = {"u8": 1, "u16": 2, "u32": 4}


def _dec_meta(ctx, key, fl, vo, vl, cols):
    """A metadata element (TLS, HTTP, DNS, QUIC, SSH, APP) of every flow: its
    fields split by rank like the elements, checked with array operations; an
    element found wrong is handed to the strict decoder for its message."""
    u8, data = ctx.u8, ctx.data
    eid = _KEY_ELEM[key]
    table = fr.META[eid]
    m = len(fl)
    el_l, rk_l, tag_l, fo_l, fn_l = [], [], [], [], []
    bad = np.zeros(m, dtype=bool)
    el = np.arange(m)
    pos, end = vo.copy(), vo + vl
    rank = 0
    while True:
        act = pos < end
        if not act.any():
            break
        el, pos, end = el[act], pos[act], end[act]
        if rank == fr.MAX_META_FIELDS:
            bad[el] = True
            break
        short = end - pos < 3
        tag = u8[np.where(short, 0, pos)].astype(np.int64)
        ln = np.zeros(len(pos), dtype=np.int64)
        if (~short).any():
            ln[~short] = _gather_u(u8, pos[~short] + 1, 2).astype(np.int64)
        over = short | (ln > end - pos - 3)
        bad[el[over]] = True
        keep = ~over
        el, pos, end, tag, ln = el[keep], pos[keep], end[keep], tag[keep], ln[keep]
        el_l.append(el)
        rk_l.append(np.full(len(el), rank))
        tag_l.append(tag)
        fo_l.append(pos + 3)
        fn_l.append(ln)
        pos = pos + 3 + ln
        rank += 1
    if el_l:
        el, rk, tag, fo, fn = (np.concatenate(x) for x in (el_l, rk_l, tag_l, fo_l, fn_l))
        order = np.lexsort((rk, el))
        el, tag, fo, fn = el[order], tag[order], fo[order], fn[order]
    else:
        el = tag = fo = fn = np.zeros(0, dtype=np.int64)
    same = np.zeros(len(el), dtype=bool)
    same[1:] = el[1:] == el[:-1]
    # tags in ascending order; a single-valued field once; lengths by type
    down = same & (np.concatenate([[0], tag[:-1]]) > tag)
    bad[el[down]] = True
    rep = same & (np.concatenate([[-1], tag[:-1]]) == tag)
    for t, (name, typ, multi) in table.items():
        sel = tag == t
        if not sel.any():
            continue
        if not multi:
            bad[el[sel & rep]] = True
        if typ in _META_WIDTH:
            bad[el[sel & (fn != _META_WIDTH[typ])]] = True
        elif typ == "addr":
            bad[el[sel & (fn != 4) & (fn != 16)]] = True
        elif typ == "u16list":
            bad[el[sel & (fn % 2 == 1)]] = True
    for k in np.nonzero(bad)[0].tolist():
        try:
            fr._meta(eid, data[int(vo[k]):int(vo[k] + vl[k])])
            ctx.bad(int(fl[k]), "%s: element rejected" % key.upper())
        except fr._Bad as e:
            ctx.bad(int(fl[k]), str(e))
    if bad.any():       # the stream is rejected: decode only the good fields
        good = ~bad[el]
        el, tag, fo, fn = el[good], tag[good], fo[good], fn[good]
    flows = fl[el]
    for t, (name, typ, multi) in table.items():
        sel = tag == t
        if not sel.any():
            continue
        o, n = fo[sel], fn[sel]
        if typ in _META_WIDTH:
            vals = _gather_u(u8, o, _META_WIDTH[typ]).astype(np.int64).tolist()
        elif typ == "str":
            vals = _texts(data, o, n, fr._text)
        elif typ == "bytes":
            vals = _texts(data, o, n, bytes)
        elif typ == "addr":
            vals = _texts(data, o, n, fr._addr)
        else:
            vals = [np.frombuffer(data, ">u2", c, a).astype(np.uint16)
                    for a, c in zip(o.tolist(), (n // 2).tolist())]
        f = flows[sel].tolist()
        if multi:
            g_idx, g_val = [], []
            for i, v in zip(f, vals):
                if g_idx and g_idx[-1] == i:
                    g_val[-1].append(v)
                else:
                    g_idx.append(i)
                    g_val.append([v])
            f, vals = g_idx, g_val
        cols[key + "." + name] = (f, vals)
    unk = ~np.isin(tag, np.array(sorted(table), dtype=np.int64))
    if unk.any():
        g_idx, g_val = [], []
        for i, t, a, c in zip(flows[unk].tolist(), tag[unk].tolist(), fo[unk].tolist(),
                              fn[unk].tolist()):
            u = {"tag": t, "value": data[a:a + c]}
            if g_idx and g_idx[-1] == i:
                g_val[-1].append(u)
            else:
                g_idx.append(i)
                g_val.append([u])
        cols[key + ".unknown"] = (g_idx, g_val)


def _dec_generic(ctx, key, n, fl, vo, vl, want, out, featnames):
    """The columns of element key: by _dec_fast, or flow by flow with the strict
    decoders of flowrec (SOURCE and MAC of a wrong length, ENCAP, FEATURES)."""
    cols = {}

    def put(name, i, v):
        c = cols.get(name)
        if c is None:
            c = cols[name] = ([], [])
        c[0].append(i)
        c[1].append(v)

    if _dec_fast(ctx, key, fl, vo, vl, cols):
        fn = None
    elif key in ("label", "payload"):
        def fn(i, v):
            raise AssertionError("label and payload are always decoded by _dec_fast")
    elif key == "source":
        def fn(i, v):
            s = fr._source(v)
            put("source.file", i, s["file"])
            put("source.first_pkt", i, s["first_pkt"])
    elif key == "mac":
        def fn(i, v):
            if len(v) != 12:
                raise fr._Bad("MAC: length %d is not 12" % len(v))
            put("mac.src", i, fr._mac(v[:6]))
            put("mac.dst", i, fr._mac(v[6:]))
    elif key == "encap":
        def fn(i, v):
            e = fr._encap(v)
            put("encap.kind", i, [x["kind"] for x in e])
            put("encap.value", i, np.array([x["value"] for x in e], dtype=np.uint32))
    elif key == "features":
        def fn(i, v):
            for name, x in fr._features(v).items():
                if x != x:      # keep the NaN's bit pattern
                    x = _F64_BITS.unpack(_U64_BITS.pack(x.bits))[0]
                put("features." + name, i, float(x))
    else:
        eid = _KEY_ELEM[key]

        def fn(i, v):
            for name, x in fr._meta(eid, v).items():
                if isinstance(x, list) and name != "unknown" and x and isinstance(x[0], int) \
                        and not fr.META[eid][_tag(eid, name)][2]:
                    x = np.array(x, dtype=np.uint16)
                put(key + "." + name, i, x)
    if fn is not None:
        _each(ctx, fl, vo, vl, fn)

    names = _element_columns(key)
    if key in _META_KEYS and (key + ".unknown") in cols:
        names = names + [key + ".unknown"]
    if key == "features":
        names = sorted(cols)
        featnames.extend(names)
    for name in names:
        if name not in want and not (key == "features" and "features" in want):
            continue
        idx, vals = cols.get(name, ([], []))
        typ = _col_type(key, name)
        if typ == "f":
            o = _nan(n)
            if idx:
                o[idx] = vals
        elif typ == "i64":
            o = np.zeros(n, dtype=np.int64)
            m = np.zeros(n, dtype=bool)
            if idx:
                o[idx] = vals
                m[idx] = True
            o = (o, m)
        else:
            o = _scatter(n, idx, vals)
        out[name] = o


_TAGS = {}


def _tag(eid, name):
    t = _TAGS.get((eid, name))
    if t is None:
        for tag, (nm, _, _) in fr.META[eid].items():
            _TAGS[(eid, nm)] = tag
        t = _TAGS[(eid, name)]
    return t


def _col_type(key, name):
    """"f": float64 with NaN; "i64": nullable int64; "o": object."""
    if key == "features":
        return "f"
    if name == "source.first_pkt":
        return "i64"
    if key in _META_KEYS and not name.endswith(".unknown"):
        eid = _KEY_ELEM[key]
        _, typ, multi = fr.META[eid][_tag(eid, name.split(".", 1)[1])]
        if typ in ("u8", "u16", "u32") and not multi:
            return "f"
    return "o"


# ------------------------------------------------------------------ entry

def _wanted(key):
    """The names that ask for every column of element key."""
    w = _element_columns(key)
    if key in _META_KEYS:
        w.append(key + ".unknown")
    if key == "features":
        w.append("features")
    return w


def read_columns(src, columns=None):
    """read_columns(src, columns=None) -> (names, cols, headers).

    src: a path, "-" (standard input), a bytes-like object or a binary file
    object.  columns: None for every column the stream has, or a list of
    column names (see column_names(); an element key such as "tls",
    "packets" or "features" stands for all of its columns).  cols maps each
    name to a numpy array of one entry per flow (a pair (values, present)
    for the nullable integer column source.first_pkt); names is their order.
    headers is the list of the segments' header dicts (flowrec.iter_records).
    """
    return _read(src, columns)[:3]


def read_packet_columns(src, columns=None):
    """read_packet_columns(src, columns=None) -> (names, cols, headers).

    The PACKETS tables of a flowrec stream as columns of one entry per
    packet, in stream order: "flow", the flow's row in read_columns (int64),
    "pkt", the packet's entry in its flow's table (int64), the fields
    "packets.t_ns" ... "packets.window" with the dtypes of read_columns'
    per-packet arrays, then any flow-level columns asked for, each flow's
    value repeated on each of its packets.  columns: None for every
    packets field and no flow-level column, or a list of column names as
    for read_columns, where "packets" and the "packets.FIELD" names choose
    the fields (all of them when none is named) and "flow" and "pkt" may be
    given (they are always there).  A flow without PACKETS has no row.
    """
    names, cols, headers, count, flows = _packet_table(src, columns)
    for c, v in flows.items():
        cols[c] = repeat_rows(v, count)
    return names, cols, headers


def repeat_rows(v, count):
    """A column of read_columns (an array, or a (values, present) pair) with
    entry i repeated count[i] times."""
    if isinstance(v, tuple):
        return tuple(np.repeat(x, count) for x in v)
    return np.repeat(v, count)


PACKET_INDEX = ["flow", "pkt"]


def _packet_table(src, columns):
    """(names, cols, headers, count, flows): cols holds the per-packet
    columns, flows the flow-level columns, one entry per flow, count the
    packets of each flow; names lists both, in their order."""
    if columns is None:
        columns = []
    elif isinstance(columns, str):
        columns = [columns]
    fields, other = [], []
    for c in columns:
        if c == "packets":
            fields += fr.PKT_FIELDS
        elif c.startswith("packets.") and c[8:] in fr.PKT_FIELDS:
            fields.append(c[8:])
        elif c not in PACKET_INDEX:
            other.append(c)
    fields = [f for f in fr.PKT_FIELDS if f in fields or not fields]
    table = {}
    names, flows, headers, n = _read(src, other + ["packets." + f for f in fields], table)
    count = table["count"]
    total = int(count.sum())
    cols = {"flow": np.repeat(np.arange(n, dtype=np.int64), count)}
    # pkt: a running sum of ones, which a flow's first entry takes back to 0
    pkt = np.ones(total, dtype=np.int64)
    has = count[count > 0]
    if len(has):
        first = np.cumsum(has) - has
        pkt[first[1:]] = 1 - has[:-1]
        pkt[0] = 0
        np.cumsum(pkt, out=pkt)
    cols["pkt"] = pkt
    for f in fields:
        cols["packets." + f] = table[f]
    return (PACKET_INDEX + ["packets." + f for f in fields] + names, cols, headers, count,
            flows)


def _read(src, columns, table=None):
    """read_columns, and the number of flows; with a dict table, the PACKETS
    columns asked for go into it as _dec_packets says, not into cols."""
    data, name = _slurp(src)
    errs = _Errors(name)
    foff, others, headers, ends = _scan(data, errs)
    n = len(foff)
    off = np.array(foff, dtype=np.int64)
    u8 = np.frombuffer(data, dtype=np.uint8)
    core = _Window(u8, _CORE_DT)[off] if n else np.zeros(0, dtype=_CORE_DT)
    length = core["len"].astype(np.int64)

    # core checks (flowrec(5), FLOW record)
    def first_bad(mask, msg):
        if mask.any():
            i = int(np.argmax(mask))
            errs.add(msg(i), int(off[i]), _recno(others, i, int(off[i])))

    ipv = core["ipv"]
    first_bad((ipv != 4) & (ipv != 6), lambda i: "IP version %d is not 4 or 6" % ipv[i])
    first_bad(core["resv"] != 0, lambda i: "flow reserved byte is %d, not zero" % core["resv"][i])
    if n:
        w = core.view(_ADDR_DT)
        pad = (w["s1"] != 0) | (w["s2"] != 0) | (w["d1"] != 0) | (w["d2"] != 0)
        first_bad((ipv == 4) & pad, lambda i: "IPv4 address with non-zero bytes 4-15")
    for f in _U64_FIELDS:
        col = core[f]
        first_bad(col >= np.uint64(fr.U64_LIMIT),
                  lambda i, f=f, col=col: "%s %d is not below 2^63" % (f, col[i]))
    first_bad(core["last_ns"] < core["first_ns"],
              lambda i: "last_ns %d is before first_ns %d" % (core["last_ns"][i],
                                                              core["first_ns"][i]))
    # END counts, per segment
    if ends:
        pk = (core["src_pkts"].astype(np.float64) + core["dst_pkts"].astype(np.float64))
        by = (core["src_bytes"].astype(np.float64) + core["dst_bytes"].astype(np.float64))
        for (eoff, recno, a, b, r, p, bts) in ends:
            for what, v in (("records", r), ("packets", p), ("bytes", bts)):
                if v >= fr.U64_LIMIT:
                    errs.add("END %s %d is not below 2^63" % (what, v), eoff, recno)
            if pk[a:b].sum() < 2.0 ** 62 and by[a:b].sum() < 2.0 ** 62:
                sp = int((core["src_pkts"][a:b].astype(np.int64)
                          + core["dst_pkts"][a:b].astype(np.int64)).sum())
                sb = int((core["src_bytes"][a:b].astype(np.int64)
                          + core["dst_bytes"][a:b].astype(np.int64)).sum())
            else:
                sp = min(sum(int(x) + int(y) for x, y in zip(core["src_pkts"][a:b],
                                                             core["dst_pkts"][a:b])),
                         fr.U64_LIMIT - 1)
                sb = min(sum(int(x) + int(y) for x, y in zip(core["src_bytes"][a:b],
                                                             core["dst_bytes"][a:b])),
                         fr.U64_LIMIT - 1)
            if (r, p, bts) != (b - a, sp, sb):
                errs.add("END counts (records %d, packets %d, bytes %d) differ from the segment "
                         "(records %d, packets %d, bytes %d)" % (r, p, bts, b - a, sp, sb),
                         eoff, recno)

    fl, ids, vo, vl = _split_elements(u8, off, length, others, errs)

    # which columns, which elements
    present = _Present(ids)
    if columns is None:
        want = set(CORE_COLUMNS)
        keys = []
        for e in sorted(present):
            key = fr.ELEM_KEYS.get(e)
            if key is None:
                want.add("elem_0x%04x" % e)
            else:
                keys.append(key)
                want.update(_wanted(key))
    else:
        if isinstance(columns, str):
            columns = [columns]
        want = set()
        keys = set()
        for c in columns:
            k = _owner(c)
            if k == c and k in fr.ELEM_KEYS.values():
                want.update(_wanted(k))
            else:
                want.add(c)
            if k and not k.startswith("elem_0x"):
                keys.add(k)
        keys = [k for k in fr.ELEM_KEYS.values() if k in keys]

    cols = {}
    ctx = _Ctx(data, u8, off, others, errs, core)
    featnames = []
    order = list(fr.ELEM_KEYS.values())
    for key in sorted(keys, key=order.index):
        e = _KEY_ELEM[key]
        m = present.get(e)
        sel = (fl[m], vo[m], vl[m]) if m is not None else (np.zeros(0, np.int64),) * 3
        if key == "packets":
            _dec_packets(ctx, n, sel[0], sel[1], sel[2], want, cols, table)
            for f in fr.PKT_FIELDS:
                if table is None and "packets." + f in want and "packets." + f not in cols:
                    cols["packets." + f] = _obj(n)
        else:
            _dec_generic(ctx, key, n, sel[0], sel[1], sel[2], want, cols, featnames)
    for c in sorted(want):
        if c.startswith("elem_0x"):
            e = int(c[7:], 16)
            o = _obj(n)
            m = present.get(e)
            if m is not None:
                for i, a, b in zip(fl[m].tolist(), vo[m].tolist(), vl[m].tolist()):
                    o[i] = data[a:a + b]
            cols[c] = o
    errs.raise_first()

    # the core, typed
    cols.update(_addresses(core, [c for c in ("src", "dst") if c in want], ipv))
    for c in CORE_COLUMNS:
        if c not in want or c in ("src", "dst"):
            continue
        if c in ("first_ns", "last_ns"):
            cols[c] = core[c].astype(np.int64).view("datetime64[ns]")
        elif c == "end":
            e = core["end"]
            names = np.array(fr.END_NAMES + [str(v) for v in range(len(fr.END_NAMES), 256)],
                             dtype=object)
            cols[c] = names[e]
        elif c in _U64_FIELDS:
            cols[c] = core[c].astype(np.int64)
        else:
            cols[c] = core[c].astype(core[c].dtype.newbyteorder("="))
    names = [c for c in CORE_COLUMNS if c in cols]
    for key in order:
        for c in _element_columns(key) + ([key + ".unknown"] if key in _META_KEYS else []):
            if c in cols:
                names.append(c)
        if key == "features":
            names += [c for c in featnames if c in cols]
    names += sorted(c for c in cols if c.startswith("elem_0x"))
    if columns is not None:
        for c in columns:
            if c not in cols and _owner(c) == "features":
                cols[c] = _nan(n)
                names.append(c)
    return names, cols, [h for _, h in headers], n
