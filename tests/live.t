#!/bin/sh
# live.t - pcap-flows -i on a live interface: two network namespaces
# joined by a veth pair; one sends UDP datagrams and makes a TCP
# connection (python3 sockets), pcap-flows captures on the other end
# with -c (a packet count) and -d (a duration), and the flows must be
# there.  Skipped where namespaces cannot be made (not root, no ip(8),
# a container without the right).  The namespaces are always removed.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
[ -x "$PF" ] && [ -x "$FJ" ] || skip_all "pcap-flows or flow-json not built"
[ -x "$PY" ] || skip_all "no $PY"
[ "$(id -u)" = 0 ] || skip_all "not root: cannot make network namespaces"
command -v ip >/dev/null 2>&1 || skip_all "no ip(8)"

A=fk-live-$$-a
B=fk-live-$$-b
cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ip netns add "$A" 2>"$T/ns.err" || skip_all "cannot make a network namespace: $(cat "$T/ns.err")"
ip netns add "$B" 2>"$T/ns.err" || skip_all "cannot make a network namespace: $(cat "$T/ns.err")"
# ip netns add can succeed where entering the namespace does not.
ip netns exec "$A" true 2>"$T/ns.err" || skip_all "cannot enter a network namespace: $(cat "$T/ns.err")"
setup() {
	ip link add fkv0 netns "$A" type veth peer name fkv1 netns "$B" &&
		ip -n "$A" addr add 10.199.0.1/24 dev fkv0 &&
		ip -n "$B" addr add 10.199.0.2/24 dev fkv1 &&
		ip -n "$A" link set fkv0 up && ip -n "$B" link set fkv1 up &&
		ip -n "$A" link set lo up && ip -n "$B" link set lo up
}
setup 2>"$T/ns.err" || skip_all "cannot make a veth pair: $(cat "$T/ns.err")"

# Wait until the addresses answer (ARP works) or give up after 5 s.
i=0
until ip netns exec "$A" "$PY" -c 'import socket; s = socket.create_connection(("10.199.0.2", 1), 0.2)' \
	2>&1 | grep -q 'refused'; do
	i=$((i + 1))
	[ $i -lt 25 ] || break
	sleep 0.2
done

# ---- -c: five UDP datagrams, the capture stops after five packets
# timeout(1) ends the capture (SIGTERM) if the packets were lost.
ip netns exec "$B" timeout 20 "$PF" -i fkv1 -c 5 -f 'udp port 9999' -o "$T/udp.flows" 2>"$T/udp.err" &
pid=$!
sleep 1.5
ip netns exec "$A" "$PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.199.0.1", 5555))
for i in range(5):
    s.sendto(b"hello %d" % i, ("10.199.0.2", 9999))
    time.sleep(0.05)
'
st=0
wait "$pid" || st=$?
is "$st" 0 "-i -c 5: exit 0"
is "$(cat "$T/udp.err")" "" "-i -c 5: no message"
"$FJ" "$T/udp.flows" >"$T/udp.jsonl" 2>&1
like "$(cat "$T/udp.jsonl")" '{"ipv":4,"proto":17,"src":"10.199.0.1","sport":5555,"dst":"10.199.0.2","dport":9999,*"src_pkts":5,"dst_pkts":0,*"source":{"file":"fkv1","first_pkt":1}*' \
	"-i -c 5: one UDP flow of 5 packets, source the interface"
is "$(wc -l <"$T/udp.jsonl" | tr -d ' ')" 1 "-i -c 5: no other flow"

# ---- -d: a TCP connection, the capture stops after 3 seconds
ip netns exec "$B" timeout 20 "$PF" -i fkv1 -d 3 -f tcp -o "$T/tcp.flows" 2>"$T/tcp.err" &
pid=$!
ip netns exec "$B" "$PY" -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.199.0.2", 8080))
s.listen(1)
s.settimeout(10)
c, _ = s.accept()
c.sendall(b"x" * 1000 + c.recv(100))
c.close()
' &
srv=$!
sleep 1.5
ip netns exec "$A" "$PY" -c '
import socket
c = socket.create_connection(("10.199.0.2", 8080), 5)
c.sendall(b"GET")
while c.recv(4096):
    pass
c.close()
'
wait "$srv"
st=0
wait "$pid" || st=$?
is "$st" 0 "-i -d 3: exit 0"
"$FJ" "$T/tcp.flows" >"$T/tcp.jsonl" 2>&1
like "$(cat "$T/tcp.jsonl")" '{"ipv":4,"proto":6,"src":"10.199.0.1","sport":*,"dst":"10.199.0.2","dport":8080,*"src_tcp_flags":*"end":"fin",*' \
	"-i -d 3: the TCP connection, initiator first, ended by FIN"
"$PY" -c '
import json, sys
f = json.loads(open(sys.argv[1]).readline())
ok = f["src_pkts"] >= 4 and f["dst_pkts"] >= 3 and f["dst_bytes"] >= 1003
sys.exit(0 if ok else 1)' "$T/tcp.jsonl"
ok "-i -d 3: both directions counted, 1003 payload bytes from the server" [ $? -eq 0 ]

# ---- an interface that does not exist
run ip netns exec "$B" "$PF" -i fk-nosuch0 -c 1
is "$status" 1 "-i on a missing interface: exit 1"
like "$err" "pcap-flows: fk-nosuch0: *" "-i on a missing interface: named"
done_testing
