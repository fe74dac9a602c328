#!/bin/sh
# parallel.t - the GNU parallel recipe of flowkit(7), DATASETS AT SCALE,
# run on this host (--sshlogin 2/:, where parallel transfers nothing): the
# streams it makes, then the final step by examples/dataset.mk, give the
# same files, byte for byte, as make -j1 alone; --cleanup leaves the
# captures alone; a capture that fails makes parallel exit non-zero.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
MK=$FK_ROOT/examples/dataset.mk
[ -x "$PF" ] || skip_all "no $PF"
command -v parallel >/dev/null 2>&1 || skip_all "no GNU parallel (apt-get install parallel)"
command -v make >/dev/null 2>&1 || skip_all "no make"
PATH=$FK_BIN:$PATH

. "${0%/*}/captree.sh"
captree "$T/caps" || { echo "Bail out! cannot make the tree of captures"; exit 1; }

# Both builds see the captures as caps/, the name the recipe uses.
mkdir -p "$T/mk" "$T/par"
ln -s ../caps "$T/mk/caps"
ln -s ../caps "$T/par/caps"

(cd "$T/mk" && make -f "$MK" CAPTURES=caps OUT=out PIC_OPTS=--mini -j1) >"$T/mk.log" 2>&1
ok "make -j1: exit 0" test $? -eq 0 || diag "$(tail -n 20 "$T/mk.log")"

# recipe HOSTS: the recipe of flowkit(7), with these --sshlogin hosts.
recipe() {
	make -f "$MK" CAPTURES=caps OUT=out list &&
	parallel --will-cite --halt soon,fail=1 --sshlogin "$1" \
		--transferfile caps/{} --return out/flows/{}.flows --cleanup \
		'mkdir -p out/flows/{//} && pcap-flows --label-dir -o out/flows/{}.flows caps/{}' \
		:::: out/captures.list &&
	make -f "$MK" CAPTURES=caps OUT=out PIC_OPTS=--mini -j2
}

(cd "$T/par" && recipe 2/:) >"$T/par.log" 2>&1
ok "the parallel recipe: exit 0" test $? -eq 0 || diag "$(tail -n 20 "$T/par.log")"
is "$(grep -c pcap-flows "$T/par.log")" 0 "the final make found every stream made by parallel"

files() {
	(cd "$1" && find . -type f | LC_ALL=C sort)
}
is "$(files "$T/par/out")" "$(files "$T/mk/out")" "the same files as make -j1"
bad=
for f in $(files "$T/mk/out"); do
	cmp -s "$T/mk/out/$f" "$T/par/out/$f" || bad="$bad ${f#./}"
done
is "$bad" "" "every file the same as make's, byte for byte ($(files "$T/mk/out" | wc -l) files)"
is "$(find -L "$T/par/caps" -type f | wc -l)" "$((CAPTREE_N + 2))" "--cleanup left the local captures alone"

cp "$FK_DATA/trunc_file_cut_mid_packet.pcap" "$T/caps/tcp/"
rm -rf "$T/par/out"
(cd "$T/par" && recipe 2/:) >"$T/par.log" 2>&1
ok "a capture cut short: the recipe fails" test $? -ne 0
ok "a capture cut short: no all.flows" test ! -e "$T/par/out/all.flows"
like "$(cat "$T/par.log")" "*trunc_file_cut_mid_packet.pcap*" "a capture cut short: named"

done_testing
