#!/bin/sh
# install-deps.sh - install what flowkit needs to build and test on Debian 12.
#
#   sh scripts/install-deps.sh
#
# Runs apt-get as root, or through sudo when not root.  When every package
# is already installed it does nothing (no apt-get update), so it is cheap
# to call from scripts/demo.sh and .ci/run every time.
set -eu

# One package per line, with why it is needed.
PACKAGES="
build-essential
make
pkg-config
libpcap-dev
libjansson-dev
libssl-dev
libpng-dev
zlib1g-dev
libzstd-dev
liblzma-dev
clang
libclang-rt-14-dev
mandoc
tshark
python3
python3-numpy
python3-pandas
python3-torch
python3-sklearn
perl
bsdutils
iproute2
jq
bsdextrautils
slurm-wlm
munge
parallel
"
# build-essential, make, pkg-config      the build
# libpcap-dev libjansson-dev libssl-dev  pcap-flows, flow-json, flow-anon (libcrypto)
# libpng-dev                             flow-idx and flow-pic pictures
# zlib1g-dev libzstd-dev liblzma-dev     pcap-flows reads .gz, .zst and .xz captures
# clang libclang-rt-14-dev               make fuzz (libFuzzer) and the sanitizer runtimes
# mandoc                                 man page lint
# tshark                                 cross-checks of the packet decoders
# python3 python3-numpy                  scripts/flowrec.py, the flowkit package and their tests
# python3-pandas                         flowkit.to_pandas and load_stats (tests/python*.t)
# python3-torch python3-sklearn          flowkit-tutorial(7), whose steps tests/man-examples.t runs
# perl                                   prove, the TAP harness
# bsdutils                               script(1): tests that need a terminal
# iproute2                               network-namespace tests of live capture
# jq bsdextrautils                       the man pages' examples (jq, hexdump), run by tests/man-examples.t
# slurm-wlm munge                        tests/slurm.t: the Slurm job array of examples/slurm/ on a one-node cluster
# parallel                               tests/parallel.t: the GNU parallel recipe of flowkit(7)

if [ "$(id -u)" -eq 0 ]; then
	as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
	as_root() { sudo "$@"; }
else
	echo "install-deps.sh: not root and no sudo: run this script as root" >&2
	exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps.sh: apt-get not found: this script is for Debian (12) and its derivatives" >&2
	exit 1
fi

missing=
for p in $PACKAGES; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $s in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps.sh: all dependencies are installed"
	exit 0
fi

echo "install-deps.sh: installing:$missing"
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	as_root debconf-set-selections
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# $missing is a list of words on purpose.
# shellcheck disable=SC2086
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends $missing
