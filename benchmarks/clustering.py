"""Unsupervised clusters against the classes: ``python benchmarks/clustering.py [--dataset mnist]``.

The same as ``ssaae bench clustering``; see ``--help`` and ``benchmarks/README.md``.
"""

import sys

from ssaae.cli import main

if __name__ == "__main__":
    main(["bench", "clustering", *sys.argv[1:]])
