#!/bin/sh
# install.t - make install and uninstall: with DESTDIR and PREFIX=/usr the
# tools, man pages, label maps and the Python package land under DESTDIR,
# the package imports from the path make prints, and uninstall leaves no
# file behind; with PREFIX alone the installed pcap-flows finds a label map
# by its name in PREFIX/share/flowkit/labels (after the current directory).
# The build is a copy of $FK_BIN, so only label.o (which holds DATADIR) and
# the links are redone, in the copy.
. "${0%/*}/lib.sh"

[ -x "$FK_BIN/pcap-flows" ] && [ -f "$FK_BIN/libflowkit.a" ] || skip_all "tools not built in $FK_BIN"
command -v make > /dev/null || skip_all "no make"

mkdir "$T/b"
cp -pR "$FK_BIN/." "$T/b/" || skip_all "cannot copy $FK_BIN"
if [ -n "${FK_SANITIZED:-}" ]; then
	set -- CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined"
else
	set --
fi
mk() { make -s -C "$FK_ROOT" B="$T/b" "$@"; }

# ---- DESTDIR, PREFIX=/usr ----
D=$T/dest
run mk "$@" DESTDIR="$D" PREFIX=/usr install
is "$status" 0 "make install DESTDIR PREFIX=/usr: exit 0"
[ "$status" -eq 0 ] || diag "$err"
ok "the tools in DESTDIR/usr/bin" [ -x "$D/usr/bin/pcap-flows" ] && [ -x "$D/usr/bin/flow-json" ]
ok "the man pages in DESTDIR/usr/share/man" [ -f "$D/usr/share/man/man1/pcap-flows.1" ] &&
	[ -f "$D/usr/share/man/man5/flowrec.5" ] && [ -f "$D/usr/share/man/man7/flowkit.7" ]
ok "the label maps in DESTDIR/usr/share/flowkit/labels" \
	cmp -s "$D/usr/share/flowkit/labels/iscx-vpn2016.map" "$FK_ROOT/scripts/labels/iscx-vpn2016.map"
ok "the examples in DESTDIR/usr/share/flowkit/examples" \
	[ -f "$D/usr/share/flowkit/examples/flows-to-pandas.py" ]
pydir=$(sed -n 's/^flowkit: Python package in \([^ ]*\) .*/\1/p' "$T/out")
is "$pydir" "$D/usr/lib/python3/dist-packages" "make install prints the package path"
# From / so that no checkout is on the path.
run sh -c 'cd / && PYTHONPATH="$1" /usr/bin/python3 -c "import flowkit; print(flowkit.__file__); print(flowkit.datadir())"' \
	sh "$pydir"
is "$out" "$pydir/flowkit/__init__.py
/usr/share/flowkit" "PYTHONPATH=<printed path> python3 -c 'import flowkit' imports the installed package"
if /usr/bin/python3 -c 'import numpy' 2> /dev/null; then
	"$FK_BIN/pcap-flows" -l x "$FK_DATA/dns_tcp.pcap" > "$T/x.flows"
	run sh -c 'cd / && PYTHONPATH="$1" /usr/bin/python3 -c "
import sys, flowkit
names, cols, h = flowkit.read_columns(sys.argv[1])
print(len(cols[\"ipv\"]), cols[\"label\"][0])" "$2"' sh "$pydir" "$T/x.flows"
	want=$("$FK_BIN/flow-json" "$T/x.flows" | wc -l | tr -d ' ')
	is "$out" "$want x" "the installed package reads a stream"
else
	skip 1 "numpy not installed"
fi
run mk "$@" DESTDIR="$D" PREFIX=/usr uninstall
is "$status" 0 "make uninstall: exit 0"
is "$(find "$D" -type f | sort)" "" "make uninstall leaves no file"
is "$(find "$D/usr/share" -name 'flowkit*' -o -name labels | sort)" "" "nor the flowkit directories"

# ---- PREFIX alone: the installed tools find the maps by name ----
P=$T/prefix
run mk "$@" PREFIX="$P" install
is "$status" 0 "make install PREFIX=dir: exit 0"
mkdir "$T/work"
cp "$FK_DATA/dns_tcp.pcap" "$T/work/facebook_chat_1.pcap"
for name in iscx-vpn2016 iscx-vpn2016.map; do
	run sh -c 'cd "$1" && "$2" -L "$3" facebook_chat_1.pcap | "$4" | head -n 1' sh \
		"$T/work" "$P/bin/pcap-flows" "$name" "$FK_BIN/flow-json"
	like "$out" '*"label":"Chat"*' "pcap-flows -L $name: the installed map, found by name"
done
printf 'facebook_chat LocalChat\n' > "$T/work/iscx-vpn2016.map"
run sh -c 'cd "$1" && "$2" -L iscx-vpn2016.map facebook_chat_1.pcap | "$3" | head -n 1' sh \
	"$T/work" "$P/bin/pcap-flows" "$FK_BIN/flow-json"
like "$out" '*"label":"LocalChat"*' "a map of that name in the current directory comes first"
run sh -c 'cd "$1" && "$2" -L no-such-map facebook_chat_1.pcap' sh "$T/work" "$P/bin/pcap-flows"
is "$status" 2 "an unknown map name: exit 2"
like "$err" "*no-such-map: No such file or directory (nor in $P/share/flowkit/labels)*" \
	"the message names the name and the directory looked in"
run sh -c 'cd "$1" && "$2" -L ./iscx-vpn2016 facebook_chat_1.pcap' sh "$T/work" "$P/bin/pcap-flows"
is "$status" 2 "a path with a slash is not looked up in DATADIR"
run sh -c 'cd "$1" && "$2" -L iscx-vpn2016 facebook_chat_1.pcap > c.flows &&
	"$3" -q -c iscx-vpn2016 -o ds c.flows && cat ds-classes.txt' sh "$T/work" "$P/bin/pcap-flows" \
	"$P/bin/flow-idx"
like "$out" "0 Chat*12 Browsing*" "flow-idx -c iscx-vpn2016: the installed class file, found by name"
run mk "$@" PREFIX="$P" uninstall
is "$(find "$P" -type f | sort)" "" "make uninstall PREFIX=dir leaves no file"

done_testing
