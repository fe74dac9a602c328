#!/usr/bin/env python3
"""filter_check.py - the independent side of tests/flow-filter.t.

    filter_check.py CASES DIR INPUT...

CASES holds lines "EXPRESSION<TAB>PYTHON": a flow-filter expression and a
Python predicate over one record `r` (a dict, as flow-json -p prints it)
written from flowrec(5) and flow-filter(1), not from common/expr.c.  For
every input name N, DIR/N.all.json holds flow-json -p of the whole input
and DIR/N.K.json that of flow-filter's output for case K (from 1).  Prints
one line per case and input, "ok|fail<TAB>description", and per case a
line saying whether the expression was discriminating (some input had a
flow it kept and a flow it dropped), so that a case cannot pass by
matching everything or nothing.
"""
import calendar
import fnmatch
import ipaddress
import json
import re
import sys

TCP = {'F': 1, 'S': 2, 'R': 4, 'P': 8, 'A': 16, 'U': 32, 'E': 64, 'C': 128, 'N': 256}


def inet(a, prefix):
    return ipaddress.ip_address(a) in ipaddress.ip_network(prefix, strict=False)


def tf(r):
    return r['src_tcp_flags'] | r['dst_tcp_flags']


def has_flags(v, letters):
    m = 0
    for c in letters:
        m |= TCP[c]
    return v & m == m


def col(r, name):
    return r.get('packets', {}).get(name, [])


def label(r):
    """The label as bytes, or None without a LABEL element."""
    v = r.get('label')
    if v is None:
        return None
    if isinstance(v, dict):
        return bytes.fromhex(v['hex'])
    return v.encode()


def meta(r, elem, key):
    """The values of a metadata field, as a list ([] when absent)."""
    v = r.get(elem, {}).get(key)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def text(v):
    return v if isinstance(v, str) else None


def utc(s):
    return calendar.timegm(
        (int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13]), int(s[14:16]), int(s[17:19]), 0, 0, 0)
    ) * 10**9


ENV = {'inet': inet, 'tf': tf, 'has_flags': has_flags, 'col': col, 'label': label,
       'meta': meta, 'text': text, 'utc': utc, 'fnmatch': fnmatch.fnmatchcase, 're': re,
       'any': any, 'all': all, 'len': len}


def load(path):
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n') for line in f if line.strip()]


def main():
    cases, d, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
    k = 0
    for line in load(cases):
        if line.startswith('#'):
            continue
        k += 1
        expr, pred = line.split('\t', 1)
        code = compile(pred, 'case %d' % k, 'eval')
        disc = False
        for name in inputs:
            recs = load('%s/%s.all.json' % (d, name))
            got = load('%s/%s.%d.json' % (d, name, k))
            want = []
            for rl in recs:
                r = json.loads(rl)
                if eval(code, dict(ENV), {'r': r}):
                    want.append(rl)
            if 0 < len(want) < len(recs):
                disc = True
            status = 'ok' if got == want else 'fail'
            print('%s\t%s on %s: %d of %d flows' % (status, expr, name, len(want), len(recs)))
            if status == 'fail':
                print('#\twant %d, got %d' % (len(want), len(got)))
        print('%s\t%s: keeps some flows and drops others somewhere' % ('ok' if disc else 'fail', expr))


main()
