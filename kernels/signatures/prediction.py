"""What Ed25519 verification should cost before measuring: operations and bytes per signature, and rates from
published anchors (kernels/anchors.py). A model, and it says so."""
from __future__ import annotations

from .. import anchors
from ..models import transfer_bound_items_per_s

FIELD_MULS = 3_100  # derived: ~253 doublings x 7 + ~86 window additions x 8 + decompression + inversion
KERNEL_BYTES_IN = 32 + 64 + 32  # public key, signature, h = SHA-512(R || A || M) mod L (host-computed)
ASSUMED_CPU_HZ = 3.0e9  # to turn lib25519's cycle count into a rate (an assumption, stated where used)


def ed25519_prediction(cores: int) -> dict:
    """Expected Ed25519 verification rates before measuring, from published anchors (a model).

    CPU: lib25519's 95 k cycles per verification at an assumed 3 GHz, per core; Firedancer's AVX-512 34 us.
    GPU: Solana's 300 k/s on a GTX 1080 Ti, doubled by splitting kernels (perf-libs 77), scaled to an H100 by
    32-bit multiply-add throughput (SMs x IMAD/clock x clock): a rough, derived estimate."""
    per_core = ASSUMED_CPU_HZ / anchors.ED25519_LIB25519_CYCLES
    imad_1080 = anchors.GTX1080TI_SMS * anchors.PASCAL_IMAD32_PER_SM_CLK * anchors.GTX1080TI_BOOST_HZ
    imad_h100 = anchors.H100_SXM_SMS * anchors.HOPPER_IMAD32_PER_SM_CLK * anchors.H100_SXM_BOOST_HZ
    h100 = anchors.ED25519_GTX1080TI_VPS * 2 * imad_h100 / imad_1080
    return {
        "cores": cores,
        "field_muls": FIELD_MULS,
        "products_radix25": FIELD_MULS * 100,  # 10 x 10 limb products per multiplication
        "products_radix51": FIELD_MULS * 25,
        "bytes_in": KERNEL_BYTES_IN,
        "lib25519_one_core": per_core,
        "lib25519_all_cores": per_core * cores,
        "firedancer_one_core": 1 / anchors.ED25519_FIREDANCER_AVX512_S,
        "dalek_batch_one_core": 1 / anchors.ED25519_DALEK_BATCH256_S,
        "h100_kernel": h100,
        "pcie_end_to_end_limit": transfer_bound_items_per_s(KERNEL_BYTES_IN, 1),
        "gpu_crossover_batch": anchors.ED25519_GPU_CROSSOVER_BATCH,
    }
