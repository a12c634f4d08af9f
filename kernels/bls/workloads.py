"""BLS12-381 workloads shaped like the IC's: a recorded mainnet certificate with a delegation, certificates
built here with and without delegation (keys from fixed seeds), the shares of one block for each subnet size,
a stream of certificates with distinct messages, and a correctness batch whose verdicts are known from its
construction (bad encodings, points off the curve or outside the subgroup, the identity key, wrong keys,
messages or DSTs). Deterministic by seed.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from pyblst import BlstP1Element

from . import IC_DST, POP_DST
from ..cbor import self_described
from .certificate import DER_PREFIX, STATE_ROOT_DOMAIN, tree_to_cbor
from .library import G2_GENERATOR
from .msm import R
from ..hashing import hashtree

SUBNET_SIZES = (13, 28, 34, 40)  # the subnet sizes (IC dashboard: 13-node app, 28/34/40-node system subnets)
CONSENSUS_KINDS = ("notarization", "finalization", "random_beacon")
MESSAGE_DOMAIN = {  # shape only: a domain separator and a 32-byte hash, as the replica signs (dfinity/ic consensus)
    "notarization": b"\x14notarization_content", "finalization": b"\x14finalization_content",
    "random_beacon": b"\x15random_beacon_content"}
SUBNETS = 37  # subnets whose keys sign a stream of certificates (IC dashboard order of magnitude; shape only)

# The IC mainnet root key (IC interface spec, "Root of trust"; the agents' built-in default), without its DER prefix.
MAINNET_ROOT_KEY = bytes.fromhex(
    "814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e4"
    "67db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae")
# A recorded mainnet certificate with a delegation (a read_state reply on an application subnet), as published in
# the tests of Zondax's ledger-icp app (app/rust, certificate.rs, REAL_CERT), with the roots it records for the
# certificate and its delegation (CERT_HASH, DEL_CERT_HASH). Its signatures verify under MAINNET_ROOT_KEY.
RECORDED_CERTIFICATE = bytes.fromhex(
    "d9d9f7a3647472656583018301820458200bbcc71092da3ce262b8154d398b9a6114bee87f1c0b72e16912757aa023626a83018204582006"
    "28a8e00432e8657ad99c4d1bf167dd54ace9199609bfc5d57d89f48d97565f83024e726571756573745f737461747573830258204ea057c4"
    "6292fedb573d35319dd1ccab3fb5d6a2b106b785d1f7757cfa5a254283018302457265706c79820358b44449444c0b6b02bc8a0101c5fed2"
    "01086c02efcee7800402e29fdcc806036c01d880c6d007716b02d9e5b0980404fcdfd79a0f716c01c4d6b4ea0b056d066c01ffbb87a80707"
    "6d716b04d1c4987c09a3f2efe6020a9a8597e6030ae3c581900f0a6c02fc91f4f80571c498b1b50d7d6c01fc91f4f8057101000002656e00"
    "01021e50726f647563652074686520666f6c6c6f77696e67206772656574696e6714746578743a202248656c6c6f2c20746f626921228302"
    "467374617475738203477265706c696564830182045820891af3e8982f1ac3d295c29b9fdfedc52301c03fbd4979676c01059184060b0583"
    "024474696d65820349cbf7dd8ca1a2a7e217697369676e6174757265583088078c6fe75f32594bf4e322b14d47e5c849cf24a370e3bab0ca"
    "b5daffb7ab6a2c49de18b7f2d631893217d0c716cd656a64656c65676174696f6ea2697375626e65745f6964581d2c55b347ecf2686c8378"
    "1d6c59d1b43e7b4cba8deb6c1b376107f2cd026b6365727469666963617465590294d9d9f7a264747265658301820458200b0d62dc7b9d7d"
    "e735bb9a6393b59c9f32ff7c4d2aacdfc9e6ffc70e341fb6f783018301820458204468514ca4af8224c055c386e3f7b0bfe018c2d9cfd583"
    "7e427b43e1ab0934f98302467375626e65748301830183018301820458208739fbbedd3dedaa8fef41870367c0905bde376b63dd37e2b176"
    "fb08b582052f830182045820f8c3eae0377ee00859223bf1c6202f5885c4dcdc8fd13b1d48c3c838688919bc83018302581d2c55b347ecf2"
    "686c83781d6c59d1b43e7b4cba8deb6c1b376107f2cd02830183024f63616e69737465725f72616e67657382035832d9d9f782824a000000"
    "000060000001014a00000000006000ae0101824a00000000006000b001014a00000000006fffff010183024a7075626c69635f6b65798203"
    "5885308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c0503020103610090075120778eb21a530a02bcc763e7f4a1"
    "92933506966af7b54c10a4d2b24de6a86b200e3440bae6267bf4c488d9a11d0472c38c1b6221198f98e4e6882ba38a5a4e3aa5afce899b7f"
    "825ed95adfa12629688073556f2747527213e8d73e40ce8204582036f3cd257d90fb38e42597f193a5e031dbd585b6292793bb04db479480"
    "3ce06e82045820028fc5e5f70868254e7215e7fc630dbd29eefc3619af17ce231909e1faf97e9582045820696179fceb777eaed283265dd6"
    "90241999eb3ede594091748b24456160edc1278204582081398069f9684da260cfb002eac42211d0dbf22c62d49aee61617d62650e793183"
    "024474696d65820349a5948992aaa195e217697369676e6174757265583094e5f544a7681b0c2c3c5dbf97950c96fd837f2d19342f1050d9"
    "4d3068371b0a95a5ee20c36c4395c2dbb4204f2b4742")
RECORDED_ROOT = bytes.fromhex("bcedf2eab3980aedd4d0d9f2159efebd5597cbad5f49217e0c9686b93d30d503")
RECORDED_DELEGATION_ROOT = bytes.fromhex("04a94256c02e83aab4f203cb0784340279d7902f9b09305c978be1746e19b742")


def faults(n_nodes: int) -> int:
    """f = floor((n - 1) / 3): the faulty nodes a subnet of n tolerates (IC consensus, Camenisch et al.,
    "Internet Computer Consensus", PODC 2022)."""
    return (n_nodes - 1) // 3


def shares_needed(kind: str, n_nodes: int) -> int:
    """Notarization and finalization: n - f shares of an aggregated multi-signature; the random beacon: f + 1
    shares of a threshold signature (IC consensus paper, sections 3 and 4; dfinity/ic consensus)."""
    if kind not in CONSENSUS_KINDS:
        raise ValueError(f"unknown kind {kind!r}; use {', '.join(CONSENSUS_KINDS)}")
    return faults(n_nodes) + 1 if kind == "random_beacon" else n_nodes - faults(n_nodes)


def secret(seed: int, index: int) -> int:
    return int.from_bytes(hashlib.sha256(b"bls-key %d %d" % (seed, index)).digest(), "big") % (R - 1) + 1


@lru_cache(maxsize=64)
def public_key(seed: int, index: int) -> bytes:
    return G2_GENERATOR.scalar_mul(secret(seed, index)).compress()


def sign(seed: int, index: int, message: bytes, dst: bytes = IC_DST) -> bytes:
    return BlstP1Element.hash_to_group(message, dst).scalar_mul(secret(seed, index)).compress()


@lru_cache(maxsize=16)
def consensus_shares(n_nodes: int, kind: str = "notarization", seed: int = 0, count: int | None = None,
                     ) -> tuple[list, list, list]:
    """The shares of one block: `count` (default: the kind's threshold for n_nodes) nodes' signatures on one
    message (a domain and a 32-byte block hash: shape only). Multi-signature shares use the POP DST in the IC;
    the check's cost does not depend on the DST, and the suite uses IC_DST throughout (said in the notebook)."""
    count = shares_needed(kind, n_nodes) if count is None else count
    message = MESSAGE_DOMAIN[kind] + hashlib.sha256(b"block %d %d" % (seed, n_nodes)).digest()
    keys = [public_key(seed, i % n_nodes) for i in range(count)]
    sigs = [sign(seed, i % n_nodes, message) for i in range(count)]
    return keys, [message] * count, sigs


@lru_cache(maxsize=16)
def distinct_messages(count: int, seed: int = 0) -> tuple[list, list, list]:
    """`count` certificate signatures with distinct messages (0x0d "ic-state-root" || a 32-byte root), signed by
    SUBNETS subnet keys in turn: the BLS checks of a stream of certificates."""
    rng = np.random.default_rng(seed)
    msgs = [STATE_ROOT_DOMAIN + rng.bytes(32) for _ in range(count)]
    keys = [public_key(seed + 1, i % SUBNETS) for i in range(count)]
    sigs = [sign(seed + 1, i % SUBNETS, m) for i, m in enumerate(msgs)]
    return keys, msgs, sigs


# --- certificates built here -----------------------------------------------------------------------------------

def _der(key: bytes) -> bytes:
    return DER_PREFIX + key


def build_certificate(tree: hashtree.Tree, signer: tuple[int, int], delegation: tuple[bytes, bytes] | None = None,
                      ) -> bytes:
    """CBOR certificate of `tree` signed by the key (seed, index) `signer`; `delegation` (subnet id, its
    certificate) is attached as is."""
    root = hashtree.digest(tree)
    item = {"tree": tree_to_cbor(tree), "signature": sign(*signer, STATE_ROOT_DOMAIN + root)}
    if delegation is not None:
        item["delegation"] = {"subnet_id": delegation[0], "certificate": delegation[1]}
    return self_described(item)


ROOT_SIGNER = (7, 0)  # the (seed, index) of the root key of certificates built here


def root_key() -> bytes:
    return public_key(*ROOT_SIGNER)


@lru_cache(maxsize=4)
def delegation(subnet: int, seed: int = 0) -> tuple[bytes, bytes]:
    """(subnet id, delegation certificate): /subnet/<id>/public_key (DER) and canister_ranges, /time, signed by
    the root key; the subnet's key is (seed + 100, subnet)."""
    rng = np.random.default_rng([seed, subnet, 1])
    subnet_id = rng.bytes(29)  # principal of a subnet: 29 bytes (IC spec, "Principals")
    ranges = bytes.fromhex("d9d9f78182") + bytes(20)  # CBOR-shaped canister_ranges blob (content unused here)
    subnet_node = hashtree.labeled(subnet_id, hashtree.fork(
        hashtree.labeled(b"canister_ranges", hashtree.leaf(ranges)),
        hashtree.labeled(b"public_key", hashtree.leaf(_der(public_key(seed + 100, subnet))))))
    tree = hashtree.fork(hashtree.labeled(b"subnet", hashtree.fork(hashtree.pruned(rng.bytes(32)), subnet_node)),
                         hashtree.labeled(b"time", hashtree.leaf(rng.bytes(9))))
    return subnet_id, build_certificate(tree, ROOT_SIGNER)


def certificate(index: int, delegated: bool, seed: int = 0) -> bytes:
    """A read_state-shaped certificate: /request_status/<request id>/{reply, status} and /time, pruned siblings;
    signed by the root key, or by subnet (index % 4)'s key with its delegation."""
    rng = np.random.default_rng([seed, index, 2])
    request_id = rng.bytes(32)
    status = hashtree.labeled(request_id, hashtree.fork(hashtree.labeled(b"reply", hashtree.leaf(rng.bytes(180))),
                                                        hashtree.labeled(b"status", hashtree.leaf(b"replied"))))
    tree = hashtree.fork(hashtree.fork(hashtree.pruned(rng.bytes(32)), hashtree.labeled(b"request_status", status)),
                         hashtree.labeled(b"time", hashtree.leaf(rng.bytes(9))))
    if not delegated:
        return build_certificate(tree, ROOT_SIGNER)
    subnet = index % 4
    return build_certificate(tree, (seed + 100, subnet), delegation(subnet, seed))


@lru_cache(maxsize=8)
def certificate_stream(count: int, delegated: bool = True, seed: int = 0) -> list[bytes]:
    """`count` distinct certificates (distinct roots, hence distinct messages)."""
    return [certificate(i, delegated, seed) for i in range(count)]


# --- a correctness batch: verdicts known from the construction -------------------------------------------------

def _flags(x: int, size: int, *, compressed: bool = True, infinity: bool = False, sign: bool = False) -> bytes:
    top = (compressed << 7) | (infinity << 6) | (sign << 5)
    raw = bytearray(x.to_bytes(size, "big"))
    raw[0] |= top
    return bytes(raw)


@lru_cache(maxsize=1)
def off_subgroup_points() -> dict[str, bytes]:
    """Encodings of points on the curve but outside the prime-order subgroup (G1 and G2), and of x values with
    no point (off the curve), found by search from x = 1 with py_ecc; computed once (about a second)."""
    from py_ecc.bls.point_compression import modular_squareroot_in_FQ2
    from py_ecc.fields import optimized_bls12_381_FQ as FQ, optimized_bls12_381_FQ2 as FQ2
    from py_ecc.optimized_bls12_381 import b2
    from .msm import P
    from .reference import compress_g1, compress_g2, in_subgroup

    out = {}
    x = 1
    while "g1_off_subgroup" not in out or "g1_off_curve" not in out:
        rhs = (x ** 3 + 4) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P == rhs:
            point = (FQ(x), FQ(y), FQ(1))
            if "g1_off_subgroup" not in out and not in_subgroup(point):
                out["g1_off_subgroup"] = compress_g1(point)
        elif "g1_off_curve" not in out:
            out["g1_off_curve"] = _flags(x, 48)
        x += 1
    x = 1
    while "g2_off_subgroup" not in out or "g2_off_curve" not in out:
        fx = FQ2([x, 1])
        y = modular_squareroot_in_FQ2(fx ** 3 + b2)
        if y is not None:
            point = (fx, y, FQ2([1, 0]))
            if "g2_off_subgroup" not in out and not in_subgroup(point):
                out["g2_off_subgroup"] = compress_g2(point)
        elif "g2_off_curve" not in out:
            out["g2_off_curve"] = _flags(1, 48) + x.to_bytes(48, "big")  # x = x_re + 1 * i, x_im first
        x += 1
    return out


def _negate(signature: bytes) -> bytes:
    """-sig: the same x with the sign bit flipped (a valid point that is not the signature)."""
    return bytes([signature[0] ^ 0x20]) + signature[1:]


@lru_cache(maxsize=2)
def correctness_batch(seed: int = 0) -> tuple[list, list, list, np.ndarray, list]:
    """(keys, messages, signatures, expected verdicts, kinds): valid shares on one message and on distinct
    messages, and one item of each way to be wrong, interleaved so that bad items sit at many positions."""
    from .msm import P

    bad_points = off_subgroup_points()
    keys, msgs, sigs = (list(x) for x in consensus_shares(13, "notarization", seed))
    dkeys, dmsgs, dsigs = distinct_messages(8, seed)
    keys += dkeys
    msgs += dmsgs
    sigs += dsigs
    valid = [True] * len(keys)
    kinds = ["valid share (one message)"] * 9 + ["valid (distinct messages)"] * 8
    k, m, s = keys[0], msgs[0], sigs[0]
    k2, m2, s2 = dkeys[1], dmsgs[1], dsigs[1]
    cases = [
        ("wrong message", k, m + b"!", s),
        ("another key's signature", keys[1], m, s),
        ("negated signature (sign bit flipped)", k, m, _negate(s)),
        ("signature under the POP DST", k, m, sign(seed, 0, m, POP_DST)),
        ("signature: compression flag cleared", k, m, bytes([s[0] & 0x7F]) + s[1:]),
        ("signature: identity", k, m, _flags(0, 48, infinity=True)),
        ("signature: infinity flag with x set", k, m, _flags(1, 48, infinity=True)),
        ("signature: infinity flag with sign set", k, m, _flags(0, 48, infinity=True, sign=True)),
        ("signature: x = p (not canonical)", k, m, _flags(P, 48)),
        ("signature: off the curve", k, m, bad_points["g1_off_curve"]),
        ("signature: on the curve, outside the subgroup", k, m, bad_points["g1_off_subgroup"]),
        ("signature: 47 bytes", k, m, s[:47]),
        ("signature: 49 bytes", k, m, s + b"\x00"),
        ("key: identity", _flags(0, 96, infinity=True), m, s),
        ("key: off the curve", bad_points["g2_off_curve"], m, s),
        ("key: on the curve, outside the subgroup", bad_points["g2_off_subgroup"], m, s),
        ("key: x_im = p (not canonical)", _flags(P, 48) + k[48:], m, s),
        ("key: 95 bytes", k[:95], m, s),
        ("key: DER-wrapped (the raw 96 bytes are required)", DER_PREFIX + k, m, s),
        ("distinct message: wrong message", k2, m2 + b"!", s2),
        ("distinct message: another key", dkeys[2], m2, s2),
        ("empty message, valid signature", k, b"", sign(seed, 0, b"")),
    ]
    rng = np.random.default_rng(seed)
    for name, key, message, signature in cases:
        at = int(rng.integers(0, len(keys) + 1))
        good = name == "empty message, valid signature"
        keys.insert(at, key)
        msgs.insert(at, message)
        sigs.insert(at, signature)
        valid.insert(at, good)
        kinds.insert(at, name)
    return keys, msgs, sigs, np.array(valid, dtype=bool), kinds


def with_bad_items(keys: list, msgs: list, sigs: list, count: int, seed: int = 0,
                   ) -> tuple[list, list, list, np.ndarray]:
    """A copy of a valid batch with `count` items made invalid (a signature swapped for its negation) at random
    positions, and the expected verdicts: what the targets check every candidate on before timing it."""
    rng = np.random.default_rng(seed)
    bad = rng.choice(len(keys), size=min(count, len(keys)), replace=False)
    sigs = list(sigs)
    for i in bad:
        sigs[i] = _negate(sigs[i])
    expected = np.ones(len(keys), bool)
    expected[bad] = False
    return list(keys), list(msgs), sigs, expected


# --- RFC 9380 appendix J.9.1: BLS12381G1_XMD:SHA-256_SSWU_RO_ (msg, P.x, P.y) ---------------------------------
RFC9380_G1_DST = b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_"
RFC9380_G1_VECTORS = [(msg, bytes.fromhex(x), bytes.fromhex(y)) for msg, x, y in (
    (b"",
     "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1",
     "08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265"),
    (b"abc",
     "03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903",
     "0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885d"),
    (b"abcdef0123456789",
     "11e0b079dea29a68f0383ee94fed1b940995272407e3bb916bbf268c263ddd57a6a27200a784cbc248e84f357ce82d98",
     "03a87ae2caf14e8ee52e51fa2ed8eefe80f02457004ba4d486d6aa1f517c0889501dc7413753f9599b099ebcbbd2d709"),
)]


def compress_xy(x: bytes, y: bytes) -> bytes:
    """ZCash compression of the G1 point (x, y): the compressed flag, and the sign flag when y > p - y."""
    from .msm import P

    yi = int.from_bytes(y, "big")
    return _flags(int.from_bytes(x, "big"), 48, sign=yi > P - yi)
