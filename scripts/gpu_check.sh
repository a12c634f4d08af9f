#!/usr/bin/env bash
# GPU check: the CUDA tests on a real GPU, NVML energy of the SHA-256, Ed25519, CRC-32C and page-copy kernels
# beside the model (energy_model_check.csv), then the quick sweep of every hot path with the CPU baselines
# measured in the same process. Budget: under 8 minutes on one H100/H200 (240 + 90 + 140 s at most).
#   usage: scripts/gpu_check.sh [OUTPUT_DIR]      (default results/<device-tag>/)
# Needs: numba, numba-cuda, cupy, pandas, pytest, hypothesis, tqdm (the GPU image has them), and pynacl, pyblst, py_ecc,
# crc32c, wasmtime, cryptography, nvidia-ml-py (scripts/gpu_wheels.sh fetches those as wheels to carry). PYTHON=... picks
# the interpreter.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
export NUMBA_ENABLE_CUDASIM=0 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OUT=${1:-results/$($PY -c 'from kernels.measure import device_tag; print(device_tag())')}
mkdir -p "$OUT"
status=0

nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed" >>"$OUT/nvidia-smi.txt"
$PY -m kernels info 2>&1 | tee "$OUT/info.txt"

# CUDA tests: every test parametrised over numba_cuda or cupy, plus the nvcc compile tests.
timeout 240 $PY -m pytest -q -o addopts="" -p no:cacheprovider tests -k "numba_cuda or cupy or nvcc" 2>&1 \
  | tee "$OUT/pytest-cuda.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# NVML energy: the four kernels on cupy, windows of at least a second, idle subtracted; measured beside modeled.
timeout 90 $PY -m kernels.measure.gpu_energy "$OUT" --backends cupy --seconds 1.0 2>&1 | tee "$OUT/energy.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# Quick sweep: GPU backends beside the CPU baselines, rows + run.json into OUT (a sweep cut short keeps its rows).
timeout 140 $PY -m kernels sweep --profile quick --backends library,numba_cpu,numba_cuda,cupy \
  --hot-paths hashing,signatures,checksums,memory,ecdsa,bls --out "$OUT" 2>&1 \
  | tee "$OUT/sweep.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "gpu_check: results in $OUT (status $status)"
exit $status
