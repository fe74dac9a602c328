"""fktap.py - TAP for the Python parts of the tests (tests/python*.t).

    sys.path.insert(0, "tests"); from fktap import ok, skip, done
    ok(cond, "description", diagnostics...); skip("description", "why"); done()
"""
import sys

_n = [0, 0]          # tests, failures


def ok(cond, desc, *diag):
    _n[0] += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", _n[0], desc))
    if not cond:
        _n[1] += 1
        for d in diag:
            for line in str(d).splitlines()[:30]:
                sys.stderr.write("# %s\n" % line)
    sys.stdout.flush()
    return cond


def skip(desc, why):
    _n[0] += 1
    print("ok %d - %s # SKIP %s" % (_n[0], desc, why))


def done():
    """Print the plan and exit: 1 when a test failed."""
    print("1..%d" % _n[0])
    sys.exit(1 if _n[1] else 0)
