#!/usr/bin/env bash
# Wheels the GPU image lacks (it has numba, numba-cuda, cupy, pandas, pytest, hypothesis, tqdm), fetched here
# into .whl/ for Python 3.12 x86-64, to be carried to the device machine (see the device tool's README):
#   scripts/gpu_wheels.sh        # here, once
#   device run, carry [".whl"]:
#     python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
#       .whl/*.whl && export PYTHONPATH=/tmp/site && bash scripts/gpu_check.sh $OUT/gpu
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
mkdir -p .whl
platforms=()
for n in 17 24 27 28 31 34; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux1_x86_64)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" -d .whl pynacl==1.6.2 cffi==2.0.0 pycparser==3.0 crc32c==2.9.post0 wasmtime==50.0.1 \
  cryptography==50.0.2 nvidia-ml-py==13.615.71 coincurve==21.0.0 pyblst==0.3.15 py_ecc==8.0.0 eth-utils==6.0.0 \
  eth-typing==6.0.0 eth-hash==0.8.0 cytoolz==1.2.0 toolz==1.2.0 pydantic==2.14.4 pydantic_core==2.50.5 \
  annotated-types==0.8.0 typing-inspection==0.4.5
ls -la .whl
