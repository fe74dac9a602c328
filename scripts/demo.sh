#!/bin/sh
# demo.sh - the README's first command: install the dependencies (Debian),
# build, and run the best pipeline the tree has on data shipped with it.
#
#   sh scripts/demo.sh
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
make -j"$(nproc 2>/dev/null || echo 2)"

PATH=$PWD/build:$PATH
export PATH

# show CMD: print a pipeline, then run it.
show() {
	printf '\n$ %s\n' "$1"
	sh -c "$1"
}

if [ -x build/pcap-flows ]; then
	show "pcap-flows tests/data/dns_tcp.pcap | flow-json"
else
	echo
	echo "demo: pcap-flows is not built yet; showing the record stream made from a JSON fixture"
	show "flow-json -r tests/data/battery.jsonl | flow-json"
fi
