#!/bin/sh
# demo.sh - the README's first command: install the dependencies (Debian),
# build, and run the main job on a capture shipped with the tree: flows
# from a capture, anonymized with a key, turned into MNIST-style images.
#
#   sh scripts/demo.sh
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
make -j"$(nproc 2>/dev/null || echo 2)"

PATH=$PWD/build:$PATH
export PATH
out=build/demo
mkdir -p "$out"
cap=tests/data/tls12_google_cert_repeat.pcap

# show CMD: print a command, then run it.
show() {
	printf '\n$ %s\n' "$1"
	sh -c "$1"
}

show "pcap-flows -v --label web $cap > $out/demo.flows"
show "flow-json $out/demo.flows | head -n 3"
[ -f "$out/demo.key" ] || show "flow-anon --genkey $out/demo.key"
show "flow-anon -k $out/demo.key $out/demo.flows | flow-idx -o $out/demo --preview $out/demo.png"
show "ls -l $out"
echo
echo "demo: $out/demo-images-idx3-ubyte and $out/demo-labels-idx1-ubyte hold one"
echo "28x28 image per flow; $out/demo.png shows them."
