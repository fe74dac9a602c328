#!/bin/sh
# label.t - labels (common/label.c): the unit tests of the grammar
# (tests/unit/t_label.c), then the shipped keyword maps against the
# published file listings of their data sets, end to end: a directory of
# links named as each listed capture goes through pcap-flows -L, and every
# file must get the class the listing says (tests/data/*.list).  The seed's
# own map keeps the seed's first-match labels and gaps.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
LAB=$FK_ROOT/scripts/labels

run "$FK_BIN/unit/t_label"
if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
	pass "t_label: $(grep -c '^ok' "$T/out") unit tests"
else
	fail "t_label: unit tests (exit $status)"
	diag "$(grep -A1 '^not ok' "$T/out" | head -n 40)" "$(head -n 20 "$T/err")"
fi

# labels_of DIR MAP: "file label" for every capture in DIR, labelled by MAP.
labels_of() {
	"$PF" -L "$2" "$1" 2>"$T/pf.err" | "$FJ" | "$PY" -c 'import json, sys, os
seen = {}
for l in sys.stdin:
    f = json.loads(l)
    seen[os.path.basename(f["source"]["file"])] = f.get("label") or "-"
for k in sorted(seen):
    print(k, seen[k])'
}

# check NAME LIST MAP: one link per listed file, all labelled as listed.
check() {
	rm -rf "$T/ds"
	mkdir "$T/ds"
	grep -v '^#' "$2" | while read -r f cls; do
		ln -s "$FK_DATA/dns_tcp.pcap" "$T/ds/$f"
	done
	grep -v '^#' "$2" | sort >"$T/want"
	labels_of "$T/ds" "$3" >"$T/got"
	n=$(wc -l <"$T/want")
	if cmp -s "$T/got" "$T/want"; then
		pass "$1: all $n listed files get their class"
	else
		fail "$1: all $n listed files get their class"
		diag "$(diff "$T/want" "$T/got" | head -n 40)"
	fi
	ok "$1: no file left without a label" [ ! -s "$T/pf.err" ] || diag "$(head -n 5 "$T/pf.err")"
}

check "iscx-vpn2016.map" "$FK_DATA/iscx-vpn2016.list" "$LAB/iscx-vpn2016.map"
check "ustc-tfc2016.map" "$FK_DATA/ustc-tfc2016.list" "$LAB/ustc-tfc2016.map"

# Every class of the listings is in the class file beside the map.
for m in iscx-vpn2016 ustc-tfc2016; do
	grep -v '^#' "$FK_DATA/$m.list" | cut -d' ' -f2 | sort -u >"$T/used"
	grep -v '^#' "$LAB/$m.classes" | cut -d' ' -f1 | sort -u >"$T/have"
	ok "$m.classes holds every class its map gives" [ -z "$(comm -23 "$T/used" "$T/have")" ] ||
		diag "missing: $(comm -23 "$T/used" "$T/have")"
done

# The seed's table: first match in table order, and its gaps.
rm -rf "$T/ds"
mkdir "$T/ds"
for f in vpn_netflix_A.pcap vpn_skype_chat1a.pcap facebook_video1a.pcap Torrent01.pcapng aim_chat_3a.pcap; do
	ln -s "$FK_DATA/dns_tcp.pcap" "$T/ds/$f"
done
is "$(labels_of "$T/ds" "$LAB/seed001-iscx.map" | tr '\n' ,)" \
	"Torrent01.pcapng -,aim_chat_3a.pcap Chat,facebook_video1a.pcap -,vpn_netflix_A.pcap Streaming,vpn_skype_chat1a.pcap Chat," \
	"seed001-iscx.map: the seed's first match (vpn_netflix_A is Streaming) and gaps"
is "$(labels_of "$T/ds" "$LAB/iscx-vpn2016.map" | tr '\n' ,)" \
	"Torrent01.pcapng P2P,aim_chat_3a.pcap Chat,facebook_video1a.pcap Streaming,vpn_netflix_A.pcap VPN_Streaming,vpn_skype_chat1a.pcap VPN_Chat," \
	"iscx-vpn2016.map: the same files as meant"
is "$(grep -v '^#' "$LAB/seed001-iscx.classes" | tr '\n' ,)" \
	"Chat 0,Email 1,VoIP 2,Streaming 3,File_Transfer 4,VPN_Chat 5,VPN_Email 6,VPN_VoIP 7,VPN_Streaming 8,VPN_File_Transfer 9,VPN_P2P 10," \
	"seed001-iscx.classes: the seed's 11 classes"

# Every shipped map and class file reads without error.
for f in "$LAB"/*.map; do
	run "$PF" -L "$f" "$FK_DATA/dns_tcp.pcap"
	ok "$(basename "$f") loads" [ "$status" -eq 0 ]
done
for f in "$LAB"/*.classes; do
	"$PF" -l x "$FK_DATA/dns_tcp.pcap" | run "$FK_BIN/flow-idx" -q -o "$T/c" -c "$f"
	ok "$(basename "$f") loads" [ "$status" -eq 0 ] || diag "$err"
done
done_testing
