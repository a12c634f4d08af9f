"""Test set-up: numba.cuda runs on its CPU simulator unless a GPU run asks otherwise
(scripts/gpu_check.sh sets NUMBA_ENABLE_CUDASIM=0). Must happen before numba is imported."""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import shutil  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Hypothesis: the suite's fuzzing is derandomized by default, so CI sees the same examples on every run (a
# failure is a bug that reproduces, never the luck of a draw); HYPOTHESIS_PROFILE=explore draws fresh examples.
settings.register_profile("suite", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

from kernels import BACKENDS, backends_for  # noqa: E402


def available(operation: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """Backends that run `operation` here (the CUDA simulator counts), minus `exclude`."""
    return [b for b, reason in backends_for(operation).items() if reason is None and b not in exclude]


def backend_params(operation: str, exclude: tuple[str, ...] = ()):
    """pytest params for every backend; unavailable ones are skipped with their reason, never dropped silently."""
    params = []
    for backend, reason in backends_for(operation).items():
        if backend in exclude:
            continue
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(backend, marks=marks, id=backend))
    return params


needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not on PATH")
__all__ = ["BACKENDS", "available", "backend_params", "needs_nvcc"]
