"""``python -m ssaae``: the ``ssaae`` command, e.g. under ``torchrun --nproc-per-node 2 -m ssaae fit ...``."""

from .cli import main

main()
