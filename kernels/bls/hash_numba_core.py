"""Hash-to-curve for BLS12-381 G1 (RFC 9380, suite BLS12381G1_XMD:SHA-256_SSWU_RO_, section 8.8.1), written once
over the field core of msm_numba_core.py and compiled per target: ``build_hash(njit, CORE)`` for the CPU
(hash_numba_cpu.py), ``build_hash(cuda.jit(device=True), CORE)`` for the GPU (hash_numba_cuda.py); the same map
in C for OpenCL and CuPy is kernels/common/bls12_381_hash.h. The kernels use only tuples, scalars and the arrays
passed in: no allocation, no exceptions.

- hash_to_field (host, here): expand_message_xmd with SHA-256 (RFC 9380 section 5.3.1), L = 64 bytes per
  element, count 2; each u = OS2IP(64 bytes) mod p, returned as raw 6-limb rows (section 5.2).
- map_to_curve (kernel): the simplified SWU map onto the 11-isogenous curve E': y^2 = x^3 + A' x + B' (section
  6.6.2, Z = 11, A' and B' of section 8.8.1), in the straight-line form of appendix F.2 with x kept as a
  fraction xn / xd, and sqrt_ratio for q = 3 mod 4 (appendix F.2.1.2: one exponentiation by (q - 3) / 4);
  then the 11-isogeny map E' -> E (appendix E.2), its four polynomials evaluated homogeneously in (xn, xd) in
  one Horner loop, so the point comes out in Jacobian coordinates without an inversion. A zero denominator of
  the isogeny gives Z = 0, the identity, as section 6.6.3 requires.
- hash_to_curve: Q0 + Q1 (Jacobian), clear_cofactor by h_eff = 1 - x = 0xd201000000010001 (section 8.8.1:
  since x < 0, (1 - x) P = P + [|x|] P), and one Fermat inversion to affine.

The constants A', B' and the isogeny coefficients k_(i,j) are copied from py_ecc 8.0.0
(py_ecc/optimized_bls12_381/constants.py: ISO_11_A, ISO_11_B, ISO_11_{X,Y}_{NUMERATOR,DENOMINATOR}), which
transcribes RFC 9380 appendix E.2; each tuple lists k_(i,0) first, the denominators ending with their leading
1. The branches (CMOV as `if`) are not constant-time: the messages hashed here are public.
"""
from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Iterable

import numpy as np

from .msm import LIMBS, P
from .msm_numba_core import U0, U1, mont, window_digits

SSWU_Z = 11  # RFC 9380 section 8.8.1
# RFC 9380 section 8.8.1 (A', B') and appendix E.2 (the 11-isogeny), copied from py_ecc 8.0.0 (see above)
SSWU_A = 0x144698A3B8E9433D693A02C96D4982B0EA985383EE66A8D8E8981AEFD881AC98936F8DA0E0F97F5CF428082D584C1D
SSWU_B = 0x12E2908D11688030018B12E8753EEE3B2016C1F0F24F4070A0B9C14FCEF35EF55A23215A316CEAA5D1CC48E98E172BE0
ISO_X_NUM = (
    0x11A05F2B1E833340B809101DD99815856B303E88A2D7005FF2627B56CDB4E2C85610C2D5F2E62D6EAEAC1662734649B7,
    0x17294ED3E943AB2F0588BAB22147A81C7C17E75B2F6A8417F565E33C70D1E86B4838F2A6F318C356E834EEF1B3CB83BB,
    0xD54005DB97678EC1D1048C5D10A9A1BCE032473295983E56878E501EC68E25C958C3E3D2A09729FE0179F9DAC9EDCB0,
    0x1778E7166FCC6DB74E0609D307E55412D7F5E4656A8DBF25F1B33289F1B330835336E25CE3107193C5B388641D9B6861,
    0xE99726A3199F4436642B4B3E4118E5499DB995A1257FB3F086EEB65982FAC18985A286F301E77C451154CE9AC8895D9,
    0x1630C3250D7313FF01D1201BF7A74AB5DB3CB17DD952799B9ED3AB9097E68F90A0870D2DCAE73D19CD13C1C66F652983,
    0xD6ED6553FE44D296A3726C38AE652BFB11586264F0F8CE19008E218F9C86B2A8DA25128C1052ECADDD7F225A139ED84,
    0x17B81E7701ABDBE2E8743884D1117E53356DE5AB275B4DB1A682C62EF0F2753339B7C8F8C8F475AF9CCB5618E3F0C88E,
    0x80D3CF1F9A78FC47B90B33563BE990DC43B756CE79F5574A2C596C928C5D1DE4FA295F296B74E956D71986A8497E317,
    0x169B1F8E1BCFA7C42E0C37515D138F22DD2ECB803A0C5C99676314BAF4BB1B7FA3190B2EDC0327797F241067BE390C9E,
    0x10321DA079CE07E272D8EC09D2565B0DFA7DCCDDE6787F96D50AF36003B14866F69B771F8C285DECCA67DF3F1605FB7B,
    0x6E08C248E260E70BD1E962381EDEE3D31D79D7E22C837BC23C0BF1BC24C6B68C24B1B80B64D391FA9C8BA2E8BA2D229,
)
ISO_X_DEN = (
    0x8CA8D548CFF19AE18B2E62F4BD3FA6F01D5EF4BA35B48BA9C9588617FC8AC62B558D681BE343DF8993CF9FA40D21B1C,
    0x12561A5DEB559C4348B4711298E536367041E8CA0CF0800C0126C2588C48BF5713DAA8846CB026E9E5C8276EC82B3BFF,
    0xB2962FE57A3225E8137E629BFF2991F6F89416F5A718CD1FCA64E00B11ACEACD6A3D0967C94FEDCFCC239BA5CB83E19,
    0x3425581A58AE2FEC83AAFEF7C40EB545B08243F16B1655154CCA8ABC28D6FD04976D5243EECF5C4130DE8938DC62CD8,
    0x13A8E162022914A80A6F1D5F43E7A07DFFDFC759A12062BB8D6B44E833B306DA9BD29BA81F35781D539D395B3532A21E,
    0xE7355F8E4E667B955390F7F0506C6E9395735E9CE9CAD4D0A43BCEF24B8982F7400D24BC4228F11C02DF9A29F6304A5,
    0x772CAACF16936190F3E0C63E0596721570F5799AF53A1894E2E073062AEDE9CEA73B3538F0DE06CEC2574496EE84A3A,
    0x14A7AC2A9D64A8B230B3F5B074CF01996E7F63C21BCA68A81996E1CDF9822C580FA5B9489D11E2D311F7D99BBDCC5A5E,
    0xA10ECF6ADA54F825E920B3DAFC7A3CCE07F8D1D7161366B74100DA67F39883503826692ABBA43704776EC3A79A1D641,
    0x95FC13AB9E92AD4476D6E3EB3A56680F682B4EE96F7D03776DF533978F31C1593174E4B4B7865002D6384D168ECDD0A,
    0x1,
)
ISO_Y_NUM = (
    0x90D97C81BA24EE0259D1F094980DCFA11AD138E48A869522B52AF6C956543D3CD0C7AEE9B3BA3C2BE9845719707BB33,
    0x134996A104EE5811D51036D776FB46831223E96C254F383D0F906343EB67AD34D6C56711962FA8BFE097E75A2E41C696,
    0xCC786BAA966E66F4A384C86A3B49942552E2D658A31CE2C344BE4B91400DA7D26D521628B00523B8DFE240C72DE1F6,
    0x1F86376E8981C217898751AD8746757D42AA7B90EEB791C09E4A3EC03251CF9DE405ABA9EC61DECA6355C77B0E5F4CB,
    0x8CC03FDEFE0FF135CAF4FE2A21529C4195536FBE3CE50B879833FD221351ADC2EE7F8DC099040A841B6DAECF2E8FEDB,
    0x16603FCA40634B6A2211E11DB8F0A6A074A7D0D4AFADB7BD76505C3D3AD5544E203F6326C95A807299B23AB13633A5F0,
    0x4AB0B9BCFAC1BBCB2C977D027796B3CE75BB8CA2BE184CB5231413C4D634F3747A87AC2460F415EC961F8855FE9D6F2,
    0x987C8D5333AB86FDE9926BD2CA6C674170A05BFE3BDD81FFD038DA6C26C842642F64550FEDFE935A15E4CA31870FB29,
    0x9FC4018BD96684BE88C9E221E4DA1BB8F3ABD16679DC26C1E8B6E6A1F20CABE69D65201C78607A360370E577BDBA587,
    0xE1BBA7A1186BDB5223ABDE7ADA14A23C42A0CA7915AF6FE06985E7ED1E4D43B9B3F7055DD4EBA6F2BAFAAEBCA731C30,
    0x19713E47937CD1BE0DFD0B8F1D43FB93CD2FCBCB6CAF493FD1183E416389E61031BF3A5CCE3FBAFCE813711AD011C132,
    0x18B46A908F36F6DEB918C143FED2EDCC523559B8AAF0C2462E6BFE7F911F643249D9CDF41B44D606CE07C8A4D0074D8E,
    0xB182CAC101B9399D155096004F53F447AA7B12A3426B08EC02710E807B4633F06C851C1919211F20D4C04F00B971EF8,
    0x245A394AD1ECA9B72FC00AE7BE315DC757B3B080D4C158013E6632D3C40659CC6CF90AD1C232A6442D9D3F5DB980133,
    0x5C129645E44CF1102A159F748C4A3FC5E673D81D7E86568D9AB0F5D396A7CE46BA1049B6579AFB7866B1E715475224B,
    0x15E6BE4E990F03CE4EA50B3B42DF2EB5CB181D8F84965A3957ADD4FA95AF01B2B665027EFEC01C7704B456BE69C8B604,
)
ISO_Y_DEN = (
    0x16112C4C3A9C98B252181140FAD0EAE9601A6DE578980BE6EEC3232B5BE72E7A07F3688EF60C206D01479253B03663C1,
    0x1962D75C2381201E1A0CBD6C43C348B885C84FF731C4D59CA4A10356F453E01F78A4260763529E3532F6102C2E49A03D,
    0x58DF3306640DA276FAAAE7D6E8EB15778C4855551AE7F310C35A5DD279CD2ECA6757CD636F96F891E2538B53DBF67F2,
    0x16B7D288798E5395F20D23BF89EDB4D1D115C5DBDDBCD30E123DA489E726AF41727364F2C28297ADA8D26D98445F5416,
    0xBE0E079545F43E4B00CC912F8228DDCC6D19C9F0F69BBB0542EDA0FC9DEC916A20B15DC0FD2EDEDDA39142311A5001D,
    0x8D9E5297186DB2D9FB266EAAC783182B70152C65550D881C5ECD87B6F0F5A6449F38DB9DFA9CCE202C6477FAAF9B7AC,
    0x166007C08A99DB2FC3BA8734ACE9824B5EECFDFA8D0CF8EF5DD365BC400A0051D5FA9C01A58B1FB93D1A1399126A775C,
    0x16A3EF08BE3EA7EA03BCDDFABBA6FF6EE5A4375EFA1F4FD7FEB34FD206357132B920F5B00801DEE460EE415A15812ED9,
    0x1866C8ED336C61231A1BE54FD1D74CC4F9FB0CE4C6AF5920ABC5750C4BF39B4852CFE2F7BB9248836B233D9D55535D4A,
    0x167A55CDA70A6E1CEA820597D94A84903216F763E13D87BB5308592E7EA7D4FBC7385EA3D529B35E346EF48BB8913F55,
    0x4D2F259EEA405BD48F010A01AD2911D9C6DD039BB61A6290E591B36E636A5C871A5C29F4F83060400F8B49CBA8F6AA8,
    0xACCBB67481D033FF5852C1E48C50C477F94FF8AEFCE42D28C0F9A88CEA7913516F968986F7EBBEA9684B529E2561092,
    0xAD6B9514C767FE3C3613144B45F1496543346D98ADF02267D5CEEF9A00D9B8693000763E3B90AC11E99B138573345CC,
    0x2660400EB2E4F3B628BDD0D53CD76F2BF565B94E72927C1CB748DF27942480E420517BD8714CC80D1FADC1326ED06F7,
    0xE0FA1D816DDC03E6B24255E0D7819C171C40F65E273B853324EFCD6356CAA205CA2F570F13497804415473A1D634B8F,
    0x1,
)
L_BYTES = 64  # L = ceil((ceil(log2(p)) + k) / 8) with k = 128 (section 8.8.1)
COUNT = 2  # hash_to_curve hashes to two field elements (section 3)
_ZPAD = hashlib.sha256(bytes(64))  # Z_pad = I2OSP(0, s_in_bytes), one SHA-256 block: its state is reused


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 section 5.3.1 with H = SHA-256 (b_in_bytes = 32, s_in_bytes = 64)."""
    ell = -(-len_in_bytes // 32)
    if len(dst) > 255 or ell > 255 or len_in_bytes > 65535:
        raise ValueError("expand_message_xmd: DST over 255 bytes or output too long")
    dst_prime = dst + bytes([len(dst)])
    h = _ZPAD.copy()
    h.update(msg + len_in_bytes.to_bytes(2, "big") + b"\x00" + dst_prime)
    b0 = h.digest()
    bi = hashlib.sha256(b0 + b"\x01" + dst_prime).digest()
    out = [bi]
    for i in range(2, ell + 1):
        bi = hashlib.sha256(bytes(x ^ y for x, y in zip(b0, bi)) + bytes([i]) + dst_prime).digest()
        out.append(bi)
    return b"".join(out)[:len_in_bytes]


def hash_to_field(messages: Iterable[bytes], dst: bytes) -> np.ndarray:
    """(n, 2, 6) uint64: u0, u1 of each message as raw little-endian limbs (RFC 9380 section 5.2, m = 1,
    count = 2, L = 64)."""
    dst = bytes(dst)
    if len(dst) > 255:
        raise ValueError("hash_to_field: the DST must be at most 255 bytes (RFC 9380 section 5.3.3)")
    buf = bytearray()
    for msg in messages:
        uniform = expand_message_xmd(bytes(msg), dst, COUNT * L_BYTES)
        for k in range(COUNT):
            u = int.from_bytes(uniform[k * L_BYTES:(k + 1) * L_BYTES], "big") % P
            buf += u.to_bytes(8 * LIMBS, "little")
    return np.frombuffer(bytes(buf), dtype="<u8").astype(np.uint64).reshape(-1, COUNT, LIMBS)


def _sqrt_minus_z() -> int:
    """c2 = sqrt(-Z) of appendix F.2.1.2 (-11 is a square mod p; either root serves: the sign of y is fixed
    afterwards by sgn0)."""
    c2 = pow(-SSWU_Z % P, (P + 1) // 4, P)
    assert c2 * c2 % P == -SSWU_Z % P
    return c2


def build_hash(jit, core) -> SimpleNamespace:
    """map_to_g1 and hash_row, compiled with `jit` over the field core `core` (msm_numba_core.build)."""
    fp_mul, fp_sq, fp_add, fp_sub, fp_neg = core.fp_mul, core.fp_sq, core.fp_add, core.fp_sub, core.fp_neg
    fp_inv, fp_pow, fp_is_zero, fp_eq = core.fp_inv, core.fp_pow, core.fp_is_zero, core.fp_eq
    fp_to_mont, fp_store = core.fp_to_mont, core.fp_store
    g1_add, times_abs_x = core.g1.add, core.g1.times_abs_x
    ONE, ZERO, RAW_ONE = core.ONE, core.ZERO, core.RAW_ONE
    ZM, AM, BM = mont(SSWU_Z), mont(SSWU_A), mont(SSWU_B)
    ZAM = mont(SSWU_Z * SSWU_A % P)  # the exceptional denominator Z A' (step 7 and 8 when tv2 = 0)
    C1_D = window_digits((P - 3) // 4)
    C2M = mont(_sqrt_minus_z())
    XNUM = tuple(mont(k) for k in ISO_X_NUM)
    XDEN = tuple(mont(k) for k in ISO_X_DEN)
    YNUM = tuple(mont(k) for k in ISO_Y_NUM)
    YDEN = tuple(mont(k) for k in ISO_Y_DEN)
    DXN, DXD, DYN, DYD = len(XNUM) - 1, len(XDEN) - 1, len(YNUM) - 1, len(YDEN) - 1  # 11, 10, 15, 15
    DMAX = max(DXN, DXD, DYN, DYD)

    @jit
    def sgn0(a):
        """sgn0 for m = 1 (RFC 9380 section 4.1): the parity of a (Montgomery) as an integer in [0, p)."""
        return fp_mul(a, RAW_ONE)[0] & U1

    @jit
    def sqrt_ratio(u, v):
        """(u / v is a square, sqrt(u / v) or sqrt(Z u / v)): RFC 9380 appendix F.2.1.2 (q = 3 mod 4)."""
        tv2 = fp_mul(u, v)
        tv1 = fp_mul(fp_sq(v), tv2)
        y1 = fp_mul(fp_pow(tv1, C1_D), tv2)
        is_qr = fp_eq(fp_mul(fp_sq(y1), v), u)
        if is_qr:
            return True, y1
        return False, fp_mul(y1, C2M)

    @jit
    def sswu(u):
        """The simplified SWU map to E' (appendix F.2, steps 1-24, without the final division): (xn, xd, y)
        with the affine point (xn / xd, y)."""
        tv1 = fp_mul(ZM, fp_sq(u))
        tv2 = fp_add(fp_sq(tv1), tv1)
        tv3 = fp_mul(BM, fp_add(tv2, ONE))
        tv4 = ZAM if fp_is_zero(tv2) else fp_mul(AM, fp_neg(tv2))
        tv6 = fp_sq(tv4)
        gx = fp_mul(fp_add(fp_sq(tv3), fp_mul(AM, tv6)), tv3)  # (tv3^2 + A' tv4^2) tv3
        tv6 = fp_mul(tv6, tv4)
        gx = fp_add(gx, fp_mul(BM, tv6))  # gx = xn^3 + A' xn xd^2 + B' xd^3, with xd^3 = tv6
        is_square, y1 = sqrt_ratio(gx, tv6)
        if is_square:
            xn, y = tv3, y1
        else:
            xn, y = fp_mul(tv1, tv3), fp_mul(fp_mul(tv1, u), y1)
        if sgn0(u) != sgn0(y):
            y = fp_neg(y)
        return xn, tv4, y

    @jit
    def iso_map(xn, xd, y):
        """The 11-isogeny E' -> E (appendix E.2) at (xn / xd, y), as a Jacobian point. With N_k the polynomial
        k homogenised by xd^deg k (one Horner loop over the powers of xd, all four at once): x = N_xn /
        (xd N_xd), y N_yn / N_yd; so Z = xd N_xd N_yd, X = N_xn N_yd Z, Y = y N_yn xd N_xd Z^2."""
        axn, axd, ayn, ayd = XNUM[DXN], XDEN[DXD], YNUM[DYN], YDEN[DYD]
        dp = ONE
        for j in range(1, DMAX + 1):
            dp = fp_mul(dp, xd)
            if j <= DXN:
                axn = fp_add(fp_mul(axn, xn), fp_mul(XNUM[DXN - j], dp))
            if j <= DXD:
                axd = fp_add(fp_mul(axd, xn), fp_mul(XDEN[DXD - j], dp))
            if j <= DYN:
                ayn = fp_add(fp_mul(ayn, xn), fp_mul(YNUM[DYN - j], dp))
            if j <= DYD:
                ayd = fp_add(fp_mul(ayd, xn), fp_mul(YDEN[DYD - j], dp))
        a = fp_mul(xd, axd)
        Zc = fp_mul(a, ayd)
        if fp_is_zero(Zc):
            return ZERO, ONE, ZERO
        X = fp_mul(fp_mul(axn, ayd), Zc)
        Y = fp_mul(fp_mul(fp_mul(y, ayn), a), fp_sq(Zc))
        return X, Y, Zc

    @jit
    def map_to_g1(u0, u1):
        """map_to_curve(u0) + map_to_curve(u1), cofactor cleared (RFC 9380 section 3, hash_to_curve steps 2-6
        without the field hash): a Jacobian point (X, Y, Z) of G1 (Z = 0: the identity)."""
        xn, xd, y = sswu(u0)
        X0, Y0, Z0 = iso_map(xn, xd, y)
        xn, xd, y = sswu(u1)
        X1, Y1, Z1 = iso_map(xn, xd, y)
        X, Y, Zc = g1_add(X0, Y0, Z0, X1, Y1, Z1)
        TX, TY, TZ = times_abs_x(X, Y, Zc)
        return g1_add(X, Y, Zc, TX, TY, TZ)  # (1 - x) P = P + [|x|] P

    @jit
    def load_raw(u_row, k):
        return (u_row[k, 0], u_row[k, 1], u_row[k, 2], u_row[k, 3], u_row[k, 4], u_row[k, 5])

    @jit
    def hash_row(u_row, out_row):
        """u_row: (2, 6) raw limbs of u0, u1; out_row: Montgomery affine x, y and the flag word (0 finite,
        1 the identity, x = y = 0), as a decoded G1 row."""
        X, Y, Zc = map_to_g1(fp_to_mont(load_raw(u_row, 0)), fp_to_mont(load_raw(u_row, 1)))
        if fp_is_zero(Zc):
            fp_store(out_row, 0, ZERO)
            fp_store(out_row, 6, ZERO)
            out_row[12] = U1
            return
        zi = fp_inv(Zc)
        zi2 = fp_sq(zi)
        fp_store(out_row, 0, fp_mul(X, zi2))
        fp_store(out_row, 6, fp_mul(Y, fp_mul(zi2, zi)))
        out_row[12] = U0

    return SimpleNamespace(map_to_g1=map_to_g1, hash_row=hash_row, sswu=sswu, iso_map=iso_map,
                           sqrt_ratio=sqrt_ratio, sgn0=sgn0, width=13)
