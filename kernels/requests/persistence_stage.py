"""The persistence stage as rows: the pages one update dirtied in its canister's heap are written again into a
heap of the same size, and kernels.requests.persistence times finding them (write-protect faults: the
replica's method, measured per page; comparison; soft-dirty bits where the kernel has them), copying them into
the round's page delta, and the checkpoint's disk write spread over its rounds.
"""
from __future__ import annotations

import mmap

import numpy as np

from .persistence import PAGE, checkpoint_cost_per_round, message_persistence
from .stages import derived_row


def _heap(nbytes: int) -> tuple[mmap.mmap, np.ndarray]:
    region = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return region, np.frombuffer(region, dtype=np.uint8)


def _fault_seconds(result: dict, resident_pages: int) -> float:
    """mprotect over the heap's resident pages (the page-table entries it changes) + one fault per dirty page."""
    figures = result["faults"]["figures"]
    return figures["mprotect_all_s_per_page"] * resident_pages + figures["protect_fault_s_per_page"] * \
        result["dirty_pages"]


def _detection_costs(result: dict, resident_pages: int) -> dict[str, float]:
    costs = {"write-protect faults": _fault_seconds(result, resident_pages),
             f"comparison ({result['comparison']['backend']})": result["comparison"]["seconds"]}
    if result["soft_dirty"]["available"]:
        costs["soft-dirty bits"] = result["soft_dirty"]["seconds_with_write_faults"]
    return costs


def delta_rows(workload: str, kind: str, heap_bytes: int, pages_per_message: int, messages_per_round: int,
               note: str) -> list:
    """The page-delta copy as the replica does it, once per round for the round's pages (here: distinct random
    pages of a heap of the same size, `pages_per_message` per message), library and numba_cpu interleaved;
    per message, the round's copy over the round's messages."""
    from ..memory import copy_pages
    from .stages import Candidate, rows_for

    region, heap = _heap(heap_bytes)
    try:
        heap[::PAGE] = 1  # every page mapped, as a live heap's are
        delta = np.zeros_like(heap)
        count = min(max(pages_per_message, 1) * messages_per_round, heap.size // PAGE)
        round_pages = np.sort(np.random.default_rng(0).choice(heap.size // PAGE, count, replace=False))
        messages = count / max(pages_per_message, 1)  # the messages whose pages this round copies
        found = rows_for("page delta copy", "persistence", workload, kind, [
            Candidate("library", "library", lambda: copy_pages(heap, delta, round_pages, backend="library"),
                      int(messages), per_item_latency=False),
            Candidate("numba_cpu", "numba_cpu", lambda: copy_pages(heap, delta, round_pages, backend="numba_cpu"),
                      int(messages), cores=_threads(), per_item_latency=False)], repeats=3,
            note=f"{note}; one copy per round of {count:,} pages")
        return [r if pages_per_message else _zero(r) for r in found]
    finally:
        del heap, delta
        region.close()


def _zero(row):
    from dataclasses import replace

    return replace(row, core_s_per_request=0.0, core_s_p25=0.0, core_s_p75=0.0, note=row.note + "; no page dirtied")


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def persistence_rows(workload: str, kind: str, dirty: dict, messages_per_round: int) -> list:
    """Rows for finding and saving the pages of one update (`dirty`: heap_bytes and the page indices)."""
    region, heap = _heap(dirty["heap_bytes"])
    pages = dirty["pages"]
    stamp = iter(range(1, 1 << 30))

    def message():
        heap[pages * PAGE] = next(stamp) & 0xFF
    try:
        results = {b: message_persistence(heap, message, backend=b) for b in ("library", "numba_cpu")}
    finally:
        del heap
        region.close()
    note = (f"{pages.size} dirty page(s) of a {dirty['heap_bytes'] >> 20} MiB heap with {dirty['resident_pages']} "
            "pages in use")
    resident = dirty["resident_pages"]
    found = {**_detection_costs(results["library"], resident), **_detection_costs(results["numba_cpu"], resident)}
    best_method = min(found, key=found.get)
    soft = results["library"]["soft_dirty"]
    soft_note = "" if soft["available"] else f"; soft-dirty unavailable here: {soft['unavailable_reason']}"
    rows = [derived_row("dirty page tracking", "persistence", workload, kind, "library", "write-protect faults",
                        found["write-protect faults"], note + "; the replica's method (mprotect + a fault per page, "
                        "measured per page in a child process)" + soft_note),
            derived_row("dirty page tracking", "persistence", workload, kind, "best", best_method,
                        found[best_method], note + "; fastest of " + ", ".join(sorted(found)) + soft_note)]
    rows += delta_rows(workload, kind, dirty["heap_bytes"], int(pages.size), messages_per_round, note)
    checkpoint = checkpoint_cost_per_round(int(pages.size) * PAGE * messages_per_round, messages_per_round)
    rows.append(derived_row("checkpoint share", "persistence", workload, kind, "library", "os.write+fsync",
                            checkpoint["per_message_s"], f"{note}; every dirty page written once at the checkpoint "
                            f"(an upper bound: repeated pages are written once), disk "
                            f"{checkpoint['bytes_per_s'] / 1e9:.2f} GB/s measured, over {checkpoint['rounds']} rounds"))
    return rows
