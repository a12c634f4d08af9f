"""The staged device bases (buffers allocated once, transfers owned by the base) and the target runner."""
import numpy as np
import pytest
from numba import cuda  # conftest has chosen the simulator or a GPU before this import

from kernels import BackendUnavailable, devices
from kernels.targets import Candidate, run_target, write_target

OPENCL_ADD_ONE = """__kernel void add_one(__global const uint *a, __global uint *b) {
    size_t i = get_global_id(0); b[i] = a[i] + 1; }"""


def _opencl_staged():
    import pyopencl as cl

    from kernels import devices
    from kernels.measure.staged import OpenCLStaged

    kernel = cl.Kernel(cl.Program(devices.opencl_queue().context, OPENCL_ADD_ONE).build(), "add_one")

    class AddOne(OpenCLStaged):
        def __init__(self, a):
            super().__init__(inputs={"a": a}, outputs={"b": np.empty_like(a)})
            self.n = a.size

        def launch(self):
            if self.n:
                kernel(self.queue, (self.n,), None, self.dev["a"], self.dev["b"])

    return AddOne


@cuda.jit
def add_one(a, b):
    i = cuda.grid(1)
    if i < a.size:
        b[i] = a[i] + 1


def _numba_cuda_staged():
    from kernels.measure.staged import NumbaCudaStaged

    class AddOne(NumbaCudaStaged):
        def __init__(self, a, pinned=False):
            super().__init__(inputs={"a": a}, outputs={"b": np.empty_like(a)}, pinned=pinned)
            self.n = a.size

        def launch(self):
            if self.n:
                add_one[(self.n + 31) // 32, 32](self.dev["a"], self.dev["b"])

    return AddOne


def _device(*names):
    """pytest params for device backends, skipped with their reason where they cannot run here."""
    return [pytest.param(b, id=b, marks=[pytest.mark.skip(reason=devices.unavailable_reason(b))]
                         if devices.unavailable_reason(b) else []) for b in names]


def _staged_class(backend):
    return {"opencl": _opencl_staged, "numba_cuda": _numba_cuda_staged}[backend]()


@pytest.mark.parametrize("backend", _device("opencl", "numba_cuda"))
def test_staged_base_allocates_once_and_moves_data_in_each_phase(backend):
    AddOne = _staged_class(backend)
    a = np.arange(100, dtype=np.uint32)
    staged = AddOne(a)
    buffers = dict(staged.dev)
    assert np.array_equal(staged.run(), a + 1)
    a += 10  # new host data: h2d must copy it again, into the same device buffers
    staged.h2d()
    staged.kernel()
    assert np.array_equal(staged.d2h(), a + 1)
    assert all(staged.dev[k] is v for k, v in buffers.items())
    assert AddOne(a[:0]).run().size == 0


@pytest.mark.parametrize("backend", _device("numba_cuda"))
def test_pinned_staging_gives_the_same_result(backend):
    AddOne = _staged_class(backend)
    a = np.arange(64, dtype=np.uint32)
    assert np.array_equal(AddOne(a, pinned=True).run(), a + 1)


@pytest.mark.parametrize("backend", _device("opencl"))
def test_opencl_buffer_above_the_device_limit_is_unavailable_with_the_reason(backend, monkeypatch):
    from kernels.measure.staged import OpenCLStaged

    AddOne = _staged_class(backend)
    monkeypatch.setattr(OpenCLStaged, "_limit", lambda self: 64, raising=False)
    with pytest.raises(BackendUnavailable, match="largest allocation"):
        AddOne(np.zeros(1000, np.uint32))


def test_run_target_interleaves_checks_and_picks_the_best_end_to_end(tmp_path):
    import time

    import pandas as pd

    calls = []
    expected = [1, 2, 3]
    result = run_target(
        "unit", "sha256", ("slow_loop()", lambda: (calls.append("b"), time.sleep(0.004), expected)[2]),
        {"fast": Candidate(lambda: (calls.append("f"), expected)[1], kernel=lambda: expected),
         "gone": BackendUnavailable("no device")},
        check=lambda out: out == expected, items=3, unit="items", goal_ratio=2.0, min_seconds=0.0, min_rounds=3)
    assert result.candidate == "fast" and result.ratio > 2.0 and result.met and result.checked
    assert result.kernel_ratio > 1.0 and result.repeats == 3 and result.interleaved
    assert result.unavailable == {"gone": "no device"}
    assert "kernel-only" in result.markdown() and "did not run (no device)" in result.markdown()
    assert calls == ["f"] + ["b", "f"] * 4  # the check, one warm-up round, three timed rounds in turns
    write_target(result, tmp_path, "run1", "tag")
    row = pd.read_csv(tmp_path / "targets.csv").iloc[0]
    assert (row.target, row.candidate, bool(row.met), bool(row.checked)) == ("unit", "fast", True, True)


def test_run_target_refuses_a_wrong_candidate():
    with pytest.raises(AssertionError, match="wrong result"):
        run_target("unit", "sha256", ("base()", lambda: 1), {"bad": Candidate(lambda: 2)},
                   check=lambda out: out == 1, items=1, unit="items", goal_ratio=1.0, min_seconds=0.0)
