"""Persistence per message: soft-dirty bits find exactly the written pages (or the test says why it cannot
run), the comparison finds the same pages on every CPU backend, one message's three methods agree and its
page delta holds exactly the written pages, bad heaps are refused, the checkpoint spreads linearly."""
import mmap

import numpy as np
import pytest

from kernels.memory import faults
from kernels.requests import persistence as P

PAGE = P.PAGE
NPAGES = 64
BACKENDS = ["library", "numba_cpu"]
SOFT_DIRTY_REASON = P.soft_dirty_unavailable_reason()
needs_soft_dirty = pytest.mark.skipif(SOFT_DIRTY_REASON is not None, reason=str(SOFT_DIRTY_REASON))


@pytest.fixture
def heap():
    """A page-aligned anonymous mmap region, every page present, no transparent huge pages (unmapped when the
    last view of it goes: pytest still holds the argument at teardown, so it cannot be closed there)."""
    region = mmap.mmap(-1, NPAGES * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        region.madvise(mmap.MADV_NOHUGEPAGE)
    array = np.frombuffer(region, dtype=np.uint8)
    array[:] = np.random.default_rng(0).integers(0, 256, array.size, dtype=np.uint8)
    return array


def page_sets():
    rng = np.random.default_rng(7)
    fixed = {"none": [], "first": [0], "last": [NPAGES - 1], "first_and_last": [0, NPAGES - 1],
             "all": list(range(NPAGES))}
    drawn = {f"random{i}": sorted(rng.choice(NPAGES, size=int(rng.integers(1, NPAGES)), replace=False).tolist())
             for i in range(4)}
    return [pytest.param(pages, id=name) for name, pages in {**fixed, **drawn}.items()]


def write(array: np.ndarray, pages) -> None:
    """Change one byte at a different offset of each page (so every page's bytes really change)."""
    for p in pages:
        offset = p * PAGE + (p * 97) % PAGE
        array[offset] ^= 0xFF


@pytest.fixture(scope="module")
def fault_costs():
    reason = faults.unavailable_reason()
    if reason:
        pytest.skip(reason)
    return faults.fault_costs(npages=256, repeats=2)


# --- soft-dirty -------------------------------------------------------------------------------------------

@needs_soft_dirty
@pytest.mark.parametrize("pages", page_sets())
def test_soft_dirty_finds_exactly_the_written_pages(heap, pages):
    with P.SoftDirty(heap) as tracker:
        tracker.clear()
        write(heap, pages)
        found = tracker.pages()
    assert found.dtype == np.int64
    assert found.tolist() == sorted(pages)


@needs_soft_dirty
def test_soft_dirty_skips_pages_never_touched():
    region = mmap.mmap(-1, 8 * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    array = np.frombuffer(region, dtype=np.uint8)
    with P.SoftDirty(array) as tracker:
        assert tracker.pages().size == 0  # a new mapping: its VMA is soft-dirty, but no page is present
        array[3 * PAGE] = 1
        assert tracker.pages().tolist() == [3]
    del array
    region.close()


def test_soft_dirty_unavailable_reason_is_a_string_or_none():
    assert SOFT_DIRTY_REASON is None or (isinstance(SOFT_DIRTY_REASON, str) and SOFT_DIRTY_REASON)


def test_decode_soft_dirty_needs_the_bit_on_a_mapped_page():
    sd, present, swapped = 1 << P.SOFT_DIRTY_BIT, 1 << P.PRESENT_BIT, 1 << P.SWAPPED_BIT
    entries = np.array([0, sd | present | 1234, present, sd, sd | swapped, swapped, sd | present], dtype="<u8")
    assert P.decode_soft_dirty(entries.tobytes()).tolist() == [1, 4, 6]
    assert P.decode_soft_dirty(entries).tolist() == [1, 4, 6]
    assert P.decode_soft_dirty(b"").dtype == np.int64


def test_clear_refs_cost_is_measured():
    try:
        result = P.clear_refs_cost(extra_mib=(0, 16), repeats=2)
    except OSError as err:
        pytest.skip(f"clear_refs not writable here: {err}")
    assert [p["extra_mib"] for p in result["points"]] == [0, 16]
    assert all(p["raw_s"] > 0 and p["net_s"] <= p["raw_s"] for p in result["points"])
    assert result["points"][1]["resident_mib"] > result["points"][0]["resident_mib"]


# --- comparison -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pages", page_sets())
def test_comparison_finds_the_written_pages_and_refreshes_the_image(heap, pages, backend):
    previous = heap.copy()
    write(heap, pages)
    result = P.compare_with_previous(previous, heap, backend)
    assert result["pages"].tolist() == sorted(pages)
    assert np.array_equal(previous, heap)
    assert result["seconds"] == pytest.approx(result["compare_s"] + result["refresh_previous_s"])


# --- one message ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pages", [[], [0, NPAGES - 1], [3, 5, 8, 13, 21, 34]], ids=["none", "ends", "fib"])
def test_message_persistence_agrees_and_fills_the_delta(heap, pages, backend, fault_costs):
    expected = heap.copy()
    write(expected, pages)
    result = P.message_persistence(heap, lambda: write(heap, pages), backend=backend, fault_costs=fault_costs)
    assert result["agree"] and result["dirty_pages"] == len(pages)
    assert result["pages"].tolist() == result["comparison"]["pages"].tolist() == sorted(pages)
    assert result["faults"]["pages"].tolist() == sorted(pages)
    soft = result["soft_dirty"]
    if SOFT_DIRTY_REASON is None:
        assert soft["available"] and soft["pages"].tolist() == sorted(pages)
        assert soft["clear"]["net_s"] <= soft["clear"]["raw_s"]
    else:
        assert soft == {"available": False, "unavailable_reason": SOFT_DIRTY_REASON, "pages": None}
    faults_model = result["faults"]
    assert faults_model["seconds"] == pytest.approx(
        fault_costs["mprotect_all_s_per_page"] * NPAGES + fault_costs["protect_fault_s_per_page"] * len(pages))
    delta = result["delta"].reshape(-1, PAGE)
    written = np.zeros(NPAGES, bool)
    written[pages] = True
    assert np.array_equal(delta[written], expected.reshape(-1, PAGE)[written])
    assert not delta[~written].any()
    assert result["page_delta"]["seconds"] >= 0 and result["page_delta"]["bytes"] == len(pages) * PAGE


def test_message_persistence_accumulates_into_a_given_delta(heap):
    figures = {"mprotect_all_s_per_page": 1e-8, "protect_fault_s_per_page": 1e-6, "pages": 1, "repeats": 1}
    delta = np.zeros_like(heap)
    P.message_persistence(heap, lambda: write(heap, [1]), delta=delta, fault_costs=figures)
    P.message_persistence(heap, lambda: write(heap, [2]), delta=delta, fault_costs=figures)
    assert np.flatnonzero(delta.reshape(-1, PAGE).any(1)).tolist() == [1, 2]
    assert np.array_equal(delta[PAGE:3 * PAGE], heap[PAGE:3 * PAGE])


def bad_heaps(heap):
    return {"unaligned": heap[1:1 + 2 * PAGE], "wrong_dtype": heap.view(np.uint32),
            "two_d": heap.reshape(-1, PAGE), "not_a_page_multiple": heap[:PAGE + 8], "empty": heap[:0],
            "list": [0] * PAGE}


@pytest.mark.parametrize("name", ["unaligned", "wrong_dtype", "two_d", "not_a_page_multiple", "empty", "list"])
def test_bad_heaps_are_refused(heap, name):
    bad = bad_heaps(heap)[name]
    with pytest.raises(ValueError):
        P.SoftDirty(bad)
    with pytest.raises(ValueError):
        P.message_persistence(bad, lambda: None, fault_costs={})


def test_bad_delta_is_refused(heap):
    with pytest.raises(ValueError, match="delta"):
        P.message_persistence(heap, lambda: None, delta=np.zeros(PAGE, np.uint8), fault_costs={})


# --- checkpoint spread ------------------------------------------------------------------------------------

def test_checkpoint_spread_is_linear_in_bytes_and_divides_by_rounds_and_messages():
    one = P.checkpoint_cost_per_round(1 << 30, 10, bytes_per_s=1e9)
    two = P.checkpoint_cost_per_round(2 << 30, 10, bytes_per_s=1e9)
    assert P.CHECKPOINT_ROUNDS == 500 and one["rounds"] == 500
    assert one["per_message_s"] == pytest.approx((1 << 30) / 1e9 / (500 * 10))
    assert two["per_message_s"] == pytest.approx(2 * one["per_message_s"])
    more = P.checkpoint_cost_per_round(1 << 30, 40, bytes_per_s=1e9)
    assert more["per_message_s"] == pytest.approx(one["per_message_s"] / 4)
    assert P.checkpoint_cost_per_round(0, 1, bytes_per_s=1e9)["per_message_s"] == 0
    assert not one["rate_measured_here"]


def test_checkpoint_rate_is_measured_on_disk(tmp_path, heap):
    sample = heap.reshape(-1, PAGE)[[0, 5, 9]]
    result = P.checkpoint_cost_per_round(1 << 20, 1, sample=sample, directory=str(tmp_path))
    assert result["rate_measured_here"] and result["bytes_per_s"] > 0
    assert result["checkpoint_s"] == pytest.approx((1 << 20) / result["bytes_per_s"])
    assert list(tmp_path.iterdir()) == []  # the temporary directory is gone


def test_checkpoint_bad_input():
    with pytest.raises(ValueError):
        P.checkpoint_cost_per_round(-1, 1, bytes_per_s=1e9)
    with pytest.raises(ValueError):
        P.checkpoint_cost_per_round(1, 0, bytes_per_s=1e9)
    with pytest.raises(ValueError):
        P.checkpoint_cost_per_round(1, 1, bytes_per_s=0)
