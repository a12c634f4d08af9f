"""Checksums in Numba on all CPU cores.

Large buffers are cut into pieces (the split of kernels/checksums/pieces.py, compiled) that run on all cores
and are combined afterwards; a batch of small buffers runs one buffer per iteration of the same loop, on the
calling thread when the whole batch is too small to pay for waking the thread pool. The CRC pieces are shared
between the calling thread and helper threads without a fork-join barrier (caller_runs.py): the call never
waits for a thread that another process keeps off its core. Adler-32 and the Internet checksum use `prange`.

CRC-32 and CRC-32C fold the data with the CPU's carry-less multiply (Gopal et al., Intel 2009; constants
derived in tables.py): the loop is written in LLVM IR from Numba, four 512-bit accumulators (VPCLMULQDQ,
256 bytes per step) where the CPU has AVX-512 VPCLMULQDQ, else four 128-bit ones (PCLMULQDQ, 64 bytes per
step), else slicing-by-8 tables only; the last bytes always go through the tables. Adler-32 sums blocks with
position weights so the loop has no carried dependency and vectorises; the Internet checksum adds
little-endian 32-bit words into 64 bits and swaps bytes at the end (RFC 1071 section 2: the sum is
byte-order independent).
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ..packing import Packed
from .. import caller_runs
from . import tables
from .reference import ADLER_BASE

PIECE_BYTES = 1 << 20  # a 64 MiB buffer becomes 64 pieces: enough to balance a few dozen cores
_FEATURES = llvm_binding.get_host_cpu_features()
HAS_PCLMUL = bool(_FEATURES.get("pclmul", False))
HAS_VPCLMUL512 = HAS_PCLMUL and all(_FEATURES.get(f, False) for f in ("vpclmulqdq", "avx512f"))
FOLD_LANES = 8 if HAS_VPCLMUL512 else 2  # 64-bit lanes per accumulator: one zmm or one xmm register
FOLD_VECTOR_BYTES = 8 * FOLD_LANES
FOLD_STEP_BYTES = 4 * FOLD_VECTOR_BYTES  # four accumulators
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


def _fold_loop_intrinsic(lanes: int):
    """An intrinsic that folds whole steps of 4 x (8 lanes) bytes with four accumulators of `lanes` 64-bit
    lanes, then folds the accumulators into one 16-byte value, returned as (low, high) uint64. It is LLVM IR
    so the accumulators stay in vector registers; only called where the CPU has the instructions."""
    clmul_name = "llvm.x86.pclmulqdq" if lanes == 2 else "llvm.x86.pclmulqdq.512"
    vbytes = 8 * lanes
    step = 4 * vbytes

    @intrinsic
    def fold_steps(typingctx, data, start, extra_steps, state, km_lo, km_hi, kv_lo, kv_hi, k16_lo, k16_hi):
        """Fold data[start : start + (extra_steps + 1) * step] with `state` xored into its first bytes."""
        sig = types.UniTuple(types.uint64, 2)(data, types.int64, types.int64, *(types.uint64,) * 7)

        def codegen(context, builder, signature, args):
            i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
            vec, xmm = ir.VectorType(i64, lanes), ir.VectorType(i64, 2)
            clmul = builder.module.declare_intrinsic(clmul_name, fnty=ir.FunctionType(vec, [vec, vec, i8]))
            clmul2 = builder.module.declare_intrinsic("llvm.x86.pclmulqdq", fnty=ir.FunctionType(xmm, [xmm, xmm, i8]))
            base = builder.gep(context.make_array(signature.args[0])(context, builder, args[0]).data, [args[1]])
            _, _, nsteps, state_, kml, kmh, kvl, kvh, k16l, k16h = args

            def constant(lo, hi, n):  # (lo, hi) repeated in every 128-bit lane
                v = ir.Constant(ir.VectorType(i64, n), ir.Undefined)
                for j in range(n):
                    v = builder.insert_element(v, lo if j % 2 == 0 else hi, ir.Constant(i32, j))
                return v

            def load(offset):
                return builder.load(builder.bitcast(builder.gep(base, [offset]), vec.as_pointer()), align=1)

            def fold(x, k, d, fn=clmul):  # x * x^(8 distance) mod P, xor d: low x low, high x high
                a = builder.call(fn, [x, k, ir.Constant(i8, 0x00)])
                b = builder.call(fn, [x, k, ir.Constant(i8, 0x11)])
                return builder.xor(builder.xor(a, b), d)

            kmain, kvec, k16 = constant(kml, kmh, lanes), constant(kvl, kvh, lanes), constant(k16l, k16h, 2)
            first = [load(ir.Constant(i64, j * vbytes)) for j in range(4)]
            first[0] = builder.xor(first[0], builder.insert_element(ir.Constant(vec, None), state_, ir.Constant(i32, 0)))
            entry = builder.block
            header = builder.append_basic_block("fold.header")
            body = builder.append_basic_block("fold.body")
            done = builder.append_basic_block("fold.done")
            builder.branch(header)
            builder.position_at_end(header)
            i = builder.phi(i64)
            i.add_incoming(ir.Constant(i64, 0), entry)
            acc = [builder.phi(vec) for _ in range(4)]
            for j in range(4):
                acc[j].add_incoming(first[j], entry)
            builder.cbranch(builder.icmp_signed("<", i, nsteps), body, done)
            builder.position_at_end(body)
            offset = builder.mul(builder.add(i, ir.Constant(i64, 1)), ir.Constant(i64, step))
            folded = [fold(acc[j], kmain, load(builder.add(offset, ir.Constant(i64, j * vbytes)))) for j in range(4)]
            i.add_incoming(builder.add(i, ir.Constant(i64, 1)), body)
            for j in range(4):
                acc[j].add_incoming(folded[j], body)
            builder.branch(header)
            builder.position_at_end(done)
            x = acc[0]
            for j in range(1, 4):  # accumulator j lies one vector after j - 1
                x = fold(x, kvec, acc[j])
            if lanes > 2:  # the 16-byte lanes of the last vector, in message order
                parts = [builder.shuffle_vector(x, x, ir.Constant(ir.VectorType(i32, 2), [2 * j, 2 * j + 1]))
                         for j in range(lanes // 2)]
                x = parts[0]
                for part in parts[1:]:
                    x = fold(x, k16, part, clmul2)
            halves = [builder.extract_element(x, ir.Constant(i32, j)) for j in (0, 1)]
            return context.make_tuple(builder, signature.return_type, halves)

        return sig, codegen

    return fold_steps


_fold_steps = _fold_loop_intrinsic(FOLD_LANES) if HAS_PCLMUL else None


@njit(inline="always")
def _fold16(xl, xh, kl, kh, dl, dh):
    """x * x^128 mod P, xor the next 16-byte block (two carry-less products)."""
    al, ah = _clmul(xl, kl)
    bl, bh = _clmul(xh, kh)
    return al ^ bl ^ dl, ah ^ bh ^ dh


@njit
def _crc_fold(tab, k, state, data, start, end):
    """Raw CRC register after data[start:end] (any length): whole steps through the vector fold, the remaining
    16-byte blocks one at a time, then the 16-byte remainder and the tail through the tables."""
    if end - start < FOLD_STEP_BYTES:
        return _crc_bytes(tab, state, data, start, end)
    steps = (end - start) // FOLD_STEP_BYTES
    xl, xh = _fold_steps(data, start, steps - 1, np.uint64(state), k[0], k[1], k[2], k[3], k[4], k[5])
    i = start + steps * FOLD_STEP_BYTES
    while i + 16 <= end:
        xl, xh = _fold16(xl, xh, k[4], k[5], _load_u64(data, i), _load_u64(data, i + 8))
        i += 16
    # The 16 bytes left are congruent to everything folded so far: run them through the tables from 0.
    s = np.uint64(_crc_word(tab, xl))
    s = np.uint64(_crc_word(tab, xh ^ s))
    return _crc_bytes(tab, s, data, i, end)


@njit
def _crc_table_only(tab, k, state, data, start, end):
    return _crc_bytes(tab, state, data, start, end)


_crc_piece = _crc_fold if HAS_PCLMUL else _crc_table_only  # chosen once: the intrinsic needs the instruction


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


def _crc_pieces(tab, k, poly, x2n, data, start, end, item, item_pieces, out):
    npieces = start.size
    partial = np.empty(npieces, np.uint32)
    for p in prange(npieces):
        # The first piece of a buffer starts from the preset register; later ones from zero (linearity).
        first = p == item_pieces[item[p]]
        init = np.uint32(0xFFFFFFFF) if first else np.uint32(0)
        partial[p] = _crc_piece(tab, k, init, data, start[p], end[p])
    for i in prange(out.size):
        s = partial[item_pieces[i]]
        for p in range(item_pieces[i] + 1, item_pieces[i + 1]):
            s = _multmodp(poly, _xpow8n(poly, x2n, end[p] - start[p]), s) ^ partial[p]
        out[i] = s ^ np.uint32(0xFFFFFFFF)


@njit(nogil=True)
def _crc_claim(tab, k, data, start, end, first, partial, done, counter):
    """Claim pieces from counter[0] until none is left: each piece's raw CRC register (from the preset for the
    first piece of a buffer, from zero for later ones: linearity) into partial, then done[p] = 1."""
    npieces = start.size
    while True:
        p = caller_runs.fetch_add(counter, 0, 1)
        if p >= npieces:
            return
        init = np.uint32(0xFFFFFFFF) if first[p] else np.uint32(0)
        partial[p] = _crc_piece(tab, k, init, data, start[p], end[p])
        caller_runs.store(done, p, 1)


@njit(nogil=True)
def _crc_caller(tab, k, poly, x2n, data, start, end, first, item_pieces, partial, done, counter, out):
    """The calling thread's share (caller_runs): claim pieces like the helpers, then compute any piece a helper
    claimed but has not finished instead of waiting for it, then combine each buffer's pieces."""
    _crc_claim(tab, k, data, start, end, first, partial, done, counter)
    for p in range(start.size):
        if caller_runs.load(done, p) == 0:
            init = np.uint32(0xFFFFFFFF) if first[p] else np.uint32(0)
            partial[p] = _crc_piece(tab, k, init, data, start[p], end[p])
    for i in range(out.size):
        s = partial[item_pieces[i]]
        for p in range(item_pieces[i] + 1, item_pieces[i + 1]):
            s = _multmodp(poly, _xpow8n(poly, x2n, end[p] - start[p]), s) ^ partial[p]
        out[i] = s ^ np.uint32(0xFFFFFFFF)


def _crc_all_cores(tab, k, poly, x2n, data, start, end, item_pieces, out) -> None:
    """CRC of a packed batch on the calling thread and numba.get_num_threads() - 1 helpers (caller_runs)."""
    npieces = start.size
    first = np.zeros(npieces, np.bool_)
    first[item_pieces[:-1]] = True
    partial = np.empty(npieces, np.uint32)
    done = np.zeros(npieces, np.int64)
    counter = np.zeros(1, np.int64)
    threads = numba.get_num_threads()
    if threads > 1:
        caller_runs.helpers(threads - 1).offer(
            lambda: _crc_claim(tab, k, data, start, end, first, partial, done, counter), threads - 1)
    _crc_caller(tab, k, poly, x2n, data, start, end, first, item_pieces, partial, done, counter, out)


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


@njit
def _split(offsets, piece_bytes):
    """pieces.split compiled: (start, end, item, item_pieces) without numpy's per-call overhead, which would
    otherwise cost more than the checksum of a small batch."""
    n = offsets.size - 1
    item_pieces = np.empty(n + 1, np.int64)
    item_pieces[0] = 0
    for i in range(n):
        length = offsets[i + 1] - offsets[i]
        item_pieces[i + 1] = item_pieces[i] + max(1, (length + piece_bytes - 1) // piece_bytes)
    total = item_pieces[n]
    start = np.empty(total, np.int64)
    end = np.empty(total, np.int64)
    item = np.empty(total, np.int64)
    for i in range(n):
        for p in range(item_pieces[i], item_pieces[i + 1]):
            start[p] = offsets[i] + (p - item_pieces[i]) * piece_bytes
            end[p] = min(start[p] + piece_bytes, offsets[i + 1])
            item[p] = i
    return start, end, item, item_pieces


# Each batch loop in two builds: on all cores, and on the calling thread for batches too small to pay for
# waking the thread pool (tens of microseconds, and milliseconds when other tenants hold the cores).
PARALLEL = {name: (njit(parallel=True)(fn), njit(fn)) for name, fn in
            (("crc", _crc_pieces), ("adler32", _adler_pieces), ("inet16", _inet_pieces))}
SERIAL_BELOW_BYTES = 1 << 19  # about 13 us of work for one core at 40 GB/s (in cache): less than waking the pool


# --- entry points -----------------------------------------------------------------------------------------

def _fold_keys(algorithm: str) -> np.ndarray:
    """Fold constants for one step, one vector and one 16-byte block (tables.fold_constants)."""
    distances = (FOLD_STEP_BYTES, FOLD_VECTOR_BYTES, 16)
    return np.array([k for d in distances for k in tables.fold_constants(algorithm, d)], dtype=np.uint64)


_CRC_CONSTANTS = {a: (tables.byte_tables(a, 8), _fold_keys(a), np.uint32(tables.POLYS[a]), tables.x2n_table(a))
                  for a in ("crc32", "crc32c")}


def checksum_packed(algorithm: str, packed: Packed, piece_bytes: int = PIECE_BYTES,
                    parallel: bool | None = None) -> np.ndarray:
    """Checksums of a packed batch: (n,) uint32. `parallel` None: on all cores from SERIAL_BELOW_BYTES up."""
    out = np.empty(packed.count, dtype=np.uint32)
    if not packed.count:
        return out
    if piece_bytes <= 0 or piece_bytes % 2:
        raise ValueError(f"piece_bytes={piece_bytes} must be positive and even")
    start, end, item, item_pieces = _split(packed.offsets, piece_bytes)
    data = packed.data
    serial = int(data.size < SERIAL_BELOW_BYTES) if parallel is None else int(not parallel)
    if algorithm in _CRC_CONSTANTS:
        tab, k, poly, x2n = _CRC_CONSTANTS[algorithm]
        if serial:
            PARALLEL["crc"][serial](tab, k, poly, x2n, data, start, end, item, item_pieces, out)
        else:
            _crc_all_cores(tab, k, poly, x2n, data, start, end, item_pieces, out)
    elif algorithm in ("adler32", "inet16"):
        PARALLEL[algorithm][serial](data, start, end, item_pieces, out)
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    return out


def compile() -> None:
    """JIT-compile every kernel (timed once by the harness as the `compile` phase)."""
    small, large = np.zeros(1000, np.uint8), np.zeros(SERIAL_BELOW_BYTES, np.uint8)
    readonly = [np.frombuffer(bytes(n), np.uint8) for n in (1000, SERIAL_BELOW_BYTES)]  # packed from bytes
    for d in [small, large] + readonly:
        packed = Packed(d, np.array([0, 1, d.size], np.int64))
        for algorithm in ("crc32", "crc32c", "adler32", "inet16"):
            checksum_packed(algorithm, packed)


@njit(parallel=True)
def _read_words(words):
    """Sum of every 64-bit word on all cores, fork-join (prange): a read stream with no arithmetic to speak of."""
    total = np.uint64(0)
    for i in prange(words.size):
        total += words[i]
    return total


@njit(inline="always")
def _word_sum(words, a, b):
    """Sum of words[a:b], looping over a slice so LLVM sees non-negative indices and vectorises."""
    piece = words[a:b]
    total = np.uint64(0)
    for i in range(piece.size):
        total += piece[i]
    return total


@njit(nogil=True)
def _read_claim(words, piece_words, partial, done, counter):
    """Claim pieces of `piece_words` words until none is left; each piece's word sum into partial."""
    npieces = partial.size
    while True:
        p = caller_runs.fetch_add(counter, 0, 1)
        if p >= npieces:
            return
        partial[p] = _word_sum(words, p * piece_words, min((p + 1) * piece_words, words.size))
        caller_runs.store(done, p, 1)


@njit(nogil=True)
def _read_caller(words, piece_words, partial, done, counter):
    _read_claim(words, piece_words, partial, done, counter)
    total = np.uint64(0)
    for p in range(partial.size):
        if caller_runs.load(done, p) == 0:
            partial[p] = _word_sum(words, p * piece_words, min((p + 1) * piece_words, words.size))
        total += partial[p]
    return total


def read_all(data: np.ndarray, scheduling: str = "caller-runs") -> int:
    """Read `data` (uint8, length a multiple of 8) once on all Numba threads; returns the sum of its words
    (mod 2^64). `scheduling`: "caller-runs" (as the CRC kernels: the caller never waits for a helper, see
    caller_runs) or "fork-join" (prange: the call ends when every thread has checked in)."""
    words = data.view(np.uint64)
    if scheduling == "fork-join":
        return int(_read_words(words))
    if scheduling != "caller-runs":
        raise ValueError(f"unknown scheduling {scheduling!r}; use 'caller-runs' or 'fork-join'")
    piece_words = PIECE_BYTES // 8
    npieces = max(1, -(-words.size // piece_words))
    partial = np.zeros(npieces, np.uint64)
    done = np.zeros(npieces, np.int64)
    counter = np.zeros(1, np.int64)
    threads = numba.get_num_threads()
    if threads > 1:
        caller_runs.helpers(threads - 1).offer(lambda: _read_claim(words, piece_words, partial, done, counter),
                                               threads - 1)
    return int(_read_caller(words, piece_words, partial, done, counter))


def crc_fork_join(algorithm: str, packed: Packed, piece_bytes: int = PIECE_BYTES) -> np.ndarray:
    """The CRC on all cores the fork-join way (prange over pieces, the kernel before caller_runs): kept to
    measure what that scheduling costs when a core is busy (the checksum notebook's explanation)."""
    out = np.empty(packed.count, dtype=np.uint32)
    if packed.count:
        start, end, item, item_pieces = _split(packed.offsets, piece_bytes)
        tab, k, poly, x2n = _CRC_CONSTANTS[algorithm]
        PARALLEL["crc"][0](tab, k, poly, x2n, packed.data, start, end, item, item_pieces, out)
    return out
