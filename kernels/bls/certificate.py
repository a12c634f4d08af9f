"""IC certificates (IC interface spec, "Certification"): parse, rebuild the root, check the signature and the
delegation, one certificate at a time (`verify_certificate`) or a stream of them with every BLS check in one
batch (`verify_certificates`).

A certificate is CBOR (RFC 8949, self-described with tag 55799): a map {tree, signature, delegation?}. The tree is
CBOR arrays: [0] empty, [1, left, right] fork, [2, label, subtree] labeled, [3, value] leaf, [4, digest] pruned;
its root is rebuilt with the suite's hash tree (kernels.hashing.hashtree). The signature is BLS12-381 min-sig
over b"\\x0dic-state-root" || root with the DST BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_, checked with the
root key, or with the key of a delegation: {subnet_id, certificate}, where the delegation's own certificate
(which must not have a delegation: one level at most) is checked against the root key and carries the subnet's
key at /subnet/<subnet_id>/public_key, DER-wrapped (a fixed 37-byte prefix, then the 96-byte key). The
spec's further check that the canister lies in /subnet/<subnet_id>/canister_ranges is not a BLS cost and is
not done here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import cbor
from ..hashing import hashtree
from . import IC_DST, bls12381_verify_batch

STATE_ROOT_DOMAIN = b"\x0dic-state-root"  # IC spec, "Certification": domain separator of the signed root
# IC spec, "Certification" (DER encoding of a BLS key): SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.44668.5.3.1.2.1,
# OID 1.3.6.1.4.1.44668.5.3.2.1 }, BIT STRING (97 bytes: 0 unused bits, the 96-byte key) }
DER_PREFIX = bytes.fromhex("308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100")


# --- the hash tree -------------------------------------------------------------------------------------------------

def tree_from_cbor(node) -> hashtree.Tree:
    """A CBOR hash tree as the suite's hash-tree nodes; ValueError for a malformed node."""
    if not isinstance(node, list) or not node or not isinstance(node[0], int):
        raise ValueError("hash tree node must be a non-empty array starting with its kind")
    kind, rest = node[0], node[1:]
    shapes = {0: (), 1: (list, list), 2: (bytes, list), 3: (bytes,), 4: (bytes,)}
    if kind not in shapes or len(rest) != len(shapes[kind]) or not all(map(isinstance, rest, shapes[kind])):
        raise ValueError(f"malformed hash tree node of kind {kind}")
    if kind == 0:
        return hashtree.empty()
    if kind == 1:
        return hashtree.fork(tree_from_cbor(rest[0]), tree_from_cbor(rest[1]))
    if kind == 2:
        return hashtree.labeled(rest[0], tree_from_cbor(rest[1]))
    if kind == 3:
        return hashtree.leaf(rest[0])
    return hashtree.pruned(rest[0])


def tree_to_cbor(tree: hashtree.Tree) -> list:
    if isinstance(tree, hashtree.Empty):
        return [0]
    if isinstance(tree, hashtree.Fork):
        return [1, tree_to_cbor(tree.left), tree_to_cbor(tree.right)]
    if isinstance(tree, hashtree.Labeled):
        return [2, tree.label, tree_to_cbor(tree.subtree)]
    if isinstance(tree, hashtree.Leaf):
        return [3, tree.value]
    return [4, tree.digest]


def lookup(tree: hashtree.Tree, path: Sequence[bytes]) -> bytes | None:
    """The leaf value at `path` (labels), or None when it is absent or pruned (IC spec, "Lookup")."""
    node = tree
    for label in path:
        stack, found = [node], None
        while stack:
            current = stack.pop()
            if isinstance(current, hashtree.Fork):
                stack += [current.right, current.left]
            elif isinstance(current, hashtree.Labeled) and current.label == label:
                found = current.subtree
                break
        if found is None:
            return None
        node = found
    return node.value if isinstance(node, hashtree.Leaf) else None


# --- certificates --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    """A certificate's parts: its root (rebuilt), signature, and delegation (subnet id, parsed certificate)."""

    tree: hashtree.Tree
    root: bytes
    signature: bytes
    subnet_id: bytes | None = None
    delegation: "Parsed | None" = None

    @property
    def message(self) -> bytes:
        return STATE_ROOT_DOMAIN + self.root


def parse(data: bytes, *, allow_delegation: bool = True, root_of=hashtree.digest, decode=cbor.decode) -> Parsed:
    """Parse a certificate with `decode` and rebuild its root with `root_of`; ValueError when it is malformed
    (a delegation inside a delegation's certificate included)."""
    cert = cbor.untagged(decode(data))
    if not isinstance(cert, dict) or not {"tree", "signature"} <= set(cert) or set(cert) - {"tree", "signature",
                                                                                        "delegation"}:
        raise ValueError("a certificate is a map with tree, signature and optionally delegation")
    if not isinstance(cert["signature"], bytes):
        raise ValueError("signature must be a byte string")
    tree = tree_from_cbor(cert["tree"])
    root = root_of(tree)
    delegation = cert.get("delegation")
    if delegation is None:
        return Parsed(tree, root, cert["signature"])
    if not allow_delegation:
        raise ValueError("a delegation's certificate may not carry a delegation")
    if not isinstance(delegation, dict) or set(delegation) != {"subnet_id", "certificate"} or \
            not all(isinstance(v, bytes) for v in delegation.values()):
        raise ValueError("a delegation is a map with subnet_id and certificate (byte strings)")
    inner = parse(delegation["certificate"], allow_delegation=False, root_of=root_of, decode=decode)
    return Parsed(tree, root, cert["signature"], delegation["subnet_id"], inner)


def der_key(der: bytes | None) -> bytes | None:
    """The 96-byte BLS key inside its DER wrapping, or None when the wrapping is not the IC's."""
    if der is None or len(der) != len(DER_PREFIX) + 96 or not der.startswith(DER_PREFIX):
        return None
    return der[len(DER_PREFIX):]


def signing_key(parsed: Parsed, root_key: bytes) -> bytes | None:
    """The key that must have signed `parsed`: the root key, or the subnet key its delegation names."""
    if parsed.delegation is None:
        return root_key
    return der_key(lookup(parsed.delegation.tree, [b"subnet", parsed.subnet_id, b"public_key"]))


def checks(parsed: Parsed, root_key: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """The BLS checks (key, message, signature) a certificate needs: its own, then its delegation's."""
    key = signing_key(parsed, root_key)
    own = (key if key is not None else b"", parsed.message, parsed.signature)  # no key: an empty key fails
    if parsed.delegation is None:
        return [own]
    return [own, (root_key, parsed.delegation.message, parsed.delegation.signature)]


def verify_certificate(data: bytes, root_key: bytes, *, backend: str = "library") -> bool:
    """One certificate: well-formed, its signature valid under the right key, its delegation (if any) valid
    under the root key. `root_key`: the 96-byte key or its DER form."""
    return bool(verify_certificates([data], root_key, backend=backend)[0])


def verify_certificates(certificates: Sequence[bytes], root_key: bytes, *, backend: str = "library",
                        method: str | None = None) -> np.ndarray:
    """(n,) bool for a stream of certificates: all their BLS checks in one call of bls12381_verify_batch (a
    delegation shared by many certificates, as a subnet's are, is checked once)."""
    root_key = der_key(root_key) or root_key
    parsed: list[Parsed | None] = []
    for data in certificates:
        try:
            parsed.append(parse(data))
        except (ValueError, TypeError, UnicodeDecodeError):
            parsed.append(None)
    unique: dict[tuple, int] = {}
    needs = []
    for p in parsed:
        needs.append([unique.setdefault(c, len(unique)) for c in checks(p, root_key)] if p is not None else [])
    triples = list(unique)
    verdicts = bls12381_verify_batch([t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples],
                                     backend=backend, dst=IC_DST, method=method)
    return np.array([p is not None and bool(verdicts[need].all()) for p, need in zip(parsed, needs)], dtype=bool)
