#!/bin/sh
# field.t - the field registry (common/field.c): its unit tests
# (tests/unit/t_field.c), then the two other places that list the names,
# checked against it: the FIELDS section of man/flowrec.5 (every registry
# field is a row with the same type, unit and identifying class, and every
# row is a registry field; every value name is under "Value names"), and
# the tables of the independent Python reader python/flowkit/flowrec.py
# (through scripts/flowrec.py).
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_field
[ -x "$x" ] || skip_all "$x is not built"
MAN=$FK_ROOT/man/flowrec.5

run "$x"
n=$(grep -c '^ok' "$T/out")
if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
	pass "t_field: $n unit tests"
else
	fail "t_field: unit tests (exit $status)"
	diag "$(grep -A1 '^not ok' "$T/out" | head -n 40)"
fi

"$x" -l >"$T/reg" && "$x" -s >"$T/syms" || fail "t_field -l, -s"
ok "the registry lists fields" [ "$(wc -l <"$T/reg")" -gt 80 ]

# The FIELDS table: .It Sy NAME Ta TYPE Ta UNIT Ta IDENT Ta MEANING, a
# meaning starting with "(derived)" or ending in "(repeats)" for the flags.
awk '
/^\.Sh / { infields = ($2 == "FIELDS") }
infields && /^\.It Sy / && $3 != "Name" {
	n = split($0, c, / Ta /)
	name = c[1]; sub(/^\.It Sy /, "", name)
	unit = c[3]; if (unit == "\\-") unit = "-"
	flag = "-"
	if (c[5] ~ /^\(derived\)/) flag = "derived"
	if (c[5] ~ /\(repeats\)$/) flag = "multi"
	printf "%s\t%s\t%s\t%s\t%s\n", name, c[2], unit, c[4], flag
}' "$MAN" >"$T/man"
cut -f1-5 "$T/reg" >"$T/reg5"
is_file "$T/man" "$T/reg5" "flowrec(5) FIELDS has exactly the registry's fields, types, units, idents"

# Every value name appears, as a word, in the "Value names" item of its field.
awk '
/^\.Ss / { invn = ($0 == ".Ss Value names") ; next }
/^\.S[hs] / { invn = 0 }
invn && /^\.It / { head = $0; sub(/^\.It "?/, "", head); sub(/"$/, "", head); next }
invn && head != "" { text[head] = text[head] " " $0 }
END { for (h in text) printf "%s\t%s\n", h, text[h] }' "$MAN" >"$T/vn"
missing=
while IFS='	' read -r field value name letter; do
	line=$(awk -F'\t' -v f="$field" '{ n = split($1, h, /, /); for (i = 1; i <= n; i++) if (h[i] == f) print $2 }' "$T/vn")
	case " $line " in
	*[" ,(;"]"$name"[" ,.;)"]*) ;;
	*) missing="$missing $field=$name" ;;
	esac
	if [ "$letter" != "-" ]; then
		case " $line " in
		*" $name $letter,"* | *" $name $letter:"*) ;;
		*) missing="$missing $field=$name/$letter" ;;
		esac
	fi
done <"$T/syms"
is "$missing" "" "flowrec(5) Value names has every value name of the registry"

# The Python reader's tables say the same as the registry.
/usr/bin/python3 - "$FK_ROOT" "$T/reg" "$T/syms" >"$T/py" 2>&1 <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1] + "/scripts")
import flowrec

reg = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
syms = {}
for l in open(sys.argv[3]):
    field, value, name, _ = l.rstrip("\n").split("\t")
    syms.setdefault(field, {})[int(value)] = name
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)

elems = {r[0] for r in reg if "." not in r[0] and r[4] != "derived"} & set(flowrec.ELEM_KEYS.values())
want(sorted(flowrec.ELEM_KEYS.values()) == sorted(elems), "element keys")
cols = [r[0].split(".", 1)[1] for r in reg if r[0].startswith("packets.")]
want(cols == flowrec.PKT_FIELDS, "PACKETS columns %s" % cols)
want({i: n for i, n in enumerate(flowrec.END_NAMES)} == syms["end"], "end reasons")
want({1 << i: n for i, n in enumerate(flowrec.FLAG_NAMES)} == syms["flags"], "flow flags")
want(flowrec.ENCAP_NAMES == syms["encap.kind"], "encap kinds")
for eid, tags in flowrec.META.items():
    ekey = flowrec.ELEM_KEYS[eid]
    ours = [r for r in reg if r[0].startswith(ekey + ".")]
    theirs = [(ekey + "." + tags[t][0], tags[t][1], tags[t][2], t) for t in sorted(tags)]
    want([(r[0], r[1], r[4] == "multi", int(r[6])) for r in ours] == theirs, ekey + " fields and tags")
print("\n".join(bad) if bad else "agree")
PYEOF
is "$(cat "$T/py")" "agree" "scripts/flowrec.py's names, types and tags agree with the registry"

done_testing
