"""Fault timing in a child process: real numbers, exactly the written pages recorded, a stray fault ends
only the child; the IC-shaped dirty patterns; the tracking-vs-compare break-even model."""
import numpy as np
import pytest

from kernels import datasets
from kernels.memory import faults, workloads
from kernels.memory.prediction import tracking_break_even_dirty_ratio

pytestmark = pytest.mark.skipif(faults.unavailable_reason() is not None, reason=str(faults.unavailable_reason()))


@pytest.mark.parametrize("stride", [1, 3])
def test_fault_costs_are_measured_and_recorded(stride):
    result = faults.fault_costs(npages=256, repeats=2, stride=stride)
    assert result["handler_recorded_exactly_the_written_pages"] is True
    assert result["pages_written"] == len(range(0, 256, stride))
    # a fault enters the kernel and a signal handler: far dearer than a store to a mapped page
    assert result["protect_fault_s_per_page"] > 10 * result["store_s_per_page"] > 0
    assert result["first_touch_s_per_page"] > 0 and result["mprotect_all_s_per_page"] > 0


def test_fault_outside_region_ends_only_the_child():
    with pytest.raises(RuntimeError, match="outside the tracked region"):
        faults.fault_costs(npages=16, repeats=1, outside=True)
    assert faults.fault_costs(npages=16, repeats=1)["handler_recorded_exactly_the_written_pages"]


def test_fault_costs_bad_input():
    with pytest.raises(ValueError, match="positive"):
        faults.fault_costs(npages=0)


def test_break_even_dirty_ratio_known_answers_and_clipping():
    assert tracking_break_even_dirty_ratio(10e-6, 0.1e-6, 0.3e-6) == pytest.approx(0.02)
    assert tracking_break_even_dirty_ratio(1e-6, 1e-6, 0.5e-6) == 0.0  # protecting alone costs more
    assert tracking_break_even_dirty_ratio(1e-6, 0.0, 5e-6) == 1.0
    with pytest.raises(ValueError):
        tracking_break_even_dirty_ratio(0.0, 0.0, 1.0)


@pytest.mark.parametrize("pattern", workloads.DIRTY_PATTERNS)
def test_dirty_page_sets(pattern):
    for npages, count in ((1000, 0), (1000, 1), (1000, 37), (1000, 1000), (300, 299)):
        pages = workloads.dirty_page_set(pattern, npages, count, seed=3)
        assert pages.dtype == np.int64 and pages.size == count
        assert np.all(np.diff(pages) > 0) and (count == 0 or (pages[0] >= 0 and pages[-1] < npages))
        np.testing.assert_array_equal(pages, workloads.dirty_page_set(pattern, npages, count, seed=3))


def test_pattern_shapes():
    clustered = workloads.dirty_page_set("clustered", 100_000, 2000, seed=1)
    sparse = workloads.dirty_page_set("sparse", 100_000, 2000, seed=1)
    runs = lambda p: 1 + int(np.count_nonzero(np.diff(p) != 1))  # noqa: E731
    assert runs(clustered) < runs(sparse) / 5
    stack = workloads.dirty_page_set("stack", 100_000, 100, seed=1)
    np.testing.assert_array_equal(stack, np.arange(workloads.STACK_PAGES - 100, workloads.STACK_PAGES))


def test_written_image_and_ic_round_shape():
    before = workloads.heap_image(64 * 4096, seed=2)
    pages = np.array([0, 5, 63])
    after = workloads.written_image(before, pages, seed=4)
    np.testing.assert_array_equal(np.flatnonzero((before != after).reshape(-1, 4096).any(1)), pages)
    assert workloads.round_dirty_pages(workloads.HEAP_MAX_BYTES) * 4096 == workloads.ROUND_DIRTY_MAX_BYTES
    assert workloads.round_dirty_pages(1 << 20) == 4  # 1.83 % of 256 pages


def test_checkpoint_accumulation_grows_to_the_union():
    union, growth = workloads.checkpoint_accumulation("sparse", 4096, 75, rounds=40, seed=5)
    sets = workloads.round_page_sets("sparse", 4096, 75, rounds=40, seed=5)
    np.testing.assert_array_equal(union, np.unique(np.concatenate(sets)))
    assert growth[0] == sets[0].size and growth[-1] == union.size and np.all(np.diff(growth) >= 0)
    assert union.size < 40 * 75  # the hot half repeats every round
    with pytest.raises(ValueError, match="unknown pattern"):
        workloads.dirty_page_set("zipf", 10, 1)
    with pytest.raises(ValueError, match="count"):
        workloads.dirty_page_set("sparse", 10, 11)


def test_dirty_pattern_dataset_matches_manifest(tmp_path):
    name = "dirty_pages_256MiB.npz"
    generated = datasets.write_datasets(tmp_path, [name])
    assert datasets.check_against_manifest(generated) == []
    with np.load(tmp_path / name) as f:
        assert f["sparse_round"].size == workloads.round_dirty_pages(256 << 20)
        assert f["stack_checkpoint_growth"].size == workloads.CHECKPOINT_ROUNDS
