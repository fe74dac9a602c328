#!/bin/sh
# python-data.t - flowkit.load_idx, load_flowpic, load_stats and the
# datasets of flowkit.torch on data sets the tools make from tests/data:
# the arrays against the files' raw bytes, labels against the tools' other
# outputs (index.csv, flow-stats -f npy), splits against the whole set,
# and malformed files.  Skips without numpy (pandas and torch parts skip
# on their own).
. "${0%/*}/lib.sh"

/usr/bin/python3 -c 'import numpy' 2> /dev/null || skip_all "numpy not installed"
[ -x "$FK_BIN/flow-idx" ] && [ -x "$FK_BIN/flow-pic" ] && [ -x "$FK_BIN/flow-stats" ] ||
	skip_all "tools not built in $FK_BIN"

cd "$T" || exit 1
caps=$(ls "$FK_DATA"/*.pcap | grep -v -e fuzz -e /bad_)
# shellcheck disable=SC2086
"$FK_BIN/pcap-flows" -L "$FK_ROOT/scripts/labels/iscx-vpn2016.map" $caps 2> /dev/null > a.flows
# Labels by the capture's name: the file name up to its first underscore.
: > w.flows
for c in $caps; do
	b=${c##*/}
	"$FK_BIN/pcap-flows" -l "${b%%_*}" "$c" 2> /dev/null >> w.flows
done
mkdir idx whole pics pic
"$FK_BIN/flow-idx" -q -o idx/t --split train=0.7,test=0.3 w.flows 2> /dev/null &&
"$FK_BIN/flow-idx" -q -o whole/t w.flows &&
"$FK_BIN/flow-pic" -q -o pics/p --split a=0.5,b=0.5 --min-flow-pkts 0 --min-pkts 0 --min-span 0 --bins 8 w.flows 2> /dev/null &&
"$FK_BIN/flow-pic" -q -o pic/p --min-flow-pkts 0 --min-pkts 0 --min-span 0 --bins 8 w.flows 2> /dev/null &&
"$FK_BIN/flow-stats" -o s.csv w.flows &&
"$FK_BIN/flow-stats" -f tsv -o s.tsv w.flows &&
"$FK_BIN/flow-stats" -f npy -c proto,dport,src_pkts,dst_pkts,duration_s,label -o s.npy w.flows ||
	{ echo "1..0 # SKIP the tools failed to make the data sets"; exit 0; }

/usr/bin/python3 - "$FK_ROOT" <<'PYEOF'
import csv, os, struct, sys
import numpy as np
sys.path.insert(0, os.path.join(sys.argv[1], "python"))
import flowkit

sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
from fktap import ok, skip, done


def raw(path, hdr):
    with open(path, "rb") as f:
        b = f.read()
    return struct.unpack(">%dI" % (hdr // 4), b[:hdr]), np.frombuffer(b[hdr:], np.uint8)


def classes_txt(path):
    out = {}
    with open(path) as f:
        for line in f:
            i, n = line.split()
            out[int(i)] = n
    return out


try:
    import pandas
    have_pd = True
except ImportError:
    have_pd = False

# ---- flow-idx
w = flowkit.load_idx("whole/t")
(magic, n, rows, cols), px = raw("whole/t-images-idx3-ubyte", 16)
(magic1, n1), lb = raw("whole/t-labels-idx1-ubyte", 8)
ok(magic == 0x803 and w.X.shape == (n, rows, cols) and (w.X.ravel() == px).all()
   and (w.y == lb).all() and w.part is None and len(w) > 100,
   "load_idx: the images and labels are the files' bytes (%d images)" % len(w))
ct = classes_txt("whole/t-classes.txt")
ok(len(ct) > 5 and all(w.classes[i] == nm for i, nm in ct.items()),
   "load_idx: the class names of classes.txt by id (%d)" % len(ct))
X, y, names = flowkit.load_idx("whole/t")
ok(X is not None and len(y) == len(w) and names == w.classes, "X, y, classes = load_idx(...)")
s = flowkit.load_idx("idx/t")
p = s.parts
ok(sorted(p) == ["test", "train"] and len(p["train"]) + len(p["test"]) == len(s) == len(w),
   "load_idx of a split: parts train and test, together the whole set", {k: len(v) for k, v in p.items()})
tr = flowkit.load_idx(["idx/t-train-images-idx3-ubyte"], classes="idx/t-classes.txt")
ok((tr.X == p["train"].X).all() and (tr.y == p["train"].y).all() and tr.classes == s.classes,
   "load_idx of a file list with a classes file: the same part")
ok(sorted(map(bytes, s.X.reshape(len(s), -1))) == sorted(map(bytes, w.X.reshape(len(w), -1))),
   "the split holds the same images as the whole set")
with open("whole/t-images-idx3-ubyte", "rb") as f:
    b = f.read()
for desc, data, want in (("truncated", b[:-1], "bytes"), ("bad magic", b"\1" + b[1:], "magic"),
                         ("of 2^128 bytes by its header",
                          bytes([0, 0, 8, 4]) + b"\xff" * 16 + b[16:], "says"),
                         ("with a header cut short", b[:10], "truncated")):
    with open("bad-images-idx3-ubyte", "wb") as f:
        f.write(data)
    try:
        flowkit.datasets.read_idx("bad-images-idx3-ubyte")
        e = None
    except ValueError as x:
        e = str(x)
    ok(e is not None and want in e and "bad-images-idx3-ubyte" in e,
       "read_idx: %s file: ValueError naming it" % desc, e)

# ---- flow-pic
d = flowkit.load_flowpic("pic")
ok((d.X == np.load("pic/p-X.npy")).all() and d.X.ndim == 4 and len(d) > 50,
   "load_flowpic: the pictures of X.npy (%d, shape %s)" % (len(d), d.X.shape))
with open("pic/p-index.csv") as f:
    ix = list(csv.DictReader(f))
ok([int(r["class"]) for r in ix] == d.y.tolist(), "load_flowpic: y agrees with index.csv's class")
pc = classes_txt("pic/p-classes.txt")
ok(all(d.classes[i] == n for i, n in pc.items()) and
   [r["label"] for r in ix] == [d.classes[i] if i < 255 else "" for i in d.y.tolist()],
   "load_flowpic: class names agree with index.csv's labels")
ok(len(d.index) == len(d), "the index rows as d.index")
sp = flowkit.load_flowpic("pics/p")
ok(sorted(sp.parts) == ["a", "b"] and len(sp) == len(d) and len(sp.parts["a"].index)
   == len(sp.parts["a"]), "load_flowpic of a split: parts a and b with their index rows")

# ---- flow-stats
n = flowkit.load_stats("s.npy")
ok(n.X.shape[1] == 5 and n.columns == ["proto", "dport", "src_pkts", "dst_pkts", "duration_s"]
   and len(n.y) == len(n.X), "load_stats NPY: matrix, labels and column names")
if have_pd:
    c = flowkit.load_stats("s.csv")
    ok((c.y == n.y).all() and c.classes == n.classes,
       "load_stats CSV: class numbers as flow-stats -f npy numbers them (%d classes)"
       % len(c.classes))
    ok(np.allclose(c.X[n.columns].to_numpy(float), n.X, equal_nan=True),
       "load_stats CSV: the columns equal the NPY matrix")
    t = flowkit.load_stats("s.tsv")
    ok(t.X.equals(c.X) and (t.y == c.y).all(), "load_stats TSV: the same as CSV")
else:
    skip("load_stats CSV and TSV", "pandas not installed")

# ---- torch
try:
    import torch
    import flowkit.torch as ft
except ImportError:
    skip("flowkit.torch", "torch not installed")
else:
    ds = ft.IdxDataset("idx/t", part="train")
    m = p["train"].y != 255
    x0, y0 = ds[0]
    ok(len(ds) == int(m.sum()) and x0.shape == (1, rows, cols) and x0.dtype == torch.float32
       and torch.equal(x0[0], torch.from_numpy(p["train"].X[m][0] / np.float32(255)))
       and int(y0) == int(p["train"].y[m][0]),
       "IdxDataset: the labelled images of a part as float32 in [0, 1]")
    fp = ft.FlowPicDataset("pic", keep_unlabelled=True)
    ok(len(fp) == len(d) and fp[0][0].shape == d.X.shape[1:], "FlowPicDataset")
    st = ft.StatsDataset("s.npy")
    ok(len(st) == int((n.y >= 0).sum()) and st[0][0].shape == (5,), "StatsDataset")
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=8)))
    ok(batch[0].shape == (8, 1, rows, cols) and batch[1].dtype == torch.int64,
       "a DataLoader batches them")

done()
PYEOF
