"""flowkit.datasets - the data sets of flow-idx, flow-pic and flow-stats as arrays.

    d = load_idx("out/traffic")        # flow-idx -o out/traffic [--split ...]
    d.X, d.y, d.classes                # (N, rows, cols) uint8, (N,) uint8, names by id
    d.parts["train"].X                 # with --split: one Data per part
    d = load_flowpic("pics/")          # flow-pic: X (N, C, H, W), y int64, d.index
    d = load_stats("stats.csv")        # flow-stats csv, tsv or npy

Every loader returns a Data: X, y (class ids; 255 for flow-idx and flow-pic,
-1 for flow-stats, when a flow has no class), classes (the class names by
id, None where an id is unused), part (the split part of each row, or None),
index (flow-pic's index.csv), columns (flow-stats' column names).  numpy is
needed; pandas for the CSV and TSV of flow-stats and for DataFrames.
Malformed files raise ValueError naming the file.
"""

import glob
import math
import os
import struct

import numpy as np

__all__ = ["Data", "load_idx", "load_flowpic", "load_stats", "read_classes", "read_idx"]


class Data:
    """A loaded data set: X, y, classes, part, index, columns (see the module)."""

    def __init__(self, X, y, classes, part=None, index=None, columns=None):
        self.X, self.y, self.classes = X, y, classes
        self.part, self.index, self.columns = part, index, columns

    def __len__(self):
        return len(self.y)

    def __iter__(self):
        # d.X, d.y, d.classes = d, for X, y, classes = load_idx(...)
        return iter((self.X, self.y, self.classes))

    @property
    def parts(self):
        """{part name: Data} of a split data set ({} without a split)."""
        if self.part is None:
            return {}
        out = {}
        for name in dict.fromkeys(self.part.tolist()):
            m = self.part == name
            out[name] = Data(_rows(self.X, m), self.y[m], self.classes, None,
                             None if self.index is None else _rows(self.index, m),
                             self.columns)
        return out

    @property
    def class_names(self):
        """The class name of each row (None without a class)."""
        names = self.classes
        return [names[i] if 0 <= i < len(names) else None for i in self.y.tolist()]

    def __repr__(self):
        return "Data(%d rows, X %s, %d classes%s)" % (
            len(self), getattr(self.X, "shape", "?"), sum(c is not None for c in self.classes),
            ", parts %s" % sorted(self.parts) if self.part is not None else "")


def _rows(x, m):
    return x[m] if not hasattr(x, "iloc") else x[m].reset_index(drop=True)


# ---------------------------------------------------------------- classes

def _unescape(field, path, lineno):
    """A field of the LABELS grammar (flowkit(7)): \\xHH and \\\\ escapes."""
    if "\\" not in field:
        return field.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    b = field.encode("utf-8", "surrogateescape")
    while i < len(b):
        c = b[i]
        if c != 0x5C:
            out.append(c)
            i += 1
        elif b[i + 1:i + 2] == b"\\":
            out.append(0x5C)
            i += 2
        elif b[i + 1:i + 2] in (b"x", b"X") and len(b) >= i + 4:
            try:
                out.append(int(b[i + 2:i + 4], 16))
            except ValueError:
                raise ValueError("%s: line %d: bad \\x escape" % (path, lineno)) from None
            i += 4
        else:
            raise ValueError("%s: line %d: a backslash starts \\\\ or \\xHH" % (path, lineno))
    return bytes(out)


def read_classes(path, order="id name"):
    """The class names of a classes.txt (lines "id name") or a class file
    (order="name id") as a list indexed by id, None where an id is unused."""
    names = {}
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "surrogateescape")
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        fields = line.replace("\t", " ").split()
        if not fields or fields[0].startswith("#") or fields[0].startswith("%"):
            continue
        if len(fields) != 2:
            raise ValueError("%s: line %d: expected two fields separated by blanks"
                             % (path, lineno))
        a, b = fields if order == "id name" else fields[::-1]
        if not a.isdigit() or int(a) > 255:
            raise ValueError("%s: line %d: class id %r is not 0 to 255" % (path, lineno, a))
        name = _unescape(b, path, lineno).decode("utf-8", "replace")
        names.setdefault(int(a), name)
    out = [None] * (max(names) + 1 if names else 0)
    for i, n in names.items():
        out[i] = n
    return out


# -------------------------------------------------------------------- IDX

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}


def read_idx(path):
    """The array of an IDX file (MNIST's format: 0 0 type dims, u32 sizes, data)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] or data[1] or data[2] not in _IDX_TYPES:
        raise ValueError("%s: not an IDX file (bad magic)" % path)
    nd = data[3]
    if len(data) < 4 + 4 * nd:
        raise ValueError("%s: IDX header truncated" % path)
    shape = struct.unpack(">%dI" % nd, data[4:4 + 4 * nd])
    dt = np.dtype(_IDX_TYPES[data[2]])
    want = 4 + 4 * nd + math.prod(shape) * dt.itemsize     # exact: no overflow
    if len(data) != want:
        raise ValueError("%s: %d bytes, the header %s says %d" % (path, len(data), shape, want))
    return np.frombuffer(data, dtype=dt, offset=4 + 4 * nd).reshape(shape).astype(
        dt.newbyteorder("="))


def _base_of(path, suffix):
    """The data set prefix of a directory holding one (its only PREFIX-classes.txt)."""
    if not os.path.isdir(path):
        return path
    bases = sorted(p[:-len("-classes.txt")] for p in glob.glob(os.path.join(path, "*-classes.txt")))
    bases = [b for b in bases if glob.glob(glob.escape(b) + "*" + suffix)]
    if len(bases) != 1:
        raise ValueError("%s: %s data sets in the directory (give the prefix)" %
                         (path, "no" if not bases else "%d" % len(bases)))
    return bases[0]


def _parts(base, suffix):
    """[(part or None, file)] of the files base-suffix or base-PART-suffix."""
    whole = base + "-" + suffix
    if os.path.exists(whole):
        return [(None, whole)]
    out = []
    for p in sorted(glob.glob(glob.escape(base) + "-*-" + suffix)):
        part = p[len(base) + 1:-len(suffix) - 1]
        if part and "-" not in part:
            out.append((part, p))
    if not out:
        raise ValueError("%s: no %s file for this prefix" % (base, suffix))
    return out


def _join(pieces):
    """(X, y, index, part) of the parts [(part, X, y, index)] concatenated."""
    X = np.concatenate([p[1] for p in pieces])
    y = np.concatenate([p[2] for p in pieces])
    part = np.array(sum(([p[0]] * len(p[2]) for p in pieces), []), dtype=object)
    idx = None
    if pieces[0][3] is not None:
        idx = _concat_index([p[3] for p in pieces])
    return X, y, idx, part


def load_idx(prefix_or_files, classes=None):
    """load_idx(prefix | directory | [images files], classes=None) -> Data.

    The files flow-idx -o PREFIX wrote: PREFIX-images-idx3-ubyte and
    PREFIX-labels-idx1-ubyte, or PREFIX-PART-... for each part of --split,
    and PREFIX-classes.txt (or the classes file given).  X is (N, rows,
    cols) uint8, y the class id of each image (uint8)."""
    if isinstance(prefix_or_files, (list, tuple)):
        files = [(None, f) for f in prefix_or_files]
        base = None
    else:
        base = _base_of(os.fspath(prefix_or_files), "images-idx3-ubyte")
        files = _parts(base, "images-idx3-ubyte")
    pieces = []
    for part, img in files:
        lab = img.replace("images-idx3-ubyte", "labels-idx1-ubyte")
        X, y = read_idx(img), read_idx(lab)
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise ValueError("%s: %s images but %s labels" % (img, X.shape, y.shape))
        if part is None and base is None and len(files) > 1:
            part = os.path.basename(img)
        pieces.append((part, X, y, None))
    if classes is None and base is not None and os.path.exists(base + "-classes.txt"):
        classes = base + "-classes.txt"
    names = read_classes(classes) if classes else []
    if len(pieces) == 1 and pieces[0][0] is None:
        return Data(pieces[0][1], pieces[0][2], names)
    X, y, _, part = _join(pieces)
    return Data(X, y, names, part)


# ----------------------------------------------------------------- flow-pic

def _read_index(path):
    try:
        import pandas as pd
    except ImportError:
        import csv
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    return pd.read_csv(path, keep_default_na=False, na_values={"start": [""]},
                       dtype={"label": str, "file": str, "split": str})


def _concat_index(ix):
    if isinstance(ix[0], list):
        return np.array(sum(ix, []), dtype=object)
    import pandas as pd
    return pd.concat(ix, ignore_index=True)


def load_flowpic(path):
    """load_flowpic(directory | prefix) -> Data: the pictures of flow-pic -o
    PREFIX (PREFIX-X.npy, or PREFIX-PART-X.npy per part of --split), X of
    shape (N, C, H, W), y int64, the rows of PREFIX-index.csv as d.index
    (a DataFrame with pandas, else a list of dicts), PREFIX-classes.txt."""
    base = _base_of(os.fspath(path), "X.npy")
    pieces = []
    for part, xf in _parts(base, "X.npy"):
        stem = xf[:-len("X.npy")]
        X = np.load(xf, allow_pickle=False)
        y = np.load(stem + "y.npy", allow_pickle=False)
        if X.ndim != 4 or y.shape != (len(X),):
            raise ValueError("%s: pictures %s, labels %s" % (xf, X.shape, y.shape))
        idx = _read_index(stem + "index.csv") if os.path.exists(stem + "index.csv") else None
        if idx is not None and len(idx) != len(X):
            raise ValueError("%sindex.csv: %d rows for %d pictures" % (stem, len(idx), len(X)))
        pieces.append((part, X, y, idx))
    cf = base + "-classes.txt"
    names = read_classes(cf) if os.path.exists(cf) else []
    if len(pieces) == 1 and pieces[0][0] is None:
        _, X, y, idx = pieces[0]
        return Data(X, y, names, None, idx)
    X, y, idx, part = _join(pieces)
    return Data(X, y, names, part, idx)


# --------------------------------------------------------------- flow-stats

def _tsv_unescape(s):
    if not isinstance(s, str) or "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "r": "\r", "n": "\n", "\\": "\\"}.get(s[i + 1], s[i:i + 2]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def load_stats(path, label="label"):
    """load_stats(path) -> Data of a flow-stats output.

    NAME.npy (with NAME.labels.npy, NAME.classes.txt, NAME.columns.txt):
    X the float64 matrix, y the int64 class numbers (-1: no label), the
    class names and column names.  A CSV or TSV file (pandas needed): X the
    DataFrame of every column but the label (empty cells NaN), y the class
    number of each label, classes numbered in order of first appearance as
    -f npy numbers them."""
    path = os.fspath(path)
    if path.endswith(".npy"):
        stem = path[:-4]
        X = np.load(path, allow_pickle=False)
        y = np.load(stem + ".labels.npy", allow_pickle=False) \
            if os.path.exists(stem + ".labels.npy") else np.full(len(X), -1, dtype=np.int64)
        names = []
        if os.path.exists(stem + ".classes.txt"):
            with open(stem + ".classes.txt", encoding="utf-8", errors="replace") as f:
                names = f.read().split("\n")[:-1]
        cols = None
        if os.path.exists(stem + ".columns.txt"):
            with open(stem + ".columns.txt", encoding="utf-8") as f:
                cols = f.read().split("\n")[:-1]
            if X.ndim != 2 or len(cols) != X.shape[1]:
                raise ValueError("%s: %d columns named for a matrix %s" % (path, len(cols),
                                                                         X.shape))
        if len(y) != len(X):
            raise ValueError("%s: %d rows, %d labels" % (path, len(X), len(y)))
        return Data(X, y, names, columns=cols)
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("flowkit.load_stats: CSV and TSV need pandas") from None
    import csv
    if path.endswith(".tsv"):
        df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, keep_default_na=False,
                         na_values=[""], low_memory=False)
        for c in df.columns[df.dtypes == object]:
            df[c] = df[c].map(_tsv_unescape)
    else:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
    names, y = [], np.full(len(df), -1, dtype=np.int64)
    if label in df.columns:
        codes, uniq = pd.factorize(df[label].astype(object).where(df[label].notna(), None))
        y = codes.astype(np.int64)
        names = [str(u) for u in uniq]
        df = df.drop(columns=[label])
    return Data(df, y, names, columns=list(df.columns))
