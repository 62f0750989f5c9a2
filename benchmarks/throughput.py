"""Training speed: ``python benchmarks/throughput.py [--epochs 3] [--precision auto]``.

The same as ``ssaae bench throughput``; see ``--help``.
"""

import sys

from ssaae.cli import main

if __name__ == "__main__":
    main(["bench", "throughput", *sys.argv[1:]])
