"""Models shared by the hot paths: the break-even formula."""
import math

import pytest

from kernels import models


def test_break_even_formula():
    # t0 = 10 us, CPU 1 M/s, accelerator 100 M/s, 100 B moved at 10 GB/s: saving 1e-6 - 1e-8 - 1e-8 per item
    n = models.break_even_batch(10e-6, 1e6, 1e8, 64, 36, 10e9)
    assert n == pytest.approx(10e-6 / (1e-6 - 1e-8 - 1e-8))


def test_no_break_even_when_bus_is_slower_than_cpu():
    # a checksum at 10 GB/s per core against a 35 GB/s bus moving the whole buffer: never pays
    assert math.isinf(models.break_even_batch(5e-6, 10e9 / 4096, 1e12 / 4096, 4096, 4, 1e9))


def test_break_even_rejects_nonpositive_rates():
    with pytest.raises(ValueError):
        models.break_even_batch(1e-6, 0, 1, 1, 1, 1)


def test_amdahl_on_a_worked_example():
    # 1 ms of rest, 3 ms of signatures made 3x faster: (1 + 3) / (1 + 1) = 2
    assert models.amdahl({"signatures": 3e-3}, 1e-3, {"signatures": 3.0}) == pytest.approx(2.0)
    assert models.amdahl({"signatures": 3e-3}, 1e-3, {"signatures": float("inf")}) == pytest.approx(4.0)


def test_node_estimate_takes_the_better_accelerator_and_multiplies_the_cache():
    rows = {r["accelerators"]: r["relative requests per second"] for r in models.node_estimate(
        {"sig": 2.0, "hash": 1.0}, 1.0, {"simd": {"sig": 2.0}, "gpu": {"sig": 4.0}, "caching": {"sig": 2.0}})}
    assert rows["none (today's CPU node)"] == pytest.approx(1.0)
    assert rows["simd + gpu"] == pytest.approx(4.0 / (1.0 + 1.0 + 0.5))  # the GPU's 4x, not 2 x 4
    assert rows["gpu + caching"] == pytest.approx(4.0 / (1.0 + 1.0 + 0.25))  # the cache multiplies
