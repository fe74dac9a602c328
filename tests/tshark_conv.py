#!/usr/bin/python3
"""tshark_conv.py - compare pcap-flows' TCP and UDP flows with tshark's.

usage: tshark_conv.py [-j JOBS] PCAP_FLOWS FLOW_JSON CAPTURE...

For each CAPTURE the script runs, JOBS at a time (default 3):

  PCAP_FLOWS --no-split CAPTURE | FLOW_JSON    the flows, one per key
  PCAP_FLOWS CAPTURE | FLOW_JSON               the flows, split as usual
  tshark -n -r CAPTURE -T fields ... -z conv,tcp -z conv,udp

tshark is run once per capture (its start-up is the slow part).  Its
fields give one line per frame: its protocol stack, the addresses of
every IP layer and the ports of every TCP and UDP layer, summed per
conversation and direction for the exact bytes; its conversation tables
give the frames per direction (bytes are printed rounded to kB above some
size, so they are not used).  Each TCP or UDP layer of a frame belongs to
the conversation of that layer's ports and of the addresses of the IP
layer right before it; the frame counts so summed must equal tshark's
tables, else the script itself is wrong and says so.  Conversations are
keyed by (protocol, the two endpoints unordered), as pcap-flows keys its
flows; tshark's rows of one key (several TCP streams) and pcap-flows'
flows of one key (split by timeouts and TCP ends) are added up.

Output, tab-separated, in the order of the captures given; for each:

  CAPTURE  pcap-flows  STATUS  FLOWS   exit status and flows of --no-split
  CAPTURE  unreadable  MESSAGE         tshark cannot read the capture
  CAPTURE  MODE  CLASS  PROTO  ENDPOINT_A  ENDPOINT_B  DETAIL
  CAPTURE  MODE  summary  N            N conversations compared

(CAPTURE without its directory; MODE nosplit or default).  CLASS names
what kind of difference it is, so that a test can hold an explicit list
of the expected ones:

  inner       tshark has a conversation of a TCP/UDP layer that is inside
              a tunnel (after a second IP header or another transport
              layer); pcap-flows keys every packet on its outer header
  tshark-only tshark has a conversation pcap-flows does not have
  ours-only   pcap-flows has a flow tshark does not have
  packets     both have it, the frames per direction differ
  bytes       both have it with the same frames, the bytes differ

Exit 0 when it ran (whatever the differences), 2 on a usage error or
when tshark's fields and tables disagree.
"""
import collections
import ipaddress
import json
import concurrent.futures
import os
import subprocess
import sys


def norm_addr(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def endpoint(addr, port):
    return (norm_addr(addr), int(port))


def ep_text(ep):
    a, p = ep
    return ("[%s]:%d" % (a, p)) if ":" in a else ("%s:%d" % (a, p))


def key_of(proto, a, b):
    return (proto,) + tuple(sorted([a, b], key=lambda e: (e[0], e[1])))


class Unreadable(Exception):
    pass


class Broken(Exception):
    pass


def tshark(args, capture):
    cmd = ["tshark", "-n", "-r", capture] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = r.stderr.decode(errors="replace")
    # A capture cut short or damaged after some packets: tshark still
    # reports those packets, and so does pcap-flows.
    if r.returncode != 0 and not ("cut short" in err or "damaged or corrupt" in err):
        msg = " ".join(l for l in err.splitlines() if not l.startswith("Running as"))
        raise Unreadable(msg)
    return r.stdout.decode(errors="replace")


def split_endpoint(text):
    # "1.2.3.4:80" or "2001:db8::1:80": the port is after the last colon.
    a, _, p = text.rpartition(":")
    return endpoint(a, p)


def conv_tables(lines):
    """Frames per direction from -z conv,tcp -z conv,udp:
    {key: {endpoint_sender: frames}}."""
    res = collections.defaultdict(collections.Counter)
    proto = None
    for line in lines:
        if line.startswith("TCP Conversations"):
            proto = 6
        elif line.startswith("UDP Conversations"):
            proto = 17
        elif "<->" in line and proto:
            left, right = line.split("<->", 1)
            w = right.split()
            # B, frames B->A, bytes B->A, unit, frames A->B, bytes, unit, ...
            a = split_endpoint(left.strip())
            b = split_endpoint(w[0])
            k = key_of(proto, a, b)
            res[k][b] += int(w[1])
            res[k][a] += int(w[4])
    return res


FIELDS = ["frame.number", "frame.len", "frame.protocols", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
          "udp.srcport", "udp.dstport", "tcp.hdr_len", "_ws.short",
          "_ws.malformed"]


def run_tshark(capture):
    """tshark's two views of the capture: the lines of the fields, the
    lines of the tables."""
    args = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=,", "-z", "conv,tcp", "-z", "conv,udp"]
    for f in FIELDS:
        args += ["-e", f]
    lines = tshark(args, capture).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("====="):
            return lines[:i], lines[i:]
    return lines, []


def frame_layers(lines):
    """Yield (frame number, frame length, [(proto, src, dst, inner)...])
    for every TCP and UDP layer of every frame."""
    for line in lines:
        col = line.split("\t")
        col += [""] * (len(FIELDS) - len(col))
        vals = [c.split(",") if c else [] for c in col]
        no, flen, protos = int(col[0]), int(col[1]), col[2].split(":")
        idx = collections.Counter()
        ip = None
        nip = 0      # IP layers so far: more than one is a tunnel
        depth = 0    # transport layers so far
        layers = []
        # An exception in a TCP or UDP header (cut by the snapshot length,
        # malformed) stops tshark before it taps the layer.
        exc = col[12] + " " + col[13]
        for p in protos:
            if p in ("ip", "ipv6"):
                i = idx[p]
                idx[p] += 1
                s = vals[3 if p == "ip" else 5]
                d = vals[4 if p == "ip" else 6]
                ip = (s[i], d[i]) if i < len(s) and i < len(d) else None
                nip += 1
            elif p in ("tcp", "udp"):
                i = idx[p]
                idx[p] += 1
                s = vals[7 if p == "tcp" else 9]
                d = vals[8 if p == "tcp" else 10]
                if ip is None or i >= len(s) or i >= len(d):
                    continue
                if p == "tcp":
                    hl = vals[11]
                    if i >= len(hl) or int(hl[i]) < 20:
                        continue
                layers.append((6 if p == "tcp" else 17, endpoint(ip[0], s[i]),
                               endpoint(ip[1], d[i]), depth > 0 or nip > 1))
                depth += 1
            elif p in ("icmp", "icmpv6"):
                # What follows is the header quoted by an ICMP error:
                # tshark does not tap it.
                break
        for proto, name in ((6, "TCP"), (17, "UDP")):
            if ("capture: %s truncated" % name) in exc or ("Packet: %s]" % name) in exc:
                for j in range(len(layers) - 1, -1, -1):
                    if layers[j][0] == proto:
                        del layers[j]
                        break
        yield no, flen, layers


def ours_of(text):
    ours = collections.defaultdict(lambda: [collections.Counter(), collections.Counter()])
    for line in text.splitlines():
        f = json.loads(line)
        if "flowrec" in f or f["proto"] not in (6, 17):
            continue
        a = endpoint(f["src"], f["sport"])
        b = endpoint(f["dst"], f["dport"])
        k = key_of(f["proto"], a, b)
        ours[k][0][a] += f["src_pkts"]
        ours[k][1][a] += f["src_bytes"]
        ours[k][0][b] += f["dst_pkts"]
        ours[k][1][b] += f["dst_bytes"]
    return ours


def compare(head0, ours, theirs, inner, outer):
    def show(c, k):
        return "%d/%d" % (c[k[1]], c[k[2]])

    out = []
    for k in sorted(set(ours) | set(theirs)):
        proto, a, b = k
        head = head0 + [None, "tcp" if proto == 6 else "udp", ep_text(a), ep_text(b)]
        if k not in ours:
            head[2] = "inner" if k in inner and k not in outer else "tshark-only"
            out.append(head + ["tshark pkts %s bytes %s"
                               % (show(theirs[k][0], k), show(theirs[k][1], k))])
        elif k not in theirs:
            head[2] = "ours-only"
            out.append(head + ["ours pkts %s bytes %s"
                               % (show(ours[k][0], k), show(ours[k][1], k))])
        elif +ours[k][0] != +theirs[k][0]:
            head[2] = "packets"
            out.append(head + ["ours %s tshark %s"
                               % (show(ours[k][0], k), show(theirs[k][0], k))])
        elif +ours[k][1] != +theirs[k][1]:
            head[2] = "bytes"
            out.append(head + ["ours %s tshark %s"
                               % (show(ours[k][1], k), show(theirs[k][1], k))])
    out.append(head0 + ["summary", str(len(set(ours) | set(theirs)))])
    return out


def flows(pf, fj, args, capture):
    """pcap-flows ARGS CAPTURE | flow-json: (exit status, JSON text)."""
    p1 = subprocess.Popen([pf] + args + [capture], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    p2 = subprocess.run([fj], stdin=p1.stdout, stdout=subprocess.PIPE)
    p1.stdout.close()
    return p1.wait(), p2.stdout.decode()


def one(pf, fj, capture):
    """All the output lines of one capture."""
    name = os.path.basename(capture)
    st, nosplit = flows(pf, fj, ["--no-split"], capture)
    _, default = flows(pf, fj, [], capture)
    out = [[name, "pcap-flows", str(st), str(len(nosplit.splitlines()))]]
    try:
        field_lines, table_lines = run_tshark(capture)
    except Unreadable as e:
        return out + [[name, "unreadable", str(e)]]
    table = conv_tables(table_lines)
    theirs = collections.defaultdict(lambda: [collections.Counter(), collections.Counter()])
    inner = set()
    outer = set()
    for _, flen, layers in frame_layers(field_lines):
        for proto, s, d, is_inner in layers:
            k = key_of(proto, s, d)
            theirs[k][0][s] += 1
            theirs[k][1][s] += flen
            (inner if is_inner else outer).add(k)
    # The fields must agree with tshark's own table.
    for k in sorted(set(table) | set(theirs)):
        t = {e: n for e, n in table.get(k, {}).items() if n}
        f = {e: n for e, n in theirs[k][0].items() if n} if k in theirs else {}
        if t != f:
            raise Broken("%s: %s: the frame fields (%s) disagree with tshark's "
                         "conversation table (%s)" % (capture, k, f, t))
    out += compare([name, "nosplit"], ours_of(nosplit), theirs, inner, outer)
    out += compare([name, "default"], ours_of(default), theirs, inner, outer)
    return out


def main():
    args = sys.argv[1:]
    jobs = 3
    if len(args) >= 2 and args[0] == "-j":
        jobs = int(args[1])
        args = args[2:]
    if len(args) < 3:
        sys.stderr.write("usage: tshark_conv.py [-j JOBS] PCAP_FLOWS FLOW_JSON CAPTURE...\n")
        return 2
    pf, fj, captures = args[0], args[1], args[2:]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        results = [ex.submit(one, pf, fj, c) for c in captures]
        try:
            for r in results:
                for line in r.result():
                    print("\t".join(line))
        except Broken as e:
            sys.stderr.write("tshark_conv: %s\n" % e)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
