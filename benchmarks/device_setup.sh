# Sourced by the device scripts: install the project on a lent GPU machine, where no package index
# answers (hence no build isolation) and `pip` may belong to another Python than the one with torch
# (hence an `ssaae` of our own, run by that `python`, first on the PATH).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python -m pip install --no-deps --no-build-isolation -q -e . || export PYTHONPATH="$PWD"
mkdir -p build/bin
printf '#!/bin/sh\nexec python -m ssaae "$@"\n' >build/bin/ssaae
chmod +x build/bin/ssaae
export PATH="$PWD/build/bin:$PATH" SSAAE_DATA_DIR=data
nvidia-smi --query-gpu=name,memory.total --format=csv >"$OUT/gpu.txt" 2>&1
