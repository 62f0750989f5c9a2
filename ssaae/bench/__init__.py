"""The benchmarks behind ``ssaae bench``: label efficiency, clustering and training speed, with the
baselines they measure against. They import the library; nothing in the library imports them."""
