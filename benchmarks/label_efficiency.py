"""Test error against the number of labels: ``python benchmarks/label_efficiency.py [--dataset mnist]``.

The same as ``ssaae bench label-efficiency``; see ``--help`` and ``benchmarks/README.md``.
"""

import sys

from ssaae.cli import main

if __name__ == "__main__":
    main(["bench", "label-efficiency", *sys.argv[1:]])
