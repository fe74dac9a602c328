"""flowkit.audit - the leakage audit of a feature table (flow-stats outputs).

    d = flowkit.load_stats("stats.csv")
    a = flowkit.audit_features(d, groups="split")   # a dict, JSON-serialisable
    flowkit.audit.report(a)                          # the human summary

    python3 -m flowkit.audit stats.csv [--label label] [--groups COL] [--json FILE]

The statistics side of flow-idx --audit (flow-idx(1), "Leakage audit"),
with the same estimators and the same JSON key names where the concept
is the same: per feature column the mutual information with the label,
the identifying columns that carry much of it, duplicate rows within and
across groups, identical rows with conflicting labels.  See
flowkit-python(7).
"""

import math
import re
import sys

import numpy as np

__all__ = ["audit_features", "report", "identifying", "discretise", "mutual_information",
           "main"]

MAX_EXAMPLES = 5            # as flow-idx: the first 5 pairs of each finding

# The registry fields that flowrec(5) and common/field.c mark identifying
# (an address, a name, free text, an identifier, a software banner), as
# flow-stats names their columns, with the reason given in the report.
# The registry is C only; this list follows it and is checked by
# tests/python-audit.t against the field table's source when it is there.
_REGISTRY = {
    "src": "address", "dst": "address", "mac.src": "address", "mac.dst": "address",
    "dns.answer_addr": "address",
    "tls.sni": "name", "tls.cert_subject": "name", "tls.cert_issuer": "name",
    "tls.cert_san_dns": "name", "http.host": "name", "dns.qname": "name",
    "dns.answer_name": "name", "dns.qnames": "name", "quic.sni": "name",
    "http.uri": "text", "http.user_agent": "text",
    "tls.cert_serial": "id", "tls.cert_sha256": "id", "quic.dcid": "id", "quic.scid": "id",
    "http.server": "software", "ssh.client_banner": "software",
    "ssh.server_banner": "software",
}

# Not identifying in the registry's sense, but artefacts of the capture
# rather than of the traffic: ports, times, where the flow was read.
_ARTEFACTS = {
    "sport": "port", "dport": "port",
    "first_ns": "time", "last_ns": "time",
    "source.file": "capture", "source.first_pkt": "capture", "row": "capture",
}

# Column-name patterns, on the name in lower case split into words at
# every character that is not a letter or digit ("Src IP" -> src, ip).
_WORDS = {
    "addr": "address", "address": "address", "mac": "address",
    "port": "port", "sport": "port", "dport": "port",
    "ttl": "ttl", "hoplimit": "ttl", "ipid": "ipid", "checksum": "checksum",
    "csum": "checksum", "timestamp": "time", "sni": "name",
}
_JOINED = [  # (regular expression on the words joined by "_", reason)
    (r"(^|_)(src|dst|source|destination|client|server)_ip(_addr|_address)?$", "address"),
    (r"(^|_)ip_(src|dst|source|destination)$|^ip$", "address"),
    (r"(^|_)hop_limit($|_)", "ttl"),
    (r"(^|_)ip_id($|_)", "ipid"),
    (r"(^|_)(first|last)_(ns|seen|seen_ms|time)($|_)", "time"),
    (r"(^|_)(start|end)_time($|_)", "time"),
    (r"(^|_)flow_?id($|_)", "flow id"),
    (r"^(id|expiration_id)$", "flow id"),
]


def identifying(name):
    """Why column name is an identifier or capture artefact ("address",
    "name", "text", "id", "software", "port", "time", "capture", "ttl",
    "ipid", "checksum", "flow id"), or None."""
    name = str(name)
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _ARTEFACTS:
        return _ARTEFACTS[name]
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    for w in words:
        if w in _WORDS:
            return _WORDS[w]
    joined = "_".join(words)
    for rx, why in _JOINED:
        if re.search(rx, joined):
            return why
    return None


def _is_text(col):
    import pandas as pd
    return not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col) or
                pd.api.types.is_datetime64_any_dtype(col))


def discretise(values, bins=16, text=False):
    """(codes, number of bins) of one column, codes 0..n-1 (numpy int64).

    text: each distinct value a bin (None and NaN one bin of their own).
    Numbers: a column of at most bins distinct values has a bin per value;
    else equal-frequency bins, the edges the quantiles k/bins (k = 1 ..
    bins-1, each a value of the column: numpy's "lower" method), repeated
    edges merged (ties never split: a value that fills several quantiles is
    one bin), a value equal to an edge in the bin below it (the bins are
    (e[k-1], e[k]]).  NaN is a bin
    of its own (the last); infinities are ordinary values."""
    if text:
        import pandas as pd
        codes, uniq = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        codes[codes < 0] = len(uniq)
        return codes, int(codes.max()) + 1 if len(codes) else 0
    x = np.asarray(values, dtype=np.float64)
    nan = np.isnan(x)
    fin = x[~nan]
    codes = np.zeros(len(x), dtype=np.int64)
    if len(fin):
        uniq = np.unique(fin)
        if len(uniq) <= bins:
            codes[~nan] = np.searchsorted(uniq, fin)
            nb = len(uniq)
        else:
            edges = np.unique(np.quantile(fin, np.arange(1, bins) / bins, method="lower"))
            edges = edges[edges < uniq[-1]]      # nothing above the largest value
            codes[~nan] = np.searchsorted(edges, fin, side="left")
            nb = len(edges) + 1
    else:
        nb = 0
    if nan.any():
        codes[nan] = nb
        nb += 1
    # Renumber the bins in use (a merged or empty bin leaves no gap).
    used, codes = np.unique(codes, return_inverse=True)
    return codes.astype(np.int64), len(used)


def _nlog(n):
    n = np.asarray(n, dtype=np.float64)
    n = n[n > 0]
    return float(np.sum(n * np.log2(n)))


def _entropy(counts, N):
    """H in bits from the counts and their total: log2 N - sum n log2 n / N."""
    return math.log2(N) - _nlog(counts) / N


def mutual_information(v, c):
    """(plug-in, Miller-Madow, values) in bits between codes v and classes c
    (non-negative int arrays of one length), as flow-idx --audit defines
    them: I = H(V) + H(C) - H(V,C), each entropy from the counts; the
    Miller-Madow estimate adds (m - 1) / (2 N ln 2) to each entropy of m
    non-zero counts.  One value: 0 and 0."""
    v = np.asarray(v, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    N = len(v)
    if N == 0:
        return 0.0, 0.0, 0
    nv = np.bincount(v)
    nc = np.bincount(c)
    nvc = np.unique(v * (int(c.max()) + 1) + c, return_counts=True)[1]
    mv, mc, mvc = int(np.count_nonzero(nv)), int(np.count_nonzero(nc)), len(nvc)
    if mv <= 1:
        return 0.0, 0.0, mv
    plug = _entropy(nv, N) + _entropy(nc, N) - _entropy(nvc, N)
    mm = plug + ((mv - 1) + (mc - 1) - (mvc - 1)) / (2 * N * math.log(2))
    return plug, mm, mv


def _frame(data, label):
    """(DataFrame of the features, y int64, class names) of data."""
    import pandas as pd
    if hasattr(data, "X") and hasattr(data, "y"):
        X, y, names = data.X, np.asarray(data.y, dtype=np.int64), list(data.classes or [])
        if not hasattr(X, "columns"):
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError("audit_features: X is %s, not a matrix" % (X.shape,))
            cols = getattr(data, "columns", None) or ["%d" % i for i in range(X.shape[1])]
            X = pd.DataFrame(X, columns=cols)
        return X.reset_index(drop=True), y, names
    if hasattr(data, "columns"):         # a DataFrame holding the label column
        df = data.reset_index(drop=True)
        if label not in df.columns:
            raise ValueError("audit_features: no column %r" % label)
        lab = df[label].astype(object).where(df[label].notna(), None)
        codes, uniq = pd.factorize(lab)
        return df.drop(columns=[label]), codes.astype(np.int64), [str(u) for u in uniq]
    raise TypeError("audit_features: give a flowkit Data or a pandas DataFrame")


def _row_ids(df):
    """An id per distinct row of df (equal rows, NaN equal to NaN, equal ids)."""
    if df.shape[1] == 0:
        return np.zeros(len(df), dtype=np.int64)
    keys = []
    for c in df.columns:
        keys.append(np.asarray(df[c].factorize(use_na_sentinel=False)[0], dtype=np.int64))
    return np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)[1].reshape(-1)


def _ref(i, part, y):
    return {"part": part, "index": int(i), "class": int(y[i])}


def _duplicates(ids, part_of, part_names, y):
    """The duplicate findings of rows with ids, in parts part_of (indexes
    into part_names), as flow-idx's audit counts them for images."""
    first = {}                      # id -> [first row, parts bit set, conflict]
    within = {"rows": 0, "examples": []}
    across = {"rows": 0, "examples": []}
    conflict = {"distinct": 0, "rows": 0, "examples": []}
    part_n = [0] * len(part_names)
    part_distinct = [0] * len(part_names)

    def ex(f, a, b):
        if len(f["examples"]) < MAX_EXAMPLES:
            f["examples"].append([_ref(a, part_names[part_of[a]], y),
                                  _ref(b, part_names[part_of[b]], y)])

    count = {}
    for i, (k, p) in enumerate(zip(ids.tolist(), part_of.tolist())):
        part_n[p] += 1
        count[k] = count.get(k, 0) + 1
        e = first.get(k)
        if e is None:
            first[k] = [i, 1 << p, False]
            part_distinct[p] += 1
            continue
        if e[1] >> p & 1:
            within["rows"] += 1
            ex(within, e[0], i)
        else:
            if e[1] & (e[1] - 1) == 0:   # counted once, on reaching a second part
                across["rows"] += 1
                ex(across, e[0], i)
            e[1] |= 1 << p
            part_distinct[p] += 1
        a, b = int(y[e[0]]), int(y[i])
        if not e[2] and a >= 0 and b >= 0 and a != b:
            e[2] = True
            conflict["distinct"] += 1
            ex(conflict, e[0], i)
    for k, e in first.items():
        if e[2]:
            conflict["rows"] += count[k]
    parts = [{"name": part_names[p], "rows": part_n[p], "distinct": part_distinct[p],
              "duplicates": part_n[p] - part_distinct[p]} for p in range(len(part_names))]
    return len(first), parts, within, across, conflict


def audit_features(data, groups=None, bins=16, threshold=0.5, label="label"):
    """audit_features(data, groups=None, bins=16, threshold=0.5) -> dict.

    data: a Data of flowkit.load_stats (X a DataFrame or a matrix with its
    column names), or a DataFrame with a label column (label=).  groups:
    the parts the rows fall in (a split, a capture), as a column name of X
    (then not audited as a feature) or one value per row.  Every other
    column is a feature: numbers cut into bins equal-frequency bins, text
    as categories (see discretise).  Rows without a class (y -1) count
    in the duplicates but not in the mutual information or the conflicts.
    A feature is flagged when its Miller-Madow estimate is at least
    threshold x H(label) and identifying(name) says it is an identifier or
    a capture artefact; "drop" lists them.  See flowkit-python(7) for the
    keys of the result."""
    import pandas as pd
    if not 0 <= threshold <= 1:
        raise ValueError("audit_features: threshold %r is not 0 to 1" % (threshold,))
    if int(bins) < 2:
        raise ValueError("audit_features: bins %r is under 2" % (bins,))
    bins = int(bins)
    X, y, names = _frame(data, label)
    if len(y) != len(X):
        raise ValueError("audit_features: %d rows, %d labels" % (len(X), len(y)))
    gname = None
    if groups is None:
        g = None
    elif isinstance(groups, str):
        if groups not in X.columns:
            raise ValueError("audit_features: no column %r for the groups" % groups)
        gname, g = groups, X[groups]
        X = X.drop(columns=[groups])
    else:
        g = pd.Series(list(groups) if not hasattr(groups, "__len__") else groups)
        if len(g) != len(X):
            raise ValueError("audit_features: %d groups for %d rows" % (len(g), len(X)))
    if g is None:
        part_of, part_names = np.zeros(len(X), dtype=np.int64), [None]
    else:
        codes, uniq = pd.factorize(pd.Series(np.asarray(g, dtype=object)).map(
            lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)),
            use_na_sentinel=False)
        part_of = codes.astype(np.int64)
        part_names = [None if u is None else str(u) for u in uniq]

    lab = y >= 0
    yl = y[lab]
    N = int(lab.sum())
    nc = np.bincount(yl) if N else np.zeros(0, dtype=np.int64)
    hl = _entropy(nc, N) if N else 0.0
    thr = threshold * hl
    feats, flagged = [], []
    for c in X.columns:
        col = X[c]
        text = _is_text(col)
        vals = col
        if pd.api.types.is_datetime64_any_dtype(col):
            vals = col.astype("int64").astype(np.float64).where(col.notna(), np.nan)
        elif not text:
            vals = pd.to_numeric(col, errors="coerce").astype(np.float64)
        codes, nb = discretise(np.asarray(vals, dtype=object if text else np.float64), bins, text)
        plug, mm, mv = mutual_information(codes[lab], yl) if N else (0.0, 0.0, 0)
        field = identifying(c)
        fl = bool(hl > 0 and mm >= thr and field is not None)
        feats.append({"name": str(c), "kind": "text" if text else "number", "bins": int(nb),
                      "mi_bits": mm, "mi_plugin_bits": plug, "values": int(mv),
                      "field": field, "flagged": fl})
        if fl:
            flagged.append(str(c))
    compared = [c for c in X.columns if identifying(c) is None]
    ids = _row_ids(X[compared])
    distinct, parts, within, across, conflict = _duplicates(ids, part_of, part_names, y)
    classes = []
    for k in range(len(nc)):
        if nc[k]:
            classes.append({"id": k, "name": names[k] if k < len(names) else "",
                            "rows": int(nc[k])})
    return {
        "rows": int(len(X)), "labelled": N, "distinct": int(distinct),
        "classes": classes, "label_entropy_bits": hl,
        "groups": gname, "parts": parts,
        "compared_columns": [str(c) for c in compared],
        "duplicates_within_parts": within, "across_parts": across,
        "conflicting_labels": conflict,
        "bins": bins, "threshold_fraction": float(threshold), "threshold_bits": thr,
        "features": feats, "flagged": flagged, "drop": flagged or None,
    }


def _refs(r):
    return "part %s row %d class %d" % ("whole" if r["part"] is None else r["part"],
                                         r["index"], r["class"])


def report(d, file=None):
    """Print the human summary of an audit_features result (standard output)."""
    out = file or sys.stdout

    def p(s):
        print("audit " + s, file=out)
    p("rows %d, labelled %d, distinct %d, classes %d, label entropy %.4f bits"
      % (d["rows"], d["labelled"], d["distinct"], len(d["classes"]), d["label_entropy_bits"]))
    for x in d["parts"]:
        p("part %s: rows %d, distinct %d, duplicates %d" % (
            "whole" if x["name"] is None else x["name"], x["rows"], x["distinct"],
            x["duplicates"]))
    for key, title, what in (("duplicates_within_parts", "duplicates within parts %d",
                              "duplicate"),
                             ("across_parts", "rows in more than one part %d", "across parts"),
                             ("conflicting_labels", None, "conflicting labels")):
        f = d[key]
        if title:
            p(title % f["rows"])
        else:
            p("identical rows with conflicting labels %d (%d rows)" % (f["distinct"], f["rows"]))
        for a, b in f["examples"]:
            p("%s: %s = %s" % (what, _refs(b), _refs(a)))
    top = sorted((f for f in d["features"] if f["mi_bits"] > 0),
                 key=lambda f: -f["mi_bits"])[:10]
    for f in top:
        p("feature %s: mi %.4f bits (plug-in %.4f), %d values, %s%s" % (
            f["name"], f["mi_bits"], f["mi_plugin_bits"], f["values"],
            f["field"] or "no identifier", ": flagged" if f["flagged"] else ""))
    s = "flagged features %d (mi >= %.4f bits, %.2f of H(label))" % (
        len(d["flagged"]), d["threshold_bits"], d["threshold_fraction"])
    if d["flagged"]:
        s += ": drop " + ",".join(d["flagged"])
    p(s)


def main(argv=None):
    """python3 -m flowkit.audit FEATURES [--label COL] [--groups COL] [--json FILE]
    [--bins N] [--threshold F]: the report on the standard error, the JSON
    in FILE ("-": the standard output).  Exit 0, 1 on an unreadable file,
    2 on a usage error."""
    import argparse
    import json
    from . import datasets
    ap = argparse.ArgumentParser(prog="flowkit.audit",
                                 description="Leakage audit of a flow-stats feature table.")
    ap.add_argument("features", help="a flow-stats output (CSV, TSV or NPY)")
    ap.add_argument("--label", default="label", help="the label column (CSV, TSV)")
    ap.add_argument("--groups", help="the column naming each row's part")
    ap.add_argument("--json", metavar="FILE", help="write the result as JSON (- for stdout)")
    ap.add_argument("--bins", type=int, default=16, help="bins per numeric column (16)")
    ap.add_argument("--threshold", type=float, default=0.5,
                    help="fraction of H(label) to flag at (0.5)")
    a = ap.parse_args(argv)
    try:
        data = datasets.load_stats(a.features, label=a.label)
    except (OSError, ValueError) as e:
        print("flowkit.audit: %s: %s" % (a.features, e), file=sys.stderr)
        return 1
    try:
        d = audit_features(data, groups=a.groups, bins=a.bins, threshold=a.threshold)
    except ValueError as e:
        print("flowkit.audit: %s" % e, file=sys.stderr)
        return 2
    report(d, sys.stderr)
    if a.json:
        text = json.dumps(d, indent=1) + "\n"
        if a.json == "-":
            sys.stdout.write(text)
        else:
            try:
                with open(a.json, "w") as f:
                    f.write(text)
            except OSError as e:
                print("flowkit.audit: %s: %s" % (a.json, e.strerror), file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
