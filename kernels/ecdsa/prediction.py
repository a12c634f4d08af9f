"""What ECDSA verification should cost before measuring: field multiplications, 64-bit products and bytes
per signature, counted from the algorithm of the CPU kernel (numba_core.py as numba_cpu runs it: secp256k1
with the endomorphism, one inversion mod n per run of signatures; the C core of OpenCL and CUDA,
kernels/common/ecdsa.h, does more: one inversion per signature, and no endomorphism), and rates scaled from
the Ed25519 anchors by the ratio of products. A model, and it says so."""
from __future__ import annotations

from .. import anchors
from ..models import transfer_bound_items_per_s
from ..signatures.prediction import ASSUMED_CPU_HZ, FIELD_MULS as ED25519_FIELD_MULS
from . import glv
from .curves import CURVES
from .tables import G_DIGITS, G_WINDOW, Q_DIGITS, Q_WINDOW

KERNEL_BYTES_IN = 160  # qx, qy, e = SHA-256(m), r, s: five 256-bit numbers (prepare.py)
# 64 x 64-bit products per field multiplication: Montgomery CIOS with four limbs (16 of a b, 16 of the
# reduction); secp256k1's plain numbers: 16 of a b, 5 of the reduction by 2^256 = c (numba_core.reduce_special)
PRODUCTS_PER_MUL = {"p256": 32, "secp256k1": 21}
ADD_MULS = 16  # add-1998-cmo-2: 12 multiplications + 4 squarings
RUN = 16  # signatures per inversion mod n (numba_cpu.CHUNK)
MADD_MULS = 11  # mixed addition: 8 multiplications + 3 squarings
DBL_MULS = {"p256": 8, "secp256k1": 7}  # dbl-2001-b (a = -3): 3M + 5S; libsecp256k1's gej_double (a = 0): 3M + 4S
ED25519_PRODUCTS = ED25519_FIELD_MULS * 25  # radix 2^51: 25 64-bit products per field multiplication


def field_muls(curve: str) -> dict:
    """Expected field multiplications (squarings counted as multiplications) of one verification, by step."""
    n = CURVES[curve].n
    q_nonzero = (1 - 2 ** -Q_WINDOW)  # a random digit is nonzero with this probability
    g_nonzero = (1 - 2 ** -G_WINDOW)
    fermat = 14 + 252 + sum(1 for i in range(64) if (n - 2) >> (4 * i) & 15)
    steps = {
        "key check (to the field's form, curve equation)": 6,
        f"s^-1 mod n (Fermat once per {RUN} signatures, Montgomery's trick) and u1, u2": round(fermat / RUN) + 6,
    }
    if curve == "secp256k1":
        w = glv.WNAF_WIDTH
        steps |= {
            "u2 = k1 + k2 lambda, u1 = j1 + j2 lambda (the endomorphism's splits)": 10,
            "odd multiples of Q and phi(Q), affine on an isomorphic curve (1 doubling, 7 mixed additions, one Z)":
                DBL_MULS[curve] + 4 + 7 * MADD_MULS + 1 + 7 * 5 + 8,
            "u2 Q: doublings": 128 * DBL_MULS[curve],
            "u2 Q: additions": round(2 * 128 / (w + 1) * MADD_MULS),  # a width-w NAF: 1/(w+1) of digits nonzero
            # G's points join the chain on the isomorphic curve: a mixed addition and one product more
            "u1 G: mixed additions (odd multiples of G and phi(G), in the same chain)":
                round(2 * 128 / (glv.G_WNAF_WIDTH + 1) * (MADD_MULS + 1)),
        }
    else:
        steps |= {
            "table of Q's multiples (1 doubling, 13 mixed additions)": DBL_MULS[curve] + 13 * MADD_MULS,
            "u2 Q: doublings": (256 - Q_WINDOW) * DBL_MULS[curve],
            "u2 Q: additions": round(Q_DIGITS * q_nonzero * ADD_MULS),
            "u1 G: mixed additions (fixed-base table)": round(G_DIGITS * g_nonzero * MADD_MULS),
        }
    steps["x(R) mod n == r"] = 4
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
        products = muls * PRODUCTS_PER_MUL[curve]
        one_core = 1 / (products * per_product_s)
        out["curves"][curve] = {"steps": steps, "field_muls": muls, "products": products,
                                "vs_ed25519": products / ED25519_PRODUCTS, "one_core": one_core,
                                "all_cores": one_core * cores}
    return out
