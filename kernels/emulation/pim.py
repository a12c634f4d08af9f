"""The near-memory emulator: data partitioned into banks, the suite's own kernel run per bank (functional
execution, checked against the library on the whole data), and time and energy charged by a PimProfile from
the operations and bytes each bank counted, host transfers included.

Per bank: instructions run at `clock_hz x instructions_per_cycle` once `pipeline_threads` independent items
(tasklets) are in flight, and proportionally slower with fewer (one SHA-256 chunk is one serial chain);
MRAM<->WRAM DMA of `dma_bytes` pieces costs `alpha + beta x bytes` cycles each and overlaps with compute, so a
bank takes max(instruction time, DMA time). The system takes the slowest bank, plus the host's transfers in
and out at the per-rank rate, ranks in parallel. Energy: instructions, DMA bytes and host bytes times their
joules (modeled; kernels/emulation/profiles.py gives the sources).

Instruction counts per item are derived from the algorithms (FIPS 180-4 for SHA-256, the table-driven CRC,
word compares and DMA copies) for a 32-bit in-order core; they are estimates of ours, not measurements.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import checksums, hashing, memory
from ..hashing.prediction import ROUND_OPS, SCHEDULE_OPS, sha256_blocks
from .profiles import PimProfile

KERNELS = ("sha256_chunks", "crc32c", "dirty_pages", "copy_pages")

SHA256_INSTRUCTIONS_PER_BLOCK = 64 * ROUND_OPS + 48 * SCHEDULE_OPS + 16 + 8  # rounds, schedule, 16 word loads, 8 adds
CRC32C_INSTRUCTIONS_PER_BYTE = 8  # derived: load byte, xor, and, index shift, table load, shift, xor, loop step
COMPARE_INSTRUCTIONS_PER_WORD = 4  # derived: two 64-bit loads, xor, or-accumulate per 8-byte word (loop unrolled)
DMA_INSTRUCTIONS = 4  # derived: address arithmetic and the ldma/sdma issue per DMA transfer
WRAM_BYTES = {  # working set per tasklet (derived from the algorithms) and tasklets assumed (16 fill the pipeline)
    "sha256_chunks": 64 + 256 + 32 + 256,  # block, message schedule, state, round constants
    "crc32c": 1024 + 2048,  # the 256-entry table, a DMA buffer
    "dirty_pages": 2 * 2048,  # two DMA buffers
    "copy_pages": 2048,  # one DMA buffer
}
TASKLETS = 16


class DoesNotFit(ValueError):
    """The kernel cannot run on this PIM system; the message says why (from the profile's numbers)."""


@dataclass
class BankWork:
    """What one bank counted: instructions, MRAM bytes moved by DMA (in `dma_bytes` pieces), host bytes."""

    instructions: float = 0.0
    items: int = 0  # independent work items (chunks, buffers, pages): tasklets that can run at once
    dma_bytes: float = 0.0
    host_in: float = 0.0
    host_out: float = 0.0


@dataclass
class PimRun:
    """The outcome of a functional run: the output (checked by the caller against the library), per-bank work,
    and the time and energy charged by the profile, with and without host transfers."""

    kernel: str
    profile: str
    output: object
    banks_used: int
    work: list = field(default_factory=list)
    compute_s: float = 0.0
    transfer_s: float = 0.0
    energy_j: float = 0.0
    energy_resident_j: float = 0.0

    @property
    def total_s(self) -> float:
        return self.compute_s + self.transfer_s


def bank_seconds(profile: PimProfile, work: BankWork) -> float:
    """max(instruction time, DMA time) of one bank; the pipeline is full only with enough items in flight."""
    in_flight = min(max(work.items, 1), TASKLETS)
    ipc = profile.instructions_per_cycle * min(1.0, in_flight / profile.pipeline_threads)
    instr = work.instructions / (profile.clock_hz * ipc)
    transfers = work.dma_bytes / profile.dma_bytes
    per_transfer = profile.dma_alpha_cycles + profile.dma_beta_cycles_per_byte * profile.dma_bytes
    dma = transfers * per_transfer / profile.clock_hz
    return max(instr, dma)


def transfer_seconds(profile: PimProfile, works: list[BankWork]) -> float:
    """Host transfers, each rank at its own rate, ranks in parallel: the busiest rank decides."""
    if not works:
        return 0.0
    per_rank_in, per_rank_out = {}, {}
    for i, w in enumerate(works):
        rank = i // profile.banks_per_rank
        per_rank_in[rank] = per_rank_in.get(rank, 0.0) + w.host_in
        per_rank_out[rank] = per_rank_out.get(rank, 0.0) + w.host_out
    return max(per_rank_in.values()) / profile.host_to_bank_bps_per_rank + \
        max(per_rank_out.values()) / profile.bank_to_host_bps_per_rank


def charge(profile: PimProfile, kernel: str, output, works: list[BankWork]) -> PimRun:
    run = PimRun(kernel, profile.name, output, len(works), works)
    run.compute_s = max((bank_seconds(profile, w) for w in works), default=0.0)
    run.transfer_s = transfer_seconds(profile, works)
    instr = sum(w.instructions for w in works)
    dma = sum(w.dma_bytes for w in works)
    host = sum(w.host_in + w.host_out for w in works)
    run.energy_resident_j = instr * profile.instr_j + dma * profile.dma_j_per_byte
    run.energy_j = run.energy_resident_j + host * profile.host_j_per_byte
    return run


def fit_reason(profile: PimProfile, kernel: str) -> str | None:
    """None if the kernel fits the profile (integer code, no cross-bank traffic, working set in WRAM), else why."""
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
    if not profile.integer_isa:
        return (f"{profile.label} executes floating-point multiply-add, add, multiply and ReLU only: no 32-bit "
                "rotate, xor, byte load or bit-exact compare, which every hot path here needs")
    need = WRAM_BYTES[kernel] * TASKLETS
    if need > profile.scratch_bytes:
        return f"working set {need} B for {TASKLETS} tasklets exceeds {profile.scratch_bytes} B of WRAM"
    return None


def _split(count: int, banks: int) -> list[slice]:
    """Items 0..count-1 over at most `banks` banks, contiguous and balanced."""
    used = max(1, min(count, banks))
    bounds = np.linspace(0, count, used + 1).astype(int)
    return [slice(bounds[i], bounds[i + 1]) for i in range(used)]


def _require(profile: PimProfile, kernel: str) -> None:
    reason = fit_reason(profile, kernel)
    if reason:
        raise DoesNotFit(reason)


def sha256_chunks(profile: PimProfile, data: np.ndarray, chunk_size: int = hashing.manifest.CHUNK_SIZE,
                  backend: str = "library", resident: bool = True) -> PimRun:
    """State-manifest chunk hashes with whole chunks per bank: each bank hashes its chunks with the suite's
    kernel (`hashing.manifest_chunk_hashes`); the digests come back to the host. `resident`: the state already
    lives in the banks (otherwise it is sent in first)."""
    _require(profile, "sha256_chunks")
    data = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    nchunks = -(-data.size // chunk_size)
    outputs, works = [], []
    for part in _split(nchunks, profile.banks):
        piece = data[part.start * chunk_size:min(part.stop * chunk_size, data.size)]
        outputs.append(hashing.manifest_chunk_hashes(piece, chunk_size=chunk_size, backend=backend))
        sizes = [min(chunk_size, piece.size - o) for o in range(0, piece.size, chunk_size)]
        blocks = sum(sha256_blocks(s) for s in sizes)
        works.append(BankWork(instructions=blocks * SHA256_INSTRUCTIONS_PER_BLOCK, items=len(sizes),
                              dma_bytes=piece.size,
                              host_in=0 if resident else piece.size, host_out=32 * len(sizes)))
    output = np.concatenate(outputs) if outputs else np.zeros((0, 32), np.uint8)
    return charge(profile, "sha256_chunks", output, works)


def crc32c(profile: PimProfile, buffers: list, backend: str = "library", resident: bool = True) -> PimRun:
    """CRC-32C of each buffer, whole buffers per bank (`checksums.checksum_batch`)."""
    _require(profile, "crc32c")
    outputs, works = [], []
    for part in _split(len(buffers), profile.banks):
        items = buffers[part]
        outputs.append(checksums.checksum_batch("crc32c", items, backend=backend))
        nbytes = sum(len(memoryview(b).cast("B")) for b in items)
        works.append(BankWork(instructions=nbytes * CRC32C_INSTRUCTIONS_PER_BYTE, items=len(items), dma_bytes=nbytes,
                              host_in=0 if resident else nbytes, host_out=4 * len(items)))
    output = np.concatenate(outputs) if outputs else np.zeros(0, np.uint32)
    return charge(profile, "crc32c", output, works)


def dirty_pages(profile: PimProfile, before: np.ndarray, after: np.ndarray, page_size: int = 4096,
                backend: str = "library", resident: bool = True) -> PimRun:
    """Dirty-page scan with both images of each page in the same bank (`memory.dirty_pages` per bank); each
    bank returns its dirty page indices (8 bytes each)."""
    _require(profile, "dirty_pages")
    npages = before.size // page_size
    outputs, works = [], []
    for part in _split(npages, profile.banks):
        lo, hi = part.start * page_size, part.stop * page_size
        found = memory.dirty_pages(before[lo:hi], after[lo:hi], page_size=page_size, backend=backend) + part.start
        outputs.append(found)
        nbytes = hi - lo
        works.append(BankWork(instructions=nbytes / 8 * COMPARE_INSTRUCTIONS_PER_WORD, items=part.stop - part.start,
                              dma_bytes=2 * nbytes,
                              host_in=0 if resident else 2 * nbytes, host_out=8 * found.size))
    output = np.concatenate(outputs).astype(np.int64) if outputs else np.zeros(0, np.int64)
    return charge(profile, "dirty_pages", output, works)


def copy_pages(profile: PimProfile, src: np.ndarray, dst: np.ndarray, pages: np.ndarray, page_size: int = 4096,
               backend: str = "library", resident: bool = True) -> PimRun:
    """Page copies where source and destination pages live in the same bank (page p of both memories in the
    bank that holds page p): each bank copies its pages with `memory.copy_pages`, MRAM -> WRAM -> MRAM.
    Copies between banks would cross the host (the DPUs have no bank-to-bank path): those do not fit."""
    _require(profile, "copy_pages")
    npages = src.size // page_size
    pages = np.asarray(pages, np.int64)
    works = []
    for part in _split(npages, profile.banks):
        mine = pages[(pages >= part.start) & (pages < part.stop)]
        lo, hi = part.start * page_size, part.stop * page_size
        memory.copy_pages(src[lo:hi], dst[lo:hi], mine - part.start, page_size=page_size, backend=backend)
        nbytes = mine.size * page_size
        transfers = nbytes / profile.dma_bytes
        works.append(BankWork(instructions=2 * transfers * DMA_INSTRUCTIONS, items=int(mine.size), dma_bytes=2 * nbytes,
                              host_in=0 if resident else 2 * nbytes, host_out=0 if resident else nbytes))
    return charge(profile, "copy_pages", dst, works)


RUNNERS: dict[str, Callable[..., PimRun]] = {"sha256_chunks": sha256_chunks, "crc32c": crc32c,
                                             "dirty_pages": dirty_pages, "copy_pages": copy_pages}


# --- Ed25519: why it does or does not fit -------------------------------------------------------------------------

ED25519_FIELD_MULS = 3100  # derived: decompress A (~270: one (p-5)/8 exponentiation), [s]B - [k]A by the
# double-scalar sliding window (256 doublings x ~7 + ~86 additions x ~8 + 8 precomputed multiples of A x 8),
# encode the result (one inversion ~265): about 3,100 field multiplications and squarings (ref10 structure)
LIMB_PRODUCTS = 100  # derived: radix 2^25.5, 10 limbs of 32 bits: 10 x 10 32x32->64 products per multiplication
FIELD_MUL_OTHER_INSTRUCTIONS = 140  # derived: 64-bit accumulations, x19 reduction and the carry chain
ED25519_STATE_BYTES = 4 * 10 * 4 * (1 + 8 + 8) + 1024  # derived: 17 points (R, 8 multiples of A, 8 of B) of 4
# coordinates x 10 limbs x 4 B, plus ~1 KB of stack and scalars per tasklet


def ed25519_fit(profile: PimProfile, mul32_instructions: float | None = None, cpu_cycles: float = 95e3,
                cpu_hz: float = 3.0e9) -> dict:
    """The numbers that decide whether Ed25519 verification belongs on the PIM system: instructions per
    verification (the multiplies without a hardware multiplier dominate), verifications per second per bank
    and for the whole system, the WRAM a tasklet needs, and the CPU cores the whole system equals
    (lib25519: 95k cycles per verification, docs/REFERENCES.md section 2, at an assumed 3 GHz)."""
    mul = profile.mul32_instructions if mul32_instructions is None else mul32_instructions
    per_field_mul = LIMB_PRODUCTS * mul + FIELD_MUL_OTHER_INSTRUCTIONS
    instructions = ED25519_FIELD_MULS * per_field_mul
    per_bank = profile.clock_hz * profile.instructions_per_cycle / instructions if profile.integer_isa else 0.0
    cpu_core = cpu_hz / cpu_cycles
    return {"profile": profile.name, "mul32_instructions": mul, "instructions_per_verify": instructions,
            "multiply_share": LIMB_PRODUCTS * mul * ED25519_FIELD_MULS / instructions,
            "verifies_per_s_per_bank": per_bank, "verifies_per_s_system": per_bank * profile.banks,
            "wram_per_tasklet_bytes": ED25519_STATE_BYTES,
            "tasklets_in_wram": profile.scratch_bytes // ED25519_STATE_BYTES,
            "cpu_core_verifies_per_s": cpu_core, "system_equals_cpu_cores": per_bank * profile.banks / cpu_core}
