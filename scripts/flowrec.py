#!/usr/bin/env python3
"""flowrec.py - the flowrec reader of the flowkit Python package, from a checkout.

The code lives in python/flowkit/flowrec.py (installed by `make install` as
flowkit.flowrec); this file keeps the old name working, as a command
(`flowrec.py -h`) and as a module (`import flowrec`) with the same names.
"""

import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(_ROOT, "python"))

import flowkit.flowrec as _impl  # noqa: E402

# Every name of the module, its tables included (tests/field.t reads them).
globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
__all__ = _impl.__all__

if __name__ == "__main__":
    sys.exit(_impl.main())
