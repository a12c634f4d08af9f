"""What ECDSA verification should cost before measuring: field multiplications, 64-bit products and bytes
per signature, counted from the kernels' algorithm (numba_core.py, kernels/common/ecdsa.h), and rates scaled
from the Ed25519 anchors by the ratio of products. A model, and it says so."""
from __future__ import annotations

from .. import anchors
from ..models import transfer_bound_items_per_s
from ..signatures.prediction import ASSUMED_CPU_HZ, FIELD_MULS as ED25519_FIELD_MULS
from .curves import CURVES
from .tables import G_DIGITS, G_WINDOW, Q_DIGITS, Q_WINDOW

KERNEL_BYTES_IN = 160  # qx, qy, e = SHA-256(m), r, s: five 256-bit numbers (prepare.py)
PRODUCTS_PER_MUL = 32  # CIOS with four 64-bit limbs: 16 products of a and b, 16 of the reduction
ADD_MULS = 16  # add-1998-cmo-2: 12 multiplications + 4 squarings
MADD_MULS = 11  # mixed addition: 8 multiplications + 3 squarings
DBL_MULS = {"p256": 8, "secp256k1": 7}  # dbl-2001-b (a = -3): 3M + 5S; dbl-2009-l (a = 0): 2M + 5S
ED25519_PRODUCTS = ED25519_FIELD_MULS * 25  # radix 2^51: 25 64-bit products per field multiplication


def field_muls(curve: str) -> dict:
    """Expected field multiplications (squarings counted as multiplications) of one verification, by step."""
    n = CURVES[curve].n
    q_nonzero = (1 - 2 ** -Q_WINDOW)  # a random digit is nonzero with this probability
    g_nonzero = (1 - 2 ** -G_WINDOW)
    steps = {
        "key check (to Montgomery form, curve equation)": 6,
        "s^-1 mod n (Fermat, 4-bit windows) and u1, u2": 14 + 252 + sum(1 for i in range(64) if (n - 2) >> (4 * i) & 15) + 3,
        "table of Q's multiples (1 doubling, 13 mixed additions)": DBL_MULS[curve] + 13 * MADD_MULS,
        "u2 Q: doublings": (256 - Q_WINDOW) * DBL_MULS[curve],
        "u2 Q: additions": round(Q_DIGITS * q_nonzero * ADD_MULS),
        "u1 G: mixed additions (fixed-base table)": round(G_DIGITS * g_nonzero * MADD_MULS),
        "x(R) mod n == r": 4,
    }
    return steps


def ecdsa_prediction(cores: int) -> dict:
    """Operation counts per curve and the expected rates (a derived model): one core at lib25519's cycles per
    64-bit product (its 95 k cycles for an Ed25519 verification at an assumed 3 GHz, over ~77 k products),
    all cores, and the PCIe bound of a GPU end to end."""
    per_product_s = anchors.ED25519_LIB25519_CYCLES / ASSUMED_CPU_HZ / ED25519_PRODUCTS
    out: dict = {"cores": cores, "bytes_in": KERNEL_BYTES_IN, "products_per_mul": PRODUCTS_PER_MUL,
                 "ed25519_products": ED25519_PRODUCTS,
                 "pcie_end_to_end_limit": transfer_bound_items_per_s(KERNEL_BYTES_IN, 1), "curves": {}}
    for curve in CURVES:
        steps = field_muls(curve)
        muls = sum(steps.values())
        products = muls * PRODUCTS_PER_MUL
        one_core = 1 / (products * per_product_s)
        out["curves"][curve] = {"steps": steps, "field_muls": muls, "products": products,
                                "vs_ed25519": products / ED25519_PRODUCTS, "one_core": one_core,
                                "all_cores": one_core * cores}
    return out
