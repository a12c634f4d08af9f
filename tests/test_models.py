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


