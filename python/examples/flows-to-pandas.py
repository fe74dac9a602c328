#!/usr/bin/env python3
"""flows-to-pandas.py - a flowrec stream as a pandas table, summed by label.

    pcap-flows -L iscx-vpn2016 captures/ > x.flows
    python3 flows-to-pandas.py x.flows

Prints the flows, packets and bytes of each label, and the ten busiest
server ports.  Needs flowkit (make install prints where it went) and pandas.
"""
import sys

import flowkit

df = flowkit.to_pandas(sys.argv[1] if len(sys.argv) > 1 else "-",
                       columns=["proto", "dport", "src_pkts", "dst_pkts", "src_bytes",
                                "dst_bytes", "label"])
df["pkts"] = df["src_pkts"] + df["dst_pkts"]
df["bytes"] = df["src_bytes"] + df["dst_bytes"]
by_label = df.groupby(df["label"].fillna("(none)"))[["pkts", "bytes"]].agg(["count", "sum"])
print(by_label.to_string())
print(df.groupby(["proto", "dport"]).size().nlargest(10).to_string())
