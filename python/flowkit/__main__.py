"""python3 -m flowkit [-a] [-H] [-p] [-x] [FILE...]: flows as JSON Lines (flowkit.flowrec)."""
import sys

from .flowrec import main

sys.argv[0] = "flowkit"
sys.exit(main())
