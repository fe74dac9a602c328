"""flowkit - Python access to flowkit's flow records and data sets.

    import flowkit
    df = flowkit.to_pandas("x.flows")                  # one row per flow
    df = flowkit.to_pandas("x.flows", columns=["src", "dport", "label", "tls.sni"])
    p = flowkit.read_packets("x.flows", columns=["label", "dport"])  # a row per packet
    for flow in flowkit.iter_flows("x.flows"): ...     # dicts, flowrec(5) JSON mapping
    X, y, classes = flowkit.load_idx("out/train")      # flow-idx
    d = flowkit.load_flowpic("pics/")                  # flow-pic
    d = flowkit.load_stats("stats.csv")                # flow-stats
    a = flowkit.audit_features(d, groups="split")      # leakage audit

Needs the standard library and numpy; to_pandas needs pandas, the
datasets of flowkit.torch need torch.  Both are imported only when used.
See flowkit-python(7).
"""

from .flowrec import (FlowrecError, NaN, RawText, Reader, iter_flows,  # noqa: F401
                      iter_records, to_json)

__version__ = "0.1.0"
__all__ = ["FlowrecError", "NaN", "RawText", "Reader", "iter_records", "iter_flows",
           "to_json", "to_pandas", "read_packets", "read_columns", "read_packet_columns",
           "column_names", "load_idx", "load_flowpic", "load_stats", "audit_features", "datadir"]


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("flowkit.to_pandas needs pandas (Debian: python3-pandas)") from None
    return pandas


def read_columns(src, columns=None):
    """(names, {name: numpy array}, headers) of a flowrec stream; see flowkit.frame."""
    from . import frame
    return frame.read_columns(src, columns)


def column_names():
    """The fixed column names of to_pandas, in registry order."""
    from . import frame
    return frame.column_names()


def to_pandas(src, columns=None):
    """to_pandas(path_or_stream_or_bytes, columns=None) -> pandas.DataFrame.

    One row per flow of a flowrec stream (every segment), one column per
    field of the field registry, named as flow-json names them ("sport",
    "packets.ttl", "tls.sni"; features as "features.NAME"):
      - addresses as text; first_ns, last_ns as datetime64[ns];
      - core counters int64, ports and TCP flags uint16, flags uint32 (the
        bit mask), end the name of the end reason (its number as text when
        it has none);
      - per-packet columns ("packets.*", "pkt_bytes.*") as numpy arrays in
        object columns, pkt_bytes.hex as a list of bytes;
      - metadata: text as str, numbers as float64, lists as lists (u16
        lists as uint16 arrays), bytes as bytes; missing as None or NaN;
        source.first_pkt as the nullable Int64.
    df.attrs["headers"] holds the header of each segment.  columns selects
    columns (an element key such as "tls" or "packets" takes all of its
    columns); only the elements asked for are decoded.  Raises
    flowkit.FlowrecError on an invalid stream (its message names the input,
    the byte offset and the record).
    """
    pd = _pandas()
    from . import frame
    names, cols, headers, n = frame._read(src, columns)
    if "end" in cols:
        cols["end"] = pd.Categorical(cols["end"])
    return _frame(pd, names, cols, headers, n)


def _frame(pd, names, cols, headers, n):
    """The DataFrame of columns cols (arrays, Categoricals, (values, present)
    pairs for Int64), in the order names, n rows, headers in its attrs."""
    data = {}
    for c in names:
        v = cols[c]
        if isinstance(v, tuple):
            values, have = v
            v = pd.array(values, dtype="Int64")
            v[~have] = pd.NA
        data[c] = v
    df = pd.DataFrame(data, columns=names, index=pd.RangeIndex(n), copy=False)
    df.attrs["headers"] = headers
    return df


def read_packet_columns(src, columns=None):
    """(names, {name: numpy array}, headers), one entry per packet; see
    flowkit.frame.read_packet_columns."""
    from . import frame
    return frame.read_packet_columns(src, columns)


def read_packets(src, columns=None):
    """read_packets(path_or_stream_or_bytes, columns=None) -> pandas.DataFrame.

    One row per packet of the PACKETS tables of a flowrec stream (the long
    form of to_pandas' per-packet arrays), in stream order: "flow", the row
    of the packet's flow in to_pandas' frame of the same stream (int64),
    "pkt", the packet's index in its flow (int64), and the fields
    "packets.t_ns" (int64 nanoseconds after the flow's first_ns),
    "packets.wire_len" ... "packets.window", with the names and dtypes of
    to_pandas' per-packet arrays; a flow without PACKETS has no row.
    columns: flow-level columns (names as for to_pandas) repeated on each
    of the flow's rows, with to_pandas' types ("end" a category of the same
    categories); "packets" or "packets.FIELD" names choose the per-packet
    fields (all of them when none is named).  Nothing is made per flow or
    per packet in Python.  Raises flowkit.FlowrecError as to_pandas does.
    """
    pd = _pandas()
    from . import frame
    names, cols, headers, count, flows = frame._packet_table(src, columns)
    for c, v in flows.items():
        if c == "end":
            cat = pd.Categorical(v)
            cols[c] = pd.Categorical.from_codes(frame.repeat_rows(cat.codes, count),
                                                dtype=cat.dtype)
        else:
            cols[c] = frame.repeat_rows(v, count)
    return _frame(pd, names, cols, headers, len(cols["flow"]))


def load_idx(prefix_or_files, classes=None):
    """flow-idx outputs; see flowkit.datasets.load_idx."""
    from . import datasets
    return datasets.load_idx(prefix_or_files, classes)


def load_flowpic(directory):
    """flow-pic outputs; see flowkit.datasets.load_flowpic."""
    from . import datasets
    return datasets.load_flowpic(directory)


def load_stats(path, **kw):
    """flow-stats outputs; see flowkit.datasets.load_stats."""
    from . import datasets
    return datasets.load_stats(path, **kw)


def audit_features(data, groups=None, bins=16, threshold=0.5, label="label"):
    """The leakage audit of a feature table; see flowkit.audit.audit_features."""
    from . import audit
    return audit.audit_features(data, groups, bins, threshold, label)


def datadir():
    """The directory make install put the label maps (labels/) and examples
    (examples/) in, PREFIX/share/flowkit; None for a package run from a checkout
    (whose maps are in scripts/labels)."""
    from . import _paths
    return _paths.DATADIR or None
