"""Device profiles for the emulators, every number with its source beside it.

Sources (docs/REFERENCES.md section 3 unless said otherwise):
- Yang et al., "An Empirical Guide to the Behavior and Use of Scalable Persistent Memory", FAST'20 (NVSL
  OptaneStudy): DDR4-2666 DRAM and Optane PMem 100 on Cascade Lake.
- Pond, Li et al., ASPLOS'23: CXL memory adds 70-90 ns over local DRAM.
- Wang et al., "Exploring and Evaluating Real-world CXL", arXiv 2405.14209: three real CXL expanders, 2-5x
  the latency of local DRAM.
- PrIM, Gomez-Luna et al., IEEE Access 2022 (arXiv 2105.03814): the UPMEM system.
- Horowitz, ISSCC 2014 (45 nm): energy per operation, used as ratios.
"derived" marks arithmetic on sourced numbers; "unconfirmed" a figure whose primary source was not read for
this suite (docs/REFERENCES.md convention); "assumed" a choice of ours. Say so wherever such a figure is used.

Calibration and validation are kept apart: a profile's parameters come only from the figures marked
CALIBRATION below; the figures in ``PUBLISHED_CHECKS`` (kernels/emulation/validation.py predicts them) were
never used to set a parameter.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

NS = 1e-9
GB = 1e9
LINE = 64  # CPU cache line, bytes
XPLINE = 256  # Optane's internal access granularity, bytes (Yang et al. FAST'20)


@dataclass(frozen=True)
class MemoryProfile:
    """One memory or storage device as the NVM model sees it (seconds, bytes per second, bytes, joules).

    read_bps / write_bps: peak bandwidth of the device as configured (all its DIMMs or lanes);
    granularity: the media's access unit (a write smaller than it costs a whole unit: write amplification);
    persist: "flush" (clwb + sfence per line, byte-addressable) or "fsync" (a block device: one sync per file);
    durable: whether persisted data survives power loss (a DRAM-backed CXL expander does not)."""

    name: str
    label: str
    read_latency_seq_s: float
    read_latency_rand_s: float
    write_latency_s: float
    read_bps: float
    write_bps: float
    granularity: int
    persist: str
    persist_line_s: float  # flush: cost of one clwb+sfence round trip per line not overlapped (seconds)
    sync_s: float  # fsync: cost of one sync; 0 for byte-addressable devices
    durable: bool
    read_j_per_byte: float
    write_j_per_byte: float
    sources: dict = field(default_factory=dict, compare=False)
    emulated: bool = True
    devices: int = 1  # devices interleaved (at 4 KiB): one request of up to 4 KiB is served by one of them

    def scaled(self, name: str, label: str, devices: int, source: str) -> "MemoryProfile":
        """`devices` of this device interleaved: bandwidth times `devices`, latency and granularity unchanged."""
        return replace(self, name=name, label=label, read_bps=self.read_bps * devices,
                       write_bps=self.write_bps * devices, devices=self.devices * devices,
                       sources={**self.sources, "interleaving": source})


# --- DRAM as published (the reference point for CXL and for Quartz-style delays) -------------------------------
DDR4_PUBLISHED = MemoryProfile(
    name="ddr4-published", label="DDR4-2666, 6 channels (published)",
    read_latency_seq_s=81 * NS, read_latency_rand_s=101 * NS, write_latency_s=57 * NS,
    read_bps=106 * GB, write_bps=77 * GB, granularity=LINE, persist="flush", persist_line_s=57 * NS, sync_s=0.0,
    durable=False, read_j_per_byte=160e-12, write_j_per_byte=160e-12, emulated=False,
    sources={"latency": "CALIBRATION: Yang et al. FAST'20: 81 ns seq / 101 ns random read, 57 ns clwb write",
             "bandwidth": "CALIBRATION: Yang et al. FAST'20: 106 GB/s read, 77 GB/s ntstore (6 channels)",
             "energy": "unconfirmed: DDR4 ~15-22 pJ/bit (docs/REFERENCES.md section 4); 20 pJ/bit = 160 pJ/B taken"})

# --- Optane PMem 100 --------------------------------------------------------------------------------------------
OPTANE_1 = MemoryProfile(
    name="optane-1", label="Optane PMem 100, 1 DIMM (emulated)",
    read_latency_seq_s=169 * NS, read_latency_rand_s=305 * NS, write_latency_s=90 * NS,
    read_bps=6.5 * GB, write_bps=2.2 * GB, granularity=XPLINE, persist="flush", persist_line_s=62 * NS, sync_s=0.0,
    durable=True,
    read_j_per_byte=15.0 / (6.5 * GB), write_j_per_byte=18.0 / (2.2 * GB),
    sources={"latency": "CALIBRATION: Yang et al. FAST'20: 169 ns seq / 305 ns random read; 90 ns ntstore, "
                        "62 ns clwb write",
             "bandwidth": "CALIBRATION: Yang et al. FAST'20: one DIMM 6.5 GB/s read, 2.2 GB/s write",
             "granularity": "CALIBRATION: Yang et al. FAST'20: 256-byte XPLine",
             "energy": "derived: 15-18 W average per DIMM (ipmctl, docs/REFERENCES.md section 3) at peak bandwidth: "
                       "15 W / 6.5 GB/s read, 18 W / 2.2 GB/s write"})
OPTANE_6 = OPTANE_1.scaled("optane-6", "Optane PMem 100, 6 DIMMs interleaved (emulated)", 6,
                           "assumed: six DIMMs interleaved at 4 KiB scale bandwidth six times; latency unchanged")

# --- CXL Type-3 memory expander (DRAM behind a PCIe 5.0 x8 link) ------------------------------------------------
CXL_ADDED_LATENCY_S = 80 * NS  # CALIBRATION: Pond (ASPLOS'23): 70-90 ns over local DRAM; the midpoint
PCIE5_X8_BPS = 32e9 * 8 * 128 / 130 / 8  # derived: 32 GT/s x 8 lanes, 128b/130b encoding = 31.5 GB/s per direction
CXL_LINK_J_PER_BYTE = 60e-12  # unconfirmed: PCIe ~5-10 pJ/bit (docs/REFERENCES.md section 4); 7.5 pJ/bit taken
CXL = MemoryProfile(
    name="cxl", label="CXL Type-3 expander, PCIe 5.0 x8 (emulated)",
    read_latency_seq_s=DDR4_PUBLISHED.read_latency_seq_s + CXL_ADDED_LATENCY_S,
    read_latency_rand_s=DDR4_PUBLISHED.read_latency_rand_s + CXL_ADDED_LATENCY_S,
    write_latency_s=DDR4_PUBLISHED.write_latency_s + CXL_ADDED_LATENCY_S,
    read_bps=PCIE5_X8_BPS, write_bps=PCIE5_X8_BPS, granularity=LINE, persist="flush",
    persist_line_s=DDR4_PUBLISHED.persist_line_s + CXL_ADDED_LATENCY_S, sync_s=0.0, durable=False,
    read_j_per_byte=DDR4_PUBLISHED.read_j_per_byte + CXL_LINK_J_PER_BYTE,
    write_j_per_byte=DDR4_PUBLISHED.write_j_per_byte + CXL_LINK_J_PER_BYTE,
    sources={"latency": "CALIBRATION: DDR4 latency (Yang et al. FAST'20) + 80 ns (Pond, ASPLOS'23: 70-90 ns)",
             "bandwidth": "derived: PCIe 5.0 x8 link, 31.5 GB/s per direction; not validated",
             "durability": "a DRAM-backed expander is volatile: persisted pages do not survive power loss",
             "energy": "DDR4 energy + unconfirmed PCIe 5-10 pJ/bit"})

# --- NVMe SSD (the checkpoint files of today's replica) ----------------------------------------------------------
NVME = MemoryProfile(
    name="nvme", label="NVMe SSD, PCIe 4.0 data-centre class (emulated)",
    read_latency_seq_s=80e-6, read_latency_rand_s=80e-6, write_latency_s=20e-6,
    read_bps=6.8 * GB, write_bps=4.0 * GB, granularity=4096, persist="fsync", persist_line_s=0.0, sync_s=50e-6,
    durable=True, read_j_per_byte=20.0 / (6.8 * GB), write_j_per_byte=20.0 / (4.0 * GB),
    sources={"latency": "unconfirmed: data-centre PCIe 4.0 NVMe datasheet class, ~80 us 4 KiB read, ~20 us write "
                        "(power-loss-protected write cache)",
             "bandwidth": "unconfirmed: datasheet class, 6.8 GB/s sequential read, 4.0 GB/s sequential write",
             "sync": "assumed: 50 us per fsync of a file on a drive with power-loss protection",
             "energy": "unconfirmed: ~20 W active at peak bandwidth (datasheet class)",
             "node": "IC gen-2 node: 5 x 6.4 TB NVMe (IC wiki, docs/REFERENCES.md section 1)"})

NVM_PROFILES = {p.name: p for p in (OPTANE_1, OPTANE_6, CXL, NVME)}


# --- near-memory processing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PimProfile:
    """A processing-in-memory system: banks with a small core each, fed by the host over the memory bus."""

    name: str
    label: str
    banks: int  # DPUs (UPMEM) or PIM units
    banks_per_rank: int
    clock_hz: float
    bank_bytes: int  # MRAM per DPU
    scratch_bytes: int  # WRAM per DPU
    instr_bytes: int  # IRAM per DPU
    instructions_per_cycle: float  # per bank, with enough threads to fill the pipeline
    pipeline_threads: int  # threads (tasklets) a bank needs in flight to reach instructions_per_cycle
    dma_alpha_cycles: float  # MRAM<->WRAM DMA: alpha + beta * bytes cycles
    dma_beta_cycles_per_byte: float
    dma_bytes: int  # DMA transfer size used by kernels
    host_to_bank_bps_per_rank: float
    bank_to_host_bps_per_rank: float
    mul32_instructions: float  # instructions for one 32x32->64 multiply (no hardware 32-bit multiplier)
    integer_isa: bool  # runs general integer code (rotates, xor, loads): False for an FP16 MAC engine
    instr_j: float  # energy per instruction
    dma_j_per_byte: float
    host_j_per_byte: float
    sources: dict = field(default_factory=dict, compare=False)

    @property
    def ranks(self) -> int:
        return -(-self.banks // self.banks_per_rank)


UPMEM = PimProfile(
    name="upmem", label="UPMEM PIM, 2,556 DPUs (emulated)",
    banks=2556, banks_per_rank=64, clock_hz=350e6, bank_bytes=64 << 20, scratch_bytes=64 << 10,
    instr_bytes=24 << 10, instructions_per_cycle=1.0, pipeline_threads=11, dma_alpha_cycles=77,
    dma_beta_cycles_per_byte=0.5,
    dma_bytes=2048, host_to_bank_bps_per_rank=6.7e9, bank_to_host_bps_per_rank=6.7e9, mul32_instructions=48,
    integer_isa=True, instr_j=44e-12, dma_j_per_byte=1.3e-9 / 8, host_j_per_byte=160e-12,
    sources={"system": "CALIBRATION: PrIM: 2,556 DPUs at 350 MHz, 64 MB MRAM, 64 KB WRAM, 24 KB IRAM per DPU, "
                       "64 DPUs per rank",
             "pipeline": "CALIBRATION: PrIM: one instruction per cycle once 11 or more tasklets fill the 14-stage "
                         "pipeline (as summarised by secondary sources; unconfirmed)",
             "mram": "CALIBRATION: PrIM: MRAM access 77 cycles + 0.5 cycle/B",
             "host": "CALIBRATION: PrIM: ~6.7 GB/s between host and one rank; assumed: ranks transfer in parallel",
             "multiplier": "assumed: no 32-bit hardware multiplier (PrIM), so a 32x32->64 product is 16 8x8 "
                           "products plus shifts and adds: ~48 instructions",
             "energy": "derived from Horowitz ISSCC 2014 (45 nm) as an estimate: per instruction a 32-bit add "
                       "(0.1 pJ), a 64-bit read of a 64 KB SRAM (~27 pJ, log-interpolated between 10 pJ at 8 KB "
                       "and 100 pJ at 1 MB) and an instruction fetch from 24 KB (~17 pJ); MRAM DMA at a 64-bit "
                       "DRAM access (1.3 nJ, an upper bound: it includes off-chip I/O); host transfers at "
                       "20 pJ/bit (unconfirmed DDR4 figure)"})

HBM_PIM = PimProfile(
    name="hbm-pim", label="HBM-PIM (Aquabolt-XL class, emulated)",
    banks=128, banks_per_rank=128, clock_hz=300e6, bank_bytes=32 << 20, scratch_bytes=512, instr_bytes=32 * 4,
    instructions_per_cycle=1.0, pipeline_threads=1, dma_alpha_cycles=0, dma_beta_cycles_per_byte=1 / 32, dma_bytes=32,
    host_to_bank_bps_per_rank=307e9, bank_to_host_bps_per_rank=307e9, mul32_instructions=float("inf"),
    integer_isa=False, instr_j=0.0, dma_j_per_byte=3.9e-12 * 8, host_j_per_byte=3.9e-12 * 8,
    sources={"system": "unconfirmed: Samsung HBM-PIM (Lee et al., ISSCC 2021): one programmable unit per two "
                       "banks, 16-lane FP16 SIMD at 300 MHz, 32-entry command register file, 8 GB HBM2 cube",
             "isa": "unconfirmed: HBM-PIM and SK hynix AiM (ISSCC 2022) execute FP16/BF16 multiply-add, add, "
                    "multiply and ReLU only: no integer rotate, xor or byte loads",
             "host": "unconfirmed: HBM2 ~307 GB/s per cube",
             "energy": "unconfirmed: HBM2 ~3.9 pJ/bit (docs/REFERENCES.md section 4)"})

PIM_PROFILES = {p.name: p for p in (UPMEM, HBM_PIM)}
