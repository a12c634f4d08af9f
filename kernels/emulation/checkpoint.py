"""A crash-consistent page store on a persistent region: each page has two slots and a manifest entry per slot
(epoch, the page's SHA-256, a CRC-32C of the entry). A new version goes to the slot that does not hold the
newest one, is persisted, and only then is its manifest entry written and persisted, so a crash at any point
leaves the newest persisted version intact. Recovery keeps, per page, the slot with the highest epoch whose
entry checks (CRC-32C) and whose bytes hash to the entry's SHA-256: torn or corrupt bytes are never accepted,
and a page whose newest slot was rejected is reported as rolled back, never silently.

The hashes and checks are the suite's own kernels (`hashing.sha256_batch`, `checksums.checksum_batch`).
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import checksums, hashing
from .nvm import PersistentRegion

MAGIC = b"ICPAGES1"
HEADER = struct.Struct("<8sQQ")  # magic, pages, page size
ENTRY = struct.Struct("<QII32s")  # epoch, page, slot, SHA-256 of the slot's bytes; then a CRC-32C of these 48 bytes
ENTRY_BYTES = 64  # one cache line: an entry is written back whole
HEADER_BYTES = 4096


def _round_up(n: int, to: int = 4096) -> int:
    return -(-n // to) * to


@dataclass
class Recovered:
    """The state a recovery found: per page its bytes, epoch, slot and status ("ok", "rolled-back": a newer
    slot was rejected, "lost": no slot checks), and how many slots were rejected (torn or corrupt)."""

    pages: np.ndarray
    epochs: np.ndarray
    slots: np.ndarray
    status: np.ndarray
    rejected: int


class PageStore:
    """`npages` pages of `page_size` bytes, two slots each, on a PersistentRegion (see the module docstring)."""

    def __init__(self, region: PersistentRegion, npages: int, page_size: int = 4096, backend: str = "library"):
        if npages <= 0 or page_size <= 0 or page_size % 64:
            raise ValueError("npages must be positive and page_size a positive multiple of 64")
        if region.size < self.layout_bytes(npages, page_size):
            raise ValueError(f"region of {region.size} bytes is smaller than the store "
                             f"({self.layout_bytes(npages, page_size)} bytes)")
        self.region, self.npages, self.page_size, self.backend = region, npages, page_size, backend
        self.entries_at = HEADER_BYTES
        self.slots_at = HEADER_BYTES + _round_up(npages * 2 * ENTRY_BYTES)
        self.active = np.zeros(npages, np.int64)  # the slot holding each page's newest version
        self.epochs = np.zeros(npages, np.int64)

    @staticmethod
    def layout_bytes(npages: int, page_size: int = 4096) -> int:
        return _round_up(HEADER_BYTES + _round_up(npages * 2 * ENTRY_BYTES) + npages * 2 * page_size)

    def slot_offset(self, page: int, slot: int) -> int:
        return self.slots_at + (page * 2 + slot) * self.page_size

    def entry_offset(self, page: int, slot: int) -> int:
        return self.entries_at + (page * 2 + slot) * ENTRY_BYTES

    # --- writing ---------------------------------------------------------------------------------------------------
    def format(self, pages: np.ndarray) -> None:
        """Write every page as epoch 1 in slot 0, the other slots empty, and persist the whole store."""
        pages = self._check_pages(pages, self.npages)
        self.region.store(0, np.frombuffer(HEADER.pack(MAGIC, self.npages, self.page_size), np.uint8))
        empty = np.zeros(ENTRY_BYTES * 2 * self.npages, np.uint8)
        self.region.store(self.entries_at, empty)
        digests = hashing.sha256_batch(pages, backend=self.backend)
        for p in range(self.npages):
            self.region.store(self.slot_offset(p, 0), pages[p])
            self.region.store(self.entry_offset(p, 0), self._entry(1, p, 0, digests[p]))
        self.region.persist()
        self.active[:], self.epochs[:] = 0, 1

    def write_page(self, page: int, data: np.ndarray, epoch: int) -> None:
        """A new version of one page, durable when this returns: data to the free slot, persist; entry, persist."""
        if not 0 <= page < self.npages:
            raise ValueError(f"page {page} outside [0, {self.npages})")
        if epoch <= self.epochs[page]:
            raise ValueError(f"epoch {epoch} must exceed the page's epoch {self.epochs[page]}")
        data = self._check_pages(np.asarray(data, np.uint8).reshape(1, -1), 1)[0]
        slot = 1 - int(self.active[page])
        digest = hashing.sha256_batch([data], backend=self.backend)[0]
        self.region.store(self.slot_offset(page, slot), data)
        self.region.persist(self.slot_offset(page, slot), self.page_size)
        self.region.store(self.entry_offset(page, slot), self._entry(epoch, page, slot, digest))
        self.region.persist(self.entry_offset(page, slot), ENTRY_BYTES)
        self.active[page], self.epochs[page] = slot, epoch

    def checkpoint(self, pages: np.ndarray, data: np.ndarray, epoch: int,
                   on_durable: Callable[[int], None] | None = None) -> None:
        """Write new versions of `pages` (rows of `data`) one by one; `on_durable(page)` after each is durable."""
        for page, row in zip(np.asarray(pages, np.int64), data):
            self.write_page(int(page), row, epoch)
            if on_durable is not None:
                on_durable(int(page))

    # --- recovery ----------------------------------------------------------------------------------------------------
    def recover(self) -> Recovered:
        """Read the media (what survived), check every slot against its manifest entry, keep the newest valid one."""
        media = self.region.media
        self.region.loaded(self.region.size - self.entries_at, 2)
        raw = media[self.entries_at:self.entries_at + self.npages * 2 * ENTRY_BYTES].reshape(-1, ENTRY_BYTES)
        crc_ok = checksums.checksum_batch("crc32c", list(raw[:, :ENTRY.size]), backend=self.backend) == \
            raw[:, ENTRY.size:ENTRY.size + 4].copy().view("<u4").ravel()
        slots = media[self.slots_at:self.slots_at + self.npages * 2 * self.page_size].reshape(-1, self.page_size)
        digests = hashing.sha256_batch(slots, backend=self.backend)
        parsed = [ENTRY.unpack(bytes(row[:ENTRY.size])) for row in raw]
        pages = np.zeros((self.npages, self.page_size), np.uint8)
        epochs, chosen = np.zeros(self.npages, np.int64), np.full(self.npages, -1, np.int64)
        status = np.full(self.npages, "lost", dtype=object)
        rejected = 0
        for p in range(self.npages):
            best, newest_rejected = -1, 0
            for s in (0, 1):
                i = 2 * p + s
                epoch, page, slot, sha = parsed[i]
                if epoch == 0 and not raw[i].any():
                    continue  # an empty slot
                valid = crc_ok[i] and page == p and slot == s and sha == digests[i].tobytes()
                if not valid:
                    rejected += 1
                    newest_rejected = max(newest_rejected, epoch if crc_ok[i] else np.iinfo(np.int64).max)
                elif best < 0 or epoch > epochs[p]:
                    best, epochs[p] = s, epoch
            if best >= 0:
                chosen[p] = best
                pages[p] = slots[2 * p + best]
                status[p] = "rolled-back" if newest_rejected > epochs[p] else "ok"
        self.active[:] = np.where(chosen >= 0, chosen, 0)
        self.epochs[:] = epochs
        return Recovered(pages, epochs, chosen, status, rejected)

    # --- helpers -------------------------------------------------------------------------------------------------
    def _entry(self, epoch: int, page: int, slot: int, digest: np.ndarray) -> np.ndarray:
        body = ENTRY.pack(epoch, page, slot, bytes(digest))
        crc = int(checksums.checksum_batch("crc32c", [body], backend=self.backend)[0])
        return np.frombuffer(body + struct.pack("<I", crc) + bytes(ENTRY_BYTES - ENTRY.size - 4), np.uint8)

    def _check_pages(self, pages: np.ndarray, count: int) -> np.ndarray:
        pages = np.asarray(pages)
        if pages.dtype != np.uint8 or pages.shape != (count, self.page_size):
            raise ValueError(f"pages must be a uint8 array of shape ({count}, {self.page_size}), got "
                             f"{pages.dtype} {pages.shape}")
        return pages
