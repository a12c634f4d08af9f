"""Hash-to-curve for BLS12-381 G1 in Numba on the CPU (hash_numba_core.py compiled with njit over the field core
of msm_numba_cpu.py): RFC 9380's BLS12381G1_XMD:SHA-256_SSWU_RO_.

    hash_to_g1(messages, dst) -> (n, 13) uint64 rows   # decoded-G1 rows (Montgomery x, y, flag), as
                                                        # kernels.bls.msm.decode_g1(..., "numba_cpu").payload
    hash_rows(u, out, start, end)                       # the nogil kernel over rows [start, end)
    compress(rows) -> list[bytes]                       # the ZCash encodings of such rows

The field hash (SHA-256) runs on the host (hash_numba_core.hash_to_field); the map, the cofactor clearing and
the inversion in one nogil kernel, a plain loop over the rows: a caller may share rows among threads.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
from numba import njit

from .hash_numba_core import build_hash, hash_to_field
from .msm import LIMBS, compress_jacobian, identity
from .msm_numba_cpu import CORE

HASH = build_hash(njit, CORE)
_ROW = HASH.hash_row  # a module global: Numba resolves functions, not namespaces
WIDTH = HASH.width
_ONE = np.array(CORE.ONE, np.uint64)


@njit(nogil=True)
def hash_rows(u, out, start, end):
    """out[i] = the point of u[i] (two raw field elements) for start <= i < end."""
    for i in range(start, end):
        _ROW(u[i], out[i])


def map_to_g1(u: np.ndarray) -> np.ndarray:
    """msm.hash_to_g1 on this backend: the field elements u (n, 2, 6) to decoded G1 rows."""
    out = np.zeros((u.shape[0], WIDTH), np.uint64)
    if u.shape[0]:
        hash_rows(u, out, 0, u.shape[0])
    return out


def hash_to_g1(messages: Iterable[bytes], dst: bytes) -> np.ndarray:
    """(n, 13) uint64 decoded-G1 rows of hash_to_curve(message, dst) for each message."""
    return map_to_g1(hash_to_field(messages, dst))


def compress(rows: np.ndarray) -> list[bytes]:
    """The 48-byte ZCash encodings of decoded G1 rows (flag 0 finite, 1 the identity)."""
    out = []
    for row in np.asarray(rows, np.uint64):
        if row[2 * LIMBS] == 1:
            out.append(identity("g1"))
        elif row[2 * LIMBS] == 0:
            out.append(compress_jacobian("g1", np.concatenate([row[:2 * LIMBS], _ONE])))
        else:
            raise ValueError("compress: a row flagged invalid")
    return out


def compile() -> None:
    """JIT-compile the kernel (one hash)."""
    hash_to_g1([b""], b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_")
