#!/bin/sh
# python-audit.t - flowkit.audit_features, the leakage audit of feature
# tables: a planted shortcut (a port column that predicts the label) is
# flagged, a random column and an informative traffic column are not; the
# mutual information against scikit-learn's mutual_info_score (plug-in)
# and the Miller-Madow formula computed here from the counts; the
# equal-frequency bins and the NaN bin; duplicates within and across
# groups and conflicting labels counted on a planted set; the list of
# identifying fields against common/field.c; the command line; and, with
# the tools built, a flow-stats table of real captures.  Skips without
# numpy, pandas or scikit-learn.
. "${0%/*}/lib.sh"

/usr/bin/python3 - "$FK_ROOT" "$FK_BIN" "$FK_DATA" "$T" <<'PYEOF'
import collections, json, math, os, re, subprocess, sys

ROOT, BIN, DATA, TMP = sys.argv[1:5]
try:
    import numpy as np
    import pandas as pd
    from sklearn.metrics import mutual_info_score
except ImportError as e:
    print("1..0 # SKIP %s" % e)
    sys.exit(0)
sys.path.insert(0, os.path.join(ROOT, "python"))
import flowkit
from flowkit import audit

sys.path.insert(0, os.path.join(ROOT, "tests"))
from fktap import ok, skip, done

rng = np.random.default_rng(15)


def mm_by_hand(v, c):
    """The Miller-Madow estimate from flow-idx(1)'s formula, with Counter."""
    N = len(v)
    def H(cnt):
        return -sum(n / N * math.log2(n / N) for n in cnt.values())
    cv, cc, cvc = collections.Counter(v), collections.Counter(c), collections.Counter(zip(v, c))
    plug = H(cv) + H(cc) - H(cvc)
    return plug + ((len(cv) - 1) + (len(cc) - 1) - (len(cvc) - 1)) / (2 * N * math.log(2))


# ---------------------------------------------------------- planted shortcut
N = 900
y = np.repeat([0, 1, 2], N // 3)
names = ["dns", "web", "ssh"]
df = pd.DataFrame({
    "dport": np.where(y == 0, 53, np.where(y == 1, 443, 22)) + (rng.random(N) < 0.02),
    "src": ["10.0.%d.%d" % (k, rng.integers(1, 4)) for k in y],
    "noise": rng.random(N),
    "first_ns": rng.integers(0, 10**15, N),
    "wire_len_mean": y * 100.0 + rng.normal(0, 20, N),
    "label": [names[k] for k in y],
})
df = df.sample(frac=1, random_state=3).reset_index(drop=True)
a = flowkit.audit_features(df)
feat = {f["name"]: f for f in a["features"]}
ok(abs(a["label_entropy_bits"] - math.log2(3)) < 1e-12, "label entropy log2 3",
   a["label_entropy_bits"])
ok(a["flagged"] == ["dport", "src"], "the port and the address are flagged", a["flagged"])
ok(feat["dport"]["field"] == "port" and feat["src"]["field"] == "address" and
   feat["first_ns"]["field"] == "time", "their reasons", feat)
ok(not feat["noise"]["flagged"] and feat["noise"]["mi_bits"] < 0.05,
   "a random column is not flagged, its mi near 0", feat["noise"])
ok(not feat["first_ns"]["flagged"] and feat["first_ns"]["mi_bits"] < 0.05,
   "a random time is not flagged", feat["first_ns"])
ok(feat["wire_len_mean"]["mi_bits"] > 0.5 * math.log2(3) and not feat["wire_len_mean"]["flagged"],
   "an informative traffic column is not flagged", feat["wire_len_mean"])
ok(a["drop"] == ["dport", "src"] and a["threshold_bits"] == 0.5 * a["label_entropy_bits"],
   "drop list and threshold", a["drop"], a["threshold_bits"])
ok(feat["dport"]["mi_bits"] > math.log2(3) and
   flowkit.audit_features(df, threshold=1.0)["flagged"] == ["dport", "src"],
   "threshold 1: perfect predictors still flagged (Miller-Madow > H)", feat["dport"])
ok(json.loads(json.dumps(a)) == a, "the result is JSON")

# ------------------------------------------------- the estimators, the bins
lab = np.asarray(pd.factorize(df["label"])[0])
good = True
for c in ["dport", "src", "noise", "first_ns", "wire_len_mean"]:
    codes, nb = audit.discretise(df[c], 16, text=(c == "src"))
    plug = mutual_info_score(lab, codes) / math.log(2)
    mm = mm_by_hand(codes.tolist(), lab.tolist())
    f = feat[c]
    good &= ok(abs(f["mi_plugin_bits"] - plug) < 1e-9 and abs(f["mi_bits"] - mm) < 1e-9 and
               f["bins"] == nb, "%s: plug-in as sklearn, Miller-Madow by hand" % c,
               f, plug, mm)
codes, nb = audit.discretise(df["noise"], 16)
cnt = np.bincount(codes)
ok(nb == 16 and cnt.min() >= N // 16 - 1 and cnt.max() <= N // 16 + 2,
   "16 equal-frequency bins of a continuous column", cnt)
x = df["noise"].to_numpy()
ok(all(x[codes == k].max() < x[codes == k + 1].min() for k in range(15)),
   "the bins are ordered intervals")
codes, nb = audit.discretise(df["dport"], 16)
ok(nb == df["dport"].nunique() == 6, "few values: a bin each", nb)
t = np.array([1.0, 1, 1, 1, 1, 1, 1, 1, 2, 3, np.nan, np.nan])
codes, nb = audit.discretise(t, 2)
ok(codes.tolist() == [0] * 8 + [1, 1, 2, 2] and nb == 3,
   "ties not split, a value on an edge goes below, NaN a bin of its own", codes, nb)
codes, nb = audit.discretise(["a", None, "b", "a", float("nan")], text=True)
ok(codes.tolist() == [0, 2, 1, 0, 2] and nb == 3, "text: categories, missing one", codes)
from flowkit.datasets import Data
e = flowkit.audit_features(Data(np.array([[53.0, 1], [53, 2], [22, 2], [22, 2]]),
                                np.array([0, 0, 1, -1]), ["a", "b"], columns=["dport", "n"]))
ok(e["flagged"] == ["dport"] and e["labelled"] == 3 and e["distinct"] == 2 and
   e["compared_columns"] == ["n"] and e["duplicates_within_parts"]["rows"] == 2 and
   e["conflicting_labels"]["distinct"] == 1,
   "a matrix with column names (flow-stats -f npy); class -1 left out of the mi", e)
tt = pd.DataFrame({"t": pd.to_datetime([0, 10**9, None, 3 * 10**9, 4 * 10**9]),
                   "label": ["a", "a", "b", "b", "b"]})
f = flowkit.audit_features(tt)["features"][0]
ok(f["kind"] == "number" and f["bins"] == 5 and
   abs(f["mi_plugin_bits"] - mutual_info_score([0, 0, 1, 1, 1], [0, 1, 4, 2, 3]) / math.log(2))
   < 1e-12, "datetime columns as numbers, NaT its own bin", f)
p, m, v = audit.mutual_information(np.zeros(10, dtype=int), np.arange(10) % 2)
ok((p, m, v) == (0.0, 0.0, 1), "one value: 0 and 0", (p, m, v))

# ------------------------------------------------- duplicates and conflicts
# part A: v1 v1 v2 v3(x) ; part B: v2 v3(y) v1 v4 v4 ; an unlabelled copy of v4
rows = [("A", 1, "x"), ("A", 1, "x"), ("A", 2, "x"), ("A", 3, "x"),
        ("B", 2, "x"), ("B", 3, "y"), ("B", 1, "x"), ("B", 4, "y"), ("B", 4, "y"),
        ("B", 4, None)]
dd = pd.DataFrame({"split": [r[0] for r in rows], "f": [float(r[1]) for r in rows],
                   "g": ["t%d" % r[1] for r in rows],
                   "sport": range(len(rows)),          # identifying: not compared
                   "label": [r[2] for r in rows]})
b = flowkit.audit_features(dd, groups="split")
ok(b["rows"] == 10 and b["labelled"] == 9 and b["distinct"] == 4, "rows, labelled, distinct",
   b["rows"], b["labelled"], b["distinct"])
ok(b["compared_columns"] == ["f", "g"] and "split" not in [f["name"] for f in b["features"]],
   "the groups column and the identifiers are not compared", b["compared_columns"])
ok(b["parts"] == [{"name": "A", "rows": 4, "distinct": 3, "duplicates": 1},
                  {"name": "B", "rows": 6, "distinct": 4, "duplicates": 2}], "parts",
   b["parts"])
ok(b["duplicates_within_parts"]["rows"] == 3, "duplicates within parts",
   b["duplicates_within_parts"])
ok(b["across_parts"]["rows"] == 3 and
   b["across_parts"]["examples"][0] == [{"part": "A", "index": 2, "class": 0},
                                        {"part": "B", "index": 4, "class": 0}],
   "rows in more than one part, examples", b["across_parts"])
cl = b["conflicting_labels"]
ok(cl["distinct"] == 1 and cl["rows"] == 2 and
   cl["examples"] == [[{"part": "A", "index": 3, "class": 0},
                       {"part": "B", "index": 5, "class": 1}]],
   "conflicting labels: v3 only (the unlabelled copy is none)", cl)
b2 = flowkit.audit_features(dd.drop(columns=["split"]), groups=dd["split"].tolist())
ok(b2["parts"] == b["parts"] and b2["groups"] is None and b["groups"] == "split",
   "groups as a list of values")
b3 = flowkit.audit_features(dd.drop(columns=["split"]))
ok(b3["parts"] == [{"name": None, "rows": 10, "distinct": 4, "duplicates": 6}] and
   b3["across_parts"]["rows"] == 0 and b3["duplicates_within_parts"]["rows"] == 6,
   "no groups: one part", b3["parts"])
try:
    flowkit.audit_features(dd, groups="nope")
    ok(False, "an unknown groups column is refused")
except ValueError as e:
    ok("nope" in str(e), "an unknown groups column is refused", e)

# ---------------------------------------------------------------- the registry
src = open(os.path.join(ROOT, "common", "field.c")).read()
ents = re.findall(r'F\(FLD_\w+,\s*N([12])\("([^"]+)"(?:,\s*"([^"]+)")?\),\s*(FT_\w+),\s*[^,]+,'
                  r'\s*(FI_\w+)', src)
reg = {e[1] + ("." + e[2] if e[2] else "") for e in ents
       if e[4] not in ("FI_NO", "FI_BYTES") and e[3] not in ("FT_OBJECT", "FT_TABLE")}
ok(len(ents) == len(re.findall(r"\bF\(FLD_", src)) and reg == set(audit._REGISTRY),
   "the identifying columns are the registry's identifying fields",
   len(ents), sorted(reg ^ set(audit._REGISTRY)))
pat = {"Src IP": "address", "Dst Port": "port", "Flow ID": "flow id", "Timestamp": "time",
       "src_ip": "address", "src_port": "port", "bidirectional_first_seen_ms": "time",
       "ttl_max": "ttl", "id": "flow id", "source.file": "capture", "last_ns": "time",
       "ip_len_mean": None, "src_ip_len_max": None, "src_init_win": None, "Protocol": None,
       "src_bytes": None, "wire_len_max": None, "dst_ack_count": None}
got = {k: audit.identifying(k) for k in pat}
ok(got == pat, "column-name patterns", {k: v for k, v in got.items() if v != pat[k]})

# ------------------------------------------------------------ the command line
csv = os.path.join(TMP, "feat.csv")
df.assign(split=np.where(np.arange(N) % 4 == 0, "test", "train")).to_csv(csv, index=False)
out = os.path.join(TMP, "a.json")
p = subprocess.run([sys.executable, "-m", "flowkit.audit", csv, "--groups", "split",
                    "--json", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
err = p.stderr.decode()
ok(p.returncode == 0 and p.stdout == b"" and
   "audit flagged features 2 (mi >= 0.7925 bits, 0.50 of H(label)): drop dport,src\n" in err,
   "command line: the report on the standard error", p.returncode, err)
with open(out) as f:
    j = json.load(f)
ref = flowkit.audit_features(flowkit.load_stats(csv), groups="split")
ok(j == json.loads(json.dumps(ref)) and [x["name"] for x in j["parts"]] == ["test", "train"],
   "its JSON is audit_features' on load_stats", j["parts"])
p = subprocess.run([sys.executable, "-m", "flowkit.audit", csv, "--groups", "nope"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
ok(p.returncode == 2 and p.stderr.decode().startswith("flowkit.audit: "), "bad groups: exit 2",
   p.returncode, p.stderr)
p = subprocess.run([sys.executable, "-m", "flowkit.audit", os.path.join(TMP, "none.csv")],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
ok(p.returncode == 1 and "none.csv" in p.stderr.decode(), "missing file: exit 1", p.stderr)

# ------------------------------------------------------------ real captures
PF, FS = os.path.join(BIN, "pcap-flows"), os.path.join(BIN, "flow-stats")
if os.access(PF, os.X_OK) and os.access(FS, os.X_OK):
    flows = b""
    for cls, cap in (("dns", "dns_udp_tcp_ecs_frag.pcap"), ("http", "eth_vlan_http.pcap"),
                     ("ssh", "app_ssh.pcapng")):
        flows += subprocess.run([PF, "-l", cls, os.path.join(DATA, cap)], check=True,
                                stdout=subprocess.PIPE).stdout
    st = subprocess.run([FS, "--set", "flowkit"], input=flows, check=True,
                        stdout=subprocess.PIPE).stdout
    with open(os.path.join(TMP, "real.csv"), "wb") as f:
        f.write(st)
    r = flowkit.audit_features(flowkit.load_stats(os.path.join(TMP, "real.csv")))
    ok(r["rows"] == 72 and [c["name"] for c in r["classes"]] == ["dns", "http", "ssh"] and
       r["flagged"] == ["src", "sport", "dst"] and
       r["duplicates_within_parts"]["rows"] == 11,
       "real captures: the addresses and a port flagged, 11 duplicate rows",
       r["rows"], r["classes"], r["flagged"], r["duplicates_within_parts"]["rows"])
else:
    skip("real captures", "the tools are not built in %s" % BIN)
done()
PYEOF
