"""Published figures the suite compares against, each with its source (docs/REFERENCES.md section 2 and 4).

These are anchors for predictions and sanity checks, never results: every number the suite reports as
measured comes from its own runs. "derived" marks arithmetic on sourced numbers.
"""
from __future__ import annotations

# --- SHA-256 ---
SHA256_H100_HASHCAT_HPS = 16.2e9  # hashcat mode 1400, H100 SXM5, single block, no PCIe (hashcat -b log, 8xH100 rig)
SHA256_RTX4090_HASHCAT_HPS = 22.0e9  # hashcat -b, RTX 4090 (secondary source)
SHA256_SHANI_CYCLES_PER_BYTE = 2.0  # SHA-NI, OpenSSL perlasm notes
SHA256_SHANI_ZEN4_BPS_PER_CORE = 2.6e9  # openssl speed -evp, one Zen 4 core
SHA256_AVX512_MULTIBUFFER_BPS_PER_CORE = 3.5e9  # minio/sha256-simd, 16 independent messages per core

# --- Ed25519 ---
ED25519_GTX1080TI_VPS = 300e3  # Solana perf-libs CUDA (solana PR 4320); later ~2x by splitting kernels (perf-libs 77)
ED25519_GPU_CROSSOVER_BATCH = 64  # solana PR 821: GPU only for batches >= 64
ED25519_FPGA_F1_VPS = 1e6  # Firedancer wiredancer, one AWS F1
ED25519_LIB25519_CYCLES = 95e3  # lib25519 speed.md, one verification
ED25519_FIREDANCER_AVX512_S = 34e-6  # firedancer PR 716
ED25519_DALEK_BATCH256_S = 11.3e-6  # dalek README, per signature in batches of 256

# --- checksums ---
CRC32C_AVX512_BPS_PER_CORE = 97e9  # corsix/fast-crc32, AVX-512 VPCLMULQDQ fusion, Sapphire Rapids
INET16_SIMD_BPS = 50 * 2**30  # s2n-quic PR 1643, ~50 GiB/s

# --- memory and buses ---
H100_HBM3_SPEC_BPS = 3.35e12  # NVIDIA H100 SXM spec
H100_HBM3_COPY_BPS = 2.6e12  # measured copy, nccl issue 1264
PCIE5_X16_NOMINAL_BPS = 64e9  # per direction, nominal
PCIE5_H2D_MEASURED_BPS = 35e9  # nvbandwidth issue 24, SM copies
PCIE5_D2H_MEASURED_BPS = 53e9  # nvbandwidth issue 24, SM copies

# --- launch overhead ---
CUDA_ENQUEUE_S = 2.7e-6  # ocannl issue 488
CUDA_LAUNCH_SYNC_S = 6.4e-6  # ocannl issue 488: launch + synchronise; Numba dispatch far slower than CuPy (numba 3003)

# --- power ---
H100_SXM_POWER_W = 700.0  # NVIDIA, board power limit
H100_PCIE_POWER_W = 350.0  # NVIDIA, board power limit

# --- IC orthogonal persistence (docs/REFERENCES.md section 1; dfinity/ic embedders config) ---
IC_MEMORY_COPY_BASE_INSTRUCTIONS = 100  # memory.copy / memory.fill cost 100 instructions ...
IC_MEMORY_COPY_INSTRUCTIONS_PER_BYTE = 1  # ... plus 1 per byte
IC_PAGES_PER_FAULT = 128  # the replica maps up to 128 pages per (read) fault
IC_DIRTY_COPY_THREADS = 8  # dirty pages are copied on 8 threads
IC_UPDATE_INSTRUCTIONS = 40e9  # instruction limit of one update message

# --- networking (Smart-NIC model) ---
ETHERNET_OVERHEAD_BYTES = 38  # IEEE 802.3 per frame on the wire: preamble+SFD 8, header 14, FCS 4, inter-frame gap 12
LINE_RATES_BPS = (10e9, 25e9, 100e9)  # common NIC line rates; Gen-2 IC nodes have 2 x 10 Gb/s (IC wiki)

# --- Ed25519 GPU scaling (derived, rough: used only for the notebook's prediction) ---
GTX1080TI_SMS, GTX1080TI_BOOST_HZ = 28, 1.582e9  # NVIDIA GTX 1080 Ti specifications
H100_SXM_SMS, H100_SXM_BOOST_HZ = 132, 1.98e9  # NVIDIA H100 SXM5 specifications
PASCAL_IMAD32_PER_SM_CLK = 32  # Pascal has no full-rate 32-bit IMAD (emulated through XMAD; ~1/4 of 128 lanes), CUDA guide
HOPPER_IMAD32_PER_SM_CLK = 64  # Volta and newer: 64 INT32 multiply-adds per SM per clock (CUDA programming guide)
