"""Checksums in Numba on all CPU cores.

Large buffers are cut into pieces (kernels/checksums/pieces.py) that run on all cores and are combined
afterwards; a batch of small buffers runs one buffer per iteration of the same parallel loop.

CRC-32 and CRC-32C fold 64 bytes per step with the CPU's carry-less multiply (PCLMULQDQ), called as the
LLVM intrinsic ``llvm.x86.pclmulqdq`` from Numba (Gopal et al., Intel 2009; the constants are derived in
tables.py), and finish with slicing-by-8 tables. Adler-32 sums blocks with position weights so the loop has
no carried dependency and vectorises; the Internet checksum adds little-endian 32-bit words into 64 bits and
swaps bytes at the end (RFC 1071 section 2: the sum is byte-order independent).
"""
from __future__ import annotations

import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ..hashing.packing import Packed
from . import pieces as pieces_mod
from . import tables
from .reference import ADLER_BASE

PIECE_BYTES = 1 << 20  # a 64 MiB buffer becomes 64 pieces: enough to balance any core count here
HAS_PCLMUL = bool(llvm_binding.get_host_cpu_features().get("pclmul", False))
FOLD_MIN_BYTES = 128  # below this the table loop is as fast as setting up four fold lanes
ADLER_BLOCK = 4096  # bytes summed in uint32 before reducing mod 65521 (see _adler_piece)
_BASE = np.uint64(ADLER_BASE)
_LOW16 = np.uint64(0xFFFF)
_SIXTEEN = np.uint64(16)


@intrinsic
def _clmul(typingctx, a, b):
    """Carry-less 64 x 64 -> 128-bit product of two uint64 (PCLMULQDQ), as (low, high) uint64."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i32, i64 = ir.IntType(32), ir.IntType(64)
        v2 = ir.VectorType(i64, 2)
        fn = builder.module.declare_intrinsic("llvm.x86.pclmulqdq", fnty=ir.FunctionType(v2, [v2, v2, ir.IntType(8)]))
        va = builder.insert_element(ir.Constant(v2, ir.Undefined), args[0], ir.Constant(i32, 0))
        vb = builder.insert_element(ir.Constant(v2, ir.Undefined), args[1], ir.Constant(i32, 0))
        r = builder.call(fn, [va, vb, ir.Constant(ir.IntType(8), 0)])
        parts = [builder.extract_element(r, ir.Constant(i32, k)) for k in (0, 1)]
        return context.make_tuple(builder, signature.return_type, parts)

    return sig, codegen


@intrinsic
def _load_u64(typingctx, arr, i):
    """Eight bytes of a uint8 array from byte index i, little-endian, any alignment (no bounds check)."""
    sig = types.uint64(arr, types.int64)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(a.data, [args[1]]), ir.IntType(64).as_pointer())
        return builder.load(ptr, align=1)

    return sig, codegen


# --- CRC --------------------------------------------------------------------------------------------------

@njit(inline="always")
def _crc_word(tab, w):
    """Advance a register already xored into the 8 message bytes `w` (little-endian): slicing-by-8."""
    return (tab[7, w & 0xFF] ^ tab[6, (w >> 8) & 0xFF] ^ tab[5, (w >> 16) & 0xFF] ^ tab[4, (w >> 24) & 0xFF]
            ^ tab[3, (w >> 32) & 0xFF] ^ tab[2, (w >> 40) & 0xFF] ^ tab[1, (w >> 48) & 0xFF] ^ tab[0, w >> 56])


@njit(inline="always")
def _crc_bytes(tab, state, data, start, end):
    """Raw CRC register after data[start:end], 8 bytes per step then one byte at a time."""
    s = np.uint64(state)
    i = start
    while i + 8 <= end:
        s = np.uint64(_crc_word(tab, _load_u64(data, i) ^ s))
        i += 8
    while i < end:
        s = np.uint64(tab[0, (s ^ data[i]) & 0xFF]) ^ (s >> np.uint64(8))
        i += 1
    return np.uint32(s)


@njit(inline="always")
def _fold(xl, xh, kl, kh, dl, dh):
    """x * x^(8 d) mod P, xor the block d bytes later (two carry-less products)."""
    al, ah = _clmul(xl, kl)
    bl, bh = _clmul(xh, kh)
    return al ^ bl ^ dl, ah ^ bh ^ dh


@njit
def _crc_fold(tab, k, state, data, start, end):
    """Raw CRC register after data[start:end] (any length): four 16-byte lanes folded 64 bytes per step, then
    one lane, then the last 16-byte remainder and the tail through the tables."""
    if end - start < FOLD_MIN_BYTES:
        return _crc_bytes(tab, state, data, start, end)
    k64l, k64h, k16l, k16h = k[0], k[1], k[2], k[3]
    # The register preset equals xoring it into the first four message bytes.
    x0l = _load_u64(data, start) ^ np.uint64(state)
    x0h = _load_u64(data, start + 8)
    x1l = _load_u64(data, start + 16)
    x1h = _load_u64(data, start + 24)
    x2l = _load_u64(data, start + 32)
    x2h = _load_u64(data, start + 40)
    x3l = _load_u64(data, start + 48)
    x3h = _load_u64(data, start + 56)
    i = start + 64
    while i + 64 <= end:
        x0l, x0h = _fold(x0l, x0h, k64l, k64h, _load_u64(data, i), _load_u64(data, i + 8))
        x1l, x1h = _fold(x1l, x1h, k64l, k64h, _load_u64(data, i + 16), _load_u64(data, i + 24))
        x2l, x2h = _fold(x2l, x2h, k64l, k64h, _load_u64(data, i + 32), _load_u64(data, i + 40))
        x3l, x3h = _fold(x3l, x3h, k64l, k64h, _load_u64(data, i + 48), _load_u64(data, i + 56))
        i += 64
    x1l, x1h = _fold(x0l, x0h, k16l, k16h, x1l, x1h)
    x2l, x2h = _fold(x1l, x1h, k16l, k16h, x2l, x2h)
    x3l, x3h = _fold(x2l, x2h, k16l, k16h, x3l, x3h)
    while i + 16 <= end:
        x3l, x3h = _fold(x3l, x3h, k16l, k16h, _load_u64(data, i), _load_u64(data, i + 8))
        i += 16
    # The 16 remaining bytes are congruent to everything folded so far: run them through the tables from 0.
    s = np.uint64(_crc_word(tab, x3l))
    s = np.uint64(_crc_word(tab, x3h ^ s))
    return _crc_bytes(tab, s, data, i, end)


@njit(inline="always")
def _multmodp(poly, a, b):
    """a(x) b(x) mod P, reflected 32-bit values (zlib crc32.c)."""
    m = np.uint32(1) << np.uint32(31)
    p = np.uint32(0)
    a = np.uint32(a)
    b = np.uint32(b)
    while m:
        if a & m:
            p ^= b
            if (a & (m - np.uint32(1))) == 0:
                break
        m >>= np.uint32(1)
        b = (b >> np.uint32(1)) ^ poly if b & np.uint32(1) else b >> np.uint32(1)
    return p


@njit(inline="always")
def _xpow8n(poly, x2n, nbytes):
    """x^(8 nbytes) mod P: the operator that moves a register over nbytes zero bytes (zlib x2nmodp)."""
    p = np.uint32(1) << np.uint32(31)
    k = 3
    n = nbytes
    while n:
        if n & 1:
            p = _multmodp(poly, x2n[k & 31], p)
        n >>= 1
        k += 1
    return p


@njit(parallel=True)
def _crc_pieces(tab, k, poly, x2n, use_fold, data, start, end, item, item_pieces, out):
    npieces = start.size
    partial = np.empty(npieces, np.uint32)
    for p in prange(npieces):
        # The first piece of a buffer starts from the preset register; later ones from zero (linearity).
        first = p == item_pieces[item[p]]
        init = np.uint32(0xFFFFFFFF) if first else np.uint32(0)
        if use_fold:
            partial[p] = _crc_fold(tab, k, init, data, start[p], end[p])
        else:
            partial[p] = _crc_bytes(tab, init, data, start[p], end[p])
    for i in prange(out.size):
        s = partial[item_pieces[i]]
        for p in range(item_pieces[i] + 1, item_pieces[i + 1]):
            s = _multmodp(poly, _xpow8n(poly, x2n, end[p] - start[p]), s) ^ partial[p]
        out[i] = s ^ np.uint32(0xFFFFFFFF)


# --- Adler-32 ---------------------------------------------------------------------------------------------

@njit(inline="always")
def _adler_piece(data, start, end):
    """Adler-32 of data[start:end] from 1. Per block of N bytes: s2 += N s1 + sum (N - j) b_j, s1 += sum b_j;
    the block sums are uint32 (N = 4096 keeps sum (N - j) b_j <= 255 N (N + 1) / 2 < 2^32) and the loop runs
    over a slice, so LLVM sees non-negative indices and vectorises it."""
    s1 = np.uint64(1)
    s2 = np.uint64(0)
    i = start
    while i < end:
        n = min(ADLER_BLOCK, end - i)
        block = data[i:i + n]
        a = np.uint32(0)
        w = np.uint32(0)
        for j in range(n):
            b = np.uint32(block[j])
            a = np.uint32(a + b)
            w = np.uint32(w + np.uint32(n - j) * b)
        s2 = (s2 + np.uint64(n) * s1 + np.uint64(w)) % _BASE
        s1 = (s1 + np.uint64(a)) % _BASE
        i += n
    return np.uint32((s2 << _SIXTEEN) | s1)


@njit(inline="always")
def _adler_combine(adler1, adler2, len2):
    """zlib adler32_combine_: Adler-32 of A ‖ B from those of A, B and len(B)."""
    rem = np.uint64(len2) % _BASE
    a1 = np.uint64(adler1)
    a2 = np.uint64(adler2)
    s1 = ((a1 & _LOW16) + (a2 & _LOW16) + _BASE - np.uint64(1)) % _BASE
    s2 = ((a1 >> _SIXTEEN) + (a2 >> _SIXTEEN) + rem * (a1 & _LOW16) + _BASE - rem) % _BASE
    return np.uint32((s2 << _SIXTEEN) | s1)


@njit(parallel=True)
def _adler_pieces(data, start, end, item_pieces, out):
    npieces = start.size
    partial = np.empty(npieces, np.uint32)
    for p in prange(npieces):
        partial[p] = _adler_piece(data, start[p], end[p])
    for i in prange(out.size):
        s = partial[item_pieces[i]]
        for p in range(item_pieces[i] + 1, item_pieces[i + 1]):
            s = _adler_combine(s, partial[p], end[p] - start[p])
        out[i] = s


# --- Internet checksum ------------------------------------------------------------------------------------

@njit(inline="always")
def _inet_piece(data, start, end):
    """Ones'-complement sum (folded to 16 bits) of data[start:end] read as little-endian 16-bit words; the
    piece starts at an even offset of its buffer, a trailing odd byte is the low byte of a zero-padded word."""
    s = np.uint64(0)
    i = start
    while i + 8 <= end:
        w = _load_u64(data, i)
        s += (w & np.uint64(0xFFFFFFFF)) + (w >> np.uint64(32))
        i += 8
    while i + 2 <= end:
        s += np.uint64(data[i]) | (np.uint64(data[i + 1]) << np.uint64(8))
        i += 2
    if i < end:
        s += np.uint64(data[i])
    while s >> np.uint64(16):
        s = (s & np.uint64(0xFFFF)) + (s >> np.uint64(16))
    return s


@njit(parallel=True)
def _inet_pieces(data, start, end, item_pieces, out):
    npieces = start.size
    partial = np.empty(npieces, np.uint64)
    for p in prange(npieces):
        partial[p] = _inet_piece(data, start[p], end[p])
    for i in prange(out.size):
        s = np.uint64(0)
        for p in range(item_pieces[i], item_pieces[i + 1]):
            s += partial[p]
        while s >> np.uint64(16):
            s = (s & np.uint64(0xFFFF)) + (s >> np.uint64(16))
        s = ((s & np.uint64(0xFF)) << np.uint64(8)) | (s >> np.uint64(8))  # little- to big-endian words
        out[i] = np.uint32(~s & np.uint64(0xFFFF))


# --- entry points -----------------------------------------------------------------------------------------

def _fold_keys(algorithm: str) -> np.ndarray:
    return np.array(tables.fold_constants(algorithm, 64) + tables.fold_constants(algorithm, 16), dtype=np.uint64)


_CRC_CONSTANTS = {a: (tables.byte_tables(a, 8), _fold_keys(a), np.uint32(tables.POLYS[a]), tables.x2n_table(a))
                  for a in ("crc32", "crc32c")}


def checksum_packed(algorithm: str, packed: Packed, piece_bytes: int = PIECE_BYTES) -> np.ndarray:
    """Checksums of a packed batch: (n,) uint32."""
    out = np.empty(packed.count, dtype=np.uint32)
    if not packed.count:
        return out
    pcs = pieces_mod.split(packed, piece_bytes)
    data = packed.data if packed.data.size >= 8 else np.zeros(8, np.uint8)  # loads never read past 8 bytes
    if data is not packed.data:
        data[:packed.data.size] = packed.data
    if algorithm in _CRC_CONSTANTS:
        tab, k, poly, x2n = _CRC_CONSTANTS[algorithm]
        _crc_pieces(tab, k, poly, x2n, HAS_PCLMUL, data, pcs.start, pcs.end, pcs.item, pcs.item_pieces, out)
    elif algorithm == "adler32":
        _adler_pieces(data, pcs.start, pcs.end, pcs.item_pieces, out)
    elif algorithm == "inet16":
        _inet_pieces(data, pcs.start, pcs.end, pcs.item_pieces, out)
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return out


def compile() -> None:
    """JIT-compile every kernel (timed once by the harness as the `compile` phase)."""
    packed = Packed(np.zeros(200, np.uint8), np.array([0, 1, 200], np.int64))
    for algorithm in ("crc32", "crc32c", "adler32", "inet16"):
        checksum_packed(algorithm, packed)
