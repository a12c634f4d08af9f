"""Ed25519 verification on AVX-512 IFMA: eight signatures in the eight 64-bit lanes of one 512-bit vector.

Field elements are radix 2^52: five limbs of 52, 52, 52, 52 and 47 bits (255 bits), each limb one
``<8 x i64>`` vector holding that limb of eight field elements. Products are ``vpmadd52luq``/``vpmadd52huq``
(Intel SDM vol. 2: the low and high 52 bits of a 52 x 52-bit product added to a 64-bit accumulator; Gueron
and Krasnov, "Accelerating Big Integer Arithmetic Using Intel IFMA Extensions", ARITH 2016), called as the
LLVM intrinsics ``llvm.x86.avx512.vpmadd52{l,h}.uq.512`` from Numba: a Numba type ``Lanes`` lowers to
``<8 x i64>`` so whole field elements stay in registers as tuples of vectors.

The eight lanes run in lock-step, so every lane does the same operations: fixed signed radix-16 windows
(digits in [-8, 8], ref10's ``ge_scalarmult_base`` recoding) for both [h](-A) and [S]B, sharing the
doublings (Straus); each lane's table entry (multiples of its own -A, and the base point's fixed table) is
picked branch-free by masked selects, negative digits by a conditional swap and negation. The group
formulas, decompression and both rule sets are those of numba_core.py (ref10), lane-wise.

Batch verification (numba_cpu.verify_prepared_batch, driver batch.py) runs here too: ``decompress`` decodes
eight points per vector, and ``msm_is_small_order`` gives each lane one Pippenger window over every term
(the term is the same in all lanes; each lane's bucket is gathered and scattered limb by limb, as the lanes
pick different buckets). Both hand back numba_cpu's layout (radix-2^51 limbs), so the host side is unchanged.
Both share their pieces between the calling thread and helper threads without a fork-join barrier (the caller
finishes any piece a helper does not get to: kernels/caller_runs.py's scheme).

Limb invariant ("strict"): every limb below 2^52 (the IFMA inputs use 52 bits), the value any residue below
2^260. Every operation returns strict limbs; ``fe_canonical`` gives the unique value below p.
"""
from __future__ import annotations

import os

import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import config, get_num_threads, njit, prange, types
from numba.extending import intrinsic, models, register_model

from .. import caller_runs
from ..registry import BackendUnavailable
from . import numba_core, reference as ref, tables
from .prepare import Prepared

_FEATURES = llvm_binding.get_host_cpu_features()
# The CPU runs the instructions and LLVM emits them: Numba compiles for the host unless told otherwise
# (NUMBA_CPU_NAME / NUMBA_CPU_FEATURES, for portable caches), and then the features must name avx512ifma.
HAS_IFMA = (all(_FEATURES.get(f, False) for f in ("avx512f", "avx512ifma"))
            and ((config.CPU_NAME in (None, "host") and not config.CPU_FEATURES)
                 or "+avx512ifma" in (config.CPU_FEATURES or "")))
DISABLE_ENV = "KERNELS_ED25519_IFMA"  # "0": numba_cpu keeps the radix-2^51 path even where IFMA exists
LANES = 8  # 64-bit lanes of a 512-bit vector: signatures verified per lock-step group
SERIAL_BELOW = LANES  # fewer signatures (one group) run on the calling thread
SERIAL_POINTS_BELOW = 64 * LANES  # points decoded, or MSM terms; fewer run on the calling thread (well under a
                                  # millisecond of work: less than waking the thread pool can cost on a busy machine)


def enabled() -> bool:
    """The CPU has AVX-512 IFMA and the environment does not switch the path off."""
    return HAS_IFMA and os.environ.get(DISABLE_ENV, "1") != "0"


# ---- the vector type and its operations (LLVM IR) --------------------------------------------------------------

_VEC = ir.VectorType(ir.IntType(64), LANES)


class Lanes(types.Type):
    """Eight uint64 lanes of one 512-bit vector (``<8 x i64>`` in the LLVM IR)."""

    def __init__(self):
        super().__init__(name="Lanes8xu64")


lanes = Lanes()


@register_model(Lanes)
class _LanesModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VEC)


def _lanewise(name, make):
    """An intrinsic of two Lanes returning Lanes, its IR made by `make(builder, a, b)`."""

    def typer(typingctx, a, b):
        if a != lanes or b != lanes:
            return None
        return lanes(lanes, lanes), lambda context, builder, sig, args: make(builder, *args)

    typer.__name__ = name
    return intrinsic(typer)


v_add = _lanewise("v_add", lambda b, x, y: b.add(x, y))
v_sub = _lanewise("v_sub", lambda b, x, y: b.sub(x, y))
v_and = _lanewise("v_and", lambda b, x, y: b.and_(x, y))
v_or = _lanewise("v_or", lambda b, x, y: b.or_(x, y))
v_shr = _lanewise("v_shr", lambda b, x, y: b.lshr(x, y))
v_eq = _lanewise("v_eq", lambda b, x, y: b.sext(b.icmp_unsigned("==", x, y), _VEC))  # all ones where equal


def _madd52(name):
    def typer(typingctx, acc, a, b):
        if acc != lanes or a != lanes or b != lanes:
            return None

        def codegen(context, builder, sig, args):
            fn = builder.module.declare_intrinsic(name, fnty=ir.FunctionType(_VEC, [_VEC, _VEC, _VEC]))
            return builder.call(fn, list(args))

        return lanes(lanes, lanes, lanes), codegen

    typer.__name__ = name.replace(".", "_")
    return intrinsic(typer)


L = _madd52("llvm.x86.avx512.vpmadd52l.uq.512")  # acc + low 52 bits of a[51:0] * b[51:0]
H = _madd52("llvm.x86.avx512.vpmadd52h.uq.512")  # acc + high 52 bits of a[51:0] * b[51:0]


@intrinsic
def v_select(typingctx, mask, a, b):
    """a where mask is non-zero, else b, lane by lane."""
    if mask != lanes or a != lanes or b != lanes:
        return None

    def codegen(context, builder, sig, args):
        m, x, y = args
        return builder.select(builder.icmp_unsigned("!=", m, ir.Constant(_VEC, None)), x, y)

    return lanes(lanes, lanes, lanes), codegen


@intrinsic
def v_splat(typingctx, x):
    """x (an integer) in every lane."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        v = builder.insert_element(ir.Constant(_VEC, ir.Undefined), context.cast(builder, args[0], sig.args[0],
                                                                                  types.uint64), ir.Constant(i32, 0))
        return builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))

    return lanes(x), codegen


def _check_array(arr):
    return isinstance(arr, types.Array) and arr.dtype == types.uint64 and arr.layout == "C"


@intrinsic
def v_load(typingctx, arr, i):
    """Eight uint64 of a C-contiguous uint64 array from flat index i (no bounds check)."""
    if not _check_array(arr) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        index = context.cast(builder, args[1], sig.args[1], types.int64)
        return builder.load(builder.bitcast(builder.gep(data, [index]), _VEC.as_pointer()), align=8)

    return lanes(arr, i), codegen


@intrinsic
def v_store(typingctx, arr, i, v):
    """Store the eight lanes of v at flat index i of a C-contiguous uint64 array (no bounds check)."""
    if not _check_array(arr) or not isinstance(i, types.Integer) or v != lanes:
        return None

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        index = context.cast(builder, args[1], sig.args[1], types.int64)
        builder.store(args[2], builder.bitcast(builder.gep(data, [index]), _VEC.as_pointer()), align=8)
        return context.get_dummy_value()

    return types.none(arr, i, v), codegen


# ---- radix 2^52 field arithmetic, eight elements at a time ----------------------------------------------------

M52 = np.uint64((1 << 52) - 1)
M47 = np.uint64((1 << 47) - 1)
S52, S47 = np.uint64(52), np.uint64(47)
U0, U1, U19 = np.uint64(0), np.uint64(1), np.uint64(19)
K608 = np.uint64(608)  # 2^260 = 2^5 * 2^255 = 32 * 19 (mod p): the weight of limb 5 folded onto limb 0
LIMB_SHIFT = (0, 52, 104, 156, 208)
LIMB_MASK = ((1 << 52) - 1,) * 4 + ((1 << 47) - 1,)


def limbs52(x: int) -> tuple[int, ...]:
    """x (0 <= x < 2^260) as five limbs of radix 2^52 (the top limb keeps everything above bit 208): no
    reduction mod p, so non-canonical values keep their limbs."""
    assert 0 <= x < 1 << 260
    return tuple((x >> s) & ((1 << 52) - 1) for s in LIMB_SHIFT)


def from_limbs52(v) -> int:
    return sum(int(x) << s for x, s in zip(v, LIMB_SHIFT))


_P64 = tuple(np.uint64(64 * ((1 << 52) - 19 if k == 0 else m)) for k, m in enumerate(LIMB_MASK))  # 64p, limbwise
P64_0, P64_1, P64_4 = _P64[0], _P64[1], _P64[4]  # every limb of 64p exceeds 2^52, so a - b + 64p stays >= 0


@njit
def carry(r0, r1, r2, r3, r4):
    """Strict limbs of r0 + r1 2^52 + ... (mod p), each r_k below 2^62: bits from 255 up fold onto limb 0 as 19
    times, then one carry ripple upwards ends in limb 4, which has 5 bits of room (below 2^47 + 2^11)."""
    c = v_shr(r4, v_splat(S47))
    r4 = v_and(r4, v_splat(M47))
    r0 = L(r0, c, v_splat(U19))  # 19 c < 2^52: exact
    r1 = v_add(r1, v_shr(r0, v_splat(S52)))
    r0 = v_and(r0, v_splat(M52))
    r2 = v_add(r2, v_shr(r1, v_splat(S52)))
    r1 = v_and(r1, v_splat(M52))
    r3 = v_add(r3, v_shr(r2, v_splat(S52)))
    r2 = v_and(r2, v_splat(M52))
    r4 = v_add(r4, v_shr(r3, v_splat(S52)))
    r3 = v_and(r3, v_splat(M52))
    return (r0, r1, r2, r3, r4)


@njit
def reduce_wide(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9):
    """Strict limbs of sum c_k 2^(52 k) mod p, for the ten columns of a product of strict inputs. The high
    columns are carried first (c9 then ends below 2^52: the product is below 2^520), then folded onto the low
    ones with IFMA by 608 = 2^260 mod p."""
    k = v_splat(K608)
    c6 = v_add(c6, v_shr(c5, v_splat(S52)))
    c5 = v_and(c5, v_splat(M52))
    c7 = v_add(c7, v_shr(c6, v_splat(S52)))
    c6 = v_and(c6, v_splat(M52))
    c8 = v_add(c8, v_shr(c7, v_splat(S52)))
    c7 = v_and(c7, v_splat(M52))
    c9 = v_add(c9, v_shr(c8, v_splat(S52)))
    c8 = v_and(c8, v_splat(M52))
    top = H(v_splat(U0), c9, k)  # 608 c9 >> 52 < 608: weight 2^260 again
    r0 = L(L(c0, c5, k), top, k)
    r1 = L(H(c1, c5, k), c6, k)
    r2 = L(H(c2, c6, k), c7, k)
    r3 = L(H(c3, c7, k), c8, k)
    r4 = L(H(c4, c8, k), c9, k)
    return carry(r0, r1, r2, r3, r4)


@njit
def fe_mul(a, b):
    """a * b mod p: 25 products, each split by IFMA into its low 52 bits (column i + j) and high 52 bits (i + j + 1)."""
    a0, a1, a2, a3, a4 = a
    b0, b1, b2, b3, b4 = b
    Z = v_splat(U0)
    c0 = L(Z, a0, b0)
    c1 = L(L(H(Z, a0, b0), a0, b1), a1, b0)
    c2 = L(L(H(L(H(Z, a0, b1), a0, b2), a1, b0), a1, b1), a2, b0)
    c3 = L(L(H(L(H(L(H(Z, a0, b2), a0, b3), a1, b1), a1, b2), a2, b0), a2, b1), a3, b0)
    c4 = L(L(H(L(H(L(H(L(H(Z, a0, b3), a0, b4), a1, b2), a1, b3), a2, b1), a2, b2), a3, b0), a3, b1), a4, b0)
    c5 = L(H(L(H(L(H(L(H(H(Z, a0, b4), a1, b3), a1, b4), a2, b2), a2, b3), a3, b1), a3, b2), a4, b0), a4, b1)
    c6 = L(H(L(H(L(H(H(Z, a1, b4), a2, b3), a2, b4), a3, b2), a3, b3), a4, b1), a4, b2)
    c7 = L(H(L(H(H(Z, a2, b4), a3, b3), a3, b4), a4, b2), a4, b3)
    c8 = L(H(H(Z, a3, b4), a4, b3), a4, b4)
    c9 = H(Z, a4, b4)
    return reduce_wide(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)


@njit
def fe_sq(a):
    """a^2 mod p: the ten cross products once, their columns doubled, then the five squares."""
    a0, a1, a2, a3, a4 = a
    Z = v_splat(U0)
    c1 = L(Z, a0, a1)
    c2 = L(H(Z, a0, a1), a0, a2)
    c3 = L(L(H(Z, a0, a2), a0, a3), a1, a2)
    c4 = L(H(L(H(Z, a0, a3), a0, a4), a1, a2), a1, a3)
    c5 = L(L(H(H(Z, a0, a4), a1, a3), a1, a4), a2, a3)
    c6 = L(H(H(Z, a1, a4), a2, a3), a2, a4)
    c7 = L(H(Z, a2, a4), a3, a4)
    c8 = H(Z, a3, a4)
    c0 = L(Z, a0, a0)
    c1 = H(v_add(c1, c1), a0, a0)
    c2 = L(v_add(c2, c2), a1, a1)
    c3 = H(v_add(c3, c3), a1, a1)
    c4 = L(v_add(c4, c4), a2, a2)
    c5 = H(v_add(c5, c5), a2, a2)
    c6 = L(v_add(c6, c6), a3, a3)
    c7 = H(v_add(c7, c7), a3, a3)
    c8 = L(v_add(c8, c8), a4, a4)
    c9 = H(Z, a4, a4)
    return reduce_wide(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)


@njit
def fe_add(a, b):
    return carry(v_add(a[0], b[0]), v_add(a[1], b[1]), v_add(a[2], b[2]), v_add(a[3], b[3]), v_add(a[4], b[4]))


@njit
def fe_sub(a, b):
    """a - b + 64p, limb by limb (every limb of 64p is above 2^52, so none goes negative), then carried."""
    p0, p1, p4 = v_splat(P64_0), v_splat(P64_1), v_splat(P64_4)
    return carry(v_sub(v_add(a[0], p0), b[0]), v_sub(v_add(a[1], p1), b[1]), v_sub(v_add(a[2], p1), b[2]),
                 v_sub(v_add(a[3], p1), b[3]), v_sub(v_add(a[4], p4), b[4]))


@njit
def fe_zero():
    z = v_splat(U0)
    return (z, z, z, z, z)


@njit
def fe_one():
    z = v_splat(U0)
    return (v_splat(U1), z, z, z, z)


@njit
def fe_neg(a):
    return fe_sub(fe_zero(), a)


@njit
def fe_canonical(f):
    """The unique limbs of f mod p (value below p): three carries bring f below 2p, then p is subtracted
    where f + 19 reaches 2^255."""
    t0, t1, t2, t3, t4 = f
    for _ in range(3):
        t0, t1, t2, t3, t4 = carry(t0, t1, t2, t3, t4)
    m52, m47 = v_splat(M52), v_splat(M47)
    s52 = v_splat(S52)
    q = v_shr(v_add(t0, v_splat(U19)), s52)
    q = v_shr(v_add(t1, q), s52)
    q = v_shr(v_add(t2, q), s52)
    q = v_shr(v_add(t3, q), s52)
    q = v_shr(v_add(t4, q), v_splat(S47))
    t0 = L(t0, q, v_splat(U19))
    t1 = v_add(t1, v_shr(t0, s52))
    t0 = v_and(t0, m52)
    t2 = v_add(t2, v_shr(t1, s52))
    t1 = v_and(t1, m52)
    t3 = v_add(t3, v_shr(t2, s52))
    t2 = v_and(t2, m52)
    t4 = v_add(t4, v_shr(t3, s52))
    t3 = v_and(t3, m52)
    return (t0, t1, t2, t3, v_and(t4, m47))


@njit
def fe_iszero(f):
    """All ones in the lanes where f = 0 mod p."""
    t = fe_canonical(f)
    return v_eq(v_or(v_or(v_or(t[0], t[1]), v_or(t[2], t[3])), t[4]), v_splat(U0))


@njit
def fe_parity(f):
    """The low bit of f mod p, per lane (0 or 1): the sign of x in an encoding."""
    return v_and(fe_canonical(f)[0], v_splat(U1))


@njit
def fe_select(mask, a, b):
    return (v_select(mask, a[0], b[0]), v_select(mask, a[1], b[1]), v_select(mask, a[2], b[2]),
            v_select(mask, a[3], b[3]), v_select(mask, a[4], b[4]))


@njit
def fe_load(arr, i):
    """Field element number i of a (..., 5, 8) uint64 array (limb-major, lanes contiguous)."""
    o = i * 5 * LANES
    return (v_load(arr, o), v_load(arr, o + 8), v_load(arr, o + 16), v_load(arr, o + 24), v_load(arr, o + 32))


@njit
def fe_store(arr, i, f):
    o = i * 5 * LANES
    v_store(arr, o, f[0])
    v_store(arr, o + 8, f[1])
    v_store(arr, o + 16, f[2])
    v_store(arr, o + 24, f[3])
    v_store(arr, o + 32, f[4])


@njit
def fe_splat(arr, i):
    """Field element i of a (..., 5) uint64 array of limbs, the same in every lane."""
    return (v_splat(arr[i, 0]), v_splat(arr[i, 1]), v_splat(arr[i, 2]), v_splat(arr[i, 3]), v_splat(arr[i, 4]))


@njit
def fe_sqn(f, n):
    for _ in range(n):
        f = fe_sq(f)
    return f


@njit
def fe_invert(z):
    """z^(p-2), ref10's addition chain."""
    t0 = fe_sq(z)
    t1 = fe_mul(z, fe_sqn(t0, 2))
    t0 = fe_mul(t0, t1)
    t1 = fe_mul(t1, fe_sq(t0))
    t1 = fe_mul(fe_sqn(t1, 5), t1)
    t2 = fe_mul(fe_sqn(t1, 10), t1)
    t2 = fe_mul(fe_sqn(t2, 20), t2)
    t1 = fe_mul(fe_sqn(t2, 10), t1)
    t2 = fe_mul(fe_sqn(t1, 50), t1)
    t2 = fe_mul(fe_sqn(t2, 100), t2)
    t1 = fe_mul(fe_sqn(t2, 50), t1)
    return fe_mul(fe_sqn(t1, 5), t0)


@njit
def fe_pow22523(z):
    """z^((p-5)/8), ref10's addition chain."""
    t0 = fe_sq(z)
    t1 = fe_mul(z, fe_sqn(t0, 2))
    t0 = fe_mul(t0, t1)
    t0 = fe_mul(t1, fe_sq(t0))
    t0 = fe_mul(fe_sqn(t0, 5), t0)
    t1 = fe_mul(fe_sqn(t0, 10), t0)
    t1 = fe_mul(fe_sqn(t1, 20), t1)
    t0 = fe_mul(fe_sqn(t1, 10), t0)
    t1 = fe_mul(fe_sqn(t0, 50), t0)
    t1 = fe_mul(fe_sqn(t1, 100), t1)
    t0 = fe_mul(fe_sqn(t1, 50), t0)
    return fe_mul(fe_sqn(t0, 2), z)


# ---- group arithmetic (ref10 formulas, numba_core.py), eight points at a time ----------------------------------

@njit
def p1p1_to_p2(p):
    x, y, z, t = p
    return (fe_mul(x, t), fe_mul(y, z), fe_mul(z, t))


@njit
def p1p1_to_p3(p):
    x, y, z, t = p
    return (fe_mul(x, t), fe_mul(y, z), fe_mul(z, t), fe_mul(x, y))


@njit
def p2_dbl(p):
    x, y, z = p
    xx = fe_sq(x)
    yy = fe_sq(y)
    b = fe_sq(z)
    b = fe_add(b, b)
    aa = fe_sq(fe_add(x, y))
    ry = fe_add(yy, xx)
    rz = fe_sub(yy, xx)
    return (fe_sub(aa, ry), ry, rz, fe_sub(b, rz))


@njit
def add_cached(p, q):
    """p + q as p1p1; p extended, q cached: (Y + X, Y - X, Z, 2dT)."""
    px, py, pz, pt = p
    rz = fe_mul(fe_add(py, px), q[0])
    ry = fe_mul(fe_sub(py, px), q[1])
    rt = fe_mul(q[3], pt)
    rx = fe_mul(pz, q[2])
    t0 = fe_add(rx, rx)
    return (fe_sub(rz, ry), fe_add(rz, ry), fe_add(t0, rt), fe_sub(t0, rt))


@njit
def add_affine(p, q):
    """p + q as p1p1; p extended, q affine precomputed: (y + x, y - x, 2dxy)."""
    px, py, pz, pt = p
    rz = fe_mul(fe_add(py, px), q[0])
    ry = fe_mul(fe_sub(py, px), q[1])
    rt = fe_mul(q[2], pt)
    t0 = fe_add(pz, pz)
    return (fe_sub(rz, ry), fe_add(rz, ry), fe_add(t0, rt), fe_sub(t0, rt))


@njit
def to_cached(p, d2):
    x, y, z, t = p
    return (fe_add(y, x), fe_sub(y, x), z, fe_mul(t, d2))


@njit
def decompress_negate(y, sign, d, sqrtm1):
    """(ok, -P) per lane for the points with y coordinate y (raw 255 bits, taken mod p) and x sign bit `sign`
    (0 or 1 per lane): numba_core.decompress_negate lane-wise; ok is all ones where y is a curve point's."""
    one = fe_one()
    u = fe_sq(y)
    v = fe_add(fe_mul(u, d), one)
    u = fe_sub(u, one)
    v3 = fe_mul(fe_sq(v), v)
    x = fe_mul(fe_mul(fe_sq(v3), v), u)
    x = fe_mul(fe_mul(fe_pow22523(x), v3), u)
    vxx = fe_mul(fe_sq(x), v)
    root = fe_iszero(fe_sub(vxx, u))
    ok = v_or(root, fe_iszero(fe_add(vxx, u)))
    x = fe_select(root, x, fe_mul(x, sqrtm1))
    x = fe_select(v_eq(fe_parity(x), sign), fe_neg(x), x)
    return ok, (x, y, one, fe_mul(x, y))


@njit
def store_cached(table, k, q):
    """Entry k (four field elements) of a lane table of cached points, a (32, 5, 8) uint64 array."""
    for c in range(4):
        fe_store(table, 4 * k + c, q[c])


@njit
def load_cached(table, k):
    return (fe_load(table, 4 * k), fe_load(table, 4 * k + 1), fe_load(table, 4 * k + 2), fe_load(table, 4 * k + 3))


@njit
def select_cached(table, absd, negative):
    """Per lane, entry |d| of a lane's table of cached multiples 1..8 (the identity for d = 0), negated where
    d < 0 (Y + X and Y - X swapped, 2dT negated): masked selects, no branch."""
    one, zero = fe_one(), fe_zero()
    yp, ym, z, t = one, one, one, zero
    for k in range(8):
        m = v_eq(absd, v_splat(k + 1))
        q = load_cached(table, k)
        yp = fe_select(m, q[0], yp)
        ym = fe_select(m, q[1], ym)
        z = fe_select(m, q[2], z)
        t = fe_select(m, q[3], t)
    return (fe_select(negative, ym, yp), fe_select(negative, yp, ym), z, fe_select(negative, fe_neg(t), t))


@njit
def select_base(base, absd, negative):
    """Per lane, entry |d| of the base point's affine table (k B for k = 1..8), negated where d < 0."""
    one, zero = fe_one(), fe_zero()
    yp, ym, t = one, one, zero
    for k in range(8):
        m = v_eq(absd, v_splat(k + 1))
        yp = fe_select(m, fe_splat(base, 3 * k), yp)
        ym = fe_select(m, fe_splat(base, 3 * k + 1), ym)
        t = fe_select(m, fe_splat(base, 3 * k + 2), t)
    return (fe_select(negative, ym, yp), fe_select(negative, yp, ym), fe_select(negative, fe_neg(t), t))


@njit
def double_scalarmult(minus_a, digits, consts, base, table):
    """[h](-A) + [S]B per lane, as p1p1: 64 fixed windows of 4 bits from the top, four doublings each
    (none before the first), then one addition from each table. digits: (4, 64, 8) uint64, rows |h digit|,
    h negative mask, |S digit|, S negative mask; table: scratch for the lanes' multiples of -A."""
    d2 = fe_splat(consts, 1)
    store_cached(table, 0, to_cached(minus_a, d2))
    twice = p1p1_to_p3(p2_dbl((minus_a[0], minus_a[1], minus_a[2])))
    store_cached(table, 1, to_cached(twice, d2))
    for j in range(2, 8):  # (j + 1)(-A) = 2(-A) + (j - 1)(-A)
        store_cached(table, j, to_cached(p1p1_to_p3(add_cached(twice, load_cached(table, j - 2))), d2))
    one, zero = fe_one(), fe_zero()
    acc = (zero, one, one, one)  # the identity in p1p1 form
    for w in range(63, -1, -1):
        if w < 63:
            t = p2_dbl(p1p1_to_p2(acc))
            t = p2_dbl(p1p1_to_p2(t))
            t = p2_dbl(p1p1_to_p2(t))
            acc = p2_dbl(p1p1_to_p2(t))
        o = w * LANES
        acc = add_cached(p1p1_to_p3(acc), select_cached(table, v_load(digits, o), v_load(digits, 64 * LANES + o)))
        acc = add_affine(p1p1_to_p3(acc), select_base(base, v_load(digits, 128 * LANES + o),
                                                      v_load(digits, 192 * LANES + o)))
    return acc


# ---- per-lane scalar preparation (bytes to limbs, window digits, the byte-level checks) -----------------------

@njit
def _word(b, offset, k):
    w = U0
    for i in range(8):
        w |= np.uint64(b[offset + 8 * k + i]) << np.uint64(8 * i)
    return w


@njit
def load_y(b, offset, out, row, lane):
    """The low 255 bits of b[offset:offset + 32] as radix 2^52 limbs into out[row, :, lane]; returns the top bit."""
    w0, w1, w2, w3 = _word(b, offset, 0), _word(b, offset, 1), _word(b, offset, 2), _word(b, offset, 3)
    out[row, 0, lane] = w0 & M52
    out[row, 1, lane] = ((w0 >> np.uint64(52)) | (w1 << np.uint64(12))) & M52
    out[row, 2, lane] = ((w1 >> np.uint64(40)) | (w2 << np.uint64(24))) & M52
    out[row, 3, lane] = ((w2 >> np.uint64(28)) | (w3 << np.uint64(36))) & M52
    out[row, 4, lane] = (w3 >> np.uint64(16)) & M47
    return np.uint64(b[offset + 31] >> 7)


@njit
def recode(s, offset, digits, row, lane):
    """Signed radix-16 digits e_0..e_63 of the 32-byte little-endian scalar s[offset:], e_i in [-8, 8)
    (e_63 up to 8 for scalars below 2^255; ref10 ge_scalarmult_base), as |e_i| into digits[row] and a mask
    (all ones where e_i < 0) into digits[row + 1]."""
    carry_ = 0
    for i in range(64):
        byte = np.int64(s[offset + (i >> 1)])
        e = ((byte >> (4 * (i & 1))) & 15) + carry_
        if i < 63:
            carry_ = (e + 8) >> 4
            e -= carry_ << 4
        digits[row, i, lane] = np.uint64(-e if e < 0 else e)
        digits[row + 1, i, lane] = ~U0 if e < 0 else U0


_CORE = numba_core.build(njit, radix51=True)  # the byte-level checks (S < L, block list, canonical y)
_sc_is_canonical, _has_small_order, _ge_is_canonical = (_CORE.sc_is_canonical, _CORE.has_small_order,
                                                        _CORE.ge_is_canonical)


@njit
def verify_group(pk, sig, h, start, count, consts, base, small, l_bytes, zip215, out):
    """Verdicts of signatures start .. start + count - 1 (count <= 8) into out, one lane each (spare lanes
    repeat the first signature and are dropped)."""
    ys = np.empty((2, 5, LANES), np.uint64)  # y of A, y of R
    signs = np.empty((2, LANES), np.uint64)
    digits = np.empty((4, 64, LANES), np.uint64)
    table = np.empty((32, 5, LANES), np.uint64)
    checked = np.empty(LANES, np.bool_)
    for lane in range(LANES):
        i = start + (lane if lane < count else 0)
        if zip215:
            checked[lane] = _sc_is_canonical(sig[i], l_bytes)
        else:
            checked[lane] = (_sc_is_canonical(sig[i], l_bytes) and not _has_small_order(sig[i], small)
                             and _ge_is_canonical(pk[i]) and not _has_small_order(pk[i], small))
        signs[0, lane] = load_y(pk[i], 0, ys, 0, lane)
        signs[1, lane] = load_y(sig[i], 0, ys, 1, lane)
        recode(h[i], 0, digits, 0, lane)
        recode(sig[i], 32, digits, 2, lane)
    d, d2, sqrtm1 = fe_splat(consts, 0), fe_splat(consts, 1), fe_splat(consts, 2)
    ok, minus_a = decompress_negate(fe_load(ys, 0), v_load(signs, 0), d, sqrtm1)
    t = double_scalarmult(minus_a, digits, consts, base, table)
    y_r = fe_load(ys, 1)
    if zip215:
        ok_r, minus_r = decompress_negate(y_r, v_load(signs, LANES), d, sqrtm1)
        t = add_cached(p1p1_to_p3(t), to_cached(minus_r, d2))
        for _ in range(3):  # the cofactor 8
            t = p2_dbl(p1p1_to_p2(t))
        good = v_and(v_and(ok, ok_r), v_and(fe_iszero(t[0]), fe_iszero(fe_sub(t[1], t[3]))))
    else:
        r = p1p1_to_p2(t)
        zinv = fe_invert(r[2])
        y = fe_canonical(fe_mul(r[1], zinv))
        same = v_and(v_and(v_eq(y[0], y_r[0]), v_eq(y[1], y_r[1])), v_and(v_eq(y[2], y_r[2]), v_eq(y[3], y_r[3])))
        same = v_and(same, v_and(v_eq(y[4], y_r[4]), v_eq(fe_parity(fe_mul(r[0], zinv)), v_load(signs, LANES))))
        good = v_and(ok, same)
    verdicts = np.empty(LANES, np.uint64)
    v_store(verdicts, 0, good)
    for lane in range(count):
        out[start + lane] = 1 if checked[lane] and verdicts[lane] != U0 else 0


def _verify_groups(pk, sig, h, consts, base, small, l_bytes, zip215, out):
    n = out.size
    for g in prange((n + LANES - 1) // LANES):
        verify_group(pk, sig, h, g * LANES, min(LANES, n - g * LANES), consts, base, small, l_bytes, zip215, out)


_verify_all = njit(parallel=True)(_verify_groups)
_verify_serial = njit(_verify_groups)


def _limbs_array(values) -> np.ndarray:
    return np.array([limbs52(v % ref.P) for v in values], dtype=np.uint64)


CONSTS = _limbs_array([ref.D, 2 * ref.D, ref.SQRT_M1])  # (3, 5): d, 2d, sqrt(-1)


def _base_table() -> np.ndarray:
    """(24, 5): for k = 1..8 the precomputed point (y + x, y - x, 2dxy) of k B, affine, as rows 3(k-1) .. 3k-1."""
    rows = []
    for k in range(1, 9):
        x, y, z, _ = ref.scalar_mult(k, ref.BASE)
        zinv = pow(z, ref.P - 2, ref.P)
        x, y = x * zinv % ref.P, y * zinv % ref.P
        rows += [y + x, y - x, 2 * ref.D * x * y]
    return _limbs_array(rows)


BASE = _base_table()
SMALL = tables.SMALL_ORDER.copy()
L_BYTES = tables.L_BYTES.copy()


def verify_prepared(prepared: Prepared, rules: str = "libsodium") -> np.ndarray:
    """Per-signature verdicts under `rules` ("libsodium" or "zip215"), eight signatures per vector, groups of
    eight across the cores. Only where the CPU has AVX-512 IFMA (``HAS_IFMA``)."""
    if not HAS_IFMA:
        raise BackendUnavailable("ed25519_verify on numba_cpu: the AVX-512 IFMA path needs a CPU with avx512ifma")
    out = np.zeros(prepared.count, dtype=np.uint8)
    if prepared.count:
        kernel = _verify_serial if prepared.count < SERIAL_BELOW else _verify_all
        kernel(np.ascontiguousarray(prepared.public_keys), np.ascontiguousarray(prepared.signatures),
               np.ascontiguousarray(prepared.challenges), CONSTS, BASE, SMALL, L_BYTES, rules == "zip215", out)
    return prepared.verdicts(out)


# ---- the kernels of batch verification share a call with helper threads without waiting for them ------------
# A prange loop ends when every thread of the pool has checked in; on a machine whose other core is busy that
# wait is milliseconds (a scheduler time slice), more than the whole kernel. So, as the checksum kernels do
# (kernels/caller_runs.py), the calling thread and up to get_num_threads() - 1 helpers claim pieces
# from one atomic counter, and the caller finishes itself any piece a helper does not: at the speed of two
# cores when the other one is free, of one when it is not.

PIECE_GROUPS = 4  # groups of eight points decoded per claimed piece (about 25 us)
PATIENCE_CYCLES = 1 << 18  # time-stamp counter ticks (about 0.1 ms at 2.5 GHz) the caller waits for a helper's
                           # pass to report progress (it does every PROGRESS_TERMS terms, ~10 us) before redoing it
PROGRESS_TERMS = 32


@njit
def pieces_of(points):
    return ((points + LANES - 1) // LANES + PIECE_GROUPS - 1) // PIECE_GROUPS


def offer_helpers(work: int, claim) -> None:
    """Queue `claim()` for up to get_num_threads() - 1 helpers when `work` (points or terms) is at least
    SERIAL_POINTS_BELOW; smaller calls stay on the calling thread."""
    threads = get_num_threads()
    if threads > 1 and work >= SERIAL_POINTS_BELOW:
        caller_runs.helpers(threads - 1).offer(claim, threads - 1)


# ---- decompression for batch verification (numba_cpu.decompress): eight points per vector -------------------

M51 = np.uint64((1 << 51) - 1)


@njit
def store_limbs51(cached, c, lane, pts, row):
    """Field element c of lane `lane` of cached (4, 5, 8), canonical radix 2^52, into pts[row, c] as five
    51-bit limbs (numba_core's CPU layout)."""
    l0, l1, l2 = cached[c, 0, lane], cached[c, 1, lane], cached[c, 2, lane]
    l3, l4 = cached[c, 3, lane], cached[c, 4, lane]
    pts[row, c, 0] = l0 & M51
    pts[row, c, 1] = ((l0 >> np.uint64(51)) | (l1 << np.uint64(1))) & M51
    pts[row, c, 2] = ((l1 >> np.uint64(50)) | (l2 << np.uint64(2))) & M51
    pts[row, c, 3] = ((l2 >> np.uint64(49)) | (l3 << np.uint64(3))) & M51
    pts[row, c, 4] = ((l3 >> np.uint64(48)) | (l4 << np.uint64(4))) & M51


@njit
def decompress_group(enc, rows, start, count, consts, pts, decoded):
    """Encodings enc[start .. start + count - 1] (count <= 8) decoded under ZIP 215, negated, in cached form
    (Y + X, Y - X, Z, 2dT) into pts[rows[j]] (radix 2^51); decoded[j]: the encoding is a curve point's."""
    ys = np.empty((1, 5, LANES), np.uint64)
    signs = np.empty(LANES, np.uint64)
    for lane in range(LANES):
        signs[lane] = load_y(enc[start + (lane if lane < count else 0)], 0, ys, 0, lane)
    good, minus_p = decompress_negate(fe_load(ys, 0), v_load(signs, 0), fe_splat(consts, 0), fe_splat(consts, 2))
    q = to_cached(minus_p, fe_splat(consts, 1))
    cached = np.empty((4, 5, LANES), np.uint64)
    for c in range(4):
        fe_store(cached, c, fe_canonical(q[c]))
    flags = np.empty(LANES, np.uint64)
    v_store(flags, 0, good)
    for lane in range(count):
        for c in range(4):
            store_limbs51(cached, c, lane, pts, rows[start + lane])
        decoded[start + lane] = flags[lane] != U0


@njit
def decompress_piece(enc, rows, consts, pts, decoded, piece):
    """Groups piece * PIECE_GROUPS .. (piece + 1) * PIECE_GROUPS - 1 of eight encodings each."""
    m = decoded.size
    for g in range(piece * PIECE_GROUPS, min((piece + 1) * PIECE_GROUPS, (m + LANES - 1) // LANES)):
        decompress_group(enc, rows, g * LANES, min(LANES, m - g * LANES), consts, pts, decoded)


@njit(nogil=True)
def _decompress_claim(enc, rows, consts, pts, decoded, counter, done):
    """Claim pieces from counter[0] until none is left (caller_runs): decode each, then mark it done."""
    pieces = pieces_of(decoded.size)
    while True:
        piece = caller_runs.fetch_add(counter, 0, 1)
        if piece >= pieces:
            return
        decompress_piece(enc, rows, consts, pts, decoded, piece)
        caller_runs.store(done, piece, 1)


@njit(nogil=True)
def _decompress_caller(enc, rows, consts, pts, decoded, counter, done):
    """The calling thread's share: claim pieces like the helpers, then decode itself every piece a helper has
    not finished (a piece is about 25 us: less than waiting for a helper the OS may not run for milliseconds)."""
    _decompress_claim(enc, rows, consts, pts, decoded, counter, done)
    for piece in range(pieces_of(decoded.size)):
        if caller_runs.load(done, piece) == 0:
            decompress_piece(enc, rows, consts, pts, decoded, piece)


@njit
def _s_below_l(sig, l_bytes, out):
    for i in range(out.size):
        out[i] = _sc_is_canonical(sig[i], l_bytes)


def decompress(prepared: Prepared, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numba_cpu.decompress on IFMA lanes: (points, ok), -A_i at row i (where first[i] == i), -R_i at row n + i,
    in cached form with radix-2^51 limbs, row 2n left for B (zeros); ok[i] when A_i and R_i decode under ZIP 215
    and S_i < L."""
    if not HAS_IFMA:
        raise BackendUnavailable("ed25519_verify on numba_cpu: the AVX-512 IFMA path needs a CPU with avx512ifma")
    n = prepared.count
    pts = np.zeros((2 * n + 1, 4, 5), dtype=np.uint64)
    if n == 0:
        return pts, np.zeros(0, dtype=np.bool_)
    keys = np.flatnonzero(first == np.arange(n))
    sigs = np.ascontiguousarray(prepared.signatures)
    enc = np.ascontiguousarray(np.concatenate([prepared.public_keys[keys], sigs[:, :32]]))
    rows = np.concatenate([keys, n + np.arange(n)]).astype(np.int64)
    decoded = np.zeros(rows.size, dtype=np.bool_)
    counter, done = np.zeros(1, np.int64), np.zeros(pieces_of(rows.size), np.int64)
    offer_helpers(rows.size, lambda: _decompress_claim(enc, rows, CONSTS, pts, decoded, counter, done))
    _decompress_caller(enc, rows, CONSTS, pts, decoded, counter, done)
    s_ok = np.zeros(n, dtype=np.bool_)
    _s_below_l(sigs, L_BYTES, s_ok)
    ok_a = np.zeros(n, dtype=np.bool_)
    ok_a[keys] = decoded[:keys.size]
    return pts, decoded[keys.size:] & s_ok & ok_a[first]


# ---- the multi-scalar multiplication of batch verification: one Pippenger window per lane ---------------------

_fe_canonical51, _scalar_digit = _CORE.fe_canonical, _CORE.scalar_digit
_p3_identity, _p3_add_p3, _p3_load = _CORE.p3_identity, _CORE.p3_add_p3, _CORE.p3_load
_p2_dbl, _p1p1_to_p3, _fe_iszero51, _fe_sub51 = _CORE.p2_dbl, _CORE.p1p1_to_p3, _CORE.fe_iszero, _CORE.fe_sub


def msm_window_bits(terms: int) -> int:
    """The window c minimising ceil(ceil(253 / c) / 8) * (terms + 2^(c + 1)) point additions per lane: eight
    windows run side by side, each every term once and its own 2^c - 1 buckets (Pippenger's cost, lane-wise)."""
    return min(range(2, 17), key=lambda c: -(-(-(-253 // c)) // LANES) * (terms + 2 ** (c + 1)))


@njit
def points52(pts, idx, out):
    """pts[idx[t]] (cached points, radix-2^51 limbs of any size numba_core's field leaves) into out[t] as
    canonical radix-2^52 limbs."""
    for t in range(idx.size):
        for c in range(4):
            f = _fe_canonical51((pts[idx[t], c, 0], pts[idx[t], c, 1], pts[idx[t], c, 2], pts[idx[t], c, 3],
                                 pts[idx[t], c, 4]))
            out[t, c, 0] = f[0] | ((f[1] << np.uint64(51)) & M52)
            out[t, c, 1] = ((f[1] >> np.uint64(1)) | (f[2] << np.uint64(50))) & M52
            out[t, c, 2] = ((f[2] >> np.uint64(2)) | (f[3] << np.uint64(49))) & M52
            out[t, c, 3] = ((f[3] >> np.uint64(3)) | (f[4] << np.uint64(48))) & M52
            out[t, c, 4] = f[4] >> np.uint64(4)


@njit
def msm_pass(q52, digits, c, consts, totals, first_window, progress, piece):
    """Windows first_window .. first_window + 7, one per lane: every term joins bucket digits[t, lane] of its
    lane (bucket 0 collects the zero digits and is never summed), then each lane's running sum weighs bucket k
    by k. totals[first_window + lane] gets each window's sum, extended, canonical radix-2^51 limbs.
    progress[piece] gets the terms done every PROGRESS_TERMS terms (the caller's sign that a helper runs)."""
    d2 = fe_splat(consts, 1)
    nb = (1 << c) - 1
    buckets = np.empty((nb + 1, 4, 5, LANES), np.uint64)
    one, zero = fe_one(), fe_zero()
    for k in range(nb + 1):
        for j, f in enumerate((zero, one, one, zero)):
            fe_store(buckets, 4 * k + j, f)
    point = np.empty((4, 5, LANES), np.uint64)
    for t in range(q52.shape[0]):
        if t % PROGRESS_TERMS == 0:
            caller_runs.store(progress, piece, t + 1)
        for lane in range(LANES):  # each lane's own bucket, gathered limb by limb
            d = digits[t, lane]
            for j in range(4):
                for limb in range(5):
                    point[j, limb, lane] = buckets[d, j, limb, lane]
        b = (fe_load(point, 0), fe_load(point, 1), fe_load(point, 2), fe_load(point, 3))
        q = (fe_splat(q52[t], 0), fe_splat(q52[t], 1), fe_splat(q52[t], 2), fe_splat(q52[t], 3))
        b = p1p1_to_p3(add_cached(b, q))
        for j in range(4):
            fe_store(point, j, b[j])
        for lane in range(LANES):
            d = digits[t, lane]
            for j in range(4):
                for limb in range(5):
                    buckets[d, j, limb, lane] = point[j, limb, lane]
    running = (zero, one, one, zero)
    total = (zero, one, one, zero)
    for k in range(nb, 0, -1):
        bk = (fe_load(buckets, 4 * k), fe_load(buckets, 4 * k + 1), fe_load(buckets, 4 * k + 2),
              fe_load(buckets, 4 * k + 3))
        running = p1p1_to_p3(add_cached(running, to_cached(bk, d2)))
        total = p1p1_to_p3(add_cached(total, to_cached(running, d2)))
    for j in range(4):
        fe_store(point, j, fe_canonical(total[j]))
    for lane in range(LANES):
        if first_window + lane < totals.shape[0]:
            for j in range(4):
                store_limbs51(point, j, lane, totals, first_window + lane)


@njit
def window_digits(scalars, c, windows, digits):
    """digits[p, t, lane] = window p * 8 + lane (c bits) of scalar t, 0 past the last window."""
    for p in range(digits.shape[0]):
        for t in range(digits.shape[1]):
            for lane in range(LANES):
                w = p * LANES + lane
                digits[p, t, lane] = _scalar_digit(scalars, t, w * c, c) if w < windows else 0


@njit
def horner_is_small_order(totals, c, d2):
    """[8](sum_w 2^(c w) totals[w]) is the identity (windows combined from the top, radix-2^51 scalar code)."""
    acc = _p3_identity()
    for w in range(totals.shape[0] - 1, -1, -1):
        for _ in range(c):
            acc = _p1p1_to_p3(_p2_dbl((acc[0], acc[1], acc[2])))
        acc = _p3_add_p3(acc, _p3_load(totals, w), d2)
    for _ in range(3):
        acc = _p1p1_to_p3(_p2_dbl((acc[0], acc[1], acc[2])))
    return _fe_iszero51(acc[0]) and _fe_iszero51(_fe_sub51(acc[1], acc[2]))


@njit(nogil=True)
def _msm_claim(q52, digits, c, consts, totals, counter, done, progress):
    """Claim passes (eight windows each) from counter[0] until none is left (caller_runs)."""
    while True:
        p = caller_runs.fetch_add(counter, 0, 1)
        if p >= digits.shape[0]:
            return
        msm_pass(q52, digits[p], c, consts, totals, p * LANES, progress, p)
        caller_runs.store(done, p, 1)


@njit(nogil=True)
def _msm_caller(q52, digits, c, consts, totals, counter, done, progress, patience):
    """The calling thread's share: claim passes like the helpers, then for each pass a helper holds, wait while
    the helper reports progress, and run the pass itself once `patience` time-stamp ticks pass without any (the
    helper is not running). The values are the same whoever computes them."""
    _msm_claim(q52, digits, c, consts, totals, counter, done, progress)
    mine = np.zeros(digits.shape[0], np.int64)  # progress of the passes the caller redoes (nobody watches it)
    for p in range(digits.shape[0]):
        while caller_runs.load(done, p) == 0:
            seen, start = caller_runs.load(progress, p), caller_runs.cycles()
            while (caller_runs.load(done, p) == 0 and caller_runs.load(progress, p) == seen
                   and caller_runs.cycles() - start < patience):
                pass
            if caller_runs.load(done, p) == 0 and caller_runs.load(progress, p) == seen:
                msm_pass(q52, digits[p], c, consts, totals, p * LANES, mine, p)
                break


_D2_51 = np.array(tables.limbs51(2 * ref.D), dtype=np.uint64)


def msm_is_small_order(pts: np.ndarray, idx: np.ndarray, scalars: np.ndarray) -> bool:
    """numba_cpu.msm_is_small_order on IFMA lanes: [8](sum_j [scalars[j]] pts[idx[j]]) is the identity, with
    pts in numba_cpu's layout (cached points, radix-2^51 limbs) and scalars (m, 32) below 2^253. Each lane
    runs one Pippenger window over every term; passes of eight windows are claimed by the calling thread and
    helpers it does not wait for (caller runs, above)."""
    if not HAS_IFMA:
        raise BackendUnavailable("ed25519_verify on numba_cpu: the AVX-512 IFMA path needs a CPU with avx512ifma")
    m = idx.size
    c = msm_window_bits(m)
    windows = -(-253 // c)
    q52 = np.empty((m, 4, 5), np.uint64)
    points52(pts, idx.astype(np.int64), q52)
    digits = np.empty((-(-windows // LANES), m, LANES), np.int64)
    window_digits(np.ascontiguousarray(scalars), c, windows, digits)
    totals = np.empty((windows, 4, 5), np.uint64)
    passes = digits.shape[0]
    counter, done, progress = np.zeros(1, np.int64), np.zeros(passes, np.int64), np.zeros(passes, np.int64)
    if passes > 1:
        offer_helpers(m, lambda: _msm_claim(q52, digits, c, CONSTS, totals, counter, done, progress))
    _msm_caller(q52, digits, c, CONSTS, totals, counter, done, progress, PATIENCE_CYCLES)
    return bool(horner_is_small_order(totals, c, _D2_51))


def compile() -> None:
    """JIT-compile every kernel, serial and threaded (numba_cpu.compile calls this where the path is enabled)."""
    from .prepare import prepare

    for n in (1, SERIAL_BELOW):
        verify_prepared(prepare([bytes(32)] * n, [b""] * n, [bytes(64)] * n))
    # the helpers' entry points first, here rather than on a helper thread's first call (every piece already claimed)
    exhausted, none = np.full(1, 1 << 40, np.int64), np.zeros(1, np.int64)
    _decompress_claim(np.zeros((1, 32), np.uint8), np.zeros(1, np.int64), CONSTS, np.zeros((1, 4, 5), np.uint64),
                      np.zeros(1, np.bool_), exhausted, none)
    _msm_claim(np.zeros((1, 4, 5), np.uint64), np.zeros((1, 1, LANES), np.int64), 2, CONSTS,
               np.zeros((1, 4, 5), np.uint64), exhausted, none, none)
    for n in (1, SERIAL_POINTS_BELOW):  # all keys equal: n + 1 points, on the calling thread then with helpers
        prepared = prepare([bytes(32)] * n, [b""] * n, [bytes(64)] * n)
        pts, ok = decompress(prepared, np.zeros(n, np.int64))
        assert ok.all() and msm_is_small_order(pts, n + np.arange(n), np.zeros((n, 32), np.uint8))


# ---- the field operations one by one, for the tests (checked against Python integers mod p) -------------------

FIELD_OPS = ("add", "sub", "neg", "mul", "sq", "canonical", "invert", "pow22523", "iszero", "parity")


@njit
def _field_kernel(op, a, b, out):
    z = v_splat(U0)
    for g in range(a.shape[0]):
        x, y = fe_load(a, g), fe_load(b, g)
        if op == 0:
            r = fe_add(x, y)
        elif op == 1:
            r = fe_sub(x, y)
        elif op == 2:
            r = fe_neg(x)
        elif op == 3:
            r = fe_mul(x, y)
        elif op == 4:
            r = fe_sq(x)
        elif op == 5:
            r = fe_canonical(x)
        elif op == 6:
            r = fe_invert(x)
        elif op == 7:
            r = fe_pow22523(x)
        elif op == 8:
            r = (fe_iszero(x), z, z, z, z)
        else:
            r = (fe_parity(x), z, z, z, z)
        fe_store(out, g, r)


def field_eval(op: str, xs, ys=None) -> list[int]:
    """op applied lane-wise to integers xs (and ys), each below 2^260 and given as its own limbs (no reduction
    first, so non-canonical inputs reach the kernel as they are): the results' values, not reduced mod p."""
    ys = list(xs) if ys is None else list(ys)
    n = len(xs)
    groups = -(-n // LANES)
    a = np.zeros((groups * LANES, 5), np.uint64)
    b = np.zeros((groups * LANES, 5), np.uint64)
    for i, (x, y) in enumerate(zip(xs, ys)):
        a[i], b[i] = limbs52(x), limbs52(y)
    a = np.ascontiguousarray(a.reshape(groups, LANES, 5).transpose(0, 2, 1))
    b = np.ascontiguousarray(b.reshape(groups, LANES, 5).transpose(0, 2, 1))
    out = np.zeros_like(a)
    _field_kernel(FIELD_OPS.index(op), a, b, out)
    limbs = out.transpose(0, 2, 1).reshape(groups * LANES, 5)
    return [from_limbs52(limbs[i]) for i in range(n)]
